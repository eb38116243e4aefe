//! `--keyless` against the real local Sigstore stack (`scripts/sigstore-stack`): Fulcio,
//! TesseraCT, the timestamp authority and Rekor v2 are the real programs; only the OIDC issuer
//! is the test one. Every bundle is checked by provseal and by cosign; sigstore-python checks
//! them offline where it is installed. Skipped (with a notice) without a stack, except under CI.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use provseal_testsupport::stack::{peer_bin, SigstoreStack};

use crate::Project;

/// The CI variables a test must control itself.
const AMBIENT: &[&str] = &[
    "SIGSTORE_ID_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
];

struct Keyless {
    stack: SigstoreStack,
    prj: Project,
    token_file: PathBuf,
    token: String,
}

impl Keyless {
    fn new(test: &str) -> Option<Keyless> {
        let stack = SigstoreStack::from_env(test)?;
        let prj = Project::with_git();
        let token = stack.token();
        let token_file = prj.file("id-token");
        std::fs::write(&token_file, &token).unwrap();
        Some(Keyless {
            stack,
            prj,
            token_file,
            token,
        })
    }

    /// `provseal ARGS` with no ambient CI variables; returns (code, stdout, stderr) and checks
    /// that the token never shows.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut c = self.prj.cmd(args);
        for v in AMBIENT {
            c.env_remove(v);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        for text in [&stdout, &stderr] {
            assert!(!text.contains(&self.token), "the token leaked: {text}");
        }
        (out.status.code().unwrap_or(-1), stdout, stderr)
    }

    fn token_arg(&self) -> String {
        format!("@{}", self.token_file.display())
    }

    fn sc(&self) -> String {
        self.stack.signing_config.display().to_string()
    }

    /// `HEAD --keyless` with the stack's token and `signing_config`, plus `extra`.
    fn keyless(
        &self,
        head: &[&str],
        signing_config: &str,
        extra: &[&str],
    ) -> (i32, String, String) {
        let (t, sc) = (self.token_arg(), signing_config);
        let mut args = head.to_vec();
        args.extend_from_slice(&["--keyless", "--identity-token", &t, "--signing-config", sc]);
        args.extend_from_slice(extra);
        self.run(&args, &[])
    }

    /// `attest --keyless` with the stack's token and signing config, plus `extra`.
    fn attest(&self, extra: &[&str]) -> (i32, String, String) {
        self.keyless(&["attest"], &self.sc(), extra)
    }

    /// `sign-blob FILE --keyless` with the stack's token and `signing_config`.
    fn sign_blob(&self, file: &str, signing_config: &str) -> (i32, String, String) {
        self.keyless(&["sign-blob", file], signing_config, &[])
    }

    /// `provseal verify` with every identity flag the issue names.
    fn verify(&self, artifacts: &[&str], attestation: &[&str]) -> (i32, String, String) {
        let tr = self.stack.trusted_root.display().to_string();
        let mut args = vec!["verify"];
        args.extend_from_slice(artifacts);
        args.extend_from_slice(attestation);
        args.extend_from_slice(&[
            "--trusted-root",
            &tr,
            "--certificate-identity",
            self.stack.identity(),
            "--certificate-oidc-issuer",
            &self.stack.oidc_issuer,
            "--repository",
            "provseal-test/app",
            "--ref",
            "refs/tags/v1.0.0",
            "--workflow",
            "release.yml",
        ]);
        self.run(&args, &[])
    }

    fn cosign(&self, args: &[&str]) -> Option<(bool, String)> {
        let cosign = peer_bin("cosign")?;
        let out = Command::new(cosign)
            .args(args)
            .args([
                "--trusted-root",
                &self.stack.trusted_root.display().to_string(),
                "--certificate-identity",
                self.stack.identity(),
                "--certificate-oidc-issuer",
                &self.stack.oidc_issuer,
            ])
            .current_dir(self.prj.path())
            .output()
            .unwrap();
        Some((
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// sigstore-python's offline verification with the stack's trust config, if installed.
    fn sigstore_python(&self, file: &str, bundle: &str) -> Option<(bool, String)> {
        if !provseal_testsupport::require_tool(
            "keyless: sigstore-python",
            "sigstore",
            &["--version"],
        ) {
            return None;
        }
        let out = Command::new("sigstore")
            .args([
                "--trust-config",
                &self.stack.trust_config.display().to_string(),
            ])
            .args(["verify", "identity", "--offline", "--bundle", bundle])
            .args(["--cert-identity", self.stack.identity()])
            .args(["--cert-oidc-issuer", &self.stack.oidc_issuer, file])
            .current_dir(self.prj.path())
            .output()
            .unwrap();
        Some((
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }
}

/// A signing config whose `service` URL points at a closed loopback port: a real "down".
fn config_with_down(stack: &SigstoreStack, dir: &Path, service: &str) -> (PathBuf, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut sc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&stack.signing_config).unwrap()).unwrap();
    let key = match service {
        "fulcio" => "caUrls",
        "rekor" => "rekorTlogUrls",
        _ => "tsaUrls",
    };
    let down = if key == "tsaUrls" {
        format!("{url}/api/v1/timestamp")
    } else {
        url.clone()
    };
    sc[key][0]["url"] = serde_json::json!(down);
    let path = dir.join(format!("signing_config.{service}-down.json"));
    std::fs::write(&path, sc.to_string()).unwrap();
    (path, down)
}

#[test]
fn keyless_single_and_multi_subject_verify_with_provseal_cosign_and_sigstore_python() {
    let Some(k) = Keyless::new("keyless_single_and_multi_subject") else {
        return;
    };
    let (code, _, err) = k.attest(&[
        "--subject",
        "dist/tool-1.0.whl",
        "--out",
        "one.sigstore.json",
    ]);
    assert_eq!(code, 0, "{err}");
    // The identity Fulcio certified is shown.
    for needle in [
        "keyless: signed as https://github.com/provseal-test/app/.github/workflows/release.yml@refs/tags/v1.0.0",
        "repository https://github.com/provseal-test/app",
        "ref        refs/tags/v1.0.0",
        "workflow   https://github.com/provseal-test/app/.github/workflows/release.yml",
        "run        https://github.com/provseal-test/app/actions/runs/",
        "commit     ",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }
    let (code, _, err) = k.attest(&["--subject", "dist/*", "--out", "multi.sigstore.json"]);
    assert_eq!(code, 0, "{err}");
    for bundle in ["one.sigstore.json", "multi.sigstore.json"] {
        let text = std::fs::read_to_string(k.prj.file(bundle)).unwrap();
        assert!(!text.contains(&k.token), "the token is in {bundle}");
    }

    let (code, out, err) = k.verify(
        &["dist/tool-1.0.whl"],
        &["--attestation", "one.sigstore.json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = k.verify(
        &["dist/tool-1.0.whl", "dist/tool-1.0.tar.gz"],
        &["--attestation", "multi.sigstore.json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.matches(": verified: signed by https://github.com/provseal-test/app/")
            .count(),
        2,
        "{out}"
    );

    for (bundle, artifact) in [
        ("one.sigstore.json", "dist/tool-1.0.whl"),
        ("multi.sigstore.json", "dist/tool-1.0.whl"),
        ("multi.sigstore.json", "dist/tool-1.0.tar.gz"),
    ] {
        if let Some((ok, err)) = k.cosign(&[
            "verify-blob-attestation",
            "--bundle",
            bundle,
            "--type",
            "https://slsa.dev/provenance/v1",
            artifact,
        ]) {
            assert!(
                ok,
                "cosign verify-blob-attestation {bundle} {artifact}: {err}"
            );
        }
        if let Some((ok, err)) = k.sigstore_python(artifact, bundle) {
            assert!(ok, "sigstore verify --offline {bundle} {artifact}: {err}");
        }
    }
}

#[test]
fn keyless_batch_of_1000_is_one_certificate_one_entry_and_each_entry_verifies_alone() {
    let Some(k) = Keyless::new("keyless_batch_of_1000") else {
        return;
    };
    std::fs::create_dir_all(k.prj.file("rel")).unwrap();
    for i in 0..1000 {
        std::fs::write(
            k.prj.file(&format!("rel/a{i:04}.bin")),
            format!("artifact {i}"),
        )
        .unwrap();
    }
    let (code, out, err) = k.attest(&["--subject", "rel/*.bin", "--batch", "att", "--json"]);
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["treeSize"], 1000);
    assert_eq!(summary["signingOperations"], 1);
    assert_eq!(summary["keyless"], true);
    // Exactly one certificate and one log entry: every entry carries the same root bundle.
    let first: serde_json::Value =
        serde_json::from_slice(&std::fs::read(k.prj.file("att/a0000.bin.provseal.json")).unwrap())
            .unwrap();
    let last: serde_json::Value =
        serde_json::from_slice(&std::fs::read(k.prj.file("att/a0999.bin.provseal.json")).unwrap())
            .unwrap();
    assert_eq!(first["rootBundle"], last["rootBundle"]);
    assert_eq!(
        first["rootBundle"]["verificationMaterial"]["tlogEntries"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // All 1,000 in one call, each against its own entry file.
    let artifacts: Vec<String> = (0..1000).map(|i| format!("rel/a{i:04}.bin")).collect();
    let refs: Vec<&str> = artifacts.iter().map(String::as_str).collect();
    let (code, out, err) = k.verify(&refs, &["--attestation-dir", "att"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches(": verified: signed by ").count(), 1000);

    // cosign and sigstore-python check the root bundle: a DSSE statement over the tree root.
    let root_hex = summary["root"].as_str().unwrap();
    std::fs::write(
        k.prj.file("root.sigstore.json"),
        first["rootBundle"].to_string(),
    )
    .unwrap();
    if let Some((ok, err)) = k.cosign(&[
        "verify-blob-attestation",
        "--bundle",
        "root.sigstore.json",
        "--type",
        "https://provseal.dev/batch/v1",
        "--digest",
        root_hex,
        "--digestAlg",
        "sha256",
    ]) {
        assert!(ok, "cosign on the batch root: {err}");
    }

    // A tampered entry (another artifact's proof) fails alone.
    let mut forged = first.clone();
    forged["proof"] = last["proof"].clone();
    std::fs::write(k.prj.file("forged.provseal.json"), forged.to_string()).unwrap();
    let (code, out, _) = k.verify(
        &["rel/a0000.bin"],
        &["--attestation", "forged.provseal.json"],
    );
    assert_eq!(code, 1, "{out}");
}

#[test]
fn keyless_sign_blob_verifies_with_cosign_and_provseal_and_cosign_bundles_verify_with_provseal() {
    let Some(k) = Keyless::new("keyless_sign_blob") else {
        return;
    };
    let sc = k.sc();
    let (code, _, err) = k.sign_blob("dist/tool-1.0.whl", &sc);
    assert_eq!(code, 0, "{err}");
    let bundle = "dist/tool-1.0.whl.sigstore.json";
    // inspect shows who signed a bundle with no provenance: SAN, issuer, extensions by name.
    let (code, out, err) = k.run(&["inspect", bundle, "--json"], &[]);
    assert_eq!(code, 0, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cert = &shown[0]["certificate"];
    assert_eq!(cert["san"], k.stack.identity());
    assert_eq!(cert["issuer"], k.stack.oidc_issuer.as_str());
    for (name, value) in [
        (
            "source-repository-uri",
            "https://github.com/provseal-test/app",
        ),
        ("source-repository-ref", "refs/tags/v1.0.0"),
        ("runner-environment", "github-hosted"),
    ] {
        assert_eq!(cert["extensions"][name], value, "{cert}");
    }
    assert!(shown[0]["messageDigest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    if let Some((ok, err)) = k.cosign(&["verify-blob", "--bundle", bundle, "dist/tool-1.0.whl"]) {
        assert!(ok, "cosign verify-blob: {err}");
    }
    let tr = k.stack.trusted_root.display().to_string();
    let id_flags = [
        "--trusted-root",
        &tr,
        "--certificate-identity",
        k.stack.identity(),
        "--certificate-oidc-issuer",
        &k.stack.oidc_issuer,
    ];
    let mut args = vec!["verify-blob", "dist/tool-1.0.whl", "--bundle", bundle];
    args.extend_from_slice(&id_flags);
    let (code, out, err) = k.run(&args, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let mut args = vec!["verify-blob", "dist/tool-1.0.tar.gz", "--bundle", bundle];
    args.extend_from_slice(&id_flags);
    let (code, out, _) = k.run(&args, &[]);
    assert_eq!(code, 1, "another file must not verify: {out}");
    if let Some((ok, err)) = k.sigstore_python("dist/tool-1.0.whl", bundle) {
        assert!(ok, "sigstore-python: {err}");
    }

    // The other direction: cosign signs and attests against the same stack, provseal verifies.
    let Some(cosign) = peer_bin("cosign") else {
        return;
    };
    let predicate = k.prj.file("predicate.json");
    std::fs::write(&predicate, r#"{"buildDefinition":{"buildType":"https://example.com/t","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/b"}}}"#).unwrap();
    for args in [
        vec![
            "sign-blob",
            "--yes",
            "--bundle",
            "c.sig.json",
            "dist/tool-1.0.tar.gz",
        ],
        vec![
            "attest-blob",
            "--yes",
            "--bundle",
            "c.att.json",
            "--type",
            "slsaprovenance1",
            "--predicate",
            predicate.to_str().unwrap(),
            "dist/tool-1.0.tar.gz",
        ],
    ] {
        let out = Command::new(&cosign)
            .args(&args)
            .args([
                "--identity-token",
                &k.token,
                "--signing-config",
                &sc,
                "--trusted-root",
                &tr,
            ])
            .current_dir(k.prj.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cosign {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut args = vec![
        "verify-blob",
        "dist/tool-1.0.tar.gz",
        "--bundle",
        "c.sig.json",
    ];
    args.extend_from_slice(&id_flags);
    let (code, out, err) = k.run(&args, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = k.verify(&["dist/tool-1.0.tar.gz"], &["--attestation", "c.att.json"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn keyless_run_checks_the_token_first_and_ambient_github_token_is_found() {
    let Some(k) = Keyless::new("keyless_run") else {
        return;
    };
    let sc = k.sc();
    // No --identity-token: GitHub Actions' request URL and token (served by the test issuer).
    let (code, _, err) = k.run(
        &[
            "run",
            "--keyless",
            "-v",
            "--signing-config",
            &sc,
            "--subject",
            "dist/out.bin",
            "--out",
            "out.sigstore.json",
            "--",
            "sh",
            "-c",
            "echo built > dist/out.bin",
        ],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", &k.stack.actions_request_url),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                &k.stack.actions_request_token,
            ),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("identity token sources, first found wins:\n  1. the identity-token argument"),
        "{err}"
    );
    assert!(
        err.contains("keyless: identity token from GitHub Actions"),
        "{err}"
    );
    assert!(
        !err.contains(&k.stack.actions_request_token),
        "request token leaked: {err}"
    );
    let (code, out, err) = k.verify(&["dist/out.bin"], &["--attestation", "out.sigstore.json"]);
    assert_eq!(code, 0, "{out}{err}");

    // An expired token stops `run` before the build.
    let expired = k.stack.token_with(&[("exp", "-60")]);
    let (code, _, err) = k.run(
        &[
            "run",
            "--keyless",
            "--identity-token",
            "env://MY_TOKEN",
            "--signing-config",
            &sc,
            "--subject",
            "dist/late.bin",
            "--",
            "sh",
            "-c",
            "echo x > dist/late.bin",
        ],
        &[("MY_TOKEN", &expired)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("identity token from the variable `MY_TOKEN`"),
        "{err}"
    );
    assert!(err.contains("expired at"), "{err}");
    assert!(!err.contains(&expired));
    assert!(!k.prj.file("dist/late.bin").exists(), "the build ran");

    // Fulcio down after a successful build: exit 2, nothing written, the re-sign command.
    let (down_sc, down_url) = config_with_down(&k.stack, k.prj.path(), "fulcio");
    let t = k.token_arg();
    let (code, _, err) = k.run(
        &[
            "run",
            "--keyless",
            "--identity-token",
            &t,
            "--signing-config",
            down_sc.to_str().unwrap(),
            "--subject",
            "dist/built.bin",
            "--",
            "sh",
            "-c",
            "echo x > dist/built.bin",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("Fulcio at {down_url} failed")),
        "{err}"
    );
    assert!(err.contains("the build products are untouched"), "{err}");
    assert!(
        err.contains("provseal attest --keyless --identity-token @"),
        "{err}"
    );
    assert!(err.contains("--subject 'dist/built.bin'"), "{err}");
    assert!(k.prj.file("dist/built.bin").exists());
    assert!(!k.prj.file("dist/built.bin.sigstore.json").exists());
}

#[test]
fn keyless_failures_are_clear_and_write_nothing() {
    let Some(k) = Keyless::new("keyless_failures") else {
        return;
    };
    let before = k.prj.listing();
    let sc = k.sc();
    let base = [
        "attest",
        "--keyless",
        "--signing-config",
        &sc,
        "--subject",
        "dist/tool-1.0.whl",
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let run = |args: Vec<String>, env: &[(&str, &str)]| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        k.run(&refs, env)
    };

    // No token anywhere: every source tried, in order.
    let (code, _, err) = run(with(&[]), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no identity token found; tried, in order:"),
        "{err}"
    );
    for s in [
        "1. the identity-token argument: not given",
        "2. the variable `SIGSTORE_ID_TOKEN`: not set",
        "3. GitHub Actions",
        "4. GitLab CI",
        "5. Buildkite",
        "6. CircleCI",
    ] {
        assert!(err.contains(s), "missing {s:?}: {err}");
    }

    // Expired, wrong audience (through SIGSTORE_ID_TOKEN).
    let expired = k.stack.token_with(&[("exp", "-60")]);
    let (code, _, err) = run(with(&[]), &[("SIGSTORE_ID_TOKEN", &expired)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("expired at"), "{err}");
    let wrong_aud = k.stack.token_with(&[("aud", "not-sigstore")]);
    let (code, _, err) = run(with(&[]), &[("SIGSTORE_ID_TOKEN", &wrong_aud)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(r#"has audience ["not-sigstore"], expected `sigstore`"#),
        "{err}"
    );
    for t in [&expired, &wrong_aud] {
        assert!(!err.contains(t.as_str()));
    }

    // Each service down: its name and URL, exit 2.
    let t = k.token_arg();
    for (service, name) in [
        ("fulcio", "Fulcio"),
        ("rekor", "Rekor"),
        ("tsa", "the timestamp authority"),
    ] {
        let (down, url) = config_with_down(&k.stack, k.prj.path(), service);
        let args = vec![
            "attest".to_string(),
            "--keyless".into(),
            "--identity-token".into(),
            t.clone(),
            "--signing-config".into(),
            down.display().to_string(),
            "--subject".into(),
            "dist/tool-1.0.whl".into(),
        ];
        let (code, _, err) = run(args, &[]);
        assert_eq!(code, 2, "{service}: {err}");
        assert!(
            err.contains(&format!("{name} at {url} failed")),
            "{service}: {err}"
        );
        std::fs::remove_file(down).unwrap();
    }
    assert_eq!(k.prj.listing(), before, "something was written");

    // A wrong identity and a tampered bundle: verification says no (exit 1).
    let (code, _, err) = k.attest(&[
        "--subject",
        "dist/tool-1.0.whl",
        "--out",
        "ok.sigstore.json",
    ]);
    assert_eq!(code, 0, "{err}");
    let tr = k.stack.trusted_root.display().to_string();
    let (code, out, _) = k.run(
        &[
            "verify",
            "dist/tool-1.0.whl",
            "--attestation",
            "ok.sigstore.json",
            "--trusted-root",
            &tr,
            "--certificate-identity",
            "https://github.com/evil/app/.github/workflows/x.yml@refs/heads/main",
            "--certificate-oidc-issuer",
            &k.stack.oidc_issuer,
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("https://github.com/evil/app"), "{out}");
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(k.prj.file("ok.sigstore.json")).unwrap()).unwrap();
    let sig = bundle["dsseEnvelope"]["signatures"][0]["sig"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped = if sig.starts_with('M') {
        sig.replacen('M', "N", 1)
    } else {
        format!("M{}", &sig[1..])
    };
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = serde_json::json!(flipped);
    std::fs::write(k.prj.file("tampered.sigstore.json"), bundle.to_string()).unwrap();
    let (code, out, err) = k.verify(
        &["dist/tool-1.0.whl"],
        &["--attestation", "tampered.sigstore.json"],
    );
    assert_ne!(code, 0, "{out}{err}");
    assert!(code == 1 || code == 2, "{code}");
}

#[test]
fn keyless_on_rekor_v1_without_a_tsa_verifies_with_provseal_cosign_and_sigstore_python() {
    let Some(k) = Keyless::new("keyless_on_rekor_v1") else {
        return;
    };
    let Some((_, v1)) = k.stack.rekor_v1("keyless_on_rekor_v1") else {
        return;
    };
    let sc = v1.display().to_string();
    let (code, _, err) = k.keyless(
        &["attest"],
        &sc,
        &["-v", "--subject", "dist/*", "--out", "v1.sigstore.json"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(", Rekor v1 "), "{err}");
    assert!(err.contains("TSA none"), "{err}");
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(k.prj.file("v1.sigstore.json")).unwrap()).unwrap();
    let entry = &bundle["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(entry["kindVersion"]["kind"], "dsse", "{entry}");
    assert!(entry.get("inclusionPromise").is_some(), "{entry}");
    let (code, out, err) = k.verify(
        &["dist/tool-1.0.whl", "dist/tool-1.0.tar.gz"],
        &["--attestation", "v1.sigstore.json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    if let Some((ok, err)) = k.cosign(&[
        "verify-blob-attestation",
        "--bundle",
        "v1.sigstore.json",
        "--type",
        "slsaprovenance1",
        "dist/tool-1.0.whl",
    ]) {
        assert!(ok, "cosign: {err}");
    }
    if let Some((ok, err)) = k.sigstore_python("dist/tool-1.0.whl", "v1.sigstore.json") {
        assert!(ok, "sigstore-python: {err}");
    }

    // A keyless batch and a message signature on the same log.
    let (code, _, err) = k.keyless(&["attest"], &sc, &["--subject", "dist/*", "--batch", "att"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = k.verify(&["dist/tool-1.0.whl"], &["--attestation-dir", "att"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = k.sign_blob("dist/tool-1.0.whl", &sc);
    assert_eq!(code, 0, "{err}");
    if let Some((ok, err)) = k.cosign(&[
        "verify-blob",
        "--bundle",
        "dist/tool-1.0.whl.sigstore.json",
        "dist/tool-1.0.whl",
    ]) {
        assert!(ok, "cosign verify-blob: {err}");
    }
}

/// An unsigned JWT with these claims (enough for the checks provseal makes before any service).
fn local_jwt(claims: serde_json::Value) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.c2ln",
        b64.encode(br#"{"alg":"RS256"}"#),
        b64.encode(claims.to_string())
    )
}

/// The transcripts of keyless failures that need no service: locked, no stack required.
#[test]
fn keyless_token_failure_transcripts() {
    let prj = Project::with_git();
    let cmd = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = prj.cmd(args);
        for v in AMBIENT {
            c.env_remove(v);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c
    };
    let snap = |name: &str, mut c: Command| {
        let text = prj.transcript_of(&mut c);
        provseal_testsupport::insta::with_settings!({
            filters => provseal_testsupport::project::snapshot_filters(),
            prepend_module_to_snapshot => false,
        }, {
            provseal_testsupport::insta::assert_snapshot!(name, text);
        });
    };
    let attest = [
        "attest",
        "--keyless",
        "-v",
        "--subject",
        "dist/tool-1.0.whl",
    ];
    snap("keyless_no_token", cmd(&attest, &[]));
    let expired = local_jwt(
        serde_json::json!({"iss": "https://issuer.example", "sub": "s",
        "aud": "sigstore", "exp": 1_600_000_000}),
    );
    snap(
        "keyless_expired_token",
        cmd(&attest, &[("SIGSTORE_ID_TOKEN", &expired)]),
    );
    let wrong_aud = local_jwt(
        serde_json::json!({"iss": "https://issuer.example", "sub": "s",
        "aud": "other", "exp": 4_000_000_000_i64}),
    );
    snap(
        "keyless_wrong_audience",
        cmd(
            &[
                "run",
                "--keyless",
                "--identity-token",
                "env://TOK",
                "--subject",
                "x",
                "--",
                "true",
            ],
            &[("TOK", &wrong_aud)],
        ),
    );
    snap(
        "keyless_not_a_jwt",
        cmd(
            &[
                "sign-blob",
                "dist/tool-1.0.whl",
                "--keyless",
                "--identity-token",
                "not-a-jwt",
            ],
            &[],
        ),
    );
    snap(
        "keyless_missing_signing_config",
        cmd(
            &[
                "attest",
                "--keyless",
                "--signing-config",
                "nope.json",
                "--subject",
                "dist/tool-1.0.whl",
            ],
            &[],
        ),
    );
    snap(
        "keyless_with_key",
        cmd(
            &[
                "attest",
                "--keyless",
                "--key",
                "k.key",
                "--subject",
                "dist/tool-1.0.whl",
            ],
            &[],
        ),
    );
    assert!(!prj.file("dist/tool-1.0.whl.sigstore.json").exists());
    assert!(!prj.file("multiple.sigstore.json").exists());
}

/// `run --keyless` writes `provenance.sigstore.json` by default, so an existing one of that name
/// stops the run before the build (not after it, as when the check used the key-signed name).
#[test]
fn keyless_run_checks_the_bundle_output_name_before_the_build() {
    let Some(k) = Keyless::new("keyless_run_output_first") else {
        return;
    };
    std::fs::write(k.prj.file("provenance.sigstore.json"), "earlier\n").unwrap();
    let (t, sc) = (k.token_arg(), k.sc());
    let (code, _, err) = k.run(
        &[
            "run",
            "--keyless",
            "--identity-token",
            &t,
            "--signing-config",
            &sc,
            "--subject",
            "dist/out.bin",
            "--",
            "sh",
            "-c",
            "mkdir -p dist && echo built > dist/out.bin && touch build-ran",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("provenance.sigstore.json"), "{err}");
    assert!(!k.prj.file("build-ran").exists(), "the build ran: {err}");
    assert_eq!(
        std::fs::read_to_string(k.prj.file("provenance.sigstore.json")).unwrap(),
        "earlier\n"
    );
}

/// `--keyless` with an explicit `--format intoto-jsonl` is a usage error before anything runs (a
/// keyless signature needs its certificate and log entry, which only a bundle carries); it used
/// to write a bundle silently. No token is needed to be told.
#[test]
fn keyless_with_intoto_jsonl_is_a_usage_error() {
    let prj = Project::with_git();
    let mut c = prj.cmd(&[
        "run",
        "--keyless",
        "--format",
        "intoto-jsonl",
        "--subject",
        "dist/*",
        "--",
        "sh",
        "-c",
        "touch build-ran",
    ]);
    for v in AMBIENT {
        c.env_remove(v);
    }
    let text = prj.transcript_of(&mut c);
    provseal_testsupport::insta::with_settings!({
        filters => provseal_testsupport::project::snapshot_filters(),
        prepend_module_to_snapshot => false,
    }, {
        provseal_testsupport::insta::assert_snapshot!("keyless_format_intoto_jsonl", text);
    });
    assert!(!prj.file("build-ran").exists(), "the build ran");
    assert!(!prj.file("provenance.sigstore.json").exists());
    assert!(!prj.file("provenance.intoto.jsonl").exists());
}
