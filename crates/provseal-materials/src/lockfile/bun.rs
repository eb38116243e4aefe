//! Bun: the text lockfile `bun.lock` (JSONC: JSON with trailing commas; `lockfileVersion` 0, 1
//! and 2). The binary `bun.lockb` is not read.
//!
//! `packages` maps an install path (`debug`, `debug/ms` for a copy nested under `debug`) to an
//! array. For a registry package it is `["<name>@<version>", "<registry URL or empty>", {meta},
//! "<integrity>"]`: the package becomes `pkg:npm/<name>@<version>` with the digest of its SRI
//! `integrity`. A git or GitHub package (`name@github:…`, `name@git+…`) is recorded with its
//! source (credentials stripped) as the `resolved` annotation; `workspace:`, `file:` and `link:`
//! packages are the project itself and are not recorded. The graph comes from each entry's
//! `dependencies`/`optionalDependencies`, resolved as Bun does: the nested path first, then each
//! parent path, then the top level. `dev` and `optional` come from what the root workspace's
//! `devDependencies` and `optionalDependencies` reach and its `dependencies` do not.
//!
//! ```
//! use provseal_materials::lockfile::bun::parse_bun_lock;
//! let text = r#"{ "lockfileVersion": 1, "workspaces": { "": { "dependencies": { "ms": "2.1.3", }, }, },
//!   "packages": { "ms": ["ms@2.1.3", "", {}, "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="], } }"#;
//! let lock = parse_bun_lock(text, std::path::Path::new("bun.lock"), "bun.lock").unwrap();
//! assert_eq!(lock.packages[0].purl, "pkg:npm/ms@2.1.3");
//! assert_eq!(lock.packages[0].dev, Some(false));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::node::npm_purl;
use super::{DependencyGraph, Lockfile, LockfileInput, LockfileReader, Package, ROOT_REF};
use crate::git::strip_credentials;
use crate::MaterialsError;

/// `bun.lock`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BunReader;

impl LockfileReader for BunReader {
    fn format(&self) -> &'static str {
        "bun.lock"
    }
    fn claims(&self, file_name: &str, _parent: &str) -> bool {
        file_name == "bun.lock"
    }
    fn parse(&self, i: &LockfileInput<'_>) -> Result<Lockfile, MaterialsError> {
        parse_bun_lock(super::utf8(i.bytes, i.path)?, i.path, i.name)
    }
}

/// The `lockfileVersion`s this reader knows.
pub const KNOWN_VERSIONS: &[u64] = &[0, 1, 2];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BunLock {
    lockfile_version: u64,
    #[serde(default)]
    workspaces: BTreeMap<String, Workspace>,
    #[serde(default)]
    packages: BTreeMap<String, Vec<Value>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Workspace {
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    peer_dependencies: BTreeMap<String, String>,
}

/// The line and column where `key` is written as an object key, for errors about its entry.
fn key_position(text: &str, key: &str) -> (Option<usize>, Option<usize>) {
    match text.find(&format!("\"{key}\":")) {
        Some(off) => {
            let (l, c) = crate::files::line_col(text, off);
            (Some(l), Some(c))
        }
        None => (None, None),
    }
}

/// Parses `bun.lock` text; `name` is the path recorded in annotations.
pub fn parse_bun_lock(text: &str, path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    if text.trim().is_empty() {
        return Err(MaterialsError::Malformed {
            path: path.to_path_buf(),
            line: Some(1),
            column: Some(1),
            field: "lockfileVersion".into(),
            reason: "the file is empty".into(),
        });
    }
    let options = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        ..Default::default()
    };
    let lock: BunLock = jsonc_parser::parse_to_serde_value(text, &options).map_err(|e| {
        MaterialsError::Malformed {
            path: path.to_path_buf(),
            line: Some(e.line_display()),
            column: Some(e.column_display()),
            field: "bun.lock".into(),
            reason: e.kind().to_string(),
        }
    })?;
    if !KNOWN_VERSIONS.contains(&lock.lockfile_version) {
        let (line, column) = key_position(text, "lockfileVersion");
        return Err(MaterialsError::Malformed {
            path: path.to_path_buf(),
            line,
            column,
            field: "lockfileVersion".into(),
            reason: format!("unknown version {} (known: 0, 1, 2)", lock.lockfile_version),
        });
    }
    let bad = |key: &str, field: &str, why: String| {
        let (line, column) = key_position(text, key);
        MaterialsError::Malformed {
            path: path.to_path_buf(),
            line,
            column,
            field: format!("packages.{key}{field}"),
            reason: why,
        }
    };

    // install path → (purl, or None for a local package; dependency names)
    type Node = (Option<String>, Vec<(String, bool)>);
    let mut nodes: BTreeMap<&str, Node> = BTreeMap::new();
    let mut pkgs: Vec<Package> = Vec::new();
    for (key, entry) in &lock.packages {
        let ident = entry
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| bad(key, "[0]", "expected the string `<name>@<version>`".into()))?;
        let at = ident
            .get(1..)
            .and_then(|s| s.find('@'))
            .map(|i| i + 1)
            .ok_or_else(|| bad(key, "[0]", "expected `<name>@<version>`".into()))?;
        let (pname, version) = (&ident[..at], &ident[at + 1..]);
        let meta_index = if entry.get(1).is_some_and(Value::is_string) {
            2
        } else {
            1
        };
        let meta = entry.get(meta_index).and_then(Value::as_object);
        let mut deps = Vec::new();
        if let Some(m) = meta {
            for (field, optional) in [("dependencies", false), ("optionalDependencies", true)] {
                match m.get(field) {
                    None => {}
                    Some(Value::Object(o)) => {
                        deps.extend(o.keys().map(|d| (d.clone(), optional)));
                    }
                    Some(_) => {
                        return Err(bad(
                            key,
                            &format!("[{meta_index}].{field}"),
                            "expected an object".into(),
                        ))
                    }
                }
            }
        }
        let local = ["workspace:", "file:", "link:", "root:"]
            .iter()
            .any(|p| version.starts_with(p));
        if local {
            nodes.insert(key, (None, deps));
            continue;
        }
        let mut extra = Map::new();
        let mut digest = BTreeMap::new();
        let (purl, ver) = if ["github:", "git+", "git:", "http:", "https:"]
            .iter()
            .any(|p| version.starts_with(p))
        {
            extra.insert("resolved".into(), Value::String(strip_credentials(version)));
            (
                crate::purl::package_url_with_qualifiers(
                    "npm",
                    pname
                        .strip_prefix('@')
                        .and_then(|s| s.split_once('/'))
                        .map(|_| pname.split_once('/').map_or(pname, |(ns, _)| ns)),
                    pname.rsplit('/').next().unwrap_or(pname),
                    None,
                    &[("vcs_url", &strip_credentials(version))],
                ),
                String::new(),
            )
        } else {
            let integrity = entry
                .get(3)
                .ok_or_else(|| bad(key, "[3]", "a registry package without `integrity`".into()))?;
            let sri = integrity
                .as_str()
                .ok_or_else(|| bad(key, "[3]", "expected an SRI string".into()))?;
            digest = super::sri_to_digests(sri);
            if digest.is_empty() {
                return Err(bad(
                    key,
                    "[3]",
                    "`integrity` is not an SRI value (`sha512-<base64>`)".into(),
                ));
            }
            if let Some(url) = entry
                .get(1)
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
            {
                extra.insert("resolved".into(), Value::String(strip_credentials(url)));
            }
            (npm_purl(pname, version), version.to_string())
        };
        nodes.insert(key, (Some(purl.clone()), deps));
        pkgs.push(Package {
            purl,
            name: pname.to_string(),
            version: ver,
            digest,
            dev: None,
            optional: None,
            extra,
        });
    }

    // Resolve `dep` as seen from install path `from`: `from/dep`, then each parent, then `dep`.
    let resolve = |from: &str, dep: &str| -> Option<&str> {
        let mut base = from.to_string();
        loop {
            let candidate = if base.is_empty() {
                dep.to_string()
            } else {
                format!("{base}/{dep}")
            };
            if let Some((k, _)) = nodes.get_key_value(candidate.as_str()) {
                return Some(*k);
            }
            if base.is_empty() {
                return None;
            }
            base = match base.rfind('/') {
                // A scoped segment `@scope/name` is one component.
                Some(i)
                    if base[..i]
                        .rsplit('/')
                        .next()
                        .is_some_and(|s| s.starts_with('@')) =>
                {
                    base[..i]
                        .rfind('/')
                        .map_or(String::new(), |j| base[..j].to_string())
                }
                Some(i) => base[..i].to_string(),
                None => String::new(),
            };
        }
    };
    let node_ref = |k: &str| -> String {
        nodes
            .get(k)
            .and_then(|(p, _)| p.clone())
            .unwrap_or_else(|| ROOT_REF.to_string())
    };
    let mut graph = DependencyGraph::default();
    graph.add_node(ROOT_REF);
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, (_, deps)) in &nodes {
        for (d, _) in deps {
            if let Some(to) = resolve(k, d) {
                graph.add_edge(&node_ref(k), &node_ref(to));
                edges.entry(k).or_default().push(to);
            }
        }
    }
    let root = lock.workspaces.get("").map(|w| w as &Workspace);
    let reach = |names: &mut dyn Iterator<Item = &String>| -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = names.filter_map(|n| resolve("", n)).collect();
        while let Some(n) = stack.pop() {
            if seen.insert(n) {
                stack.extend(edges.get(n).into_iter().flatten().copied());
            }
        }
        seen
    };
    if let Some(w) = root {
        for n in w
            .dependencies
            .keys()
            .chain(w.dev_dependencies.keys())
            .chain(w.optional_dependencies.keys())
            .chain(w.peer_dependencies.keys())
        {
            if let Some(to) = resolve("", n) {
                graph.add_edge(ROOT_REF, &node_ref(to));
            }
        }
        let prod = reach(&mut w.dependencies.keys().chain(w.peer_dependencies.keys()));
        let opt = reach(&mut w.optional_dependencies.keys());
        let runtime: BTreeSet<&str> = prod.union(&opt).copied().collect();
        let by_purl: BTreeMap<String, &str> = nodes
            .iter()
            .filter_map(|(k, (p, _))| p.clone().map(|p| (p, *k)))
            .collect();
        for p in &mut pkgs {
            if let Some(k) = by_purl.get(&p.purl) {
                p.dev = Some(!runtime.contains(k));
                p.optional = Some(opt.contains(k) && !prod.contains(k));
            }
        }
    }
    let mut lock = Lockfile::new(
        path,
        name.to_string(),
        format!("bun.lock v{}", lock.lockfile_version),
        pkgs,
        Some(graph),
    );
    lock.packages.sort_by(|a, b| a.purl.cmp(&b.purl));
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_bun_lock(text, Path::new("bun.lock"), "bun.lock")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn malformed_classes_name_line_and_field() {
        assert_eq!(
            err(""),
            "`bun.lock:1:1`: `lockfileVersion`: the file is empty"
        );
        assert_eq!(
            err("{\n  \"lockfileVersion\": 9,\n}"),
            "`bun.lock:2:3`: `lockfileVersion`: unknown version 9 (known: 0, 1, 2)"
        );
        assert_eq!(
            err("{\n  \"lockfileVersion\": 1,\n  \"packages\": {\n    \"ms\": [\"ms@2.1.3\", \"\", {}, \"sha512-!!\"],\n  }\n}"),
            "`bun.lock:4:5`: `packages.ms[3]`: `integrity` is not an SRI value (`sha512-<base64>`)"
        );
        assert!(err("{\n  \"lockfileVersion\": 1,\n  \"packages\": {").starts_with("`bun.lock:3:"));
        assert!(err("{\"lockfileVersion\": \"1\"}").starts_with("`bun.lock:1:"));
    }
}
