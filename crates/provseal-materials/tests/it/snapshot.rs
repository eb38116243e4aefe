//! Snapshots: secrets never recorded, drift of lockfiles and the work tree.

use std::path::Path;
use std::process::Command;

use provseal_materials::{
    diff, snapshot, snapshot_default, CollectContext, Collector, MaterialsError,
};

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn data(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/python")
        .join(rel)
}

const TOKEN: &str = "ghs_0123456789SECRETabcdefTOKENVALUE";
const AWS: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[test]
fn secrets_never_appear_in_a_snapshot() {
    if !provseal_testsupport::require_tool("secrets", "git", &["--version"]) {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q"]);
    std::fs::write(
        d.join("requirements.txt"),
        format!("private-pkg @ git+https://x-access-token:{TOKEN}@github.com/o/p.git@v1\n"),
    )
    .unwrap();
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "x"]);
    git(
        d,
        &[
            "remote",
            "add",
            "origin",
            &format!("https://{TOKEN}@github.com/o/r.git"),
        ],
    );
    let mut ctx = CollectContext {
        root: d.into(),
        ..Default::default()
    };
    for (k, v) in [
        ("GITHUB_TOKEN", TOKEN),
        ("AWS_SECRET_ACCESS_KEY", AWS),
        ("CI", "true"),
        ("GITHUB_REPOSITORY", "o/r"),
        (
            "CI_PROJECT_URL",
            &format!("https://gitlab-ci-token:{TOKEN}@gitlab.example/o/r"),
        ),
        ("HOME", "/root"),
    ] {
        ctx.env.insert(k.into(), v.into());
    }
    ctx.extra_env = vec!["HOME".into()];
    let snap = snapshot_default(&ctx).unwrap();
    let json = serde_json::to_string(&snap).unwrap();
    assert!(!json.contains(TOKEN), "{json}");
    assert!(!json.contains(AWS), "{json}");
    assert!(!json.contains("SECRETabcdef"), "{json}");
    assert_eq!(snap.env_vars.get("CI").map(String::as_str), Some("true"));
    assert_eq!(snap.env_vars.get("HOME").map(String::as_str), Some("/root"));
    assert_eq!(
        snap.env_vars.get("CI_PROJECT_URL").map(String::as_str),
        Some("https://gitlab.example/o/r")
    );
    assert!(!snap.env_vars.contains_key("GITHUB_TOKEN"));
    assert_eq!(
        snap.materials[0].uri.as_deref(),
        Some("git+https://github.com/o/r.git@refs/heads/main")
    );

    // Asking for a secret by name is refused, and the error never carries the value.
    for name in [
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "aws_secret_access_key",
    ] {
        ctx.extra_env = vec![name.into()];
        let err = snapshot_default(&ctx).unwrap_err();
        assert!(
            matches!(&err, MaterialsError::SecretEnvRefused { name: n } if n == name),
            "{err:?}"
        );
        let text = format!("{err} {err:?}");
        assert!(!text.contains(TOKEN) && !text.contains(AWS), "{text}");
    }
}

#[test]
fn lockfile_edit_and_dirtied_tree_are_drift() {
    if !provseal_testsupport::require_tool("drift", "git", &["--version"]) {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q"]);
    std::fs::copy(data("uv/uv.lock"), d.join("uv.lock")).unwrap();
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "x"]);
    let ctx = CollectContext {
        root: d.into(),
        ..Default::default()
    };
    let collectors: [&dyn Collector; 0] = [];
    let before = snapshot(&ctx, &collectors).unwrap();
    assert_eq!(
        before.materials.len(),
        1 + 1 + 19,
        "source, lockfile, packages"
    );
    assert!(before.warnings.is_empty(), "{:?}", before.warnings);
    assert!(diff(&before, &snapshot(&ctx, &collectors).unwrap()).is_empty());

    // The "build" bumps a locked version and writes an untracked file.
    let text = std::fs::read_to_string(d.join("uv.lock")).unwrap();
    let text = text.replacen(
        "name = \"idna\"\nversion = \"3.20\"",
        "name = \"idna\"\nversion = \"3.21\"",
        1,
    );
    std::fs::write(d.join("uv.lock"), text).unwrap();
    std::fs::write(d.join("out.bin"), "x").unwrap();
    let after = snapshot(&ctx, &collectors).unwrap();
    let drift = diff(&before, &after);
    assert_eq!(drift.changed.len(), 1);
    assert_eq!(drift.changed[0].key, "pkg:pypi/idna");
    assert_eq!(drift.changed[0].old.id, "pkg:pypi/idna@3.20");
    assert_eq!(drift.changed[0].new.id, "pkg:pypi/idna@3.21");
    assert_eq!(drift.lockfiles_changed.len(), 1);
    assert_eq!(drift.lockfiles_changed[0].key, "uv.lock");
    assert!(drift.source_became_dirty);
    assert_eq!(drift.new_dirty_paths, ["out.bin", "uv.lock"]);
    assert!(!drift.source_commit_changed);
    assert!(drift.added.is_empty() && drift.removed.is_empty());
    let j = serde_json::to_value(&drift).unwrap();
    assert_eq!(j["sourceBecameDirty"], true);
}

/// A fresh repository without a commit: the snapshot alone works and warns; by default (as for
/// `attest` and `run`) it is the clear error.
#[test]
fn fresh_repository_without_commit_warns_when_asked() {
    if !provseal_testsupport::require_tool("unborn", "git", &["--version"]) {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    git(t.path(), &["init", "-q"]);
    std::fs::copy(data("uv/uv.lock"), t.path().join("uv.lock")).unwrap();
    let mut ctx = CollectContext {
        root: t.path().into(),
        ..Default::default()
    };
    assert!(matches!(
        snapshot(&ctx, &[]),
        Err(MaterialsError::GitNoCommit { .. })
    ));
    ctx.unborn = provseal_materials::UnbornHead::Warn;
    let s = snapshot(&ctx, &[]).unwrap();
    assert!(s.source.is_none());
    assert_eq!(s.materials.len(), 1 + 19);
    assert_eq!(s.warnings.len(), 1);
    assert_eq!(s.warnings[0].code, "source-no-commit");
    assert_eq!(
        s.warnings[0].message,
        format!(
            "git repository `{}` has no commits yet (branch `refs/heads/main` is unborn); commit the source first",
            std::fs::canonicalize(t.path()).unwrap().display()
        )
    );
}

/// Removing a git-sourced Cargo package shows in the drift report.
#[test]
fn removed_git_cargo_package_is_drift() {
    let t = tempfile::tempdir().unwrap();
    let lock = t.path().join("Cargo.lock");
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cargo/v4/Cargo.lock"),
    )
    .unwrap();
    let git_pkg = "\n[[package]]\nname = \"gitdep\"\nversion = \"0.3.0\"\nsource = \"git+https://github.com/o/gitdep?branch=main#0123456789abcdef0123456789abcdef01234567\"\n";
    std::fs::write(&lock, format!("{base}{git_pkg}")).unwrap();
    let ctx = CollectContext {
        root: t.path().into(),
        ..Default::default()
    };
    let before = snapshot(&ctx, &[]).unwrap();
    std::fs::write(&lock, &base).unwrap();
    let after = snapshot(&ctx, &[]).unwrap();
    let drift = diff(&before, &after);
    assert_eq!(
        drift
            .removed
            .iter()
            .map(|m| m.id.as_str())
            .collect::<Vec<_>>(),
        ["pkg:cargo/gitdep@0.3.0"]
    );
    assert_eq!(
        drift.removed[0].digest,
        ["gitCommit:0123456789abcdef0123456789abcdef01234567"]
    );
    assert_eq!(drift.lockfiles_changed.len(), 1);
    assert!(drift.added.is_empty() && drift.changed.is_empty());
}
