//! Strict parsing: each malformed class is an error naming `file:line[:column]` and the field,
//! with the exact message.

fn msgs(cases: &[(&str, &str)]) -> Vec<String> {
    let owned: Vec<(&str, Vec<u8>)> = cases
        .iter()
        .map(|(f, t)| (*f, t.as_bytes().to_vec()))
        .collect();
    crate::each_fails_naming_the_file(&owned)
}

/// Wrong types, unknown versions, empty and truncated files, lines pip rejects, unparsable
/// hashes: one exact message each.
#[test]
fn each_malformed_class_has_its_exact_message() {
    let cases = [
        ("package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\"version\": 3}\n  }\n}\n"),
        ("package-lock.json", "{\n  \"lockfileVersion\": 7,\n  \"packages\": {}\n}\n"),
        ("package-lock.json", ""),
        ("package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n"),
        ("package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\"version\": \"1.0.0\", \"integrity\": \"sha512-!!\"}\n  }\n}\n"),
        ("bun.lock", "{\n  \"lockfileVersion\": \"1\",\n}\n"),
        ("Cargo.lock", "version = 4\n[[package]]\nname = 3\n"),
        ("Cargo.lock", "version = 9\n"),
        ("Cargo.lock", ""),
        ("uv.lock", "version = 1\n[[package]]\nname = 3\n"),
        ("uv.lock", "version = 9\n"),
        ("uv.lock", ""),
        ("poetry.lock", "[[package]]\nname = \"a\"\nversion = 1\n"),
        ("Pipfile.lock", "{\"default\": {\"a\": {\"version\": 1}}}"),
        ("pnpm-lock.yaml", "lockfileVersion: '99.0'\n"),
        ("pnpm-lock.yaml", ""),
        ("yarn.lock", ""),
        ("requirements.txt", "flask==3.0.0\nrequests=2.0\n"),
        ("requirements.txt", "flask==3.0.0 --hash=md5:abc\n"),
        ("go.mod", "module x\nrequire (\n  a v1.0.0\n"),
        ("go.sum", "github.com/x/y v1.0.0 h1:not-base64!\n"),
        ("go.mod", "module x\n\n\trequire a\n"),
        ("poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\n\n[[package]]\nversion = \"2\"\n\n[metadata]\nlock-version = \"2.0\"\n"),
        ("pdm.lock", "[metadata]\ngroups = [\"default\"]\n\n[[package]]\nname = [\"a\"]\n"),
        ("pylock.toml", "lock-version = \"1.0\"\npackages = \"none\"\n"),
        ("go.sum", "\ngithub.com/x/y 1.0.0 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"),
    ];
    let want = [
        "`package-lock.json:4:35`: `packages.node_modules/a.version`: invalid type: integer `3`, expected a string",
        "`package-lock.json:2:3`: `lockfileVersion`: unknown version 7 (known: 1, 2, 3)",
        "`package-lock.json:1:1`: `package-lock.json`: the file is empty",
        "`package-lock.json:4`: `packages.?`: EOF while parsing an object",
        "`package-lock.json:4:44`: `integrity`: not a Subresource Integrity value (`sha512-<base64>`)",
        "`bun.lock:2:22`: `bun.lock`: invalid type: string \"1\", expected u64",
        "`Cargo.lock:3:8`: `name`: invalid type: integer `3`, expected a string",
        "`Cargo.lock:1:1`: `version`: unknown version 9 (known: 1, 2, 3, 4)",
        "`Cargo.lock:1:1`: `Cargo.lock`: the file is empty",
        "`uv.lock:3:1`: `package[0].name`: invalid type: integer, expected a string",
        "`uv.lock:1:1`: `version`: unknown version 9 (known: 1)",
        "`uv.lock:1:1`: `uv.lock`: the file is empty",
        "cannot parse `poetry.lock`: no `[metadata]` table (not a poetry.lock, or truncated)",
        "cannot parse `Pipfile.lock`: no `_meta` (not a Pipfile.lock)",
        "`pnpm-lock.yaml:1:1`: `lockfileVersion`: unknown version 99.0 (known: 5.x, 6.x, 7.x, 9.x)",
        "`pnpm-lock.yaml:1:1`: `pnpm-lock.yaml`: the file is empty",
        "`yarn.lock:1:1`: `yarn.lock`: the file is empty",
        "`requirements.txt:2`: `requirement`: invalid version specifier in `requests=2.0`",
        "`requirements.txt:1`: `--hash`: `md5:abc` is not `sha256:<hex>`, `sha384:<hex>` or `sha512:<hex>`",
        "`go.mod:2:1`: `require`: unterminated `(` block",
        "`go.sum:1:23`: `hash`: `h1:` hash is not base64 SHA-256",
        "`go.mod:3:2`: `require`: malformed directive",
        "`poetry.lock:5:1`: `package[1]`: no `name`",
        "`pdm.lock:5:1`: `package[0].name`: invalid type: array, expected a string",
        "`pylock.toml:2:1`: `packages`: not an array of tables",
        "`go.sum:2:16`: `version`: version `1.0.0` does not start with `v`",
    ];
    assert_eq!(msgs(&cases), want);
}

/// An unparsable hash or integrity in yarn (v1 and berry) and pnpm lockfiles, and in a URL's
/// hash fragment: one exact message each.
#[test]
fn unparsable_hashes_name_line_column_and_field() {
    let cases = [
        ("yarn.lock", "# yarn lockfile v1\n\nms@^2.1.3:\n  version \"2.1.3\"\n  resolved \"https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz#d09d\"\n  integrity sha512-not-base64!\n"),
        ("yarn.lock", "# yarn lockfile v1\n\nms@^2.1.3:\n  version \"2.1.3\"\n  resolved \"https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz#zz\"\n"),
        ("yarn.lock", "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"ms@npm:^2.1.3\":\n  version: 2.1.3\n  resolution: \"ms@npm:2.1.3\"\n  checksum: 10c0/xyz\n  languageName: node\n  linkType: hard\n"),
        ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      ms:\n        specifier: ^2.1.3\n        version: 2.1.3\n\npackages:\n\n  ms@2.1.3:\n    resolution: {integrity: sha512-AAAA}\n\nsnapshots:\n\n  ms@2.1.3: {}\n"),
        ("requirements.txt", "pkg @ https://example.com/pkg-1.0.tar.gz#sha256=nothex\n"),
    ];
    let want = [
        "`yarn.lock:6:3`: `integrity`: not a Subresource Integrity value (`sha512-<base64>`)",
        "`yarn.lock:5:3`: `resolved`: the URL fragment `#zz` is not a SHA-1 (40 hex digits)",
        "`yarn.lock:8:3`: `checksum`: not a Yarn checksum (`<cache key>/<128 hex digits>`)",
        "`pnpm-lock.yaml:13:18`: `integrity`: not a Subresource Integrity value (`sha512-<base64>`)",
        "`requirements.txt:1`: `requirement`: the URL fragment `#sha256=nothex` is not sha256 hex",
    ];
    assert_eq!(msgs(&cases), want);
}

/// A credentialed URL where a parser rejects a lockfile (a quoted value, a JSON key, a YAML
/// scalar) never reaches the error: not its one-line form with causes, not any `source()` in
/// the chain, not its `Debug`. The redacted URL is still there to name the fault (so each case
/// does carry the URL to an error). uv.lock is not among them: its reader quotes no value
/// (a TOML syntax error keeps toml's message only, `toml_errors_do_not_quote_the_file`).
#[test]
fn credentials_in_a_malformed_lockfile_never_reach_the_error_chain() {
    let url = "https://builder:s3cr3t-token@registry.example/x.tgz";
    let cases = [
        (
            "bun.lock",
            format!("{{\n  \"lockfileVersion\": \"{url}\"\n}}\n"),
        ),
        (
            "package-lock.json",
            format!("{{\"lockfileVersion\": 3, \"packages\": {{\"{url}\": {{\"version\": 3}}}}}}"),
        ),
        (
            "Cargo.lock",
            format!("version = 4\n\"{url}\" = 1\n\"{url}\" = 2\n"),
        ),
        ("pnpm-lock.yaml", format!("lockfileVersion: [\"{url}\"\n")),
        (
            "yarn.lock",
            format!("__metadata:\n  version: [\"{url}\"]\n"),
        ),
    ];
    use provseal_materials::Collector as _;
    for (name, text) in &cases {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(name), text).unwrap();
        let err = provseal_materials::LockfileCollector
            .collect(&provseal_materials::CollectContext {
                root: tmp.path().to_path_buf(),
                discovery: crate::whole_tree(),
                ..provseal_materials::CollectContext::default()
            })
            .expect_err(name);
        let shown = provseal_model::one_line(&err);
        assert!(shown.contains(name), "{name}: {shown}");
        let mut texts = vec![shown, format!("{err:?}")];
        let mut cause = std::error::Error::source(&err);
        while let Some(c) = cause {
            texts.push(c.to_string());
            texts.push(format!("{c:?}"));
            cause = c.source();
        }
        for t in &texts {
            assert!(
                !t.contains("s3cr3t"),
                "{name}: the token reached the error: {t}"
            );
        }
        assert!(
            texts.iter().any(|t| t.contains("registry.example")),
            "{name}: the URL is not in the error at all (nothing was redacted): {texts:?}"
        );
        println!("{name}: {}", texts[0]);
    }
}
