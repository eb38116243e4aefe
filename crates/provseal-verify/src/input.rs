//! The inputs of a verification and why one cannot be used. The files it is given (attestations,
//! detached signatures) are read as regular files only, and none over [`MAX_ATTESTATION_BYTES`],
//! so that a device or a huge file is refused before a byte of it is read.

use std::path::{Path, PathBuf};

use provseal_model::Cause;

use crate::{VerifyError, MAX_ATTESTATION_BYTES};

/// What an input file is for (named in messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputKind {
    /// An attestation (or a Sigstore bundle, a VSA).
    Attestation,
    /// A detached signature.
    Signature,
}

impl std::fmt::Display for InputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InputKind::Attestation => "attestation",
            InputKind::Signature => "signature",
        })
    }
}

/// Why an input file (or the attestation directory) cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file could not be read (or its metadata could not be).
    #[error("cannot read the {kind}")]
    Unreadable {
        /// What it is.
        kind: InputKind,
        /// The I/O error (it names the path).
        #[source]
        source: Cause,
    },
    /// The path is a directory, a device, ….
    #[error("{kind} `{}` is not a file", path.display())]
    NotAFile {
        /// What it is.
        kind: InputKind,
        /// The path.
        path: PathBuf,
    },
    /// The file is larger than any attestation provseal reads.
    #[error("{kind} `{}` is {size} bytes, over the {limit} byte limit", path.display())]
    TooLarge {
        /// What it is.
        kind: InputKind,
        /// The path.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// [`MAX_ATTESTATION_BYTES`].
        limit: u64,
    },
    /// The attestation directory is not a directory.
    #[error("attestation directory `{}` is not a directory", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
}

/// Why an artifact argument names nothing that can be verified.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ArtifactError {
    /// The path exists but is not a regular file.
    #[error("`{name}` is not a file")]
    NotAFile {
        /// The argument.
        name: String,
    },
    /// No such file, and the argument is not a digest either.
    #[error("`{name}`: no such file")]
    NoSuchFile {
        /// The argument.
        name: String,
    },
    /// `alg:hex` with a known algorithm but not a digest of it.
    #[error("`{name}` is neither a file nor a valid {algorithm} digest ({hex_digits} hex digits)")]
    BadDigest {
        /// The argument.
        name: String,
        /// The algorithm named.
        algorithm: String,
        /// How many hex digits its digests have.
        hex_digits: usize,
    },
    /// Hashing the file failed (it went away, or reading it failed).
    #[error(transparent)]
    Hash(Cause),
    /// `--attestation-dir`: no attestation file for the artifact in the directory.
    #[error(
        "no attestation for `{name}` in `{}` (looked for ARTIFACT.provseal.json, .intoto.jsonl, .sigstore.json, sha256:HEX.jsonl, multiple.intoto.jsonl)",
        dir.display()
    )]
    NoAttestation {
        /// The artifact.
        name: String,
        /// The directory searched.
        dir: PathBuf,
    },
    /// slsa-verifier mode: no provenance file found for the artifact.
    #[error("no provenance found for `{name}`")]
    NoProvenance {
        /// The artifact.
        name: String,
    },
}

/// Reads an input file of kind `kind`, refusing non-files and files over the size limit.
pub fn read_input(path: &Path, kind: InputKind) -> Result<Vec<u8>, VerifyError> {
    let unreadable = |e: std::io::Error| {
        VerifyError::Input(InputError::Unreadable {
            kind,
            source: Cause::new(e),
        })
    };
    let meta = fs_err::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(VerifyError::Input(InputError::NotAFile {
            kind,
            path: path.to_path_buf(),
        }));
    }
    if meta.len() > MAX_ATTESTATION_BYTES {
        return Err(VerifyError::Input(InputError::TooLarge {
            kind,
            path: path.to_path_buf(),
            size: meta.len(),
            limit: MAX_ATTESTATION_BYTES,
        }));
    }
    fs_err::read(path).map_err(unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_directory_and_names_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_input(dir.path(), InputKind::Signature).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("signature `{}` is not a file", dir.path().display())
        );
        let missing = dir.path().join("nope.json");
        let e = read_input(&missing, InputKind::Attestation).unwrap_err();
        assert_eq!(e.to_string(), "cannot read the attestation");
        assert!(provseal_model::one_line(&e).contains("nope.json"), "{e:?}");
        assert_eq!(e.class(), crate::FailureClass::Input);
    }
}
