//! `pylock.toml` (PEP 751; see [`super::python`]).

use super::python::*;
use crate::git::strip_credentials;

pub(super) fn parse_pylock(text: &str) -> Result<Vec<LockedPackage>, TomlFault> {
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
