//! provseal-batch: one signature for many statements.
//!
//! A release with thousands of artifacts gets one in-toto statement per artifact, and all of
//! them are signed with **one** signing operation: each statement becomes a leaf
//! `SHA-256(0x00 || PAE(payloadType, payload))` of an RFC 9162 Merkle tree, and one DSSE
//! envelope signs a *root statement* whose subject is the tree's root. Each artifact ships an
//! entry file (its statement, its inclusion proof, the signed root envelope) that verifies alone
//! with `O(log n)` hashes. The format is documented in `docs/batch.md`.
//!
//! ```
//! use provseal_batch::{sign_batch, verify_entry, BatchEntry};
//! use provseal_crypto::{KeyAlgorithm, KeyPairSigner, Signer};
//!
//! let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519)?;
//! let statements: Vec<Vec<u8>> = (0..3)
//!     .map(|i| format!(r#"{{"artifact":{i}}}"#).into_bytes())
//!     .collect();
//! let batch = sign_batch(
//!     statements,
//!     "application/vnd.in-toto+json",
//!     &signer,
//!     "2026-11-25T22:00:00Z",
//! )?;
//! assert_eq!(batch.signing_operations, 1);
//!
//! // Each entry travels alone and verifies alone.
//! let file = batch.entry(1)?.to_json()?;
//! let entry = BatchEntry::from_json(&file)?;
//! let verified = verify_entry(&entry, &[signer.public_key().clone()])?;
//! assert_eq!(verified.payload, br#"{"artifact":1}"#);
//! assert_eq!((verified.leaf_index, verified.tree_size), (1, 3));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod format;
pub mod merkle;
pub mod naming;
mod sign;
mod verify;
mod write;

pub use error::{BatchError, NameFault, RootBundleError};
pub use format::{
    BatchEntry, InclusionProof, RootPredicate, ENTRY_MEDIA_TYPE_V1, LEAF_SCHEME_V1, MAX_TREE_SIZE,
    ROOT_PREDICATE_TYPE_V1, ROOT_SUBJECT_NAME,
};
pub use naming::{entry_file_candidates, entry_file_names, ENTRY_FILE_SUFFIX};
pub use sign::{prepare_batch, sign_batch, sign_batch_with, Batch, BatchOptions, UnsignedBatch};
pub use verify::{verify_entry, verify_entry_with_root, VerifiedEntry};
pub use write::{write_batch, write_batch_with, BatchWrite, Overwrite};
