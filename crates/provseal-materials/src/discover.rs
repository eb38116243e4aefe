//! Finding lockfiles under a source root, and reading them safely.
//!
//! The walk never follows symbolic links to directories (so a symlink loop cannot hang it), is
//! bounded in depth and in the number of entries it visits, and skips directories that hold
//! installed or generated trees rather than the project's own lockfiles ([`SKIP_DIRS`]). A
//! symbolic link to a *file* is still considered. A lockfile whose path is not valid UTF-8 is
//! reported as a [`Warning`] (`non-utf8-path`) and skipped — it could not be named faithfully in
//! the provenance.

use std::path::{Path, PathBuf};

use crate::{MaterialsError, Warning};

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

/// Maximum directory depth below the root.
pub const MAX_DEPTH: usize = 16;

/// Maximum number of directory entries visited in one walk.
pub const MAX_ENTRIES: usize = 500_000;

/// Largest lockfile read (bytes); larger files are reported, not parsed.
pub const MAX_LOCKFILE_SIZE: u64 = 128 * 1024 * 1024;

/// Walks `root` and returns the files for which `is_lockfile(file_name, parent_dir_name)` holds,
/// sorted, plus warnings (unreadable directories, non-UTF-8 names, a lockfile name that is a
/// directory, the walk limit). `parent_dir_name` is the name of the containing directory (`""`
/// at the root).
pub fn find_lockfiles(
    root: &Path,
    is_lockfile: &dyn Fn(&str, &str) -> bool,
) -> (Vec<PathBuf>, Vec<Warning>) {
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .max_depth(MAX_DEPTH)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_dir()
                    && e.file_name()
                        .to_str()
                        .is_some_and(|n| SKIP_DIRS.contains(&n)))
        });
    let mut visited = 0usize;
    for entry in walker {
        visited += 1;
        if visited > MAX_ENTRIES {
            warnings.push(Warning {
                code: "walk-limit".into(),
                subject: ".".into(),
                message: format!(
                    "stopped looking for lockfiles after {MAX_ENTRIES} entries; name further lockfiles with --lockfile"
                ),
            });
            break;
        }
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let subject = e
                    .path()
                    .map(|p| display_name(root, p))
                    .unwrap_or_else(|| root.display().to_string());
                warnings.push(Warning {
                    code: "walk-error".into(),
                    subject,
                    message: format!("cannot read directory entry: {e}"),
                });
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let parent = entry
            .path()
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or("");
        let parent = if entry.depth() == 1 { "" } else { parent };
        let lossy = entry.file_name().to_string_lossy();
        if !is_lockfile(&lossy, parent) {
            continue;
        }
        if entry.path().to_str().is_none() {
            warnings.push(Warning {
                code: "non-utf8-path".into(),
                subject: display_name(root, entry.path()),
                message: "lockfile path is not valid UTF-8; skipped".into(),
            });
            continue;
        }
        let ft = entry.file_type();
        // A symlink to a file counts; a symlink to a directory (or a dangling one) does not.
        let is_file = ft.is_file()
            || (ft.is_symlink() && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()));
        if is_file {
            found.push(entry.into_path());
        } else if ft.is_dir() {
            warnings.push(Warning {
                code: "lockfile-not-a-file".into(),
                subject: display_name(root, entry.path()),
                message: "a lockfile name that is a directory; skipped".into(),
            });
        } else if ft.is_symlink() {
            warnings.push(Warning {
                code: "lockfile-not-a-file".into(),
                subject: display_name(root, entry.path()),
                message: "a lockfile name that is a dangling or non-file symbolic link; skipped"
                    .into(),
            });
        }
    }
    found.sort();
    (found, warnings)
}

/// The name a file is recorded under: its path relative to `root` with `/` separators, or the
/// path as given when it lies outside `root`.
pub fn display_name(root: &Path, path: &Path) -> String {
    let path = lexical_normalize(path);
    let root = lexical_normalize(root);
    let rel = path.strip_prefix(&root).unwrap_or(&path);
    let s = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// Removes `.` components and folds `dir/..` pairs without touching the file system.
pub fn lexical_normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last_is_normal =
                    matches!(out.components().next_back(), Some(Component::Normal(_)));
                if last_is_normal {
                    out.pop();
                } else if !matches!(out.components().next_back(), Some(Component::RootDir)) {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Reads a whole file that must be a regular file no larger than [`MAX_LOCKFILE_SIZE`].
pub fn read_regular_file(path: &Path) -> Result<Vec<u8>, MaterialsError> {
    let meta = fs_err::metadata(path).map_err(|e| io_err(path, e))?;
    if !meta.is_file() {
        return Err(MaterialsError::Parse {
            path: path.to_path_buf(),
            reason: if meta.is_dir() {
                "is a directory, not a file".into()
            } else {
                "is not a regular file".into()
            },
        });
    }
    if meta.len() > MAX_LOCKFILE_SIZE {
        return Err(MaterialsError::Parse {
            path: path.to_path_buf(),
            reason: format!(
                "is {} bytes, more than the {MAX_LOCKFILE_SIZE}-byte limit",
                meta.len()
            ),
        });
    }
    fs_err::read(path).map_err(|e| io_err(path, e))
}

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    provseal_crypto::hash::HashAlgorithm::Sha256.hex_digest(data)
}

pub(crate) fn io_err(path: &Path, e: std::io::Error) -> MaterialsError {
    MaterialsError::Io {
        path: path.to_path_buf(),
        source: e,
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
