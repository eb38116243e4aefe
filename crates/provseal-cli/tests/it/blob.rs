//! Detached signatures through the CLI, checked by the real peers (minisign, openssl), and a
//! PKCS#11 (SoftHSM2) key signing an attestation.

use provseal_testsupport::{verify_args, verify_blob_args};
use std::process::Command;

use crate::Project;

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn minisign_both_ways() {
    if !provseal_testsupport::require_tool("minisign_both_ways", "minisign", &["-v"]) {
        return;
    }
    let prj = Project::new();
    prj.keygen("ci", "ed25519");
    let (c, _, err) = prj.run(&[
        "sign-blob",
        "dist/tool-1.0.whl",
        "--key",
        "ci.key",
        "--format",
        "minisign",
    ]);
    assert_eq!(c, 0, "{err}");
    let (c, pubkey, err) = prj.run(&["key", "export", "ci.pub", "--format", "minisign"]);
    assert_eq!(c, 0, "{err}");
    std::fs::write(prj.file("ci.minisign.pub"), &pubkey).unwrap();
    // the real minisign accepts our signature …
    run_ok(
        Command::new("minisign")
            .args(["-Vm", "dist/tool-1.0.whl", "-p", "ci.minisign.pub"])
            .current_dir(prj.path()),
    );
    // … and so do we, with either key form
    for key in ["ci.pub", "ci.minisign.pub"] {
        let (c, out, err) = prj.run(&verify_blob_args(
            "dist/tool-1.0.whl",
            "dist/tool-1.0.whl.minisig",
            key,
            &[],
        ));
        assert_eq!(c, 0, "{out}{err}");
    }
    // a modified file fails in both
    std::fs::write(prj.file("dist/tool-1.0.whl"), b"changed").unwrap();
    let st = Command::new("minisign")
        .args(["-Vm", "dist/tool-1.0.whl", "-p", "ci.minisign.pub"])
        .current_dir(prj.path())
        .output()
        .unwrap();
    assert!(!st.status.success());
    let (c, out, _) = prj.run(&verify_blob_args(
        "dist/tool-1.0.whl",
        "dist/tool-1.0.whl.minisig",
        "ci.pub",
        &[],
    ));
    assert_eq!(c, 1, "{out}");

    // a signature made by minisign itself verifies with provseal
    run_ok(
        Command::new("minisign")
            .args(["-G", "-W", "-p", "m.pub", "-s", "m.key"])
            .current_dir(prj.path()),
    );
    run_ok(
        Command::new("minisign")
            .args(["-S", "-s", "m.key", "-m", "dist/tool-1.0.tar.gz"])
            .current_dir(prj.path()),
    );
    let (c, out, err) = prj.run(&verify_blob_args(
        "dist/tool-1.0.tar.gz",
        "dist/tool-1.0.tar.gz.minisig",
        "m.pub",
        &[],
    ));
    assert_eq!(c, 0, "{out}{err}");
    let (c, out, _) = prj.run(&verify_blob_args(
        "dist/tool-1.0.tar.gz",
        "dist/tool-1.0.tar.gz.minisig",
        "ci.pub",
        &[],
    ));
    assert_eq!(c, 1, "another key must not verify: {out}");
}

#[test]
fn raw_signatures_verify_with_openssl() {
    let prj = Project::new();
    for (alg, verify) in [
        (
            "ed25519",
            vec![
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "k.pub",
                "-rawin",
                "-in",
                "dist/tool-1.0.whl",
                "-sigfile",
                "dist/tool-1.0.whl.sig",
            ],
        ),
        (
            "ecdsa-p256",
            vec![
                "dgst",
                "-sha256",
                "-verify",
                "k.pub",
                "-signature",
                "dist/tool-1.0.whl.sig",
                "dist/tool-1.0.whl",
            ],
        ),
    ] {
        let _ = std::fs::remove_file(prj.file("k.key"));
        let _ = std::fs::remove_file(prj.file("k.pub"));
        prj.keygen("k", alg);
        let (c, _, err) = prj.run(&[
            "sign-blob",
            "dist/tool-1.0.whl",
            "--key",
            "k.key",
            "--format",
            "raw",
            "--force",
        ]);
        assert_eq!(c, 0, "{err}");
        run_ok(
            Command::new("openssl")
                .args(&verify)
                .current_dir(prj.path()),
        );
        let (c, out, err) = prj.run(&verify_blob_args(
            "dist/tool-1.0.whl",
            "dist/tool-1.0.whl.sig",
            "k.pub",
            &[],
        ));
        assert_eq!(c, 0, "{alg}: {out}{err}");
        let (c, _, _) = prj.run(&verify_blob_args(
            "dist/tool-1.0.tar.gz",
            "dist/tool-1.0.whl.sig",
            "k.pub",
            &[],
        ));
        assert_eq!(c, 1, "{alg}: a signature of another file must not verify");
    }
    // garbage signature file / missing file: input errors
    std::fs::write(
        prj.file("bad.minisig"),
        "untrusted comment: x\nnot base64\n",
    )
    .unwrap();
    let (c, _, err) = prj.run(&verify_blob_args(
        "dist/tool-1.0.whl",
        "bad.minisig",
        "k.pub",
        &[],
    ));
    assert_eq!(c, 2, "{err}");
    let (c, _, err) = prj.run(&verify_blob_args("dist/none", "bad.minisig", "k.pub", &[]));
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("dist/none"), "{err}");
}

#[test]
fn pkcs11_token_signs_an_attestation() {
    let module = "/usr/lib/softhsm/libsofthsm2.so";
    if !provseal_testsupport::require_tool(
        "pkcs11_token_signs_an_attestation",
        "softhsm2-util",
        &["--version"],
    ) || !provseal_testsupport::require_tool(
        "pkcs11_token_signs_an_attestation",
        "pkcs11-tool",
        &["--show-info", "--module", module],
    ) {
        return;
    }
    let prj = Project::new();
    let tokens = prj.file("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = prj.file("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            tokens.display()
        ),
    )
    .unwrap();
    let hsm = |program: &str, args: &[&str]| {
        run_ok(
            Command::new(program)
                .args(args)
                .env("SOFTHSM2_CONF", &conf)
                .current_dir(prj.path()),
        )
    };
    hsm(
        "softhsm2-util",
        &[
            "--init-token",
            "--free",
            "--label",
            "ci",
            "--so-pin",
            "1234",
            "--pin",
            "5678",
        ],
    );
    hsm(
        "pkcs11-tool",
        &[
            "--module",
            module,
            "--token-label",
            "ci",
            "--login",
            "--pin",
            "5678",
            "--keypairgen",
            "--key-type",
            "EC:prime256v1",
            "--label",
            "release",
            "--id",
            "01",
        ],
    );
    hsm(
        "pkcs11-tool",
        &[
            "--module",
            module,
            "--token-label",
            "ci",
            "--read-object",
            "--type",
            "pubkey",
            "--label",
            "release",
            "-o",
            "hsm.der",
        ],
    );
    let pem = Command::new("openssl")
        .args([
            "pkey", "-pubin", "-inform", "DER", "-in", "hsm.der", "-out", "hsm.pub",
        ])
        .current_dir(prj.path())
        .status()
        .unwrap();
    assert!(pem.success());
    let out = prj
        .cmd(&[
            "attest",
            "--key",
            "pkcs11:token=ci;object=release",
            "--pin-env",
            "HSM_PIN",
            "--subject",
            "dist/*",
            "--out",
            "hsm.jsonl",
        ])
        .env("SOFTHSM2_CONF", &conf)
        .env("HSM_PIN", "5678")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("5678"));
    let (c, out, err) = prj.run(&verify_args(
        "dist/tool-1.0.whl",
        "hsm.jsonl",
        "hsm.pub",
        &[],
    ));
    assert_eq!(c, 0, "{out}{err}");
    // wrong PIN: a clear error, no output
    let out = prj
        .cmd(&[
            "attest",
            "--key",
            "pkcs11:token=ci;object=release",
            "--pin-env",
            "HSM_PIN",
            "--subject",
            "dist/*",
            "--out",
            "bad.jsonl",
        ])
        .env("SOFTHSM2_CONF", &conf)
        .env("HSM_PIN", "0000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!prj.file("bad.jsonl").exists());
}
