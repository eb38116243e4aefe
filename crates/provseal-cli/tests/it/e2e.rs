//! The quick start, end to end.

use crate::Project;
use provseal_testsupport::{attest_args, verify_args};

#[test]
fn quickstart_attest_verify_inspect() {
    let prj = Project::with_git();
    prj.keygen("ci", "ed25519");
    let meta = std::fs::metadata(prj.file("ci.key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    let (code, _, err) = prj.run(&attest_args("ci.key", "dist/provenance.intoto.jsonl", &[]));
    assert_eq!(code, 0, "{err}");
    let jsonl = std::fs::read_to_string(prj.file("dist/provenance.intoto.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), 1);
    assert!(
        !jsonl.contains("s3cr3t"),
        "credentials must be stripped from the remote"
    );

    let (code, out, err) = prj.run(&[
        "verify",
        "dist/tool-1.0.tar.gz",
        "dist/tool-1.0.whl",
        "--attestation",
        "dist/provenance.intoto.jsonl",
        "--key",
        "ci.pub",
        "--source-uri",
        "github.com/example/tool",
        "--builder-id",
        "https://provseal.dev/builders/cli/v1",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.lines()
            .all(|l| l.contains(": verified: signed by key ")),
        "{out}"
    );

    // JSON report
    let (code, out, _) = prj.run(&verify_args(
        "dist/tool-1.0.whl",
        "dist/provenance.intoto.jsonl",
        "ci.pub",
        &["--json"],
    ));
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["verified"], true);
    assert_eq!(report["results"][0]["artifact"], "dist/tool-1.0.whl");
    assert_eq!(
        report["results"][0]["sources"][0],
        "github.com/example/tool"
    );
    assert_eq!(
        report["results"][0]["buildType"],
        "https://provseal.dev/buildtypes/attest/v1"
    );

    // The statement inside: subjects named relative, source recorded clean.
    let (code, out, err) = prj.run(&["inspect", "dist/provenance.intoto.jsonl", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v[0]["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dist/tool-1.0.tar.gz", "dist/tool-1.0.whl"]);
    assert_eq!(v[0]["source"]["treeState"], "clean");
    assert!(v[0]["source"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("git+https://github.com/example/tool.git@refs/heads/main"));
    let (code, out, _) = prj.run(&["inspect", "dist/provenance.intoto.jsonl"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("predicate type: https://slsa.dev/provenance/v1"),
        "{out}"
    );

    // Verify by digest.
    let digest = v[0]["subjects"][1]["digest"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, out, _) = prj.run(&[
        "verify",
        &format!("sha256:{digest}"),
        "--attestation",
        "dist/provenance.intoto.jsonl",
        "--key",
        "ci.pub",
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn p256_sha512_env_key_outside_git() {
    let prj = Project::new();
    prj.keygen("k", "ecdsa-p256");
    let pem = std::fs::read_to_string(prj.file("k.key")).unwrap();
    let out = prj
        .cmd(&[
            "attest",
            "--key",
            "env://PROVSEAL_KEY",
            "--subject",
            "dist/tool-1.0.whl",
            "--digest",
            "sha256,sha512",
        ])
        .env("PROVSEAL_KEY", &pem)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("source is recorded as absent"), "{stderr}");
    assert!(!stderr.contains("PRIVATE KEY"));
    // the default output name, whatever the number of subjects
    let att = "provenance.intoto.jsonl";
    let (code, out, _) = prj.run(&["inspect", att, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v[0]["subjects"][0]["digest"];
    assert_eq!(d["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(d["sha512"].as_str().unwrap().len(), 128);
    assert!(v[0].get("source").is_none());
    let (code, out, _) = prj.run(&verify_args("dist/tool-1.0.whl", att, "k.pub", &[]));
    assert_eq!(code, 0, "{out}");
    // --source-uri cannot match when no source was recorded
    let (code, out, _) = prj.run(&verify_args(
        "dist/tool-1.0.whl",
        att,
        "k.pub",
        &["--source-uri", "github.com/x/y"],
    ));
    assert_eq!(code, 1);
    assert!(
        out.contains("source: expected `github.com/x/y`, found `none`"),
        "{out}"
    );
}

#[test]
fn encrypted_key_with_passphrase() {
    let prj = Project::new();
    let out = prj
        .cmd(&[
            "key",
            "generate",
            "--out",
            "enc",
            "--passphrase-env",
            "PASS",
        ])
        .env("PASS", "correct horse")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read_to_string(prj.file("enc.key"))
        .unwrap()
        .contains("ENCRYPTED PRIVATE KEY"));
    let ok = prj
        .cmd(&[
            "attest",
            "--key",
            "enc.key",
            "--passphrase-env",
            "PASS",
            "--subject",
            "dist/*",
        ])
        .env("PASS", "correct horse")
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(prj.file("provenance.intoto.jsonl").is_file());
}

#[test]
fn version_names_the_trusted_root_snapshot_date() {
    let prj = Project::new();
    let (c, out, _) = prj.run(&["--version"]);
    assert_eq!(c, 0);
    assert!(out.contains(env!("CARGO_PKG_VERSION")), "{out}");
    assert!(
        out.contains(provseal_sigstore::PRODUCTION_SNAPSHOT_DATE),
        "the long version must name the shipped snapshot's date: {out}"
    );
}
