//! `provseal inspect --statement` (the decoded, signed payload) and `--materials` (every
//! recorded dependency, grouped by lockfile and environment, with version and digest).

use provseal_model::{ResourceDescriptor, Statement};
use provseal_verify::LoadedDoc;
use serde_json::{json, Value};

use crate::Failure;
use provseal_verify::inspect::payload_of;

/// Which view of the statement to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The decoded payload.
    Statement,
    /// The recorded dependencies.
    Materials,
}

/// Prints `view` of every document; JSON with `json`. Returns whether every payload decoded.
pub fn print(docs: &[LoadedDoc], view: View, json: bool) -> Result<bool, Failure> {
    let mut all_ok = true;
    let mut values = Vec::new();
    for doc in docs {
        let origin = doc.origin.to_string();
        let decoded = payload_of(&doc.doc).map_err(Failure::from).and_then(|p| {
            let value = provseal_model::json::parse_strict(&p.payload)?;
            Ok((p.payload, value))
        });
        let (payload, value) = match decoded {
            Ok(d) => d,
            Err(e) => {
                all_ok = false;
                eprintln!("error: `{origin}`: {:#}", e.error);
                continue;
            }
        };
        match view {
            View::Statement if json => values.push(value),
            View::Statement => {
                note!("{origin} (signature not verified: use `provseal verify`)");
                out!("{}\n", serde_json::to_string_pretty(&value)?);
            }
            View::Materials => {
                let groups = match Statement::parse(&payload).ok().and_then(|s| {
                    let p = s.predicate.as_ref()?;
                    provseal_model::slsa::provenance_v1_from(&s.predicate_type, p).ok()
                }) {
                    Some(p) => groups(&p.build_definition.resolved_dependencies),
                    None => {
                        all_ok = false;
                        eprintln!("error: `{origin}`: the statement is not SLSA provenance");
                        continue;
                    }
                };
                if json {
                    values.push(json!({"origin": origin, "groups": groups}));
                } else {
                    print_groups(&origin, &groups)?;
                }
            }
        }
    }
    if json {
        crate::output::print_json(&values)?;
    }
    Ok(all_ok)
}

/// One group of recorded dependencies: a lockfile, an environment, the source, or the rest.
fn group_of(rd: &ResourceDescriptor) -> (String, Option<String>) {
    let a = |k: &str| rd.annotations.get(k).and_then(Value::as_str);
    if let Some(l) = a("lockfile") {
        (format!("lockfile `{l}`"), None)
    } else if let Some(p) = a("pythonEnv") {
        (format!("Python environment `{p}`"), None)
    } else if let Some(format) = a("lockfileFormat") {
        let name = rd.name.clone().unwrap_or_default();
        (format!("lockfile `{name}`"), Some(format.to_owned()))
    } else if rd.uri.as_deref().is_some_and(|u| u.starts_with("git+"))
        || rd.digest.get("gitCommit").is_some()
    {
        ("source".to_owned(), None)
    } else {
        ("other".to_owned(), None)
    }
}

/// `pkg:cargo/aead@0.5.2` → (`pkg:cargo/aead`, `0.5.2`); qualifiers and subpath dropped from
/// the version.
fn split_purl(uri: &str) -> (String, String) {
    match uri.rsplit_once('@') {
        Some((name, rest)) if uri.starts_with("pkg:") => {
            let version = rest.split(['?', '#']).next().unwrap_or(rest);
            (name.to_owned(), version.to_owned())
        }
        _ => (uri.to_owned(), String::new()),
    }
}

fn digest_text(rd: &ResourceDescriptor) -> String {
    rd.digest
        .iter()
        .map(|(alg, hex)| format!("{alg}:{hex}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The dependencies grouped, in recorded order: `[{group, lockfileFormat?, digest?, entries}]`.
fn groups(deps: &[ResourceDescriptor]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for rd in deps {
        let (group, lockfile_format) = group_of(rd);
        let idx = match out.iter().position(|g| g["group"] == group.as_str()) {
            Some(i) => i,
            None => {
                out.push(json!({"group": group, "entries": []}));
                out.len() - 1
            }
        };
        if let Some(format) = lockfile_format {
            // the lockfile itself: its format and digest head the group
            out[idx]["lockfileFormat"] = json!(format);
            out[idx]["digest"] = json!(digest_text(rd));
            continue;
        }
        let (name, version) = match (&rd.uri, &rd.name) {
            (Some(uri), _) => split_purl(uri),
            (None, Some(name)) => (name.clone(), String::new()),
            (None, None) => ("(no remote)".to_owned(), String::new()),
        };
        if let Some(entries) = out[idx]["entries"].as_array_mut() {
            entries.push(json!({"name": name, "version": version, "digest": digest_text(rd)}));
        }
    }
    out
}

fn print_groups(origin: &str, groups: &[Value]) -> Result<(), Failure> {
    outln!("{origin} (signature not verified: use `provseal verify`)");
    if groups.is_empty() {
        outln!("  no resolved dependencies recorded");
    }
    for g in groups {
        let entries = g["entries"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut head = format!(
            "  {}: {} entr{}",
            g["group"].as_str().unwrap_or("_"),
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" }
        );
        if let (Some(f), Some(d)) = (g["lockfileFormat"].as_str(), g["digest"].as_str()) {
            head.push_str(&format!(" ({f}, {d})"));
        }
        outln!("{head}");
        let width = entries
            .iter()
            .filter_map(|e| e["name"].as_str())
            .map(str::len)
            .max()
            .unwrap_or(0);
        let vwidth = entries
            .iter()
            .filter_map(|e| e["version"].as_str())
            .map(str::len)
            .max()
            .unwrap_or(0);
        for e in entries {
            outln!(
                "    {:width$}  {:vwidth$}  {}",
                e["name"].as_str().unwrap_or("_"),
                e["version"].as_str().unwrap_or(""),
                e["digest"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_split_into_name_and_version() {
        assert_eq!(
            split_purl("pkg:cargo/aead@0.5.2"),
            ("pkg:cargo/aead".into(), "0.5.2".into())
        );
        assert_eq!(
            split_purl("pkg:npm/%40scope/x@1.0.0?arch=x64"),
            ("pkg:npm/%40scope/x".into(), "1.0.0".into())
        );
        assert_eq!(
            split_purl("git+https://h/r@refs/heads/main"),
            ("git+https://h/r@refs/heads/main".into(), String::new())
        );
    }
}
