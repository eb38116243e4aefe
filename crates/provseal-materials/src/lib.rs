//! provseal-materials (work in progress).
#![forbid(unsafe_code)]
