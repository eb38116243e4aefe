//! Integration tests of provseal-crypto (one test binary).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod dsse_cases;
mod hashing;
mod keys;
mod python_interop;
mod robustness;

mod cosign;
mod minisign;
mod pkcs11;
mod signer_suite;
