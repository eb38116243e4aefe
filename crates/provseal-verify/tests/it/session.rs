//! The `verify` entry point ([`provseal_verify::session::verify`]) over real files signed with
//! real keys: file and digest artifacts, a tampered file, attestation directories, detached
//! signatures, verdicts streamed in order, hashing progress, and the VSA of a passing run.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use provseal_crypto::hash::{hash_bytes, HashAlgorithm, HashProgress};
use provseal_crypto::{KeyAlgorithm, Signer};
use provseal_verify::report::KeepResults;
use provseal_verify::session::{
    self, Attestations, Check, VerifyObserver, VerifyOutcome, VerifyRequest, VsaSettings,
};
use provseal_verify::{
    ArtifactError, ArtifactVerdict, FailureClass, InputError, VerifyError, VerifyOptions,
};

use super::{key, statement_of};

/// Keeps every verdict line and every hashing event; optionally runs `on_verdict` on each.
#[derive(Default)]
struct Record {
    lines: Vec<String>,
    errors: Vec<Option<VerifyError>>,
    progress: Mutex<Vec<HashProgress>>,
    wants_progress: bool,
    stop_after: Option<usize>,
    on_first: Option<Box<dyn FnOnce() + Sync>>,
}

impl VerifyObserver for Record {
    fn hashing_starts(&mut self, _artifacts: usize) -> bool {
        self.wants_progress
    }

    fn hash_progress(&self, progress: HashProgress) {
        self.progress.lock().unwrap().push(progress);
    }

    fn verdict(&mut self, v: &ArtifactVerdict, _: Option<&[u8]>) -> ControlFlow<()> {
        if let Some(f) = self.on_first.take() {
            f();
        }
        self.lines.push(v.line());
        self.errors.push(v.result.as_ref().err().cloned());
        match self.stop_after {
            Some(n) if self.lines.len() >= n => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    }
}

impl Record {
    /// A record that asks for the hashing total.
    fn with_progress() -> Self {
        Record {
            wants_progress: true,
            ..Default::default()
        }
    }

    fn started(&self) -> Vec<(u64, u64)> {
        self.progress
            .lock()
            .unwrap()
            .iter()
            .filter_map(|p| match p {
                HashProgress::Started { files, bytes } => Some((*files, *bytes)),
                _ => None,
            })
            .collect()
    }

    fn files_done(&self) -> usize {
        let progress = self.progress.lock().unwrap();
        progress
            .iter()
            .filter(|p| matches!(p, HashProgress::FileDone))
            .count()
    }
}

/// A signed one-line JSONL attestation whose statement lists `subjects` (name, digests).
fn signed(signer: &dyn Signer, subjects: &[(String, serde_json::Value)]) -> String {
    let subject: Vec<_> = subjects
        .iter()
        .map(|(n, d)| serde_json::json!({"name": n, "digest": d}))
        .collect();
    let statement = statement_of(
        subject,
        "https://ci.example/builder",
        "https://github.com/o/r",
    );
    let envelope =
        provseal_crypto::dsse::sign(provseal_model::IN_TOTO_PAYLOAD_TYPE, statement, signer)
            .unwrap();
    format!("{}\n", envelope.to_json())
}

/// Options that trust `public` alone.
fn trusting(public: provseal_crypto::PublicKey) -> VerifyOptions {
    VerifyOptions {
        keys: vec![public],
        ..Default::default()
    }
}

fn sha256(data: &[u8]) -> String {
    hash_bytes(data, &[HashAlgorithm::Sha256])
        .get("sha256")
        .unwrap()
        .to_string()
}

fn sha512(data: &[u8]) -> String {
    hash_bytes(data, &[HashAlgorithm::Sha512])
        .get("sha512")
        .unwrap()
        .to_string()
}

/// `names` written under `dir` with their own content; the path strings, in order.
fn files(dir: &Path, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            let p = dir.join(n);
            std::fs::write(&p, format!("content of {n}")).unwrap();
            p.to_str().unwrap().to_string()
        })
        .collect()
}

fn subject_sha256(path: &str) -> (String, serde_json::Value) {
    let bytes = std::fs::read(path).unwrap();
    (
        path.to_string(),
        serde_json::json!({"sha256": sha256(&bytes)}),
    )
}

fn run(
    artifacts: &[String],
    attestations: Attestations,
    options: &VerifyOptions,
    observer: &mut Record,
) -> Result<VerifyOutcome, VerifyError> {
    session::verify(
        &VerifyRequest {
            artifacts,
            attestations: &attestations,
            check: Check::Documents {
                options,
                policy: None,
                now: jiff::Timestamp::now(),
            },
            keep_results: KeepResults::Yes,
            record_vsa: false,
        },
        observer,
    )
}

fn file(path: &Path) -> Attestations {
    Attestations::File {
        path: path.to_path_buf(),
        signature: None,
    }
}

#[test]
fn files_digests_a_tampered_file_and_a_missing_one_in_argument_order() {
    let dir = tempfile::tempdir().unwrap();
    let (signer, public) = key(KeyAlgorithm::Ed25519);
    let names = files(dir.path(), &["a.whl", "b.whl", "c.whl"]);
    let subjects: Vec<_> = names.iter().map(|n| subject_sha256(n)).collect();
    let att = dir.path().join("all.intoto.jsonl");
    std::fs::write(&att, signed(signer.as_ref(), &subjects)).unwrap();
    // b is modified after it was attested; a is also named by its digest
    std::fs::write(&names[1], "tampered").unwrap();
    let a_digest = format!("sha256:{}", subjects[0].1["sha256"].as_str().unwrap());
    let missing = dir.path().join("gone.whl").to_str().unwrap().to_string();
    let artifacts = vec![
        names[0].clone(),
        names[1].clone(),
        a_digest.clone(),
        missing.clone(),
        names[2].clone(),
    ];
    let options = trusting(public);
    let mut rec = Record::with_progress();
    let outcome = run(&artifacts, file(&att), &options, &mut rec).unwrap();
    assert_eq!(rec.lines.len(), 5);
    for (line, name) in rec.lines.iter().zip(&artifacts) {
        assert!(line.starts_with(&format!("{name}: ")), "{line}");
    }
    assert!(
        rec.lines[0].contains(": verified: signed by key "),
        "{}",
        rec.lines[0]
    );
    assert!(matches!(
        rec.errors[1],
        Some(VerifyError::SubjectDigestMismatch { .. })
    ));
    assert!(rec.lines[2].contains(": verified: "), "{}", rec.lines[2]);
    assert_eq!(
        rec.lines[3],
        format!("{missing}: cannot read artifact: `{missing}`: no such file")
    );
    assert!(matches!(
        rec.errors[3],
        Some(VerifyError::ArtifactUnreadable {
            source: ArtifactError::NoSuchFile { .. }
        })
    ));
    assert!(rec.lines[4].contains(": verified: "), "{}", rec.lines[4]);
    assert_eq!(outcome.tally.verified(), 3);
    assert_eq!(outcome.tally.failed(), 2);
    assert_eq!(outcome.tally.worst(), Some(FailureClass::Input));
    assert_eq!(outcome.tally.into_report().results.len(), 5);
    // the total first (the three files, as their sizes were then), then one FileDone per file
    let sizes: u64 = names
        .iter()
        .map(|n| std::fs::metadata(n).unwrap().len())
        .sum();
    assert_eq!(rec.started(), vec![(3, sizes)]);
    assert_eq!(rec.files_done(), 3);
}

#[test]
fn no_progress_total_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (signer, public) = key(KeyAlgorithm::EcdsaP256);
    let names = files(dir.path(), &["x.tgz"]);
    let att = dir.path().join("x.intoto.jsonl");
    std::fs::write(&att, signed(signer.as_ref(), &[subject_sha256(&names[0])])).unwrap();
    let options = trusting(public);
    let mut rec = Record::default();
    let outcome = run(&names, file(&att), &options, &mut rec).unwrap();
    assert_eq!(outcome.tally.verified(), 1);
    assert!(rec.started().is_empty());
}

/// Verdicts reach the observer while later artifacts are not yet read: a file removed when the
/// first verdict is shown (more than one hashing chunk later) fails as missing; a `Break` ends
/// the run.
#[test]
fn verdicts_stream_before_later_artifacts_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let (signer, public) = key(KeyAlgorithm::Ed25519);
    let owned: Vec<String> = (0..150).map(|i| format!("f{i:03}.bin")).collect();
    let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
    let names = files(dir.path(), &refs);
    let subjects: Vec<_> = names.iter().map(|n| subject_sha256(n)).collect();
    let att = dir.path().join("all.intoto.jsonl");
    std::fs::write(&att, signed(signer.as_ref(), &subjects)).unwrap();
    let options = trusting(public);
    let last = PathBuf::from(names.last().unwrap());
    let mut rec = Record {
        on_first: Some(Box::new(move || std::fs::remove_file(&last).unwrap())),
        ..Default::default()
    };
    let outcome = run(&names, file(&att), &options, &mut rec).unwrap();
    assert_eq!(outcome.tally.verified(), 149);
    assert!(matches!(
        rec.errors[149],
        Some(VerifyError::ArtifactUnreadable { .. })
    ));

    let mut rec = Record {
        stop_after: Some(3),
        ..Default::default()
    };
    let outcome = run(&names[..100], file(&att), &options, &mut rec).unwrap();
    assert_eq!(rec.lines.len(), 3);
    assert_eq!(outcome.tally.verified() + outcome.tally.failed(), 3);
}

#[test]
fn an_attestation_directory_finds_each_artifacts_file_and_completes_digests() {
    let dir = tempfile::tempdir().unwrap();
    let atts = dir.path().join("atts");
    std::fs::create_dir(&atts).unwrap();
    let (signer, public) = key(KeyAlgorithm::Ed25519);
    let names = files(dir.path(), &["one.whl", "two.whl", "three.whl"]);
    // one.whl: a sha256 subject; two.whl: a sha512-only subject (computed in a second pass)
    std::fs::write(
        atts.join("one.whl.intoto.jsonl"),
        signed(signer.as_ref(), &[subject_sha256(&names[0])]),
    )
    .unwrap();
    let two = std::fs::read(&names[1]).unwrap();
    std::fs::write(
        atts.join("two.whl.intoto.jsonl"),
        signed(
            signer.as_ref(),
            &[(
                names[1].clone(),
                serde_json::json!({"sha512": sha512(&two)}),
            )],
        ),
    )
    .unwrap();
    let options = trusting(public);
    let mut rec = Record::with_progress();
    let outcome = run(&names, Attestations::Dir(atts.clone()), &options, &mut rec).unwrap();
    assert!(rec.lines[0].contains(": verified: "), "{}", rec.lines[0]);
    assert!(rec.lines[1].contains(": verified: "), "{}", rec.lines[1]);
    assert!(
        rec.lines[2].contains("cannot read artifact: no attestation for `"),
        "{}",
        rec.lines[2]
    );
    assert_eq!(outcome.tally.verified(), 2);
    // the first pass's total, then the second pass's own file
    let started = rec.started();
    assert_eq!(started.len(), 2, "{started:?}");
    assert_eq!(started[1], (1, two.len() as u64));
    assert_eq!(rec.files_done(), 4);

    let e = run(
        &names,
        Attestations::Dir(dir.path().join("none")),
        &options,
        &mut Record::default(),
    )
    .unwrap_err();
    assert!(matches!(
        e,
        VerifyError::Input(InputError::NotADirectory { .. })
    ));
}

#[test]
fn unreadable_malformed_and_unsigned_attestations_end_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (_, public) = key(KeyAlgorithm::Ed25519);
    let names = files(dir.path(), &["a.bin"]);
    let options = trusting(public);
    let e = run(
        &names,
        file(&dir.path().join("none.jsonl")),
        &options,
        &mut Record::default(),
    )
    .unwrap_err();
    assert!(matches!(
        e,
        VerifyError::Input(InputError::Unreadable { .. })
    ));
    assert_eq!(e.class(), FailureClass::Input);

    let truncated = dir.path().join("t.intoto.jsonl");
    std::fs::write(&truncated, "{\"payload\": \"ab").unwrap();
    let e = run(&names, file(&truncated), &options, &mut Record::default()).unwrap_err();
    assert!(matches!(e, VerifyError::Malformed { .. }), "{e:?}");

    let bare = dir.path().join("statement.json");
    let (name, digest) = subject_sha256(&names[0]);
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": digest}],
        "predicateType": "https://example.com/p",
        "predicate": {}
    });
    std::fs::write(&bare, serde_json::to_vec(&statement).unwrap()).unwrap();
    let mut rec = Record::default();
    let e = run(&names, file(&bare), &options, &mut rec).unwrap_err();
    assert!(matches!(e, VerifyError::Unsigned { .. }), "{e:?}");
    assert!(rec.lines.is_empty());
}

/// A bare statement with a minisign signature beside it verifies with the Ed25519 key; a
/// statement changed after signing does not.
#[test]
fn a_detached_signature_found_beside_the_statement() {
    use provseal_crypto::minisign::{self, MinisignMode};
    let dir = tempfile::tempdir().unwrap();
    let (signer, public) = key(KeyAlgorithm::Ed25519);
    let names = files(dir.path(), &["a.bin"]);
    let (name, digest) = subject_sha256(&names[0]);
    let statement = serde_json::to_vec(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": digest}],
        "predicateType": "https://example.com/p",
        "predicate": {}
    }))
    .unwrap();
    let path = dir.path().join("statement.json");
    std::fs::write(&path, &statement).unwrap();
    let sig = minisign::sign(
        statement.as_slice(),
        signer.as_ref(),
        minisign::keynum_for(&public),
        "trusted",
        "untrusted",
        MinisignMode::Prehashed,
    )
    .unwrap();
    std::fs::write(dir.path().join("statement.json.minisig"), sig).unwrap();
    let options = trusting(public);
    let mut rec = Record::default();
    let outcome = run(&names, file(&path), &options, &mut rec).unwrap();
    assert_eq!(outcome.tally.verified(), 1, "{:?}", rec.lines);

    let mut changed = statement.clone();
    changed.push(b' ');
    std::fs::write(&path, &changed).unwrap();
    let mut rec = Record::default();
    let outcome = run(&names, file(&path), &options, &mut rec).unwrap();
    assert_eq!(outcome.tally.failed(), 1);
    assert!(
        matches!(rec.errors[0], Some(VerifyError::Signature { .. })),
        "{:?}",
        rec.lines
    );
}

/// A passing run's VSA record signs into a VSA that the VSA checker accepts.
#[test]
fn the_vsa_of_a_passing_run_verifies() {
    use provseal_verify::vsa::{verify_vsa_bytes, VsaExpectations, PROVSEAL_VERIFIER_ID};
    let dir = tempfile::tempdir().unwrap();
    let (signer, public) = key(KeyAlgorithm::Ed25519);
    let (vsa_signer, vsa_public) = key(KeyAlgorithm::EcdsaP256);
    let names = files(dir.path(), &["a.bin", "b.bin"]);
    let subjects: Vec<_> = names.iter().map(|n| subject_sha256(n)).collect();
    let att = dir.path().join("all.intoto.jsonl");
    std::fs::write(&att, signed(signer.as_ref(), &subjects)).unwrap();
    let options = trusting(public);
    let attestations = file(&att);
    let outcome = session::verify(
        &VerifyRequest {
            artifacts: &names,
            attestations: &attestations,
            check: Check::Documents {
                options: &options,
                policy: None,
                now: jiff::Timestamp::now(),
            },
            keep_results: KeepResults::No,
            record_vsa: true,
        },
        &mut Record::default(),
    )
    .unwrap();
    assert_eq!(outcome.tally.failed(), 0);
    let envelope = outcome
        .vsa
        .unwrap()
        .sign(&VsaSettings {
            policy: None,
            resource_uri: "pkg:pypi/a",
            time_verified: jiff::Timestamp::now(),
            signer: vsa_signer.as_ref(),
        })
        .unwrap();
    let expected = VsaExpectations {
        subject_digests: subjects
            .iter()
            .map(|(_, d)| format!("sha256:{}", d["sha256"].as_str().unwrap()))
            .collect(),
        verifier_id: PROVSEAL_VERIFIER_ID.to_string(),
        resource_uri: "pkg:pypi/a".into(),
        verified_levels: vec!["SLSA_BUILD_LEVEL_1".into()],
        public_key_id: None,
    };
    let v = verify_vsa_bytes(envelope.to_json().as_bytes(), &[vsa_public], &expected).unwrap();
    assert_eq!(v.predicate.verifier.id, PROVSEAL_VERIFIER_ID);
}
