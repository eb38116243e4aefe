//! `go.sum` / `go.mod`: a hand-written fixture module whose `go.sum` lines are real lines of
//! public modules (no Go toolchain or module proxy here; see `tests/data/golang/README.md`),
//! compared with `expected.json` computed independently by `expected.py`.

use std::path::{Path, PathBuf};

use provseal_materials::golang::parse_go_file;
use provseal_materials::{CollectContext, Collector, LockfileCollector};
use serde_json::Value;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/golang")
        .join(rel)
}

#[test]
fn go_sum_matches_expected_listing() {
    let lock = parse_go_file(&data("app/go.sum"), "go.sum").unwrap();
    let want: Value =
        serde_json::from_slice(&std::fs::read(data("app/expected.json")).unwrap()).unwrap();
    // The listing has every go.sum line's module version; the build list keeps one version per
    // module (the older `gopkg.in/yaml.v3` pseudo-version is only a step of the module graph).
    let all = want.as_array().unwrap();
    assert_eq!(all.len(), 8);
    let want: Vec<&Value> = all
        .iter()
        .filter(|w| {
            !all.iter().any(|o| {
                o["module"] == w["module"]
                    && provseal_materials::golang::go_version_cmp(
                        o["version"].as_str().unwrap(),
                        w["version"].as_str().unwrap(),
                    )
                    .is_gt()
            })
        })
        .collect();
    assert_eq!(lock.packages.len(), want.len());
    assert_eq!(want.len(), 7);
    let mut got: Vec<&provseal_materials::lockfile::Package> = lock.packages.iter().collect();
    got.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    for (p, w) in got.iter().zip(want) {
        assert_eq!(p.name, w["module"].as_str().unwrap());
        assert_eq!(p.version, w["version"].as_str().unwrap());
        assert_eq!(
            p.digest.get("dirHash").map(String::as_str),
            w["dirHash"].as_str(),
            "{}",
            p.name
        );
        assert_eq!(p.extra.get("goModHash"), w.get("goModHash"), "{}", p.name);
        assert_eq!(p.extra.get("indirect"), w.get("indirect"), "{}", p.name);
        assert_eq!(
            p.extra.get("goModOnly").is_some(),
            w["dirHash"].is_null(),
            "{}",
            p.name
        );
    }
    let purls: Vec<&str> = lock.packages.iter().map(|p| p.purl.as_str()).collect();
    assert!(purls.contains(&"pkg:golang/github.com/stretchr/testify@v1.8.4"));
    assert!(purls.contains(&"pkg:golang/github.com/ybbus/jsonrpc@v2.1.2%2Bincompatible"));
    assert!(purls.contains(&"pkg:golang/gopkg.in/yaml.v3@v3.0.1"));
}

#[test]
fn go_mod_adds_only_what_go_sum_lacks() {
    // Every requirement is in go.sum except the one replaced by a local directory, which is part
    // of the project: go.mod adds nothing.
    let lock = parse_go_file(&data("app/go.mod"), "go.mod").unwrap();
    assert_eq!(lock.packages.len(), 0);
    // Without the go.sum beside it, go.mod yields its requirements.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(data("app/go.mod"), tmp.path().join("go.mod")).unwrap();
    let lock = parse_go_file(&tmp.path().join("go.mod"), "go.mod").unwrap();
    let got: Vec<(String, bool)> = lock
        .packages
        .iter()
        .map(|p| (p.purl.clone(), p.extra["indirect"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "pkg:golang/github.com/davecgh/go-spew@v1.1.1".to_string(),
                true
            ),
            ("pkg:golang/github.com/pkg/errors@v0.9.1".to_string(), false),
            (
                "pkg:golang/github.com/pmezard/go-difflib@v1.0.0".to_string(),
                true
            ),
            (
                "pkg:golang/github.com/stretchr/testify@v1.8.4".to_string(),
                false
            ),
            (
                "pkg:golang/github.com/ybbus/jsonrpc@v2.1.2%2Bincompatible".to_string(),
                false
            ),
            ("pkg:golang/gopkg.in/yaml.v3@v3.0.1".to_string(), true),
        ]
    );
}

#[test]
fn collector_records_both_files() {
    let out = LockfileCollector
        .collect(&CollectContext {
            root: data("app"),
            discovery: crate::whole_tree(),
            ..CollectContext::default()
        })
        .unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let files: Vec<String> = out
        .materials
        .iter()
        .filter(|m| m.uri.is_none())
        .map(|m| m.name.clone().unwrap())
        .collect();
    assert_eq!(files, vec!["go.mod", "go.sum", "helper/go.mod"]);
    assert_eq!(out.materials.len(), 3 + 7);
}

#[test]
fn bad_go_files_are_errors_naming_the_file() {
    let sum = std::fs::read_to_string(data("app/go.sum")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a/go.sum", sum.as_bytes()[..sum.len() / 2 + 7].to_vec()),
        (
            "b/go.sum",
            b"github.com/x/y v1.0.0 h1:not-base64!\n".to_vec(),
        ),
        ("c/go.sum", b"github.com/x/y v1.0.0 h2:abc=\n".to_vec()),
        ("d/go.mod", b"module x\nrequire (\n  a v1.0.0\n".to_vec()),
        ("e/go.mod", b"require a v1.0.0\n".to_vec()),
        ("f/go.mod", b"module x\nfrobnicate y\n".to_vec()),
    ];
    assert_eq!(crate::each_fails_naming_the_file(&cases).len(), cases.len());
}

/// `(purl, go.mod only)` of each module of a `go list -m -json all` listing (the main module
/// left out).
fn build_list(listing: &Value) -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = listing
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["Main"] != true)
        .map(|m| {
            (
                provseal_materials::golang::golang_purl(
                    m["Path"].as_str().unwrap(),
                    m["Version"].as_str().unwrap(),
                ),
                m.get("Sum").is_none(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `go list -m -json` prints a stream of objects; as one array.
fn json_stream(text: &str) -> Value {
    let items: Vec<Value> = serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect();
    Value::Array(items)
}

/// provseal's Go materials of `buildlist/` (made by the real go command, see its README).
fn recorded_build_list(dir: &Path) -> Vec<(String, bool)> {
    let out = LockfileCollector
        .collect(&CollectContext {
            root: dir.to_path_buf(),
            ..CollectContext::default()
        })
        .unwrap();
    let mut v: Vec<(String, bool)> = out
        .materials
        .iter()
        .filter(|m| {
            m.uri
                .as_deref()
                .is_some_and(|u| u.starts_with("pkg:golang/"))
        })
        .map(|m| {
            (
                m.uri.clone().unwrap(),
                m.annotations.get("goModOnly") == Some(&Value::Bool(true)),
            )
        })
        .collect();
    v.sort();
    v
}

/// The Go materials equal the build list the go command printed when the fixture was made, with
/// the modules go.sum holds only for their go.mod marked `goModOnly`.
#[test]
fn go_materials_equal_the_recorded_build_list() {
    let listing: Value =
        serde_json::from_slice(&std::fs::read(data("buildlist/go-list-m-all.json")).unwrap())
            .unwrap();
    let want = build_list(&listing);
    assert_eq!(want.len(), 8);
    assert_eq!(want.iter().filter(|(_, only)| *only).count(), 3);
    assert_eq!(recorded_build_list(&data("buildlist")), want);
}

/// The same against `go list -m -json all` run now, in a copy of the fixture.
#[test]
fn go_materials_equal_go_list_live() {
    if !provseal_testsupport::require_tool("go build list", "go", &["version"]) {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    for f in ["go.mod", "go.sum", "main.go"] {
        std::fs::copy(data("buildlist").join(f), t.path().join(f)).unwrap();
    }
    let out = std::process::Command::new("go")
        .args(["list", "-m", "-json", "all"])
        .current_dir(t.path())
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live = json_stream(std::str::from_utf8(&out.stdout).unwrap());
    assert_eq!(recorded_build_list(t.path()), build_list(&live));
}
