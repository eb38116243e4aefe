//! What the pipeline reports back: the files written, who signed, the subjects, and the `--json`
//! summary made from them.

use std::path::PathBuf;

use provseal_model::DigestSet;
use serde_json::{json, Value};

/// Who signed, as the summary reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedBy {
    /// A key with this provseal key id.
    Key(String),
    /// The CI's identity.
    Keyless,
}

/// What `emit` wrote.
#[derive(Debug, Clone)]
pub enum Written {
    /// One statement, one file.
    Single {
        /// The file.
        path: PathBuf,
    },
    /// One statement per subject.
    PerSubject {
        /// The files, in subject order.
        paths: Vec<PathBuf>,
    },
    /// A batch.
    Batch {
        /// The directory.
        dir: PathBuf,
        /// The Merkle root, lowercase hex.
        root_hex: String,
        /// The entry files, in subject order.
        entries: Vec<PathBuf>,
        /// The signing operations (one).
        signing_operations: usize,
    },
}

/// The summary of one emit: what was written, by whom, for which subjects.
#[derive(Debug, Clone)]
pub struct Emitted {
    /// The files.
    pub written: Written,
    /// Who signed.
    pub signed_by: SignedBy,
    /// The subjects with their digests.
    pub subjects: Vec<(String, DigestSet)>,
}

impl Emitted {
    /// How many signing operations were made.
    pub fn signing_operations(&self) -> usize {
        match &self.written {
            Written::Single { .. } => 1,
            Written::PerSubject { paths } => paths.len(),
            Written::Batch {
                signing_operations, ..
            } => *signing_operations,
        }
    }

    /// The JSON summary that `attest --json` and `run --json` print.
    pub fn to_json(&self) -> Value {
        let subjects: Vec<Value> = self
            .subjects
            .iter()
            .map(|(n, d)| json!({"name": n, "digest": d}))
            .collect();
        let mut v = match &self.written {
            Written::Single { path } => json!({
                "shape": "multi-subject",
                "output": path,
            }),
            Written::PerSubject { paths } => json!({
                "shape": "per-subject",
                "outputs": paths,
            }),
            Written::Batch {
                dir,
                root_hex,
                entries,
                ..
            } => json!({
                "shape": "batch",
                "directory": dir,
                "root": root_hex,
                "treeSize": entries.len(),
                "entries": entries,
            }),
        };
        v["signingOperations"] = json!(self.signing_operations());
        v["subjects"] = json!(subjects);
        match &self.signed_by {
            SignedBy::Key(id) => v["keyId"] = json!(id),
            SignedBy::Keyless => v["keyless"] = json!(true),
        }
        v
    }
}
