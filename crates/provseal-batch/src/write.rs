//! Writing a batch's entry files, each atomically.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::naming::entry_file_names;
use crate::{Batch, BatchError};

/// Whether [`write_batch`] may replace existing entry files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overwrite {
    /// Fail with [`BatchError::Exists`] when an entry file exists (the default); nothing is
    /// written when any target exists at the start.
    #[default]
    Refuse,
    /// Replace existing entry files.
    Allow,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError + '_ {
    move |source| BatchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes one entry file per statement into `dir` (created if missing), named after
/// `names[i]`, the artifact (subject) name of statement `i` (see [`crate::naming`]). Returns the
/// paths written, in statement order.
///
/// Each file is written to a temporary file in `dir` and then renamed into place, so a reader
/// never sees a partial entry. With [`Overwrite::Refuse`] the rename itself refuses to replace a
/// file (no race with another writer), after a check of every target up front.
///
/// # Errors
/// [`BatchError::NameCount`], [`BatchError::InvalidName`], [`BatchError::DuplicateName`],
/// [`BatchError::Exists`], [`BatchError::Io`] naming the path.
pub fn write_batch(
    dir: &Path,
    batch: &Batch,
    names: &[String],
    overwrite: Overwrite,
) -> Result<Vec<PathBuf>, BatchError> {
    if names.len() != batch.len() {
        return Err(BatchError::NameCount {
            expected: batch.len(),
            actual: names.len(),
        });
    }
    let files = entry_file_names(names)?;
    if dir.symlink_metadata().is_err() {
        return write_fresh(dir, batch, &files);
    }
    let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
    if overwrite == Overwrite::Refuse {
        if let Some(existing) = paths.iter().find(|p| p.symlink_metadata().is_ok()) {
            return Err(BatchError::Exists {
                path: existing.clone(),
            });
        }
    }
    let prefix = batch.entry_prefix()?;
    // File creation is system-call bound: spread it over the cores (rayon's global pool).
    paths.par_iter().enumerate().try_for_each(|(index, path)| {
        let bytes = batch.entry_json_with(index, &prefix)?;
        write_atomic(dir, path, &bytes, overwrite)
    })?;
    Ok(paths)
}

/// A batch into a directory that does not exist yet: every entry is written into a staging
/// directory beside it, which is then renamed into place — the whole batch appears at once (a
/// reader sees all entries or none), and each entry costs one plain file creation instead of a
/// temporary file, a link and an unlink.
fn write_fresh(dir: &Path, batch: &Batch, files: &[String]) -> Result<Vec<PathBuf>, BatchError> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // errors name the directory asked for
    fs_err::create_dir_all(&parent).map_err(io_error(dir))?;
    let staging = tempfile::Builder::new()
        .prefix(".provseal-batch-")
        .tempdir_in(&parent)
        .map_err(io_error(dir))?;
    let prefix = batch.entry_prefix()?;
    files.par_iter().enumerate().try_for_each(|(index, file)| {
        let path = staging.path().join(file);
        let bytes = batch.entry_json_with(index, &prefix)?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error(&path))?;
        f.write_all(&bytes).map_err(io_error(&path))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // a tempdir is 0700; the batch directory is as public as its entries
        std::fs::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(io_error(staging.path()))?;
    }
    if dir.symlink_metadata().is_ok() {
        return Err(BatchError::Exists {
            path: dir.to_path_buf(),
        });
    }
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, dir) {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(BatchError::Io {
            path: dir.to_path_buf(),
            source: e,
        });
    }
    Ok(files.iter().map(|f| dir.join(f)).collect())
}

/// Writes `bytes` to `path` through a temporary file in `dir`.
pub(crate) fn write_atomic(
    dir: &Path,
    path: &Path,
    bytes: &[u8],
    overwrite: Overwrite,
) -> Result<(), BatchError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".provseal-entry-").suffix(".tmp");
    // Entry files are public: the usual mode for new files (0666 less the umask), not the 0600
    // of a temporary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(io_error(dir))?;
    tmp.write_all(bytes).map_err(io_error(tmp.path()))?;
    tmp.flush().map_err(io_error(path))?;
    let result = match overwrite {
        Overwrite::Allow => tmp.persist(path),
        Overwrite::Refuse => tmp.persist_noclobber(path),
    };
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Err(BatchError::Exists {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(BatchError::Io {
            path: path.to_path_buf(),
            source: e.error,
        }),
    }
}
