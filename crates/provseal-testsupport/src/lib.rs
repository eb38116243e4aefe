//! Test-only helpers shared by the provseal crates' test suites.
//!
//! The public corpora live outside the project, in `shared/testdata` beside the checkout. Tests
//! find them through `PROVSEAL_TESTDATA` (default `../shared/testdata` from the workspace root).
//! When the corpora are missing, [`testdata_dir`] returns `None` and prints that the test was
//! skipped — except under CI (`CI` set), where a missing corpus is a failure, so a CI run can never
//! pass by skipping.
//!
//! ```no_run
//! if let Some(dir) = provseal_testsupport::testdata_dir("my_test") {
//!     for case in provseal_testsupport::cases_of_kind(&dir, "dsse") {
//!         println!("{} expects {}", case.id, case.expected.outcome);
//!     }
//! }
//! ```
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used)]

pub mod modgraph;
pub mod project;
pub mod reasons;
pub mod secrets;

pub use insta;
pub use project::{
    attest_args, git, git_init, provseal_bin, run_args, verify_args, verify_blob_args, Project,
};

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The `.rs` files at or below `path` (a file or a directory), in path order.
pub fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        entries.iter().flat_map(|p| rust_files(p)).collect()
    } else if path.extension().is_some_and(|e| e == "rs") {
        vec![path.to_path_buf()]
    } else {
        Vec::new()
    }
}

/// The workspace root (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("crate sits in <root>/crates/<name>")
        .to_path_buf()
}

/// The shared test corpora directory, or `None` (after printing a skip notice) when it is absent
/// outside CI. Panics when `PROVSEAL_TESTDATA` names a missing directory, or under CI.
pub fn testdata_dir(test_name: &str) -> Option<PathBuf> {
    let (dir, explicit) = match std::env::var_os("PROVSEAL_TESTDATA") {
        Some(v) => (PathBuf::from(v), true),
        None => (workspace_root().join("../shared/testdata"), false),
    };
    if dir.join("cases.json").is_file() {
        return Some(dir);
    }
    if explicit || std::env::var_os("CI").is_some() {
        panic!(
            "{test_name}: shared test corpora not found at `{}` (set PROVSEAL_TESTDATA)",
            dir.display()
        );
    }
    eprintln!(
        "{test_name}: skipped: shared test corpora not found at `{}` (set PROVSEAL_TESTDATA)",
        dir.display()
    );
    None
}

/// Asserts that every stable code or rule id in `texts` is unique, kebab-case, and written as
/// `` `text` `` in `doc` (a path relative to the workspace root).
pub fn assert_unique_and_documented(texts: impl IntoIterator<Item = &'static str>, doc: &str) {
    let docs = std::fs::read_to_string(workspace_root().join(doc)).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for text in texts {
        assert!(seen.insert(text), "`{text}` is used twice");
        assert!(
            text.split('-').all(|w| !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "`{text}` is not kebab-case"
        );
        assert!(
            docs.contains(&format!("`{text}`")),
            "`{text}` is not documented in {doc}"
        );
    }
}

/// Declares the test that every value of a stable-id enum (`provseal_model::stable_ids!`) is
/// unique, kebab-case and documented in `doc`:
/// `provseal_testsupport::documented_ids_test!(Code, "docs/diagnostics.md");`
#[macro_export]
macro_rules! documented_ids_test {
    ($ids:ty, $doc:literal) => {
        #[test]
        fn ids_are_unique_kebab_case_and_documented() {
            $crate::assert_unique_and_documented(<$ids>::ALL.iter().map(|c| c.as_str()), $doc);
        }
    };
}

/// Moments at which a kill test kills its child, each in [0, `span` × `permille` / 1000),
/// from xorshift64 seeded by the clock: a different sequence on every run.
pub struct KillMoments {
    seed: u64,
    span: std::time::Duration,
    permille: u64,
}

impl KillMoments {
    /// Moments over `span` (how long an uninterrupted run took) × `permille` / 1000.
    pub fn new(span: std::time::Duration, permille: u64) -> KillMoments {
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        KillMoments {
            seed: clock | 1,
            span,
            permille: permille.max(1),
        }
    }

    /// The next moment.
    pub fn next_delay(&mut self) -> std::time::Duration {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.span
            .mul_f64((self.seed % self.permille) as f64 / 1000.0)
    }
}

/// Starts this test binary again to run only the ignored test `name` (the child process of a
/// kill test), with `env` set and stderr discarded, and returns it once a line of its stdout
/// ends with `ready`, with the rest of its stdout.
pub fn start_child_test(
    name: &str,
    env: &[(&str, &std::ffi::OsStr)],
    ready: &str,
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
) {
    use std::io::BufRead as _;
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = std::process::Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            name,
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the child test");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    while !line.trim_end().ends_with(ready) {
        line.clear();
        assert!(
            out.read_line(&mut line).expect("read the child's stdout") > 0,
            "child test `{name}` ended before saying `{ready}`"
        );
    }
    (child, out)
}

/// Whether tests run under CI, where peer tools must be present and nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// The test PostgreSQL server's URL (`PROVSEAL_TEST_POSTGRES`, as `scripts/postgres-test start`
/// prints it), or `None` after a skip notice naming `test_name`. Panics under CI when it is
/// unset: `.ci/run` starts the server.
pub fn postgres_url(test_name: &str) -> Option<String> {
    match std::env::var("PROVSEAL_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if in_ci() => panic!(
            "{test_name}: PROVSEAL_TEST_POSTGRES is not set under CI=true (.ci/run starts PostgreSQL)"
        ),
        _ => {
            eprintln!(
                "{test_name}: skipped: PROVSEAL_TEST_POSTGRES is not set \
                 (scripts/postgres-test start DIR prints one)"
            );
            None
        }
    }
}

/// Returns `true` when `program` runs (`program --version` or the given probe args succeed).
/// Under CI a missing peer tool panics; elsewhere it prints a skip notice and returns `false`.
pub fn require_tool(test_name: &str, program: &str, probe_args: &[&str]) -> bool {
    let ok = std::process::Command::new(program)
        .args(probe_args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if in_ci() {
            panic!("{test_name}: peer tool `{program}` is not installed; .ci/run must install it");
        }
        eprintln!("{test_name}: skipped: peer tool `{program}` is not installed");
    }
    ok
}

/// One entry of `cases.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// Unique case id, e.g. `dsse/spec-vector`.
    pub id: String,
    /// Case kind, e.g. `dsse`, `sigstore-bundle-verify`.
    pub kind: String,
    /// Where the case comes from (`sigstore-conformance`, …).
    #[serde(default)]
    pub source: String,
    /// Input files (paths relative to the testdata dir).
    #[serde(default)]
    pub inputs: serde_json::Map<String, serde_json::Value>,
    /// Kind-specific parameters.
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// The upstream verdict.
    pub expected: Expected,
    /// Free-form notes.
    #[serde(default)]
    pub notes: String,
    /// Whether the case needs the network (such cases are not run).
    #[serde(default)]
    pub needs_network: bool,
    /// The whole raw case object.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// The expected outcome of a case.
#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    /// `pass` or `fail`.
    pub outcome: String,
    /// No underlying cause: the case file's own words on why it passes or fails.
    #[serde(default)]
    pub reason: String,
}

impl Case {
    /// Path of input `name`, resolved against the testdata dir.
    pub fn input(&self, dir: &Path, name: &str) -> Option<PathBuf> {
        self.inputs
            .get(name)
            .and_then(|v| v.as_str())
            .map(|p| dir.join(p))
    }
    /// String parameter `name`.
    pub fn param_str(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(|v| v.as_str())
    }
    /// Whether the upstream verdict is `pass`.
    pub fn expects_pass(&self) -> bool {
        self.expected.outcome == "pass"
    }
}

/// All cases in `cases.json`.
pub fn all_cases(dir: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(dir.join("cases.json")).expect("read cases.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("parse cases.json");
    doc["cases"]
        .as_array()
        .expect("cases array")
        .iter()
        .map(|raw| {
            let mut c: Case = serde_json::from_value(raw.clone()).expect("case shape");
            c.raw = raw.clone();
            c
        })
        .collect()
}

/// The offline cases of one kind (cases that need the network are left out).
pub fn cases_of_kind(dir: &Path, kind: &str) -> Vec<Case> {
    all_cases(dir)
        .into_iter()
        .filter(|c| c.kind == kind && !c.needs_network)
        .collect()
}

pub mod oidc;
pub mod stack;
