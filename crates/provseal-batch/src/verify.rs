//! Verifying one entry: root signature, root statement, leaf, inclusion proof.

use provseal_crypto::PublicKey;

use crate::format::parse_root_statement;
use crate::merkle::{dsse_leaf_hash, verify_inclusion};
use crate::{BatchEntry, BatchError, RootPredicate, LEAF_SCHEME_V1};

/// The authenticated content of an entry, returned only after every check passed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedEntry {
    /// The statement's payload type (bound into the signed tree).
    pub payload_type: String,
    /// The statement bytes (bound into the signed tree) — parse these, strictly.
    pub payload: Vec<u8>,
    /// The key id of the key whose signature over the root verified (for a keyless root, what
    /// the caller of [`verify_entry_with_root`] passed).
    pub key_id: String,
    /// The statement's position in the batch.
    pub leaf_index: u64,
    /// The signed number of statements in the batch.
    pub tree_size: u64,
    /// The signed root, lowercase hex.
    pub root_hex: String,
    /// The signed root predicate (`createdOn`, builder, leaf scheme).
    pub root_predicate: RootPredicate,
}

/// Verifies `entry` against trusted `keys`, trusting only signed bytes:
///
/// 1. the root envelope's signature verifies under one of `keys`
///    ([`provseal_crypto::dsse::verify`], over PAE, before anything is parsed);
/// 2. the signed payload type is `application/vnd.in-toto+json` and the signed root statement
///    parses strictly as the batch root statement (predicate type, one root subject, leaf scheme);
/// 3. the proof's tree size equals the signed tree size, and the entry's payload type equals the
///    signed leaf payload type;
/// 4. the leaf is recomputed from the entry's statement bytes and the inclusion proof leads from
///    it, at the proof's index, to the signed root (RFC 9162 §2.1.3.2).
///
/// # Errors
/// [`BatchError::RootSignature`], [`BatchError::RootPayloadType`],
/// [`BatchError::RootPredicateType`], [`BatchError::RootStatement`], [`BatchError::Json`],
/// [`BatchError::LeafScheme`], [`BatchError::TreeSizeMismatch`],
/// [`BatchError::PayloadTypeMismatch`], [`BatchError::IndexOutOfRange`],
/// [`BatchError::ProofLength`], [`BatchError::RootMismatch`].
pub fn verify_entry(entry: &BatchEntry, keys: &[PublicKey]) -> Result<VerifiedEntry, BatchError> {
    if entry.root_bundle.is_some() {
        return Err(BatchError::RootBundle {
            source: crate::RootBundleError::Keyless,
        });
    }
    let verified = provseal_crypto::dsse::verify(&entry.root_envelope, keys)
        .map_err(|source| BatchError::RootSignature { source })?;
    verify_entry_with_root(
        entry,
        &verified.payload_type,
        &verified.payload,
        verified.key_id,
    )
}

/// Steps 2–4 of [`verify_entry`], for a root whose signature was verified elsewhere (a keyless
/// root bundle, verified against a Sigstore trusted root and an identity): `root_payload_type`
/// and `root_payload` are the **verified** signed bytes, `signer` names who signed them.
///
/// # Errors
/// As [`verify_entry`], except the signature errors.
pub fn verify_entry_with_root(
    entry: &BatchEntry,
    root_payload_type: &str,
    root_payload: &[u8],
    signer: String,
) -> Result<VerifiedEntry, BatchError> {
    if root_payload_type != provseal_model::IN_TOTO_PAYLOAD_TYPE {
        return Err(BatchError::RootPayloadType {
            expected: provseal_model::IN_TOTO_PAYLOAD_TYPE,
            actual: root_payload_type.to_owned(),
        });
    }
    let (root, predicate) = parse_root_statement(root_payload)?;
    if predicate.leaf_scheme != LEAF_SCHEME_V1 {
        return Err(BatchError::LeafScheme {
            expected: LEAF_SCHEME_V1,
            actual: predicate.leaf_scheme,
        });
    }
    if entry.proof.tree_size != predicate.tree_size {
        return Err(BatchError::TreeSizeMismatch {
            signed: predicate.tree_size,
            proof: entry.proof.tree_size,
        });
    }
    if entry.payload_type != predicate.leaf_payload_type {
        return Err(BatchError::PayloadTypeMismatch {
            signed: predicate.leaf_payload_type,
            entry: entry.payload_type.clone(),
        });
    }
    let leaf = dsse_leaf_hash(&entry.payload_type, &entry.statement);
    verify_inclusion(
        &leaf,
        entry.proof.leaf_index,
        predicate.tree_size,
        &entry.proof.hashes,
        &root,
    )?;
    Ok(VerifiedEntry {
        payload_type: entry.payload_type.clone(),
        payload: entry.statement.clone(),
        key_id: signer,
        leaf_index: entry.proof.leaf_index,
        tree_size: predicate.tree_size,
        root_hex: hex::encode(root),
        root_predicate: predicate,
    })
}
