//! The provseal producer pipeline: resolve subjects, hash them, record the source and the
//! dependency materials, run the build between two snapshots, build an in-toto Statement v1 with
//! a SLSA Provenance v1 predicate, sign it, and write it atomically in one of three shapes.
//!
//! A caller (the CLI) resolves arguments and environment into an [`AttestRequest`] (or a
//! [`RunRequest`]) and [`OutputSettings`], opens a [`Producer`] (a key through
//! provseal-crypto's `Signer`, or a keyless [`BundleSigner`] it implements), and calls
//! [`pipeline::attest`] or [`pipeline::run`]; notes and progress come back through an
//! [`Observer`]. This crate never prints, exits or reads the environment.
//!
//! ```no_run
//! use provseal_attest::observer::Silent;
//! use provseal_attest::{pipeline, AttestRequest, OutputSettings, Overwrite, Producer, Shape};
//! # fn demo(key: Box<dyn provseal_crypto::Signer>) -> Result<(), provseal_attest::AttestError> {
//! let req = AttestRequest::new(std::env::current_dir().unwrap(), vec!["dist/*".into()]);
//! let out = OutputSettings {
//!     shape: Shape::Single { out: None },
//!     format: Default::default(),
//!     overwrite: Overwrite::Refuse,
//! };
//! let emitted = pipeline::attest(&req, &out, &Producer::Key(key), &mut Silent)?;
//! println!("{}", emitted.to_json());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;

use provseal_crypto::hash::{HashAlgorithm, HashProgress};
use provseal_crypto::Signer;
use provseal_model::dsse::Envelope;
use provseal_model::DigestSet;

mod build;
pub mod emit;
pub mod observer;
mod output;
pub mod pipeline;
pub mod provenance;
pub mod run;
mod subjects;
pub mod summary;

pub use build::BuildStdout;
pub use emit::{BundleSigner, OutputFormat, OutputSettings, Producer, Shape};
pub use observer::{Event, Observer};
pub use output::{write_atomic, Overwrite, StagedOutputs};
pub use pipeline::{DriftPolicy, RunOutcome, RunReport, RunRequest};
pub use provenance::{
    build_statement, build_statements_per_subject, ProvenanceInput, BUILD_TYPE_ATTEST,
    BUILD_TYPE_RUN, DEFAULT_BUILDER_ID,
};
pub use subjects::{
    hash_subjects_observed, resolve_subjects, resolve_subjects_with, FollowSymlinks, SubjectFile,
    SubjectOptions,
};
pub use summary::{Emitted, SignedBy, Written};

/// Errors of the producer pipeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    /// No `--subject` was given.
    #[error("no subjects given")]
    NoSubjects,
    /// A glob pattern matched no file.
    #[error("subject pattern `{pattern}` matched no file")]
    NoMatch {
        /// The pattern.
        pattern: String,
    },
    /// A glob pattern is malformed.
    #[error("subject pattern `{pattern}` is invalid")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// The glob parser's error (its position counts in the pattern as given).
        #[source]
        source: glob::PatternError,
    },
    /// A subject names a directory.
    #[error("subject `{}` is a directory, not a file", path.display())]
    SubjectIsDirectory {
        /// The path.
        path: PathBuf,
    },
    /// A subject is neither a file nor a directory (a socket, a device…).
    #[error("subject `{}` is not a regular file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// A subject lies outside the working directory.
    #[error("subject `{subject}` is outside the working directory (subject names are relative paths without `..`)")]
    SubjectOutsideTree {
        /// The argument as given.
        subject: String,
    },
    /// A subject path is not valid UTF-8.
    #[error("subject path `{}` is not valid UTF-8", path.as_os_str().as_encoded_bytes().escape_ascii())]
    NonUtf8Subject {
        /// The path (shown with its non-UTF-8 bytes escaped: `dist/w\xff.whl`).
        path: PathBuf,
    },
    /// Following symlinked directories led back to an ancestor of the walk.
    #[error(
        "symlink loop: `{}` leads back to its ancestor `{}`",
        path.display(),
        ancestor.display()
    )]
    SymlinkLoop {
        /// The symlinked directory that closes the loop.
        path: PathBuf,
        /// The directory it leads back to.
        ancestor: PathBuf,
    },
    /// Replacing was asked for, but the existing path is not a regular file or a symlink.
    #[error("refusing to replace `{}`: it is {kind}", path.display())]
    NotReplaceable {
        /// The existing path.
        path: PathBuf,
        /// What it is (`a directory`, `a FIFO`, `a socket`, `a device`).
        kind: &'static str,
    },
    /// The output file exists and replacing it was not asked for.
    #[error("`{}` exists already", path.display())]
    OutputExists {
        /// The path.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Hashing or signing failed.
    #[error(transparent)]
    Crypto(#[from] provseal_crypto::CryptoError),
    /// Making the batch (its tree, its root statement, its entry files) failed.
    #[error(transparent)]
    Batch(#[from] provseal_batch::BatchError),
    /// Making a key-signed Sigstore bundle failed.
    #[error(transparent)]
    Sigstore(#[from] provseal_sigstore::SigstoreError),
    /// The keyless signer failed (its own error, unchanged: [`emit::BundleSigner`]).
    #[error(transparent)]
    Keyless(Box<dyn std::error::Error + Send + Sync>),
    /// `run` was given no build command.
    #[error("no build command given")]
    NoCommand,
    /// The build command could not be started.
    #[error("cannot start the build command `{program}`: {error}")]
    BuildStart {
        /// The program.
        program: String,
        /// Why (shown inline: it is the whole story).
        error: std::io::Error,
    },
    /// Waiting for the build failed.
    #[error("cannot wait for the build command: {error}")]
    BuildWait {
        /// Why.
        error: std::io::Error,
    },
    /// SIGINT/SIGTERM could not be watched for (to forward them to the build).
    #[error("cannot watch for SIGINT/SIGTERM: {error}")]
    Signals {
        /// Why.
        error: std::io::Error,
    },
    /// Recording the source or the materials failed.
    #[error(transparent)]
    Materials(#[from] provseal_materials::MaterialsError),
    /// A bug: provseal produced something it cannot read back.
    #[error("internal error: {what}")]
    Internal {
        /// What was being done (`serialising the statement`, …).
        what: &'static str,
        /// The serialiser's or validator's error, when one reported it.
        #[source]
        source: Option<provseal_model::Cause>,
    },
}

/// What `provseal attest` is asked to do.
#[derive(Debug, Clone)]
pub struct AttestRequest {
    /// The working directory: subject names are relative to it; the git source is looked up there.
    pub cwd: PathBuf,
    /// Subject paths and glob patterns.
    pub subjects: Vec<String>,
    /// Digest algorithms computed for every subject (one read each).
    pub digests: Vec<HashAlgorithm>,
    /// `runDetails.builder.id`.
    pub builder_id: String,
    /// How subject patterns are expanded (symlinked directories are not followed by default).
    pub subject_options: SubjectOptions,
}

impl AttestRequest {
    /// A request with the defaults: sha256, the default builder id.
    pub fn new(cwd: PathBuf, subjects: Vec<String>) -> Self {
        AttestRequest {
            cwd,
            subjects,
            digests: vec![HashAlgorithm::Sha256],
            builder_id: DEFAULT_BUILDER_ID.to_string(),
            subject_options: SubjectOptions::default(),
        }
    }
}

/// A signed attestation.
#[derive(Debug, Clone)]
pub struct Attestation {
    /// The exact statement bytes that were signed.
    pub statement: Vec<u8>,
    /// The DSSE envelope.
    pub envelope: Envelope,
    /// The subjects with their digests.
    pub subjects: Vec<(String, DigestSet)>,
    /// Whether a git source was recorded.
    pub source_recorded: bool,
}

/// The current time as RFC 3339 UTC with second precision.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}

/// A fresh invocation id (`urn:uuid:…`).
pub fn new_invocation_id() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

/// Hashes the subjects (each file read once; files in parallel).
pub fn hash_subjects(
    files: &[SubjectFile],
    digests: &[HashAlgorithm],
) -> Result<Vec<(String, DigestSet)>, AttestError> {
    hash_subjects_observed(files, digests, &|_| {})
}

/// Everything `provseal attest` records: the subjects hashed, the git source, the parameters.
pub fn attest_input(req: &AttestRequest) -> Result<ProvenanceInput, AttestError> {
    attest_input_observed(req, &|_| {})
}

/// [`attest_input`], reporting the hashing's progress to `observer`.
pub fn attest_input_observed(
    req: &AttestRequest,
    observer: &(dyn Fn(HashProgress) + Sync),
) -> Result<ProvenanceInput, AttestError> {
    let files = resolve_subjects_with(&req.cwd, &req.subjects, req.subject_options)?;
    attest_input_for(req, &files, observer)
}

/// [`attest_input_observed`] for subjects already resolved (`req.subjects` is not read).
pub fn attest_input_for(
    req: &AttestRequest,
    files: &[SubjectFile],
    observer: &(dyn Fn(HashProgress) + Sync),
) -> Result<ProvenanceInput, AttestError> {
    let started_on = now_rfc3339();
    let source = provseal_materials::git::source_info(&req.cwd)?;
    let subjects = hash_subjects_observed(files, &req.digests, observer)?;
    let mut internal = serde_json::Map::new();
    internal.insert(
        "digestAlgorithms".into(),
        serde_json::json!(req.digests.iter().map(|d| d.name()).collect::<Vec<_>>()),
    );
    let materials = source.iter().map(|s| s.to_resource_descriptor()).collect();
    Ok(ProvenanceInput {
        build_type: BUILD_TYPE_ATTEST.to_string(),
        builder_id: req.builder_id.clone(),
        subjects,
        source,
        external: serde_json::Map::new(),
        internal,
        materials,
        byproducts: Vec::new(),
        invocation_id: new_invocation_id(),
        started_on,
        finished_on: now_rfc3339(),
    })
}

/// `provseal attest`: hash the subjects, record the git source, build one statement listing every
/// subject, and sign it.
pub fn attest(req: &AttestRequest, signer: &dyn Signer) -> Result<Attestation, AttestError> {
    let input = attest_input(req)?;
    let statement = build_statement(&input)?;
    let envelope = sign_statement(&statement, signer)?;
    Ok(Attestation {
        statement,
        envelope,
        source_recorded: input.source.is_some(),
        subjects: input.subjects,
    })
}

/// Signs statement bytes as a DSSE envelope with the in-toto payload type.
pub fn sign_statement(statement: &[u8], signer: &dyn Signer) -> Result<Envelope, AttestError> {
    Ok(provseal_crypto::dsse::sign(
        provseal_model::IN_TOTO_PAYLOAD_TYPE,
        statement.to_vec(),
        signer,
    )?)
}
