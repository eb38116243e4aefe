//! CLI transcripts locked by insta snapshots (exit code, stdout, stderr; temp paths, digests, key
//! ids, signatures and times filtered): every `--help`, each subcommand's success output and its
//! main failures. A change to any transcript shows up as a snapshot diff.

use provseal_testsupport::{attest_args, run_args, verify_args};
use provseal_testsupport::{provseal_snapshot, verify_blob_args};

use crate::Project;

/// A git project with an Ed25519 key pair `ci.key`/`ci.pub` and a second pair `other`.
pub(crate) fn keyed() -> Project {
    let prj = Project::with_git();
    prj.keygen("ci", "ed25519");
    prj.keygen("other", "ed25519");
    prj
}

/// [`keyed`] plus `dist/provenance.intoto.jsonl` over both dist files.
pub(crate) fn attested() -> Project {
    let prj = keyed();
    prj.attest("ci.key", "dist/provenance.intoto.jsonl");
    prj
}

const POLICY: &str = r#"version = 1
[[signers]]
name = "ci"
key = "ci.pub"
builders = ["https://provseal.dev/builders/cli/v1"]
repositories = ["github.com/example/tool"]
branches = ["main"]
"#;

#[test]
fn help_of_every_command() {
    let prj = Project::new();
    provseal_snapshot!("help", prj, ["--help"]);
    provseal_snapshot!("help_short", prj, ["-h"]);
    provseal_snapshot!("version", prj, ["--version"]);
    provseal_snapshot!("help_key", prj, ["key", "--help"]);
    provseal_snapshot!("help_key_generate", prj, ["key", "generate", "--help"]);
    provseal_snapshot!("help_key_export", prj, ["key", "export", "--help"]);
    provseal_snapshot!("help_attest", prj, ["attest", "--help"]);
    provseal_snapshot!("help_run", prj, ["run", "--help"]);
    provseal_snapshot!("help_materials", prj, ["materials", "--help"]);
    provseal_snapshot!("help_verify", prj, ["verify", "--help"]);
    provseal_snapshot!("help_inspect", prj, ["inspect", "--help"]);
    provseal_snapshot!("help_verify_bundle", prj, ["verify-bundle", "--help"]);
    provseal_snapshot!("help_sign_blob", prj, ["sign-blob", "--help"]);
    provseal_snapshot!("help_verify_blob", prj, ["verify-blob", "--help"]);
    provseal_snapshot!("help_policy", prj, ["policy", "--help"]);
    provseal_snapshot!("help_policy_check", prj, ["policy", "check", "--help"]);
    provseal_snapshot!("help_index", prj, ["index", "--help"]);
    provseal_snapshot!("help_index_query", prj, ["index", "query", "--help"]);
    provseal_snapshot!("help_subcommand", prj, ["help", "verify"]);
}

#[test]
fn usage_errors() {
    let prj = Project::new();
    provseal_snapshot!("usage_no_args", prj, []);
    provseal_snapshot!("usage_unknown_command", prj, ["frobnicate"]);
    provseal_snapshot!("usage_unknown_flag", prj, ["verify", "--frob"]);
    provseal_snapshot!("usage_attest_no_subject", prj, ["attest", "--key", "k"]);
    provseal_snapshot!(
        "usage_attest_out_and_batch",
        prj,
        [
            "attest",
            "--key",
            "k",
            "--subject",
            "x",
            "--out",
            "a",
            "--batch",
            "b"
        ]
    );
    provseal_snapshot!("usage_verify_no_attestation", prj, ["verify", "x"]);
    provseal_snapshot!(
        "usage_run_no_command",
        prj,
        ["run", "--key", "k", "--subject", "x"]
    );
    provseal_snapshot!(
        "usage_key_generate_bad_algorithm",
        prj,
        ["key", "generate", "--algorithm", "rsa", "--out", "k"]
    );
}

#[test]
fn key_generate_and_export() {
    let prj = Project::new();
    provseal_snapshot!(
        "key_generate_ed25519",
        prj,
        ["key", "generate", "--out", "ci"]
    );
    provseal_snapshot!(
        "key_generate_p256",
        prj,
        ["key", "generate", "--algorithm", "ecdsa-p256", "--out", "p"]
    );
    provseal_snapshot!(
        "key_generate_exists",
        prj,
        ["key", "generate", "--out", "ci"]
    );
    provseal_snapshot!(
        "key_generate_missing_passphrase_var",
        prj,
        [
            "key",
            "generate",
            "--passphrase-env",
            "PROVSEAL_NO_SUCH_VAR",
            "--out",
            "enc"
        ]
    );
    provseal_snapshot!(
        "key_export_minisign",
        prj,
        ["key", "export", "ci.pub", "--format", "minisign"]
    );
    provseal_snapshot!(
        "key_export_missing",
        prj,
        ["key", "export", "nope.pub", "--format", "minisign"]
    );
    provseal_snapshot!(
        "key_export_p256_to_minisign",
        prj,
        ["key", "export", "p.pub", "--format", "minisign"]
    );
}

#[test]
fn attest_shapes_and_failures() {
    let prj = keyed();
    provseal_snapshot!(
        "attest_default",
        prj,
        ["attest", "--key", "ci.key", "--subject", "dist/*"]
    );
    provseal_snapshot!(
        "attest_exists",
        prj,
        ["attest", "--key", "ci.key", "--subject", "dist/*"]
    );
    provseal_snapshot!(
        "attest_json",
        prj,
        attest_args("ci.key", "a.jsonl", &["--json"])
    );
    provseal_snapshot!(
        "attest_per_subject",
        prj,
        [
            "attest",
            "--key",
            "ci.key",
            "--subject",
            "dist/*",
            "--per-subject"
        ]
    );
    provseal_snapshot!(
        "attest_batch_json",
        prj,
        [
            "attest",
            "--key",
            "ci.key",
            "--subject",
            "dist/*",
            "--batch",
            "att",
            "--json"
        ]
    );
    provseal_snapshot!(
        "attest_sigstore_bundle",
        prj,
        [
            "attest",
            "--key",
            "ci.key",
            "--subject",
            "dist/tool-1.0.whl",
            "--format",
            "sigstore-bundle",
            "--out",
            "b.sigstore.json"
        ]
    );
    provseal_snapshot!(
        "attest_no_match",
        prj,
        [
            "attest",
            "--key",
            "ci.key",
            "--subject",
            "nothing/*.whl",
            "--out",
            "n.jsonl"
        ]
    );
    provseal_snapshot!(
        "attest_missing_key",
        prj,
        attest_args("nope.key", "n.jsonl", &[])
    );
    provseal_snapshot!(
        "attest_public_key_as_signer",
        prj,
        attest_args("ci.pub", "n.jsonl", &[])
    );
    provseal_snapshot!(
        "attest_env_key_unset",
        prj,
        attest_args("env://PROVSEAL_NO_SUCH_VAR", "n.jsonl", &[])
    );
    provseal_snapshot!(
        "attest_bad_digest",
        prj,
        [
            "attest",
            "--key",
            "ci.key",
            "--subject",
            "dist/*",
            "--digest",
            "md5",
            "--out",
            "n.jsonl"
        ]
    );
    provseal_snapshot!(
        "attest_subject_outside_tree",
        prj,
        [
            "attest",
            "--key",
            "ci.key",
            "--subject",
            "../../etc/passwd",
            "--out",
            "n.jsonl"
        ]
    );
    assert!(!prj.file("n.jsonl").exists());
}

#[test]
fn verify_success_and_failures() {
    let prj = attested();
    let att = "dist/provenance.intoto.jsonl";
    provseal_snapshot!(
        "verify_ok",
        prj,
        [
            "verify",
            "dist/tool-1.0.tar.gz",
            "dist/tool-1.0.whl",
            "--attestation",
            att,
            "--key",
            "ci.pub"
        ]
    );
    provseal_snapshot!(
        "verify_ok_json",
        prj,
        verify_args("dist/tool-1.0.whl", att, "ci.pub", &["--json"])
    );
    provseal_snapshot!(
        "verify_expectations_met",
        prj,
        verify_args(
            "dist/tool-1.0.whl",
            att,
            "ci.pub",
            &[
                "--source-uri",
                "github.com/example/tool",
                "--builder-id",
                "https://provseal.dev/builders/cli/v1",
                "--source-branch",
                "main"
            ]
        )
    );
    provseal_snapshot!(
        "verify_wrong_source",
        prj,
        verify_args(
            "dist/tool-1.0.whl",
            att,
            "ci.pub",
            &["--source-uri", "github.com/example/other"]
        )
    );
    provseal_snapshot!(
        "verify_wrong_builder",
        prj,
        verify_args(
            "dist/tool-1.0.whl",
            att,
            "ci.pub",
            &["--builder-id", "https://example.invalid/builder"]
        )
    );
    provseal_snapshot!(
        "verify_other_key",
        prj,
        verify_args("dist/tool-1.0.whl", att, "other.pub", &[])
    );
    provseal_snapshot!(
        "verify_other_key_json",
        prj,
        verify_args("dist/tool-1.0.whl", att, "other.pub", &["--json"])
    );
    provseal_snapshot!(
        "verify_no_trust",
        prj,
        ["verify", "dist/tool-1.0.whl", "--attestation", att]
    );
    provseal_snapshot!(
        "verify_dsse_with_identity_only",
        prj,
        [
            "verify",
            "dist/tool-1.0.whl",
            "--attestation",
            att,
            "--certificate-identity",
            "https://github.com/example/tool/.github/workflows/release.yml@refs/heads/main",
            "--certificate-oidc-issuer",
            "https://token.actions.githubusercontent.com"
        ]
    );
    provseal_snapshot!(
        "verify_missing_artifact",
        prj,
        verify_args("dist/nope.whl", att, "ci.pub", &[])
    );
    provseal_snapshot!(
        "verify_missing_attestation",
        prj,
        verify_args("dist/tool-1.0.whl", "nope.jsonl", "ci.pub", &[])
    );
    std::fs::write(prj.file("other.bin"), b"not a subject").unwrap();
    provseal_snapshot!(
        "verify_not_a_subject",
        prj,
        verify_args("other.bin", att, "ci.pub", &[])
    );
    std::fs::write(prj.file("bad.jsonl"), b"{\"payloadType\": ").unwrap();
    provseal_snapshot!(
        "verify_truncated_attestation",
        prj,
        verify_args("dist/tool-1.0.whl", "bad.jsonl", "ci.pub", &[])
    );
    std::fs::write(prj.file("empty.jsonl"), b"").unwrap();
    provseal_snapshot!(
        "verify_empty_attestation",
        prj,
        verify_args("dist/tool-1.0.whl", "empty.jsonl", "ci.pub", &[])
    );
    provseal_snapshot!(
        "verify_bad_digest_argument",
        prj,
        verify_args("sha256:zz", att, "ci.pub", &[])
    );
    std::fs::write(prj.file("dist/tool-1.0.whl"), b"modified wheel").unwrap();
    provseal_snapshot!(
        "verify_modified_artifact",
        prj,
        verify_args("dist/tool-1.0.whl", att, "ci.pub", &[])
    );
}

#[test]
fn verify_with_policy_and_vsa() {
    let prj = attested();
    let att = "dist/provenance.intoto.jsonl";
    std::fs::write(prj.file("ok.toml"), POLICY).unwrap();
    std::fs::write(
        prj.file("tag.toml"),
        POLICY.replace("branches = [\"main\"]", "branches = [\"release\"]"),
    )
    .unwrap();
    std::fs::write(
        prj.file("unknown.toml"),
        format!("{POLICY}colour = \"red\"\n"),
    )
    .unwrap();
    std::fs::write(prj.file("bad.toml"), "version = 1\n[[signers]\n").unwrap();
    provseal_snapshot!("policy_check_ok", prj, ["policy", "check", "ok.toml"]);
    provseal_snapshot!(
        "policy_check_unknown_key",
        prj,
        ["policy", "check", "unknown.toml"]
    );
    provseal_snapshot!(
        "policy_check_malformed",
        prj,
        ["policy", "check", "bad.toml"]
    );
    provseal_snapshot!(
        "policy_check_missing",
        prj,
        ["policy", "check", "nope.toml"]
    );
    provseal_snapshot!(
        "verify_policy_ok",
        prj,
        [
            "verify",
            "dist/tool-1.0.whl",
            "--attestation",
            att,
            "--policy",
            "ok.toml"
        ]
    );
    provseal_snapshot!(
        "verify_policy_denied",
        prj,
        [
            "verify",
            "dist/tool-1.0.whl",
            "--attestation",
            att,
            "--policy",
            "tag.toml"
        ]
    );
    provseal_snapshot!(
        "verify_policy_denied_json",
        prj,
        [
            "verify",
            "dist/tool-1.0.whl",
            "--attestation",
            att,
            "--policy",
            "tag.toml",
            "--json"
        ]
    );
    provseal_snapshot!(
        "verify_vsa_out",
        prj,
        [
            "verify",
            "dist/tool-1.0.whl",
            "--attestation",
            att,
            "--policy",
            "ok.toml",
            "--vsa-out",
            "out.vsa.jsonl",
            "--vsa-key",
            "ci.key",
            "--resource-uri",
            "https://example.invalid/tool-1.0.whl"
        ]
    );
    provseal_snapshot!("inspect_vsa", prj, ["inspect", "out.vsa.jsonl"]);
}

#[test]
fn inspect_text_json_and_failures() {
    let prj = attested();
    provseal_snapshot!(
        "inspect_text",
        prj,
        ["inspect", "dist/provenance.intoto.jsonl"]
    );
    provseal_snapshot!(
        "inspect_json",
        prj,
        ["inspect", "dist/provenance.intoto.jsonl", "--json"]
    );
    provseal_snapshot!("inspect_missing", prj, ["inspect", "nope.jsonl"]);
    std::fs::write(prj.file("bad.jsonl"), b"not json\n").unwrap();
    provseal_snapshot!("inspect_malformed", prj, ["inspect", "bad.jsonl"]);
}

#[test]
fn materials_and_run() {
    let prj = keyed();
    std::fs::write(prj.file("requirements.txt"), "click==8.1.7\n").unwrap();
    provseal_snapshot!(
        "materials_json",
        prj,
        ["materials", "--lockfile", "requirements.txt", "--json"]
    );
    provseal_snapshot!(
        "materials_missing_lockfile",
        prj,
        ["materials", "--lockfile", "nope.txt"]
    );
    provseal_snapshot!(
        "run_ok",
        prj,
        run_args("ci.key", "run.jsonl", &["--", "true"])
    );
    provseal_snapshot!(
        "run_build_fails",
        prj,
        run_args("ci.key", "f.jsonl", &["--", "sh", "-c", "exit 7"])
    );
    provseal_snapshot!(
        "run_command_not_found",
        prj,
        run_args("ci.key", "f.jsonl", &["--", "provseal-no-such-command"])
    );
    provseal_snapshot!(
        "run_missing_key",
        prj,
        run_args("nope.key", "f.jsonl", &["--", "true"])
    );
    assert!(!prj.file("f.jsonl").exists());
    provseal_snapshot!(
        "verify_run_attestation",
        prj,
        verify_args("dist/tool-1.0.whl", "run.jsonl", "ci.pub", &[])
    );
}

#[test]
fn blob_sign_verify_and_bundles() {
    let prj = keyed();
    std::fs::write(prj.file("blob.txt"), b"hello\n").unwrap();
    provseal_snapshot!(
        "sign_blob_minisign",
        prj,
        [
            "sign-blob",
            "blob.txt",
            "--key",
            "ci.key",
            "--trusted-comment",
            "fixed comment"
        ]
    );
    provseal_snapshot!(
        "sign_blob_raw",
        prj,
        [
            "sign-blob",
            "blob.txt",
            "--key",
            "ci.key",
            "--format",
            "raw",
            "--out",
            "blob.sig"
        ]
    );
    provseal_snapshot!(
        "sign_blob_missing_file",
        prj,
        ["sign-blob", "nope.txt", "--key", "ci.key"]
    );
    provseal_snapshot!(
        "verify_blob_ok",
        prj,
        verify_blob_args("blob.txt", "blob.txt.minisig", "ci.pub", &[])
    );
    provseal_snapshot!(
        "verify_blob_other_key",
        prj,
        verify_blob_args("blob.txt", "blob.txt.minisig", "other.pub", &[])
    );
    std::fs::write(prj.file("blob.txt"), b"hellO\n").unwrap();
    provseal_snapshot!(
        "verify_blob_tampered",
        prj,
        verify_blob_args("blob.txt", "blob.txt.minisig", "ci.pub", &[])
    );
    provseal_snapshot!(
        "verify_blob_missing_signature",
        prj,
        verify_blob_args("blob.txt", "nope.minisig", "ci.pub", &[])
    );

    let (c, _, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "dist/tool-1.0.whl",
        "--format",
        "sigstore-bundle",
        "--out",
        "w.sigstore.json",
    ]);
    assert_eq!(c, 0, "{err}");
    provseal_snapshot!(
        "verify_bundle_key_ok",
        prj,
        [
            "verify-bundle",
            "dist/tool-1.0.whl",
            "--bundle",
            "w.sigstore.json",
            "--key",
            "ci.pub"
        ]
    );
    provseal_snapshot!(
        "verify_bundle_other_key",
        prj,
        [
            "verify-bundle",
            "dist/tool-1.0.whl",
            "--bundle",
            "w.sigstore.json",
            "--key",
            "other.pub"
        ]
    );
    provseal_snapshot!(
        "verify_bundle_missing",
        prj,
        [
            "verify-bundle",
            "dist/tool-1.0.whl",
            "--bundle",
            "nope.json",
            "--key",
            "ci.pub"
        ]
    );
    provseal_snapshot!(
        "verify_bundle_no_identity",
        prj,
        [
            "verify-bundle",
            "dist/tool-1.0.whl",
            "--bundle",
            "w.sigstore.json"
        ]
    );
    provseal_snapshot!(
        "inspect_sigstore_bundle",
        prj,
        ["inspect", "w.sigstore.json"]
    );
}
