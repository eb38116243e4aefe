//! Secrets never leave through the materials: credentials planted in every lockfile format, in
//! a requirements include and in the environment appear in no output — the snapshot (`--json`),
//! the SBOM, the warnings, or an error message.

use std::path::Path;
use std::process::Command;

use provseal_materials::sbom::{cyclonedx_json, SbomMetadata};
use provseal_materials::{snapshot, CollectContext, DiscoveryOptions};

const SRI: &str = "sha512-t09vSN3MdfsyCHoFcTRCH/iUtG7OJ0CsjzB8cjAmKc/va/kIgeDI/TxsigdncE/4be734m0cvIYwNaV4i2XqAw==";

fn data(rel: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(rel),
    )
    .unwrap()
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Every planted secret contains this marker.
const MARK: &str = "PLANTED";

fn plant(root: &Path) {
    write(
        root,
        "npm/package-lock.json",
        &format!(
            r#"{{"lockfileVersion": 3, "packages": {{"": {{"name": "app"}},
  "node_modules/a": {{"version": "1.0.0", "resolved": "https://tok:PLANTED_NPM_BASIC@registry.example.com/a/-/a-1.0.0.tgz", "integrity": "{SRI}"}},
  "node_modules/g": {{"version": "1.0.0", "resolved": "git+https://PLANTED_NPM_GIT@github.com/o/g.git#0123456789abcdef0123456789abcdef01234567"}}}}}}"#
        ),
    );
    write(
        root,
        "yarn/yarn.lock",
        &data("node/yarn-v1/yarn.lock").replace(
            "https://registry.yarnpkg.com/",
            "https://user:PLANTED_YARN@registry.yarnpkg.com/",
        ),
    );
    write(
        root,
        "bun/bun.lock",
        &data("node/bun/bun.lock").replace(
            r#"["ms@2.1.3", """#,
            r#"["ms@2.1.3", "https://u:PLANTED_BUN@registry.example.com/ms/-/ms-2.1.3.tgz""#,
        ),
    );
    write(
        root,
        "rust/Cargo.lock",
        &(data("cargo/v4/Cargo.lock")
            + "\n[[package]]\nname = \"gitdep\"\nversion = \"0.3.0\"\nsource = \"git+https://PLANTED_CARGO@github.com/o/gitdep?branch=main#0123456789abcdef0123456789abcdef01234567\"\n"),
    );
    write(
        root,
        "uv/uv.lock",
        &data("python/uv/uv.lock").replace(
            "https://files.pythonhosted.org/",
            "https://__token__:PLANTED_UV@files.pythonhosted.org/",
        ),
    );
    write(
        root,
        "pylock/pylock.toml",
        &data("python/uv/pylock.toml").replace(
            "https://files.pythonhosted.org/",
            "https://__token__:PLANTED_PYLOCK@files.pythonhosted.org/",
        ),
    );
    write(
        root,
        "poetry/poetry.lock",
        &data("python/poetry/poetry.lock").replace(
            "https://pypi.org/simple",
            "https://u:PLANTED_POETRY@pypi.org/simple",
        ),
    );
    write(
        root,
        "pipenv/Pipfile.lock",
        &data("python/pipenv/Pipfile.lock").replace(
            "https://pypi.org/simple",
            "https://u:PLANTED_PIPENV@pypi.org/simple",
        ),
    );
    write(
        root,
        "req/requirements.txt",
        "pkg @ https://u:PLANTED_REQ@example.com/pkg-1.0.tar.gz\n-r inc.txt\n",
    );
    write(
        root,
        "req/inc.txt",
        "-e git+https://PLANTED_INCLUDE@github.com/o/r.git@v1#egg=tool\n--index-url https://u:PLANTED_INDEX@example.com/simple\n",
    );
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
        env: [
            ("GITHUB_TOKEN", "PLANTED_ENV_TOKEN"),
            ("SIGNING_KEY", "PLANTED_ENV_KEY"),
            (
                "GITHUB_SERVER_URL",
                "https://u:PLANTED_ENV_URL@github.example.com",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        ..Default::default()
    };
    let snap = snapshot(&ctx, &[]).unwrap();
    // The planted files were read: their packages are there, URLs without the secrets.
    let json = serde_json::to_string_pretty(&snap).unwrap();
    for host in [
        "github.com/o/g.git",
        "registry.example.com/ms",
        "github.com/o/gitdep",
        "example.com/pkg-1.0.tar.gz",
        "github.com/o/r.git@v1",
        "github.example.com",
    ] {
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
