//! Building and signing a batch: hash every statement once, build the tree, sign the root
//! statement once.

use provseal_crypto::Signer;
use provseal_model::dsse::Envelope;

use crate::format::{parse_root_bundle, root_statement_json, validate_created_on, EntryPrefix};
use crate::merkle::{dsse_leaf_hash, Hash, MerkleTree};
use crate::{BatchEntry, BatchError, InclusionProof, RootPredicate, LEAF_SCHEME_V1};

/// What the root statement says besides the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOptions {
    /// When the batch was made, RFC 3339 (`2026-11-25T22:00:00Z`). The library never reads the
    /// clock: the caller passes the time.
    pub created_on: String,
    /// The builder that made the batch (`predicate.builder.id`), if any.
    pub builder_id: Option<String>,
}

/// A signed batch: the root envelope and everything needed to write each entry.
///
/// Entries are produced on demand ([`Batch::entry`], [`Batch::entries`]) from the statements and
/// the tree kept here, so that a batch of 100,000 statements holds each statement once, the tree
/// (`2n` hashes) and one root envelope — not 100,000 copies of proofs and envelopes.
#[derive(Clone)]
pub struct Batch {
    /// The DSSE envelope over the root statement (one signature); for a keyless batch, the
    /// envelope inside [`Batch::root_bundle`].
    pub root_envelope: Envelope,
    /// The Sigstore bundle (compact JSON) that signs the root, for a keyless batch.
    root_bundle: Option<String>,
    /// The Merkle tree root (the root statement's subject digest).
    pub root: Hash,
    /// How many times the signer was asked to sign: always 1.
    pub signing_operations: usize,
    payload_type: String,
    statements: Vec<Vec<u8>>,
    tree: MerkleTree,
}

/// Signs `statements` (the exact statement bytes, each becoming one leaf) as one batch with
/// exactly one call of `signer.sign`. See [`sign_batch_with`].
///
/// # Errors
/// As [`sign_batch_with`].
pub fn sign_batch(
    statements: Vec<Vec<u8>>,
    payload_type: &str,
    signer: &dyn Signer,
    created_on: &str,
) -> Result<Batch, BatchError> {
    sign_batch_with(
        statements,
        payload_type,
        signer,
        &BatchOptions {
            created_on: created_on.to_owned(),
            builder_id: None,
        },
    )
}

/// Signs `statements` as one batch: leaf `i` = `SHA-256(0x00 || PAE(payload_type,
/// statements[i]))`, an RFC 9162 tree over the leaves, and one DSSE envelope (payload type
/// `application/vnd.in-toto+json`) over the root statement — exactly one signing operation.
///
/// # Errors
/// [`BatchError::EmptyBatch`], [`BatchError::EmptyPayloadType`], [`BatchError::CreatedOn`],
/// [`BatchError::Sign`] when the signer fails.
pub fn sign_batch_with(
    statements: Vec<Vec<u8>>,
    payload_type: &str,
    signer: &dyn Signer,
    options: &BatchOptions,
) -> Result<Batch, BatchError> {
    prepare_batch(statements, payload_type, options)?.sign(signer)
}

/// A batch whose tree and root statement are built but not yet signed. Sign it with a key
/// ([`UnsignedBatch::sign`]) or hand it a Sigstore bundle over [`UnsignedBatch::root_statement`]
/// made elsewhere (keyless: [`UnsignedBatch::with_root_bundle`]).
pub struct UnsignedBatch {
    root: Hash,
    root_statement: Vec<u8>,
    payload_type: String,
    statements: Vec<Vec<u8>>,
    tree: MerkleTree,
}

impl std::fmt::Debug for UnsignedBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnsignedBatch")
            .field("root", &hex::encode(self.root))
            .field("tree_size", &self.statements.len())
            .finish_non_exhaustive()
    }
}

/// Hashes every statement once and builds the tree and the root statement (see
/// [`sign_batch_with`]); nothing is signed yet.
///
/// # Errors
/// [`BatchError::EmptyBatch`], [`BatchError::EmptyPayloadType`], [`BatchError::CreatedOn`].
pub fn prepare_batch(
    statements: Vec<Vec<u8>>,
    payload_type: &str,
    options: &BatchOptions,
) -> Result<UnsignedBatch, BatchError> {
    if statements.is_empty() {
        return Err(BatchError::EmptyBatch);
    }
    if payload_type.is_empty() {
        return Err(BatchError::EmptyPayloadType);
    }
    validate_created_on(&options.created_on).map_err(|source| BatchError::CreatedOn {
        value: options.created_on.clone(),
        source,
    })?;
    let mut statements = statements;
    // Serializers grow buffers by doubling; give the slack back before holding 100,000 of them.
    for s in &mut statements {
        s.shrink_to_fit();
    }
    let leaves: Vec<Hash> = statements
        .iter()
        .map(|s| dsse_leaf_hash(payload_type, s))
        .collect();
    let tree = MerkleTree::new(leaves)?;
    let root = tree.root();
    let predicate = RootPredicate {
        tree_size: tree.size(),
        leaf_scheme: LEAF_SCHEME_V1.to_owned(),
        leaf_payload_type: payload_type.to_owned(),
        created_on: options.created_on.clone(),
        builder_id: options.builder_id.clone(),
    };
    let root_statement = root_statement_json(&root, &predicate)?;
    Ok(UnsignedBatch {
        root,
        root_statement,
        payload_type: payload_type.to_owned(),
        statements,
        tree,
    })
}

impl UnsignedBatch {
    /// The root statement: the exact bytes to sign (an in-toto statement, payload type
    /// `application/vnd.in-toto+json`).
    pub fn root_statement(&self) -> &[u8] {
        &self.root_statement
    }

    /// Signs the root statement with `signer`: exactly one signing operation.
    ///
    /// # Errors
    /// [`BatchError::Sign`] when the signer fails.
    pub fn sign(self, signer: &dyn Signer) -> Result<Batch, BatchError> {
        let root_envelope = provseal_crypto::dsse::sign(
            provseal_model::IN_TOTO_PAYLOAD_TYPE,
            self.root_statement.clone(),
            signer,
        )
        .map_err(|source| BatchError::Sign {
            key_id: signer.key_id(),
            source,
        })?;
        Ok(self.into_batch(root_envelope, None))
    }

    /// Takes a Sigstore bundle (JSON) whose DSSE envelope signs exactly
    /// [`UnsignedBatch::root_statement`] — one certificate, one log entry, one signature. The
    /// bundle is checked for that, not verified (its signer is checked by whoever verifies an
    /// entry, against a trusted root).
    ///
    /// # Errors
    /// [`BatchError::RootBundle`] when the bundle is not JSON, has no DSSE envelope, or its
    /// envelope signs something else.
    pub fn with_root_bundle(self, bundle_json: &[u8]) -> Result<Batch, BatchError> {
        let (bundle, root_envelope) = parse_root_bundle(bundle_json)?;
        if root_envelope.payload != self.root_statement
            || root_envelope.payload_type != provseal_model::IN_TOTO_PAYLOAD_TYPE
        {
            return Err(BatchError::RootBundle {
                source: crate::RootBundleError::OtherRoot,
            });
        }
        Ok(self.into_batch(root_envelope, Some(bundle)))
    }

    fn into_batch(self, root_envelope: Envelope, root_bundle: Option<String>) -> Batch {
        Batch {
            root_envelope,
            root_bundle,
            root: self.root,
            signing_operations: 1,
            payload_type: self.payload_type,
            statements: self.statements,
            tree: self.tree,
        }
    }
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("root", &self.root_hex())
            .field("tree_size", &self.statements.len())
            .field("payload_type", &self.payload_type)
            .field("signing_operations", &self.signing_operations)
            .field("root_envelope", &self.root_envelope)
            .finish_non_exhaustive()
    }
}

impl Batch {
    /// Number of statements (leaves).
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// Always `false`: a batch holds at least one statement.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The root as lowercase hex.
    pub fn root_hex(&self) -> String {
        hex::encode(self.root)
    }

    /// The statements' payload type.
    pub fn payload_type(&self) -> &str {
        &self.payload_type
    }

    /// The statement bytes, in leaf order.
    pub fn statements(&self) -> &[Vec<u8>] {
        &self.statements
    }

    /// The Sigstore bundle over the root (compact JSON), for a keyless batch.
    pub fn root_bundle(&self) -> Option<&str> {
        self.root_bundle.as_deref()
    }

    /// The Merkle tree.
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// The inclusion proof of leaf `index`.
    ///
    /// # Errors
    /// [`BatchError::IndexOutOfRange`].
    pub fn proof(&self, index: usize) -> Result<InclusionProof, BatchError> {
        let leaf_index = index as u64;
        Ok(InclusionProof {
            leaf_index,
            tree_size: self.tree.size(),
            hashes: self.tree.inclusion_proof(leaf_index)?,
        })
    }

    /// The entry of statement `index` (a copy of its statement, its proof and the root envelope).
    ///
    /// # Errors
    /// [`BatchError::IndexOutOfRange`].
    pub fn entry(&self, index: usize) -> Result<BatchEntry, BatchError> {
        let proof = self.proof(index)?;
        let statement = self
            .statements
            .get(index)
            .ok_or(BatchError::IndexOutOfRange {
                index: index as u64,
                tree_size: self.tree.size(),
            })?;
        Ok(BatchEntry {
            payload_type: self.payload_type.clone(),
            statement: statement.clone(),
            proof,
            root_envelope: self.root_envelope.clone(),
            root_bundle: self.root_bundle.clone(),
        })
    }

    /// Every entry, in leaf order, each built when the iterator reaches it.
    pub fn entries(&self) -> impl Iterator<Item = BatchEntry> + '_ {
        (0..self.len()).filter_map(|i| self.entry(i).ok())
    }

    /// The entry file content of statement `index`, without copying the statement; `prefix`
    /// holds the parts shared by every entry, serialized once by the caller.
    pub(crate) fn entry_json_with(
        &self,
        index: usize,
        prefix: &EntryPrefix,
    ) -> Result<Vec<u8>, BatchError> {
        let proof = self.proof(index)?;
        let statement = self
            .statements
            .get(index)
            .ok_or(BatchError::IndexOutOfRange {
                index: index as u64,
                tree_size: self.tree.size(),
            })?;
        Ok(prefix.entry_json(statement, &proof))
    }

    /// The parts of every entry file that are the same across the batch.
    pub(crate) fn entry_prefix(&self) -> Result<EntryPrefix, BatchError> {
        EntryPrefix::new(
            &self.payload_type,
            &self.root_envelope,
            self.root_bundle.as_deref(),
        )
    }
}
