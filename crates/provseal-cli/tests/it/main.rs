//! End-to-end tests of the `provseal` binary: key generation, attest, verify, inspect, and the
//! bad-input contract (clear error, exit 1 or 2, no output file left behind).
#![allow(clippy::unwrap_used, clippy::new_without_default)]

mod bad_input;
mod blob;
mod cosign_stack;
mod detached;
mod e2e;
mod materials;
mod run;
mod shapes;
mod sigstore;
mod slsa;
mod snapshots;

pub(crate) use provseal_testsupport::Project;
