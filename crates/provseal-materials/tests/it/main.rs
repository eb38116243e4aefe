//! Integration tests of provseal-materials (one test binary; one module per area).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input;
mod cargo;
mod git;
mod golang;
mod node;
mod python_env;
mod python_lock;
mod sbom;
mod snapshot;
