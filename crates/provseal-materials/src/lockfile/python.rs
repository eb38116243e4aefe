//! What the Python lockfile readers share (one file per format beside it: `requirements.rs`,
//! `poetry.rs`, `uv.rs`, `pdm.rs`, `pylock.rs`, `pipfile.rs`). The formats: `requirements*.txt`, `poetry.lock`, `uv.lock`, `Pipfile.lock`, `pdm.lock`
//! and `pylock.toml` (PEP 751).
//!
//! Each lockfile becomes one `ResourceDescriptor` for the file (`name` = its path relative to the
//! source root, `digest.sha256` of its bytes, `annotations.lockfileFormat`) and one per locked
//! package: `uri` = `pkg:pypi/<PEP 503 name>@<version>`, `digest` = the lockfile's hash for the
//! package's sdist, or for its only artifact when it lists exactly one (a lockfile usually allows
//! many wheels, and the file digest already binds all of them), and annotations `lockfile`,
//! `dev`, `optional` (when the format says), `marker`, `url` (direct URL or VCS reference,
//! credentials stripped).
//!
//! Requirements files: `==`/`===` pins, `--hash` options (continuation lines included), `-r` and
//! `-c` includes resolved relative to the including file (cycles detected and reported), markers,
//! `name @ URL`, `-e`/bare VCS URLs (`git+https://…@rev#egg=name` → purl with a `vcs_url`
//! qualifier; without a name the descriptor's `uri` is the URL itself). Anything not pinned
//! exactly is recorded without a version and with its `specifier`.
//!
//! ```
//! use provseal_materials::python_lock::parse_requirements_str;
//! let pkgs = parse_requirements_str("requests==2.32.3 \\\n  --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n").unwrap();
//! assert_eq!(pkgs[0].name, "requests");
//! assert_eq!(pkgs[0].version.as_deref(), Some("2.32.3"));
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use provseal_model::{DigestSet, ResourceDescriptor};
use serde_json::Map;

use super::{IncludedFile, Lockfile, LockfileInput, LockfileReader, Package};
use crate::files::{display_name, read_regular_file, sha256_hex};
use crate::purl::{normalize_pypi_name, package_url_with_qualifiers};
use crate::{MaterialsError, RedactedCause, Warning};

pub use super::requirements::{
    parse_requirements_bytes, parse_requirements_file, parse_requirements_str,
};

/// The Python lockfile formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockFormat {
    /// A pip requirements file.
    Requirements,
    /// `poetry.lock`.
    Poetry,
    /// `uv.lock`.
    Uv,
    /// `Pipfile.lock`.
    Pipfile,
    /// `pdm.lock`.
    Pdm,
    /// `pylock.toml` / `pylock.<name>.toml` (PEP 751).
    Pylock,
}

impl LockFormat {
    /// The format of a file, from its name and its parent directory's name (`requirements/*.txt`).
    pub fn from_file_name(name: &str, parent: &str) -> Option<LockFormat> {
        match name {
            "poetry.lock" => Some(LockFormat::Poetry),
            "uv.lock" => Some(LockFormat::Uv),
            "Pipfile.lock" => Some(LockFormat::Pipfile),
            "pdm.lock" => Some(LockFormat::Pdm),
            "pylock.toml" => Some(LockFormat::Pylock),
            _ if name.starts_with("pylock.") && name.ends_with(".toml") => Some(LockFormat::Pylock),
            _ if name.starts_with("requirements") && name.ends_with(".txt") => {
                Some(LockFormat::Requirements)
            }
            _ if parent == "requirements" && name.ends_with(".txt") => {
                Some(LockFormat::Requirements)
            }
            _ => None,
        }
    }

    /// The stable name recorded in `annotations.lockfileFormat`.
    pub fn as_str(self) -> &'static str {
        match self {
            LockFormat::Requirements => "requirements.txt",
            LockFormat::Poetry => "poetry.lock",
            LockFormat::Uv => "uv.lock",
            LockFormat::Pipfile => "Pipfile.lock",
            LockFormat::Pdm => "pdm.lock",
            LockFormat::Pylock => "pylock.toml",
        }
    }
}

/// One package as a lockfile records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockedPackage {
    /// PEP 503-normalised name (empty for a nameless direct URL).
    pub name: String,
    /// The exact version, when pinned.
    pub version: Option<String>,
    /// The version specifier when not pinned exactly (`>=1.0`).
    pub specifier: Option<String>,
    /// Digest for the descriptor (algorithm → hex), see the module docs.
    pub digest: BTreeMap<String, String>,
    /// Dev-only dependency, when the format says.
    pub dev: Option<bool>,
    /// Only needed for an optional extra, when the format says.
    pub optional: Option<bool>,
    /// Environment marker.
    pub marker: Option<String>,
    /// A direct URL (archive or `git+…` VCS URL), credentials stripped.
    pub url: Option<String>,
    /// Whether `url` is a VCS URL.
    pub vcs: bool,
    /// Installed editable (`-e`).
    pub editable: bool,
    /// From a `-c` constraints file (constrains, does not request, an install).
    pub constraint: bool,
    /// The file that names it (relative display name).
    pub lockfile: String,
}

impl LockedPackage {
    /// The purl of the package (`None` for a nameless direct URL).
    pub fn purl(&self) -> Option<String> {
        if self.name.is_empty() {
            return None;
        }
        let mut q: Vec<(&str, &str)> = Vec::new();
        if let Some(u) = self.url.as_deref() {
            q.push((if self.vcs { "vcs_url" } else { "download_url" }, u));
        }
        Some(package_url_with_qualifiers(
            "pypi",
            None,
            &self.name,
            self.version.as_deref(),
            &q,
        ))
    }

    /// The package as a `ResourceDescriptor`.
    pub fn to_resource_descriptor(&self) -> ResourceDescriptor {
        let mut ann = Map::new();
        ann.insert("lockfile".into(), self.lockfile.clone().into());
        if let Some(d) = self.dev {
            ann.insert("dev".into(), d.into());
        }
        if let Some(o) = self.optional {
            ann.insert("optional".into(), o.into());
        }
        if let Some(m) = &self.marker {
            ann.insert("marker".into(), m.clone().into());
        }
        if let Some(s) = &self.specifier {
            ann.insert("specifier".into(), s.clone().into());
        }
        if let Some(u) = &self.url {
            ann.insert("url".into(), u.clone().into());
        }
        if self.editable {
            ann.insert("editable".into(), true.into());
        }
        if self.constraint {
            ann.insert("constraint".into(), true.into());
        }
        let uri = self.purl().or_else(|| self.url.clone());
        ResourceDescriptor {
            uri,
            digest: self.digest.clone().into_iter().collect::<DigestSet>(),
            annotations: ann,
            ..Default::default()
        }
    }
}

/// A parsed lockfile (with the files a requirements file included).
#[derive(Debug, Clone, Default)]
pub struct ParsedLock {
    /// The lockfile and every file it included: (path, display name, sha256 hex).
    pub files: Vec<(PathBuf, String, String)>,
    /// The packages.
    pub packages: Vec<LockedPackage>,
    /// Non-fatal problems (an include cycle, an unreadable include, a line that is not a
    /// requirement).
    pub warnings: Vec<Warning>,
}

/// One Python lockfile format.
#[derive(Debug, Clone, Copy)]
pub struct PythonReader(pub LockFormat);

impl LockfileReader for PythonReader {
    fn format(&self) -> &'static str {
        self.0.as_str()
    }
    fn claims(&self, file_name: &str, parent: &str) -> bool {
        LockFormat::from_file_name(file_name, parent) == Some(self.0)
    }
    fn parse(&self, i: &LockfileInput<'_>) -> Result<Lockfile, MaterialsError> {
        let parsed = if self.0 == LockFormat::Requirements {
            parse_requirements_bytes(i.root, i.path, i.bytes)?
        } else {
            parse_lockfile_bytes(i.root, i.path, self.0, i.bytes)?
        };
        Ok(parsed.into_lockfile(i.path, i.name, self.0))
    }
    fn empty_is_valid(&self) -> bool {
        self.0 == LockFormat::Requirements
    }
}

impl ParsedLock {
    /// The common lockfile model: each package keeps its annotations (`marker`, `specifier`,
    /// `url`, `editable`, `constraint`) as extra fields; a nameless direct URL is recorded by
    /// its URL.
    pub fn into_lockfile(self, path: &Path, name: &str, format: LockFormat) -> Lockfile {
        let packages = self
            .packages
            .iter()
            .map(|p| {
                let rd = p.to_resource_descriptor();
                let mut extra = rd.annotations.clone();
                for k in ["lockfile", "dev", "optional"] {
                    extra.remove(k);
                }
                Package {
                    purl: rd.uri.clone().unwrap_or_default(),
                    name: p.name.clone(),
                    version: p.version.clone().unwrap_or_default(),
                    digest: p.digest.clone(),
                    dev: p.dev,
                    optional: p.optional,
                    extra,
                }
            })
            .collect();
        Lockfile {
            path: path.to_path_buf(),
            name: name.to_string(),
            kind: format.as_str().to_string(),
            packages,
            graph: None,
            includes: self
                .files
                .into_iter()
                .filter(|(p, _, _)| p != path)
                .map(|(path, name, sha256)| IncludedFile { path, name, sha256 })
                .collect(),
            warnings: self.warnings,
        }
    }
}

/// Parses one lockfile of the given format. Errors name the file.
pub fn parse_lockfile(
    root: &Path,
    path: &Path,
    format: LockFormat,
) -> Result<ParsedLock, MaterialsError> {
    let bytes = read_regular_file(path)?;
    if format == LockFormat::Requirements {
        return parse_requirements_bytes(root, path, &bytes);
    }
    parse_lockfile_bytes(root, path, format, &bytes)
}

/// [`parse_lockfile`] over the bytes already read (a format other than requirements).
fn parse_lockfile_bytes(
    root: &Path,
    path: &Path,
    format: LockFormat,
    bytes: &[u8],
) -> Result<ParsedLock, MaterialsError> {
    let name = display_name(root, path);
    let sha = sha256_hex(bytes);
    let text = super::utf8(bytes, path)?;
    let mut packages = match format {
        LockFormat::Poetry => super::poetry::parse_poetry(text),
        LockFormat::Uv => super::uv::parse_uv(text),
        LockFormat::Pipfile => super::pipfile::parse_pipfile(text),
        LockFormat::Pdm => {
            super::pdm::parse_pdm(text, &super::pdm::read_extras_of_sibling_pyproject(path))
        }
        LockFormat::Pylock => super::pylock::parse_pylock(text),
        LockFormat::Requirements => Ok(Vec::new()),
    }
    .map_err(|fault| fault.into_error(path, text))?;
    for p in &mut packages {
        p.lockfile = name.clone();
    }
    Ok(ParsedLock {
        files: vec![(path.to_path_buf(), name, sha)],
        packages,
        warnings: Vec::new(),
    })
}

// TOML lockfiles: the helpers poetry, uv, pdm and pylock share

/// Parses TOML; the error names the line and column but never quotes the file's text (a
/// lockfile line can hold a URL with a token in it).
pub(super) fn toml_doc(text: &str) -> Result<toml::Table, TomlFault> {
    text.parse::<toml::Table>().map_err(|error| {
        let position = error.span().map(|span| {
            let before = text.get(..span.start).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, column)
        });
        TomlFault::syntax("TOML", TomlSyntax { position, error })
    })
}

/// The TOML parser's error, shown by its position and message only: its own `Display` quotes
/// the offending line, which can hold a URL with a token in it.
#[derive(Debug)]
pub(super) struct TomlSyntax {
    /// 1-based line and column, when the parser gave a span.
    position: Option<(usize, usize)>,
    error: toml::de::Error,
}

impl std::fmt::Display for TomlSyntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some((line, column)) = self.position {
            write!(f, "line {line}, column {column}: ")?;
        }
        f.write_str(self.error.message().trim().trim_end_matches('.'))
    }
}

impl std::error::Error for TomlSyntax {}

pub(super) fn tstr<'a>(t: &'a toml::Table, k: &str) -> Option<&'a str> {
    t.get(k).and_then(toml::Value::as_str)
}

pub(super) fn tarr<'a>(t: &'a toml::Table, k: &str) -> &'a [toml::Value] {
    t.get(k)
        .and_then(toml::Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub(super) fn packages_array<'a>(
    doc: &'a toml::Table,
    key: &str,
) -> Result<Vec<&'a toml::Table>, TomlFault> {
    let Some(v) = doc.get(key) else {
        return Ok(Vec::new());
    };
    let arr = v
        .as_array()
        .ok_or_else(|| TomlFault::at(&[key], "not an array of tables"))?;
    arr.iter()
        .enumerate()
        .map(|(i, p)| {
            p.as_table().ok_or_else(|| TomlFault {
                at: vec![TomlKey::Name(key.into()), TomlKey::Index(i)],
                reason: "not a table".into(),
                syntax: None,
            })
        })
        .collect()
}

pub(super) fn required_name(t: &toml::Table, key: &str, i: usize) -> Result<String, TomlFault> {
    let at = |reason: &str| TomlFault {
        at: vec![
            TomlKey::Name(key.into()),
            TomlKey::Index(i),
            TomlKey::Name("name".into()),
        ],
        reason: reason.into(),
        syntax: None,
    };
    match t.get("name") {
        None => Err(TomlFault {
            reason: "no `name`".into(),
            ..at("")
        }
        .without_last()),
        Some(toml::Value::String(n)) if !n.is_empty() => Ok(normalize_pypi_name(n)),
        Some(toml::Value::String(_)) => Err(at("empty name")),
        Some(other) => Err(at(&format!(
            "invalid type: {}, expected a string",
            other.type_str()
        ))),
    }
}

/// One step of a key path in a TOML document.
#[derive(Debug, Clone)]
pub(super) enum TomlKey {
    Name(String),
    Index(usize),
}

/// A semantic error in a TOML lockfile: where (a key path, located to its line and column
/// afterwards) and why. A fault with an empty path is about the whole file.
#[derive(Debug)]
pub(super) struct TomlFault {
    pub(super) at: Vec<TomlKey>,
    /// No underlying cause: what the value holds against what the format asks for.
    pub(super) reason: String,
    /// The parser's error, when the file does not parse at all (then `at` is empty), with
    /// what it was read as (`TOML`, `JSON`).
    pub(super) syntax: Option<(&'static str, RedactedCause)>,
}

impl TomlFault {
    /// The file does not parse as `format`: the parser's error.
    pub(super) fn syntax(
        format: &'static str,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        TomlFault {
            at: Vec::new(),
            reason: Default::default(),
            syntax: Some((format, RedactedCause::new(error))),
        }
    }

    pub(super) fn at(keys: &[&str], reason: impl Into<String>) -> Self {
        TomlFault {
            at: keys.iter().map(|k| TomlKey::Name((*k).into())).collect(),
            reason: reason.into(),
            syntax: None,
        }
    }

    pub(super) fn without_last(mut self) -> Self {
        self.at.pop();
        self
    }

    /// The error naming the file, the key path, and its line and column.
    pub(super) fn into_error(self, path: &Path, text: &str) -> MaterialsError {
        if let Some((format, source)) = self.syntax {
            return MaterialsError::Unparsable {
                path: path.to_path_buf(),
                format,
                source,
            };
        }
        if self.at.is_empty() {
            return super::parse_error(path, self.reason);
        }
        let field = self.at.iter().fold(String::new(), |mut f, k| {
            match k {
                TomlKey::Name(n) if f.is_empty() => f.push_str(n),
                TomlKey::Name(n) => {
                    f.push('.');
                    f.push_str(n);
                }
                TomlKey::Index(i) => f.push_str(&format!("[{i}]")),
            }
            f
        });
        let (line, column) = match toml_position(text, &self.at) {
            Some((l, c)) => (Some(l), Some(c)),
            None => (None, None),
        };
        MaterialsError::Malformed {
            path: path.to_path_buf(),
            line,
            column,
            field,
            reason: self.reason,
        }
    }
}

impl From<String> for TomlFault {
    fn from(why: String) -> Self {
        TomlFault {
            at: Vec::new(),
            reason: why,
            syntax: None,
        }
    }
}

impl From<&str> for TomlFault {
    fn from(reason: &str) -> Self {
        reason.to_string().into()
    }
}

/// The 1-based line and column of the key (or array element) at `keys` in a TOML document,
/// from the spans the TOML parser keeps.
pub(super) fn toml_position(text: &str, keys: &[TomlKey]) -> Option<(usize, usize)> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut value: Option<&DeValue<'_>> = None;
    let mut span = doc.span();
    for k in keys {
        match (k, value) {
            (TomlKey::Name(n), None | Some(DeValue::Table(_))) => {
                if let Some(DeValue::Table(t)) = value {
                    table = t;
                }
                let (key, v) = table.iter().find(|(key, _)| key.get_ref() == n)?;
                span = key.span();
                value = Some(v.get_ref());
            }
            (TomlKey::Index(i), Some(DeValue::Array(a))) => {
                let v = a.get(*i)?;
                span = v.span();
                value = Some(v.get_ref());
            }
            _ => return None,
        }
    }
    Some(crate::files::line_col(text, span.start))
}

pub(super) fn is_sdist_name(file: &str) -> bool {
    !file.ends_with(".whl")
}

/// `hash = "sha256:…"` → (alg, hex).
pub(super) fn split_hash(h: &str) -> Option<(String, String)> {
    let (alg, hex) = h.split_once(':')?;
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((alg.to_ascii_lowercase(), hex.to_ascii_lowercase()))
}

/// The digest rule: the sdist's hash, else the only artifact's hash.
pub(super) fn pick_digest(artifacts: &[(bool, (String, String))]) -> BTreeMap<String, String> {
    let chosen = artifacts.iter().find(|(sdist, _)| *sdist).or_else(|| {
        if artifacts.len() == 1 {
            artifacts.first()
        } else {
            None
        }
    });
    chosen
        .map(|(_, (a, h))| [(a.clone(), h.clone())].into_iter().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::pdm::parse_pdm;
    use super::super::pipfile::parse_pipfile;
    use super::super::poetry::parse_poetry;
    use super::super::pylock::parse_pylock;
    use super::super::uv::parse_uv;
    use super::*;

    fn one(line: &str) -> LockedPackage {
        let v = parse_requirements_str(line).unwrap();
        assert_eq!(v.len(), 1, "{line}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn requirement_lines() {
        let p = one("Foo_Bar[x,y] == 1.0.post1 ; python_version >= '3.8' --hash=sha256:AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12");
        assert_eq!(p.name, "foo-bar");
        assert_eq!(p.version.as_deref(), Some("1.0.post1"));
        assert_eq!(p.marker.as_deref(), Some("python_version >= '3.8'"));
        assert_eq!(
            p.digest.get("sha256").map(String::as_str),
            Some("ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12")
        );
        assert_eq!(p.purl().as_deref(), Some("pkg:pypi/foo-bar@1.0.post1"));

        let p = one("requests>=2,<3  # comment");
        assert_eq!(p.version, None);
        assert_eq!(p.specifier.as_deref(), Some(">=2,<3"));

        let p = one("x==1.0 \\\n    --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \\\n    --hash=sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n");
        assert!(p.digest.is_empty());

        let hex = "CAFE".repeat(16);
        let p = one(&format!(
            "pkg @ https://tok:pw@example.com/pkg-1.0.tar.gz#sha256={hex}"
        ));
        assert_eq!(p.url.as_deref(), Some("https://example.com/pkg-1.0.tar.gz"));
        assert_eq!(p.digest.get("sha256"), Some(&hex.to_ascii_lowercase()));
        assert!(!p.vcs);

        let p = one("-e git+https://ghp_x@github.com/o/r.git@v1.2#egg=My_Pkg");
        assert!(p.editable && p.vcs);
        assert_eq!(p.name, "my-pkg");
        assert_eq!(
            p.url.as_deref(),
            Some("git+https://github.com/o/r.git@v1.2")
        );
        assert_eq!(
            p.purl().as_deref(),
            Some("pkg:pypi/my-pkg?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fo%2Fr.git%40v1.2")
        );

        let p = one("git+https://github.com/o/r@abc123");
        assert_eq!(p.name, "");
        assert_eq!(p.purl(), None);
        assert_eq!(
            p.to_resource_descriptor().uri.as_deref(),
            Some("git+https://github.com/o/r@abc123")
        );

        let p = one("name===weird.1");
        assert_eq!(p.version.as_deref(), Some("weird.1"));
        let p = one("name==1.*");
        assert_eq!(p.version, None);

        assert!(
            parse_requirements_str("--index-url https://x/simple\n--require-hashes\n\n# c\n")
                .unwrap()
                .is_empty()
        );
        assert!(parse_requirements_str("!!! not a req").is_err());
        assert!(parse_requirements_str("a[x==1").is_err());
    }

    #[test]
    fn formats_from_names() {
        assert_eq!(
            LockFormat::from_file_name("requirements-dev.txt", ""),
            Some(LockFormat::Requirements)
        );
        assert_eq!(
            LockFormat::from_file_name("dev.txt", "requirements"),
            Some(LockFormat::Requirements)
        );
        assert_eq!(LockFormat::from_file_name("notes.txt", ""), None);
        assert_eq!(
            LockFormat::from_file_name("pylock.prod.toml", ""),
            Some(LockFormat::Pylock)
        );
        assert_eq!(LockFormat::from_file_name("Pipfile", ""), None);
    }

    #[test]
    fn toml_errors_do_not_quote_the_file() {
        let text = "[metadata]\nx = 1\n[[package]]\nname = \"https://tok@h/\nv = 2\n";
        let quoted = text.parse::<toml::Table>().unwrap_err().to_string();
        assert!(
            quoted.contains("tok"),
            "the parser's own message quotes the line: {quoted}"
        );
        let e = parse_poetry(text)
            .unwrap_err()
            .into_error(Path::new("poetry.lock"), text);
        let shown = provseal_model::one_line(&e);
        assert!(
            shown.starts_with("cannot parse `poetry.lock` as TOML: line 4, column"),
            "{shown}"
        );
        assert!(!shown.contains("tok"), "{shown}");
        assert!(!format!("{e:?}").contains("tok"), "{e:?}");
    }

    #[test]
    fn truncated_toml_is_an_error() {
        assert!(parse_uv("version = 1\n[[package]]\nname = \"a").is_err());
        assert!(parse_poetry("[[package]]\nname = \"a\"\n").is_err());
        assert!(parse_pdm("", &BTreeSet::new()).is_err());
        assert!(parse_pylock("[[packages]]\nversion = \"1\"\n").is_err());
        assert!(parse_pipfile("{\"_meta\": {}, \"default\": {\"a\": 1}}").is_err());
        assert!(parse_pipfile("{\"_meta\": {").is_err());
    }
}
