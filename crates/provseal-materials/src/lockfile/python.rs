//! Python lockfiles: `requirements*.txt`, `poetry.lock`, `uv.lock`, `Pipfile.lock`, `pdm.lock`
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

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use provseal_model::{DigestSet, ResourceDescriptor};
use serde_json::{Map, Value};

use super::{IncludedFile, Lockfile, LockfileInput, LockfileReader, Package};
use crate::files::{display_name, read_regular_file, sha256_hex};
use crate::git::strip_credentials;
use crate::purl::{normalize_pypi_name, package_url_with_qualifiers};
use crate::{IncludeRefusal, MaterialsError, Warning};

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
    let text =
        std::str::from_utf8(bytes).map_err(|e| parse_err(path, format!("not UTF-8: {e}")))?;
    let mut packages = match format {
        LockFormat::Poetry => parse_poetry(text),
        LockFormat::Uv => parse_uv(text),
        LockFormat::Pipfile => parse_pipfile(text).map_err(TomlFault::from),
        LockFormat::Pdm => parse_pdm(text, &read_extras_of_sibling_pyproject(path)),
        LockFormat::Pylock => parse_pylock(text),
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

fn parse_err(path: &Path, reason: String) -> MaterialsError {
    MaterialsError::Parse {
        path: path.to_path_buf(),
        reason,
    }
}

// ---------------------------------------------------------------------------------------------
// requirements.txt

/// Maximum include depth of `-r`/`-c` chains.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Parses a requirements file and everything it includes with `-r`/`-c`.
pub fn parse_requirements_file(root: &Path, path: &Path) -> Result<ParsedLock, MaterialsError> {
    parse_requirements_bytes(root, path, &read_regular_file(path)?)
}

/// [`parse_requirements_file`] over the top file's bytes, already read.
pub fn parse_requirements_bytes(
    root: &Path,
    path: &Path,
    bytes: &[u8],
) -> Result<ParsedLock, MaterialsError> {
    let mut parsed = ParsedLock::default();
    let mut stack = Vec::new();
    let root_canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let req = ReqWalk {
        root,
        root_canonical: &root_canonical,
    };
    req.file(path, bytes, false, &mut stack, &mut parsed)?;
    // The same pin reached through two files is one requirement (pip merges them).
    let mut seen = BTreeSet::new();
    parsed.packages.retain(|p| {
        seen.insert((
            p.name.clone(),
            p.version.clone(),
            p.specifier.clone(),
            p.url.clone(),
            p.constraint,
        ))
    });
    Ok(parsed)
}

struct ReqWalk<'a> {
    root: &'a Path,
    root_canonical: &'a Path,
}

impl ReqWalk<'_> {
    /// Resolves an include named on `line` of `from`: it must stay inside the work tree and be a
    /// regular file (never `/proc`, a device or a FIFO), and is then read.
    fn include(
        &self,
        from: &Path,
        line: usize,
        target: &str,
    ) -> Result<(PathBuf, Vec<u8>), MaterialsError> {
        let refuse = |reason: IncludeRefusal| MaterialsError::IncludeRefused {
            file: display_name(self.root, from),
            line,
            target: strip_credentials(target),
            reason,
        };
        let base = from.parent().unwrap_or(Path::new("."));
        let joined = crate::files::lexical_normalize(&base.join(target));
        let canonical =
            std::fs::canonicalize(&joined).map_err(|_| refuse(IncludeRefusal::Missing))?;
        if !canonical.starts_with(self.root_canonical) {
            return Err(refuse(IncludeRefusal::OutsideWorkTree));
        }
        let meta = std::fs::metadata(&canonical).map_err(|_| refuse(IncludeRefusal::Missing))?;
        if !meta.is_file() {
            return Err(refuse(IncludeRefusal::NotARegularFile));
        }
        let bytes = read_regular_file(&joined)?;
        Ok((joined, bytes))
    }

    fn file(
        &self,
        path: &Path,
        bytes: &[u8],
        constraint: bool,
        stack: &mut Vec<PathBuf>,
        parsed: &mut ParsedLock,
    ) -> Result<(), MaterialsError> {
        let root = self.root;
        let name = display_name(root, path);
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if stack.contains(&canonical) {
            parsed.warnings.push(Warning {
                code: "requirements-include-cycle".into(),
                subject: name,
                message: format!(
                    "include cycle: {} → {}",
                    stack
                        .iter()
                        .map(|p| display_name(root, p))
                        .collect::<Vec<_>>()
                        .join(" → "),
                    display_name(root, path)
                ),
            });
            return Ok(());
        }
        if stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(MaterialsError::Malformed {
                path: path.to_path_buf(),
                line: None,
                column: None,
                field: "-r".into(),
                reason: format!("includes nested deeper than {MAX_INCLUDE_DEPTH}"),
            });
        }
        let text =
            std::str::from_utf8(bytes).map_err(|e| parse_err(path, format!("not UTF-8: {e}")))?;
        if !parsed.files.iter().any(|(p, _, _)| p == path) {
            parsed
                .files
                .push((path.to_path_buf(), name.clone(), sha256_hex(bytes)));
        }
        stack.push(canonical);
        for (lineno, line) in logical_lines(text) {
            match parse_req_line(&line) {
                ReqLine::Empty => {}
                ReqLine::Include {
                    file,
                    constraint: c,
                } => {
                    if file.contains("://") {
                        parsed.warnings.push(Warning {
                            code: "requirements-remote-include".into(),
                            subject: format!("{name}:{lineno}"),
                            message: format!(
                                "remote include `{}` not followed",
                                strip_credentials(&file)
                            ),
                        });
                        continue;
                    }
                    let (inc, inc_bytes) = self.include(path, lineno, &file)?;
                    self.file(&inc, &inc_bytes, constraint || c, stack, parsed)?;
                }
                ReqLine::Package(mut p) => {
                    p.lockfile = name.clone();
                    p.constraint = constraint;
                    parsed.packages.push(*p);
                }
                ReqLine::Invalid(reason) => {
                    return Err(MaterialsError::malformed(
                        path,
                        lineno,
                        "requirement",
                        reason,
                    ))
                }
                ReqLine::InvalidHash(reason) => {
                    return Err(MaterialsError::malformed(path, lineno, "--hash", reason))
                }
            }
        }
        stack.pop();
        Ok(())
    }
}

/// Parses requirements text (no includes are followed; `-r`/`-c` lines are ignored).
pub fn parse_requirements_str(text: &str) -> Result<Vec<LockedPackage>, String> {
    let mut out = Vec::new();
    for (lineno, line) in logical_lines(text) {
        match parse_req_line(&line) {
            ReqLine::Package(p) => out.push(*p),
            ReqLine::Invalid(r) | ReqLine::InvalidHash(r) => {
                return Err(format!("line {lineno}: {r}"))
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Joins backslash continuations and strips comments; yields (first line number, text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if cur.is_empty() {
            start = i + 1;
        }
        let line = strip_comment(raw);
        if let Some(body) = line.strip_suffix('\\') {
            cur.push_str(body);
            cur.push(' ');
            continue;
        }
        cur.push_str(line);
        let l = cur.trim().to_string();
        if !l.is_empty() {
            out.push((start, l));
        }
        cur.clear();
    }
    let l = cur.trim().to_string();
    if !l.is_empty() {
        out.push((start, l));
    }
    out
}

/// pip's comment rule: `#` at the start or after whitespace begins a comment.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes.get(i - 1).is_some_and(|c| c.is_ascii_whitespace())) {
            return line.get(..i).unwrap_or("").trim_end();
        }
    }
    line.trim_end()
}

enum ReqLine {
    Empty,
    Include {
        file: String,
        constraint: bool,
    },
    Package(Box<LockedPackage>),
    Invalid(String),
    /// A `--hash` option pip would reject.
    InvalidHash(String),
}

/// Options that take a value as the next token.
const VALUE_OPTIONS: &[&str] = &[
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "--no-binary",
    "--only-binary",
    "--use-feature",
    "--global-option",
    "--config-settings",
];

/// A `--hash` value pip accepts: an algorithm it knows and a hex digest of that length.
fn valid_pip_hash(h: &str) -> bool {
    let Some((alg, hex)) = h.split_once(':') else {
        return false;
    };
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

fn parse_req_line(line: &str) -> ReqLine {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let Some(first) = tokens.first() else {
        return ReqLine::Empty;
    };
    // Includes.
    for (flag, constraint) in [
        ("-r", false),
        ("--requirement", false),
        ("-c", true),
        ("--constraint", true),
    ] {
        if *first == flag {
            return match tokens.get(1) {
                Some(f) => ReqLine::Include {
                    file: (*f).to_string(),
                    constraint,
                },
                None => ReqLine::Invalid(format!("`{flag}` without a file")),
            };
        }
        if let Some(f) = first.strip_prefix(&format!("{flag}=")) {
            return ReqLine::Include {
                file: f.to_string(),
                constraint,
            };
        }
        if flag.len() == 2 && first.len() > 2 && first.starts_with(flag) {
            if let Some(f) = first.get(2..) {
                return ReqLine::Include {
                    file: f.to_string(),
                    constraint,
                };
            }
        }
    }
    // Editable.
    if *first == "-e" || *first == "--editable" || first.starts_with("--editable=") {
        let target = if let Some(v) = first.strip_prefix("--editable=") {
            Some(v)
        } else {
            tokens.get(1).copied()
        };
        return match target {
            Some(t) => match url_requirement(t, None) {
                Ok(mut p) => {
                    p.editable = true;
                    ReqLine::Package(Box::new(p))
                }
                Err(e) => ReqLine::Invalid(e),
            },
            None => ReqLine::Invalid("`-e` without a target".into()),
        };
    }
    if first.starts_with('-') {
        // A global option line (`--index-url`, `--find-links`, `--require-hashes`, …).
        return ReqLine::Empty;
    }
    // pip: the requirement is every token before the first one that starts with `-`.
    let split = tokens
        .iter()
        .position(|t| t.starts_with('-'))
        .unwrap_or(tokens.len());
    let req = tokens.get(..split).unwrap_or(&[]).join(" ");
    let opts = tokens.get(split..).unwrap_or(&[]);
    let mut hashes = Vec::new();
    let mut i = 0;
    while let Some(o) = opts.get(i) {
        if let Some(h) = o.strip_prefix("--hash=") {
            hashes.push(h.to_string());
        } else if *o == "--hash" {
            if let Some(h) = opts.get(i + 1) {
                hashes.push((*h).to_string());
            }
            i += 1;
        } else if VALUE_OPTIONS.contains(o) {
            i += 1;
        }
        i += 1;
    }
    let mut pkg = match parse_pep508(&req) {
        Ok(p) => p,
        Err(e) => return ReqLine::Invalid(e),
    };
    for h in &hashes {
        if !valid_pip_hash(h) {
            return ReqLine::InvalidHash(format!(
                "`{}` is not `sha256:<hex>`, `sha384:<hex>` or `sha512:<hex>`",
                shorten(h)
            ));
        }
    }
    if hashes.len() == 1 {
        if let Some((alg, hex)) = hashes.first().and_then(|h| h.split_once(':')) {
            pkg.digest
                .insert(alg.to_ascii_lowercase(), hex.to_ascii_lowercase());
        }
    }
    ReqLine::Package(Box::new(pkg))
}

/// A bare URL requirement (`git+https://…@rev#egg=name`, an archive URL, a local path). A hash
/// fragment (`#sha256=<hex>`) that is not hex of its algorithm's length is an error.
fn url_requirement(target: &str, name: Option<&str>) -> Result<LockedPackage, String> {
    let (url, fragment) = match target.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (target, None),
    };
    let egg = fragment.and_then(|f| {
        f.split('&')
            .find_map(|kv| kv.strip_prefix("egg="))
            .map(|e| e.split('[').next().unwrap_or(e).to_string())
    });
    let name = name.map(str::to_string).or(egg).unwrap_or_default();
    let vcs = ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .any(|p| url.starts_with(p));
    let mut digest = BTreeMap::new();
    if let Some(f) = fragment {
        for kv in f.split('&') {
            if let Some((alg, hex)) = kv.split_once('=') {
                if matches!(alg, "sha256" | "sha384" | "sha512") {
                    if !valid_pip_hash(&format!("{alg}:{hex}")) {
                        return Err(format!(
                            "the URL fragment `#{alg}={}` is not {alg} hex",
                            shorten(hex)
                        ));
                    }
                    digest.insert(alg.to_string(), hex.to_ascii_lowercase());
                }
            }
        }
    }
    Ok(LockedPackage {
        name: normalize_pypi_name(&name),
        url: Some(strip_credentials(url)),
        vcs,
        digest,
        ..Default::default()
    })
}

/// Parses a PEP 508 requirement (`name[extras] spec ; marker` or `name @ url ; marker`), or a
/// bare URL.
fn parse_pep508(req: &str) -> Result<LockedPackage, String> {
    let req = req.trim();
    let (body, marker) = match req.split_once(';') {
        // A `;` inside a URL is rare; PEP 508 requires whitespace before `;` after a URL.
        Some((b, m)) => (b.trim(), Some(m.trim().to_string())),
        None => (req, None),
    };
    if looks_like_url(body) {
        let mut p = url_requirement(body, None)?;
        p.marker = marker;
        return Ok(p);
    }
    if body.starts_with('.') || body.starts_with('/') {
        let mut p = url_requirement(body, None)?;
        p.marker = marker;
        return Ok(p);
    }
    let name_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(body.len());
    let name = body.get(..name_end).unwrap_or("");
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("not a requirement: `{}`", shorten(body)));
    }
    let mut rest = body.get(name_end..).unwrap_or("").trim_start();
    if rest.starts_with('[') {
        let close = rest
            .find(']')
            .ok_or_else(|| format!("unclosed extras in `{}`", shorten(body)))?;
        rest = rest.get(close + 1..).unwrap_or("").trim_start();
    }
    if let Some(url) = rest.strip_prefix('@') {
        let mut p = url_requirement(url.trim(), Some(name))?;
        p.marker = marker;
        return Ok(p);
    }
    let spec = rest
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let spec_compact: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let (version, specifier) = if let Some(v) = spec_compact.strip_prefix("===") {
        (Some(v.to_string()), None)
    } else if let Some(v) = spec_compact.strip_prefix("==") {
        if v.is_empty() || v.contains(',') || v.contains('*') {
            (None, Some(spec_compact.clone()))
        } else {
            (Some(v.to_string()), None)
        }
    } else if spec_compact.is_empty() {
        (None, None)
    } else {
        (None, Some(spec_compact.clone()))
    };
    if let Some(s) = &specifier {
        // PEP 440: every clause is one of these operators followed by a version.
        const OPS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];
        let valid = s.split(',').all(|clause| {
            OPS.iter().any(|o| {
                clause
                    .strip_prefix(o)
                    .is_some_and(|v| !v.is_empty() && !v.starts_with(['=', '<', '>', '!', '~']))
            })
        });
        if !valid {
            return Err(format!("invalid version specifier in `{}`", shorten(body)));
        }
    }
    Ok(LockedPackage {
        name: normalize_pypi_name(name),
        version,
        specifier,
        marker,
        ..Default::default()
    })
}

fn looks_like_url(s: &str) -> bool {
    [
        "git+", "hg+", "svn+", "bzr+", "http://", "https://", "file:",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

/// Credentials are stripped first, then the text is shortened (a cut URL would no longer be
/// recognised as one, and its token would survive).
fn shorten(s: &str) -> String {
    let stripped = strip_credentials(s);
    let mut out: String = stripped.chars().take(80).collect();
    if stripped.chars().count() > 80 {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// TOML lockfiles

/// Parses TOML; the error names the line and column but never quotes the file's text (a
/// lockfile line can hold a URL with a token in it).
fn toml_doc(text: &str) -> Result<toml::Table, String> {
    text.parse::<toml::Table>().map_err(|e| {
        let msg = e.message().trim().trim_end_matches('.').to_string();
        match e.span() {
            Some(span) => {
                let before = text.get(..span.start).unwrap_or("");
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!("TOML error at line {line}, column {col}: {msg}")
            }
            None => format!("TOML error: {msg}"),
        }
    })
}

fn tstr<'a>(t: &'a toml::Table, k: &str) -> Option<&'a str> {
    t.get(k).and_then(toml::Value::as_str)
}

fn tarr<'a>(t: &'a toml::Table, k: &str) -> &'a [toml::Value] {
    t.get(k)
        .and_then(toml::Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn packages_array<'a>(doc: &'a toml::Table, key: &str) -> Result<Vec<&'a toml::Table>, TomlFault> {
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
            })
        })
        .collect()
}

fn required_name(t: &toml::Table, key: &str, i: usize) -> Result<String, TomlFault> {
    let at = |reason: &str| TomlFault {
        at: vec![
            TomlKey::Name(key.into()),
            TomlKey::Index(i),
            TomlKey::Name("name".into()),
        ],
        reason: reason.into(),
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
enum TomlKey {
    Name(String),
    Index(usize),
}

/// A semantic error in a TOML lockfile: where (a key path, located to its line and column
/// afterwards) and why. A fault with an empty path is about the whole file.
#[derive(Debug)]
struct TomlFault {
    at: Vec<TomlKey>,
    reason: String,
}

impl TomlFault {
    fn at(keys: &[&str], reason: impl Into<String>) -> Self {
        TomlFault {
            at: keys.iter().map(|k| TomlKey::Name((*k).into())).collect(),
            reason: reason.into(),
        }
    }

    fn without_last(mut self) -> Self {
        self.at.pop();
        self
    }

    /// The error naming the file, the key path, and its line and column.
    fn into_error(self, path: &Path, text: &str) -> MaterialsError {
        if self.at.is_empty() {
            return parse_err(path, self.reason);
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
    fn from(reason: String) -> Self {
        TomlFault {
            at: Vec::new(),
            reason,
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
fn toml_position(text: &str, keys: &[TomlKey]) -> Option<(usize, usize)> {
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

fn is_sdist_name(file: &str) -> bool {
    !file.ends_with(".whl")
}

/// `hash = "sha256:…"` → (alg, hex).
fn split_hash(h: &str) -> Option<(String, String)> {
    let (alg, hex) = h.split_once(':')?;
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((alg.to_ascii_lowercase(), hex.to_ascii_lowercase()))
}

/// The digest rule: the sdist's hash, else the only artifact's hash.
fn pick_digest(artifacts: &[(bool, (String, String))]) -> BTreeMap<String, String> {
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

fn parse_poetry(text: &str) -> Result<Vec<LockedPackage>, TomlFault> {
    let doc = toml_doc(text)?;
    if doc.get("metadata").is_none() {
        return Err("no `[metadata]` table (not a poetry.lock, or truncated)".into());
    }
    let mut out = Vec::new();
    for (i, p) in packages_array(&doc, "package")?.into_iter().enumerate() {
        let name = required_name(p, "package", i)?;
        let version = tstr(p, "version").map(str::to_string);
        let artifacts: Vec<_> = tarr(p, "files")
            .iter()
            .filter_map(|f| {
                let f = f.as_table()?;
                let file = tstr(f, "file").unwrap_or("");
                Some((is_sdist_name(file), split_hash(tstr(f, "hash")?)?))
            })
            .collect();
        let groups: Vec<&str> = tarr(p, "groups")
            .iter()
            .filter_map(|g| g.as_str())
            .collect();
        let dev = if !groups.is_empty() {
            Some(!groups.contains(&"main"))
        } else {
            tstr(p, "category").map(|c| c == "dev")
        };
        let optional = p.get("optional").and_then(toml::Value::as_bool);
        let (url, vcs) = match p.get("source").and_then(toml::Value::as_table) {
            Some(s) => match tstr(s, "type") {
                Some("git") => {
                    let u = tstr(s, "url").unwrap_or("");
                    let rev = tstr(s, "resolved_reference")
                        .or_else(|| tstr(s, "reference"))
                        .unwrap_or("");
                    (Some(strip_credentials(&format!("git+{u}@{rev}"))), true)
                }
                Some("url") | Some("file") | Some("directory") => {
                    (tstr(s, "url").map(strip_credentials), false)
                }
                _ => (None, false),
            },
            None => (None, false),
        };
        out.push(LockedPackage {
            name,
            version,
            digest: pick_digest(&artifacts),
            dev,
            optional,
            marker: tstr(p, "markers").map(str::to_string),
            url,
            vcs,
            ..Default::default()
        });
    }
    Ok(out)
}

fn parse_uv(text: &str) -> Result<Vec<LockedPackage>, TomlFault> {
    let doc = toml_doc(text)?;
    match doc.get("version").and_then(toml::Value::as_integer) {
        None => return Err("no lock `version` (not a uv.lock, or truncated)".into()),
        Some(1) => {}
        Some(v) => {
            return Err(TomlFault::at(
                &["version"],
                format!("unknown version {v} (known: 1)"),
            ))
        }
    }
    let pkgs = packages_array(&doc, "package")?;
    struct Node<'a> {
        name: String,
        version: Option<String>,
        table: &'a toml::Table,
        member: bool,
    }
    let mut nodes = Vec::new();
    for (i, p) in pkgs.iter().enumerate() {
        let name = required_name(p, "package", i)?;
        let source = p.get("source").and_then(toml::Value::as_table);
        let member =
            source.is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual"));
        nodes.push(Node {
            name,
            version: tstr(p, "version").map(str::to_string),
            table: p,
            member,
        });
    }
    // Reachability from the workspace members: main, optional (extras), dev (groups).
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Kind {
        Main = 0,
        Optional = 1,
        Dev = 2,
    }
    let find = |dep: &toml::Table| -> Vec<usize> {
        let Some(n) = tstr(dep, "name").map(normalize_pypi_name) else {
            return Vec::new();
        };
        let v = tstr(dep, "version");
        nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.name == n && (v.is_none() || node.version.as_deref() == v))
            .map(|(i, _)| i)
            .collect()
    };
    let mut best: Vec<Option<Kind>> = vec![None; nodes.len()];
    let mut queue: Vec<(usize, Kind, Vec<String>)> = Vec::new();
    let push_deps =
        |table: &toml::Table, kind: Kind, queue: &mut Vec<(usize, Kind, Vec<String>)>| {
            for d in tarr(table, "dependencies") {
                if let Some(d) = d.as_table() {
                    let extras: Vec<String> = tarr(d, "extra")
                        .iter()
                        .filter_map(|e| e.as_str().map(str::to_string))
                        .collect();
                    for i in find(d) {
                        queue.push((i, kind, extras.clone()));
                    }
                }
            }
        };
    for node in nodes.iter().filter(|n| n.member) {
        push_deps(node.table, Kind::Main, &mut queue);
        for (key, kind) in [
            ("optional-dependencies", Kind::Optional),
            ("dev-dependencies", Kind::Dev),
        ] {
            if let Some(t) = node.table.get(key).and_then(toml::Value::as_table) {
                for deps in t.values().filter_map(toml::Value::as_array) {
                    for d in deps.iter().filter_map(toml::Value::as_table) {
                        let extras: Vec<String> = tarr(d, "extra")
                            .iter()
                            .filter_map(|e| e.as_str().map(str::to_string))
                            .collect();
                        for i in find(d) {
                            queue.push((i, kind, extras.clone()));
                        }
                    }
                }
            }
        }
    }
    let mut visited: BTreeSet<(usize, Kind, Vec<String>)> = BTreeSet::new();
    while let Some((i, kind, extras)) = queue.pop() {
        if !visited.insert((i, kind, extras.clone())) {
            continue;
        }
        let Some(node) = nodes.get(i) else { continue };
        if let Some(slot) = best.get_mut(i) {
            if slot.is_none_or(|k| kind < k) {
                *slot = Some(kind);
            }
        }
        push_deps(node.table, kind, &mut queue);
        if let Some(t) = node
            .table
            .get("optional-dependencies")
            .and_then(toml::Value::as_table)
        {
            for e in &extras {
                for d in tarr(t, e).iter().filter_map(toml::Value::as_table) {
                    let sub: Vec<String> = tarr(d, "extra")
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect();
                    for j in find(d) {
                        queue.push((j, kind, sub.clone()));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        if node.member {
            continue;
        }
        let p = node.table;
        let mut artifacts = Vec::new();
        if let Some(h) = p
            .get("sdist")
            .and_then(toml::Value::as_table)
            .and_then(|s| tstr(s, "hash"))
            .and_then(split_hash)
        {
            artifacts.push((true, h));
        }
        for w in tarr(p, "wheels").iter().filter_map(toml::Value::as_table) {
            if let Some(h) = tstr(w, "hash").and_then(split_hash) {
                artifacts.push((false, h));
            }
        }
        let source = p.get("source").and_then(toml::Value::as_table);
        let (url, vcs) = match source {
            Some(s) if s.contains_key("git") => (
                tstr(s, "git").map(|g| strip_credentials(&format!("git+{g}"))),
                true,
            ),
            Some(s) if s.contains_key("url") => (tstr(s, "url").map(strip_credentials), false),
            Some(s) if s.contains_key("path") || s.contains_key("directory") => (
                tstr(s, "path")
                    .or_else(|| tstr(s, "directory"))
                    .map(str::to_string),
                false,
            ),
            _ => (None, false),
        };
        let kind = best.get(i).copied().flatten();
        out.push(LockedPackage {
            name: node.name.clone(),
            version: node.version.clone(),
            digest: pick_digest(&artifacts),
            dev: kind.map(|k| k == Kind::Dev),
            optional: kind.map(|k| k == Kind::Optional),
            url,
            vcs,
            ..Default::default()
        });
    }
    Ok(out)
}

fn parse_pdm(text: &str, extras: &BTreeSet<String>) -> Result<Vec<LockedPackage>, TomlFault> {
    let doc = toml_doc(text)?;
    if doc.get("metadata").is_none() {
        return Err("no `[metadata]` table (not a pdm.lock, or truncated)".into());
    }
    let mut out = Vec::new();
    for (i, p) in packages_array(&doc, "package")?.into_iter().enumerate() {
        let name = required_name(p, "package", i)?;
        let artifacts: Vec<_> = tarr(p, "files")
            .iter()
            .filter_map(|f| {
                let f = f.as_table()?;
                let file = tstr(f, "file").or_else(|| tstr(f, "url")).unwrap_or("");
                Some((is_sdist_name(file), split_hash(tstr(f, "hash")?)?))
            })
            .collect();
        let groups: Vec<String> = tarr(p, "groups")
            .iter()
            .filter_map(|g| g.as_str().map(normalize_pypi_name))
            .collect();
        let (dev, optional) = if groups.is_empty() {
            (None, None)
        } else if groups.iter().any(|g| g == "default") {
            (Some(false), Some(false))
        } else if groups.iter().any(|g| extras.contains(g)) {
            (Some(false), Some(true))
        } else {
            (Some(true), Some(false))
        };
        let (url, vcs) = if let Some(g) = tstr(p, "git") {
            let rev = tstr(p, "revision").or_else(|| tstr(p, "ref")).unwrap_or("");
            (Some(strip_credentials(&format!("git+{g}@{rev}"))), true)
        } else {
            (
                tstr(p, "url")
                    .map(strip_credentials)
                    .or_else(|| tstr(p, "path").map(str::to_string)),
                false,
            )
        };
        out.push(LockedPackage {
            name,
            version: tstr(p, "version").map(str::to_string),
            digest: pick_digest(&artifacts),
            dev,
            optional,
            marker: tstr(p, "marker").map(str::to_string),
            url,
            vcs,
            editable: p
                .get("editable")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false),
            ..Default::default()
        });
    }
    Ok(out)
}

/// The extras (`[project.optional-dependencies]` keys, normalised) of the `pyproject.toml`
/// beside a lockfile; empty when there is none.
fn read_extras_of_sibling_pyproject(lockfile: &Path) -> BTreeSet<String> {
    let Some(dir) = lockfile.parent() else {
        return BTreeSet::new();
    };
    let Ok(bytes) = read_regular_file(&dir.join("pyproject.toml")) else {
        return BTreeSet::new();
    };
    let Ok(doc) = String::from_utf8_lossy(&bytes).parse::<toml::Table>() else {
        return BTreeSet::new();
    };
    doc.get("project")
        .and_then(toml::Value::as_table)
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(toml::Value::as_table)
        .map(|t| t.keys().map(|k| normalize_pypi_name(k)).collect())
        .unwrap_or_default()
}

fn parse_pylock(text: &str) -> Result<Vec<LockedPackage>, TomlFault> {
    let doc = toml_doc(text)?;
    if tstr(&doc, "lock-version").is_none() {
        return Err("no `lock-version` (not a PEP 751 pylock.toml, or truncated)".into());
    }
    let mut out = Vec::new();
    for (i, p) in packages_array(&doc, "packages")?.into_iter().enumerate() {
        let name = required_name(p, "packages", i)?;
        let hashes_of = |t: &toml::Table| -> Option<(String, String)> {
            let h = t.get("hashes")?.as_table()?;
            // Prefer sha256; else the first algorithm listed.
            let (alg, hex) = h.get_key_value("sha256").or_else(|| h.iter().next())?;
            let hex = hex.as_str()?;
            if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            Some((alg.to_ascii_lowercase(), hex.to_ascii_lowercase()))
        };
        let mut artifacts = Vec::new();
        if let Some(h) = p
            .get("sdist")
            .and_then(toml::Value::as_table)
            .and_then(hashes_of)
        {
            artifacts.push((true, h));
        }
        if let Some(h) = p
            .get("archive")
            .and_then(toml::Value::as_table)
            .and_then(hashes_of)
        {
            artifacts.push((true, h));
        }
        for w in tarr(p, "wheels").iter().filter_map(toml::Value::as_table) {
            if let Some(h) = hashes_of(w) {
                artifacts.push((false, h));
            }
        }
        let (url, vcs, editable) = if let Some(v) = p.get("vcs").and_then(toml::Value::as_table) {
            let kind = tstr(v, "type").unwrap_or("git");
            let u = tstr(v, "url").or_else(|| tstr(v, "path")).unwrap_or("");
            let rev = tstr(v, "commit-id").unwrap_or("");
            (
                Some(strip_credentials(&format!("{kind}+{u}@{rev}"))),
                true,
                false,
            )
        } else if let Some(d) = p.get("directory").and_then(toml::Value::as_table) {
            (
                tstr(d, "path").map(str::to_string),
                false,
                d.get("editable")
                    .and_then(toml::Value::as_bool)
                    .unwrap_or(false),
            )
        } else if let Some(a) = p.get("archive").and_then(toml::Value::as_table) {
            (
                tstr(a, "url")
                    .map(strip_credentials)
                    .or_else(|| tstr(a, "path").map(str::to_string)),
                false,
                false,
            )
        } else {
            (None, false, false)
        };
        out.push(LockedPackage {
            name,
            version: tstr(p, "version").map(str::to_string),
            digest: pick_digest(&artifacts),
            marker: tstr(p, "marker").map(str::to_string),
            url,
            vcs,
            editable,
            ..Default::default()
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Pipfile.lock

fn parse_pipfile(text: &str) -> Result<Vec<LockedPackage>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = doc.as_object().ok_or("not a JSON object")?;
    if !obj.contains_key("_meta") {
        return Err("no `_meta` (not a Pipfile.lock)".into());
    }
    let mut by_name: BTreeMap<String, LockedPackage> = BTreeMap::new();
    for (section, dev) in [("default", false), ("develop", true)] {
        let Some(sec) = obj.get(section) else {
            continue;
        };
        let sec = sec
            .as_object()
            .ok_or_else(|| format!("`{section}` is not an object"))?;
        for (raw_name, entry) in sec {
            let name = normalize_pypi_name(raw_name);
            if let Some(existing) = by_name.get_mut(&name) {
                // In both sections: needed by the default install.
                if !dev {
                    existing.dev = Some(false);
                }
                continue;
            }
            let e = entry
                .as_object()
                .ok_or_else(|| format!("`{section}.{raw_name}` is not an object"))?;
            let s = |k: &str| e.get(k).and_then(Value::as_str);
            let version = s("version").map(|v| {
                v.strip_prefix("===")
                    .or_else(|| v.strip_prefix("=="))
                    .unwrap_or(v)
                    .to_string()
            });
            let hashes: Vec<(bool, (String, String))> = e
                .get("hashes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|h| h.as_str().and_then(split_hash))
                        .map(|h| (false, h))
                        .collect()
                })
                .unwrap_or_default();
            let (url, vcs) = if let Some(g) = s("git") {
                let rev = s("ref").unwrap_or("");
                (Some(strip_credentials(&format!("git+{g}@{rev}"))), true)
            } else {
                (
                    s("file")
                        .map(strip_credentials)
                        .or_else(|| s("path").map(str::to_string)),
                    false,
                )
            };
            by_name.insert(
                name.clone(),
                LockedPackage {
                    name,
                    version,
                    digest: pick_digest(&hashes),
                    dev: Some(dev),
                    marker: s("markers").map(str::to_string),
                    url,
                    vcs,
                    editable: e.get("editable").and_then(Value::as_bool).unwrap_or(false),
                    ..Default::default()
                },
            );
        }
    }
    Ok(by_name.into_values().collect())
}

#[cfg(test)]
mod tests {
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
        let e = parse_poetry("[metadata]\nx = 1\n[[package]]\nname = \"https://tok@h/\nv = 2\n")
            .unwrap_err()
            .reason;
        assert!(e.starts_with("TOML error at line 4, column"), "{e}");
        assert!(!e.contains("tok"), "{e}");
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
