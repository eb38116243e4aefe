//! The one error type of this crate.

use std::path::PathBuf;

/// Why an artifact name cannot name an entry file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameFault {
    /// The name is empty.
    #[error("it is empty")]
    Empty,
    /// The name starts with `/`.
    #[error("it is an absolute path; give a path relative to the build directory")]
    Absolute,
    /// The name contains a backslash.
    #[error("it contains a backslash; use `/` as the path separator")]
    Backslash,
    /// The name contains a control character.
    #[error("it contains a control character")]
    ControlCharacter,
    /// `//`, or a trailing `/`.
    #[error("it has an empty path component (`//` or a trailing `/`)")]
    EmptyComponent,
    /// A `.` or `..` component.
    #[error("it has a `.` or `..` path component")]
    DotComponent,
    /// The last component, encoded and with the suffix, is over 255 bytes.
    #[error("its file name is longer than 255 bytes with the `.provseal.json` suffix")]
    TooLong,
    /// The whole encoded path (used when the last component is shared) is over 255 bytes.
    #[error(
        "its file name (the whole path, since its last component is shared) is longer than 255 bytes"
    )]
    WholePathTooLong,
}

/// Why a keyless batch's root bundle is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RootBundleError {
    /// The bundle is not strict JSON.
    #[error("not JSON")]
    NotJson(#[source] provseal_model::ModelError),
    /// The bundle has no `dsseEnvelope`.
    #[error("it holds no `dsseEnvelope`")]
    NoEnvelope,
    /// The bundle's `dsseEnvelope` is malformed.
    #[error("`dsseEnvelope` is malformed")]
    Envelope(#[source] provseal_model::ModelError),
    /// The bundle's envelope signs something else than the batch's root statement.
    #[error("its DSSE envelope does not sign this batch's root statement")]
    OtherRoot,
    /// The root is signed keyless, and a key was given to verify it.
    #[error(
        "the root is signed keyless (a Sigstore bundle): verify it against a trusted root and a certificate identity, not a key"
    )]
    Keyless,
}

/// Everything that can go wrong while building, writing, reading or verifying a batch.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// A keyless batch's root bundle is unusable (not JSON, no DSSE envelope, or an envelope
    /// over something other than the root statement).
    #[error("the batch root bundle is unusable")]
    RootBundle {
        /// What is wrong.
        #[source]
        source: RootBundleError,
    },

    /// A batch (and a Merkle tree) needs at least one statement.
    #[error("a batch needs at least one statement")]
    EmptyBatch,

    /// A leaf index does not lie inside the tree.
    #[error("leaf index {index} is outside a tree of {tree_size} leaves")]
    IndexOutOfRange {
        /// The leaf index that was asked for.
        index: u64,
        /// The number of leaves in the tree.
        tree_size: u64,
    },

    /// An inclusion proof has the wrong number of hashes for its index and tree size.
    #[error(
        "inclusion proof for leaf {index} of {tree_size} must hold {expected} hashes, it holds {actual}"
    )]
    ProofLength {
        /// The leaf index of the proof.
        index: u64,
        /// The tree size of the proof.
        tree_size: u64,
        /// How many hashes RFC 9162 requires.
        expected: usize,
        /// How many hashes the proof holds.
        actual: usize,
    },

    /// The inclusion proof leads to another root than the signed one.
    #[error("inclusion proof leads to root {computed}, the signed root is {expected}")]
    RootMismatch {
        /// The root (hex) that was signed.
        expected: String,
        /// The root (hex) recomputed from the leaf and the proof.
        computed: String,
    },

    /// An artifact name cannot name an entry file.
    #[error("artifact name `{name}` cannot name an entry file: {fault}")]
    InvalidName {
        /// The artifact (subject) name.
        name: String,
        /// Why it was refused.
        fault: NameFault,
    },

    /// Two artifacts of one batch carry the same name.
    #[error("artifact name `{name}` appears twice in the batch")]
    DuplicateName {
        /// The repeated name.
        name: String,
    },

    /// The number of artifact names differs from the number of statements.
    #[error("{actual} artifact names given for a batch of {expected} statements")]
    NameCount {
        /// Statements in the batch.
        expected: usize,
        /// Names given.
        actual: usize,
    },

    /// The statements' payload type is empty.
    #[error("the statements' payload type is empty")]
    EmptyPayloadType,

    /// `createdOn` is not an RFC 3339 date-time.
    #[error("createdOn {value:?} is not an RFC 3339 date-time")]
    CreatedOn {
        /// The value given.
        value: String,
        /// Why it was rejected.
        #[source]
        source: jiff::Error,
    },

    /// The one signing operation of the batch failed.
    #[error("signing the batch root with key {key_id} failed")]
    Sign {
        /// The signer's key id.
        key_id: String,
        /// What the signer reported.
        #[source]
        source: provseal_crypto::CryptoError,
    },

    /// The root envelope's signature does not verify under any given key.
    #[error("the batch root envelope's signature does not verify")]
    RootSignature {
        /// What the verifier reported (key ids tried).
        #[source]
        source: provseal_crypto::CryptoError,
    },

    /// The signed root envelope does not carry an in-toto statement.
    #[error("the signed root envelope has payload type {actual:?}, expected {expected:?}")]
    RootPayloadType {
        /// [`provseal_model::IN_TOTO_PAYLOAD_TYPE`].
        expected: &'static str,
        /// The signed payload type.
        actual: String,
    },

    /// The signed root statement has another predicate type than the batch one.
    #[error("the signed root statement has predicate type {actual:?}, expected {expected:?}")]
    RootPredicateType {
        /// [`crate::ROOT_PREDICATE_TYPE_V1`].
        expected: &'static str,
        /// The signed predicate type.
        actual: String,
    },

    /// The signed root statement breaks the batch format at a field.
    #[error("invalid signed root statement at {path}: {reason}")]
    RootStatement {
        /// JSON path of the field.
        path: String,
        /// No underlying cause: what the field holds against what the format asks for (the
        /// parser's error, when one reported it, is `source`).
        reason: String,
        /// The parser's error, when one reported it (`createdOn`).
        #[source]
        source: Option<provseal_model::Cause>,
    },

    /// The signed root statement names a leaf scheme this version does not know.
    #[error("the signed root uses leaf scheme {actual:?}, this provseal knows {expected:?}")]
    LeafScheme {
        /// [`crate::LEAF_SCHEME_V1`].
        expected: &'static str,
        /// The signed leaf scheme.
        actual: String,
    },

    /// The entry's proof claims another tree size than the signed root.
    #[error("the entry's proof is for a tree of {proof} leaves, the signed root covers {signed}")]
    TreeSizeMismatch {
        /// The signed `treeSize`.
        signed: u64,
        /// The proof's `treeSize`.
        proof: u64,
    },

    /// The entry's statement has another payload type than the signed root says every leaf has.
    #[error("the entry's statement has payload type {entry:?}, the signed root says {signed:?}")]
    PayloadTypeMismatch {
        /// The signed `leafPayloadType`.
        signed: String,
        /// The entry's `statement.payloadType`.
        entry: String,
    },

    /// The entry is not strict JSON, or its root envelope is malformed.
    #[error("invalid {what}")]
    Json {
        /// What was being read (`batch entry`, `root statement`, …).
        what: &'static str,
        /// The strict parser's finding (line, column, duplicate key, …).
        #[source]
        source: provseal_model::ModelError,
    },

    /// An entry field is missing or malformed.
    #[error("invalid batch entry at {path}: {reason}")]
    EntryField {
        /// JSON path of the field (`$.proof.hashes[2]`).
        path: String,
        /// No underlying cause: what the field holds against what the format asks for (the
        /// decoder's error, when one reported it, is `source`).
        reason: String,
        /// The decoder's error, when one reported it (base64).
        #[source]
        source: Option<provseal_model::Cause>,
    },

    /// The entry has another media type.
    #[error("batch entry has media type {actual:?}, expected {expected:?}")]
    EntryMediaType {
        /// [`crate::ENTRY_MEDIA_TYPE_V1`].
        expected: &'static str,
        /// The media type found.
        actual: String,
    },

    /// Something could not be serialized as JSON.
    #[error("cannot serialize {what} as JSON")]
    Serialize {
        /// What was being serialized.
        what: &'static str,
        /// What the serializer reported.
        #[source]
        source: serde_json::Error,
    },

    /// An entry file exists already and overwriting was not allowed.
    #[error("`{}` exists already (allow overwriting to replace it)", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },

    /// An existing batch directory holds something other than files and symlinks, which the
    /// all-or-nothing swap cannot carry over.
    #[error(
        "cannot stage the batch over `{}`: it holds `{}`, which is not a file (write the batch into a directory of its own)",
        dir.display(),
        entry.display()
    )]
    NotFlat {
        /// The batch directory.
        dir: PathBuf,
        /// The subdirectory or special file found in it.
        entry: PathBuf,
    },

    /// A file system operation failed.
    #[error("cannot write `{}`", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl BatchError {
    /// Whether this is an input error (unreadable or malformed entry, bad arguments, I/O:
    /// exit code 2) rather than an authenticity failure (signature, signed root statement, proof:
    /// exit code 1). A malformed *signed* root statement counts as authenticity: it was checked
    /// only after its signature verified, and it is what the key holder signed.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::EmptyBatch
                | Self::InvalidName { .. }
                | Self::DuplicateName { .. }
                | Self::NameCount { .. }
                | Self::EmptyPayloadType
                | Self::CreatedOn { .. }
                | Self::Json {
                    what: "batch entry" | "root envelope ($.rootEnvelope)",
                    ..
                }
                | Self::EntryField { .. }
                | Self::EntryMediaType { .. }
                | Self::Serialize { .. }
                | Self::Exists { .. }
                | Self::NotFlat { .. }
                | Self::Io { .. }
        )
    }
}
