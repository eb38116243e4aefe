//! `pipeline::run`: a real build command in a temporary git repository, between two snapshots.

use provseal_attest::observer::Recorded;
use provseal_attest::{
    pipeline, AttestError, DriftPolicy, OutputFormat, Overwrite, RunOutcome, Shape, Written,
};
use provseal_testsupport::{git, Project};

use crate::{block_whl_output, key, out, per_subject, run_request, single, tree, verify};

/// Runs `req` into one statement in `name`, signed by `producer`, its events ignored.
fn run_into(
    req: &provseal_attest::RunRequest,
    producer: &provseal_attest::Producer,
    name: &str,
) -> Result<RunOutcome, AttestError> {
    pipeline::run(req, &single(name), producer, &mut Recorded::default())
}

/// The build makes a product; the statement names it with the right digest, records the git
/// source (without the remote's credentials), the command, the drift and the SBOM, and
/// verifies with provseal-verify. Products the build did not make are not subjects.
#[test]
fn a_real_build_is_attested_with_its_source_and_materials() {
    let prj = Project::with_git();
    let (producer, public) = key();
    let mut req = run_request(&prj, &["dist/app*"], "printf 'built by sh' > dist/app.bin");
    req.sbom = Some("sbom.cdx.json".into());
    let mut rec = Recorded::default();
    let outcome = pipeline::run(&req, &single("build.intoto.jsonl"), &producer, &mut rec).unwrap();
    let RunOutcome::Attested(report) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(report.drift_empty, "dist/ is ignored: {rec:?}");
    assert_eq!(
        report.sbom.as_deref(),
        Some(std::path::Path::new("sbom.cdx.json"))
    );
    assert!(matches!(report.emitted.written, Written::Single { .. }));
    let v = verify(
        &prj.file("build.intoto.jsonl"),
        &prj.file("dist/app.bin"),
        &public,
    )
    .unwrap();
    let subjects: Vec<_> = v
        .statement
        .subject
        .iter()
        .map(|s| {
            (
                s.name.clone().unwrap(),
                s.digest.get("sha256").map(str::to_owned),
            )
        })
        .collect();
    let built = provseal_crypto::hash::hash_reader(
        &b"built by sh"[..],
        &[provseal_crypto::hash::HashAlgorithm::Sha256],
    )
    .unwrap();
    assert_eq!(
        subjects,
        [(
            "dist/app.bin".to_string(),
            built.get("sha256").map(str::to_owned)
        )]
    );
    let prov = v.provenance.as_ref().unwrap();
    let head = git(prj.path(), &["rev-parse", "HEAD"]);
    let source = prov
        .build_definition
        .resolved_dependencies
        .iter()
        .find(|m| m.digest.get("gitCommit").is_some())
        .expect("the git source is a material");
    assert_eq!(source.digest.get("gitCommit"), Some(head.trim()));
    let text = String::from_utf8(std::fs::read(prj.file("build.intoto.jsonl")).unwrap()).unwrap();
    assert!(
        !text.contains("s3cr3t"),
        "credentials never reach the output"
    );
    let params = &prov.build_definition.external_parameters;
    assert_eq!(
        params["command"],
        serde_json::json!(["sh", "-c", "printf 'built by sh' > dist/app.bin"])
    );
    // The SBOM is written, and its digest is in the signed payload.
    let sbom_digest = sha256_of(&prj.file("sbom.cdx.json"));
    assert!(prov
        .run_details
        .byproducts
        .iter()
        .any(|b| b.digest.get("sha256") == Some(sbom_digest.as_str())));
    assert_eq!(
        rec.events,
        [
            "snapshot: 1 materials",
            "build: [\"sh\", \"-c\", \"printf 'built by sh' > dist/app.bin\"] after 1 materials",
            "drift: empty=true",
            "hashing 1 file(s)",
            "hashed",
            "written: Single { path: \"build.intoto.jsonl\" }",
        ]
    );
}

fn sha256_of(path: &std::path::Path) -> String {
    provseal_crypto::hash::hash_file(path, &[provseal_crypto::hash::HashAlgorithm::Sha256])
        .unwrap()
        .get("sha256")
        .unwrap()
        .to_owned()
}

/// An existing output stops the run before the build: the build's side effect never happens.
/// Checked for the single file, a per-subject output and a batch entry of a product a previous
/// build left, and the SBOM.
#[test]
fn an_existing_output_is_refused_before_the_build_runs() {
    let cases: [(&str, Shape, Option<&str>); 4] = [
        ("provenance.intoto.jsonl", Shape::Single { out: None }, None),
        ("dist/tool-1.0.whl.intoto.jsonl", Shape::PerSubject, None),
        ("sbom.json", Shape::Single { out: None }, Some("sbom.json")),
        (
            "att/tool-1.0.whl.provseal.json",
            Shape::Batch { dir: "att".into() },
            None,
        ),
    ];
    for (existing, shape, sbom) in cases {
        let prj = Project::with_git();
        let (producer, _) = key();
        std::fs::create_dir_all(prj.file(existing).parent().unwrap()).unwrap();
        std::fs::write(prj.file(existing), b"earlier").unwrap();
        let mut req = run_request(&prj, &["dist/*"], "touch side-effect");
        req.sbom = sbom.map(Into::into);
        let mut rec = Recorded::default();
        let e = pipeline::run(
            &req,
            &out(shape, OutputFormat::IntotoJsonl, Overwrite::Refuse),
            &producer,
            &mut rec,
        )
        .unwrap_err();
        assert!(
            matches!(&e, AttestError::OutputExists { path } if path.to_str() == Some(existing)),
            "{e}"
        );
        assert!(!prj.file("side-effect").exists(), "the build must not run");
        assert!(rec.events.is_empty(), "{:?}", rec.events);
        assert_eq!(std::fs::read(prj.file(existing)).unwrap(), b"earlier");
    }
}

/// `Overwrite::Allow` reruns over the previous outputs: provseal's own attestation files
/// matched by the subject pattern are not attested, and the previous file is replaced.
#[test]
fn a_forced_rerun_never_attests_its_own_outputs() {
    let prj = Project::with_git();
    let (producer, public) = key();
    let settings = out(
        Shape::PerSubject,
        OutputFormat::IntotoJsonl,
        Overwrite::Allow,
    );
    for _ in 0..2 {
        let mut rec = Recorded::default();
        let outcome = pipeline::run(
            &run_request(&prj, &["dist/*"], "true"),
            &settings,
            &producer,
            &mut rec,
        )
        .unwrap();
        let RunOutcome::Attested(report) = outcome else {
            panic!("{outcome:?}")
        };
        let names: Vec<&str> = report
            .emitted
            .subjects
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["dist/tool-1.0.tar.gz", "dist/tool-1.0.whl"]);
    }
    verify(
        &prj.file("dist/tool-1.0.whl.intoto.jsonl"),
        &prj.file("dist/tool-1.0.whl"),
        &public,
    )
    .unwrap();
    assert_eq!(tree(prj.path()).len(), 6, "{:?}", tree(prj.path()));
}

/// A failing build writes nothing and reports its code; a build that dirties the tracked source
/// under `DriftPolicy::Fail` writes nothing either.
#[test]
fn failed_or_drifting_builds_write_nothing() {
    let prj = Project::with_git();
    let (producer, _) = key();
    let before = tree(prj.path());
    let outcome = run_into(
        &run_request(&prj, &["dist/*"], "exit 7"),
        &producer,
        "p.intoto.jsonl",
    )
    .unwrap();
    assert!(
        matches!(outcome, RunOutcome::BuildFailed { code: 7 }),
        "{outcome:?}"
    );
    assert_eq!(tree(prj.path()), before);

    let mut req = run_request(&prj, &["dist/*"], "echo changed >> tool.py");
    req.drift = DriftPolicy::Fail;
    let mut rec = Recorded::default();
    let outcome = pipeline::run(&req, &single("p.intoto.jsonl"), &producer, &mut rec).unwrap();
    assert!(matches!(outcome, RunOutcome::Drifted), "{outcome:?}");
    assert!(
        rec.events.contains(&"drift: empty=false".to_string()),
        "{:?}",
        rec.events
    );
    assert!(!prj.file("p.intoto.jsonl").exists());
}

/// A build command that cannot start is an error naming it.
#[test]
fn a_missing_build_command_is_named() {
    let prj = Project::with_git();
    let (producer, _) = key();
    let mut req = run_request(&prj, &["dist/*"], "");
    req.command = vec!["provseal-no-such-command".into()];
    let e = run_into(&req, &producer, "p.intoto.jsonl").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot start the build command `provseal-no-such-command`: "),
        "{e}"
    );
}

/// A build that changes the tracked source is attested under `DriftPolicy::Record`, with the
/// drift inside the signed payload.
#[test]
fn drift_is_recorded_in_the_signed_payload() {
    let prj = Project::with_git();
    let (producer, public) = key();
    let req = run_request(&prj, &["dist/*.whl"], "echo changed >> tool.py");
    let outcome = run_into(&req, &producer, "p.intoto.jsonl").unwrap();
    let RunOutcome::Attested(report) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(!report.drift_empty);
    let v = verify(
        &prj.file("p.intoto.jsonl"),
        &prj.file("dist/tool-1.0.whl"),
        &public,
    )
    .unwrap();
    let prov = v.provenance.as_ref().unwrap();
    let drift = prov
        .run_details
        .byproducts
        .iter()
        .find(|b| b.name.as_deref() == Some(provseal_model::vocab::byproduct::DRIFT))
        .expect("the drift byproduct");
    assert_eq!(drift.annotations["empty"], serde_json::json!(false));
    let recorded =
        drift.annotations[provseal_model::vocab::byproduct::DRIFT_ANNOTATION].to_string();
    assert!(recorded.contains("tool.py"), "{recorded}");
}

/// The SBOM is written with the attestations or not at all: when one per-subject output cannot
/// be replaced, neither the SBOM nor any attestation appears (and the build did run).
#[test]
fn the_sbom_is_written_with_the_attestations_or_not_at_all() {
    let prj = Project::with_git();
    let (producer, _) = key();
    let blocked = block_whl_output(&prj);
    let mut req = run_request(&prj, &["dist/*.gz", "dist/*.whl"], "touch dist/built");
    req.sbom = Some("sbom.cdx.json".into());
    let e = pipeline::run(
        &req,
        &per_subject(Overwrite::Allow),
        &producer,
        &mut Recorded::default(),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), blocked);
    assert!(prj.file("dist/built").exists(), "the build ran");
    assert_eq!(
        tree(prj.path()),
        [
            ".gitignore",
            "dist/built",
            "dist/tool-1.0.tar.gz",
            "dist/tool-1.0.whl",
            "tool.py"
        ]
    );
}
