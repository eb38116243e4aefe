//! `pdm.lock` (see [`super::python`]).

use std::collections::BTreeSet;
use std::path::Path;

use super::python::*;
use crate::files::read_regular_file;
use crate::git::strip_credentials;
use crate::purl::normalize_pypi_name;

pub(super) fn parse_pdm(
    text: &str,
    extras: &BTreeSet<String>,
) -> Result<Vec<LockedPackage>, TomlFault> {
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
pub(super) fn read_extras_of_sibling_pyproject(lockfile: &Path) -> BTreeSet<String> {
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
