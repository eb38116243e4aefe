//! Issue 13: a real GitHub release attestation (from GitHub's CLI's test data; see
//! `tests/fixtures/github-release/SOURCE.md`) verifies by its commit's `sha1` with GitHub's trust
//! root and release identity, as `gh release verify` checks it; a tampered copy and another
//! commit fail with exit 1 on one line.

use base64::Engine as _;
use provseal_testsupport::provseal_snapshot;

use crate::Project;

/// The release's commit (the statement's `sha1` subject) and its `artifact.zip`.
const COMMIT: &str = "c5e17a62e06a1d201570249c61fae531e9244e1b";
const ZIP_SHA256: &str = "e15b593c6ab8d7725a3cc82226ef816cac6bf9c70eed383bd459295cc65f5ec3";
const IDENTITY: &str = "https://dotcom.releases.github.com";

/// A project holding the real bundle as `release.sigstore.json`.
fn project() -> Project {
    let prj = Project::new();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github-release/github_release_bundle.json");
    std::fs::copy(fixture, prj.file("release.sigstore.json")).unwrap();
    prj
}

#[test]
fn issue_13_github_release_attestation_verifies_by_commit() {
    let prj = project();
    let commit = format!("sha1:{COMMIT}");
    provseal_snapshot!(
        "github_release_verified",
        prj,
        [
            "verify",
            &commit,
            "--attestation",
            "release.sigstore.json",
            "--certificate-identity",
            IDENTITY,
            "--github-trust-root"
        ]
    );
    // (artifact, identity, trust root flag (or a neutral one), expected exit code)
    let other = "https://github.com/bdehamer/delme/.github/workflows/release.yml@refs/tags/v6";
    let (git_commit, zip) = (
        format!("gitCommit:{COMMIT}"),
        format!("sha256:{ZIP_SHA256}"),
    );
    for (artifact, identity, root, want) in [
        // the same commit named as an in-toto `gitCommit`, and the release's other subject
        (&git_commit, IDENTITY, "--github-trust-root", 0),
        (&zip, IDENTITY, "--github-trust-root", 0),
        // without GitHub's trust root it is not trusted (the public-good root has no such CA,
        // and the bundle has no transparency-log entry)
        (&commit, IDENTITY, "--quiet", 1),
        // another identity is refused
        (&commit, other, "--github-trust-root", 1),
    ] {
        let (code, out, err) = prj.run(&[
            "verify",
            artifact,
            "--attestation",
            "release.sigstore.json",
            "--certificate-identity",
            identity,
            root,
        ]);
        assert_eq!(code, want, "{artifact} {identity} {root}: {out}{err}");
    }
}

#[test]
fn issue_13_github_release_attestation_other_commit_or_tampered_fails() {
    let prj = project();
    provseal_snapshot!(
        "github_release_other_commit",
        prj,
        [
            "verify",
            "sha1:0000000000000000000000000000000000000001",
            "--attestation",
            "release.sigstore.json",
            "--certificate-identity",
            IDENTITY,
            "--github-trust-root"
        ]
    );
    // The signed payload with its tag changed from v6 to v7: one byte of the statement.
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(prj.file("release.sigstore.json")).unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let text = String::from_utf8(payload).unwrap();
    assert!(text.contains(r#""tag":"v6""#), "{text}");
    let tampered = text.replace(r#""tag":"v6""#, r#""tag":"v7""#);
    bundle["dsseEnvelope"]["payload"] = b64.encode(tampered).into();
    std::fs::write(
        prj.file("tampered.sigstore.json"),
        serde_json::to_vec_pretty(&bundle).unwrap(),
    )
    .unwrap();
    let commit = format!("sha1:{COMMIT}");
    provseal_snapshot!(
        "github_release_tampered",
        prj,
        [
            "verify",
            &commit,
            "--attestation",
            "tampered.sigstore.json",
            "--certificate-identity",
            IDENTITY,
            "--github-trust-root"
        ]
    );
}

/// `inspect` names the release's commit subject by its `uri` (a purl; it has no file name), so
/// the user sees what the `sha1:` they pass to `verify` stands for.
#[test]
fn issue_13_github_release_inspect_names_the_commit_by_its_uri() {
    let prj = project();
    provseal_snapshot!(
        "github_release_inspect",
        prj,
        ["inspect", "release.sigstore.json"]
    );
}
