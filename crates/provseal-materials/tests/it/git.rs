//! git source capture against repositories made with the real `git`.

use std::path::Path;
use std::process::Command;

use provseal_materials::git::{source_info, TreeState};
use provseal_materials::MaterialsError;

fn have_git() -> bool {
    provseal_testsupport::require_tool("git", "git", &["--version"])
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository with one commit (`a.txt`, `b.txt`, a `.gitignore`d `build/`).
fn repo(dir: &Path) -> String {
    git(dir, &["init", "-q"]);
    std::fs::write(dir.join("a.txt"), "a\n").unwrap();
    std::fs::write(dir.join("b.txt"), "b\n").unwrap();
    std::fs::write(dir.join(".gitignore"), "build/\n").unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "init"]);
    git(dir, &["rev-parse", "HEAD"])
}

#[test]
fn clean_repo() {
    if !have_git() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let sha = repo(t.path());
    std::fs::create_dir(t.path().join("build")).unwrap();
    std::fs::write(t.path().join("build/out.o"), "x").unwrap();
    std::fs::create_dir(t.path().join("sub")).unwrap();
    let info = source_info(&t.path().join("sub")).unwrap().unwrap();
    assert_eq!(info.commit, sha);
    assert_eq!(info.commit.len(), 40);
    assert_eq!(info.tree_state, TreeState::Clean);
    assert_eq!(info.ref_name.as_deref(), Some("refs/heads/main"));
    assert_eq!(info.remote_url, None);
    assert!(info.submodules.is_empty());
    assert_eq!(
        std::fs::canonicalize(&info.root).unwrap(),
        std::fs::canonicalize(t.path()).unwrap()
    );
    let rd = info.to_resource_descriptor();
    assert_eq!(rd.uri, None);
    let j = serde_json::to_value(&rd).unwrap();
    assert_eq!(j["digest"]["gitCommit"], sha.as_str());
    assert_eq!(j["annotations"]["treeState"], "clean");
}

#[test]
fn dirty_repo_lists_modified_staged_deleted_and_untracked() {
    if !have_git() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    repo(t.path());
    std::fs::write(t.path().join("a.txt"), "changed\n").unwrap();
    std::fs::remove_file(t.path().join("b.txt")).unwrap();
    std::fs::write(t.path().join("new file.txt"), "n\n").unwrap();
    std::fs::write(t.path().join("staged.txt"), "s\n").unwrap();
    git(t.path(), &["add", "staged.txt"]);
    std::fs::create_dir(t.path().join("newdir")).unwrap();
    std::fs::write(t.path().join("newdir/x"), "x").unwrap();
    let info = source_info(t.path()).unwrap().unwrap();
    assert_eq!(
        info.tree_state,
        TreeState::Dirty {
            paths: vec![
                "a.txt".into(),
                "b.txt".into(),
                "new file.txt".into(),
                "newdir/".into(),
                "staged.txt".into()
            ]
        }
    );
    let j = serde_json::to_value(&info).unwrap();
    assert_eq!(j["treeState"]["state"], "dirty");
    let rd = serde_json::to_value(info.to_resource_descriptor()).unwrap();
    assert_eq!(rd["annotations"]["treeState"], "dirty");
    assert_eq!(rd["annotations"]["dirtyPaths"][0], "a.txt");
}

#[test]
fn remote_credentials_are_stripped() {
    if !have_git() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let sha = repo(t.path());
    git(
        t.path(),
        &[
            "remote",
            "add",
            "origin",
            "https://x-access-token:ghs_SECRETVALUE@github.com/o/r.git",
        ],
    );
    git(
        t.path(),
        &["remote", "add", "other", "https://tok@example.com/x.git"],
    );
    let info = source_info(t.path()).unwrap().unwrap();
    assert_eq!(info.remote_name.as_deref(), Some("origin"));
    assert_eq!(
        info.remote_url.as_deref(),
        Some("https://github.com/o/r.git")
    );
    let rd = info.to_resource_descriptor();
    assert_eq!(
        rd.uri.as_deref(),
        Some("git+https://github.com/o/r.git@refs/heads/main")
    );
    let all = serde_json::to_string(&info).unwrap() + &serde_json::to_string(&rd).unwrap();
    assert!(!all.contains("SECRETVALUE"), "{all}");
    assert!(all.contains(&sha));

    // Only a token-only remote: still stripped.
    let t2 = tempfile::tempdir().unwrap();
    repo(t2.path());
    git(
        t2.path(),
        &[
            "remote",
            "add",
            "up",
            "https://ghp_abc123@example.com/x.git",
        ],
    );
    let info = source_info(t2.path()).unwrap().unwrap();
    assert_eq!(
        info.remote_url.as_deref(),
        Some("https://example.com/x.git")
    );
}

#[test]
fn detached_head_has_no_ref_but_describe_and_tags() {
    if !have_git() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let first = repo(t.path());
    git(t.path(), &["tag", "v1.0"]);
    std::fs::write(t.path().join("a.txt"), "2\n").unwrap();
    git(t.path(), &["commit", "-q", "-am", "second"]);
    git(
        t.path(),
        &["remote", "add", "origin", "git@github.com:o/r.git"],
    );
    git(t.path(), &["checkout", "-q", "--detach", "v1.0"]);
    let info = source_info(t.path()).unwrap().unwrap();
    assert_eq!(info.commit, first);
    assert_eq!(info.ref_name, None);
    assert_eq!(info.describe.as_deref(), Some("v1.0"));
    assert_eq!(info.tags, vec!["refs/tags/v1.0".to_string()]);
    assert_eq!(info.tree_state, TreeState::Clean);
    assert_eq!(
        info.to_resource_descriptor().uri.as_deref(),
        Some("git+ssh://github.com/o/r.git@refs/tags/v1.0")
    );
}

#[test]
fn submodule_commits_are_recorded() {
    if !have_git() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let lib = t.path().join("lib");
    let app = t.path().join("app");
    std::fs::create_dir(&lib).unwrap();
    std::fs::create_dir(&app).unwrap();
    let lib_sha = repo(&lib);
    repo(&app);
    git(
        &app,
        &[
            "submodule",
            "add",
            "-q",
            lib.to_str().unwrap(),
            "vendor/lib",
        ],
    );
    git(&app, &["commit", "-q", "-m", "add submodule"]);
    let info = source_info(&app).unwrap().unwrap();
    assert_eq!(info.tree_state, TreeState::Clean);
    assert_eq!(info.submodules.len(), 1);
    let s = &info.submodules[0];
    assert_eq!(s.path, "vendor/lib");
    assert_eq!(s.commit, lib_sha);
    assert_eq!(s.state, "in-sync");

    // Moving the submodule's checkout makes the superproject dirty and the state `modified`.
    let sub = app.join("vendor/lib");
    std::fs::write(sub.join("a.txt"), "new\n").unwrap();
    git(&sub, &["commit", "-q", "-am", "moved"]);
    let moved = git(&sub, &["rev-parse", "HEAD"]);
    let info = source_info(&app).unwrap().unwrap();
    assert_eq!(info.submodules[0].commit, moved);
    assert_eq!(info.submodules[0].state, "modified");
    assert_eq!(
        info.tree_state,
        TreeState::Dirty {
            paths: vec!["vendor/lib".into()]
        }
    );
}

#[test]
fn outside_a_repository_is_none() {
    if !have_git() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    assert_eq!(source_info(t.path()).unwrap(), None);
    // Inside the .git directory: not a work tree.
    repo(t.path());
    assert_eq!(source_info(&t.path().join(".git")).unwrap(), None);
}

#[test]
fn repository_without_commits_is_an_error() {
    if !have_git() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    git(t.path(), &["init", "-q"]);
    let err = source_info(t.path()).unwrap_err();
    assert!(
        matches!(&err, MaterialsError::GitNoCommit { branch: Some(b), .. } if b == "refs/heads/main"),
        "{err:?}"
    );
    assert!(err.to_string().contains("has no commits yet"), "{err}");
}

/// SSH remotes, scp-like and URL form, are recorded without their user, as one repository.
#[test]
fn ssh_remotes_are_recorded_without_user() {
    if !have_git() {
        return;
    }
    for remote in ["git@github.com:o/r.git", "ssh://git@github.com/o/r.git"] {
        let t = tempfile::tempdir().unwrap();
        repo(t.path());
        git(t.path(), &["remote", "add", "origin", remote]);
        let info = source_info(t.path()).unwrap().unwrap();
        assert_eq!(
            info.remote_url.as_deref(),
            Some("ssh://github.com/o/r.git"),
            "{remote}"
        );
    }
}
