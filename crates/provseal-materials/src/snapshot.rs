//! A snapshot of everything a build depends on, and the drift between two snapshots.
//!
//! [`snapshot`] records the git source ([`crate::git::source_info`]; its descriptor is the first
//! material), runs every collector, and picks the allow-listed environment variables
//! ([`crate::env_vars::select`]). [`diff`] compares a before-build and an after-build snapshot.
//!
//! How drift matches materials: a package descriptor (`uri` a `pkg:` purl) is identified by its
//! purl without version, qualifiers and subpath, within its scope (the `lockfile` or `pythonEnv`
//! annotation); a lockfile descriptor (annotation `lockfileFormat`) by its `name`. Equal identity and equal `uri`+`digest` is
//! unchanged; otherwise a one-to-one pair is `changed` (old/new version and digest) and anything
//! else is `added` or `removed`. The git source is compared through [`Snapshot::source`].
//!
//! ```no_run
//! use provseal_materials::{snapshot, CollectContext};
//! let ctx = CollectContext { root: ".".into(), ..Default::default() };
//! let collectors = snapshot::default_collectors();
//! let refs: Vec<_> = collectors.iter().map(|c| c.as_ref()).collect();
//! let before = snapshot::snapshot(&ctx, &refs)?;
//! // … the build runs …
//! let after = snapshot::snapshot(&ctx, &refs)?;
//! let drift = snapshot::diff(&before, &after);
//! if !drift.is_empty() {
//!     eprintln!("{} added, {} removed, {} changed", drift.added.len(), drift.removed.len(), drift.changed.len());
//! }
//! # Ok::<(), provseal_materials::MaterialsError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use provseal_model::vocab::annotation;
use provseal_model::ResourceDescriptor;
use serde_json::Value;

use crate::discover::{collect_lockfiles, WalkStats};
use crate::git::{source_info, SourceInfo, TreeState};
use crate::lockfile::DependencyGraph;
use crate::{env_vars, CollectContext, Collector, MaterialsError, UnbornHead, Warning};

/// Everything recorded before (or after) a build.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// The git source; `None` outside a git work tree.
    pub source: Option<SourceInfo>,
    /// The materials: the source descriptor first, then each collector's, in collector order.
    pub materials: Vec<ResourceDescriptor>,
    /// The recorded environment variables (allow-list plus `--env`).
    pub env_vars: BTreeMap<String, String>,
    /// Non-fatal problems, each naming its file or item.
    pub warnings: Vec<Warning>,
    /// The dependency graph of the recorded lockfiles (bom-ref → the refs it depends on).
    #[serde(default, skip_serializing_if = "DependencyGraph::is_empty")]
    pub graph: DependencyGraph,
    /// Lockfiles found below the working directory that were not recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unrecorded_lockfiles: Vec<String>,
    /// How much the one walk of the tree did.
    #[serde(default)]
    pub walk: WalkStats,
}

/// The collectors `provseal run` and `provseal materials` use besides the lockfiles (which
/// [`snapshot`] always records, from its one walk).
pub fn default_collectors() -> Vec<Box<dyn Collector>> {
    vec![Box::new(crate::python_env::PythonEnvCollector)]
}

/// Takes a snapshot: git source, every collector, environment variables. A collector's error (or
/// a refused secret variable, or a repository without commits) fails the snapshot; per-file
/// problems are warnings. Identical descriptors reported twice are kept once. Do not pass
/// [`crate::git::GitCollector`] here: the source is recorded already.
pub fn snapshot(
    ctx: &CollectContext,
    collectors: &[&dyn Collector],
) -> Result<Snapshot, MaterialsError> {
    let (env_vars, mut warnings) = env_vars::select(&ctx.env, &ctx.extra_env)?;
    let source = match source_info(&ctx.root) {
        Err(e @ MaterialsError::GitNoCommit { .. }) if ctx.unborn == UnbornHead::Warn => {
            warnings.push(Warning {
                code: crate::diag::WarningCode::SourceNoCommit,
                subject: ".".into(),
                message: e.to_string(),
            });
            None
        }
        other => other?,
    };
    let mut materials = Vec::new();
    if let Some(s) = &source {
        materials.push(s.to_resource_descriptor());
    }
    let mut seen = BTreeSet::new();
    let locks = collect_lockfiles(ctx)?;
    warnings.extend(locks.warnings);
    let lock_collected = crate::Collected {
        materials: locks.materials,
        warnings: Vec::new(),
    };
    let mut others = Vec::new();
    for c in collectors {
        others.push(c.collect(ctx)?);
    }
    for got in std::iter::once(lock_collected).chain(others) {
        for m in got.materials {
            let key = serde_json::to_string(&m).unwrap_or_default();
            if seen.insert(key) {
                materials.push(m);
            }
        }
        warnings.extend(got.warnings);
    }
    Ok(Snapshot {
        source,
        materials,
        env_vars,
        warnings,
        graph: locks.graph,
        unrecorded_lockfiles: locks.unrecorded,
        walk: locks.stats,
    })
}

/// [`snapshot`] with [`default_collectors`].
pub fn snapshot_default(ctx: &CollectContext) -> Result<Snapshot, MaterialsError> {
    let collectors = default_collectors();
    let refs: Vec<&dyn Collector> = collectors.iter().map(|c| c.as_ref()).collect();
    snapshot(ctx, &refs)
}

pub use provseal_model::vocab::{Changed, Drift, MaterialRef};

#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Class {
    Lockfile,
    Package,
}

fn annotation_str<'a>(rd: &'a ResourceDescriptor, key: &str) -> Option<&'a str> {
    rd.annotations.get(key).and_then(Value::as_str)
}

/// (class, key, scope) of a material.
type Identity = (Class, String, Option<String>);

/// The identity of a material; `None` for the git source and unclassifiable ones.
fn identity(rd: &ResourceDescriptor) -> Option<Identity> {
    // The git source (a `git+…` uri with its commit), not a package that happens to be pinned
    // to a commit (a git-sourced Cargo or npm package has a `pkg:` uri).
    let is_package_uri = rd.uri().is_some_and(|u| u.starts_with("pkg:"));
    if rd.digest.get("gitCommit").is_some() && rd.name().is_none() && !is_package_uri {
        return None;
    }
    if rd.annotations.contains_key(annotation::LOCKFILE_FORMAT) {
        return rd.name().map(|n| (Class::Lockfile, n.to_string(), None));
    }
    let scope = annotation_str(rd, annotation::LOCKFILE)
        .or_else(|| annotation_str(rd, annotation::PYTHON_ENV))
        .map(str::to_string);
    if let Some(uri) = rd.uri() {
        let key = if uri.starts_with("pkg:") {
            purl_base(uri)
        } else {
            uri.to_string()
        };
        return Some((Class::Package, key, scope));
    }
    let key = match rd.name() {
        Some(n) => n.to_string(),
        // Neither uri nor name: identified by its digests.
        None => rd
            .digest
            .iter()
            .map(|(a, h)| format!("{a}:{h}"))
            .collect::<Vec<_>>()
            .join(","),
    };
    Some((Class::Package, key, scope))
}

/// A purl without `#subpath`, `?qualifiers` and `@version` (the `@` of the version is the last
/// one before the qualifiers; a `%40` scope is encoded and never confused with it).
fn purl_base(purl: &str) -> String {
    let s = purl.split('#').next().unwrap_or(purl);
    let s = s.split('?').next().unwrap_or(s);
    match s.rfind('@') {
        Some(i) if s.get(..i).is_some_and(|h| h.contains('/')) => {
            s.get(..i).unwrap_or(s).to_string()
        }
        _ => s.to_string(),
    }
}

fn as_ref(rd: &ResourceDescriptor, scope: &Option<String>) -> MaterialRef {
    MaterialRef {
        id: rd
            .uri()
            .or_else(|| rd.name())
            .unwrap_or_default()
            .to_string(),
        scope: scope.clone(),
        digest: rd.digest.iter().map(|(a, h)| format!("{a}:{h}")).collect(),
    }
}

/// Compares two snapshots.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Drift {
    type Groups<'a> = BTreeMap<Identity, Vec<&'a ResourceDescriptor>>;
    let group = |s: &'_ Snapshot| -> Vec<(Identity, ResourceDescriptor)> {
        s.materials
            .iter()
            .filter_map(|m| identity(m).map(|id| (id, m.clone())))
            .collect()
    };
    let b_list = group(before);
    let a_list = group(after);
    let mut b: Groups = BTreeMap::new();
    for (k, m) in &b_list {
        b.entry(k.clone()).or_default().push(m);
    }
    let mut a: Groups = BTreeMap::new();
    for (k, m) in &a_list {
        a.entry(k.clone()).or_default().push(m);
    }
    let same =
        |x: &ResourceDescriptor, y: &ResourceDescriptor| x.uri == y.uri && x.digest == y.digest;
    let mut drift = Drift::default();
    let keys: BTreeSet<_> = b.keys().chain(a.keys()).cloned().collect();
    for key in keys {
        let mut olds: Vec<&ResourceDescriptor> = b.get(&key).cloned().unwrap_or_default();
        let mut news: Vec<&ResourceDescriptor> = a.get(&key).cloned().unwrap_or_default();
        // Exact matches are unchanged.
        olds.retain(|o| {
            if let Some(i) = news.iter().position(|n| same(o, n)) {
                news.remove(i);
                false
            } else {
                true
            }
        });
        let (class, id, scope) = &key;
        match (olds.as_slice(), news.as_slice()) {
            ([], []) => {}
            ([o], [n]) => {
                let c = Changed {
                    key: id.clone(),
                    scope: scope.clone(),
                    old: as_ref(o, scope),
                    new: as_ref(n, scope),
                };
                match class {
                    Class::Lockfile => drift.lockfiles_changed.push(c),
                    Class::Package => drift.changed.push(c),
                }
            }
            _ => match class {
                Class::Lockfile => {
                    let empty = MaterialRef {
                        id: id.clone(),
                        scope: None,
                        digest: Vec::new(),
                    };
                    for o in &olds {
                        drift.lockfiles_changed.push(Changed {
                            key: id.clone(),
                            scope: None,
                            old: as_ref(o, scope),
                            new: empty.clone(),
                        });
                    }
                    for n in &news {
                        drift.lockfiles_changed.push(Changed {
                            key: id.clone(),
                            scope: None,
                            old: empty.clone(),
                            new: as_ref(n, scope),
                        });
                    }
                }
                Class::Package => {
                    drift.removed.extend(olds.iter().map(|o| as_ref(o, scope)));
                    drift.added.extend(news.iter().map(|n| as_ref(n, scope)));
                }
            },
        }
    }
    let dirty = |s: &Snapshot| -> Option<BTreeSet<String>> {
        s.source.as_ref().map(|src| match &src.tree_state {
            TreeState::Clean => BTreeSet::new(),
            TreeState::Dirty { paths } => paths.iter().cloned().collect(),
        })
    };
    if let (Some(bs), Some(as_)) = (&before.source, &after.source) {
        drift.source_commit_changed = bs.commit != as_.commit;
        drift.source_became_dirty = bs.tree_state.is_clean() && !as_.tree_state.is_clean();
        let (Some(bd), Some(ad)) = (dirty(before), dirty(after)) else {
            return drift;
        };
        drift.new_dirty_paths = ad.difference(&bd).cloned().collect();
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;
    use provseal_model::DigestSet;

    fn pkg(uri: &str, scope: &str, sha: &str) -> ResourceDescriptor {
        let mut rd = ResourceDescriptor::with_uri(uri, DigestSet::from_iter([("sha256", sha)]));
        rd.annotations.insert("lockfile".into(), scope.into());
        rd
    }

    #[test]
    fn purl_bases() {
        assert_eq!(purl_base("pkg:npm/%40s/n@1.0.0?x=1#p"), "pkg:npm/%40s/n");
        assert_eq!(purl_base("pkg:pypi/a@1"), "pkg:pypi/a");
        assert_eq!(purl_base("pkg:pypi/a"), "pkg:pypi/a");
    }

    #[test]
    fn drift_cases() {
        let lock = |sha: &str| {
            let mut rd =
                ResourceDescriptor::named("uv.lock", DigestSet::from_iter([("sha256", sha)]));
            rd.annotations
                .insert("lockfileFormat".into(), "uv.lock".into());
            rd
        };
        let before = Snapshot {
            materials: vec![
                lock("aa"),
                pkg("pkg:pypi/a@1", "uv.lock", "01"),
                pkg("pkg:pypi/b@1", "uv.lock", "02"),
                pkg("pkg:npm/x@1", "package-lock.json", "03"),
                pkg("pkg:npm/x@2", "package-lock.json", "04"),
            ],
            ..Default::default()
        };
        assert!(diff(&before, &before).is_empty());
        let after = Snapshot {
            materials: vec![
                lock("bb"),
                pkg("pkg:pypi/a@2", "uv.lock", "05"),
                pkg("pkg:pypi/c@1", "uv.lock", "06"),
                pkg("pkg:npm/x@1", "package-lock.json", "03"),
                pkg("pkg:npm/x@2", "package-lock.json", "04"),
            ],
            ..Default::default()
        };
        let d = diff(&before, &after);
        assert_eq!(
            d.added.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            ["pkg:pypi/c@1"]
        );
        assert_eq!(
            d.removed.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            ["pkg:pypi/b@1"]
        );
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].old.id, "pkg:pypi/a@1");
        assert_eq!(d.changed[0].new.id, "pkg:pypi/a@2");
        assert_eq!(d.changed[0].new.digest, ["sha256:05"]);
        assert_eq!(d.lockfiles_changed.len(), 1);
        assert_eq!(d.lockfiles_changed[0].old.digest, ["sha256:aa"]);
        assert!(!d.is_empty());
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(j["changed"][0]["scope"], "uv.lock");
    }
}
