//! `Pipfile.lock` (see [`super::python`]).

use std::collections::BTreeMap;

use serde_json::Value;

use super::python::*;
use crate::git::strip_credentials;
use crate::purl::normalize_pypi_name;

pub(super) fn parse_pipfile(text: &str) -> Result<Vec<LockedPackage>, TomlFault> {
    let doc: Value = serde_json::from_str(text).map_err(|e| TomlFault::syntax("JSON", e))?;
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
