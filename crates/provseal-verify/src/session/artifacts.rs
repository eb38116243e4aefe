//! The artifacts of a verification: each argument resolved (a file, or a digest given as
//! `alg:hex`) and hashed with the algorithms the verified statements use, a chunk at a time.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use provseal_crypto::hash::{HashAlgorithm, HashProgress};
use provseal_model::{Cause, DigestSet};

use super::VerifyObserver;
use crate::{Artifact, ArtifactError, ArtifactVerdict, DocResult, VerifyError};

/// How many artifacts are hashed together (their files in parallel) before their verdicts are
/// decided and shown: verdicts stream out a chunk at a time, and memory holds one chunk.
pub(crate) const HASH_CHUNK: usize = 64;

impl From<ArtifactError> for VerifyError {
    fn from(source: ArtifactError) -> Self {
        VerifyError::ArtifactUnreadable { source }
    }
}

/// The verdict for an artifact that could not be read or named.
pub(crate) fn unreadable(name: &str, e: VerifyError) -> ArtifactVerdict {
    ArtifactVerdict::new(
        Artifact {
            name: name.to_string(),
            digests: DigestSet::new(),
        },
        Err(e),
    )
}

/// An artifact argument: a file, or a digest given as `alg:hex`.
enum ArtifactArg {
    File(PathBuf),
    Digest(DigestSet),
    Bad(ArtifactError),
}

fn parse_artifact(arg: &str) -> ArtifactArg {
    let path = Path::new(arg);
    match fs_err::metadata(path) {
        Ok(m) if m.is_file() => return ArtifactArg::File(path.to_path_buf()),
        Ok(_) => return ArtifactArg::Bad(ArtifactError::NotAFile { name: arg.into() }),
        Err(_) => {}
    }
    if let Some((alg, hex)) = arg.split_once(':') {
        let want = match alg {
            "sha1" | "gitCommit" => Some(40),
            "sha256" => Some(64),
            "sha384" => Some(96),
            "sha512" => Some(128),
            _ => None,
        };
        if let Some(len) = want {
            if hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                let mut d = DigestSet::new();
                let hex = hex.to_ascii_lowercase();
                if len == 40 {
                    // a git commit id: GitHub release attestations record it as `sha1`, in-toto
                    // resource descriptors as `gitCommit`; either names the same commit
                    d.insert("sha1".to_string(), hex.clone());
                    d.insert("gitCommit".to_string(), hex);
                } else {
                    d.insert(alg.to_string(), hex);
                }
                return ArtifactArg::Digest(d);
            }
            return ArtifactArg::Bad(ArtifactError::BadDigest {
                name: arg.into(),
                algorithm: alg.into(),
                hex_digits: len,
            });
        }
    }
    ArtifactArg::Bad(ArtifactError::NoSuchFile { name: arg.into() })
}

/// The digest algorithms to compute for the artifacts: sha256 plus every SHA-2 algorithm used
/// by a verified subject.
pub(crate) fn needed_algorithms(docs: &[DocResult]) -> Vec<HashAlgorithm> {
    let mut names: BTreeSet<String> = BTreeSet::from(["sha256".to_string()]);
    for v in docs.iter().flatten() {
        for s in &v.statement.subject {
            names.extend(s.digest.iter().map(|(a, _)| a.to_string()));
        }
    }
    names.iter().filter_map(|n| n.parse().ok()).collect()
}

/// The artifacts named by `args`, in order, each with its name: resolved and hashed with `algs`
/// lazily, a chunk at a time, the hashing reported to `observer` (the total of every chunk
/// first, when it asks for progress); unreadable ones are failures.
pub(crate) fn artifacts<'a>(
    args: &'a [String],
    algs: Vec<HashAlgorithm>,
    observer: &mut dyn VerifyObserver,
) -> impl Iterator<Item = Chunk<'a>> {
    if observer.hashing_starts(args.len()) {
        // One total over every chunk (sizes as the file system reports them).
        let sizes = args.iter().filter_map(|a| match fs_err::metadata(a) {
            Ok(m) if m.is_file() => Some(m.len()),
            _ => None,
        });
        let (files, bytes) = sizes.fold((0, 0), |(n, b), len| (n + 1, b + len));
        observer.hash_progress(HashProgress::Started { files, bytes });
    }
    args.chunks(HASH_CHUNK).map(move |names| Chunk {
        names,
        algs: algs.clone(),
    })
}

/// One chunk of artifact arguments, hashed when [`Chunk::hash`] is called.
pub(crate) struct Chunk<'a> {
    names: &'a [String],
    algs: Vec<HashAlgorithm>,
}

impl<'a> Chunk<'a> {
    /// Resolves and hashes the chunk's artifacts (files in parallel); the total was reported
    /// once for every chunk ([`artifacts`]).
    pub(crate) fn hash(
        self,
        observer: &dyn VerifyObserver,
    ) -> impl Iterator<Item = (&'a String, Result<Artifact, VerifyError>)> {
        let hashed = hash_artifacts(self.names, &self.algs, &|e| observer.hash_progress(e));
        self.names.iter().zip(hashed)
    }
}

/// Resolves and hashes the artifacts with `algs`.
fn hash_artifacts(
    args: &[String],
    algs: &[HashAlgorithm],
    progress: &(dyn Fn(HashProgress) + Sync),
) -> Vec<Result<Artifact, VerifyError>> {
    let parsed: Vec<ArtifactArg> = args.iter().map(|a| parse_artifact(a)).collect();
    let files: Vec<PathBuf> = parsed
        .iter()
        .filter_map(|p| match p {
            ArtifactArg::File(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    // All files in one parallel pass, each with its own result (an unreadable one fails alone).
    let mut hashed = provseal_crypto::hash::hash_each_observed(&files, algs, progress).into_iter();
    args.iter()
        .zip(parsed)
        .map(|(name, p)| match p {
            ArtifactArg::File(_) => match hashed.next() {
                Some(Ok(digests)) => Ok(Artifact {
                    name: name.clone(),
                    digests,
                }),
                Some(Err(e)) => Err(ArtifactError::Hash(Cause::new(e)).into()),
                // hash_each_observed returns one result per file
                None => Err(ArtifactError::NoSuchFile { name: name.clone() }.into()),
            },
            ArtifactArg::Digest(digests) => Ok(Artifact {
                name: name.clone(),
                digests,
            }),
            ArtifactArg::Bad(e) => Err(e.into()),
        })
        .collect()
}

/// Adds the digests `results`' subjects use that `artifact` lacks (a file hashed with sha256
/// only, whose statement lists sha512 only), reporting that hashing to `observer` too.
pub(crate) fn complete_digests(
    mut artifact: Artifact,
    results: &[DocResult],
    observer: &dyn VerifyObserver,
) -> Artifact {
    let missing: Vec<HashAlgorithm> = needed_algorithms(results)
        .into_iter()
        .filter(|a| artifact.digests.get(a.name()).is_none())
        .collect();
    if missing.is_empty() {
        return artifact;
    }
    if let ArtifactArg::File(path) = parse_artifact(&artifact.name) {
        let more = provseal_crypto::hash::hash_files_observed(
            std::slice::from_ref(&path),
            &missing,
            &|e| observer.hash_progress(e),
        );
        if let Ok(Some(more)) = more.map(|sets| sets.into_iter().next()) {
            for (alg, hex) in more.iter() {
                artifact.digests.insert(alg, hex);
            }
        }
    }
    artifact
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_arguments_are_checked_and_git_commits_named_both_ways() {
        let ArtifactArg::Digest(d) = parse_artifact(&format!("sha1:{}", "A".repeat(40))) else {
            panic!("a sha1 digest")
        };
        assert_eq!(d.get("gitCommit"), Some("a".repeat(40).as_str()));
        assert_eq!(d.get("sha1"), Some("a".repeat(40).as_str()));
        let ArtifactArg::Bad(e) = parse_artifact("sha256:zz") else {
            panic!("not a digest")
        };
        assert_eq!(
            e.to_string(),
            "`sha256:zz` is neither a file nor a valid sha256 digest (64 hex digits)"
        );
        let ArtifactArg::Bad(e) = parse_artifact("nope/x.whl") else {
            panic!("no such file")
        };
        assert_eq!(e.to_string(), "`nope/x.whl`: no such file");
    }
}
