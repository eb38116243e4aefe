//! Node.js lockfiles: `package-lock.json` and `npm-shrinkwrap.json` (lockfileVersion 1, 2, 3),
//! the installed `node_modules/.package-lock.json`, `yarn.lock` (v1 and berry), and
//! `pnpm-lock.yaml` (lockfileVersion 5.x, 6.x and 9.x).
//!
//! Every registry package becomes `pkg:npm/<name>@<version>` (a scope is the purl namespace:
//! `pkg:npm/%40scope/name@1.0.0`), with the digest of its `integrity` (SRI `sha512-<base64>` →
//! `sha512` hex; `sha1-…` → `sha1`; yarn v1 without `integrity` → the `sha1` in the `resolved`
//! URL's fragment). Local packages (the project itself, workspace members, `link:`/`file:`
//! packages) are not external dependencies and are not recorded; git and tarball-URL packages
//! are recorded with their `resolved` source as an annotation.
//!
//! `dev`/`optional` annotations come from the lockfile where it records them (`package-lock`
//! `dev`/`optional`, pnpm 5/6 `dev`/`optional`; pnpm 9 from what the importers' dev and non-dev
//! dependencies reach; yarn v1 and berry `dev` likewise, with the project's `devDependencies`
//! taken from the `package.json` beside the lockfile — without it, `dev` is absent). `optional`
//! is absent for yarn, which does not record it per package. Every format but
//! `package-lock.json` v1 comes with its dependency graph. Yarn berry `checksum`s are hashes of Yarn's own cache archives,
//! not of the npm tarball, so they are kept as the `yarnChecksum` annotation, not as a digest.
//!
//! ```
//! use provseal_materials::node::parse_package_lock;
//! let lock = br#"{"lockfileVersion": 3, "packages": {"": {"name": "app"},
//!   "node_modules/@scope/x": {"version": "1.0.0", "dev": true}}}"#;
//! let parsed = parse_package_lock(lock, std::path::Path::new("package-lock.json"), "package-lock.json").unwrap();
//! assert_eq!(parsed.packages[0].purl, "pkg:npm/%40scope/x@1.0.0");
//! assert_eq!(parsed.packages[0].dev, Some(true));
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

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

/// `yarn.lock` (v1 and berry).
#[derive(Debug, Clone, Copy, Default)]
pub struct YarnReader;

impl LockfileReader for YarnReader {
    fn format(&self) -> &'static str {
        "yarn.lock"
    }
    fn claims(&self, file_name: &str, _parent: &str) -> bool {
        file_name == "yarn.lock"
    }
    fn parse(&self, i: &LockfileInput<'_>) -> Result<Lockfile, MaterialsError> {
        parse_yarn_lock(super::utf8(i.bytes, i.path)?, i.path, i.name)
    }
}

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

/// Reads and parses a Node lockfile, choosing the format by file name (`yarn.lock`,
/// `pnpm-lock.yaml`, else `package-lock.json` / `.package-lock.json`). `name` is the path
/// recorded in annotations.
pub fn parse_lockfile(path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    parse_lockfile_bytes(path, name, &crate::files::read_regular_file(path)?)
}

/// [`parse_lockfile`] over bytes already read.
pub fn parse_lockfile_bytes(
    path: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<Lockfile, MaterialsError> {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match file_name {
        "yarn.lock" => parse_yarn_lock(super::utf8(bytes, path)?, path, name),
        "pnpm-lock.yaml" => parse_pnpm_lock(super::utf8(bytes, path)?, path, name),
        _ => parse_package_lock(bytes, path, name),
    }
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/// `pkg:npm/…` for an npm package name (`@scope/name` or `name`).
pub fn npm_purl(name: &str, version: &str) -> String {
    let (ns, base) = split_scope(name);
    crate::purl::package_url("npm", ns, base, Some(version))
}

fn split_scope(name: &str) -> (Option<&str>, &str) {
    if name.starts_with('@') {
        if let Some((scope, base)) = name.split_once('/') {
            return (Some(scope), base);
        }
    }
    (None, name)
}

/// Splits `name@rest` where `name` may start with `@` (a scope).
fn split_name_at(spec: &str) -> Option<(&str, &str)> {
    let start = usize::from(spec.starts_with('@'));
    let idx = spec.get(start..)?.find('@')? + start;
    Some((spec.get(..idx)?, spec.get(idx + 1..)?))
}

fn package(
    name: &str,
    version: &str,
    digest: BTreeMap<String, String>,
    dev: Option<bool>,
    optional: Option<bool>,
    extra: Map<String, Value>,
) -> Package {
    Package {
        purl: npm_purl(name, version),
        name: name.to_string(),
        version: version.to_string(),
        digest,
        dev,
        optional,
        extra,
    }
}

/// Whether an npm `resolved` value points at a registry tarball (or is absent: npm may omit it).
fn is_registry_resolved(resolved: Option<&str>) -> bool {
    match resolved {
        None => true,
        Some(r) => {
            (r.starts_with("https://") || r.starts_with("http://"))
                && r.contains("/-/")
                && r.ends_with(".tgz")
        }
    }
}

fn source_extra(resolved: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(r) = resolved {
        if !is_registry_resolved(Some(r)) {
            m.insert("resolved".into(), Value::String(r.to_string()));
        }
    }
    m
}

fn is_local_ref(r: &str) -> bool {
    r.starts_with("file:") || r.starts_with("link:") || r.starts_with("workspace:")
}

// ---------------------------------------------------------------------------------------------
// package-lock.json
// ---------------------------------------------------------------------------------------------

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
fn name_from_key(key: &str) -> Option<&str> {
    let idx = key.rfind("node_modules/")?;
    key.get(idx + "node_modules/".len()..)
}

/// The directory whose `node_modules` holds `key` (`node_modules/a/node_modules/b` →
/// `node_modules/a`; `node_modules/a` → ``).
fn parent_key(key: &str) -> &str {
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

// ---------------------------------------------------------------------------------------------
// yarn.lock
// ---------------------------------------------------------------------------------------------

/// Parses `yarn.lock`: berry (YAML with `__metadata`) or v1 (Yarn's own format).
pub fn parse_yarn_lock(text: &str, path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    let is_berry = text
        .lines()
        .any(|l| l.trim_end() == "__metadata:" || l.starts_with("\"__metadata\":"));
    if is_berry {
        parse_yarn_berry(text, path, name)
    } else {
        parse_yarn_v1(text, path, name)
    }
}

#[derive(Default)]
struct YarnV1Entry {
    specs: Vec<String>,
    fields: BTreeMap<String, String>,
    /// The line of each field.
    field_lines: BTreeMap<String, usize>,
    /// `dependencies` and `optionalDependencies` blocks: (name, range).
    deps: Vec<(String, String)>,
    line: usize,
}

/// Unquotes a yarn v1 token (JSON-style double quotes) or returns it as is.
fn yarn_unquote(s: &str) -> Option<String> {
    let s = s.trim();
    if s.starts_with('"') {
        serde_json::from_str::<String>(s).ok()
    } else {
        Some(s.to_string())
    }
}

/// Splits `key value` (either may be quoted).
fn yarn_key_value(s: &str) -> Option<(String, String)> {
    let s = s.trim();
    let (key, rest) = if s.starts_with('"') {
        let mut end = None;
        let mut escaped = false;
        for (i, c) in s.char_indices().skip(1) {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = Some(i);
                break;
            }
        }
        let end = end?;
        (yarn_unquote(s.get(..=end)?)?, s.get(end + 1..)?)
    } else {
        let (k, r) = s.split_once(' ')?;
        (k.to_string(), r)
    };
    Some((key, yarn_unquote(rest)?))
}

fn parse_yarn_v1(text: &str, path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    let mut entries: Vec<YarnV1Entry> = Vec::new();
    let mut in_block: Option<String> = None;
    let mut saw_header = false;
    for (no, raw) in text.lines().enumerate() {
        let line_no = no + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim();
        match indent {
            0 => {
                let Some(head) = content.strip_suffix(':') else {
                    return Err(parse_error(
                        path,
                        format!("line {line_no}: expected `<specifiers>:`"),
                    ));
                };
                let mut specs = Vec::new();
                for s in split_specs(head) {
                    let Some(u) = yarn_unquote(&s) else {
                        return Err(parse_error(
                            path,
                            format!("line {line_no}: bad quoting in `{s}`"),
                        ));
                    };
                    specs.push(u);
                }
                saw_header = true;
                in_block = None;
                entries.push(YarnV1Entry {
                    specs,
                    line: line_no,
                    ..YarnV1Entry::default()
                });
            }
            2 => {
                let Some(entry) = entries.last_mut() else {
                    return Err(parse_error(
                        path,
                        format!("line {line_no}: field outside an entry"),
                    ));
                };
                if let Some(block) = content.strip_suffix(':') {
                    in_block = Some(block.to_string());
                    continue;
                }
                in_block = None;
                let Some((k, v)) = yarn_key_value(content) else {
                    return Err(parse_error(
                        path,
                        format!("line {line_no}: expected `key value`"),
                    ));
                };
                entry.field_lines.insert(k.clone(), line_no);
                entry.fields.insert(k, v);
            }
            4 if in_block.is_some() => {
                let (Some((k, v)), Some(entry)) = (yarn_key_value(content), entries.last_mut())
                else {
                    return Err(parse_error(
                        path,
                        format!("line {line_no}: expected `name range`"),
                    ));
                };
                if matches!(
                    in_block.as_deref(),
                    Some("dependencies" | "optionalDependencies")
                ) {
                    entry.deps.push((k, v));
                }
            }
            _ => {
                return Err(parse_error(
                    path,
                    format!("line {line_no}: unexpected indentation"),
                ))
            }
        }
    }
    if !saw_header && !text.contains("yarn lockfile v1") {
        return Err(parse_error(
            path,
            "no entries and no `# yarn lockfile v1` header",
        ));
    }
    let mut pkgs = Vec::new();
    // spec ("name@range") → purl of the entry it resolves to
    let mut spec_purl: HashMap<&str, String> = HashMap::new();
    let mut entry_purl: Vec<Option<String>> = Vec::new();
    for e in &entries {
        entry_purl.push(None);
        let Some(first) = e.specs.first() else {
            continue;
        };
        let Some((spec_name, range)) = split_name_at(first) else {
            return Err(parse_error(
                path,
                format!(
                    "line {}: cannot split `{first}` into name and range",
                    e.line
                ),
            ));
        };
        let Some(version) = e.fields.get("version") else {
            return Err(parse_error(
                path,
                format!("line {}: entry `{first}` has no version", e.line),
            ));
        };
        if is_local_ref(range) {
            continue;
        }
        let real_name = match range.strip_prefix("npm:").and_then(split_name_at) {
            Some((n, _)) => n,
            None => spec_name,
        };
        let resolved = e.fields.get("resolved").map(String::as_str);
        if resolved.is_some_and(is_local_ref) {
            continue;
        }
        // A field's key is at column 3 of its line.
        let bad = |field: &str, reason: String| MaterialsError::Malformed {
            path: path.to_path_buf(),
            line: e.field_lines.get(field).copied(),
            column: Some(3),
            field: field.into(),
            reason,
        };
        let mut digest = match e.fields.get("integrity") {
            Some(sri) => {
                super::sri_digests_strict(sri).map_err(|reason| bad("integrity", reason))?
            }
            None => BTreeMap::new(),
        };
        let registry = resolved.is_none_or(|r| {
            r.contains("/-/") && r.split('#').next().is_some_and(|u| u.ends_with(".tgz"))
        });
        // A registry tarball's `#fragment` is the tarball's SHA-1 (yarn v1 writes it always).
        if let Some(frag) = resolved
            .filter(|_| registry)
            .and_then(|r| r.rsplit_once('#'))
            .map(|(_, f)| f)
        {
            if frag.len() != 40 || !frag.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(
                    "resolved",
                    format!("the URL fragment `#{frag}` is not a SHA-1 (40 hex digits)"),
                ));
            }
            if digest.is_empty() {
                digest.insert("sha1".into(), frag.to_ascii_lowercase());
            }
        }
        let mut extra = Map::new();
        if !registry {
            if let Some(r) = resolved {
                extra.insert("resolved".into(), Value::String(r.to_string()));
            }
        }
        let p = package(real_name, version, digest, None, None, extra);
        for spec in &e.specs {
            spec_purl.insert(spec.as_str(), p.purl.clone());
        }
        if let Some(slot) = entry_purl.last_mut() {
            *slot = Some(p.purl.clone());
        }
        pkgs.push(p);
    }
    let mut graph = DependencyGraph::default();
    graph.add_node(ROOT_REF);
    for (e, from) in entries.iter().zip(&entry_purl) {
        let Some(from) = from else {
            continue;
        };
        graph.add_node(from);
        for (dn, range) in &e.deps {
            if let Some(to) = spec_purl.get(format!("{dn}@{range}").as_str()) {
                graph.add_edge(from, to);
            }
        }
    }
    // The project's own dependencies come from the package.json beside the lockfile; with it,
    // a package reached only from devDependencies is a dev dependency.
    if let Some(manifest) = read_package_json(path) {
        let roots = |section: &str| -> Vec<String> {
            manifest
                .get(section)
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(n, r)| r.as_str().map(|r| format!("{n}@{r}")))
                        .filter_map(|spec| spec_purl.get(spec.as_str()).cloned())
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut prod_roots = roots("dependencies");
        prod_roots.extend(roots("optionalDependencies"));
        prod_roots.extend(roots("peerDependencies"));
        let dev_roots = roots("devDependencies");
        for r in prod_roots.iter().chain(&dev_roots) {
            graph.add_edge(ROOT_REF, r);
        }
        let prod = graph.reachable(&prod_roots);
        let dev = graph.reachable(&dev_roots);
        for p in &mut pkgs {
            p.dev = Some(dev.contains(&p.purl) && !prod.contains(&p.purl));
        }
    }
    Ok(Lockfile::new(
        path,
        name.to_string(),
        "yarn.lock v1".into(),
        pkgs,
        Some(graph),
    ))
}

/// The `package.json` beside a lockfile, if it is there and is a JSON object.
fn read_package_json(lockfile: &Path) -> Option<Map<String, Value>> {
    let p = lockfile.with_file_name("package.json");
    if !p.is_file() {
        return None;
    }
    let bytes = crate::files::read_regular_file(&p).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Splits a yarn v1 header `"a@^1", b@^2` at commas outside quotes.
fn split_specs(head: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut escaped = false;
    for c in head.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                in_quotes = !in_quotes;
                cur.push(c);
            }
            ',' if !in_quotes => {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// A YAML scalar that may be typed as a string, number or bool.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum Scalar {
    S(String),
    I(i64),
    F(f64),
    B(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::S(s) => s.clone(),
            Scalar::I(i) => i.to_string(),
            Scalar::F(f) => f.to_string(),
            Scalar::B(b) => b.to_string(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BerryEntry {
    version: Option<Scalar>,
    resolution: Option<String>,
    checksum: Option<String>,
    dependencies: BTreeMap<String, Scalar>,
    #[serde(rename = "optionalDependencies")]
    optional_dependencies: BTreeMap<String, Scalar>,
}

/// A Yarn berry `checksum`: the SHA-512 of Yarn's cache archive as 128 hex digits, after an
/// optional cache key (`10c0/…`).
fn is_berry_checksum(c: &str) -> bool {
    let hex = match c.split_once('/') {
        Some((key, hex)) => {
            if !key.bytes().all(|b| b.is_ascii_alphanumeric()) || key.is_empty() {
                return false;
            }
            hex
        }
        None => c,
    };
    hex.len() == 128 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// YAML options with a budget scaled to the input size (the defaults reject large lockfiles).
fn yaml_options(len: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = budget.max_events.max(len.saturating_mul(2));
    budget.max_nodes = budget.max_nodes.max(len);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(len.saturating_mul(2));
    budget.max_reader_input_bytes = Some(len.saturating_add(1024).max(1 << 20));
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

fn parse_yarn_berry(text: &str, path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    let map: BTreeMap<String, BerryEntry> =
        serde_saphyr::from_str_with_options(text, yaml_options(text.len()))
            .map_err(|e| parse_error(path, e.to_string()))?;
    let mut pkgs = Vec::new();
    let mut meta_version = String::new();
    // descriptor ("name@npm:^1.0.0") → graph ref; entry key → graph ref
    let mut desc_ref: HashMap<&str, String> = HashMap::new();
    let mut key_ref: Vec<(&BerryEntry, String, bool)> = Vec::new();
    for (key, e) in &map {
        if key == "__metadata" {
            meta_version = e.version.as_ref().map(Scalar::text).unwrap_or_default();
            continue;
        }
        let Some(resolution) = e.resolution.as_deref() else {
            return Err(parse_error(
                path,
                format!("entry `{key}` has no resolution"),
            ));
        };
        let Some((pkg_name, reference)) = split_name_at(resolution) else {
            return Err(parse_error(
                path,
                format!("entry `{key}`: cannot split resolution `{resolution}`"),
            ));
        };
        let mut extra = Map::new();
        if let Some(c) = &e.checksum {
            if !is_berry_checksum(c) {
                let (line, column) = super::position_of(text, &format!("checksum: {c}"));
                return Err(MaterialsError::Malformed {
                    path: path.to_path_buf(),
                    line,
                    column,
                    field: "checksum".into(),
                    reason: "not a Yarn checksum (`<cache key>/<128 hex digits>`)".into(),
                });
            }
            extra.insert("yarnChecksum".into(), Value::String(c.clone()));
        }
        let is_root_workspace = reference == "workspace:.";
        let version = if let Some(v) = reference.strip_prefix("npm:") {
            v.to_string()
        } else if reference.starts_with("workspace:")
            || reference.starts_with("link:")
            || reference.starts_with("portal:")
            || reference.starts_with("file:")
            || reference.starts_with("patch:")
        {
            // Local packages (folded into the root of the graph); a `patch:` entry is the
            // patched copy of an `npm:` entry that the lockfile also lists.
            for d in key.split(", ") {
                desc_ref.insert(d.trim(), ROOT_REF.to_string());
            }
            key_ref.push((e, ROOT_REF.to_string(), is_root_workspace));
            continue;
        } else {
            extra.insert("resolved".into(), Value::String(reference.to_string()));
            match &e.version {
                Some(v) => v.text(),
                None => continue,
            }
        };
        let p = package(pkg_name, &version, BTreeMap::new(), None, None, extra);
        for d in key.split(", ") {
            desc_ref.insert(d.trim(), p.purl.clone());
        }
        key_ref.push((e, p.purl.clone(), false));
        pkgs.push(p);
    }
    let manifest = read_package_json(path);
    let dev_names: BTreeSet<&str> = manifest
        .as_ref()
        .and_then(|m| m.get("devDependencies"))
        .and_then(Value::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut graph = DependencyGraph::default();
    graph.add_node(ROOT_REF);
    let mut prod_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for (e, from, is_root_workspace) in &key_ref {
        graph.add_node(from);
        for (dn, range) in e.dependencies.iter().chain(&e.optional_dependencies) {
            let Some(to) = desc_ref.get(format!("{dn}@{}", range.text()).as_str()) else {
                continue;
            };
            graph.add_edge(from, to);
            if from == ROOT_REF {
                if *is_root_workspace && dev_names.contains(dn.as_str()) {
                    dev_roots.push(to.clone());
                } else {
                    prod_roots.push(to.clone());
                }
            }
        }
    }
    if manifest.is_some() {
        let prod = graph.reachable(&prod_roots);
        let dev = graph.reachable(&dev_roots);
        for p in &mut pkgs {
            p.dev = Some(dev.contains(&p.purl) && !prod.contains(&p.purl));
        }
    }
    Ok(Lockfile::new(
        path,
        name.to_string(),
        format!("yarn.lock berry (metadata version {meta_version})"),
        pkgs,
        Some(graph),
    ))
}

// ---------------------------------------------------------------------------------------------
// pnpm-lock.yaml
// ---------------------------------------------------------------------------------------------

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
        .map_err(|e| parse_error(path, e.to_string()))?;
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
fn pnpm_key(key: &str, v5: bool) -> Option<(String, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_names() {
        assert_eq!(
            name_from_key("node_modules/a/node_modules/@s/b"),
            Some("@s/b")
        );
        assert_eq!(name_from_key("packages/x"), None);
        assert_eq!(
            parent_key("node_modules/a/node_modules/b"),
            "node_modules/a"
        );
        assert_eq!(parent_key("node_modules/@s/b"), "");
        assert_eq!(parent_key("packages/u/node_modules/ms"), "packages/u");
        assert_eq!(split_name_at("@s/x@^1.0"), Some(("@s/x", "^1.0")));
        assert_eq!(split_name_at("x@npm:y@1"), Some(("x", "npm:y@1")));
        assert_eq!(split_name_at("nover"), None);
        assert_eq!(
            pnpm_key("/@s/x@1.2.3(peer@1.0.0)", false),
            Some(("@s/x".into(), "1.2.3".into()))
        );
        assert_eq!(
            pnpm_key("/@s/x/1.2.3_peer@1.0.0", true),
            Some(("@s/x".into(), "1.2.3".into()))
        );
        assert_eq!(
            split_specs(r#""@a/b@^1", c@2, "d@npm:e@^3""#),
            vec![r#""@a/b@^1""#, "c@2", r#""d@npm:e@^3""#]
        );
    }

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
