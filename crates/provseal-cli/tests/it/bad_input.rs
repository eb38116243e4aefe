//! Bad input: every case gets a clear message naming the input and the reason, exit 1 or 2,
//! never a panic, never a partial output file, never an "OK".

use crate::Project;
use provseal_testsupport::{attest_args, verify_args};

fn attested() -> Project {
    let prj = Project::with_git();
    prj.keygen("ci", "ed25519");
    prj.attest("ci.key", "att.jsonl");
    prj
}

/// Asserts a failure: exit code, a message fragment on stdout or stderr, no panic.
fn assert_fails(prj: &Project, args: &[&str], code: i32, needle: &str) {
    let (c, out, err) = prj.run(args);
    let all = format!("{out}{err}");
    assert_eq!(c, code, "{args:?}: expected exit {code}, got {c}: {all}");
    assert!(
        all.contains(needle),
        "{args:?}: message lacks {needle:?}: {all}"
    );
    assert!(!all.contains("panicked"), "{all}");
    assert!(!all.contains(": verified"), "{all}");
}

#[test]
fn attest_bad_subjects_and_keys_leave_nothing_behind() {
    let prj = Project::new();
    prj.keygen("ci", "ed25519");
    let before = prj.listing();
    let cases: &[(&[&str], &str)] = &[
        (&["--subject", "dist/missing.tgz"], "dist/missing.tgz"),
        (&["--subject", "dist"], "is a directory"),
        (&["--subject", "dist/*.exe"], "matched no file"),
        (
            &["--subject", "../outside"],
            "outside the working directory",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["attest", "--key", "ci.key", "--out", "o.jsonl"];
        args.extend_from_slice(extra);
        assert_fails(&prj, &args, 2, needle);
    }
    // unreadable / wrong-type keys
    std::fs::write(prj.file("garbage.key"), "not a key").unwrap();
    for (key, needle) in [
        ("nope.key", "nope.key"),
        ("ci.pub", "ci.pub"),
        ("garbage.key", "garbage.key"),
        ("env://PROVSEAL_KEY", "PROVSEAL_KEY"),
    ] {
        assert_fails(&prj, &attest_args(key, "o.jsonl", &[]), 2, needle);
    }
    // nothing written but the key file the test itself made
    let mut want = before;
    want.push("garbage.key".to_string());
    want.sort();
    assert_eq!(prj.listing(), want);
    assert!(!prj.file("o.jsonl").exists());
}

#[test]
fn wrong_or_missing_passphrase() {
    let prj = Project::new();
    let out = prj
        .cmd(&["key", "generate", "--out", "enc", "--passphrase-env", "P"])
        .env("P", "right")
        .output()
        .unwrap();
    assert!(out.status.success());
    let (c, _, err) = prj.run(&attest_args("enc.key", "o.jsonl", &[]));
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("enc.key") && err.contains("hint:"), "{err}");
    let out = prj
        .cmd(&[
            "attest",
            "--key",
            "enc.key",
            "--passphrase-env",
            "P",
            "--subject",
            "dist/*",
            "--out",
            "o.jsonl",
        ])
        .env("P", "Zebra-7731")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("passphrase"), "{err}");
    assert!(
        !err.contains("Zebra-7731"),
        "the passphrase must not be echoed: {err}"
    );
    assert!(!prj.file("o.jsonl").exists());
}

#[test]
fn existing_output_is_refused_unless_forced() {
    let prj = attested();
    let before = std::fs::read(prj.file("att.jsonl")).unwrap();
    assert_fails(&prj, &attest_args("ci.key", "att.jsonl", &[]), 2, "--force");
    assert_eq!(std::fs::read(prj.file("att.jsonl")).unwrap(), before);
    let (c, _, err) = prj.run(&attest_args("ci.key", "att.jsonl", &["--force"]));
    assert_eq!(c, 0, "{err}");
    assert_ne!(std::fs::read(prj.file("att.jsonl")).unwrap(), before);
    // key generate never overwrites
    assert_fails(
        &prj,
        &["key", "generate", "--out", "ci"],
        2,
        "exists already",
    );
}

#[test]
fn verify_rejects_modified_artifact_and_other_key() {
    let prj = attested();
    prj.keygen("other", "ecdsa-p256");
    assert_fails(
        &prj,
        &verify_args("dist/tool-1.0.whl", "att.jsonl", "other.pub", &[]),
        1,
        "signature does not verify",
    );
    std::fs::write(prj.file("dist/tool-1.0.whl"), b"wheel bytes, modified").unwrap();
    assert_fails(
        &prj,
        &verify_args("dist/tool-1.0.whl", "att.jsonl", "ci.pub", &[]),
        1,
        "`dist/tool-1.0.whl` is a subject of the statement, but with another digest",
    );
    assert_fails(
        &prj,
        &verify_args(
            "dist/tool-1.0.tar.gz",
            "att.jsonl",
            "ci.pub",
            &["--builder-id", "https://x/y"],
        ),
        1,
        "builder.id: expected `https://x/y`, found `https://provseal.dev/builders/cli/v1`",
    );
    assert_fails(
        &prj,
        &verify_args("dist/nope", "att.jsonl", "ci.pub", &[]),
        2,
        "dist/nope",
    );
    assert_fails(
        &prj,
        &verify_args("dist", "att.jsonl", "ci.pub", &[]),
        2,
        "not a file",
    );
    assert_fails(
        &prj,
        &[
            "verify",
            "dist/tool-1.0.tar.gz",
            "--attestation",
            "att.jsonl",
        ],
        2,
        "--key",
    );
    assert_fails(
        &prj,
        &verify_args("dist/tool-1.0.tar.gz", "missing.jsonl", "ci.pub", &[]),
        2,
        "missing.jsonl",
    );
}

/// Signs `payload` with `payload_type` using the project's `ci.key` and writes it as `name`.
fn write_signed(prj: &Project, name: &str, payload_type: &str, payload: &[u8]) {
    let pem = std::fs::read(prj.file("ci.key")).unwrap();
    let signer = provseal_crypto::load_signer(&pem, None, "ci.key").unwrap();
    let env = provseal_crypto::dsse::sign(payload_type, payload.to_vec(), signer.as_ref()).unwrap();
    std::fs::write(prj.file(name), env.to_json() + "\n").unwrap();
}

#[test]
fn verify_rejects_malformed_envelopes_and_payloads() {
    let prj = attested();
    let good = std::fs::read_to_string(prj.file("att.jsonl")).unwrap();
    fn v(f: &str) -> Vec<&str> {
        verify_args("dist/tool-1.0.whl", f, "ci.pub", &[])
    }
    // truncated, garbled, empty
    std::fs::write(prj.file("trunc.jsonl"), &good[..good.len() / 2]).unwrap();
    assert_fails(&prj, &v("trunc.jsonl"), 2, "trunc.jsonl");
    std::fs::write(prj.file("garbled.jsonl"), "{{{ not json").unwrap();
    assert_fails(&prj, &v("garbled.jsonl"), 2, "malformed");
    std::fs::write(prj.file("empty.jsonl"), "").unwrap();
    assert_fails(&prj, &v("empty.jsonl"), 2, "empty");
    // base64 error in the payload
    let mut env: serde_json::Value = serde_json::from_str(good.trim()).unwrap();
    env["payload"] = serde_json::json!("!!!not base64!!!");
    std::fs::write(prj.file("b64.jsonl"), env.to_string()).unwrap();
    assert_fails(&prj, &v("b64.jsonl"), 2, "payload");
    // duplicate keys in the envelope itself
    let dup = good.trim().replacen("{", "{\"payloadType\":\"x\",", 1);
    std::fs::write(prj.file("dupenv.jsonl"), dup).unwrap();
    assert_fails(&prj, &v("dupenv.jsonl"), 2, "duplicate");
    // validly signed, but the payload is not JSON / has duplicate keys / wrong type
    write_signed(
        &prj,
        "notjson.jsonl",
        "application/vnd.in-toto+json",
        b"hello world",
    );
    assert_fails(
        &prj,
        &v("notjson.jsonl"),
        1,
        "the signed statement is invalid",
    );
    let stmt = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}}],"predicateType":"x","predicateType":"y"}"#;
    write_signed(
        &prj,
        "dupkeys.jsonl",
        "application/vnd.in-toto+json",
        stmt.as_bytes(),
    );
    assert_fails(&prj, &v("dupkeys.jsonl"), 1, "duplicate");
    write_signed(&prj, "ptype.jsonl", "text/plain", stmt.as_bytes());
    assert_fails(
        &prj,
        &v("ptype.jsonl"),
        1,
        "payloadType `text/plain` is not supported",
    );
}

#[test]
fn every_flipped_byte_of_the_envelope_fails() {
    let prj = attested();
    let good = std::fs::read_to_string(prj.file("att.jsonl")).unwrap();
    let line = good.trim_end().as_bytes().to_vec();
    let env: serde_json::Value = serde_json::from_slice(&line).unwrap();
    let keyid = env["signatures"][0]["keyid"].as_str().unwrap().to_string();
    // The `"keyid":"…"` member is an unauthenticated hint (DSSE): flipping a byte of its name
    // turns it into an unknown member, of its value into another hint; neither touches the
    // signed bytes, so the verdict must not change. Every other byte must make verify fail.
    let member = format!("\"keyid\":\"{keyid}\"");
    let keyid_at = String::from_utf8_lossy(&line).find(&member).unwrap() + 1;
    let keyid_len = member.len() - 2;
    let (mut failed, mut hint_only) = (0, 0);
    // Flip one bit of every byte.
    for i in 0..line.len() {
        let mut m = line.clone();
        m[i] ^= 0x01;
        std::fs::write(prj.file("m.jsonl"), &m).unwrap();
        let (c, out, err) = prj.run(&verify_args("dist/tool-1.0.whl", "m.jsonl", "ci.pub", &[]));
        assert!(!format!("{out}{err}").contains("panicked"));
        if (keyid_at..keyid_at + keyid_len).contains(&i) && line[i].is_ascii_alphanumeric() {
            // keyid is an unauthenticated hint: changing it must not change the verdict
            assert_eq!(c, 0, "keyid flip at {i}: {out}{err}");
            hint_only += 1;
        } else {
            assert!(c == 1 || c == 2, "flip at byte {i} verified: {out}{err}");
            failed += 1;
        }
    }
    assert!(failed > 1000 && hint_only > 60, "{failed} {hint_only}");
}
