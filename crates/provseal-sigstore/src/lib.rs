//! provseal-sigstore (work in progress).
#![forbid(unsafe_code)]
