//! `requirements*.txt` (pip): pins, `--hash`, `-r`/`-c` includes kept inside the work tree,
//! markers, direct and VCS URLs (see [`super::python`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::python::*;
use crate::files::{display_name, read_regular_file, sha256_hex};
use crate::git::strip_credentials;
use crate::purl::normalize_pypi_name;
use crate::{IncludeRefusal, MaterialsError, Warning};

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
                code: crate::diag::WarningCode::RequirementsIncludeCycle,
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
        let text = super::utf8(bytes, path)?;
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
                            code: crate::diag::WarningCode::RequirementsRemoteInclude,
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
pub(super) fn valid_pip_hash(h: &str) -> bool {
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
pub(super) fn url_requirement(target: &str, name: Option<&str>) -> Result<LockedPackage, String> {
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
pub(super) fn parse_pep508(req: &str) -> Result<LockedPackage, String> {
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

pub(super) fn looks_like_url(s: &str) -> bool {
    [
        "git+", "hg+", "svn+", "bzr+", "http://", "https://", "file:",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

/// Credentials are stripped first, then the text is shortened (a cut URL would no longer be
/// recognised as one, and its token would survive).
pub(super) fn shorten(s: &str) -> String {
    let stripped = strip_credentials(s);
    let mut out: String = stripped.chars().take(80).collect();
    if stripped.chars().count() > 80 {
        out.push('…');
    }
    out
}
