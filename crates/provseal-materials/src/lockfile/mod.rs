//! One lockfile model and one extension point.
//!
//! A [`LockfileReader`] claims a file by its name (and its parent directory's name) and parses
//! its bytes into a [`Lockfile`]: the packages it pins (one per purl, with the digests the
//! lockfile records and whether each is a dev/optional dependency) and, for formats that record
//! one, the [`DependencyGraph`]. Every reader is listed once in [`REGISTRY`]; the snapshot walks
//! the work tree once ([`crate::discover`]) and hands each claimed file to its reader. A new
//! format is one new file in this directory plus one line in [`REGISTRY`] (`bun.rs` is the
//! example).
//!
//! [`file_descriptor`] and [`Lockfile::package_descriptors`] turn a parsed lockfile into in-toto
//! `ResourceDescriptor`s: one for the lockfile itself (`name` = path relative to the source root,
//! `digest.sha256`, annotation `lockfileFormat`) and one per package (`uri` = purl, `digest`
//! from the lockfile, `annotations` = `{"lockfile": <path>, "dev": bool, "optional": bool, …}`;
//! `dev`/`optional` are left out where the format does not record them).
//!
//! ```
//! use provseal_materials::lockfile::{reader_for, LockfileInput};
//! let reader = reader_for("Cargo.lock", "").unwrap();
//! let bytes = b"version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n";
//! let path = std::path::Path::new("Cargo.lock");
//! let lock = reader.parse(&LockfileInput { root: std::path::Path::new("."), path, name: "Cargo.lock", bytes }).unwrap();
//! assert_eq!(lock.kind, "Cargo.lock v4");
//! assert!(lock.packages.is_empty()); // the workspace member is the project itself
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use provseal_model::vocab::annotation;
use provseal_model::{DigestSet, ResourceDescriptor};
use serde_json::{Map, Value};

use crate::git::redact_urls;
use crate::RedactedCause;
use crate::{MaterialsError, Warning};

pub mod bun;
pub mod cargo;
pub mod golang;
pub mod node;
pub mod package_lock;
mod pdm;
mod pipfile;
pub mod pnpm;
mod poetry;
mod pylock;
pub mod python;
mod requirements;
mod uv;
pub mod yarn;
mod yarn_berry;

/// Reads one lockfile format.
pub trait LockfileReader: Sync {
    /// The stable name of the format (`package-lock.json`, `bun.lock`, `uv.lock`, …).
    fn format(&self) -> &'static str;
    /// Whether this reader reads a file of this name in a directory of that name (`""` when the
    /// directory name is unknown).
    fn claims(&self, file_name: &str, parent: &str) -> bool;
    /// Parses the file. Malformed input is an error naming the file, the line and column where
    /// known, and the field.
    fn parse(&self, input: &LockfileInput<'_>) -> Result<Lockfile, MaterialsError>;
    /// Whether an empty file is a valid lockfile of this format (a requirements file, a `go.sum`
    /// of a module without dependencies); for every other format it is a truncated file.
    fn empty_is_valid(&self) -> bool {
        false
    }
}

/// Parses with `reader`, the one way every lockfile is read: an empty file of a format that
/// cannot be empty is an error, and credentials are stripped from every URL — in every
/// package's annotations and in error messages — before anything is recorded or reported.
pub fn read(
    reader: &dyn LockfileReader,
    input: &LockfileInput<'_>,
) -> Result<Lockfile, MaterialsError> {
    if !reader.empty_is_valid() && input.bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(MaterialsError::Malformed {
            path: input.path.to_path_buf(),
            line: Some(1),
            column: Some(1),
            field: reader.format().into(),
            reason: "the file is empty".into(),
        });
    }
    let mut lock = reader.parse(input).map_err(redact_error)?;
    for p in &mut lock.packages {
        p.purl = redact_urls(&p.purl);
        for v in p.extra.values_mut() {
            if let Value::String(s) = v {
                if s.contains("://") {
                    *s = redact_urls(s);
                }
            }
        }
    }
    for w in &mut lock.warnings {
        w.message = redact_urls(&w.message);
    }
    Ok(lock)
}

fn redact_error(mut e: MaterialsError) -> MaterialsError {
    match &mut e {
        MaterialsError::Malformed { field, reason, .. } => {
            *field = redact_urls(field);
            *reason = redact_urls(reason);
        }
        MaterialsError::Parse { reason, .. } => *reason = redact_urls(reason),
        // The parser's error redacts itself ([`RedactedCause`]); the field is a JSON path,
        // whose keys can be URLs.
        MaterialsError::Syntax { field, .. } => *field = redact_urls(field),
        _ => {}
    }
    e
}

/// The 1-based line and column of the first occurrence of `needle` in `text` (for errors about
/// a value found after deserialising, where the parser's position is gone).
pub fn position_of(text: &str, needle: &str) -> (Option<usize>, Option<usize>) {
    match text.find(needle) {
        Some(off) => {
            let (l, c) = crate::files::line_col(text, off);
            (Some(l), Some(c))
        }
        None => (None, None),
    }
}

/// Deserialises JSON strictly; an error names the line, column and JSON path of the field.
pub(crate) fn from_json_slice<T: serde::de::DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> Result<T, MaterialsError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| json_error(path, e.path().to_string(), e.into_inner()))?;
    de.end().map_err(|e| json_error(path, ".".into(), e))?;
    Ok(value)
}

/// A serde error with its JSON path, as a [`MaterialsError::Syntax`] at its line and column.
fn json_error(path: &Path, field: String, inner: serde_json::Error) -> MaterialsError {
    let (line, column) = (inner.line(), inner.column());
    MaterialsError::Syntax {
        path: path.to_path_buf(),
        line: (line > 0).then_some(line),
        column: (column > 0).then_some(column),
        field: if field == "." {
            "(document)".into()
        } else {
            field
        },
        source: RedactedCause::without_position(inner),
    }
}

/// A parser's error for the whole file, as [`MaterialsError::Unparsable`].
pub(crate) fn unparsable(
    path: &Path,
    format: &'static str,
    error: impl std::error::Error + Send + Sync + 'static,
) -> MaterialsError {
    MaterialsError::Unparsable {
        path: path.to_path_buf(),
        format,
        source: RedactedCause::new(error),
    }
}

/// What a reader gets: the file, already read once (bounded by
/// [`crate::files::MAX_LOCKFILE_SIZE`]).
#[derive(Debug, Clone, Copy)]
pub struct LockfileInput<'a> {
    /// The source root (for names of files a lockfile includes, and the containment check).
    pub root: &'a Path,
    /// The file.
    pub path: &'a Path,
    /// The name it is recorded under (relative to `root`, `/`-separated).
    pub name: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// Every lockfile reader, in the order their materials are recorded.
pub static REGISTRY: &[&dyn LockfileReader] = &[
    &python::PythonReader(python::LockFormat::Requirements),
    &python::PythonReader(python::LockFormat::Poetry),
    &python::PythonReader(python::LockFormat::Uv),
    &python::PythonReader(python::LockFormat::Pipfile),
    &python::PythonReader(python::LockFormat::Pdm),
    &python::PythonReader(python::LockFormat::Pylock),
    &package_lock::PackageLockReader,
    &yarn::YarnReader,
    &pnpm::PnpmReader,
    &bun::BunReader,
    &cargo::CargoReader,
    &golang::GoSumReader,
    &golang::GoModReader,
];

/// The reader that claims a file of this name in a directory of that name.
pub fn reader_for(file_name: &str, parent: &str) -> Option<&'static dyn LockfileReader> {
    REGISTRY
        .iter()
        .copied()
        .find(|r| r.claims(file_name, parent))
}

/// A file a lockfile pulled in (a requirements file's `-r`/`-c` include).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedFile {
    /// The file.
    pub path: PathBuf,
    /// Its recorded name.
    pub name: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

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
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
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

    /// `true` when the graph has no node.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
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
    /// Files the lockfile included (recorded by digest beside it).
    pub includes: Vec<IncludedFile>,
    /// What the format itself makes optional and the file left out.
    pub warnings: Vec<Warning>,
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
            includes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The descriptors of the packages (not of the lockfile itself: see [`file_descriptor`]).
    pub fn package_descriptors(&self) -> Vec<ResourceDescriptor> {
        self.packages
            .iter()
            .map(|p| {
                let mut ann = Map::new();
                ann.insert(
                    annotation::LOCKFILE.into(),
                    Value::String(self.name.clone()),
                );
                if let Some(d) = p.dev {
                    ann.insert(annotation::DEV.into(), Value::Bool(d));
                }
                if let Some(o) = p.optional {
                    ann.insert(annotation::OPTIONAL.into(), Value::Bool(o));
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
    rd.annotations.insert(
        annotation::LOCKFILE_FORMAT.into(),
        Value::String(format.to_string()),
    );
    rd
}

/// Bytes as UTF-8 text, or a parse error naming `path`.
pub(crate) fn utf8<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, MaterialsError> {
    std::str::from_utf8(bytes).map_err(|e| unparsable(path, "UTF-8", e))
}

/// A [`MaterialsError::Parse`] naming `path`.
pub(crate) fn parse_error(path: &Path, reason: impl Into<String>) -> MaterialsError {
    MaterialsError::Parse {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Parses an SRI string strictly: every token must be `<alg>-<base64>` of a known algorithm
/// (`sha512`, `sha384`, `sha256`, `sha1`) with a digest of that algorithm's length.
pub fn sri_digests_strict(sri: &str) -> Result<BTreeMap<String, String>, String> {
    let d = sri_to_digests(sri);
    if d.is_empty() || d.len() != sri.split_whitespace().count() {
        return Err("not a Subresource Integrity value (`sha512-<base64>`)".into());
    }
    Ok(d)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reader_claims_its_own_name_only() {
        for r in REGISTRY {
            let claimed: Vec<_> = REGISTRY
                .iter()
                .filter(|o| o.claims(r.format(), ""))
                .map(|o| o.format())
                .collect();
            assert_eq!(claimed, [r.format()], "{}", r.format());
        }
        assert!(reader_for("README.md", "").is_none());
        assert_eq!(
            reader_for(".package-lock.json", "node_modules").map(|r| r.format()),
            Some("package-lock.json")
        );
        assert_eq!(
            reader_for("dev.txt", "requirements").map(|r| r.format()),
            Some("requirements.txt")
        );
    }

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
}
