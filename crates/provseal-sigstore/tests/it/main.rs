//! Integration tests for provseal-sigstore: the shared corpora's cases, interop, mutations.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cases;
mod cosign;
mod identity;
mod keysigned;
mod mutation;
mod pep740;
mod robust;
mod trust;
