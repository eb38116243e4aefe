//! `pnpm-lock.yaml` (lockfileVersion 5.x, 6.x, 7.x and 9.x; see [`super::node`] for what is
//! recorded).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::node::{
    is_local_ref, is_registry_resolved, package, split_name_at, yaml_options, Scalar,
};
use super::{
    parse_error, DependencyGraph, Lockfile, LockfileInput, LockfileReader, Package, ROOT_REF,
};
use crate::MaterialsError;

/// `pnpm-lock.yaml`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PnpmReader;

impl LockfileReader for PnpmReader {
    fn format(&self) -> &'static str {
        "pnpm-lock.yaml"
    }
    fn claims(&self, file_name: &str, _parent: &str) -> bool {
        file_name == "pnpm-lock.yaml"
    }
    fn parse(&self, i: &LockfileInput<'_>) -> Result<Lockfile, MaterialsError> {
        parse_pnpm_lock(super::utf8(i.bytes, i.path)?, i.path, i.name)
    }
}

#[derive(Deserialize)]
struct PnpmLock {
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Scalar,
    #[serde(default)]
    packages: Option<BTreeMap<String, PnpmPackage>>,
    #[serde(default)]
    snapshots: Option<BTreeMap<String, PnpmDeps>>,
    #[serde(default)]
    importers: Option<BTreeMap<String, PnpmImporter>>,
    /// Single-project lockfiles (5.x/6.x) keep the root importer at the top level.
    #[serde(flatten)]
    root: PnpmImporter,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PnpmPackage {
    resolution: Option<PnpmResolution>,
    name: Option<String>,
    version: Option<Scalar>,
    dev: Option<bool>,
    optional: Option<bool>,
    #[serde(flatten)]
    deps: PnpmDeps,
}

/// The dependencies of a snapshot (9.x) or package (5.x/6.x) entry.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PnpmDeps {
    dependencies: BTreeMap<String, Scalar>,
    #[serde(rename = "optionalDependencies")]
    optional_dependencies: BTreeMap<String, Scalar>,
    optional: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PnpmImporter {
    dependencies: BTreeMap<String, PnpmDepRef>,
    #[serde(rename = "optionalDependencies")]
    optional_dependencies: BTreeMap<String, PnpmDepRef>,
    #[serde(rename = "devDependencies")]
    dev_dependencies: BTreeMap<String, PnpmDepRef>,
}

/// An importer's dependency: `{specifier, version}` (6.x, 9.x) or a bare version (5.x).
#[derive(Deserialize)]
#[serde(untagged)]
enum PnpmDepRef {
    Spec { version: Scalar },
    Plain(Scalar),
}

impl PnpmDepRef {
    fn version(&self) -> String {
        match self {
            PnpmDepRef::Spec { version } | PnpmDepRef::Plain(version) => version.text(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PnpmResolution {
    integrity: Option<String>,
    tarball: Option<String>,
    directory: Option<String>,
    repo: Option<String>,
    commit: Option<String>,
}

/// pnpm lockfile generations that differ in key syntax.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PnpmGen {
    /// 5.x: `/name/1.0.0_peer`.
    V5,
    /// 6.x: `/name@1.0.0(peer)`.
    V6,
    /// 9.x: `name@1.0.0(peer)`, with `snapshots`.
    V9,
}

/// The snapshot key a dependency `name: version` points at (`None` for `link:` — local).
fn pnpm_dep_key(gen: PnpmGen, name: &str, version: &str) -> Option<String> {
    if version.starts_with("link:") || version.starts_with("file:") {
        return None;
    }
    let head = version.split('(').next().unwrap_or(version);
    Some(match gen {
        PnpmGen::V9 if split_name_at(head).is_some() => version.to_string(),
        PnpmGen::V9 => format!("{name}@{version}"),
        _ if version.starts_with('/') => version.to_string(),
        PnpmGen::V6 => format!("/{name}@{version}"),
        PnpmGen::V5 => format!("/{name}/{version}"),
    })
}

/// Parses `pnpm-lock.yaml` (lockfileVersion 5.x: `/name/1.0.0`, 6.x: `/name@1.0.0`, 9.x:
/// `name@1.0.0` keys; a peer suffix `(peer@1)` or `_peer@1` is dropped). `dev`/`optional` come
/// from the entries (5.x/6.x) or, for 9.x, from what the importers' `dependencies` /
/// `optionalDependencies` versus `devDependencies` reach through `snapshots`; the graph comes
/// from the same edges.
pub fn parse_pnpm_lock(text: &str, path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    let lock: PnpmLock = serde_saphyr::from_str_with_options(text, yaml_options(text.len()))
        .map_err(|e| super::unparsable(path, "YAML", e))?;
    let lv = lock.lockfile_version.text();
    let major = lv.split('.').next().unwrap_or("");
    if !matches!(major, "5" | "6" | "7" | "9") {
        let (line, column) = super::position_of(text, "lockfileVersion");
        return Err(MaterialsError::Malformed {
            path: path.to_path_buf(),
            line,
            column,
            field: "lockfileVersion".into(),
            reason: format!("unknown version {lv} (known: 5.x, 6.x, 7.x, 9.x)"),
        });
    }
    let gen = if lv.starts_with('5') {
        PnpmGen::V5
    } else if lock.snapshots.is_some() || lv.starts_with('9') {
        PnpmGen::V9
    } else {
        PnpmGen::V6
    };
    let v5 = gen == PnpmGen::V5;
    let empty = BTreeMap::new();
    let packages = lock.packages.as_ref().unwrap_or(&empty);
    let mut pkgs = Vec::new();
    // packages key → index into pkgs
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (key, e) in packages {
        let (key_name, key_version) = pnpm_key(key, v5)
            .ok_or_else(|| parse_error(path, format!("cannot read package key `{key}`")))?;
        let res = e.resolution.as_ref();
        if res.is_some_and(|r| r.directory.is_some()) {
            continue; // a local directory
        }
        let pkg_name = e.name.clone().unwrap_or(key_name);
        let version = match &e.version {
            Some(v) => v.text(),
            None => key_version,
        };
        if version.is_empty() || is_local_ref(&version) {
            continue;
        }
        let digest = match res.and_then(|r| r.integrity.as_deref()) {
            Some(sri) => super::sri_digests_strict(sri).map_err(|reason| {
                let (line, column) = super::position_of(text, &format!("integrity: {sri}"));
                MaterialsError::Malformed {
                    path: path.to_path_buf(),
                    line,
                    column,
                    field: "integrity".into(),
                    reason,
                }
            })?,
            None => BTreeMap::new(),
        };
        let mut extra = Map::new();
        if let Some(r) = res {
            if let (Some(repo), Some(commit)) = (&r.repo, &r.commit) {
                extra.insert("resolved".into(), Value::String(format!("{repo}#{commit}")));
            } else if let Some(t) = &r.tarball {
                if !is_registry_resolved(Some(t)) {
                    extra.insert("resolved".into(), Value::String(t.clone()));
                }
            }
        }
        let (dev, optional) = if gen == PnpmGen::V9 {
            (None, None) // from the snapshots below
        } else {
            (e.dev, Some(e.optional.unwrap_or(false)))
        };
        index.insert(key.as_str(), pkgs.len());
        pkgs.push(package(&pkg_name, &version, digest, dev, optional, extra));
    }

    // Snapshot key → package index: 9.x snapshots carry peer suffixes the package keys lack;
    // 5.x/6.x packages are their own snapshots.
    let snapshots: Vec<(&str, &PnpmDeps)> = match (&lock.snapshots, gen) {
        (Some(s), PnpmGen::V9) => s.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        _ => packages
            .iter()
            .map(|(k, v)| (k.as_str(), &v.deps))
            .collect(),
    };
    let pkg_of = |snap: &str| -> Option<usize> {
        if let Some(i) = index.get(snap) {
            return Some(*i);
        }
        let stripped = snap.split('(').next().unwrap_or(snap);
        index.get(stripped).copied()
    };
    let snap_deps: HashMap<&str, &PnpmDeps> = snapshots.iter().copied().collect();
    let mut graph = DependencyGraph::default();
    graph.add_node(ROOT_REF);
    let ref_of = |i: usize| pkgs.get(i).map(|p: &Package| p.purl.clone());
    for (snap, deps) in &snapshots {
        let Some(from) = pkg_of(snap).and_then(ref_of) else {
            continue;
        };
        graph.add_node(&from);
        for (dn, dv) in deps.dependencies.iter().chain(&deps.optional_dependencies) {
            if let Some(to) = pnpm_dep_key(gen, dn, &dv.text())
                .and_then(|k| pkg_of(&k))
                .and_then(ref_of)
            {
                graph.add_edge(&from, &to);
            }
        }
    }
    let mut importers: Vec<&PnpmImporter> =
        lock.importers.iter().flat_map(|m| m.values()).collect();
    importers.push(&lock.root);
    let mut prod_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for imp in &importers {
        for (dn, dv) in imp.dependencies.iter().chain(&imp.optional_dependencies) {
            if let Some(k) = pnpm_dep_key(gen, dn, &dv.version()) {
                prod_roots.push(k);
            }
        }
        for (dn, dv) in &imp.dev_dependencies {
            if let Some(k) = pnpm_dep_key(gen, dn, &dv.version()) {
                dev_roots.push(k);
            }
        }
    }
    for k in prod_roots.iter().chain(&dev_roots) {
        if let Some(to) = pkg_of(k).and_then(ref_of) {
            graph.add_edge(ROOT_REF, &to);
        }
    }
    if gen == PnpmGen::V9 {
        let reach = |roots: &[String]| -> BTreeSet<String> {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<String> = roots.to_vec();
            while let Some(k) = stack.pop() {
                if !seen.insert(k.clone()) {
                    continue;
                }
                if let Some(d) = snap_deps.get(k.as_str()) {
                    for (dn, dv) in d.dependencies.iter().chain(&d.optional_dependencies) {
                        if let Some(next) = pnpm_dep_key(gen, dn, &dv.text()) {
                            stack.push(next);
                        }
                    }
                }
            }
            seen
        };
        let prod = reach(&prod_roots);
        let dev = reach(&dev_roots);
        let mut flags: Vec<(Option<bool>, Option<bool>)> = vec![(None, None); pkgs.len()];
        for (snap, deps) in &snapshots {
            let Some(i) = pkg_of(snap) else {
                continue;
            };
            let is_dev = dev.contains(*snap) && !prod.contains(*snap);
            let is_opt = deps.optional.unwrap_or(false);
            if let Some(f) = flags.get_mut(i) {
                f.0 = Some(f.0.unwrap_or(true) && is_dev);
                f.1 = Some(f.1.unwrap_or(true) && is_opt);
            }
        }
        for (p, (d, o)) in pkgs.iter_mut().zip(flags) {
            p.dev = d;
            p.optional = o;
        }
    }
    Ok(Lockfile::new(
        path,
        name.to_string(),
        format!("pnpm-lock.yaml v{lv}"),
        pkgs,
        Some(graph),
    ))
}

/// `(name, version)` of a pnpm `packages:` key.
pub(super) fn pnpm_key(key: &str, v5: bool) -> Option<(String, String)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let k = k.split('(').next().unwrap_or(k);
    if v5 {
        // /name/1.0.0 or /@scope/name/1.0.0_peer@1
        let (n, v) = k.rsplit_once('/')?;
        let v = v.split('_').next().unwrap_or(v);
        return Some((n.to_string(), v.to_string()));
    }
    let (n, v) = split_name_at(k)?;
    Some((n.to_string(), v.to_string()))
}
