//! `provseal verify`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use provseal_crypto::hash::HashAlgorithm;
use provseal_model::DigestSet;
use provseal_verify::report::Report;
use provseal_verify::{
    Artifact, ArtifactVerdict, DocResult, FailureClass, VerifyError, VerifyOptions,
    MAX_ATTESTATION_BYTES,
};

use crate::args::VerifyArgs;
use crate::{keys, output, Failure, WithHint};

/// Reads an attestation file, refusing non-files and files over the size limit.
pub fn read_attestation(path: &Path) -> Result<Vec<u8>, Failure> {
    let meta = fs_err::metadata(path).context("cannot read the attestation")?;
    if !meta.is_file() {
        return Err(anyhow!("attestation `{}` is not a file", path.display()).into());
    }
    if meta.len() > MAX_ATTESTATION_BYTES {
        return Err(anyhow!(
            "attestation `{}` is {} bytes, over the {} byte limit",
            path.display(),
            meta.len(),
            MAX_ATTESTATION_BYTES
        )
        .into());
    }
    Ok(fs_err::read(path).context("cannot read the attestation")?)
}

/// An artifact argument: a file, or a digest given as `alg:hex`.
enum ArtifactArg {
    File(PathBuf),
    Digest(DigestSet),
    Bad(String),
}

fn parse_artifact(arg: &str) -> ArtifactArg {
    let path = Path::new(arg);
    match fs_err::metadata(path) {
        Ok(m) if m.is_file() => return ArtifactArg::File(path.to_path_buf()),
        Ok(_) => return ArtifactArg::Bad(format!("`{arg}` is not a file")),
        Err(_) => {}
    }
    if let Some((alg, hex)) = arg.split_once(':') {
        let want = match alg {
            "sha256" => Some(64),
            "sha384" => Some(96),
            "sha512" => Some(128),
            _ => None,
        };
        if let Some(len) = want {
            if hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                let mut d = DigestSet::new();
                d.insert(alg.to_string(), hex.to_ascii_lowercase());
                return ArtifactArg::Digest(d);
            }
            return ArtifactArg::Bad(format!(
                "`{arg}` is neither a file nor a valid {alg} digest ({len} hex digits)"
            ));
        }
    }
    ArtifactArg::Bad(format!("`{arg}`: no such file"))
}

/// The digest algorithms to compute for the artifacts: sha256 plus every SHA-2 algorithm used
/// by a verified subject.
fn needed_algorithms(docs: &[DocResult]) -> Vec<HashAlgorithm> {
    let mut names: BTreeSet<String> = BTreeSet::from(["sha256".to_string()]);
    for v in docs.iter().flatten() {
        for s in &v.statement.subject {
            names.extend(s.digest.iter().map(|(a, _)| a.to_string()));
        }
    }
    names.iter().filter_map(|n| n.parse().ok()).collect()
}

/// Resolves and hashes the artifacts (files in parallel); unreadable ones become failures.
pub fn artifacts_for(args: &[String], docs: &[DocResult]) -> Vec<Result<Artifact, VerifyError>> {
    let algs = needed_algorithms(docs);
    let parsed: Vec<ArtifactArg> = args.iter().map(|a| parse_artifact(a)).collect();
    let files: Vec<PathBuf> = parsed
        .iter()
        .filter_map(|p| match p {
            ArtifactArg::File(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    // Hash all files in one parallel pass; on error fall back to one by one to name the culprit.
    let hashed: Vec<Result<DigestSet, String>> =
        match provseal_crypto::hash::hash_files(&files, &algs) {
            Ok(sets) => sets.into_iter().map(Ok).collect(),
            Err(_) => files
                .iter()
                .map(|f| provseal_crypto::hash::hash_file(f, &algs).map_err(|e| e.to_string()))
                .collect(),
        };
    let mut hashed = hashed.into_iter();
    args.iter()
        .zip(parsed)
        .map(|(name, p)| match p {
            ArtifactArg::File(_) => match hashed.next() {
                Some(Ok(d)) => Ok(Artifact {
                    name: name.clone(),
                    digests: d,
                }),
                Some(Err(reason)) => Err(VerifyError::ArtifactUnreadable { reason }),
                None => Err(VerifyError::ArtifactUnreadable {
                    reason: format!("`{name}` was not hashed"),
                }),
            },
            ArtifactArg::Digest(d) => Ok(Artifact {
                name: name.clone(),
                digests: d,
            }),
            ArtifactArg::Bad(reason) => Err(VerifyError::ArtifactUnreadable { reason }),
        })
        .collect()
}

/// The exit code for a set of verdicts: 0 all verified; 2 if any failed on input; else 1.
pub fn exit_code(verdicts: &[ArtifactVerdict]) -> ExitCode {
    if verdicts.iter().all(|v| v.result.is_ok()) {
        ExitCode::SUCCESS
    } else if verdicts.iter().any(|v| {
        v.result
            .as_ref()
            .is_err_and(|e| e.class() == FailureClass::Input)
    }) {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

/// Prints verdict lines (stdout, or stderr when JSON goes to stdout) and the JSON report.
pub fn print_verdicts(verdicts: &[ArtifactVerdict], json: bool) -> Result<(), Failure> {
    for v in verdicts {
        if json {
            eprintln!("{}", v.line());
        } else {
            println!("{}", v.line());
        }
    }
    if json {
        output::print_json(&Report::new(verdicts))?;
    }
    Ok(())
}

/// Runs `provseal verify`.
pub fn run(args: VerifyArgs) -> Result<ExitCode, Failure> {
    if args.keys.is_empty() {
        return Err(anyhow!("no trusted key given"))
            .hint("pass --key PUB (the signer's public key)");
    }
    let keys = keys::load_public_keys(&args.keys)?;
    let bytes = read_attestation(&args.attestation)?;
    let source = args.attestation.display().to_string();
    let docs = provseal_verify::load_attestations(&bytes, &source)?;
    let opts = VerifyOptions {
        keys,
        builder_id: args.builder_id.clone(),
        source_uri: args.source_uri.clone(),
    };
    let results = provseal_verify::verify_documents(&docs, &opts);
    let verdicts: Vec<ArtifactVerdict> = artifacts_for(&args.artifacts, &results)
        .into_iter()
        .zip(&args.artifacts)
        .map(|(a, name)| match a {
            Ok(artifact) => provseal_verify::verify_artifact(&artifact, &results, &opts),
            Err(e) => ArtifactVerdict {
                artifact: Artifact {
                    name: name.clone(),
                    digests: DigestSet::default(),
                },
                result: Err(e),
            },
        })
        .collect();
    print_verdicts(&verdicts, args.json)?;
    Ok(exit_code(&verdicts))
}
