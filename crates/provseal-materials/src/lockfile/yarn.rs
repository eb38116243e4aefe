//! `yarn.lock`: v1 (Yarn's own format) here, berry (YAML) in `yarn_berry.rs` (see
//! [`super::node`] for what is recorded).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Map, Value};

use super::node::{is_local_ref, mark_dev, package, read_package_json, split_name_at};
use super::{parse_error, DependencyGraph, Lockfile, LockfileInput, LockfileReader, ROOT_REF};
use crate::MaterialsError;

/// `yarn.lock` (v1 and berry).
#[derive(Debug, Clone, Copy, Default)]
pub struct YarnReader;

impl LockfileReader for YarnReader {
    fn format(&self) -> &'static str {
        "yarn.lock"
    }
    fn claims(&self, file_name: &str, _parent: &str) -> bool {
        file_name == "yarn.lock"
    }
    fn parse(&self, i: &LockfileInput<'_>) -> Result<Lockfile, MaterialsError> {
        parse_yarn_lock(super::utf8(i.bytes, i.path)?, i.path, i.name)
    }
}

/// Parses `yarn.lock`: berry (YAML with `__metadata`) or v1 (Yarn's own format).
pub fn parse_yarn_lock(text: &str, path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    let is_berry = text
        .lines()
        .any(|l| l.trim_end() == "__metadata:" || l.starts_with("\"__metadata\":"));
    if is_berry {
        super::yarn_berry::parse_yarn_berry(text, path, name)
    } else {
        parse_yarn_v1(text, path, name)
    }
}

#[derive(Default)]
struct YarnV1Entry {
    specs: Vec<String>,
    fields: BTreeMap<String, String>,
    /// The line of each field.
    field_lines: BTreeMap<String, usize>,
    /// `dependencies` and `optionalDependencies` blocks: (name, range).
    deps: Vec<(String, String)>,
    line: usize,
}

/// Unquotes a yarn v1 token (JSON-style double quotes) or returns it as is.
fn yarn_unquote(s: &str) -> Option<String> {
    let s = s.trim();
    if s.starts_with('"') {
        serde_json::from_str::<String>(s).ok()
    } else {
        Some(s.to_string())
    }
}

/// Splits `key value` (either may be quoted).
fn yarn_key_value(s: &str) -> Option<(String, String)> {
    let s = s.trim();
    let (key, rest) = if s.starts_with('"') {
        let mut end = None;
        let mut escaped = false;
        for (i, c) in s.char_indices().skip(1) {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = Some(i);
                break;
            }
        }
        let end = end?;
        (yarn_unquote(s.get(..=end)?)?, s.get(end + 1..)?)
    } else {
        let (k, r) = s.split_once(' ')?;
        (k.to_string(), r)
    };
    Some((key, yarn_unquote(rest)?))
}

fn parse_yarn_v1(text: &str, path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    let mut entries: Vec<YarnV1Entry> = Vec::new();
    let mut in_block: Option<String> = None;
    let mut saw_header = false;
    for (no, raw) in text.lines().enumerate() {
        let line_no = no + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim();
        match indent {
            0 => {
                let Some(head) = content.strip_suffix(':') else {
                    return Err(parse_error(
                        path,
                        format!("line {line_no}: expected `<specifiers>:`"),
                    ));
                };
                let mut specs = Vec::new();
                for s in split_specs(head) {
                    let Some(u) = yarn_unquote(&s) else {
                        return Err(parse_error(
                            path,
                            format!("line {line_no}: bad quoting in `{s}`"),
                        ));
                    };
                    specs.push(u);
                }
                saw_header = true;
                in_block = None;
                entries.push(YarnV1Entry {
                    specs,
                    line: line_no,
                    ..YarnV1Entry::default()
                });
            }
            2 => {
                let Some(entry) = entries.last_mut() else {
                    return Err(parse_error(
                        path,
                        format!("line {line_no}: field outside an entry"),
                    ));
                };
                if let Some(block) = content.strip_suffix(':') {
                    in_block = Some(block.to_string());
                    continue;
                }
                in_block = None;
                let Some((k, v)) = yarn_key_value(content) else {
                    return Err(parse_error(
                        path,
                        format!("line {line_no}: expected `key value`"),
                    ));
                };
                entry.field_lines.insert(k.clone(), line_no);
                entry.fields.insert(k, v);
            }
            4 if in_block.is_some() => {
                let (Some((k, v)), Some(entry)) = (yarn_key_value(content), entries.last_mut())
                else {
                    return Err(parse_error(
                        path,
                        format!("line {line_no}: expected `name range`"),
                    ));
                };
                if matches!(
                    in_block.as_deref(),
                    Some("dependencies" | "optionalDependencies")
                ) {
                    entry.deps.push((k, v));
                }
            }
            _ => {
                return Err(parse_error(
                    path,
                    format!("line {line_no}: unexpected indentation"),
                ))
            }
        }
    }
    if !saw_header && !text.contains("yarn lockfile v1") {
        return Err(parse_error(
            path,
            "no entries and no `# yarn lockfile v1` header",
        ));
    }
    let mut pkgs = Vec::new();
    // spec ("name@range") → purl of the entry it resolves to
    let mut spec_purl: HashMap<&str, String> = HashMap::new();
    let mut entry_purl: Vec<Option<String>> = Vec::new();
    for e in &entries {
        entry_purl.push(None);
        let Some(first) = e.specs.first() else {
            continue;
        };
        let Some((spec_name, range)) = split_name_at(first) else {
            return Err(parse_error(
                path,
                format!(
                    "line {}: cannot split `{first}` into name and range",
                    e.line
                ),
            ));
        };
        let Some(version) = e.fields.get("version") else {
            return Err(parse_error(
                path,
                format!("line {}: entry `{first}` has no version", e.line),
            ));
        };
        if is_local_ref(range) {
            continue;
        }
        let real_name = match range.strip_prefix("npm:").and_then(split_name_at) {
            Some((n, _)) => n,
            None => spec_name,
        };
        let resolved = e.fields.get("resolved").map(String::as_str);
        if resolved.is_some_and(is_local_ref) {
            continue;
        }
        // A field's key is at column 3 of its line.
        let bad = |field: &str, why: String| MaterialsError::Malformed {
            path: path.to_path_buf(),
            line: e.field_lines.get(field).copied(),
            column: Some(3),
            field: field.into(),
            reason: why,
        };
        let mut digest = match e.fields.get("integrity") {
            Some(sri) => {
                super::sri_digests_strict(sri).map_err(|reason| bad("integrity", reason))?
            }
            None => BTreeMap::new(),
        };
        let registry = resolved.is_none_or(|r| {
            r.contains("/-/") && r.split('#').next().is_some_and(|u| u.ends_with(".tgz"))
        });
        // A registry tarball's `#fragment` is the tarball's SHA-1 (yarn v1 writes it always).
        if let Some(frag) = resolved
            .filter(|_| registry)
            .and_then(|r| r.rsplit_once('#'))
            .map(|(_, f)| f)
        {
            if frag.len() != 40 || !frag.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(
                    "resolved",
                    format!("the URL fragment `#{frag}` is not a SHA-1 (40 hex digits)"),
                ));
            }
            if digest.is_empty() {
                digest.insert("sha1".into(), frag.to_ascii_lowercase());
            }
        }
        let mut extra = Map::new();
        if !registry {
            if let Some(r) = resolved {
                extra.insert("resolved".into(), Value::String(r.to_string()));
            }
        }
        let p = package(real_name, version, digest, None, None, extra);
        for spec in &e.specs {
            spec_purl.insert(spec.as_str(), p.purl.clone());
        }
        if let Some(slot) = entry_purl.last_mut() {
            *slot = Some(p.purl.clone());
        }
        pkgs.push(p);
    }
    let mut graph = DependencyGraph::default();
    graph.add_node(ROOT_REF);
    for (e, from) in entries.iter().zip(&entry_purl) {
        let Some(from) = from else {
            continue;
        };
        graph.add_node(from);
        for (dn, range) in &e.deps {
            if let Some(to) = spec_purl.get(format!("{dn}@{range}").as_str()) {
                graph.add_edge(from, to);
            }
        }
    }
    // The project's own dependencies come from the package.json beside the lockfile; with it,
    // a package reached only from devDependencies is a dev dependency.
    if let Some(manifest) = read_package_json(path) {
        let roots = |section: &str| -> Vec<String> {
            manifest
                .get(section)
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(n, r)| r.as_str().map(|r| format!("{n}@{r}")))
                        .filter_map(|spec| spec_purl.get(spec.as_str()).cloned())
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut prod_roots = roots("dependencies");
        prod_roots.extend(roots("optionalDependencies"));
        prod_roots.extend(roots("peerDependencies"));
        let dev_roots = roots("devDependencies");
        for r in prod_roots.iter().chain(&dev_roots) {
            graph.add_edge(ROOT_REF, r);
        }
        mark_dev(&mut pkgs, &graph, &prod_roots, &dev_roots);
    }
    Ok(Lockfile::new(
        path,
        name.to_string(),
        "yarn.lock v1".into(),
        pkgs,
        Some(graph),
    ))
}

/// Splits a yarn v1 header `"a@^1", b@^2` at commas outside quotes.
pub(super) fn split_specs(head: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut escaped = false;
    for c in head.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                in_quotes = !in_quotes;
                cur.push(c);
            }
            ',' if !in_quotes => {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}
