//! Secrets never leave through the materials: credentials planted in every lockfile format, in
//! a requirements include and in the environment appear in no output — the snapshot (`--json`),
//! the SBOM, the warnings, or an error message.

use std::path::Path;
use std::process::Command;

use provseal_materials::sbom::{cyclonedx_json, SbomMetadata};
use provseal_materials::{snapshot, CollectContext, DiscoveryOptions};
use provseal_testsupport::secrets::{plant, ENV, MARK, RECORDED};

fn write(root: &Path, rel: &str, text: &str) {
    std::fs::write(root.join(rel), text).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn planted_secrets_reach_no_output() {
    if !provseal_testsupport::require_tool("secrets", "git", &["--version"]) {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    plant(root);
    git(root, &["init", "-q"]);
    git(
        root,
        &[
            "remote",
            "add",
            "origin",
            "https://x-access-token:PLANTED_REMOTE@github.com/o/r.git",
        ],
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "x"]);
    let ctx = CollectContext {
        root: root.into(),
        discovery: DiscoveryOptions {
            lockfiles: vec!["**".into()],
            ..Default::default()
        },
        env: ENV
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        extra_env: vec!["GOPROXY".into()],
        ..Default::default()
    };
    let snap = snapshot(&ctx, &[]).unwrap();
    // The planted files were read: their packages are there, URLs without the secrets.
    let json = serde_json::to_string_pretty(&snap).unwrap();
    for host in RECORDED
        .iter()
        .chain(&["goproxy.example.com", "github.example.com"])
    {
        assert!(json.contains(host), "{host} not recorded");
    }
    let sbom = cyclonedx_json(
        &snap.materials,
        Some(&snap.graph),
        &SbomMetadata {
            component_name: "x".into(),
            component_version: None,
            tool_name: "provseal".into(),
            tool_version: "0".into(),
            timestamp: "2026-01-01T00:00:00Z".into(),
            serial_number: None,
        },
    )
    .unwrap();
    let warnings = format!("{:?}", snap.warnings);
    for (what, text) in [
        ("snapshot", json.as_str()),
        ("SBOM", std::str::from_utf8(&sbom).unwrap()),
        ("warnings", warnings.as_str()),
    ] {
        assert!(
            !text.contains(MARK),
            "{what} leaks a planted secret:\n{text}"
        );
    }

    // A long invalid requirement line: the error strips, then shortens.
    write(
        root,
        "req/requirements.txt",
        &format!(
            "!pkg https://u:PLANTED_LONG@example.com/{}\n",
            "x".repeat(200)
        ),
    );
    let err = snapshot(&ctx, &[]).unwrap_err().to_string();
    assert!(err.contains("requirements.txt:1"), "{err}");
    assert!(!err.contains(MARK), "{err}");
    // Includes outside the tree (/proc) are refused, naming the line.
    write(root, "req/requirements.txt", "-r /proc/self/environ\n");
    let err = snapshot(&ctx, &[]).unwrap_err().to_string();
    assert_eq!(
        err,
        "`req/requirements.txt:1`: include `/proc/self/environ` refused: it lies outside the work tree"
    );
    write(root, "req/requirements.txt", "-r ../../outside.txt\n");
    let err = snapshot(&ctx, &[]).unwrap_err().to_string();
    assert!(
        err.ends_with("refused: it lies outside the work tree")
            || err.ends_with("refused: no such file"),
        "{err}"
    );
}
