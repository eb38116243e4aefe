//! `package-lock.json` and `npm-shrinkwrap.json` (lockfileVersion 1, 2, 3) and the installed
//! `node_modules/.package-lock.json` (see [`super::node`] for what is recorded).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::node::{is_local_ref, package, source_extra, split_name_at};
use super::{
    parse_error, DependencyGraph, Lockfile, LockfileInput, LockfileReader, Package, ROOT_REF,
};
use crate::MaterialsError;

/// `package-lock.json`, `npm-shrinkwrap.json` and the installed `node_modules/.package-lock.json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PackageLockReader;

impl LockfileReader for PackageLockReader {
    fn format(&self) -> &'static str {
        "package-lock.json"
    }
    fn claims(&self, file_name: &str, parent: &str) -> bool {
        matches!(file_name, "package-lock.json" | "npm-shrinkwrap.json")
            || (file_name == ".package-lock.json" && parent == "node_modules")
    }
    fn parse(&self, i: &LockfileInput<'_>) -> Result<Lockfile, MaterialsError> {
        parse_package_lock(i.bytes, i.path, i.name)
    }
}

#[derive(Deserialize)]
struct PackageLock {
    #[serde(rename = "lockfileVersion", default)]
    lockfile_version: Option<u64>,
    #[serde(default)]
    packages: Option<BTreeMap<String, PlEntry>>,
    #[serde(default)]
    dependencies: Option<BTreeMap<String, V1Dep>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlEntry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    link: bool,
    dev: bool,
    optional: bool,
    #[serde(rename = "devOptional")]
    dev_optional: bool,
    dependencies: BTreeMap<String, String>,
    #[serde(rename = "optionalDependencies")]
    optional_dependencies: BTreeMap<String, String>,
    #[serde(rename = "peerDependencies")]
    peer_dependencies: BTreeMap<String, String>,
    #[serde(rename = "devDependencies")]
    dev_dependencies: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct V1Dep {
    version: String,
    resolved: Option<String>,
    integrity: Option<String>,
    dev: bool,
    optional: bool,
    dependencies: BTreeMap<String, V1Dep>,
}

/// Parses `package-lock.json` / `npm-shrinkwrap.json` / `node_modules/.package-lock.json`
/// bytes. v2/v3 (`packages`) come with the dependency graph; v1 (`dependencies` only) without.
pub fn parse_package_lock(
    bytes: &[u8],
    path: &Path,
    name: &str,
) -> Result<Lockfile, MaterialsError> {
    let lock: PackageLock = super::from_json_slice(path, bytes)?;
    let version = lock.lockfile_version.unwrap_or(1);
    if !matches!(version, 1..=3) {
        let text = String::from_utf8_lossy(bytes);
        let (line, column) = super::position_of(&text, "\"lockfileVersion\"");
        return Err(MaterialsError::Malformed {
            path: path.to_path_buf(),
            line,
            column,
            field: "lockfileVersion".into(),
            reason: format!("unknown version {version} (known: 1, 2, 3)"),
        });
    }
    // Every `integrity` must be a Subresource Integrity value.
    let strict_sri = |sri: &str| {
        super::sri_digests_strict(sri).map_err(|reason| {
            let text = String::from_utf8_lossy(bytes);
            let (line, column) = super::position_of(&text, &format!("\"integrity\": \"{sri}\""));
            MaterialsError::Malformed {
                path: path.to_path_buf(),
                line,
                column,
                field: "integrity".into(),
                reason,
            }
        })
    };
    let integrities = lock
        .packages
        .iter()
        .flat_map(|p| p.values().filter_map(|e| e.integrity.as_deref()))
        .chain(v1_integrities(lock.dependencies.as_ref()));
    for sri in integrities {
        strict_sri(sri)?;
    }
    if let Some(packages) = &lock.packages {
        let (pkgs, graph) = from_packages(packages);
        return Ok(Lockfile::new(
            path,
            name.to_string(),
            format!("package-lock.json v{version}"),
            pkgs,
            Some(graph),
        ));
    }
    let Some(deps) = &lock.dependencies else {
        if lock.lockfile_version.is_none() {
            return Err(parse_error(
                path,
                "neither `lockfileVersion`, `packages` nor `dependencies`: not a package-lock",
            ));
        }
        return Ok(Lockfile::new(
            path,
            name.to_string(),
            format!("package-lock.json v{version}"),
            Vec::new(),
            None,
        ));
    };
    let mut pkgs = Vec::new();
    walk_v1(deps, &mut pkgs);
    Ok(Lockfile::new(
        path,
        name.to_string(),
        format!("package-lock.json v{version}"),
        pkgs,
        None,
    ))
}

fn v1_integrities(deps: Option<&BTreeMap<String, V1Dep>>) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack: Vec<&BTreeMap<String, V1Dep>> = deps.into_iter().collect();
    while let Some(d) = stack.pop() {
        for dep in d.values() {
            out.extend(dep.integrity.as_deref());
            stack.push(&dep.dependencies);
        }
    }
    out
}

fn walk_v1(deps: &BTreeMap<String, V1Dep>, out: &mut Vec<Package>) {
    // Iterative to bound stack use (serde_json already bounds nesting at 128).
    let mut stack: Vec<&BTreeMap<String, V1Dep>> = vec![deps];
    while let Some(map) = stack.pop() {
        for (key, dep) in map {
            stack.push(&dep.dependencies);
            let v = dep.version.as_str();
            if v.is_empty() || is_local_ref(v) {
                continue;
            }
            let (real_name, version, extra) = if let Some(alias) = v.strip_prefix("npm:") {
                match split_name_at(alias) {
                    Some((n, ver)) => (n, ver, source_extra(dep.resolved.as_deref())),
                    None => continue,
                }
            } else if v.contains(':') || v.contains('/') {
                // git or tarball URL in place of a version
                let mut m = Map::new();
                m.insert(
                    "resolved".into(),
                    Value::String(crate::git::strip_credentials(v)),
                );
                (key.as_str(), v, m)
            } else {
                (key.as_str(), v, source_extra(dep.resolved.as_deref()))
            };
            let digest = dep
                .integrity
                .as_deref()
                .map(super::sri_to_digests)
                .unwrap_or_default();
            out.push(package(
                real_name,
                version,
                digest,
                Some(dep.dev),
                Some(dep.optional),
                extra,
            ));
        }
    }
}

/// The package name of a `node_modules/…` key (`node_modules/a/node_modules/@s/b` → `@s/b`).
pub(super) fn name_from_key(key: &str) -> Option<&str> {
    let idx = key.rfind("node_modules/")?;
    key.get(idx + "node_modules/".len()..)
}

/// The directory whose `node_modules` holds `key` (`node_modules/a/node_modules/b` →
/// `node_modules/a`; `node_modules/a` → ``).
pub(super) fn parent_key(key: &str) -> &str {
    match key.rfind("node_modules/") {
        Some(idx) => key.get(..idx).unwrap_or_default().trim_end_matches('/'),
        None => "",
    }
}

fn from_packages(packages: &BTreeMap<String, PlEntry>) -> (Vec<Package>, DependencyGraph) {
    let mut pkgs = Vec::new();
    // key → graph ref (purl, or ROOT_REF for the project and its workspace members).
    let mut refs: HashMap<&str, String> = HashMap::new();
    for (key, e) in packages {
        let Some(pkg_name) = name_from_key(key) else {
            // "" (the project) or a workspace folder: local.
            refs.insert(key.as_str(), ROOT_REF.to_string());
            continue;
        };
        if e.link {
            // A link to a workspace folder (or a `file:` directory): local.
            refs.insert(key.as_str(), ROOT_REF.to_string());
            continue;
        }
        let real_name = e.name.as_deref().unwrap_or(pkg_name);
        let Some(version) = e.version.as_deref() else {
            continue;
        };
        if e.resolved.as_deref().is_some_and(is_local_ref) {
            refs.insert(key.as_str(), ROOT_REF.to_string());
            continue;
        }
        let digest = e
            .integrity
            .as_deref()
            .map(super::sri_to_digests)
            .unwrap_or_default();
        let mut extra = source_extra(e.resolved.as_deref());
        if e.dev_optional {
            extra.insert("devOptional".into(), Value::Bool(true));
        }
        let p = package(
            real_name,
            version,
            digest,
            Some(e.dev),
            Some(e.optional),
            extra,
        );
        refs.insert(key.as_str(), p.purl.clone());
        pkgs.push(p);
    }
    let mut graph = DependencyGraph::default();
    graph.add_node(ROOT_REF);
    for (key, e) in packages {
        let Some(from) = refs.get(key.as_str()) else {
            continue;
        };
        graph.add_node(from);
        // devDependencies are installed only for the project and its workspace members.
        let local = name_from_key(key).is_none();
        let dev_deps = e.dev_dependencies.keys().filter(|_| local);
        let deps = e
            .dependencies
            .keys()
            .chain(e.optional_dependencies.keys())
            .chain(e.peer_dependencies.keys())
            .chain(dev_deps);
        for dep in deps {
            if let Some(target) = resolve_node_dep(packages, key, dep) {
                if let Some(to) = refs.get(target) {
                    graph.add_edge(from, to);
                }
            }
        }
    }
    (pkgs, graph)
}

/// Node's module resolution over lockfile keys: `<dir>/node_modules/<dep>` from `from` upwards.
/// A link entry resolves to its target folder.
fn resolve_node_dep<'a>(
    packages: &'a BTreeMap<String, PlEntry>,
    from: &str,
    dep: &str,
) -> Option<&'a str> {
    let mut dir = from.to_string();
    loop {
        let candidate = if dir.is_empty() {
            format!("node_modules/{dep}")
        } else {
            format!("{dir}/node_modules/{dep}")
        };
        if let Some((k, e)) = packages.get_key_value(candidate.as_str()) {
            if e.link {
                if let Some(target) = e.resolved.as_deref() {
                    if let Some((tk, _)) = packages.get_key_value(target) {
                        return Some(tk.as_str());
                    }
                }
            }
            return Some(k.as_str());
        }
        if dir.is_empty() {
            return None;
        }
        let parent = if dir.contains("node_modules/") {
            parent_key(&dir).to_string()
        } else {
            String::new()
        };
        dir = parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_resolution_prefers_the_closest() {
        let lock = br#"{"lockfileVersion":3,"packages":{
          "":{"dependencies":{"a":"1","w":"*"}},
          "node_modules/a":{"version":"1.0.0","dependencies":{"b":"^2"}},
          "node_modules/b":{"version":"1.0.0"},
          "node_modules/b-cjs":{"name":"b","version":"2.0.0","dev":true},
          "node_modules/a/node_modules/b":{"version":"2.0.0"},
          "node_modules/w":{"resolved":"packages/w","link":true},
          "packages/w":{"name":"w","version":"0.1.0","dependencies":{"b":"1"}}}}"#;
        let l = parse_package_lock(lock, Path::new("p"), "p").unwrap();
        let purls: Vec<_> = l.packages.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            vec!["pkg:npm/a@1.0.0", "pkg:npm/b@1.0.0", "pkg:npm/b@2.0.0"]
        );
        // the alias `b-cjs` is the real package b@2.0.0; dev only if every copy is dev
        assert_eq!(l.packages[2].dev, Some(false));
        let g = l.graph.unwrap();
        let a: Vec<_> = g.edges["pkg:npm/a@1.0.0"].iter().cloned().collect();
        assert_eq!(a, vec!["pkg:npm/b@2.0.0"]);
        let root: Vec<_> = g.edges[ROOT_REF].iter().cloned().collect();
        assert_eq!(root, vec!["pkg:npm/a@1.0.0", "pkg:npm/b@1.0.0"]);
    }
}
