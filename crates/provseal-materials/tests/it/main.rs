//! Integration tests of provseal-materials (one test binary; one module per area).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod git;
mod python_env;
mod python_lock;
mod snapshot;
mod bad_input;
mod node;
mod cargo;
mod golang;
mod sbom;
