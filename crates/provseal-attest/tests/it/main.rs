//! Integration tests of the producer pipeline: real git repositories, real build commands, real
//! files, and the attestations checked by provseal-verify.
#![allow(clippy::unwrap_used)]

mod attest;
mod kill;
mod run;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use provseal_attest::observer::Recorded;
use provseal_attest::{
    AttestRequest, OutputFormat, OutputSettings, Overwrite, Producer, RunRequest, Shape,
};
use provseal_crypto::hash::HashAlgorithm;
use provseal_crypto::{KeyAlgorithm, PublicKey};
use provseal_testsupport::Project;
use provseal_verify::{Artifact, VerifiedStatement, VerifyError, VerifyOptions};

/// A fresh key: the producer that signs with it, and its public key.
pub(crate) fn key() -> (Producer, PublicKey) {
    let generated = provseal_crypto::generate_key(KeyAlgorithm::Ed25519, None).unwrap();
    let signer =
        provseal_crypto::load_signer(generated.private_pem.as_bytes(), None, "test key").unwrap();
    let public = PublicKey::from_pem(generated.public_pem.as_bytes()).unwrap();
    (Producer::Key(signer), public)
}

/// Output settings for `shape` in `format`, refusing existing files unless `overwrite`.
pub(crate) fn out(shape: Shape, format: OutputFormat, overwrite: Overwrite) -> OutputSettings {
    OutputSettings {
        shape,
        format,
        overwrite,
    }
}

/// One statement in `name` (`.intoto.jsonl`), refusing an existing file.
pub(crate) fn single(name: &str) -> OutputSettings {
    out(
        Shape::Single {
            out: Some(name.into()),
        },
        OutputFormat::IntotoJsonl,
        Overwrite::Refuse,
    )
}

/// One `.intoto.jsonl` per subject.
pub(crate) fn per_subject(overwrite: Overwrite) -> OutputSettings {
    out(Shape::PerSubject, OutputFormat::IntotoJsonl, overwrite)
}

/// Makes the per-subject output of `dist/tool-1.0.whl` a directory, which replacing may not
/// touch; returns the error that names it.
pub(crate) fn block_whl_output(prj: &Project) -> &'static str {
    std::fs::create_dir(prj.file("dist/tool-1.0.whl.intoto.jsonl")).unwrap();
    "refusing to replace `dist/tool-1.0.whl.intoto.jsonl`: it is a directory"
}

/// An attest request for `subjects` in the project.
pub(crate) fn request(prj: &Project, subjects: &[&str]) -> AttestRequest {
    AttestRequest::new(
        prj.path().to_path_buf(),
        subjects.iter().map(|s| s.to_string()).collect(),
    )
}

/// A run request: `sh -c SCRIPT` in the project, products `subjects`, no environment recorded.
pub(crate) fn run_request(prj: &Project, subjects: &[&str], script: &str) -> RunRequest {
    let root = prj.path().to_path_buf();
    RunRequest {
        products: request(prj, subjects),
        snapshot: provseal_materials::CollectContext {
            root: root.clone(),
            python: None,
            cwd: root,
            discovery: Default::default(),
            env: Default::default(),
            extra_env: Vec::new(),
            unborn: Default::default(),
        },
        command: vec!["sh".into(), "-c".into(), script.into()],
        build_stdout: Default::default(),
        drift: Default::default(),
        sbom: None,
    }
}

/// Verifies `artifact` (a file in the project) against the attestation file `attestation` with
/// `key`, through provseal-verify's loader and verifier (as `provseal verify --key` does).
pub(crate) fn verify(
    attestation: &Path,
    artifact: &Path,
    key: &PublicKey,
) -> Result<Arc<VerifiedStatement>, VerifyError> {
    let bytes = std::fs::read(attestation).unwrap();
    let docs =
        provseal_verify::load_attestations(&bytes, &attestation.display().to_string()).unwrap();
    // Key-signed bundles too: the trusted root is needed only for certificates.
    let opts = VerifyOptions {
        keys: vec![key.clone()],
        sigstore: Some(provseal_verify::SigstoreTrust {
            trusted_root: Arc::new(provseal_sigstore::TrustedRoot::production().unwrap()),
            identity: None,
            options: Default::default(),
        }),
        ..Default::default()
    };
    let results = provseal_verify::verify_documents(&docs, &opts);
    let artifact = Artifact {
        name: artifact.display().to_string(),
        digests: provseal_crypto::hash::hash_file(artifact, &[HashAlgorithm::Sha256]).unwrap(),
    };
    provseal_verify::verify_artifact(&artifact, &results, &opts).result
}

/// Every file under `dir` (relative, sorted), hidden staging files included.
pub(crate) fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                if e.file_name() != ".git" {
                    stack.push(p);
                }
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// The events an observer saw, as one text.
pub(crate) fn events(rec: &Recorded) -> String {
    rec.events.join("\n")
}
