//! cosign → provseal against the local Sigstore stack (issue 9, `scripts/sigstore-stack`).
//!
//! The bundles are written by the real `cosign sign-blob` / `cosign attest-blob` v3.1.2, keyless:
//! a Fulcio v1.8.8 certificate (with an SCT from TesseraCT), a Rekor v2 (rekor-tiles) entry and an
//! RFC 3161 timestamp from timestamp-authority. provseal verifies them offline with the stack's
//! `trusted_root.json`; tampering, another signer or another trust root is a definite "no" (exit
//! 1), a truncated bundle is bad input (exit 2).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use provseal_testsupport::oidc::DEFAULT_SHA;
use provseal_testsupport::stack::{peer_bin, SigstoreStack};

const OTHER_WORKFLOW_REF: &str = "provseal-test/other/.github/workflows/ci.yml@refs/heads/main";

struct Fixture {
    stack: SigstoreStack,
    cosign: PathBuf,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(test: &str) -> Option<Self> {
        let stack = SigstoreStack::from_env(test)?;
        let cosign = peer_bin("cosign")?;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"artifact one\n").unwrap();
        std::fs::write(
            dir.path().join("predicate.json"),
            br#"{"buildDefinition":{"buildType":"https://example.com/build/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}"#,
        )
        .unwrap();
        Some(Self { stack, cosign, dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cosign_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.cosign);
        c.args(args).current_dir(self.dir.path());
        // cosign must not pick up an ambient token or a TUF cache from the machine.
        c.env_remove("SIGSTORE_ID_TOKEN")
            .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
            .env_remove("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
            .env("HOME", self.dir.path());
        c
    }

    /// `cosign sign-blob --bundle OUT` of `a.txt` with `token` (keyless, the stack's services).
    fn sign_blob(&self, token: &str, out: &str) -> Output {
        self.sign_blob_with(&self.stack.signing_config, token, out)
    }

    /// The same with another signing config.
    fn sign_blob_with(&self, signing_config: &Path, token: &str, out: &str) -> Output {
        let sc = signing_config.to_str().unwrap();
        self.cosign_cmd(&[
            "sign-blob",
            "--yes",
            "--identity-token",
            token,
            "--signing-config",
            sc,
            "--bundle",
            out,
            "a.txt",
        ])
        .output()
        .unwrap()
    }

    fn signed_blob(&self, token: &str, out: &str) -> PathBuf {
        let o = self.sign_blob(token, out);
        assert!(o.status.success(), "cosign sign-blob: {o:?}");
        self.path(out)
    }

    fn attested_blob(&self, out: &str) -> PathBuf {
        let sc = self.stack.signing_config.to_str().unwrap();
        let o = self
            .cosign_cmd(&[
                "attest-blob",
                "--yes",
                "--identity-token",
                &self.stack.token(),
                "--signing-config",
                sc,
                "--predicate",
                "predicate.json",
                "--type",
                "slsaprovenance1",
                "--bundle",
                out,
                "a.txt",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "cosign attest-blob: {o:?}");
        self.path(out)
    }

    /// `provseal ARGS` → (exit code, stdout, stderr).
    fn provseal(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("provseal")
            .unwrap()
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `provseal verify-bundle` of `bundle` over `a.txt` with the stack's trusted root.
    fn verify_bundle(&self, bundle: &Path, identity: &str, issuer: &str) -> (i32, String, String) {
        self.provseal(&[
            "verify-bundle",
            "--bundle",
            bundle.to_str().unwrap(),
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
            "--trusted-root",
            self.stack.trusted_root.to_str().unwrap(),
            "a.txt",
        ])
    }

    /// `python3 -m sigstore --trust-config TRUST_CONFIG ARGS` (sigstore-python).
    fn python(&self, trust_config: &Path, args: &[&str]) -> Output {
        Command::new("python3")
            .args([
                "-m",
                "sigstore",
                "--trust-config",
                trust_config.to_str().unwrap(),
            ])
            .args(args)
            .current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .env_remove("SIGSTORE_ID_TOKEN")
            .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
            .output()
            .unwrap()
    }

    /// sigstore-python `verify identity --offline` of `bundle` over `a.txt`.
    fn python_verify(&self, trust_config: &Path, bundle: &Path, identity: &str) -> Output {
        self.python(
            trust_config,
            &[
                "verify",
                "identity",
                "--offline",
                "--bundle",
                bundle.to_str().unwrap(),
                "--cert-identity",
                identity,
                "--cert-oidc-issuer",
                &self.stack.oidc_issuer,
                "a.txt",
            ],
        )
    }

    /// Asserts that `bundle` verifies as the stack's default identity.
    fn assert_verifies(&self, bundle: &Path) {
        let (code, _, err) =
            self.verify_bundle(bundle, self.stack.identity(), &self.stack.oidc_issuer);
        assert_eq!(code, 0, "{}: {err}", bundle.display());
    }

    /// Writes `bundle` with `edit` applied to its JSON, as `name`.
    fn edited(
        &self,
        bundle: &Path,
        name: &str,
        edit: impl FnOnce(&mut serde_json::Value),
    ) -> PathBuf {
        let mut doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
        edit(&mut doc);
        let out = self.path(name);
        std::fs::write(&out, serde_json::to_vec(&doc).unwrap()).unwrap();
        out
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn cosign_sign_blob_keyless_bundle_verifies_with_provseal() {
    let Some(fx) = Fixture::new("cosign_sign_blob_keyless_bundle_verifies_with_provseal") else {
        return;
    };
    let bundle = fx.signed_blob(&fx.stack.token(), "a.sigstore.json");
    // What cosign wrote against this stack: bundle v0.3, a Rekor v2 entry, a TSA timestamp.
    let doc = read_json(&bundle);
    assert_eq!(
        doc["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let vm = &doc["verificationMaterial"];
    assert_eq!(vm["tlogEntries"][0]["kindVersion"]["version"], "0.0.2");
    assert!(vm["tlogEntries"][0].get("integratedTime").is_none());
    assert_eq!(
        vm["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let (code, out, err) = fx.verify_bundle(&bundle, fx.stack.identity(), &fx.stack.oidc_issuer);
    assert_eq!(code, 0, "{err}");
    // The conformance protocol: nothing on stdout, the verdict on stderr.
    assert_eq!(out, "");
    assert_eq!(
        err.trim_end(),
        format!("{}: verified ({})", bundle.display(), fx.stack.identity())
    );
}

#[test]
fn cosign_attest_blob_keyless_bundle_verifies_with_provseal_verify_and_identity_flags() {
    let Some(fx) = Fixture::new("cosign_attest_blob_keyless_bundle_verifies_with_provseal_verify")
    else {
        return;
    };
    let bundle = fx.attested_blob("a.att.sigstore.json");
    let tr = fx.stack.trusted_root.to_str().unwrap().to_owned();
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "a.txt",
            "--attestation",
            "a.att.sigstore.json",
            "--trusted-root",
            &tr,
            "--certificate-identity",
            fx.stack.identity(),
            "--certificate-oidc-issuer",
            &fx.stack.oidc_issuer,
        ];
        args.extend_from_slice(extra);
        fx.provseal(&args)
    };
    let (code, out, err) = verify(&[
        "--repository",
        "provseal-test/app",
        "--ref",
        "refs/tags/v1.0.0",
        "--workflow",
        "release.yml",
        "--source-digest",
        DEFAULT_SHA,
        "--runner-environment",
        "github-hosted",
        "--builder-id",
        "https://example.com/builder",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim_end(),
        format!(
            "a.txt: verified: signed by {} (issuer {}), subject of `{}`, builder https://example.com/builder",
            fx.stack.identity(),
            fx.stack.oidc_issuer,
            "a.att.sigstore.json"
        )
    );
    assert!(bundle.is_file());
    // Each identity claim is really checked: another ref, repository or workflow is a "no".
    for wrong in [
        ["--ref", "refs/heads/main"],
        ["--repository", "provseal-test/other"],
        ["--workflow", "ci.yml"],
        [
            "--source-digest",
            "0000000000000000000000000000000000000000",
        ],
    ] {
        let (code, out, err) = verify(&wrong);
        assert_eq!(code, 1, "{wrong:?} should fail: {out}{err}");
    }
}

#[test]
fn cosign_bundles_tampered_with_or_from_another_signer_fail() {
    let Some(fx) = Fixture::new("cosign_bundles_tampered_with_or_from_another_signer_fail") else {
        return;
    };
    let bundle = fx.signed_blob(&fx.stack.token(), "a.sigstore.json");
    let (id, iss) = (fx.stack.identity(), fx.stack.oidc_issuer.clone());
    let expect = |b: &Path, identity: &str, issuer: &str, want: i32, code_word: &str| {
        let (code, out, err) = fx.verify_bundle(b, identity, issuer);
        assert_eq!(code, want, "{}: {out}{err}", b.display());
        assert!(
            err.contains(&format!("error[{code_word}]")),
            "{}: expected {code_word}: {err}",
            b.display()
        );
    };
    // Another signer or issuer.
    expect(
        &bundle,
        "https://github.com/provseal-test/app/.github/workflows/other.yml@refs/tags/v1.0.0",
        &iss,
        1,
        "sigstore-identity-mismatch",
    );
    let (code, _, err) =
        fx.verify_bundle(&bundle, id, "https://token.actions.githubusercontent.com");
    assert_eq!(code, 1, "{err}");
    // Another artifact.
    std::fs::write(fx.path("a.txt"), b"artifact two\n").unwrap();
    expect(&bundle, id, &iss, 1, "sigstore-artifact-mismatch");
    std::fs::write(fx.path("a.txt"), b"artifact one\n").unwrap();
    // The log's checkpoint signature, its inclusion proof, the TSA's timestamp.
    let cp = fx.edited(&bundle, "cp.json", |d| {
        let env = &mut d["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
            ["envelope"];
        let text = env.as_str().unwrap();
        let (head, sig) = text.rsplit_once(' ').unwrap();
        let mut sig = sig.as_bytes().to_vec();
        sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
        *env = format!("{head} {}", String::from_utf8(sig).unwrap()).into();
    });
    expect(&cp, id, &iss, 1, "sigstore-tlog");
    let proof = fx.edited(&bundle, "proof.json", |d| {
        d["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["rootHash"] =
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
    });
    expect(&proof, id, &iss, 1, "sigstore-tlog");
    let no_tsa = fx.edited(&bundle, "notsa.json", |d| {
        d["verificationMaterial"]
            .as_object_mut()
            .unwrap()
            .remove("timestampVerificationData");
    });
    expect(&no_tsa, id, &iss, 1, "sigstore-timestamp");
    // Verified against the production trust root instead of the stack's: not trusted.
    let (code, _, err) = fx.provseal(&[
        "verify-bundle",
        "--bundle",
        bundle.to_str().unwrap(),
        "--certificate-identity",
        id,
        "--certificate-oidc-issuer",
        &iss,
        "a.txt",
    ]);
    assert_eq!(code, 1, "{err}");
    // A truncated bundle is bad input.
    let bytes = std::fs::read(&bundle).unwrap();
    std::fs::write(fx.path("cut.json"), &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, err) = fx.verify_bundle(&fx.path("cut.json"), id, &iss);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn cosign_signing_as_another_workflow_verifies_only_as_that_workflow() {
    let Some(fx) =
        Fixture::new("cosign_signing_as_another_workflow_verifies_only_as_that_workflow")
    else {
        return;
    };
    let token = fx.stack.token_with(&[
        ("job_workflow_ref", OTHER_WORKFLOW_REF),
        ("workflow_ref", OTHER_WORKFLOW_REF),
        ("repository", "provseal-test/other"),
        ("ref", "refs/heads/main"),
    ]);
    let bundle = fx.signed_blob(&token, "other.sigstore.json");
    let other = format!("https://github.com/{OTHER_WORKFLOW_REF}");
    let (code, _, err) = fx.verify_bundle(&bundle, &other, &fx.stack.oidc_issuer);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = fx.verify_bundle(&bundle, fx.stack.identity(), &fx.stack.oidc_issuer);
    assert_eq!(code, 1, "{err}");
}

/// The stack's Fulcio really checks the test issuer's tokens (what the keyless failure tests
/// rely on): an expired token, another audience and a token signed by another key are refused,
/// and cosign writes no bundle.
#[test]
fn the_stack_refuses_expired_wrong_audience_and_foreign_tokens() {
    let Some(fx) = Fixture::new("the_stack_refuses_expired_wrong_audience_and_foreign_tokens")
    else {
        return;
    };
    let foreign = {
        let other = tempfile::tempdir().unwrap();
        provseal_testsupport::oidc::Issuer::create(other.path(), &fx.stack.oidc_issuer)
            .unwrap()
            .mint(&[])
            .unwrap()
    };
    for (what, token) in [
        ("expired", fx.stack.token_with(&[("exp", "-60")])),
        ("audience", fx.stack.token_with(&[("aud", "not-sigstore")])),
        ("foreign key", foreign),
    ] {
        let o = fx.sign_blob(&token, "refused.json");
        assert!(!o.status.success(), "{what}: cosign signed");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("Fulcio returned 400"), "{what}: {err}");
        assert!(
            !fx.path("refused.json").exists(),
            "{what}: a bundle was written"
        );
    }
}

/// GitHub's ambient token flow, end to end: cosign finds `ACTIONS_ID_TOKEN_REQUEST_URL` and
/// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, asks the stack's issuer for an audience-`sigstore` token, and
/// the bundle verifies with provseal under the default identity.
#[test]
fn cosign_ambient_github_token_from_the_stack_verifies_with_provseal() {
    let Some(fx) =
        Fixture::new("cosign_ambient_github_token_from_the_stack_verifies_with_provseal")
    else {
        return;
    };
    let sc = fx.stack.signing_config.to_str().unwrap();
    let o = fx
        .cosign_cmd(&[
            "sign-blob",
            "--yes",
            "--signing-config",
            sc,
            "--bundle",
            "amb.json",
            "a.txt",
        ])
        .env("GITHUB_ACTIONS", "true")
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &fx.stack.actions_request_url,
        )
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            &fx.stack.actions_request_token,
        )
        .output()
        .unwrap();
    assert!(o.status.success(), "cosign (ambient): {o:?}");
    fx.assert_verifies(&fx.path("amb.json"));
}

/// sigstore-python 4.5.1 against the same stack, through a ClientTrustConfig written by
/// `SigstoreStack::write_client_trust_config`: it verifies cosign's bundle offline (and refuses
/// another identity), and a bundle it signs itself verifies with provseal.
#[test]
fn sigstore_python_verifies_offline_with_the_stack_trust_config_and_its_bundles_verify_with_provseal(
) {
    let test = "sigstore_python_verifies_offline_with_the_stack_trust_config";
    let Some(fx) = Fixture::new(test) else {
        return;
    };
    if !provseal_testsupport::require_tool(test, "python3", &["-m", "sigstore", "--version"]) {
        return;
    }
    let trust_config = fx.path("trust_config.json");
    fx.stack
        .write_client_trust_config(&fx.stack.signing_config, &trust_config);
    let bundle = fx.signed_blob(&fx.stack.token(), "a.sigstore.json");
    let o = fx.python_verify(&trust_config, &bundle, fx.stack.identity());
    assert!(o.status.success(), "sigstore-python verify: {o:?}");
    let other = "https://github.com/provseal-test/app/.github/workflows/other.yml@refs/tags/v1.0.0";
    let o = fx.python_verify(&trust_config, &bundle, other);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    // sigstore-python → provseal.
    let o = fx.python(
        &trust_config,
        &[
            "sign",
            "--identity-token",
            &fx.stack.token(),
            "--bundle",
            "py.sigstore.json",
            "a.txt",
        ],
    );
    assert!(o.status.success(), "sigstore-python sign: {o:?}");
    fx.assert_verifies(&fx.path("py.sigstore.json"));
}

/// The Rekor v1 path: cosign signs with Fulcio + Rekor v1 (rekor-server on Trillian) and no TSA,
/// so the log's signed entry timestamp is the only time evidence; provseal verifies the bundle,
/// and a bundle whose SET was altered fails.
#[test]
fn cosign_rekor_v1_bundle_without_tsa_verifies_with_provseal() {
    let test = "cosign_rekor_v1_bundle_without_tsa_verifies_with_provseal";
    let Some(fx) = Fixture::new(test) else {
        return;
    };
    let Some((_, sc_v1)) = fx.stack.rekor_v1(test) else {
        return;
    };
    let o = fx.sign_blob_with(sc_v1, &fx.stack.token(), "v1.sigstore.json");
    assert!(o.status.success(), "cosign sign-blob (Rekor v1): {o:?}");
    let bundle = fx.path("v1.sigstore.json");
    let doc = read_json(&bundle);
    let entry = &doc["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(entry["kindVersion"]["version"], "0.0.1");
    assert!(entry["inclusionPromise"]["signedEntryTimestamp"].is_string());
    assert!(doc["verificationMaterial"]
        .get("timestampVerificationData")
        .and_then(|t| t.get("rfc3161Timestamps"))
        .and_then(|t| t.as_array())
        .is_none_or(|a| a.is_empty()));
    fx.assert_verifies(&bundle);
    if provseal_testsupport::require_tool(test, "python3", &["-m", "sigstore", "--version"]) {
        let o = fx.python_verify(&fx.stack.trust_config, &bundle, fx.stack.identity());
        assert!(
            o.status.success(),
            "sigstore-python verify (Rekor v1): {o:?}"
        );
    }
    let bad_set = fx.edited(&bundle, "v1-set.json", |d| {
        let t = &mut d["verificationMaterial"]["tlogEntries"][0]["integratedTime"];
        let v: i64 = t.as_str().unwrap().parse().unwrap();
        *t = (v + 1).to_string().into();
    });
    let (code, _, err) = fx.verify_bundle(&bad_set, fx.stack.identity(), &fx.stack.oidc_issuer);
    assert_eq!(code, 1, "{err}");
}

/// The stack's seed bundles sit at log index 0 with a proof of no hashes (a tree of one), which
/// protobuf JSON writes without `logIndex` and `hashes`. sigstore-python 4.5.1 refuses such a
/// bundle as malformed (why the stack seeds its logs); provseal reads the absent fields as their
/// zero defaults and verifies it.
#[test]
fn bundles_at_log_index_0_verify_with_provseal() {
    let Some(fx) = Fixture::new("bundles_at_log_index_0_verify_with_provseal") else {
        return;
    };
    let seed = fx.stack.dir.join("seed");
    std::fs::copy(seed.join("seed.txt"), fx.path("a.txt")).unwrap();
    let mut seeds = vec![seed.join("seed.rekor.sigstore.json")];
    if fx.stack.rekor_v1_url.is_some() {
        seeds.push(seed.join("seed.rekor1.sigstore.json"));
    }
    for bundle in seeds {
        let entry = &read_json(&bundle)["verificationMaterial"]["tlogEntries"][0];
        assert!(
            entry.get("logIndex").is_none(),
            "{}: {entry}",
            bundle.display()
        );
        fx.assert_verifies(&bundle);
    }
}
