//! Small file and text helpers shared by the walk ([`crate::discover`]) and the lockfile
//! readers ([`crate::lockfile`]): bounded reads of regular files, recorded names, line and
//! column of an offset. They sit below both so neither imports the other for them.

use std::path::{Path, PathBuf};

use crate::MaterialsError;

/// Largest lockfile read (bytes); a larger one is an error.
pub const MAX_LOCKFILE_SIZE: u64 = 128 * 1024 * 1024;

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
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
