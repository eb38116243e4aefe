//! The real cosign (`scripts/install-peers cosign`) against the binary, both ways, with a key pair
//! made by `cosign generate-key-pair` and nothing uploaded anywhere:
//! - provseal's key-signed bundle (`attest --format sigstore-bundle`) verifies with
//!   `cosign verify-blob-attestation --key … --bundle … --insecure-ignore-tlog`, and its DSSE
//!   envelope (`.intoto.jsonl`) with `--signature`;
//! - `cosign attest-blob --key` and `cosign sign-blob --key` bundles (and cosign's base64
//!   signature file) verify with `provseal verify`, `verify-bundle` and `verify-blob`;
//! - provseal's raw `sign-blob` signature verifies with `cosign verify-blob`.
//!
//! Each also says no to another artifact, on both sides.

use provseal_testsupport::{verify_args, verify_blob_args};
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use provseal_testsupport::stack::peer_bin;

use crate::exit_and_output;

const PASS: &str = "cosign interop passphrase";

struct Peer {
    cosign: PathBuf,
    dir: tempfile::TempDir,
}

impl Peer {
    /// A scratch directory with `cosign.key`/`cosign.pub` from `cosign generate-key-pair` and
    /// two artifacts, or `None` (skip notice) without cosign.
    fn new(test: &str) -> Option<Self> {
        let cosign = peer_bin("cosign").or_else(|| {
            eprintln!("{test}: skipped");
            None
        })?;
        let peer = Peer {
            cosign,
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(peer.path().join("app.tar.gz"), b"release tarball bytes\n").unwrap();
        std::fs::write(peer.path().join("other.tar.gz"), b"some other bytes\n").unwrap();
        let (c, out) = peer.cosign(&["generate-key-pair"]);
        assert_eq!(c, 0, "{out}");
        Some(peer)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cosign(&self, args: &[&str]) -> (i32, String) {
        let mut c = Command::new(&self.cosign);
        c.args(args)
            .current_dir(self.path())
            .env("COSIGN_PASSWORD", PASS);
        exit_and_output(c)
    }

    /// `cosign VERB SIG_FLAG SIG --key PUBLIC --insecure-ignore-tlog EXTRA… ARTIFACT` on
    /// app.tar.gz (must say `Verified OK`) and other.tar.gz (must fail).
    fn cosign_accepts_only_app(&self, verb: &str, sig: [&str; 2], public: &str, extra: &[&str]) {
        for (artifact, ok) in [("app.tar.gz", true), ("other.tar.gz", false)] {
            let mut args = vec![
                verb,
                sig[0],
                sig[1],
                "--key",
                public,
                "--insecure-ignore-tlog",
            ];
            args.extend_from_slice(extra);
            args.push(artifact);
            let (c, out) = self.cosign(&args);
            assert_eq!(c == 0, ok, "cosign {args:?}: {out}");
            assert_eq!(out.contains("Verified OK"), ok, "{out}");
        }
    }

    fn provseal(&self, args: &[&str]) -> (i32, String) {
        let mut c = Command::cargo_bin("provseal").unwrap();
        c.args(args)
            .current_dir(self.path())
            .env_remove("PROVSEAL_KEY")
            .env("COSIGN_PASSWORD", PASS);
        exit_and_output(c)
    }
}

/// cosign's flags for signing without a transparency log or a TSA (nothing leaves the machine).
const NO_UPLOAD: &[&str] = &["--use-signing-config=false", "--tlog-upload=false", "-y"];

#[test]
fn provseal_key_signed_bundle_verifies_with_cosign() {
    let Some(p) = Peer::new("provseal_key_signed_bundle_verifies_with_cosign") else {
        return;
    };
    // The cosign key pair, and an Ed25519 pair made by provseal.
    let (c, out) = p.provseal(&["key", "generate", "--algorithm", "ed25519", "--out", "ed"]);
    assert_eq!(c, 0, "{out}");
    for stem in ["cosign", "ed"] {
        let (key, public, bundle) = (
            format!("{stem}.key"),
            format!("{stem}.pub"),
            format!("{stem}.sigstore.json"),
        );
        let (c, out) = p.provseal(&[
            "attest",
            "--key",
            &key,
            "--subject",
            "app.tar.gz",
            "--format",
            "sigstore-bundle",
            "--out",
            &bundle,
        ]);
        assert_eq!(c, 0, "{out}");
        // Regression (issue 10): with the key hint as DSSE `keyid`, cosign answered "accepted
        // signatures do not match threshold, Found: 0, Expected 1".
        p.cosign_accepts_only_app(
            "verify-blob-attestation",
            ["--bundle", &bundle],
            &public,
            &["--type", "slsaprovenance1"],
        );
        for (artifact, expect) in [("app.tar.gz", 0), ("other.tar.gz", 1)] {
            // and provseal agrees
            let (c, out) = p.provseal(&[
                "verify",
                artifact,
                "--attestation",
                &bundle,
                "--key",
                &public,
            ]);
            assert_eq!(c, expect, "provseal, {stem} key, {artifact}: {out}");
        }
    }
}

#[test]
fn provseal_dsse_envelope_verifies_with_cosign() {
    let Some(p) = Peer::new("provseal_dsse_envelope_verifies_with_cosign") else {
        return;
    };
    // The default output, one DSSE envelope per line (keyid = provseal's hex key id), read by
    // cosign's older `--signature` path.
    let (c, out) = p.provseal(&[
        "attest",
        "--key",
        "cosign.key",
        "--subject",
        "app.tar.gz",
        "--out",
        "app.intoto.jsonl",
    ]);
    assert_eq!(c, 0, "{out}");
    p.cosign_accepts_only_app(
        "verify-blob-attestation",
        ["--signature", "app.intoto.jsonl"],
        "cosign.pub",
        &["--type", "slsaprovenance1"],
    );
}

#[test]
fn cosign_attest_blob_bundle_verifies_with_provseal() {
    let Some(p) = Peer::new("cosign_attest_blob_bundle_verifies_with_provseal") else {
        return;
    };
    std::fs::write(
        p.path().join("predicate.json"),
        r#"{"buildDefinition":{"buildType":"https://example.invalid/cosign-interop","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.invalid/builder"}}}"#,
    )
    .unwrap();
    let mut args = vec![
        "attest-blob",
        "--key",
        "cosign.key",
        "--predicate",
        "predicate.json",
        "--type",
        "slsaprovenance1",
        "--bundle",
        "cosign.sigstore.json",
    ];
    args.extend_from_slice(NO_UPLOAD);
    args.push("app.tar.gz");
    let (c, out) = p.cosign(&args);
    assert_eq!(c, 0, "{out}");
    for (artifact, expect) in [("app.tar.gz", 0), ("other.tar.gz", 1)] {
        let (c, out) = p.provseal(&verify_args(
            artifact,
            "cosign.sigstore.json",
            "cosign.pub",
            &["--builder-id", "https://example.invalid/builder"],
        ));
        assert_eq!(c, expect, "verify {artifact}: {out}");
        let (c, out) = p.provseal(&verify_blob_args(
            artifact,
            "cosign.sigstore.json",
            "cosign.pub",
            &[],
        ));
        assert_eq!(c, expect, "verify-blob {artifact}: {out}");
    }
}

#[test]
fn cosign_sign_blob_outputs_verify_with_provseal() {
    let Some(p) = Peer::new("cosign_sign_blob_outputs_verify_with_provseal") else {
        return;
    };
    let mut args = vec![
        "sign-blob",
        "--key",
        "cosign.key",
        "--bundle",
        "app.sigstore.json",
    ];
    args.extend_from_slice(NO_UPLOAD);
    args.push("app.tar.gz");
    let (c, out) = p.cosign(&args);
    assert_eq!(c, 0, "{out}");
    // cosign's older output: the signature alone, base64 text
    let mut args = vec![
        "sign-blob",
        "--key",
        "cosign.key",
        "--new-bundle-format=false",
        "--output-signature",
        "app.sig",
    ];
    args.extend_from_slice(NO_UPLOAD);
    args.push("app.tar.gz");
    let (c, out) = p.cosign(&args);
    assert_eq!(c, 0, "{out}");
    for (artifact, expect) in [("app.tar.gz", 0), ("other.tar.gz", 1)] {
        for sig in ["app.sigstore.json", "app.sig"] {
            let (c, out) = p.provseal(&verify_blob_args(artifact, sig, "cosign.pub", &[]));
            assert_eq!(c, expect, "verify-blob {artifact} {sig}: {out}");
        }
        let (c, out) = p.provseal(&[
            "verify-bundle",
            "--bundle",
            "app.sigstore.json",
            "--key",
            "cosign.pub",
            artifact,
        ]);
        assert_eq!(c, expect, "verify-bundle {artifact}: {out}");
    }

    // A bundle whose `messageDigest` names another file is refused (cosign: "artifact digest
    // does not match message digest"), although the signature itself is over app.tar.gz.
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.path().join("app.sigstore.json")).unwrap())
            .unwrap();
    use base64::Engine as _;
    let other = sha256_bytes(&std::fs::read(p.path().join("other.tar.gz")).unwrap());
    bundle["messageSignature"]["messageDigest"]["digest"] =
        base64::engine::general_purpose::STANDARD
            .encode(other)
            .into();
    std::fs::write(p.path().join("mixed.json"), bundle.to_string()).unwrap();
    let (c, out) = p.cosign(&[
        "verify-blob",
        "--bundle",
        "mixed.json",
        "--key",
        "cosign.pub",
        "--insecure-ignore-tlog",
        "app.tar.gz",
    ]);
    assert_ne!(c, 0, "{out}");
    assert!(
        out.contains("artifact digest does not match message digest"),
        "{out}"
    );
    let (c, out) = p.provseal(&verify_blob_args(
        "app.tar.gz",
        "mixed.json",
        "cosign.pub",
        &[],
    ));
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("does not match the bundle"), "{out}");

    // A truncated bundle is malformed input (exit 2, named), not a raw signature that fails.
    let text = std::fs::read(p.path().join("app.sigstore.json")).unwrap();
    std::fs::write(p.path().join("truncated.json"), &text[..text.len() / 2]).unwrap();
    let (c, out) = p.provseal(&verify_blob_args(
        "app.tar.gz",
        "truncated.json",
        "cosign.pub",
        &[],
    ));
    assert_eq!(c, 2, "{out}");
    assert!(out.contains("`truncated.json` is not valid JSON"), "{out}");
}

fn sha256_bytes(bytes: &[u8]) -> Vec<u8> {
    let hex = provseal_sigstore::hash_hex("sha256", bytes).unwrap();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn provseal_raw_signature_verifies_with_cosign() {
    let Some(p) = Peer::new("provseal_raw_signature_verifies_with_cosign") else {
        return;
    };
    let (c, out) = p.provseal(&[
        "sign-blob",
        "app.tar.gz",
        "--key",
        "cosign.key",
        "--format",
        "raw",
        "--out",
        "app.sig",
    ]);
    assert_eq!(c, 0, "{out}");
    p.cosign_accepts_only_app("verify-blob", ["--signature", "app.sig"], "cosign.pub", &[]);
}
