//! `provseal index`: exit codes (0 hits, 1 none or rejected, 2 bad input), rejected files
//! named with their code, a foreign or missing database refused, URL passwords never printed,
//! and exported envelopes that `provseal verify` accepts.

use crate::Project;
use provseal_testsupport::attest_args;

fn indexed_project() -> Project {
    let prj = Project::with_git();
    prj.keygen("k", "ed25519");
    prj.keygen("other", "ed25519");
    std::fs::create_dir_all(prj.file("att")).unwrap();
    for (key, out) in [
        ("k.key", "att/a.intoto.jsonl"),
        ("other.key", "att/b.intoto.jsonl"),
    ] {
        let (code, _, err) = prj.run(&attest_args(key, out, &[]));
        assert_eq!(code, 0, "{err}");
    }
    prj
}

#[test]
fn index_add_query_export_exit_codes() {
    let prj = indexed_project();
    let (code, out, err) = prj.run(&["index", "--db", "i.db", "add", "att", "--key", "k.pub"]);
    assert_eq!(code, 1, "one file is rejected: {err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("rejected: [signature-invalid] `att/b.intoto.jsonl`"),
        "{err}"
    );
    assert!(err.contains("indexed 1 new envelope(s)"), "{err}");

    let (code, by_artifact, err) = prj.run(&[
        "index",
        "--db",
        "i.db",
        "query",
        "artifact",
        "dist/tool-1.0.whl",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        by_artifact.contains("dist/tool-1.0.whl") && by_artifact.contains("signed by key"),
        "{by_artifact}"
    );
    let (code, out, _) = prj.run(&[
        "index", "--db", "i.db", "query", "signer", "--key", "k.pub", "--json",
    ]);
    assert_eq!(code, 0);
    let hits: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hits.as_array().map(Vec::len), Some(1), "{out}");
    // The streamed signer query (JSON lines as stored, human lines from the rows) says what
    // the JSON array and the artifact query say.
    let signer = ["index", "--db", "i.db", "query", "signer", "--key", "k.pub"];
    let (code, out, _) = prj.run(&[&signer[..], &["--jsonl"]].concat());
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(serde_json::Value::Array(lines), hits, "{out}");
    let (code, human, _) = prj.run(&signer);
    assert_eq!(code, 0);
    assert_eq!(human, by_artifact);
    let (code, out, _) = prj.run(&[
        "index",
        "--db",
        "i.db",
        "query",
        "signer",
        "--key",
        "other.pub",
    ]);
    assert_eq!((code, out.as_str()), (1, ""));
    let (code, out, err) = prj.run(&["index", "--db", "i.db", "query", "commit", "ffff"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    for bad in [
        vec!["query", "commit", "zz"],
        vec!["query", "package", "not a purl"],
        vec!["query", "artifact", "sha256:1234"],
    ] {
        let mut args = vec!["index", "--db", "i.db"];
        args.extend(bad.iter().copied());
        let (code, out, err) = prj.run(&args);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(
            out.is_empty() && err.starts_with("error: bad query"),
            "{bad:?}: {err}"
        );
    }

    let (code, _, err) = prj.run(&["index", "--db", "i.db", "export", "exported"]);
    assert_eq!(code, 0, "{err}");
    let file = std::fs::read_dir(prj.file("exported"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let (code, out, err) = prj.run(&[
        "verify",
        "dist/tool-1.0.whl",
        "--attestation",
        &file.display().to_string(),
        "--key",
        "k.pub",
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn index_refuses_foreign_and_missing_databases_and_hides_passwords() {
    let prj = indexed_project();
    std::fs::write(prj.file("notes.txt"), "just text, not a database\n").unwrap();
    let (code, _, err) = prj.run(&["index", "--db", "notes.txt", "add", "att", "--key", "k.pub"]);
    assert_eq!(code, 2);
    assert!(err.contains("`notes.txt` is not a provseal index"), "{err}");
    assert_eq!(
        std::fs::read_to_string(prj.file("notes.txt")).unwrap(),
        "just text, not a database\n"
    );

    let (code, _, err) = prj.run(&["index", "--db", "missing.db", "query", "commit", "abcd"]);
    assert_eq!(code, 2);
    assert!(err.contains("no index at `missing.db`"), "{err}");
    assert!(!prj.file("missing.db").exists());

    // Nothing listens on port 1: the connection fails, and the password is not in the message.
    let (code, _, err) = prj.run(&[
        "index",
        "--db",
        "postgres://auditor:hunter2secret@127.0.0.1:1/provseal",
        "query",
        "commit",
        "abcd",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("postgres://auditor:***@127.0.0.1:1/provseal"),
        "{err}"
    );
    assert!(!err.contains("hunter2secret"), "{err}");
}
