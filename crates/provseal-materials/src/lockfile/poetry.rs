//! `poetry.lock` (see [`super::python`]).

use super::python::*;
use crate::git::strip_credentials;

pub(super) fn parse_poetry(text: &str) -> Result<Vec<LockedPackage>, TomlFault> {
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
