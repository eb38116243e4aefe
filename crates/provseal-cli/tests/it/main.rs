//! End-to-end tests of the `provseal` binary: key generation, attest, verify, inspect, and the
//! bad-input contract (clear error, exit 1 or 2, no output file left behind).
#![allow(clippy::unwrap_used, clippy::new_without_default)]

mod bad_input;
mod blob;
mod e2e;
mod keyless;
mod run;
mod shapes;
mod sigstore;
mod slsa;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

/// A scratch project: a git repository with two build outputs under `dist/`.
pub(crate) struct Project {
    pub(crate) dir: tempfile::TempDir,
}

impl Project {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("dist")).unwrap();
        std::fs::write(p.join("dist/tool-1.0.tar.gz"), b"tarball bytes").unwrap();
        std::fs::write(p.join("dist/tool-1.0.whl"), b"wheel bytes").unwrap();
        Project { dir }
    }

    pub(crate) fn with_git() -> Self {
        let prj = Project::new();
        let git = |args: &[&str]| {
            let st = Command::new("git")
                .args(args)
                .current_dir(prj.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", prj.path())
                .output()
                .unwrap();
            assert!(st.status.success(), "git {args:?}: {st:?}");
        };
        git(&["init", "-q", "-b", "main"]);
        git(&["config", "user.email", "t@example.invalid"]);
        git(&["config", "user.name", "t"]);
        git(&[
            "remote",
            "add",
            "origin",
            "https://user:s3cr3t@github.com/example/tool.git",
        ]);
        std::fs::write(prj.path().join("tool.py"), "print(1)\n").unwrap();
        std::fs::write(prj.path().join(".gitignore"), "dist/\n*.key\n*.pub\n").unwrap();
        git(&["add", "tool.py", ".gitignore"]);
        git(&["commit", "-qm", "init"]);
        prj
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    /// `provseal ARGS` in the project directory.
    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("provseal").unwrap();
        c.args(args).current_dir(self.path());
        c.env_remove("PROVSEAL_KEY");
        c
    }

    /// Runs provseal and returns (exit code, stdout, stderr).
    pub(crate) fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Generates `NAME.key`/`NAME.pub` with provseal.
    pub(crate) fn keygen(&self, name: &str, alg: &str) {
        let (code, _, err) = self.run(&["key", "generate", "--algorithm", alg, "--out", name]);
        assert_eq!(code, 0, "{err}");
    }

    /// Files in the project directory (top level and dist/), for "no output left behind" checks.
    pub(crate) fn listing(&self) -> Vec<String> {
        let mut v = Vec::new();
        for d in [self.path().to_path_buf(), self.file("dist")] {
            if let Ok(rd) = std::fs::read_dir(&d) {
                for e in rd.flatten() {
                    v.push(
                        e.path()
                            .strip_prefix(self.path())
                            .unwrap()
                            .display()
                            .to_string(),
                    );
                }
            }
        }
        v.sort();
        v
    }
}
