//! The package model shared by the lockfile collectors ([`crate::node`], [`crate::cargo`],
//! [`crate::golang`]) and the CycloneDX 1.6 JSON SBOM writer ([`cyclonedx_json`]).
//!
//! Each lockfile parser returns a [`Lockfile`]: the packages it pins (one per purl, with the
//! digests the lockfile records and whether each is a dev/optional dependency) and, for formats
//! that record one (`package-lock.json` v2/v3, `pnpm-lock.yaml`, `yarn.lock`, `Cargo.lock`), the
//! [`DependencyGraph`].
//! [`file_descriptor`] and [`Lockfile::package_descriptors`] turn it into in-toto
//! `ResourceDescriptor`s: one for the lockfile itself (`name` = path relative to the source
//! root, `digest.sha256`) and one per package
//! (`uri` = purl, `digest` from the lockfile, `annotations` =
//! `{"lockfile": <path>, "dev": bool, "optional": bool, …}`; `dev`/`optional` are left out where
//! the format does not record them).
//!
//! ```
//! use provseal_materials::sbom::{cyclonedx_json, SbomMetadata};
//! use provseal_model::{DigestSet, ResourceDescriptor};
//!
//! let rd = ResourceDescriptor {
//!     uri: Some("pkg:npm/%40scope/name@1.0.0".to_string()),
//!     digest: DigestSet::from_iter([("sha256", "ab".repeat(32))]),
//!     ..ResourceDescriptor::default()
//! };
//! let meta = SbomMetadata {
//!     component_name: "my-app".into(),
//!     component_version: Some("1.2.3".into()),
//!     tool_name: "provseal".into(),
//!     tool_version: "0.1.0".into(),
//!     timestamp: "2026-01-01T00:00:00Z".into(),
//!     serial_number: None,
//! };
//! let json = cyclonedx_json(&[rd], None, &meta).unwrap();
//! let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
//! assert_eq!(v["specVersion"], "1.6");
//! assert_eq!(v["components"][0]["name"], "name");
//! assert_eq!(v["components"][0]["group"], "@scope");
//! ```
//!
//! SBOM mapping decisions: every material with a `pkg:` purl becomes a `library` component whose
//! `bom-ref` is its purl (the same purl from several lockfiles is one component, hashes merged);
//! a lockfile file descriptor becomes a `file` component; other materials (git source, environment
//! variables) are not components. `scope` is `excluded` for a dev dependency, `optional` for an
//! optional one, `required` when the lockfile says it is neither, and absent when unknown. In
//! the dependency graph, the project itself and its local members (npm workspaces, Cargo
//! workspace and path members) are folded into one root node: `metadata.component`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use provseal_model::{DigestSet, ResourceDescriptor};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::discover::{display_name, find_lockfiles, read_regular_file, sha256_hex};
use crate::{MaterialsError, Warning};

/// The graph node that stands for the project itself (and its local workspace members).
pub const ROOT_REF: &str = "provseal:root";

/// One pinned package of a lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Its purl (`pkg:npm/%40scope/name@1.0.0`, `pkg:cargo/serde@1.0.200`, …).
    pub purl: String,
    /// The ecosystem's own name of the package (`@scope/name`, `serde`, `golang.org/x/text`).
    pub name: String,
    /// The pinned version.
    pub version: String,
    /// Digests recorded by the lockfile (`sha512`, `sha256`, `sha1`, `dirHash`), lowercase hex.
    pub digest: BTreeMap<String, String>,
    /// Whether it is only a development dependency (`None`: the format does not say).
    pub dev: Option<bool>,
    /// Whether it is an optional dependency (`None`: the format does not say).
    pub optional: Option<bool>,
    /// Further annotations (`source`, `resolved`, `indirect`, …).
    pub extra: Map<String, Value>,
}

/// Edges between packages: bom-ref (a purl, or [`ROOT_REF`]) → the refs it depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DependencyGraph {
    /// `from` → `{to, …}`.
    pub edges: BTreeMap<String, BTreeSet<String>>,
}

impl DependencyGraph {
    /// Records that `from` depends on `to` (a self-edge is ignored).
    pub fn add_edge(&mut self, from: &str, to: &str) {
        let set = self.edges.entry(from.to_string()).or_default();
        if from != to {
            set.insert(to.to_string());
        }
    }

    /// Adds a node without edges (if not present).
    pub fn add_node(&mut self, node: &str) {
        self.edges.entry(node.to_string()).or_default();
    }

    /// Every node reachable from `roots` (the roots included).
    pub fn reachable(&self, roots: &[String]) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = roots.iter().map(String::as_str).collect();
        while let Some(n) = stack.pop() {
            if !seen.insert(n.to_string()) {
                continue;
            }
            if let Some(next) = self.edges.get(n) {
                stack.extend(next.iter().map(String::as_str));
            }
        }
        seen
    }

    /// Merges another graph into this one.
    pub fn merge(&mut self, other: &DependencyGraph) {
        for (from, tos) in &other.edges {
            let set = self.edges.entry(from.clone()).or_default();
            set.extend(tos.iter().cloned());
        }
    }
}

/// A parsed lockfile.
#[derive(Debug, Clone)]
pub struct Lockfile {
    /// The file as found or named.
    pub path: PathBuf,
    /// The path relative to the source root, `/`-separated (the path as given when outside it).
    pub name: String,
    /// Which format (`package-lock.json v3`, `yarn.lock v1`, `Cargo.lock v4`, `go.sum`, …).
    pub kind: String,
    /// The packages, one per purl, sorted by purl.
    pub packages: Vec<Package>,
    /// The dependency graph, for formats that record one.
    pub graph: Option<DependencyGraph>,
}

impl Lockfile {
    /// A lockfile from packages in any order, possibly repeated (the same package at several
    /// places of a `node_modules` tree): one entry per purl remains, digests merged, and it is a
    /// dev (optional) dependency only if every occurrence is.
    pub fn new(
        path: &Path,
        name: String,
        kind: String,
        packages: Vec<Package>,
        graph: Option<DependencyGraph>,
    ) -> Self {
        let mut by_purl: BTreeMap<String, Package> = BTreeMap::new();
        for p in packages {
            match by_purl.get_mut(&p.purl) {
                None => {
                    by_purl.insert(p.purl.clone(), p);
                }
                Some(q) => {
                    for (k, v) in p.digest {
                        q.digest.entry(k).or_insert(v);
                    }
                    q.dev = and_flags(q.dev, p.dev);
                    q.optional = and_flags(q.optional, p.optional);
                    for (k, v) in p.extra {
                        q.extra.entry(k).or_insert(v);
                    }
                }
            }
        }
        Lockfile {
            path: path.to_path_buf(),
            name,
            kind,
            packages: by_purl.into_values().collect(),
            graph,
        }
    }

    /// The descriptors of the packages (not of the lockfile itself: see [`file_descriptor`]).
    pub fn package_descriptors(&self) -> Vec<ResourceDescriptor> {
        self.packages
            .iter()
            .map(|p| {
                let mut ann = Map::new();
                ann.insert("lockfile".into(), Value::String(self.name.clone()));
                if let Some(d) = p.dev {
                    ann.insert("dev".into(), Value::Bool(d));
                }
                if let Some(o) = p.optional {
                    ann.insert("optional".into(), Value::Bool(o));
                }
                for (k, v) in &p.extra {
                    ann.insert(k.clone(), v.clone());
                }
                ResourceDescriptor {
                    uri: Some(p.purl.clone()),
                    digest: DigestSet::from(p.digest.clone()),
                    annotations: ann,
                    ..ResourceDescriptor::default()
                }
            })
            .collect()
    }
}

fn and_flags(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x && y),
        (x, None) => x,
        (None, y) => y,
    }
}

/// The descriptor of a lockfile itself: `name`, `digest.sha256` of its bytes, and the
/// `lockfileFormat` annotation (as the Python collector writes it).
pub fn file_descriptor(name: &str, sha256_hex: &str, format: &str) -> ResourceDescriptor {
    let mut rd = ResourceDescriptor {
        name: Some(name.to_string()),
        digest: DigestSet::from_iter([("sha256", sha256_hex)]),
        ..ResourceDescriptor::default()
    };
    rd.annotations
        .insert("lockfileFormat".into(), Value::String(format.to_string()));
    rd
}

/// A lockfile parser over the file's bytes: `(path, recorded name, bytes)`.
pub(crate) type ParseFn = dyn Fn(&Path, &str, &[u8]) -> Result<Lockfile, MaterialsError>;

/// The shared collection loop: find (or take the named) lockfiles, read each once (bounded by
/// [`crate::discover::MAX_LOCKFILE_SIZE`]), record the file by digest and parse it. A lockfile
/// that cannot be parsed still yields its file descriptor and a `lockfile-unparsable` warning;
/// one that is not a regular file yields `lockfile-not-a-file`.
pub(crate) fn collect_lockfiles(
    ctx: &crate::CollectContext,
    wanted: &dyn Fn(&str) -> bool,
    hidden_npm_lock: bool,
    parse: &ParseFn,
) -> crate::Collected {
    let (paths, mut warnings) = discover(ctx, wanted, hidden_npm_lock);
    let mut materials = Vec::new();
    for path in paths {
        let name = display_name(&ctx.root, &path);
        let bytes = match read_regular_file(&path) {
            Ok(b) => b,
            Err(e) => {
                let code = if path.exists() && !path.is_file() {
                    "lockfile-not-a-file"
                } else {
                    "lockfile-unreadable"
                };
                warnings.push(Warning {
                    code: code.into(),
                    subject: name,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let sha = sha256_hex(&bytes);
        match parse(&path, &name, &bytes) {
            Ok(lock) => {
                materials.push(file_descriptor(&name, &sha, &lock.kind));
                materials.extend(lock.package_descriptors());
            }
            Err(e) => {
                let format = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                materials.push(file_descriptor(&name, &sha, &format));
                warnings.push(Warning {
                    code: "lockfile-unparsable".into(),
                    subject: name,
                    message: e.to_string(),
                });
            }
        }
    }
    crate::Collected {
        materials,
        warnings,
    }
}

/// Lockfiles found under the root (with [`crate::discover::find_lockfiles`], which skips
/// `node_modules`, `.venv`, `target`, … and never follows directory links) plus those named in
/// the context whose file name matches. With `hidden_npm_lock`, the installed
/// `node_modules/.package-lock.json` beside each `package.json` found is included.
pub(crate) fn discover(
    ctx: &crate::CollectContext,
    wanted: &dyn Fn(&str) -> bool,
    hidden_npm_lock: bool,
) -> (Vec<PathBuf>, Vec<Warning>) {
    let (found, warnings) = if ctx.root.as_os_str().is_empty() {
        (Vec::new(), Vec::new())
    } else {
        find_lockfiles(&ctx.root, &|n, _| {
            wanted(n) || (hidden_npm_lock && n == "package.json")
        })
    };
    let mut paths = Vec::new();
    for p in found {
        if p.file_name().and_then(|n| n.to_str()).is_some_and(wanted) {
            paths.push(p);
        } else if let Some(dir) = p.parent() {
            // a package.json: is there an installed tree beside it?
            let hidden = dir.join("node_modules").join(".package-lock.json");
            if hidden.is_file() {
                paths.push(hidden);
            }
        }
    }
    for named in &ctx.lockfiles {
        let path = if named.is_absolute() {
            named.clone()
        } else {
            ctx.root.join(named)
        };
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let hidden = hidden_npm_lock
            && file_name == ".package-lock.json"
            && path
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n == "node_modules");
        if (wanted(file_name) || hidden) && !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths.sort();
    (paths, warnings)
}

/// Bytes as UTF-8 text, or a parse error naming `path`.
pub(crate) fn utf8<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, MaterialsError> {
    std::str::from_utf8(bytes).map_err(|e| parse_error(path, format!("not UTF-8: {e}")))
}

/// A [`MaterialsError::Parse`] naming `path`.
pub(crate) fn parse_error(path: &Path, reason: impl Into<String>) -> MaterialsError {
    MaterialsError::Parse {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Parses an SRI string (`sha512-<base64> sha1-<base64>`, as in npm `integrity`) into DigestSet
/// entries (`sha512`, `sha384`, `sha256`, `sha1`, lowercase hex). Unknown algorithms and
/// undecodable values are skipped.
pub fn sri_to_digests(sri: &str) -> BTreeMap<String, String> {
    use base64::Engine as _;
    let mut out = BTreeMap::new();
    for token in sri.split_whitespace() {
        let Some((alg, rest)) = token.split_once('-') else {
            continue;
        };
        let b64 = rest.split('?').next().unwrap_or_default();
        let (name, len) = match alg.to_ascii_lowercase().as_str() {
            "sha512" => ("sha512", 64),
            "sha384" => ("sha384", 48),
            "sha256" => ("sha256", 32),
            "sha1" => ("sha1", 20),
            _ => continue,
        };
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
            if bytes.len() == len {
                out.entry(name.to_string()).or_insert(hex::encode(bytes));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// CycloneDX 1.6 JSON
// ---------------------------------------------------------------------------------------------

/// What the SBOM says about itself and the project it describes.
#[derive(Debug, Clone)]
pub struct SbomMetadata {
    /// The project (`metadata.component.name`).
    pub component_name: String,
    /// The project's version, if known.
    pub component_version: Option<String>,
    /// The tool that wrote the SBOM (`provseal`).
    pub tool_name: String,
    /// Its version.
    pub tool_version: String,
    /// RFC 3339 UTC time of the snapshot (`2026-01-01T00:00:00Z`).
    pub timestamp: String,
    /// `urn:uuid:…` serial number; `None` derives a name-based (v5) UUID from the SBOM content,
    /// so the same snapshot gives the same serial number.
    pub serial_number: Option<String>,
}

#[derive(Serialize)]
struct Bom<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber")]
    serial_number: String,
    version: u32,
    metadata: BomMetadata<'a>,
    components: Vec<Component>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct BomMetadata<'a> {
    timestamp: &'a str,
    tools: Tools<'a>,
    component: RootComponent<'a>,
}

#[derive(Serialize)]
struct Tools<'a> {
    components: Vec<ToolComponent<'a>>,
}

#[derive(Serialize)]
struct ToolComponent<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct RootComponent<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
}

#[derive(Serialize, Clone)]
struct Component {
    #[serde(rename = "type")]
    type_: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Property {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct Dependency {
    #[serde(rename = "ref")]
    ref_: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

/// The CycloneDX name of a DigestSet algorithm, and the hex length the schema allows.
fn cdx_alg(alg: &str) -> Option<&'static str> {
    Some(match alg {
        "md5" => "MD5",
        "sha1" => "SHA-1",
        "sha256" => "SHA-256",
        "sha384" => "SHA-384",
        "sha512" => "SHA-512",
        "sha3_256" => "SHA3-256",
        "sha3_384" => "SHA3-384",
        "sha3_512" => "SHA3-512",
        _ => return None,
    })
}

fn is_hex_len_ok(s: &str) -> bool {
    matches!(s.len(), 32 | 40 | 64 | 96 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A decoded purl: type, namespace, name, version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlParts {
    /// `npm`, `cargo`, `golang`, `pypi`, …
    pub ptype: String,
    /// The decoded namespace (`@scope`, `github.com/org`), if any.
    pub namespace: Option<String>,
    /// The decoded name.
    pub name: String,
    /// The decoded version, if any.
    pub version: Option<String>,
}

/// Splits a purl (`pkg:type/namespace/name@version?qualifiers#subpath`) into its decoded parts.
/// `None` when it is not a purl.
pub fn parse_purl(purl: &str) -> Option<PurlParts> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split('#').next().unwrap_or_default();
    let rest = rest.split('?').next().unwrap_or_default();
    let (ptype, path) = rest.trim_start_matches('/').split_once('/')?;
    let (path, version) = match path.rfind('@') {
        Some(i) => (
            path.get(..i).unwrap_or_default(),
            Some(percent_decode(path.get(i + 1..).unwrap_or_default())),
        ),
        None => (path, None),
    };
    let path = path.trim_end_matches('/');
    let (namespace, name) = match path.rfind('/') {
        Some(i) => (
            Some(
                path.get(..i)
                    .unwrap_or_default()
                    .split('/')
                    .map(percent_decode)
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
            percent_decode(path.get(i + 1..).unwrap_or_default()),
        ),
        None => (None, percent_decode(path)),
    };
    if ptype.is_empty() || name.is_empty() {
        return None;
    }
    Some(PurlParts {
        ptype: ptype.to_ascii_lowercase(),
        namespace,
        name,
        version,
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn digest_hashes(rd: &ResourceDescriptor) -> Vec<Hash> {
    let mut out = Vec::new();
    {
        for (alg, value) in rd.digest.iter() {
            if let Some(cdx) = cdx_alg(alg) {
                let v = value.to_ascii_lowercase();
                if is_hex_len_ok(&v) {
                    out.push(Hash {
                        alg: cdx,
                        content: v,
                    });
                }
            }
        }
    }
    out
}

fn annotation<'a>(rd: &'a ResourceDescriptor, key: &str) -> Option<&'a Value> {
    rd.annotations.get(key)
}

/// Writes a CycloneDX 1.6 JSON SBOM of `materials` (see the module docs for the mapping), with
/// the `dependencies` section from `graph` when given (edges whose ends are not components are
/// left out). The output is deterministic for the same input.
pub fn cyclonedx_json(
    materials: &[ResourceDescriptor],
    graph: Option<&DependencyGraph>,
    metadata: &SbomMetadata,
) -> Result<Vec<u8>, MaterialsError> {
    // Components keyed by bom-ref, merged.
    let mut comps: BTreeMap<String, Component> = BTreeMap::new();
    let mut scopes: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for rd in materials {
        let hashes = digest_hashes(rd);
        if let Some(parts) = rd.uri.as_deref().and_then(parse_purl) {
            let Some(purl) = rd.uri.clone() else {
                continue;
            };
            let dev = annotation(rd, "dev").and_then(Value::as_bool);
            let optional = annotation(rd, "optional").and_then(Value::as_bool);
            let scope = match (dev, optional) {
                (Some(true), _) => Some("excluded"),
                (_, Some(true)) => Some("optional"),
                (Some(false), _) | (_, Some(false)) => Some("required"),
                _ => None,
            };
            if let Some(s) = scope {
                scopes.entry(purl.clone()).or_default().insert(s);
            }
            let mut props = Vec::new();
            if let Some(Value::String(l)) = annotation(rd, "lockfile") {
                props.push(Property {
                    name: "provseal:lockfile".into(),
                    value: l.clone(),
                });
            }
            if let Some(dh) = rd.digest.get("dirHash") {
                props.push(Property {
                    name: "provseal:dirHash".into(),
                    value: dh.to_string(),
                });
            }
            let group = parts
                .namespace
                .clone()
                .filter(|_| !matches!(parts.ptype.as_str(), "golang"));
            let name = if parts.ptype == "golang" {
                match &parts.namespace {
                    Some(ns) => format!("{ns}/{}", parts.name),
                    None => parts.name.clone(),
                }
            } else {
                parts.name.clone()
            };
            let entry = comps.entry(purl.clone()).or_insert_with(|| Component {
                type_: "library",
                bom_ref: purl.clone(),
                group,
                name,
                version: parts.version.clone(),
                scope: None,
                hashes: Vec::new(),
                purl: Some(purl.clone()),
                properties: Vec::new(),
            });
            merge_hashes(&mut entry.hashes, hashes);
            for p in props {
                if !entry.properties.contains(&p) {
                    entry.properties.push(p);
                }
            }
        } else if rd.uri.is_none() {
            let Some(name) = rd.name.clone() else {
                continue;
            };
            if hashes.is_empty() {
                continue;
            }
            let bom_ref = format!("file:{name}");
            let entry = comps.entry(bom_ref.clone()).or_insert_with(|| Component {
                type_: "file",
                bom_ref,
                group: None,
                name,
                version: None,
                scope: None,
                hashes: Vec::new(),
                purl: None,
                properties: Vec::new(),
            });
            merge_hashes(&mut entry.hashes, hashes);
        }
    }
    for (purl, set) in scopes {
        if let Some(c) = comps.get_mut(&purl) {
            // Required anywhere wins over optional, which wins over excluded (dev).
            c.scope = if set.contains("required") {
                Some("required")
            } else if set.contains("optional") {
                Some("optional")
            } else {
                Some("excluded")
            };
        }
    }
    for c in comps.values_mut() {
        c.hashes.sort();
        c.properties.sort();
    }
    let mut dependencies = Vec::new();
    if let Some(g) = graph {
        let known = |r: &str| r == ROOT_REF || comps.contains_key(r);
        for (from, tos) in &g.edges {
            if !known(from) {
                continue;
            }
            let depends_on: Vec<String> = tos.iter().filter(|t| known(t)).cloned().collect();
            dependencies.push(Dependency {
                ref_: from.clone(),
                depends_on,
            });
        }
    }
    let mut bom = Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: String::new(),
        version: 1,
        metadata: BomMetadata {
            timestamp: &metadata.timestamp,
            tools: Tools {
                components: vec![ToolComponent {
                    type_: "application",
                    name: &metadata.tool_name,
                    version: &metadata.tool_version,
                }],
            },
            component: RootComponent {
                type_: "application",
                bom_ref: ROOT_REF,
                name: &metadata.component_name,
                version: metadata.component_version.as_deref(),
            },
        },
        components: comps.into_values().collect(),
        dependencies,
    };
    let serial = match &metadata.serial_number {
        Some(s) => s.clone(),
        None => {
            let body = serde_json::to_vec(&bom).map_err(|e| MaterialsError::Parse {
                path: PathBuf::from("<sbom>"),
                reason: e.to_string(),
            })?;
            format!(
                "urn:uuid:{}",
                uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, &body)
            )
        }
    };
    bom.serial_number = serial;
    let mut out = serde_json::to_vec_pretty(&bom).map_err(|e| MaterialsError::Parse {
        path: PathBuf::from("<sbom>"),
        reason: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(out)
}

fn merge_hashes(into: &mut Vec<Hash>, new: Vec<Hash>) {
    for h in new {
        if !into.iter().any(|x| x.alg == h.alg) {
            into.push(h);
        }
    }
}

/// Parses every lockfile with a graph (`package-lock.json` v2/v3, `pnpm-lock.yaml`, `yarn.lock`,
/// `Cargo.lock`) found under
/// the context's root or named in it, and merges their graphs (for [`cyclonedx_json`]).
/// Unparsable files become warnings, as in the collectors.
pub fn dependency_graph(ctx: &crate::CollectContext) -> (DependencyGraph, Vec<Warning>) {
    let mut graph = DependencyGraph::default();
    let mut warnings = Vec::new();
    let is_package_lock = |n: &str| crate::node::LOCKFILE_NAMES.contains(&n);
    let is_cargo_lock = |n: &str| n == "Cargo.lock";
    let sources: [&dyn Fn(&str) -> bool; 2] = [&is_package_lock, &is_cargo_lock];
    for (i, wanted) in sources.into_iter().enumerate() {
        let hidden = i == 0;
        let (paths, w) = discover(ctx, wanted, hidden);
        warnings.extend(w);
        for path in paths {
            let name = display_name(&ctx.root, &path);
            let parsed = read_regular_file(&path).and_then(|bytes| {
                if path.file_name().is_some_and(|n| n == "Cargo.lock") {
                    crate::cargo::parse_cargo_lock_bytes(&path, &name, &bytes)
                } else {
                    crate::node::parse_lockfile_bytes(&path, &name, &bytes)
                }
            });
            match parsed {
                Ok(lock) => {
                    if let Some(g) = &lock.graph {
                        graph.merge(g);
                    }
                }
                Err(e) => warnings.push(Warning {
                    code: "lockfile-unparsable".into(),
                    subject: name,
                    message: e.to_string(),
                }),
            }
        }
    }
    (graph, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_decodes_to_hex() {
        let d = sri_to_digests(
            "sha512-t09vSN3MdfsyCHoFcTRCH/iUtG7OJ0CsjzB8cjAmKc/va/kIgeDI/TxsigdncE/4be734m0cvIYwNaV4i2XqAw== sha1-PHycRuZ4/u/nouW7YJ09vWZf+z8=",
        );
        assert_eq!(
            d.get("sha512").map(String::as_str),
            Some("b74f6f48ddcc75fb32087a057134421ff894b46ece2740ac8f307c72302629cfef6bf90881e0c8fd3c6c8a0767704ff86deef7e26d1cbc863035a5788b65ea03")
        );
        assert_eq!(
            d.get("sha1").map(String::as_str),
            Some("3c7c9c46e678feefe7a2e5bb609d3dbd665ffb3f")
        );
        assert!(sri_to_digests("md5-xxx sha512-notbase64!").is_empty());
    }

    #[test]
    fn purls_are_split_and_decoded() {
        let p = parse_purl("pkg:npm/%40scope/name@1.0.0?x=1#sub").unwrap();
        assert_eq!(p.ptype, "npm");
        assert_eq!(p.namespace.as_deref(), Some("@scope"));
        assert_eq!(p.name, "name");
        assert_eq!(p.version.as_deref(), Some("1.0.0"));
        let g = parse_purl("pkg:golang/github.com/pkg/errors@v0.9.1").unwrap();
        assert_eq!(g.namespace.as_deref(), Some("github.com/pkg"));
        assert_eq!(g.name, "errors");
        assert_eq!(parse_purl("git+https://x/y"), None);
        assert_eq!(parse_purl("pkg:"), None);
    }
}
