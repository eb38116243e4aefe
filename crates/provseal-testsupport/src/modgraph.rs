//! The module graph of a crate, from its `crate::` paths, and the cycles in it.
//!
//! Each top-level module (`src/foo.rs` or `src/foo/…`) is a node; `crate::bar` anywhere in
//! `foo`'s files (outside comments) is an edge `foo → bar`. A name the crate root re-exports
//! (`pub use bar::Thing;` in `lib.rs`) counts as an edge to the module it comes from.
//! Run over every crate by this crate's own test `no_module_import_cycles`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Edges between the top-level modules of the crate whose `src` directory is `src`.
pub fn module_edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let root_file = ["lib.rs", "main.rs"]
        .into_iter()
        .map(|f| src.join(f))
        .find(|p| p.is_file());
    let root_text = root_file
        .as_ref()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap_or_default();
    // module of each re-exported name: `pub use module::{A, B};` / `pub use module::A;`
    let mut reexports: BTreeMap<String, String> = BTreeMap::new();
    for stmt in root_text.split(';') {
        let stmt = strip_comments(stmt);
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        let names = names.trim().trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.split(" as ").last().unwrap_or("").trim();
            if !name.is_empty() {
                reexports.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut text = String::new();
        collect_text(&path, &mut text);
        modules.insert(name, text);
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, text) in &modules {
        let targets = edges.entry(name.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let after = &text[i + "crate::".len()..];
            let ident: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let target = if modules.contains_key(&ident) {
                Some(ident)
            } else {
                reexports.get(&ident).cloned()
            };
            if let Some(t) = target.filter(|t| t != name && modules.contains_key(t)) {
                targets.insert(t);
            }
        }
    }
    edges
}

/// The cycles of `edges` (each as the list of modules around it), empty when there are none.
pub fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(pos) = stack.iter().position(|n| n == node) {
            found.push(stack[pos..].to_vec());
            return;
        }
        if done.contains(node) {
            return;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, stack, done, found);
        }
        stack.pop();
        done.insert(node.to_owned());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        visit(node, edges, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

fn collect_text(path: &Path, out: &mut String) {
    for file in crate::rust_files(path) {
        out.push_str(&strip_comments(&std::fs::read_to_string(file).unwrap()));
        out.push('\n');
    }
}

/// The text without `//` comments (doc comments included), line by line.
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_planted_cycle() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path();
        std::fs::write(
            src.join("lib.rs"),
            "mod a; mod b; mod c;\npub use c::Thing;\n",
        )
        .unwrap();
        std::fs::write(
            src.join("a.rs"),
            "use crate::b::X;\n// crate::c in a comment\n",
        )
        .unwrap();
        std::fs::write(src.join("b.rs"), "fn f() -> crate::Thing { todo!() }\n").unwrap();
        std::fs::write(src.join("c.rs"), "pub struct Thing;\n").unwrap();
        let edges = module_edges(src);
        assert!(cycles(&edges).is_empty(), "{edges:?}");
        std::fs::write(src.join("c.rs"), "use crate::a::Y;\npub struct Thing;\n").unwrap();
        let found = cycles(&module_edges(src));
        assert_eq!(found, vec![vec!["a".to_owned(), "b".into(), "c".into()]]);
    }

    #[test]
    fn no_module_import_cycles() {
        let crates = crate::workspace_root().join("crates");
        let mut all = Vec::new();
        for entry in std::fs::read_dir(&crates).unwrap().flatten() {
            let src = entry.path().join("src");
            let name = entry.file_name().to_string_lossy().into_owned();
            if src.is_dir() {
                for cycle in cycles(&module_edges(&src)) {
                    all.push(format!("{}: {}", name, cycle.join(" → ")));
                }
            }
        }
        assert!(all.is_empty(), "module import cycles:\n{}", all.join("\n"));
    }
}
