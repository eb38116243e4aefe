//! Planted secrets: every lockfile format that can carry a URL, written with credentials in its
//! URLs, for the tests that grep every output (snapshot, SBOM, `--json`, statement, stderr) for
//! them. The lockfiles are the materials crate's real fixtures with a token spliced into a URL.

use std::path::Path;

/// Every planted secret contains this marker.
pub const MARK: &str = "PLANTED";

/// Environment variables with planted secrets in their values (`GOPROXY` is recorded only when
/// asked for by name: pass it as an extra variable).
pub const ENV: &[(&str, &str)] = &[
    ("GITHUB_TOKEN", "PLANTED_ENV_TOKEN"),
    ("SIGNING_KEY", "PLANTED_ENV_KEY"),
    (
        "GITHUB_SERVER_URL",
        "https://u:PLANTED_ENV_URL@github.example.com",
    ),
    (
        "GOPROXY",
        "https://u:PLANTED_GOPROXY@goproxy.example.com,direct",
    ),
];

/// What the planted files record once their credentials are stripped: each must be in the
/// output, which proves the planted entry was read.
pub const RECORDED: &[&str] = &[
    "github.com/o/g.git",
    "registry.example.com/ms",
    "github.com/o/gitdep",
    "example.com/pkg-1.0.tar.gz",
    "github.com/o/r.git@v1",
    "example.com/is-4.6.0.tgz",
    "example.com/files/ms.tgz",
    "github.com/o/gitpkg.git",
    "example.com/urlpkg-1.0.tar.gz",
    "pkg:golang/github.com/pkg/errors@v0.9.1",
];

const SRI: &str = "sha512-t09vSN3MdfsyCHoFcTRCH/iUtG7OJ0CsjzB8cjAmKc/va/kIgeDI/TxsigdncE/4be734m0cvIYwNaV4i2XqAw==";

fn data(rel: &str) -> String {
    std::fs::read_to_string(
        crate::workspace_root()
            .join("crates/provseal-materials/tests/data")
            .join(rel),
    )
    .unwrap()
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Writes one lockfile of every format below `root` (each in its own directory), plus a
/// requirements include, each with credentials in a URL.
pub fn plant(root: &Path) {
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
        "berry/yarn.lock",
        &data("node/yarn-berry/yarn.lock").replace(
            r#"resolution: "@sindresorhus/is@npm:4.6.0""#,
            r#"resolution: "@sindresorhus/is@https://u:PLANTED_BERRY@example.com/is-4.6.0.tgz""#,
        ),
    );
    write(
        root,
        "pnpm/pnpm-lock.yaml",
        &data("node/pnpm-v9/pnpm-lock.yaml").replace(
            "  ms@2.1.3:\n    resolution: {integrity: ",
            "  ms@2.1.3:\n    resolution: {tarball: 'https://u:PLANTED_PNPM@example.com/files/ms.tgz', integrity: ",
        ),
    );
    write(
        root,
        "pdm/pdm.lock",
        &(data("python/pdm/pdm.lock")
            + "\n[[package]]\nname = \"gitpkg\"\nversion = \"1.0\"\ngit = \"https://PLANTED_PDM_GIT@github.com/o/gitpkg.git\"\nrevision = \"0123456789abcdef0123456789abcdef01234567\"\ngroups = [\"default\"]\n\n[[package]]\nname = \"urlpkg\"\nversion = \"1.0\"\nurl = \"https://u:PLANTED_PDM_URL@example.com/urlpkg-1.0.tar.gz\"\ngroups = [\"default\"]\n"),
    );
    // Go lockfiles carry module paths, never URLs; a Go build's URLs are its proxy settings.
    write(root, "go/go.mod", &data("golang/app/go.mod"));
    write(root, "go/go.sum", &data("golang/app/go.sum"));
    write(root, "go/helper/go.mod", &data("golang/app/helper/go.mod"));
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
