//! What the Node.js lockfile readers share (one file per format beside it: `package_lock.rs`,
//! `yarn.rs` with `yarn_berry.rs`, `pnpm.rs`, `bun.rs`). The formats: `package-lock.json` and `npm-shrinkwrap.json` (lockfileVersion 1, 2, 3),
//! the installed `node_modules/.package-lock.json`, `yarn.lock` (v1 and berry), and
//! `pnpm-lock.yaml` (lockfileVersion 5.x, 6.x and 9.x).
//!
//! Every registry package becomes `pkg:npm/<name>@<version>` (a scope is the purl namespace:
//! `pkg:npm/%40scope/name@1.0.0`), with the digest of its `integrity` (SRI `sha512-<base64>` →
//! `sha512` hex; `sha1-…` → `sha1`; yarn v1 without `integrity` → the `sha1` in the `resolved`
//! URL's fragment). Local packages (the project itself, workspace members, `link:`/`file:`
//! packages) are not external dependencies and are not recorded; git and tarball-URL packages
//! are recorded with their `resolved` source as an annotation.
//!
//! `dev`/`optional` annotations come from the lockfile where it records them (`package-lock`
//! `dev`/`optional`, pnpm 5/6 `dev`/`optional`; pnpm 9 from what the importers' dev and non-dev
//! dependencies reach; yarn v1 and berry `dev` likewise, with the project's `devDependencies`
//! taken from the `package.json` beside the lockfile — without it, `dev` is absent). `optional`
//! is absent for yarn, which does not record it per package. Every format but
//! `package-lock.json` v1 comes with its dependency graph. Yarn berry `checksum`s are hashes of Yarn's own cache archives,
//! not of the npm tarball, so they are kept as the `yarnChecksum` annotation, not as a digest.
//!
//! ```
//! use provseal_materials::node::parse_package_lock;
//! let lock = br#"{"lockfileVersion": 3, "packages": {"": {"name": "app"},
//!   "node_modules/@scope/x": {"version": "1.0.0", "dev": true}}}"#;
//! let parsed = parse_package_lock(lock, std::path::Path::new("package-lock.json"), "package-lock.json").unwrap();
//! assert_eq!(parsed.packages[0].purl, "pkg:npm/%40scope/x@1.0.0");
//! assert_eq!(parsed.packages[0].dev, Some(true));
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

pub use super::package_lock::parse_package_lock;
pub use super::pnpm::parse_pnpm_lock;
pub use super::yarn::parse_yarn_lock;
use super::{Lockfile, Package};
use crate::MaterialsError;

/// Reads and parses a Node lockfile, choosing the format by file name (`yarn.lock`,
/// `pnpm-lock.yaml`, else `package-lock.json` / `.package-lock.json`). `name` is the path
/// recorded in annotations.
pub fn parse_lockfile(path: &Path, name: &str) -> Result<Lockfile, MaterialsError> {
    parse_lockfile_bytes(path, name, &crate::files::read_regular_file(path)?)
}

/// [`parse_lockfile`] over bytes already read.
pub fn parse_lockfile_bytes(
    path: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<Lockfile, MaterialsError> {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match file_name {
        "yarn.lock" => parse_yarn_lock(super::utf8(bytes, path)?, path, name),
        "pnpm-lock.yaml" => parse_pnpm_lock(super::utf8(bytes, path)?, path, name),
        _ => parse_package_lock(bytes, path, name),
    }
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/// `pkg:npm/…` for an npm package name (`@scope/name` or `name`).
pub fn npm_purl(name: &str, version: &str) -> String {
    let (ns, base) = split_scope(name);
    crate::purl::package_url("npm", ns, base, Some(version))
}

pub(super) fn split_scope(name: &str) -> (Option<&str>, &str) {
    if name.starts_with('@') {
        if let Some((scope, base)) = name.split_once('/') {
            return (Some(scope), base);
        }
    }
    (None, name)
}

/// Splits `name@rest` where `name` may start with `@` (a scope).
pub(super) fn split_name_at(spec: &str) -> Option<(&str, &str)> {
    let start = usize::from(spec.starts_with('@'));
    let idx = spec.get(start..)?.find('@')? + start;
    Some((spec.get(..idx)?, spec.get(idx + 1..)?))
}

pub(super) fn package(
    name: &str,
    version: &str,
    digest: BTreeMap<String, String>,
    dev: Option<bool>,
    optional: Option<bool>,
    extra: Map<String, Value>,
) -> Package {
    Package {
        purl: npm_purl(name, version),
        name: name.to_string(),
        version: version.to_string(),
        digest,
        dev,
        optional,
        extra,
    }
}

/// Whether an npm `resolved` value points at a registry tarball (or is absent: npm may omit it).
pub(super) fn is_registry_resolved(resolved: Option<&str>) -> bool {
    match resolved {
        None => true,
        Some(r) => {
            (r.starts_with("https://") || r.starts_with("http://"))
                && r.contains("/-/")
                && r.ends_with(".tgz")
        }
    }
}

pub(super) fn source_extra(resolved: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(r) = resolved {
        if !is_registry_resolved(Some(r)) {
            m.insert("resolved".into(), Value::String(r.to_string()));
        }
    }
    m
}

pub(super) fn is_local_ref(r: &str) -> bool {
    r.starts_with("file:") || r.starts_with("link:") || r.starts_with("workspace:")
}

/// Marks each package as a dev dependency when the dev roots reach it and the production roots
/// do not.
pub(super) fn mark_dev(
    pkgs: &mut [Package],
    graph: &super::DependencyGraph,
    prod_roots: &[String],
    dev_roots: &[String],
) {
    let prod = graph.reachable(prod_roots);
    let dev = graph.reachable(dev_roots);
    for p in pkgs {
        p.dev = Some(dev.contains(&p.purl) && !prod.contains(&p.purl));
    }
}

/// The `package.json` beside a lockfile, if it is there and is a JSON object.
pub(super) fn read_package_json(lockfile: &Path) -> Option<Map<String, Value>> {
    let p = lockfile.with_file_name("package.json");
    if !p.is_file() {
        return None;
    }
    let bytes = crate::files::read_regular_file(&p).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A YAML scalar that may be typed as a string, number or bool.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
pub(super) enum Scalar {
    S(String),
    I(i64),
    F(f64),
    B(bool),
}

impl Scalar {
    pub(super) fn text(&self) -> String {
        match self {
            Scalar::S(s) => s.clone(),
            Scalar::I(i) => i.to_string(),
            Scalar::F(f) => f.to_string(),
            Scalar::B(b) => b.to_string(),
        }
    }
}

/// YAML options with a budget scaled to the input size (the defaults reject large lockfiles).
pub(super) fn yaml_options(len: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = budget.max_events.max(len.saturating_mul(2));
    budget.max_nodes = budget.max_nodes.max(len);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(len.saturating_mul(2));
    budget.max_reader_input_bytes = Some(len.saturating_add(1024).max(1 << 20));
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

#[cfg(test)]
mod tests {
    use super::super::package_lock::{name_from_key, parent_key};
    use super::super::pnpm::pnpm_key;
    use super::super::yarn::split_specs;
    use super::*;

    #[test]
    fn keys_and_names() {
        assert_eq!(
            name_from_key("node_modules/a/node_modules/@s/b"),
            Some("@s/b")
        );
        assert_eq!(name_from_key("packages/x"), None);
        assert_eq!(
            parent_key("node_modules/a/node_modules/b"),
            "node_modules/a"
        );
        assert_eq!(parent_key("node_modules/@s/b"), "");
        assert_eq!(parent_key("packages/u/node_modules/ms"), "packages/u");
        assert_eq!(split_name_at("@s/x@^1.0"), Some(("@s/x", "^1.0")));
        assert_eq!(split_name_at("x@npm:y@1"), Some(("x", "npm:y@1")));
        assert_eq!(split_name_at("nover"), None);
        assert_eq!(
            pnpm_key("/@s/x@1.2.3(peer@1.0.0)", false),
            Some(("@s/x".into(), "1.2.3".into()))
        );
        assert_eq!(
            pnpm_key("/@s/x/1.2.3_peer@1.0.0", true),
            Some(("@s/x".into(), "1.2.3".into()))
        );
        assert_eq!(
            split_specs(r#""@a/b@^1", c@2, "d@npm:e@^3""#),
            vec![r#""@a/b@^1""#, "c@2", r#""d@npm:e@^3""#]
        );
    }
}
