//! Keys, signatures, hashing and DSSE for provseal.
//!
//! One backend, `aws-lc-rs`, does every primitive: SHA-2 (SHA-NI where present), Ed25519,
//! ECDSA P-256 / P-384, and RSA verification. This crate adds the key formats people actually
//! hold (PKCS#8, encrypted PKCS#8, SEC1, DER, base64 DER from a CI secret), the [`Signer`] trait
//! that file keys and HSMs implement, provseal key ids, streaming parallel file hashing and
//! DSSE envelope signing and verification.
//!
//! ```
//! use provseal_crypto::{generate_key, load_signer, KeyAlgorithm, PublicKey, Signer};
//!
//! let key = generate_key(KeyAlgorithm::Ed25519, None)?;
//! let signer = load_signer(key.private_pem.as_bytes(), None, "example.key")?;
//! let public = PublicKey::from_pem(&key.public_pem)?;
//! assert_eq!(signer.key_id(), public.key_id());
//!
//! let sig = signer.sign(b"hello")?;
//! public.verify(b"hello", &sig)?;
//! assert!(public.verify(b"other", &sig).is_err());
//! # Ok::<(), provseal_crypto::CryptoError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod diag;
pub mod dsse;
mod error;
mod generate;
pub mod hash;
mod keyref;
mod keys;
mod loader;
mod pem;
pub mod read;
mod signer;

pub mod cosign;
pub mod minisign;
pub mod pkcs11;

pub use error::CryptoError;
pub use generate::{generate_key, write_private_key_file, write_public_key_file, GeneratedKey};
pub use keyref::{redact_pin, KeyRef};
pub use keys::{KeyAlgorithm, PublicKey};
pub use loader::{EnvLookup, LoadContext, SignerLoader, SignerRegistry};
pub use signer::{load_key_pair, load_signer, KeyPairSigner, Signer};
