//! provseal-batch (work in progress).
#![forbid(unsafe_code)]
