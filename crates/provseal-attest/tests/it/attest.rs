//! `pipeline::attest`: every output shape, written atomically; existing outputs and `--force`;
//! provseal's own outputs never subjects; the result verified by provseal-verify.

use provseal_attest::observer::Recorded;
use provseal_attest::{pipeline, AttestError, OutputFormat, Overwrite, Shape, Written};
use provseal_testsupport::Project;

use crate::{block_whl_output, events, key, out, per_subject, request, tree, verify};

/// One statement over both products, in each format; each verifies with provseal-verify and
/// names the right subjects; nothing but the output appears in the project.
#[test]
fn single_statement_in_both_formats_verifies() {
    for format in [OutputFormat::IntotoJsonl, OutputFormat::SigstoreBundle] {
        let prj = Project::with_git();
        let (producer, public) = key();
        let mut rec = Recorded::default();
        let emitted = pipeline::attest(
            &request(&prj, &["dist/*"]),
            &out(Shape::Single { out: None }, format, Overwrite::Refuse),
            &producer,
            &mut rec,
        )
        .unwrap();
        let name = format.default_out();
        assert!(matches!(&emitted.written, Written::Single { path } if *path == name));
        let names: Vec<&str> = emitted.subjects.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["dist/tool-1.0.tar.gz", "dist/tool-1.0.whl"]);
        let listing = tree(prj.path());
        assert!(listing.contains(&name.display().to_string()), "{listing:?}");
        assert_eq!(listing.len(), 5, "{listing:?}");
        for artifact in ["dist/tool-1.0.tar.gz", "dist/tool-1.0.whl"] {
            let v = verify(
                &prj.file(&name.display().to_string()),
                &prj.file(artifact),
                &public,
            )
            .unwrap();
            assert_eq!(v.statement.subject.len(), 2);
        }
        // A file that is not a subject does not verify against it.
        assert!(verify(
            &prj.file(&name.display().to_string()),
            &prj.file("tool.py"),
            &public
        )
        .is_err());
        // Every byte of both products was reported to the observer while hashing.
        assert_eq!(
            rec.hashed_bytes.load(std::sync::atomic::Ordering::Relaxed),
            (b"tarball bytes".len() + b"wheel bytes".len()) as u64
        );
        assert_eq!(
            events(&rec),
            format!(
                "hashing 2 file(s)\nhashed\nwritten: Single {{ path: {:?} }}",
                name
            )
        );
    }
}

/// Per-subject and batch shapes: exactly the planned files, each verifying alone; no staging
/// file left.
#[test]
fn per_subject_and_batch_write_exactly_their_files() {
    let prj = Project::with_git();
    let (producer, public) = key();
    let emitted = pipeline::attest(
        &request(&prj, &["dist/*"]),
        &per_subject(Overwrite::Refuse),
        &producer,
        &mut Recorded::default(),
    )
    .unwrap();
    assert_eq!(emitted.signing_operations(), 2);
    for artifact in ["dist/tool-1.0.tar.gz", "dist/tool-1.0.whl"] {
        let att = prj.file(&format!("{artifact}.intoto.jsonl"));
        let v = verify(&att, &prj.file(artifact), &public).unwrap();
        assert_eq!(v.statement.subject.len(), 1, "one subject each");
    }
    let emitted = pipeline::attest(
        &request(&prj, &["dist/*.whl", "dist/*.gz"]),
        &out(
            Shape::Batch { dir: "att".into() },
            OutputFormat::IntotoJsonl,
            Overwrite::Refuse,
        ),
        &producer,
        &mut Recorded::default(),
    )
    .unwrap();
    assert_eq!(emitted.signing_operations(), 1);
    assert_eq!(
        tree(prj.path()),
        [
            ".gitignore",
            "att/tool-1.0.tar.gz.provseal.json",
            "att/tool-1.0.whl.provseal.json",
            "dist/tool-1.0.tar.gz",
            "dist/tool-1.0.tar.gz.intoto.jsonl",
            "dist/tool-1.0.whl",
            "dist/tool-1.0.whl.intoto.jsonl",
            "tool.py",
        ]
    );
    let v = verify(
        &prj.file("att/tool-1.0.whl.provseal.json"),
        &prj.file("dist/tool-1.0.whl"),
        &public,
    )
    .unwrap();
    assert_eq!(
        v.statement.subject[0].name.as_deref(),
        Some("dist/tool-1.0.whl")
    );
    // The other product is not in this entry.
    assert!(verify(
        &prj.file("att/tool-1.0.whl.provseal.json"),
        &prj.file("dist/tool-1.0.tar.gz"),
        &public,
    )
    .is_err());
}

/// An existing output is refused before any hashing and left untouched; with `Overwrite::Allow`
/// it is replaced, and provseal's own earlier outputs matched by the pattern are not attested
/// (unless named literally).
#[test]
fn existing_outputs_force_and_own_outputs() {
    let prj = Project::with_git();
    let (producer, public) = key();
    std::fs::write(prj.file("dist/tool-1.0.whl.intoto.jsonl"), b"earlier").unwrap();
    std::fs::write(prj.file("dist/tool-1.0.tar.gz.intoto.jsonl"), b"earlier").unwrap();
    let mut rec = Recorded::default();
    let e = pipeline::attest(
        &request(&prj, &["dist/*"]),
        &per_subject(Overwrite::Refuse),
        &producer,
        &mut rec,
    )
    .unwrap_err();
    assert!(
        matches!(&e, AttestError::OutputExists { path } if path.to_str() == Some("dist/tool-1.0.tar.gz.intoto.jsonl")),
        "{e}"
    );
    assert!(rec.events.is_empty(), "nothing hashed: {:?}", rec.events);
    assert_eq!(
        std::fs::read(prj.file("dist/tool-1.0.whl.intoto.jsonl")).unwrap(),
        b"earlier"
    );

    let emitted = pipeline::attest(
        &request(&prj, &["dist/*"]),
        &per_subject(Overwrite::Allow),
        &producer,
        &mut rec,
    )
    .unwrap();
    let names: Vec<&str> = emitted.subjects.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["dist/tool-1.0.tar.gz", "dist/tool-1.0.whl"]);
    assert_eq!(
        rec.events[0],
        "own outputs skipped: [\"dist/tool-1.0.tar.gz.intoto.jsonl\", \"dist/tool-1.0.whl.intoto.jsonl\"]"
    );
    verify(
        &prj.file("dist/tool-1.0.whl.intoto.jsonl"),
        &prj.file("dist/tool-1.0.whl"),
        &public,
    )
    .unwrap();

    // Named literally, an attestation file is a subject like any other.
    let emitted = pipeline::attest(
        &request(&prj, &["dist/tool-1.0.whl.intoto.jsonl"]),
        &out(
            Shape::Single {
                out: Some("meta.intoto.jsonl".into()),
            },
            OutputFormat::IntotoJsonl,
            Overwrite::Refuse,
        ),
        &producer,
        &mut Recorded::default(),
    )
    .unwrap();
    assert_eq!(emitted.subjects[0].0, "dist/tool-1.0.whl.intoto.jsonl");
}

/// All or nothing: when one per-subject output cannot be replaced (a directory), no output is
/// written at all, and no staging file is left behind.
#[test]
fn per_subject_outputs_are_all_or_nothing() {
    let prj = Project::with_git();
    let (producer, _) = key();
    let blocked = block_whl_output(&prj);
    let before = tree(prj.path());
    let e = pipeline::attest(
        &request(&prj, &["dist/tool-1.0.tar.gz", "dist/tool-1.0.whl"]),
        &per_subject(Overwrite::Allow),
        &producer,
        &mut Recorded::default(),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), blocked);
    assert_eq!(tree(prj.path()), before);
}

/// Outside git the source is recorded as absent, and the observer is told.
#[test]
fn outside_git_the_source_is_absent() {
    let prj = Project::new();
    let (producer, public) = key();
    let mut rec = Recorded::default();
    pipeline::attest(
        &request(&prj, &["dist/tool-1.0.whl"]),
        &out(
            Shape::Single {
                out: Some("p.intoto.jsonl".into()),
            },
            OutputFormat::IntotoJsonl,
            Overwrite::Refuse,
        ),
        &producer,
        &mut rec,
    )
    .unwrap();
    assert!(
        rec.events.contains(&"source absent".to_string()),
        "{:?}",
        rec.events
    );
    let v = verify(
        &prj.file("p.intoto.jsonl"),
        &prj.file("dist/tool-1.0.whl"),
        &public,
    )
    .unwrap();
    let prov = v.provenance.as_ref().unwrap();
    assert!(prov.build_definition.resolved_dependencies.is_empty());
}
