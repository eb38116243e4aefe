//! Discovery: the working directory and its ancestors by default, `**` and globs to add,
//! excludes, `provseal.toml`, the hint list, `.gitignore`, one walk, and no recursion outside git.

use std::path::Path;

use provseal_materials::discover::{collect_lockfiles, LockfileSet};
use provseal_materials::{CollectContext, DiscoveryOptions};

const UV: &str = "version = 1\n";
const CARGO: &str = "version = 4\n";
const REQ: &str = "attrs==23.2.0\n";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A work tree: a workspace root `Cargo.lock`, the build's directory `app/` with a `uv.lock`, a
/// deeper `app/tools/requirements.txt`, a test fixture `fixtures/…/package-lock.json` beside it,
/// and a git-ignored `build/requirements.txt`.
fn tree() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    std::fs::create_dir(r.join(".git")).unwrap();
    write(r, ".gitignore", "build/\n");
    write(r, "Cargo.lock", CARGO);
    write(r, "app/uv.lock", UV);
    write(r, "app/tools/requirements.txt", REQ);
    write(r, "fixtures/evil/requirements.txt", "event-stream==3.3.6\n");
    write(r, "build/requirements.txt", REQ);
    t
}

fn run(root: &Path, cwd: &str, d: DiscoveryOptions) -> LockfileSet {
    collect_lockfiles(&CollectContext {
        root: root.into(),
        cwd: root.join(cwd),
        discovery: d,
        ..Default::default()
    })
    .unwrap()
}

fn names(s: &LockfileSet) -> Vec<&str> {
    s.materials
        .iter()
        .filter_map(|m| m.name.as_deref())
        .collect()
}

fn opts(lockfiles: &[&str], exclude: &[&str]) -> DiscoveryOptions {
    DiscoveryOptions {
        lockfiles: lockfiles.iter().map(|s| s.to_string()).collect(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn default_is_the_working_directory_and_its_ancestors_with_a_hint() {
    let t = tree();
    let s = run(t.path(), "app", DiscoveryOptions::default());
    assert_eq!(names(&s), ["Cargo.lock", "app/uv.lock"]);
    assert_eq!(s.unrecorded, ["app/tools/requirements.txt"]);
    assert_eq!(s.stats.walks, 1);
}

#[test]
fn the_whole_tree_honours_gitignore_and_excludes() {
    let t = tree();
    let s = run(t.path(), "app", opts(&["**"], &[]));
    assert_eq!(
        names(&s),
        [
            "Cargo.lock",
            "app/tools/requirements.txt",
            "app/uv.lock",
            "fixtures/evil/requirements.txt"
        ]
    );
    assert_eq!(s.stats.walks, 1);
    let s = run(t.path(), "app", opts(&["**"], &["fixtures/**"]));
    assert_eq!(
        names(&s),
        ["Cargo.lock", "app/tools/requirements.txt", "app/uv.lock"]
    );
    let s = run(t.path(), "", opts(&["app/**/*.txt"], &["Cargo.lock"]));
    assert_eq!(names(&s), ["app/tools/requirements.txt"]);
}

#[test]
fn provseal_toml_holds_the_same_settings() {
    let t = tree();
    write(
        t.path(),
        "provseal.toml",
        "[materials]\nlockfiles = [\"**\"]\nexclude = [\"fixtures/**\"]\n",
    );
    let s = run(t.path(), "app", DiscoveryOptions::default());
    assert_eq!(
        names(&s),
        ["Cargo.lock", "app/tools/requirements.txt", "app/uv.lock"]
    );
    write(
        t.path(),
        "provseal.toml",
        "[materials]\nlockfile = [\"**\"]\n",
    );
    let err = collect_lockfiles(&CollectContext {
        root: t.path().into(),
        ..Default::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.ends_with("provseal.toml:2:1`: `materials`: unknown field `lockfile`, expected `lockfiles` or `exclude`"),
        "{err}"
    );
}

#[test]
fn outside_a_work_tree_only_the_directory_itself() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "uv.lock", UV);
    write(t.path(), "sub/uv.lock", UV);
    let s = run(t.path(), "", DiscoveryOptions::default());
    assert_eq!(names(&s), ["uv.lock"]);
    assert!(s.unrecorded.is_empty());
    assert_eq!(s.stats.walks, 1);
    assert_eq!(
        s.stats.entries, 3,
        "the directory, `uv.lock` and `sub`, nothing below"
    );
}
