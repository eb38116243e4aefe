//! Which lockfiles a snapshot records, found in ONE walk of the work tree.
//!
//! **Default:** the lockfiles in the build's working directory and in its ancestors up to the
//! work-tree root (a workspace root above a member is covered). **Adding:** a
//! [`DiscoveryOptions::lockfiles`] entry is a path, or a glob matched against the path relative
//! to the work-tree root (`**`: every lockfile in the work tree). **Removing:**
//! [`DiscoveryOptions::exclude`] globs or paths. A `provseal.toml` at the work-tree root holds the
//! same settings in its `[materials]` table. Lockfiles found below the working directory that are
//! not recorded are listed in [`LockfileSet::unrecorded`], so a caller can say how to add them.
//! Outside a git work tree only the working directory itself is read, with no recursion, unless
//! a glob asks for more.
//!
//! The walk uses the `ignore` crate: `.gitignore` (and `.git/info/exclude`) are honoured, hidden
//! entries are skipped, symbolic links to directories are never followed, and the directories
//! in [`SKIP_DIRS`] (installed or generated trees) are not entered. The installed
//! `node_modules/.package-lock.json` beside a recorded directory's `package.json` is looked up
//! directly. Every claimed file is read once (bounded by [`MAX_LOCKFILE_SIZE`]) and handed to its
//! [`crate::lockfile::LockfileReader`]; a malformed lockfile fails the snapshot.
//!
//! ```no_run
//! use provseal_materials::discover::{collect_lockfiles, DiscoveryOptions};
//! use provseal_materials::CollectContext;
//! let ctx = CollectContext {
//!     root: ".".into(),
//!     discovery: DiscoveryOptions { lockfiles: vec!["**".into()], ..Default::default() },
//!     ..Default::default()
//! };
//! let set = collect_lockfiles(&ctx)?;
//! assert_eq!(set.stats.walks, 1);
//! # Ok::<(), provseal_materials::MaterialsError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};
use provseal_model::ResourceDescriptor;

use crate::files::io_err;
pub use crate::files::{
    display_name, lexical_normalize, line_col, read_regular_file, sha256_hex, MAX_LOCKFILE_SIZE,
};
use crate::lockfile::{self, file_descriptor, DependencyGraph, LockfileInput, LockfileReader};
use crate::{CollectContext, Collected, Collector, MaterialsError, Warning};

/// Directory names never descended into.
pub const SKIP_DIRS: &[&str] = &[
    "node_modules",
    ".venv",
    "venv",
    "target",
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    "site-packages",
];

/// Maximum directory depth below the walk's start.
pub const MAX_DEPTH: usize = 16;

/// The name of the configuration file at the work-tree root.
pub const CONFIG_FILE: &str = "provseal.toml";

/// Which lockfiles to record beyond the default; the `[materials]` table of `provseal.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryOptions {
    /// Paths (absolute, or relative to the work-tree root) or globs over paths relative to the
    /// work-tree root. `**` records every lockfile in the work tree.
    #[serde(default)]
    pub lockfiles: Vec<String>,
    /// Globs or paths (as for `lockfiles`) never recorded.
    #[serde(default)]
    pub exclude: Vec<String>,
}

#[derive(serde::Deserialize)]
struct ConfigFile {
    #[serde(default)]
    materials: Option<DiscoveryOptions>,
}

impl DiscoveryOptions {
    /// Reads the `[materials]` table of `provseal.toml` at `root`, if the file exists.
    pub fn from_config(root: &Path) -> Result<Option<DiscoveryOptions>, MaterialsError> {
        let path = root.join(CONFIG_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let text = fs_err::read_to_string(&path).map_err(|e| io_err(&path, e))?;
        let cfg: ConfigFile = toml::from_str(&text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| line_col(&text, s.start))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            MaterialsError::Malformed {
                path: path.clone(),
                line,
                column,
                field: "materials".into(),
                reason: e.message().to_string(),
            }
        })?;
        Ok(cfg.materials)
    }

    /// Adds another set of options (flags on top of the configuration file).
    pub fn extend(&mut self, other: DiscoveryOptions) {
        self.lockfiles.extend(other.lockfiles);
        self.exclude.extend(other.exclude);
    }
}

/// How much the walk did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalkStats {
    /// Recursive walks of the tree (at most one per snapshot).
    pub walks: u32,
    /// Directory entries visited, the ancestors' included.
    pub entries: u64,
    /// Lockfiles parsed.
    pub parsed: u32,
}

/// The recorded lockfiles of one snapshot.
#[derive(Debug, Clone, Default)]
pub struct LockfileSet {
    /// A descriptor per lockfile (and included file), then one per package.
    pub materials: Vec<ResourceDescriptor>,
    /// The merged dependency graph of every recorded lockfile that has one.
    pub graph: DependencyGraph,
    /// What the formats make optional and the files left out; walk problems.
    pub warnings: Vec<Warning>,
    /// Lockfiles found below the working directory and not recorded (recorded names).
    pub unrecorded: Vec<String>,
    /// The walk's counters.
    pub stats: WalkStats,
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

fn glob_set(patterns: &[&String]) -> Result<GlobSet, MaterialsError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = globset::GlobBuilder::new(p)
            .literal_separator(true)
            .build()
            .map_err(|e| MaterialsError::Selection {
                pattern: (*p).clone(),
                reason: crate::SelectionRefusal::Glob(e.kind().clone()),
            })?;
        b.add(g);
    }
    b.build().map_err(|e| MaterialsError::Selection {
        pattern: patterns
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        reason: crate::SelectionRefusal::Glob(e.kind().clone()),
    })
}

fn claimed(path: &Path) -> Option<&'static dyn LockfileReader> {
    let name = path.file_name()?.to_str()?;
    let parent = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap_or("");
    lockfile::reader_for(name, parent)
}

/// A file named explicitly that no reader claims by name: a `.txt`/`.in` file is a
/// requirements file.
fn reader_for_named(path: &Path) -> Option<&'static dyn LockfileReader> {
    claimed(path).or_else(|| {
        let n = path.file_name()?.to_str()?;
        (n.ends_with(".txt") || n.ends_with(".in")).then_some(&lockfile::python::PythonReader(
            lockfile::python::LockFormat::Requirements,
        ) as &dyn LockfileReader)
    })
}

fn is_regular_file(path: &Path, ft: std::fs::FileType) -> bool {
    ft.is_file() || (ft.is_symlink() && std::fs::metadata(path).is_ok_and(|m| m.is_file()))
}

/// Whether `root` is the root of a git work tree (it holds `.git`, a directory or a worktree's
/// file). Cheap: no process is started.
pub fn is_work_tree_root(root: &Path) -> bool {
    root.join(".git").exists()
}

/// Finds, selects, reads and parses the lockfiles of a snapshot (see the module docs).
pub fn collect_lockfiles(ctx: &CollectContext) -> Result<LockfileSet, MaterialsError> {
    let mut set = LockfileSet::default();
    if ctx.root.as_os_str().is_empty() {
        return Ok(set);
    }
    let root = lexical_normalize(&ctx.root);
    let cwd = if ctx.cwd.as_os_str().is_empty() {
        root.clone()
    } else {
        lexical_normalize(&ctx.cwd)
    };
    let in_git = is_work_tree_root(&root);
    let mut opts = if in_git {
        DiscoveryOptions::from_config(&root)?.unwrap_or_default()
    } else {
        DiscoveryOptions::default()
    };
    opts.extend(ctx.discovery.clone());
    let to_path = |p: &String| {
        let p = Path::new(p);
        lexical_normalize(&if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        })
    };
    let include_globs: Vec<&String> = opts.lockfiles.iter().filter(|p| is_glob(p)).collect();
    let include_paths: Vec<PathBuf> = opts
        .lockfiles
        .iter()
        .filter(|p| !is_glob(p))
        .map(to_path)
        .collect();
    let exclude_globs: Vec<&String> = opts.exclude.iter().filter(|p| is_glob(p)).collect();
    let exclude_paths: BTreeSet<PathBuf> = opts
        .exclude
        .iter()
        .filter(|p| !is_glob(p))
        .map(to_path)
        .collect();
    let includes = glob_set(&include_globs)?;
    let excludes = glob_set(&exclude_globs)?;

    // The one walk: from the root when a glob asks for the tree, else from the working
    // directory (its lockfiles, and deeper ones for the hint); outside git, no recursion.
    let (start, depth) = if !include_globs.is_empty() {
        (root.clone(), MAX_DEPTH)
    } else if in_git {
        (cwd.clone(), MAX_DEPTH)
    } else {
        (cwd.clone(), 1)
    };
    let mut found: Vec<PathBuf> = Vec::new();
    walk(&root, &start, depth, &mut found, &mut set);
    // The ancestors between the working directory and the root, when not walked already.
    if start != root {
        for dir in cwd.ancestors().skip(1) {
            if !dir.starts_with(&root) {
                break;
            }
            read_dir_claimed(&root, dir, &mut found, &mut set);
            if dir == root {
                break;
            }
        }
    }
    let default_dirs: BTreeSet<PathBuf> = cwd
        .ancestors()
        .take_while(|d| d.starts_with(&root))
        .map(Path::to_path_buf)
        .collect();
    // The installed npm tree beside a default directory's package.json.
    for dir in &default_dirs {
        let hidden = dir.join("node_modules").join(".package-lock.json");
        if dir.join("package.json").is_file() && hidden.is_file() {
            found.push(hidden);
        }
    }

    let excluded =
        |p: &Path| exclude_paths.contains(p) || excludes.is_match(display_name(&root, p));
    let mut selected: BTreeMap<PathBuf, &'static dyn LockfileReader> = BTreeMap::new();
    let mut unrecorded = Vec::new();
    for p in found {
        let Some(reader) = claimed(&p) else { continue };
        if excluded(&p) {
            continue;
        }
        let parent = p.parent().unwrap_or(&root);
        let in_default = default_dirs.contains(parent)
            || (parent.file_name().is_some_and(|n| n == "node_modules")
                && parent.parent().is_some_and(|d| default_dirs.contains(d)));
        if in_default || includes.is_match(display_name(&root, &p)) {
            selected.insert(p, reader);
        } else {
            unrecorded.push(display_name(&root, &p));
        }
    }
    for p in include_paths {
        if excluded(&p) {
            continue;
        }
        let meta = fs_err::metadata(&p).map_err(|e| MaterialsError::Io {
            path: p.clone(),
            source: e,
        })?;
        if !meta.is_file() {
            return Err(MaterialsError::Selection {
                pattern: display_name(&root, &p),
                reason: crate::SelectionRefusal::NotARegularFile,
            });
        }
        let reader = reader_for_named(&p).ok_or_else(|| MaterialsError::Selection {
            pattern: display_name(&root, &p),
            reason: crate::SelectionRefusal::UnknownFormat,
        })?;
        selected.insert(p, reader);
    }
    unrecorded.sort();
    unrecorded.dedup();
    set.unrecorded = unrecorded;

    // Parse in path order (the map is sorted).
    let mut recorded_files = BTreeSet::new();
    let mut recorded_packages = BTreeSet::new();
    for (path, reader) in selected {
        let name = display_name(&root, &path);
        if recorded_files.contains(&name) {
            continue; // recorded already, with its packages, as an include of another file
        }
        let bytes = read_regular_file(&path)?;
        let lock = lockfile::read(
            reader,
            &LockfileInput {
                root: &root,
                path: &path,
                name: &name,
                bytes: &bytes,
            },
        )?;
        set.stats.parsed += 1;
        if recorded_files.insert(name.clone()) {
            set.materials
                .push(file_descriptor(&name, &sha256_hex(&bytes), &lock.kind));
        }
        for inc in &lock.includes {
            if recorded_files.insert(inc.name.clone()) {
                set.materials
                    .push(file_descriptor(&inc.name, &inc.sha256, &lock.kind));
            }
        }
        // A package reached through an include and again as its own file is recorded once.
        for rd in lock.package_descriptors() {
            if recorded_packages.insert(serde_json::to_string(&rd).unwrap_or_default()) {
                set.materials.push(rd);
            }
        }
        if let Some(g) = &lock.graph {
            set.graph.merge(g);
        }
        set.warnings.extend(lock.warnings);
    }
    Ok(set)
}

fn walk(root: &Path, start: &Path, depth: usize, found: &mut Vec<PathBuf>, set: &mut LockfileSet) {
    set.stats.walks += 1;
    let walker = ignore::WalkBuilder::new(start)
        .follow_links(false)
        .max_depth(Some(depth))
        .hidden(true)
        .ignore(false)
        .git_global(false)
        .git_ignore(true)
        .git_exclude(true)
        .parents(true)
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_some_and(|t| t.is_dir())
                    && e.file_name()
                        .to_str()
                        .is_some_and(|n| SKIP_DIRS.contains(&n)))
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                set.warnings.push(Warning {
                    code: crate::diag::WarningCode::WalkError,
                    subject: display_name(root, start),
                    message: format!("cannot read directory entry: {e}"),
                });
                continue;
            }
        };
        set.stats.entries += 1;
        if entry.depth() == 0 {
            continue;
        }
        consider(root, entry.path(), entry.file_type(), found, set);
    }
}

fn read_dir_claimed(root: &Path, dir: &Path, found: &mut Vec<PathBuf>, set: &mut LockfileSet) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        set.stats.entries += 1;
        consider(root, &e.path(), e.file_type().ok(), found, set);
    }
}

fn consider(
    root: &Path,
    path: &Path,
    ft: Option<std::fs::FileType>,
    found: &mut Vec<PathBuf>,
    set: &mut LockfileSet,
) {
    if path.to_str().is_none() {
        let lossy = PathBuf::from(path.to_string_lossy().into_owned());
        if claimed(&lossy).is_none() {
            return;
        }
        set.warnings.push(Warning {
            code: crate::diag::WarningCode::NonUtf8Path,
            subject: display_name(root, path),
            message: "lockfile path is not valid UTF-8; skipped".into(),
        });
        return;
    }
    if claimed(path).is_none() {
        return;
    }
    match ft {
        Some(ft) if is_regular_file(path, ft) => found.push(path.to_path_buf()),
        _ => set.warnings.push(Warning {
            code: crate::diag::WarningCode::LockfileNotAFile,
            subject: display_name(root, path),
            message: "a lockfile name that is not a regular file; skipped".into(),
        }),
    }
}

/// The lockfiles as a [`Collector`] (for callers that assemble their own snapshot).
#[derive(Debug, Clone, Copy, Default)]
pub struct LockfileCollector;

impl Collector for LockfileCollector {
    fn name(&self) -> &'static str {
        "lockfiles"
    }

    fn collect(&self, ctx: &CollectContext) -> Result<Collected, MaterialsError> {
        let set = collect_lockfiles(ctx)?;
        Ok(Collected {
            materials: set.materials,
            warnings: set.warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_relative() {
        assert_eq!(
            display_name(Path::new("/a/b"), Path::new("/a/b/c/uv.lock")),
            "c/uv.lock"
        );
        assert_eq!(
            display_name(Path::new("/a/b"), Path::new("/x/uv.lock")),
            "/x/uv.lock"
        );
        assert_eq!(
            display_name(Path::new("/a/./b"), Path::new("/a/b/c/../d/./r.txt")),
            "d/r.txt"
        );
        assert_eq!(
            lexical_normalize(Path::new("../a/../../b")),
            Path::new("../../b")
        );
    }
}
