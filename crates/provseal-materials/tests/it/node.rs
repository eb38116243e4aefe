//! Node lockfiles made by the real tools (npm 11 and npm 6, yarn 1 and 4, pnpm 8 and 12; see
//! `tests/data/node/README.md`), each compared with the tool's own listing saved beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use provseal_materials::lockfile::{Lockfile, ROOT_REF};
use provseal_materials::node::parse_lockfile;
use provseal_materials::{CollectContext, Collector, LockfileCollector};
use serde_json::Value;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/node")
        .join(rel)
}

fn json(rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(data(rel)).unwrap()).unwrap()
}

fn parse(rel: &str) -> Lockfile {
    parse_lockfile(&data(rel), rel).unwrap()
}

/// What a listing says about one package.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Info {
    digest: BTreeMap<String, String>,
    dev: Option<bool>,
    optional: Option<bool>,
}

type Set = BTreeMap<(String, String), Info>;

fn sri_hex(sri: &str) -> BTreeMap<String, String> {
    // Independent of the crate: decode with the base64 crate's std engine directly.
    use base64::Engine as _;
    let mut m = BTreeMap::new();
    for tok in sri.split_whitespace() {
        let (alg, b64) = tok.split_once('-').unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        m.insert(alg.to_string(), hex::encode(bytes));
    }
    m
}

/// Flattens `npm ls --all --json --long`: every node but the workspace links (`file:`).
fn npm_ls_set(v: &Value) -> Set {
    let mut out = Set::new();
    let mut stack = vec![v];
    while let Some(node) = stack.pop() {
        let Some(deps) = node.get("dependencies").and_then(Value::as_object) else {
            continue;
        };
        for (name, d) in deps {
            stack.push(d);
            if d["resolved"]
                .as_str()
                .is_some_and(|r| r.starts_with("file:"))
            {
                continue;
            }
            let version = d["version"].as_str().unwrap().to_string();
            let real = d["name"].as_str().unwrap_or(name).to_string();
            let info = Info {
                digest: d["integrity"].as_str().map(sri_hex).unwrap_or_default(),
                dev: Some(d["dev"].as_bool().unwrap_or(false)),
                optional: Some(d["optional"].as_bool().unwrap_or(false)),
            };
            let e = out.entry((real, version)).or_insert_with(|| info.clone());
            if e.digest.is_empty() {
                e.digest = info.digest;
            }
        }
    }
    out
}

fn parsed_set(l: &Lockfile) -> Set {
    l.packages
        .iter()
        .map(|p| {
            (
                (p.name.clone(), p.version.clone()),
                Info {
                    digest: p.digest.clone(),
                    dev: p.dev,
                    optional: p.optional,
                },
            )
        })
        .collect()
}

fn names(s: &Set) -> BTreeSet<(String, String)> {
    s.keys().cloned().collect()
}

#[test]
fn package_lock_v3_matches_npm_ls() {
    let l = parse("npm-v3/package-lock.json");
    assert_eq!(l.kind, "package-lock.json v3");
    let want = npm_ls_set(&json("npm-v3/npm-ls.json"));
    assert_eq!(want.len(), 38, "fixture listing size");
    assert_eq!(parsed_set(&l), want);
    // purls: a scope is the namespace
    assert!(l
        .packages
        .iter()
        .any(|p| p.purl == "pkg:npm/%40sindresorhus/is@4.6.0"));
    // the nested copy of ansi-regex and the workspace's ms@2.0.0 are both there
    assert!(want.contains_key(&("ansi-regex".into(), "5.0.1".into())));
    assert!(want.contains_key(&("ms".into(), "2.0.0".into())));
}

#[test]
fn package_lock_v2_matches_npm_ls() {
    let l = parse("npm-v2/package-lock.json");
    assert_eq!(l.kind, "package-lock.json v2");
    assert_eq!(parsed_set(&l), npm_ls_set(&json("npm-v2/npm-ls.json")));
}

#[test]
fn package_lock_v1_matches_npm_ls() {
    let l = parse("npm-v1/package-lock.json");
    assert_eq!(l.kind, "package-lock.json v1");
    let want = npm_ls_set(&json("npm-v1/npm-ls.json"));
    assert_eq!(want.len(), 36);
    assert_eq!(parsed_set(&l), want);
    assert!(l.graph.is_none());
}

#[test]
fn installed_hidden_lockfile_matches_npm_ls() {
    let l = parse("npm-installed/node_modules/.package-lock.json");
    assert_eq!(
        parsed_set(&l),
        npm_ls_set(&json("npm-installed/npm-ls.json"))
    );
}

/// The npm v3 graph equals the parent → child edges of `npm ls` (packages only; the project and
/// its workspace member are folded into the root node).
#[test]
fn package_lock_v3_graph_matches_npm_ls_tree() {
    let l = parse("npm-v3/package-lock.json");
    let g = l.graph.clone().unwrap();
    let purl = |name: &str, version: &str| provseal_materials::node::npm_purl(name, version);
    let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let ls = json("npm-v3/npm-ls.json");
    let mut stack: Vec<(String, &Value)> = vec![(ROOT_REF.to_string(), &ls)];
    while let Some((from, node)) = stack.pop() {
        want.entry(from.clone()).or_default();
        let Some(deps) = node.get("dependencies").and_then(Value::as_object) else {
            continue;
        };
        for (name, d) in deps {
            let local = d["resolved"]
                .as_str()
                .is_some_and(|r| r.starts_with("file:"));
            let to = if local {
                ROOT_REF.to_string()
            } else {
                purl(name, d["version"].as_str().unwrap())
            };
            if to != from {
                want.entry(from.clone()).or_default().insert(to.clone());
            }
            stack.push((to, d));
        }
    }
    assert_eq!(g.edges, want);
}

#[test]
fn yarn_v1_matches_yarn_list() {
    let l = parse("yarn-v1/yarn.lock");
    assert_eq!(l.kind, "yarn.lock v1");
    // `yarn list --json`: every non-shadow node is an installed "name@version".
    let v = json("yarn-v1/yarn-list.json");
    let mut want = BTreeSet::new();
    let mut stack: Vec<&Value> = v["data"]["trees"].as_array().unwrap().iter().collect();
    while let Some(n) = stack.pop() {
        if let Some(ch) = n["children"].as_array() {
            stack.extend(ch.iter());
        }
        if n["shadow"].as_bool() == Some(true) {
            continue;
        }
        let s = n["name"].as_str().unwrap();
        let at = s.rfind('@').unwrap();
        want.insert((s[..at].to_string(), s[at + 1..].to_string()));
    }
    let got = parsed_set(&l);
    assert_eq!(names(&got), want);
    // integrity from yarn.lock equals npm's for the same package versions.
    let npm = npm_ls_set(&json("npm-v1/npm-ls.json"));
    let mut compared = 0;
    for (k, info) in &got {
        if let Some(n) = npm.get(k) {
            assert_eq!(info.digest.get("sha512"), n.digest.get("sha512"), "{k:?}");
            compared += 1;
        }
        assert!(info.digest.contains_key("sha512"), "{k:?} has no digest");
    }
    assert_eq!(compared, got.len());
    // dev flags (from the package.json beside it) equal pnpm's for the same project, and the
    // graph equals the pnpm graph (verified against `pnpm ls` below) of the same project.
    let pnpm = pnpm_ls_set(&json("pnpm-v9/pnpm-ls.json"));
    for (k, info) in &got {
        assert_eq!(info.dev, Some(pnpm[k]), "{k:?}");
    }
    let mut pnpm_graph = parse("pnpm-v9/pnpm-lock.yaml").graph.unwrap();
    // The one difference is real: pnpm (autoInstallPeers) links debug's optional peer
    // supports-color, which yarn v1 does not record.
    assert!(pnpm_graph
        .edges
        .get_mut("pkg:npm/debug@4.4.3")
        .unwrap()
        .remove("pkg:npm/supports-color@7.2.0"));
    assert_eq!(l.graph.unwrap().edges, pnpm_graph.edges);
}

#[test]
fn yarn_berry_matches_yarn_info() {
    let l = parse("yarn-berry/yarn.lock");
    assert!(l.kind.starts_with("yarn.lock berry"), "{}", l.kind);
    let text = std::fs::read_to_string(data("yarn-berry/yarn-info.json")).unwrap();
    let mut want = BTreeSet::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let value = v["value"].as_str().unwrap();
        let at = value[1..].find('@').unwrap() + 1;
        let (name, reference) = (&value[..at], &value[at + 1..]);
        if let Some(ver) = reference.strip_prefix("npm:") {
            want.insert((name.to_string(), ver.to_string()));
        }
    }
    assert_eq!(want.len(), 36);
    assert_eq!(names(&parsed_set(&l)), want);
    // dev flags equal pnpm's for the same project; the graph equals yarn v1's (checked above).
    let pnpm = pnpm_ls_set(&json("pnpm-v9/pnpm-ls.json"));
    for p in &l.packages {
        assert_eq!(
            p.dev,
            Some(pnpm[&(p.name.clone(), p.version.clone())]),
            "{}",
            p.name
        );
    }
    let v1 = parse("yarn-v1/yarn.lock").graph.unwrap();
    assert_eq!(l.graph.clone().unwrap().edges, v1.edges);
    // checksums are Yarn cache hashes, kept as annotations, never as digests
    assert!(l.packages.iter().all(|p| p.digest.is_empty()));
    assert!(l.packages.iter().all(|p| p.extra["yarnChecksum"]
        .as_str()
        .unwrap()
        .starts_with("10c0/")));
}

/// `pnpm ls --depth Infinity --json`: packages under `dependencies`, `optionalDependencies` and
/// `devDependencies` (recursively).
fn pnpm_ls_set(v: &Value) -> BTreeMap<(String, String), bool> {
    let mut out: BTreeMap<(String, String), bool> = BTreeMap::new();
    let root = &v[0];
    for (section, dev) in [
        ("dependencies", false),
        ("optionalDependencies", false),
        ("devDependencies", true),
    ] {
        let mut stack: Vec<&Value> = vec![&root[section]];
        while let Some(map) = stack.pop() {
            let Some(map) = map.as_object() else {
                continue;
            };
            for (name, d) in map {
                stack.push(&d["dependencies"]);
                stack.push(&d["optionalDependencies"]);
                let version = d["version"].as_str().unwrap().to_string();
                let e = out.entry((name.clone(), version)).or_insert(dev);
                *e = *e && dev;
            }
        }
    }
    out
}

fn check_pnpm(dir: &str, expect_kind: &str, dev_recorded: bool) {
    let l = parse(&format!("{dir}/pnpm-lock.yaml"));
    assert_eq!(l.kind, expect_kind);
    let want = pnpm_ls_set(&json(&format!("{dir}/pnpm-ls.json")));
    let got = parsed_set(&l);
    assert_eq!(
        names(&got),
        want.keys().cloned().collect::<BTreeSet<_>>(),
        "{dir}"
    );
    let npm = npm_ls_set(&json("npm-v1/npm-ls.json"));
    for (k, info) in &got {
        let n = npm.get(k).unwrap();
        assert_eq!(info.digest, n.digest, "{k:?}");
        if dev_recorded {
            assert_eq!(info.dev, Some(want[k]), "{k:?}");
        } else {
            assert_eq!(info.dev, None);
        }
    }
    // The graph equals the parent → child edges of `pnpm ls`.
    let ls = json(&format!("{dir}/pnpm-ls.json"));
    let mut want_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    want_edges.entry(ROOT_REF.to_string()).or_default();
    let mut stack: Vec<(String, &Value)> = Vec::new();
    for section in ["dependencies", "optionalDependencies", "devDependencies"] {
        stack.push((ROOT_REF.to_string(), &ls[0][section]));
    }
    while let Some((from, map)) = stack.pop() {
        let Some(map) = map.as_object() else {
            continue;
        };
        for (name, d) in map {
            let to = provseal_materials::node::npm_purl(name, d["version"].as_str().unwrap());
            want_edges
                .entry(from.clone())
                .or_default()
                .insert(to.clone());
            want_edges.entry(to.clone()).or_default();
            stack.push((to.clone(), &d["dependencies"]));
            stack.push((to, &d["optionalDependencies"]));
        }
    }
    assert_eq!(l.graph.unwrap().edges, want_edges, "{dir}");
}

#[test]
fn pnpm_v9_matches_pnpm_ls() {
    check_pnpm("pnpm-v9", "pnpm-lock.yaml v9.0", true);
}

#[test]
fn pnpm_v6_matches_pnpm_ls() {
    check_pnpm("pnpm-v6", "pnpm-lock.yaml v6.0", true);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn collector_finds_lockfiles_and_skips_node_modules() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_dir(&data("npm-installed"), root);
    std::fs::copy(
        data("npm-v3/package-lock.json"),
        root.join("package-lock.json"),
    )
    .unwrap();
    copy_dir(&data("yarn-v1"), &root.join("tools/yarnproj"));
    // A lockfile inside an installed package must not be read.
    std::fs::create_dir_all(root.join("node_modules/chalk")).unwrap();
    std::fs::write(root.join("node_modules/chalk/package-lock.json"), b"{").unwrap();
    let out = LockfileCollector
        .collect(&CollectContext {
            root: root.to_path_buf(),
            discovery: crate::whole_tree(),
            ..CollectContext::default()
        })
        .unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let files: Vec<(String, String)> = out
        .materials
        .iter()
        .filter(|m| m.uri.is_none())
        .map(|m| {
            (
                m.name.clone().unwrap(),
                m.digest.get("sha256").unwrap().to_string(),
            )
        })
        .collect();
    let sha = |p: &Path| {
        provseal_crypto::hash::HashAlgorithm::Sha256.hex_digest(&std::fs::read(p).unwrap())
    };
    assert_eq!(
        files,
        vec![
            (
                "node_modules/.package-lock.json".to_string(),
                sha(&root.join("node_modules/.package-lock.json"))
            ),
            (
                "package-lock.json".to_string(),
                sha(&root.join("package-lock.json"))
            ),
            (
                "tools/yarnproj/yarn.lock".to_string(),
                sha(&root.join("tools/yarnproj/yarn.lock"))
            ),
        ]
    );
    // 38 from each package-lock, 36 from yarn.lock; annotations name the lockfile.
    let per_lock = |name: &str| {
        out.materials
            .iter()
            .filter(|m| m.annotations.get("lockfile").and_then(Value::as_str) == Some(name))
            .count()
    };
    assert_eq!(per_lock("package-lock.json"), 38);
    assert_eq!(per_lock("node_modules/.package-lock.json"), 38);
    assert_eq!(per_lock("tools/yarnproj/yarn.lock"), 36);
    let rimraf = out
        .materials
        .iter()
        .find(|m| {
            m.uri.as_deref() == Some("pkg:npm/rimraf@3.0.2")
                && m.annotations["lockfile"] == "package-lock.json"
        })
        .unwrap();
    assert_eq!(rimraf.annotations["dev"], Value::Bool(true));
    assert_eq!(rimraf.annotations["optional"], Value::Bool(false));
    assert_eq!(
        rimraf.digest.get("sha512"),
        Some(
            sri_hex("sha512-JZkJMZkAGFFPP2YqXZXPbMlMBgsxzE8ILs4lMIX/2o0L9UBw9O/Y3o6wFw/i9YLapcUJWwqbi3kdxIPdC62TIA==")["sha512"].as_str()
        )
    );
}

/// Bad input: truncated or malformed lockfiles of each kind and non-UTF-8: each fails the
/// collection with an error naming the file.
#[test]
fn bad_lockfiles_are_errors_naming_the_file() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a/package-lock.json", {
            let b = std::fs::read(data("npm-v3/package-lock.json")).unwrap();
            b[..b.len() / 2].to_vec()
        }),
        ("b/package-lock.json", b"[1, 2, 3]".to_vec()),
        ("c/yarn.lock", {
            let t = std::fs::read_to_string(data("yarn-v1/yarn.lock")).unwrap();
            t.replace("  version \"4.6.0\"\n", "").into_bytes()
        }),
        ("d/yarn.lock", {
            let b = std::fs::read(data("yarn-berry/yarn.lock")).unwrap();
            let mut t = b[..b.len() / 3].to_vec();
            t.extend_from_slice(b"\n  resolution: [unclosed\n");
            t
        }),
        (
            "e/pnpm-lock.yaml",
            b"lockfileVersion: '9.0'\npackages:\n  x@1: {resolution: [\n".to_vec(),
        ),
        ("f/pnpm-lock.yaml", b"packages: {}\n".to_vec()),
        ("g/yarn.lock", b"\xff\xfe not utf-8".to_vec()),
        (
            "h/yarn.lock",
            b"# yarn lockfile v1\n\n  orphan \"field\"\n".to_vec(),
        ),
    ];
    assert_eq!(crate::each_fails_naming_the_file(&cases).len(), cases.len());
}

/// A pnpm lockfile larger than serde-saphyr's default budget admits (DEPENDENCIES.md: the
/// defaults reject a real 7.6 MiB lockfile; this one has more nodes than the default 250,000)
/// parses, because the budget is scaled to the input.
#[test]
fn large_pnpm_lockfile_parses_within_a_scaled_budget() {
    let n = 25_000;
    let mut text = String::from("lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      pkg-0:\n        specifier: ^1.0.0\n        version: 1.0.0\n\npackages:\n\n");
    let sri = "sha512-t09vSN3MdfsyCHoFcTRCH/iUtG7OJ0CsjzB8cjAmKc/va/kIgeDI/TxsigdncE/4be734m0cvIYwNaV4i2XqAw==";
    for i in 0..n {
        text.push_str(&format!(
            "  pkg-{i}@1.0.0:\n    resolution: {{integrity: {sri}}}\n    engines: {{node: '>=10'}}\n\n"
        ));
    }
    text.push_str("snapshots:\n\n");
    for i in 0..n {
        if i + 1 < n {
            text.push_str(&format!(
                "  pkg-{i}@1.0.0:\n    dependencies:\n      pkg-{}: 1.0.0\n\n",
                i + 1
            ));
        } else {
            text.push_str(&format!("  pkg-{i}@1.0.0: {{}}\n"));
        }
    }
    assert!(text.len() > 3 << 20, "{} bytes", text.len());
    // The default budget refuses it…
    let default: Result<serde_json::Value, _> = serde_saphyr::from_str(&text);
    assert!(default.is_err());
    // …the collector's scaled budget does not.
    let l =
        provseal_materials::node::parse_pnpm_lock(&text, Path::new("pnpm-lock.yaml"), "x").unwrap();
    assert_eq!(l.packages.len(), n);
    assert!(l.packages.iter().all(|p| p.dev == Some(false)));
    assert_eq!(l.graph.unwrap().edges.len(), n + 1);
}

/// `bun.lock` written by the real bun (`bun install`, bun 1.4.5; `regen` in the fixture's
/// README): the packages equal `bun pm ls --all`, dev/optional follow the root workspace, and
/// the nested copy `debug/ms` resolves for `debug`.
#[test]
fn bun_lock_matches_bun_pm_ls() {
    let dir = data("bun");
    let listing = std::fs::read_to_string(dir.join("bun-pm-ls.txt")).unwrap();
    let mut want: Vec<String> = listing
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(' ').next())
        .map(|nv| {
            let at = nv[1..].find('@').unwrap() + 1;
            provseal_materials::node::npm_purl(&nv[..at], &nv[at + 1..])
        })
        .collect();
    want.sort();
    let out = LockfileCollector
        .collect(&CollectContext {
            root: dir.clone(),
            ..CollectContext::default()
        })
        .unwrap();
    let mut got: Vec<String> = out.materials.iter().filter_map(|m| m.uri.clone()).collect();
    got.sort();
    assert_eq!(got, want);
    let file = out.materials.iter().find(|m| m.uri.is_none()).unwrap();
    assert_eq!(file.annotations["lockfileFormat"], "bun.lock v2");
    let by = |p: &str| {
        out.materials
            .iter()
            .find(|m| m.uri.as_deref() == Some(p))
            .unwrap()
    };
    assert_eq!(by("pkg:npm/ms@2.1.3").annotations["dev"], true);
    assert_eq!(by("pkg:npm/ms@2.1.2").annotations["dev"], false);
    assert_eq!(by("pkg:npm/is-number@7.0.0").annotations["optional"], true);
    assert_eq!(
        by("pkg:npm/%40sindresorhus/is@4.6.0")
            .digest
            .get("sha512")
            .unwrap()
            .len(),
        128
    );
    let set = provseal_materials::discover::collect_lockfiles(&CollectContext {
        root: dir,
        ..CollectContext::default()
    })
    .unwrap();
    let edges = &set.graph.edges;
    assert!(edges["pkg:npm/debug@4.3.4"].contains("pkg:npm/ms@2.1.2"));
    assert!(edges[ROOT_REF].contains("pkg:npm/ms@2.1.3"));
}
