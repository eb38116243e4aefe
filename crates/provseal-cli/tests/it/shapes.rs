//! The three attestation shapes (multi-subject, per-artifact, batch), `--attestation-dir`, and
//! key-signed Sigstore bundles, through the binary.

use crate::Project;
use provseal_testsupport::verify_args;

fn many(prj: &Project, n: usize) {
    std::fs::create_dir_all(prj.file("out/sub")).unwrap();
    for i in 0..n {
        std::fs::write(prj.file(&format!("out/pkg-{i}.whl")), format!("wheel {i}")).unwrap();
    }
    std::fs::write(prj.file("out/sub/pkg-0.whl"), "same basename, other dir").unwrap();
}

#[test]
fn batch_one_signature_entries_verify_alone() {
    let prj = Project::with_git();
    prj.keygen("ci", "ed25519");
    many(&prj, 25);
    let (c, out, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "out/**/*.whl",
        "--batch",
        "att",
        "--json",
    ]);
    assert_eq!(c, 0, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["signingOperations"], 1);
    assert_eq!(summary["treeSize"], 26);
    assert_eq!(summary["entries"].as_array().unwrap().len(), 26);
    // one entry alone
    let (c, out, err) = prj.run(&verify_args(
        "out/pkg-3.whl",
        "att/pkg-3.whl.provseal.json",
        "ci.pub",
        &[],
    ));
    assert_eq!(c, 0, "{out}{err}");
    // inspect reads an entry: its own statement, one subject
    let (c, out, err) = prj.run(&["inspect", "att/pkg-3.whl.provseal.json", "--json"]);
    assert_eq!(c, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["format"], "provseal-batch-entry");
    assert_eq!(v[0]["subjects"][0]["name"], "out/pkg-3.whl");
    assert_eq!(v[0]["subjects"].as_array().unwrap().len(), 1);
    // every artifact, found by name in the directory (clashing basenames included)
    let mut args = vec!["verify".to_string()];
    for i in 0..25 {
        args.push(format!("out/pkg-{i}.whl"));
    }
    args.push("out/sub/pkg-0.whl".into());
    args.extend(["--attestation-dir", "att", "--key", "ci.pub", "--json"].map(String::from));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (c, out, err) = prj.run(&argv);
    assert_eq!(c, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["results"].as_array().unwrap().len(), 26);
    // an entry presented for another artifact fails; a tampered entry fails
    let (c, out, _) = prj.run(&verify_args(
        "out/pkg-4.whl",
        "att/pkg-3.whl.provseal.json",
        "ci.pub",
        &[],
    ));
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("is not a subject"), "{out}");
    let entry = std::fs::read_to_string(prj.file("att/pkg-3.whl.provseal.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&entry).unwrap();
    let idx = v["proof"]["leafIndex"].as_u64().unwrap();
    v["proof"]["leafIndex"] = serde_json::json!(idx ^ 1);
    std::fs::write(prj.file("bad.provseal.json"), v.to_string()).unwrap();
    let (c, out, _) = prj.run(&verify_args(
        "out/pkg-3.whl",
        "bad.provseal.json",
        "ci.pub",
        &[],
    ));
    assert_eq!(c, 1, "{out}");
    // entries are refused over existing files without --force
    let (c, _, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "out/pkg-1.whl",
        "--batch",
        "att",
    ]);
    assert_eq!(c, 2, "{err}");
    // a missing attestation in the directory is an input error naming the artifact
    std::fs::write(prj.file("out/new.whl"), "new").unwrap();
    let (c, out, _) = prj.run(&[
        "verify",
        "out/new.whl",
        "--attestation-dir",
        "att",
        "--key",
        "ci.pub",
    ]);
    assert_eq!(c, 2, "{out}");
    assert!(out.contains("no attestation for `out/new.whl`"), "{out}");
}

#[test]
fn per_subject_and_sigstore_bundle_shapes() {
    let prj = Project::with_git();
    prj.keygen("ci", "ecdsa-p256");
    let (c, out, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "dist/*",
        "--per-subject",
        "--json",
    ]);
    assert_eq!(c, 0, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["signingOperations"], 2);
    for f in ["dist/tool-1.0.tar.gz", "dist/tool-1.0.whl"] {
        let att = format!("{f}.intoto.jsonl");
        let (c, out, _) = prj.run(&["inspect", &att, "--json"]);
        assert_eq!(c, 0);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v[0]["subjects"].as_array().unwrap().len(),
            1,
            "one subject each"
        );
        let (c, out, err) = prj.run(&["verify", f, "--attestation", &att, "--key", "ci.pub"]);
        assert_eq!(c, 0, "{out}{err}");
    }
    let (c, out, err) = prj.run(&[
        "verify",
        "dist/tool-1.0.whl",
        "dist/tool-1.0.tar.gz",
        "--attestation-dir",
        "dist",
        "--key",
        "ci.pub",
    ]);
    assert_eq!(c, 0, "{out}{err}");

    // key-signed Sigstore bundle v0.3
    let (c, _, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "dist/*",
        "--format",
        "sigstore-bundle",
    ]);
    assert_eq!(c, 0, "{err}");
    let bundle: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(prj.file("provenance.sigstore.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        bundle["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert!(bundle["verificationMaterial"]["publicKey"]["hint"].is_string());
    assert!(bundle["dsseEnvelope"]["signatures"][0]
        .get("keyid")
        .is_none());
    let (c, out, err) = prj.run(&verify_args(
        "dist/tool-1.0.whl",
        "provenance.sigstore.json",
        "ci.pub",
        &[],
    ));
    assert_eq!(c, 0, "{out}{err}");
    prj.keygen("other", "ed25519");
    let (c, out, _) = prj.run(&verify_args(
        "dist/tool-1.0.whl",
        "provenance.sigstore.json",
        "other.pub",
        &[],
    ));
    assert_eq!(c, 1, "{out}");
}
