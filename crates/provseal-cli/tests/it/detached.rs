//! Issue 16: a statement file with a detached signature, verified against the artifact in one
//! command. The seed-flow scripts (`examples/seed-flows/`) run with the real peers; the other
//! tests sign with provseal itself and check every failure class.

use provseal_testsupport::verify_args;
use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use provseal_testsupport::stack::{peer_bin, SigstoreStack};

use crate::Project;

/// Runs `examples/seed-flows/SCRIPT` in a fresh directory with this build of provseal; asserts
/// it ends with `flow N: OK`.
fn run_seed_flow(script: &str, env: &[(&str, &Path)]) {
    let root = provseal_testsupport::workspace_root();
    let provseal = Command::cargo_bin("provseal").unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("examples/seed-flows").join(script))
        .arg(work.path())
        .env("PROVSEAL", provseal.get_program())
        .env("HOME", work.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({:?}):\n{stdout}\n{stderr}",
        out.status
    );
    let n = &script[..1];
    assert!(
        stdout.trim_end().ends_with(&format!("flow {n}: OK")),
        "{stdout}"
    );
    assert!(!stdout.contains("panicked") && !stderr.contains("panicked"));
}

#[test]
fn seed_flow_1_minisign_and_openssl() {
    for (tool, probe) in [("minisign", &["-v"][..]), ("openssl", &["version"][..])] {
        if !provseal_testsupport::require_tool("seed_flow_1", tool, probe) {
            return;
        }
    }
    run_seed_flow("1-minisign-openssl.sh", &[]);
}

/// Runs a seed flow that needs the local Sigstore stack and cosign (skipped without them,
/// except under CI).
fn run_stack_flow(test: &str, script: &str) {
    let Some(stack) = SigstoreStack::from_env(test) else {
        return;
    };
    let Some(cosign) = peer_bin("cosign") else {
        return;
    };
    if !provseal_testsupport::require_tool(test, "curl", &["--version"]) {
        return;
    }
    run_seed_flow(
        script,
        &[("PROVSEAL_SIGSTORE_STACK", &stack.dir), ("COSIGN", &cosign)],
    );
}

#[test]
fn seed_flow_2_cosign_sign_blob_key_and_keyless() {
    run_stack_flow("seed_flow_2", "2-cosign-sign-blob.sh");
}

#[test]
fn seed_flow_3_provseal_sign_blob_keyless_verified_by_cosign() {
    run_stack_flow("seed_flow_3", "3-provseal-sign-blob-keyless.sh");
}

#[test]
fn seed_flow_4_provseal_run_signed_at_once() {
    if !provseal_testsupport::require_tool("seed_flow_4", "git", &["--version"]) {
        return;
    }
    run_seed_flow("4-provseal-run.sh", &[]);
}

/// The Phase-1 statement shape (Statement v0.1, SLSA v0.2) for `dist/tool-1.0.whl`.
fn write_statement(prj: &Project) {
    let digest = sha256_hex(&std::fs::read(prj.file("dist/tool-1.0.whl")).unwrap());
    let st = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "tool-1.0.whl", "digest": {"sha256": digest}}],
        "predicate": {
            "builder": {"id": "https://ci.example/builder"},
            "buildType": "https://ci.example/build@v1",
            "invocation": {"configSource": {
                "uri": "git+https://github.com/example/tool@refs/tags/v1.0",
                "digest": {"sha1": "9f2c4d8e1a7b3c5d6e0f1a2b3c4d5e6f7a8b9c0d"},
                "entryPoint": "release.yml"}}
        }
    });
    let text = serde_json::to_string_pretty(&st).unwrap() + "\n";
    std::fs::write(prj.file("provenance.json"), text).unwrap();
}

fn sha256_hex(data: &[u8]) -> String {
    let out = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(data)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

/// `provseal sign-blob provenance.json --key KEY --format FORMAT --out OUT`.
fn sign_statement(prj: &Project, key: &str, format: &str, out: &str) {
    let (c, _, err) = prj.run(&[
        "sign-blob",
        "provenance.json",
        "--key",
        key,
        "--format",
        format,
        "--out",
        out,
    ]);
    assert_eq!(c, 0, "{err}");
}

fn verify(prj: &Project, artifact: &str, statement: &str, sig: &str, key: &str) -> (i32, String) {
    let (c, out, err) = prj.run(&[
        "verify",
        artifact,
        "--attestation",
        statement,
        "--signature",
        sig,
        "--key",
        key,
    ]);
    assert!(!out.contains("panicked") && !err.contains("panicked"));
    (c, format!("{out}{err}"))
}

/// The four checks of the issue, for a signature made by provseal itself.
fn four_checks(prj: &Project, sig: &str, key: &str, other_key: &str) {
    let (c, out) = verify(prj, "dist/tool-1.0.whl", "provenance.json", sig, key);
    assert_eq!(c, 0, "{sig}: {out}");
    assert!(
        out.contains("dist/tool-1.0.whl: verified: signed by key"),
        "{out}"
    );

    // an artifact one byte off: exit 1, both digests named
    let good = std::fs::read(prj.file("dist/tool-1.0.whl")).unwrap();
    let mut off = good.clone();
    off[0] ^= 1;
    std::fs::write(prj.file("off.whl"), &off).unwrap();
    let (c, out) = verify(prj, "off.whl", "provenance.json", sig, key);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains(&sha256_hex(&good)), "expected digest: {out}");
    assert!(out.contains(&sha256_hex(&off)), "actual digest: {out}");

    // a statement one byte off: the signature fails, exit 1
    let st = std::fs::read_to_string(prj.file("provenance.json")).unwrap();
    std::fs::write(
        prj.file("tampered.json"),
        st.replacen("release.yml", "release.ym1", 1),
    )
    .unwrap();
    let (c, out) = verify(prj, "dist/tool-1.0.whl", "tampered.json", sig, key);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("signature does not verify"), "{out}");
    assert!(out.contains(sig), "names the signature: {out}");

    // another key: exit 1
    let (c, out) = verify(prj, "dist/tool-1.0.whl", "provenance.json", sig, other_key);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("signature does not verify"), "{out}");
}

#[test]
fn provseal_made_detached_signatures_minisign_and_raw() {
    let prj = Project::new();
    write_statement(&prj);
    prj.keygen("ed", "ed25519");
    prj.keygen("ec", "ecdsa-p256");
    prj.keygen("other", "ed25519");
    prj.keygen("other-ec", "ecdsa-p256");
    let sign = |key: &str, format: &str, out: &str| sign_statement(&prj, key, format, out);
    sign("ed.key", "minisign", "p.minisig");
    sign("ed.key", "minisign-legacy", "p.legacy.minisig");
    sign("ed.key", "raw", "p.ed.sig");
    sign("ec.key", "raw", "p.ec.sig");
    // the minisign form of the public key works as well as the PEM one
    let (c, pubkey, err) = prj.run(&["key", "export", "ed.pub", "--format", "minisign"]);
    assert_eq!(c, 0, "{err}");
    std::fs::write(prj.file("ed.minisign.pub"), pubkey).unwrap();
    four_checks(&prj, "p.minisig", "ed.pub", "other.pub");
    four_checks(&prj, "p.minisig", "ed.minisign.pub", "other.pub");
    four_checks(&prj, "p.legacy.minisig", "ed.pub", "other.pub");
    four_checks(&prj, "p.ed.sig", "ed.pub", "other.pub");
    four_checks(&prj, "p.ec.sig", "ec.pub", "other-ec.pub");

    // found beside the statement when --signature is omitted
    std::fs::copy(prj.file("p.ec.sig"), prj.file("provenance.json.sig")).unwrap();
    let (c, out, err) = prj.run(&verify_args(
        "dist/tool-1.0.whl",
        "provenance.json",
        "ec.pub",
        &[],
    ));
    assert_eq!(c, 0, "{out}{err}");
    // … and a policy may name a minisign public key as a signer
    std::fs::write(
        prj.file("policy.toml"),
        "[[signers]]\nname = \"release\"\nkey = \"ed.minisign.pub\"\n",
    )
    .unwrap();
    let (c, out, err) = prj.run(&[
        "verify",
        "dist/tool-1.0.whl",
        "--attestation",
        "provenance.json",
        "--signature",
        "p.minisig",
        "--policy",
        "policy.toml",
        "--json",
    ]);
    assert_eq!(c, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["verified"], true, "{report}");
}

/// `inspect --json` of an unsigned statement (the text form and the refusal to verify one are
/// in [`detached_transcripts`]).
#[test]
fn inspect_json_of_an_unsigned_statement() {
    let prj = Project::new();
    write_statement(&prj);
    let (c, out, _) = prj.run(&["inspect", "provenance.json", "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["signed"], false);
    assert_eq!(v[0]["format"], "unsigned-statement");
    assert_eq!(v[0]["predicateType"], "https://slsa.dev/provenance/v0.2");
}

#[test]
fn malformed_detached_inputs_are_exit_2_naming_the_file() {
    let prj = Project::new();
    write_statement(&prj);
    prj.keygen("ed", "ed25519");
    prj.keygen("ec", "ecdsa-p256");
    sign_statement(&prj, "ed.key", "minisign", "provenance.json.minisig");
    let (c, _, err) = prj.run(&[
        "attest",
        "--key",
        "ed.key",
        "--subject",
        "dist/tool-1.0.whl",
        "--out",
        "att.intoto.jsonl",
    ]);
    assert_eq!(c, 0, "{err}");
    std::fs::write(prj.file("notjson.json"), "this is not json\n").unwrap();
    std::fs::write(prj.file("other.json"), "{\"name\": \"tool\"}\n").unwrap();
    std::fs::write(prj.file("random.sig"), b"0123456789").unwrap();
    std::fs::write(prj.file("notbundle.sig"), "{\"a\": 1}").unwrap();
    let dsse_bundle = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"dsseEnvelope":{"payload":"","payloadType":"x","signatures":[]}}"#;
    std::fs::write(prj.file("dsse.sigstore"), dsse_bundle).unwrap();
    let cases: &[(&str, &str, &str, &str)] = &[
        // statement file, signature, key, what the message must name
        (
            "notjson.json",
            "provenance.json.minisig",
            "ed.pub",
            "`notjson.json` is malformed: not JSON",
        ),
        (
            "other.json",
            "provenance.json.minisig",
            "ed.pub",
            "`other.json` is malformed: not an in-toto statement",
        ),
        (
            "provenance.json",
            "att.intoto.jsonl",
            "ed.pub",
            "`att.intoto.jsonl` is malformed: holds a signed attestation (DSSE)",
        ),
        (
            "provenance.json",
            "dsse.sigstore",
            "ed.pub",
            "`dsse.sigstore` is malformed: holds a signed attestation",
        ),
        (
            "provenance.json",
            "ed.pub",
            "ed.pub",
            "`ed.pub` is malformed: not a signature",
        ),
        (
            "provenance.json",
            "random.sig",
            "ed.pub",
            "`random.sig` is malformed: not a signature",
        ),
        (
            "provenance.json",
            "notbundle.sig",
            "ed.pub",
            "`notbundle.sig` is malformed: is JSON but not a Sigstore bundle",
        ),
        (
            "provenance.json",
            "provenance.json.minisig",
            "ec.pub",
            "`provenance.json.minisig`: a minisign signature is Ed25519",
        ),
        ("provenance.json", "missing.sig", "ed.pub", "missing.sig"),
    ];
    for (statement, sig, key, needle) in cases {
        let (c, out) = verify(&prj, "dist/tool-1.0.whl", statement, sig, key);
        assert_eq!(c, 2, "{statement} + {sig}: {out}");
        assert!(
            out.contains(needle),
            "{statement} + {sig}: lacks {needle:?}: {out}"
        );
        assert!(!out.contains(": verified"), "{out}");
    }
    // a key file that is neither PEM nor minisign
    std::fs::write(prj.file("bad.pub"), "hello\n").unwrap();
    let (c, out) = verify(
        &prj,
        "dist/tool-1.0.whl",
        "provenance.json",
        "provenance.json.minisig",
        "bad.pub",
    );
    assert_eq!(c, 2, "{out}");
    assert!(
        out.contains("`bad.pub` is malformed: neither a PEM nor a minisign public key"),
        "{out}"
    );
}

/// Every file provseal writes for a statement is signed: attest and run in every shape and
/// format, and the VSA. A writer that put a bare statement on disk would fail here.
#[test]
fn no_writer_writes_an_unsigned_statement() {
    let prj = Project::with_git();
    prj.keygen("ci", "ed25519");
    // Every signer (a key; keyless against the local stack, when there is one) in every shape.
    let mut signers: Vec<(&str, Vec<String>)> =
        vec![("key", vec!["--key".into(), "ci.key".into()])];
    if let Some(stack) = SigstoreStack::from_env("no_writer_writes_an_unsigned_statement (keyless)")
    {
        std::fs::write(prj.file("id-token"), stack.token()).unwrap();
        let keyless = [
            "--keyless",
            "--identity-token",
            "@id-token",
            "--signing-config",
        ];
        let mut args: Vec<String> = keyless.iter().map(|a| a.to_string()).collect();
        args.push(stack.signing_config.display().to_string());
        signers.push(("keyless", args));
    }
    std::fs::create_dir_all(prj.file("o")).unwrap();
    for (name, signer) in &signers {
        let shapes: [Vec<String>; 4] = [
            vec![
                "--subject",
                "dist/*",
                "--out",
                &format!("o/{name}.intoto.jsonl"),
            ],
            vec![
                "--subject",
                "dist/*",
                "--format",
                "sigstore-bundle",
                "--out",
                &format!("o/{name}.sigstore.json"),
            ],
            vec!["--subject", "dist/*", "--batch", &format!("o/{name}-batch")],
            vec![
                "--subject",
                "dist/*.whl",
                "--out",
                &format!("o/{name}-run.intoto.jsonl"),
                "--",
                "true",
            ],
        ]
        .map(|v| v.into_iter().map(String::from).collect());
        for (k, shape) in shapes.iter().enumerate() {
            let mut args: Vec<&str> = vec![if k == 3 { "run" } else { "attest" }];
            args.extend(signer.iter().map(String::as_str));
            args.extend(shape.iter().map(String::as_str));
            let (c, _, err) = prj.run(&args);
            assert_eq!(c, 0, "{args:?}: {err}");
        }
    }
    let (c, _, err) = prj.run(&verify_args(
        "dist/tool-1.0.whl",
        "o/key.intoto.jsonl",
        "ci.pub",
        &[
            "--vsa-out",
            "o/vsa.intoto.jsonl",
            "--vsa-key",
            "ci.key",
            "--resource-uri",
            "pkg:pypi/tool@1.0",
        ],
    ));
    assert_eq!(c, 0, "{err}");
    let mut files = Vec::new();
    let mut stack = vec![prj.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if !p.ends_with(".git") {
                    stack.push(p);
                }
            } else {
                files.push(p);
            }
        }
    }
    let mut checked = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let whole = std::iter::once(&bytes[..]);
        for doc in whole.chain(bytes.split(|b| *b == b'\n')) {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(doc) else {
                continue;
            };
            let t = v.get("_type").and_then(|t| t.as_str()).unwrap_or_default();
            assert!(
                !t.starts_with("https://in-toto.io/Statement/"),
                "`{}` holds an unsigned statement",
                f.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 5 * signers.len(),
        "only {checked} JSON documents written: {files:?}"
    );
}

/// The transcripts of the detached form, locked.
#[test]
fn detached_transcripts() {
    let prj = Project::new();
    write_statement(&prj);
    prj.keygen("ed", "ed25519");
    prj.keygen("other", "ed25519");
    let verify = |extra: &[&'static str]| {
        let mut args = vec![
            "verify",
            "dist/tool-1.0.whl",
            "--attestation",
            "provenance.json",
        ];
        args.extend_from_slice(extra);
        args
    };
    let unsigned: [(&str, Vec<&str>); 2] = [
        (
            "detached_inspect_unsigned",
            vec!["inspect", "provenance.json"],
        ),
        ("detached_unsigned_refused", verify(&["--key", "ed.pub"])),
    ];
    let signed: [(&str, Vec<&str>); 4] = [
        (
            "detached_verified",
            verify(&["--signature", "provenance.json.minisig", "--key", "ed.pub"]),
        ),
        ("detached_found_beside", verify(&["--key", "ed.pub"])),
        ("detached_other_key", verify(&["--key", "other.pub"])),
        (
            "detached_wrong_kind",
            verify(&["--signature", "ed.pub", "--key", "ed.pub"]),
        ),
    ];
    let snapshot = |name: &str, args: &[&str]| {
        let text = prj.transcript(args);
        provseal_testsupport::insta::with_settings!({
            filters => provseal_testsupport::project::snapshot_filters(),
            prepend_module_to_snapshot => false,
        }, {
            provseal_testsupport::insta::assert_snapshot!(name, text);
        });
    };
    for (name, args) in &unsigned {
        snapshot(name, args);
    }
    sign_statement(&prj, "ed.key", "minisign", "provenance.json.minisig");
    for (name, args) in &signed {
        snapshot(name, args);
    }
}
