//! Go: `go.sum` and `go.mod`.
//!
//! - `go.sum` yields one package per module version, `pkg:golang/<module path>@<version>`
//!   (the module path split into purl namespace and name at its last `/`). The `h1:` hash of
//!   the module line (Go's dirhash, a base64 SHA-256 over the module's file list) becomes the
//!   `dirHash` digest in hex, as the in-toto DigestSet spec names it; the hash of the
//!   `<version>/go.mod` line becomes the `goModHash` annotation (hex). A version with only a
//!   `/go.mod` line (needed only for version selection, its code never downloaded) is recorded
//!   with the annotation `"goModOnly": true` and no digest. With the `go.mod` beside it, only the
//!   build list is recorded (what `go list -m all` prints): one version per module path, the one
//!   `go.mod` requires, else the highest `go.sum` lists — older versions that were only steps of
//!   the module graph are left out.
//! - `go.mod` yields its `require`d modules (annotation `indirect`), with `replace` directives
//!   applied: a module replaced by another module version is recorded as the replacement (with
//!   `replaces` naming the original); a module replaced by a local directory is part of the
//!   project and is not recorded. A module already recorded by the `go.sum` beside it is left
//!   to that `go.sum` (which then carries the `indirect` annotation), so one module version gives
//!   one descriptor.
//!
//! ```
//! use provseal_materials::golang::parse_go_sum_str;
//! let sum = "github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=\n\
//!            github.com/pkg/errors v0.9.1/go.mod h1:bwawxfHBFNV+L2hUp1rHADufV3IMtnDRdf1r5NINEl0=\n";
//! let parsed = parse_go_sum_str(sum, std::path::Path::new("go.sum"), "go.sum", None).unwrap();
//! assert_eq!(parsed.packages[0].purl, "pkg:golang/github.com/pkg/errors@v0.9.1");
//! assert!(parsed.packages[0].digest.contains_key("dirHash"));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value};

use super::{Lockfile, LockfileInput, LockfileReader, Package};
use crate::MaterialsError;

/// `go.sum`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoSumReader;

impl LockfileReader for GoSumReader {
    fn format(&self) -> &'static str {
        "go.sum"
    }
    fn claims(&self, file_name: &str, _parent: &str) -> bool {
        file_name == "go.sum"
    }
    fn empty_is_valid(&self) -> bool {
        true
    }
    fn parse(&self, i: &LockfileInput<'_>) -> Result<Lockfile, MaterialsError> {
        parse_go_file_bytes(i.path, i.name, i.bytes)
    }
}

/// `go.mod`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoModReader;

impl LockfileReader for GoModReader {
    fn format(&self) -> &'static str {
        "go.mod"
    }
    fn claims(&self, file_name: &str, _parent: &str) -> bool {
        file_name == "go.mod"
    }
    fn parse(&self, i: &LockfileInput<'_>) -> Result<Lockfile, MaterialsError> {
        parse_go_file_bytes(i.path, i.name, i.bytes)
    }
}

/// Orders Go module versions (SemVer with a leading `v`; pseudo-versions are pre-releases);
/// versions that are not SemVer compare as text, after every SemVer version.
pub fn go_version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |v: &str| semver::Version::parse(v.strip_prefix('v').unwrap_or(v)).ok();
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp_precedence(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// `pkg:golang/…` for a module path and version.
pub fn golang_purl(module: &str, version: &str) -> String {
    let (ns, name) = match module.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, module),
    };
    crate::purl::package_url("golang", ns, name, Some(version))
}

/// Reads and parses `go.sum` or `go.mod` (by file name); the sibling file, when present and
/// parsable, refines the result as described in the module docs.
pub fn parse_go_file(path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    parse_go_file_bytes(path, name, &crate::files::read_regular_file(path)?)
}

/// [`parse_go_file`] over bytes already read.
pub fn parse_go_file_bytes(
    path: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<Lockfile, MaterialsError> {
    let text = super::utf8(bytes, path)?;
    let is_sum = path.file_name().is_some_and(|n| n == "go.sum");
    let sibling = path.with_file_name(if is_sum { "go.mod" } else { "go.sum" });
    let sibling_bytes = if sibling.is_file() {
        crate::files::read_regular_file(&sibling).ok()
    } else {
        None
    };
    let sibling_text = sibling_bytes
        .as_deref()
        .and_then(|b| std::str::from_utf8(b).ok());
    if is_sum {
        let go_mod = sibling_text.and_then(|t| parse_go_mod(t, &sibling).ok());
        parse_go_sum_str(text, path, name, go_mod.as_ref())
    } else {
        let go_mod = parse_go_mod(text, path)?;
        let in_sum: BTreeSet<(String, String)> = sibling_text
            .and_then(|t| parse_go_sum_lines(t, &sibling).ok())
            .map(|lines| lines.into_iter().map(|l| (l.module, l.version)).collect())
            .unwrap_or_default();
        Ok(go_mod_lockfile(&go_mod, path, name, &in_sum))
    }
}

/// One `go.sum` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoSumLine {
    /// Module path.
    pub module: String,
    /// Version (without `/go.mod`).
    pub version: String,
    /// Whether this is the `<version>/go.mod` line.
    pub go_mod: bool,
    /// The hash, hex (decoded from `h1:` base64).
    pub h1_hex: String,
}

/// Parses the lines of a `go.sum`.
pub fn parse_go_sum_lines(text: &str, path: &Path) -> Result<Vec<GoSumLine>, MaterialsError> {
    use base64::Engine as _;
    let mut out = Vec::new();
    for (no, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        // An error at the column where `token` starts.
        let bad = |token: &str, field: &str, why: String| MaterialsError::Malformed {
            path: path.to_path_buf(),
            line: Some(no + 1),
            column: raw.find(token).map(|c| c + 1),
            field: field.into(),
            reason: why,
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [module, version, hash] = fields.as_slice() else {
            return Err(bad(
                line,
                "go.sum line",
                "expected `<module> <version> h1:<hash>`".into(),
            ));
        };
        let Some(b64) = hash.strip_prefix("h1:") else {
            return Err(bad(
                hash,
                "hash",
                format!("unsupported hash `{hash}` (expected `h1:`)"),
            ));
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| bad(hash, "hash", "`h1:` hash is not base64 SHA-256".into()))?;
        let (version, go_mod) = match version.strip_suffix("/go.mod") {
            Some(v) => (v, true),
            None => (*version, false),
        };
        if !version.starts_with('v') {
            return Err(bad(
                version,
                "version",
                format!("version `{version}` does not start with `v`"),
            ));
        }
        out.push(GoSumLine {
            module: module.to_string(),
            version: version.to_string(),
            go_mod,
            h1_hex: hex::encode(bytes),
        });
    }
    Ok(out)
}

/// Parses `go.sum` text into one package per module version. `go_mod` (the `go.mod` beside it)
/// adds the `indirect` annotation to the modules it requires.
pub fn parse_go_sum_str(
    text: &str,
    path: &Path,
    name: &str,
    go_mod: Option<&GoMod>,
) -> Result<Lockfile, MaterialsError> {
    let lines = parse_go_sum_lines(text, path)?;
    let mut by_mv: BTreeMap<(String, String), (Option<String>, Option<String>)> = BTreeMap::new();
    for l in lines {
        let e = by_mv.entry((l.module, l.version)).or_default();
        if l.go_mod {
            e.1 = Some(l.h1_hex);
        } else {
            e.0 = Some(l.h1_hex);
        }
    }
    let required: BTreeMap<(String, String), bool> = go_mod
        .map(|m| {
            m.effective_requires()
                .into_iter()
                .filter_map(|(path, version, indirect, _)| Some(((path, version?), indirect)))
                .collect()
        })
        .unwrap_or_default();
    if go_mod.is_some() {
        // The build list (`go list -m all`) holds one version per module path: the one go.mod
        // requires, else the highest go.sum lists (minimal version selection picks the highest
        // required version, and every version the graph requires has its go.mod hash in go.sum).
        let mut selected: BTreeMap<&str, &str> = BTreeMap::new();
        for (m, v) in by_mv.keys() {
            let e = selected.entry(m.as_str()).or_insert(v.as_str());
            if go_version_cmp(v, e).is_gt() {
                *e = v.as_str();
            }
        }
        for (m, v) in required.keys() {
            selected.insert(m.as_str(), v.as_str());
        }
        let selected: BTreeMap<String, String> = selected
            .into_iter()
            .map(|(m, v)| (m.to_string(), v.to_string()))
            .collect();
        by_mv.retain(|(m, v), _| selected.get(m) == Some(v));
    }
    let mut pkgs = Vec::new();
    for ((module, version), (dir, gomod)) in by_mv {
        let mut digest = BTreeMap::new();
        let mut extra = Map::new();
        match dir {
            Some(d) => {
                digest.insert("dirHash".to_string(), d);
            }
            None => {
                extra.insert("goModOnly".into(), Value::Bool(true));
            }
        }
        if let Some(g) = gomod {
            extra.insert("goModHash".into(), Value::String(g));
        }
        if let Some(indirect) = required.get(&(module.clone(), version.clone())) {
            extra.insert("indirect".into(), Value::Bool(*indirect));
        }
        pkgs.push(Package {
            purl: golang_purl(&module, &version),
            name: module,
            version,
            digest,
            dev: None,
            optional: None,
            extra,
        });
    }
    Ok(Lockfile::new(
        path,
        name.to_string(),
        "go.sum".into(),
        pkgs,
        None,
    ))
}

/// A `require` line of `go.mod`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoRequire {
    /// Module path.
    pub path: String,
    /// Version.
    pub version: String,
    /// Marked `// indirect`.
    pub indirect: bool,
}

/// A `replace` directive of `go.mod`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoReplace {
    /// The replaced module.
    pub old_path: String,
    /// The replaced version (`None`: every version).
    pub old_version: Option<String>,
    /// The replacement module path, or a local directory (`./x`, `../x`, `/x`).
    pub new_path: String,
    /// The replacement version (`None` for a local directory).
    pub new_version: Option<String>,
}

/// The parts of `go.mod` that name dependencies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoMod {
    /// `module` path.
    pub module: Option<String>,
    /// `go` version.
    pub go: Option<String>,
    /// `require` directives.
    pub requires: Vec<GoRequire>,
    /// `replace` directives.
    pub replaces: Vec<GoReplace>,
}

impl GoMod {
    /// The requirements after `replace`: `(module, version (None for a local directory),
    /// indirect, replaced original "path@version")`.
    pub fn effective_requires(&self) -> Vec<(String, Option<String>, bool, Option<String>)> {
        let mut out = Vec::new();
        for r in &self.requires {
            let rep = self
                .replaces
                .iter()
                .filter(|p| p.old_path == r.path)
                .find(|p| p.old_version.as_deref().is_none_or(|v| v == r.version));
            match rep {
                None => out.push((r.path.clone(), Some(r.version.clone()), r.indirect, None)),
                Some(p) => out.push((
                    p.new_path.clone(),
                    p.new_version.clone(),
                    r.indirect,
                    Some(format!("{}@{}", r.path, r.version)),
                )),
            }
        }
        out
    }
}

/// Strips a `//` comment; returns (code, comment).
fn split_comment(line: &str) -> (&str, &str) {
    match line.find("//") {
        Some(i) => (
            line.get(..i).unwrap_or_default().trim(),
            line.get(i + 2..).unwrap_or_default().trim(),
        ),
        None => (line.trim(), ""),
    }
}

/// Unquotes a go.mod token (`"x"` or `` `x` ``) or returns it.
fn go_unquote(tok: &str) -> String {
    let t = tok.trim();
    if t.len() >= 2
        && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('`') && t.ends_with('`')))
    {
        t.get(1..t.len() - 1).unwrap_or_default().to_string()
    } else {
        t.to_string()
    }
}

/// Parses `go.mod` text (`module`, `go`, `require`, `replace`; other directives are skipped).
pub fn parse_go_mod(text: &str, path: &Path) -> Result<GoMod, MaterialsError> {
    let mut m = GoMod::default();
    let mut block: Option<String> = None;
    let mut block_line = 0;
    let malformed =
        |line: usize, column: Option<usize>, field: &str, why: String| MaterialsError::Malformed {
            path: path.to_path_buf(),
            line: Some(line),
            column,
            field: field.into(),
            reason: why,
        };
    for (no, raw) in text.lines().enumerate() {
        let line_no = no + 1;
        let (code, comment) = split_comment(raw);
        if code.is_empty() {
            continue;
        }
        let (verb, args) = if let Some(b) = &block {
            if code == ")" {
                block = None;
                continue;
            }
            (b.clone(), code.to_string())
        } else {
            let (verb, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
            let rest = rest.trim();
            if rest == "(" {
                block = Some(verb.to_string());
                block_line = line_no;
                continue;
            }
            (verb.to_string(), rest.to_string())
        };
        let toks: Vec<String> = args.split_whitespace().map(go_unquote).collect();
        let column = raw.find(|c: char| !c.is_whitespace()).map(|c| c + 1);
        let bad = |what: &str| malformed(line_no, column, what, "malformed directive".into());
        match verb.as_str() {
            "module" => m.module = toks.first().cloned(),
            "go" => m.go = toks.first().cloned(),
            "require" => {
                let [p, v] = toks.as_slice() else {
                    return Err(bad("require"));
                };
                m.requires.push(GoRequire {
                    path: p.clone(),
                    version: v.clone(),
                    indirect: comment.split(';').any(|c| c.trim() == "indirect"),
                });
            }
            "replace" => {
                let Some(arrow) = toks.iter().position(|t| t == "=>") else {
                    return Err(bad("replace"));
                };
                let (left, right) = toks.split_at(arrow);
                let right = right.get(1..).unwrap_or_default();
                let (old_path, old_version) = match left {
                    [p] => (p.clone(), None),
                    [p, v] => (p.clone(), Some(v.clone())),
                    _ => return Err(bad("replace")),
                };
                let (new_path, new_version) = match right {
                    [p] => (p.clone(), None),
                    [p, v] => (p.clone(), Some(v.clone())),
                    _ => return Err(bad("replace")),
                };
                m.replaces.push(GoReplace {
                    old_path,
                    old_version,
                    new_path,
                    new_version,
                });
            }
            "exclude" | "retract" | "toolchain" | "godebug" | "tool" | "ignore" => {}
            other => {
                return Err(malformed(
                    line_no,
                    column,
                    other,
                    "unknown directive".into(),
                ))
            }
        }
    }
    if let Some(verb) = block {
        return Err(malformed(
            block_line,
            Some(1),
            &verb,
            "unterminated `(` block".into(),
        ));
    }
    if m.module.is_none() {
        return Err(malformed(1, None, "module", "no `module` directive".into()));
    }
    Ok(m)
}

/// The `go.mod` requirements not already recorded by the `go.sum` beside it.
fn go_mod_lockfile(
    m: &GoMod,
    path: &Path,
    name: &str,
    in_sum: &BTreeSet<(String, String)>,
) -> Lockfile {
    let mut pkgs = Vec::new();
    for (module, version, indirect, replaces) in m.effective_requires() {
        let Some(version) = version else {
            continue; // replaced by a local directory: part of the project
        };
        if in_sum.contains(&(module.clone(), version.clone())) {
            continue;
        }
        let mut extra = Map::new();
        extra.insert("indirect".into(), Value::Bool(indirect));
        if let Some(r) = replaces {
            extra.insert("replaces".into(), Value::String(r));
        }
        pkgs.push(Package {
            purl: golang_purl(&module, &version),
            name: module,
            version,
            digest: BTreeMap::new(),
            dev: None,
            optional: None,
            extra,
        });
    }
    Lockfile::new(path, name.to_string(), "go.mod".into(), pkgs, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_with_blocks_and_replace() {
        let text = r#"module example.com/app

go 1.22

require (
	github.com/pkg/errors v0.9.1
	golang.org/x/text v0.14.0 // indirect
)

require github.com/old/mod v1.0.0

replace github.com/old/mod => github.com/new/mod v1.2.0
replace golang.org/x/text v0.14.0 => ../text
"#;
        let m = parse_go_mod(text, Path::new("go.mod")).unwrap();
        assert_eq!(m.module.as_deref(), Some("example.com/app"));
        assert_eq!(m.requires.len(), 3);
        assert!(m.requires[1].indirect);
        let l = go_mod_lockfile(&m, Path::new("go.mod"), "go.mod", &BTreeSet::new());
        let purls: Vec<_> = l.packages.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            vec![
                "pkg:golang/github.com/new/mod@v1.2.0",
                "pkg:golang/github.com/pkg/errors@v0.9.1"
            ]
        );
        assert_eq!(
            l.packages[0].extra.get("replaces").and_then(Value::as_str),
            Some("github.com/old/mod@v1.0.0")
        );
        assert!(parse_go_mod("require (\n", Path::new("go.mod")).is_err());
        assert!(parse_go_mod("module x\nrequire a\n", Path::new("go.mod")).is_err());
    }
}
