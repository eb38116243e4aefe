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
    fs_err::create_dir_all(dir).map_err(io_error(dir))?;
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
