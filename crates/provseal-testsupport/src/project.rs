//! A scratch project for tests of the `provseal` binary, and the snapshot filters that make its
//! transcripts stable (temp paths, digests, key ids, times).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `provseal` binary built for the running test (`target/<profile>/provseal`), located the
/// way cargo lays out integration tests: the test executable sits in `target/<profile>/deps/`.
pub fn provseal_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    let profile_dir = exe
        .parent()
        .and_then(|deps| {
            if deps.ends_with("deps") {
                deps.parent()
            } else {
                Some(deps)
            }
        })
        .expect("test executable sits in target/<profile>/deps");
    profile_dir.join(format!("provseal{}", std::env::consts::EXE_SUFFIX))
}

/// Runs `git ARGS` in `dir` with a private, empty configuration; panics when git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Turns `dir` into a git repository on branch `main` with one identity configured.
pub fn git_init(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.email", "t@example.invalid"]);
    git(dir, &["config", "user.name", "t"]);
}

/// Names (and prefixes, before `_`) of the CI variables provseal may record.
const RECORDED_CI_VARS: &[&str] = &[
    "CI",
    "SOURCE_DATE_EPOCH",
    "GITHUB",
    "RUNNER",
    "GITLAB",
    "BUILDKITE",
    "CIRCLE",
    "TRAVIS",
    "JENKINS",
    "BUILD",
    "ACTIONS",
];

/// A scratch project: a temporary directory with two build outputs under `dist/`.
pub struct Project {
    /// The temporary directory (removed on drop).
    pub dir: tempfile::TempDir,
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

impl Project {
    /// A project with `dist/tool-1.0.tar.gz` and `dist/tool-1.0.whl`, not under git.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("dist")).unwrap();
        std::fs::write(p.join("dist/tool-1.0.tar.gz"), b"tarball bytes").unwrap();
        std::fs::write(p.join("dist/tool-1.0.whl"), b"wheel bytes").unwrap();
        Project { dir }
    }

    /// [`Project::new`] inside a git repository with one commit (`tool.py`, `.gitignore`) and a
    /// remote whose URL carries credentials (which must never reach an output).
    pub fn with_git() -> Self {
        let prj = Project::new();
        let p = prj.path();
        git_init(p);
        git(
            p,
            &[
                "remote",
                "add",
                "origin",
                "https://user:s3cr3t@github.com/example/tool.git",
            ],
        );
        std::fs::write(p.join("tool.py"), "print(1)\n").unwrap();
        std::fs::write(p.join(".gitignore"), "dist/\n*.key\n*.pub\n").unwrap();
        git(p, &["add", "tool.py", ".gitignore"]);
        git(p, &["commit", "-qm", "init"]);
        prj
    }

    /// The project directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the project.
    pub fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    /// `provseal ARGS` in the project directory, with no key in the environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(provseal_bin());
        c.args(args).current_dir(self.path());
        c.env_remove("PROVSEAL_KEY");
        c.env("NO_COLOR", "1");
        // The CI identity variables `run` records would make transcripts differ between a
        // developer machine and CI; a test that wants them sets them on the command.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if RECORDED_CI_VARS
                .iter()
                .any(|p| name == *p || name.starts_with(&format!("{p}_")))
            {
                c.env_remove(&*name);
            }
        }
        c
    }

    /// Runs provseal and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Generates `NAME.key`/`NAME.pub` with provseal.
    pub fn keygen(&self, name: &str, alg: &str) {
        let (code, _, err) = self.run(&["key", "generate", "--algorithm", alg, "--out", name]);
        assert_eq!(code, 0, "{err}");
    }

    /// `provseal attest --key KEY --subject 'dist/*' --out OUT`, asserted to succeed.
    pub fn attest(&self, key: &str, out: &str) {
        let (code, _, err) =
            self.run(&["attest", "--key", key, "--subject", "dist/*", "--out", out]);
        assert_eq!(code, 0, "{err}");
    }

    /// Files in the project directory (top level and dist/), for "no output left behind" checks.
    pub fn listing(&self) -> Vec<String> {
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

    /// The transcript of `provseal ARGS` as one text for a snapshot: exit code, stdout, stderr,
    /// with this project's path and the unstable parts filtered (see [`snapshot_filters`]).
    pub fn transcript(&self, args: &[&str]) -> String {
        self.transcript_of(&mut self.cmd(args))
    }

    /// [`Project::transcript`] for a prepared command (extra environment, stdin, …).
    pub fn transcript_of(&self, cmd: &mut Command) -> String {
        let out = cmd.output().unwrap();
        let root = self.path().display().to_string();
        let canon = std::fs::canonicalize(self.path())
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| root.clone());
        let clean = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .replace(&canon, "[PROJECT]")
                .replace(&root, "[PROJECT]")
        };
        format!(
            "exit_code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            out.status.code().unwrap_or(-1),
            clean(&out.stdout),
            clean(&out.stderr)
        )
    }
}

/// `attest --key KEY --subject 'dist/*' --out OUT` followed by `extra`: the attestation most CLI
/// tests start from.
pub fn attest_args<'a>(key: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    joined(
        &["attest", "--key", key, "--subject", "dist/*", "--out", out],
        extra,
    )
}

/// `run --key KEY --subject 'dist/*' --out OUT` followed by `extra` (which holds `-- BUILD…`).
pub fn run_args<'a>(key: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    joined(
        &["run", "--key", key, "--subject", "dist/*", "--out", out],
        extra,
    )
}

/// `verify ARTIFACT --attestation ATTESTATION --key KEY` followed by `extra`.
pub fn verify_args<'a>(
    artifact: &'a str,
    attestation: &'a str,
    key: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let head = [
        "verify",
        artifact,
        "--attestation",
        attestation,
        "--key",
        key,
    ];
    joined(&head, extra)
}

/// `verify-blob FILE --signature SIGNATURE --key KEY` followed by `extra`.
pub fn verify_blob_args<'a>(
    file: &'a str,
    signature: &'a str,
    key: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    joined(
        &["verify-blob", file, "--signature", signature, "--key", key],
        extra,
    )
}

fn joined<'a>(head: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(extra).copied().collect()
}

/// Filters for CLI transcripts: temp paths, hex digests, key ids, base64 signatures, times.
pub fn snapshot_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"/tmp/\.tmp[A-Za-z0-9]+", "[TEMP]"),
        // before the key-id filters: a UUID whose last group is all digits looks like a
        // minisign key id
        (
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "[UUID]",
        ),
        (r"\b[0-9a-f]{128}\b", "[SHA512]"),
        (r"\b[0-9a-f]{64}\b", "[SHA256]"),
        (r"\b[0-9a-f]{40}\b", "[SHA1]"),
        (r"\b[0-9a-f]{16}\b", "[KEYID]"),
        // minisign key ids, printed without leading zeros
        (r"\b[0-9A-F]{12,16}\b", "[MINISIGN_KEYID]"),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
            "[TIME]",
        ),
        (r"[A-Za-z0-9+/]{40,}={0,2}", "[BASE64]"),
        (r"\b\d+(\.\d+)?\s?(ms|s)\b", "[DURATION]"),
    ]
}

/// Snapshots the transcript of `provseal ARGS` run in a [`Project`], with the unstable parts
/// filtered — in the manner of uv's `uv_snapshot!`.
///
/// ```ignore
/// let prj = Project::new();
/// provseal_snapshot!(prj, ["--help"]);
/// provseal_snapshot!("named", prj, ["verify", "x"]);
/// ```
#[macro_export]
macro_rules! provseal_snapshot {
    ($prj:expr, [$($arg:expr),* $(,)?]) => {{
        let text = $prj.transcript(&[$($arg),*]);
        $crate::insta::with_settings!({
            filters => $crate::project::snapshot_filters(),
            prepend_module_to_snapshot => false,
        }, {
            $crate::insta::assert_snapshot!(text);
        });
    }};
    ($name:expr, $prj:expr, [$($arg:expr),* $(,)?]) => {{
        let text = $prj.transcript(&[$($arg),*]);
        $crate::insta::with_settings!({
            filters => $crate::project::snapshot_filters(),
            prepend_module_to_snapshot => false,
        }, {
            $crate::insta::assert_snapshot!($name, text);
        });
    }};
    ($name:expr, $prj:expr, $args:expr) => {{
        let text = $prj.transcript(&$args);
        $crate::insta::with_settings!({
            filters => $crate::project::snapshot_filters(),
            prepend_module_to_snapshot => false,
        }, {
            $crate::insta::assert_snapshot!($name, text);
        });
    }};
}

#[cfg(test)]
mod tests {
    /// A UUID whose last group is all digits is a UUID, not a minisign key id (a flaky
    /// transcript once in about 300 runs when the key-id filter came first).
    #[test]
    fn uuid_with_a_digits_only_last_group_is_filtered_as_a_uuid() {
        insta::with_settings!({ filters => super::snapshot_filters() }, {
            insta::assert_snapshot!(
                "run urn:uuid:5b803311-fbc7-4a97-bb29-421265123456, key RWQ1A2B3C4D5E6F7",
                @"run urn:uuid:[UUID], key RWQ1A2B3C4D5E6F7"
            );
        });
    }
}
