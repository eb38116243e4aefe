//! Rust: `Cargo.lock` (v3 and v4; v1/v2 are read too) via the `cargo-lock` crate.
//!
//! - A registry package becomes `pkg:cargo/<name>@<version>` with its `checksum` as the
//!   `sha256` digest (for crates.io that is the SHA-256 of the `.crate` file).
//! - A git package is recorded the same way, with the `source` URL as an annotation and the
//!   locked commit as the `gitCommit` digest.
//! - A package without `source` (the workspace members and `path` dependencies) is part of the
//!   project, not an external dependency: it is not recorded, and in the dependency graph it is
//!   folded into the root node ([`super::ROOT_REF`]).
//!
//! ```
//! use provseal_materials::cargo::parse_cargo_lock_str;
//! let lock = r#"version = 4
//! [[package]]
//! name = "app"
//! version = "0.1.0"
//! dependencies = ["itoa"]
//!
//! [[package]]
//! name = "itoa"
//! version = "1.0.11"
//! source = "registry+https://github.com/rust-lang/crates.io-index"
//! checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
//! "#;
//! let parsed = parse_cargo_lock_str(lock, std::path::Path::new("Cargo.lock"), "Cargo.lock").unwrap();
//! assert_eq!(parsed.packages.len(), 1);
//! assert_eq!(parsed.packages[0].purl, "pkg:cargo/itoa@1.0.11");
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use serde_json::{Map, Value};

use super::{
    parse_error, DependencyGraph, Lockfile, LockfileInput, LockfileReader, Package, ROOT_REF,
};
use crate::MaterialsError;

/// `Cargo.lock`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CargoReader;

impl LockfileReader for CargoReader {
    fn format(&self) -> &'static str {
        "Cargo.lock"
    }
    fn claims(&self, file_name: &str, _parent: &str) -> bool {
        file_name == "Cargo.lock"
    }
    fn parse(&self, i: &LockfileInput<'_>) -> Result<Lockfile, MaterialsError> {
        parse_cargo_lock_bytes(i.path, i.name, i.bytes)
    }
}

/// Reads and parses a `Cargo.lock`; `name` is the path recorded in annotations.
pub fn parse_cargo_lock(path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    parse_cargo_lock_bytes(path, name, &crate::files::read_regular_file(path)?)
}

/// [`parse_cargo_lock`] over bytes already read.
pub fn parse_cargo_lock_bytes(
    path: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<Lockfile, MaterialsError> {
    parse_cargo_lock_str(super::utf8(bytes, path)?, path, name)
}

fn key(name: &str, version: &str, source: Option<&cargo_lock::SourceId>) -> String {
    match source {
        Some(s) => format!("{name} {version} ({s})"),
        None => format!("{name} {version}"),
    }
}

/// A `cargo-lock` error as [`MaterialsError::Malformed`]: the line and column of a TOML error
/// (never the quoted source line, which may hold a URL with a token), the key on that line as
/// the field, and an unknown format version named as such.
fn cargo_error(text: &str, path: &Path, e: &cargo_lock::Error) -> MaterialsError {
    let msg = e.to_string();
    let malformed = |line: Option<usize>, column: Option<usize>, field: &str, why: String| {
        MaterialsError::Malformed {
            path: path.to_path_buf(),
            line,
            column,
            field: field.to_string(),
            reason: why,
        }
    };
    if let Some(v) = msg.split("invalid Cargo.lock format version: ").nth(1) {
        let (line, column) = super::position_of(text, "version");
        return malformed(
            line,
            column,
            "version",
            format!(
                "unknown version {} (known: 1, 2, 3, 4)",
                v.trim().trim_matches('`')
            ),
        );
    }
    if let Some(at) = msg.split("at line ").nth(1) {
        let mut nums = at
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse::<usize>().ok());
        let (line, column) = (nums.next(), nums.next());
        let field = line
            .and_then(|l| text.lines().nth(l.saturating_sub(1)))
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim().to_string())
            .unwrap_or_else(|| "Cargo.lock".into());
        let reason = msg
            .lines()
            .rev()
            .find(|l| {
                !l.trim().is_empty() && !l.trim_start().starts_with('|') && !l.contains(" | ")
            })
            .unwrap_or("invalid TOML")
            .trim()
            .to_string();
        return malformed(line, column, &field, reason);
    }
    parse_error(path, msg)
}

/// Parses `Cargo.lock` text.
pub fn parse_cargo_lock_str(
    text: &str,
    path: &Path,
    name: &str,
) -> Result<Lockfile, MaterialsError> {
    let lock = cargo_lock::Lockfile::from_str(text).map_err(|e| cargo_error(text, path, &e))?;
    let version = match lock.version {
        cargo_lock::ResolveVersion::V1 => 1,
        cargo_lock::ResolveVersion::V2 => 2,
        cargo_lock::ResolveVersion::V3 => 3,
        cargo_lock::ResolveVersion::V4 => 4,
        _ => 0,
    };
    // v1 keeps checksums in [metadata]: "checksum <name> <version> (<source>)" = "<hex>".
    let mut v1_checksums: HashMap<String, String> = HashMap::new();
    for (k, v) in &lock.metadata {
        if let Some(rest) = k.as_ref().strip_prefix("checksum ") {
            v1_checksums.insert(rest.to_string(), v.as_ref().to_string());
        }
    }
    let mut pkgs = Vec::new();
    // Full key and "name version" → graph ref.
    let mut refs: HashMap<String, String> = HashMap::new();
    for p in &lock.packages {
        let pname = p.name.as_str();
        let pver = p.version.to_string();
        let full = key(pname, &pver, p.source.as_ref());
        let Some(source) = &p.source else {
            refs.insert(full, ROOT_REF.to_string());
            refs.entry(key(pname, &pver, None))
                .or_insert_with(|| ROOT_REF.to_string());
            continue;
        };
        if source.is_path() {
            refs.insert(full, ROOT_REF.to_string());
            continue;
        }
        let purl = crate::purl::package_url("cargo", None, pname, Some(&pver));
        let mut digest = BTreeMap::new();
        let mut extra = Map::new();
        let checksum = p
            .checksum
            .as_ref()
            .map(|c| c.to_string())
            .or_else(|| v1_checksums.get(&full).cloned());
        if let Some(c) = checksum {
            if c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()) {
                digest.insert("sha256".to_string(), c.to_ascii_lowercase());
            }
        }
        if source.is_git() {
            extra.insert("source".into(), Value::String(source.to_string()));
            if let Some(commit) = source.precise() {
                if matches!(commit.len(), 40 | 64) && commit.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    digest.insert("gitCommit".to_string(), commit.to_ascii_lowercase());
                }
            }
        } else if !source.is_default_registry() {
            extra.insert("source".into(), Value::String(source.to_string()));
        }
        refs.insert(full, purl.clone());
        refs.entry(key(pname, &pver, None))
            .or_insert_with(|| purl.clone());
        pkgs.push(Package {
            purl,
            name: pname.to_string(),
            version: pver,
            digest,
            dev: None,
            optional: None,
            extra,
        });
    }
    let mut graph = DependencyGraph::default();
    graph.add_node(ROOT_REF);
    for p in &lock.packages {
        let full = key(p.name.as_str(), &p.version.to_string(), p.source.as_ref());
        let Some(from) = refs.get(&full).cloned() else {
            continue;
        };
        graph.add_node(&from);
        for d in &p.dependencies {
            let dver = d.version.to_string();
            let to = refs
                .get(&key(d.name.as_str(), &dver, d.source.as_ref()))
                .or_else(|| refs.get(&key(d.name.as_str(), &dver, None)));
            if let Some(to) = to {
                graph.add_edge(&from, to);
            }
        }
    }
    Ok(Lockfile::new(
        path,
        name.to_string(),
        format!("Cargo.lock v{version}"),
        pkgs,
        Some(graph),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_and_path_packages() {
        let lock = r#"version = 3
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["dep", "local", "gitdep"]

[[package]]
name = "local"
version = "0.2.0"

[[package]]
name = "dep"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "1111111111111111111111111111111111111111111111111111111111111111"

[[package]]
name = "gitdep"
version = "0.3.0"
source = "git+https://github.com/o/gitdep?branch=main#0123456789abcdef0123456789abcdef01234567"
"#;
        let l = parse_cargo_lock_str(lock, Path::new("Cargo.lock"), "Cargo.lock").unwrap();
        assert_eq!(l.kind, "Cargo.lock v3");
        let purls: Vec<_> = l.packages.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(purls, vec!["pkg:cargo/dep@1.0.0", "pkg:cargo/gitdep@0.3.0"]);
        assert_eq!(
            l.packages[1].digest.get("gitCommit").map(String::as_str),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(
            l.packages[1].extra.get("source").and_then(Value::as_str),
            Some("git+https://github.com/o/gitdep?branch=main#0123456789abcdef0123456789abcdef01234567")
        );
        let g = l.graph.unwrap();
        let root: Vec<_> = g.edges[ROOT_REF].iter().cloned().collect();
        assert_eq!(root, vec!["pkg:cargo/dep@1.0.0", "pkg:cargo/gitdep@0.3.0"]);
    }
}
