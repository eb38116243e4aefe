//! `yarn.lock` of Yarn berry (YAML with `__metadata`); read through [`super::yarn::YarnReader`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::node::{mark_dev, package, read_package_json, split_name_at, yaml_options, Scalar};
use super::{parse_error, DependencyGraph, Lockfile, ROOT_REF};
use crate::MaterialsError;

#[derive(Deserialize, Default)]
#[serde(default)]
struct BerryEntry {
    version: Option<Scalar>,
    resolution: Option<String>,
    checksum: Option<String>,
    dependencies: BTreeMap<String, Scalar>,
    #[serde(rename = "optionalDependencies")]
    optional_dependencies: BTreeMap<String, Scalar>,
}

/// A Yarn berry `checksum`: the SHA-512 of Yarn's cache archive as 128 hex digits, after an
/// optional cache key (`10c0/…`).
fn is_berry_checksum(c: &str) -> bool {
    let hex = match c.split_once('/') {
        Some((key, hex)) => {
            if !key.bytes().all(|b| b.is_ascii_alphanumeric()) || key.is_empty() {
                return false;
            }
            hex
        }
        None => c,
    };
    hex.len() == 128 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(super) fn parse_yarn_berry(
    text: &str,
    path: &Path,
    name: &str,
) -> Result<Lockfile, MaterialsError> {
    let map: BTreeMap<String, BerryEntry> =
        serde_saphyr::from_str_with_options(text, yaml_options(text.len()))
            .map_err(|e| super::unparsable(path, "YAML", e))?;
    let mut pkgs = Vec::new();
    let mut meta_version = String::new();
    // descriptor ("name@npm:^1.0.0") → graph ref; entry key → graph ref
    let mut desc_ref: HashMap<&str, String> = HashMap::new();
    let mut key_ref: Vec<(&BerryEntry, String, bool)> = Vec::new();
    for (key, e) in &map {
        if key == "__metadata" {
            meta_version = e.version.as_ref().map(Scalar::text).unwrap_or_default();
            continue;
        }
        let Some(resolution) = e.resolution.as_deref() else {
            return Err(parse_error(
                path,
                format!("entry `{key}` has no resolution"),
            ));
        };
        let Some((pkg_name, reference)) = split_name_at(resolution) else {
            return Err(parse_error(
                path,
                format!("entry `{key}`: cannot split resolution `{resolution}`"),
            ));
        };
        let mut extra = Map::new();
        if let Some(c) = &e.checksum {
            if !is_berry_checksum(c) {
                let (line, column) = super::position_of(text, &format!("checksum: {c}"));
                return Err(MaterialsError::Malformed {
                    path: path.to_path_buf(),
                    line,
                    column,
                    field: "checksum".into(),
                    reason: "not a Yarn checksum (`<cache key>/<128 hex digits>`)".into(),
                });
            }
            extra.insert("yarnChecksum".into(), Value::String(c.clone()));
        }
        let is_root_workspace = reference == "workspace:.";
        let version = if let Some(v) = reference.strip_prefix("npm:") {
            v.to_string()
        } else if reference.starts_with("workspace:")
            || reference.starts_with("link:")
            || reference.starts_with("portal:")
            || reference.starts_with("file:")
            || reference.starts_with("patch:")
        {
            // Local packages (folded into the root of the graph); a `patch:` entry is the
            // patched copy of an `npm:` entry that the lockfile also lists.
            for d in key.split(", ") {
                desc_ref.insert(d.trim(), ROOT_REF.to_string());
            }
            key_ref.push((e, ROOT_REF.to_string(), is_root_workspace));
            continue;
        } else {
            extra.insert("resolved".into(), Value::String(reference.to_string()));
            match &e.version {
                Some(v) => v.text(),
                None => continue,
            }
        };
        let p = package(pkg_name, &version, BTreeMap::new(), None, None, extra);
        for d in key.split(", ") {
            desc_ref.insert(d.trim(), p.purl.clone());
        }
        key_ref.push((e, p.purl.clone(), false));
        pkgs.push(p);
    }
    let manifest = read_package_json(path);
    let dev_names: BTreeSet<&str> = manifest
        .as_ref()
        .and_then(|m| m.get("devDependencies"))
        .and_then(Value::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut graph = DependencyGraph::default();
    graph.add_node(ROOT_REF);
    let mut prod_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for (e, from, is_root_workspace) in &key_ref {
        graph.add_node(from);
        for (dn, range) in e.dependencies.iter().chain(&e.optional_dependencies) {
            let Some(to) = desc_ref.get(format!("{dn}@{}", range.text()).as_str()) else {
                continue;
            };
            graph.add_edge(from, to);
            if from == ROOT_REF {
                if *is_root_workspace && dev_names.contains(dn.as_str()) {
                    dev_roots.push(to.clone());
                } else {
                    prod_roots.push(to.clone());
                }
            }
        }
    }
    if manifest.is_some() {
        mark_dev(&mut pkgs, &graph, &prod_roots, &dev_roots);
    }
    Ok(Lockfile::new(
        path,
        name.to_string(),
        format!("yarn.lock berry (metadata version {meta_version})"),
        pkgs,
        Some(graph),
    ))
}
