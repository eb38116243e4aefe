//! `uv.lock` (see [`super::python`]).

use std::collections::BTreeSet;

use super::python::*;
use crate::git::strip_credentials;
use crate::purl::normalize_pypi_name;

pub(super) fn parse_uv(text: &str) -> Result<Vec<LockedPackage>, TomlFault> {
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
    type Queue = Vec<(usize, Kind, Vec<String>)>;
    // Each dependency table: the nodes it names, with the extras it asks of them.
    let push_deps = |deps: &[toml::Value], kind: Kind, queue: &mut Queue| {
        for d in deps.iter().filter_map(toml::Value::as_table) {
            let extras: Vec<String> = tarr(d, "extra")
                .iter()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect();
            for i in find(d) {
                queue.push((i, kind, extras.clone()));
            }
        }
    };
    let mut queue: Queue = Vec::new();
    for node in nodes.iter().filter(|n| n.member) {
        push_deps(tarr(node.table, "dependencies"), Kind::Main, &mut queue);
        for (key, kind) in [
            ("optional-dependencies", Kind::Optional),
            ("dev-dependencies", Kind::Dev),
        ] {
            if let Some(t) = node.table.get(key).and_then(toml::Value::as_table) {
                for deps in t.values().filter_map(toml::Value::as_array) {
                    push_deps(deps, kind, &mut queue);
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
        push_deps(tarr(node.table, "dependencies"), kind, &mut queue);
        if let Some(t) = node
            .table
            .get("optional-dependencies")
            .and_then(toml::Value::as_table)
        {
            for e in &extras {
                push_deps(tarr(t, e), kind, &mut queue);
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
