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
/// paths written, in statement order. [`write_batch_with`] also says which leftovers of killed
/// runs it removed.
///
/// # Errors
/// As [`write_batch_with`].
pub fn write_batch(
    dir: &Path,
    batch: &Batch,
    names: &[String],
    overwrite: Overwrite,
) -> Result<Vec<PathBuf>, BatchError> {
    write_batch_with(dir, batch, names, overwrite).map(|w| w.paths)
}

/// What [`write_batch_with`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchWrite {
    /// The entry files written, in statement order.
    pub paths: Vec<PathBuf>,
    /// Staging directories of earlier runs for the same directory that were killed before they
    /// finished, found beside `dir` and removed (the caller says so).
    pub removed_staging: Vec<PathBuf>,
}

/// Writes the batch all-or-nothing: a reader of `dir` sees every entry of the old content or
/// every entry of the new, never a mix, whatever moment the writer is killed at.
///
/// Every entry is written into a staging directory beside `dir`
/// (`.<dir name>.provseal-staging-<pid>-<random>`). A new directory is then renamed into place.
/// For an existing directory, the files it holds that the batch does not replace are hard-linked
/// into the staging directory, which is then exchanged with `dir` in one atomic rename
/// (`RENAME_EXCHANGE` on Linux; elsewhere, and on file systems without it, two renames), and
/// the old content is removed. Staging directories that killed runs left beside `dir` (their
/// process is gone) are removed first and listed in [`BatchWrite::removed_staging`].
///
/// # Errors
/// [`BatchError::NameCount`], [`BatchError::InvalidName`], [`BatchError::DuplicateName`],
/// [`BatchError::Exists`] (with [`Overwrite::Refuse`], an entry file exists), [`BatchError::NotFlat`]
/// (an existing directory holds a subdirectory or special file, which cannot be staged),
/// [`BatchError::Io`] naming the path.
pub fn write_batch_with(
    dir: &Path,
    batch: &Batch,
    names: &[String],
    overwrite: Overwrite,
) -> Result<BatchWrite, BatchError> {
    if names.len() != batch.len() {
        return Err(BatchError::NameCount {
            expected: batch.len(),
            actual: names.len(),
        });
    }
    let files = entry_file_names(names)?;
    // A symlinked batch directory: stage beside its target, so the link stays a link.
    let target = match dir.symlink_metadata() {
        Ok(m) if m.file_type().is_symlink() => fs_err::canonicalize(dir).map_err(io_error(dir))?,
        _ => dir.to_path_buf(),
    };
    let (parent, base) = parent_and_name(&target)?;
    fs_err::create_dir_all(&parent).map_err(io_error(dir))?;
    let removed_staging = remove_leftovers(&parent, &base)?;
    let existing = target.symlink_metadata().ok();
    if let Some(meta) = &existing {
        if !meta.is_dir() {
            return Err(BatchError::NotFlat {
                dir: dir.to_path_buf(),
                entry: dir.to_path_buf(),
            });
        }
        if overwrite == Overwrite::Refuse {
            if let Some(f) = files
                .iter()
                .find(|f| target.join(f).symlink_metadata().is_ok())
            {
                return Err(BatchError::Exists { path: dir.join(f) });
            }
        }
    }
    let staging = tempfile::Builder::new()
        .prefix(&staging_prefix(&base))
        .tempdir_in(&parent)
        .map_err(io_error(dir))?
        .keep();
    let result = stage_and_swap(
        &target,
        &staging,
        batch,
        &files,
        existing.as_ref(),
        overwrite,
    );
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result.map_err(|e| match e {
        BatchError::Io { path, source } if path == staging || path == target => BatchError::Io {
            path: dir.to_path_buf(),
            source,
        },
        e => e,
    })?;
    Ok(BatchWrite {
        paths: files.iter().map(|f| dir.join(f)).collect(),
        removed_staging,
    })
}

fn parent_and_name(dir: &Path) -> Result<(PathBuf, String), BatchError> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| BatchError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the batch directory needs a name (not `/`, `.` or `..`)",
            ),
        })?;
    Ok((parent, name))
}

/// `.<dir name>.provseal-staging-<pid>-`: the staging directories of one batch directory.
fn staging_prefix(base: &str) -> String {
    format!(".{base}.provseal-staging-{}-", std::process::id())
}

/// Removes the staging directories that killed runs for `base` left in `parent`: those whose
/// process no longer runs (on Linux, `/proc/<pid>` is gone; elsewhere every one found).
fn remove_leftovers(parent: &Path, base: &str) -> Result<Vec<PathBuf>, BatchError> {
    let mark = format!(".{base}.provseal-staging-");
    let mut removed = Vec::new();
    let listing = fs_err::read_dir(parent).map_err(io_error(parent))?;
    for entry in listing.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&mark)) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        if cfg!(target_os = "linux") && !pid.is_empty() && Path::new("/proc").join(pid).exists() {
            continue; // a writer that still runs
        }
        let path = entry.path();
        fs_err::remove_dir_all(&path).map_err(io_error(&path))?;
        removed.push(path);
    }
    Ok(removed)
}

fn stage_and_swap(
    target: &Path,
    staging: &Path,
    batch: &Batch,
    files: &[String],
    existing: Option<&std::fs::Metadata>,
    overwrite: Overwrite,
) -> Result<(), BatchError> {
    let prefix = batch.entry_prefix()?;
    // File creation is system-call bound: spread it over the cores (rayon's global pool).
    files.par_iter().enumerate().try_for_each(|(index, file)| {
        let path = staging.join(file);
        let bytes = batch.entry_json_with(index, &prefix)?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error(&path))?;
        f.write_all(&bytes).map_err(io_error(&path))
    })?;
    let Some(meta) = existing else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            // a tempdir is 0700; the batch directory is as public as its entries
            std::fs::set_permissions(staging, std::fs::Permissions::from_mode(0o755))
                .map_err(io_error(staging))?;
        }
        if target.symlink_metadata().is_ok() {
            return Err(BatchError::Exists {
                path: target.to_path_buf(),
            });
        }
        return fs_err::rename(staging, target).map_err(io_error(target));
    };
    // Keep what the batch does not replace: hard links, so nothing is copied or moved out of
    // the directory a reader sees.
    let new: std::collections::HashSet<&str> = files.iter().map(String::as_str).collect();
    for entry in fs_err::read_dir(target).map_err(io_error(target))? {
        let entry = entry.map_err(io_error(target))?;
        let name = entry.file_name();
        if name.to_str().is_some_and(|n| new.contains(n)) {
            if overwrite == Overwrite::Refuse {
                return Err(BatchError::Exists { path: entry.path() });
            }
            continue;
        }
        let kind = entry.file_type().map_err(io_error(&entry.path()))?;
        if !(kind.is_file() || kind.is_symlink()) {
            return Err(BatchError::NotFlat {
                dir: target.to_path_buf(),
                entry: entry.path(),
            });
        }
        let to = staging.join(&name);
        std::fs::hard_link(entry.path(), &to).map_err(io_error(&entry.path()))?;
    }
    std::fs::set_permissions(staging, meta.permissions()).map_err(io_error(staging))?;
    exchange(staging, target)?;
    // `staging` now holds the old content.
    fs_err::remove_dir_all(staging).map_err(io_error(staging))
}

/// Swaps two directories: atomically where the system can, else with two renames (a reader may
/// then find `target` missing for a moment, never mixed).
fn exchange(staging: &Path, target: &Path) -> Result<(), BatchError> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(io_error(target)(e.into())),
        }
    }
    let aside = staging.with_extension("old");
    fs_err::rename(target, &aside).map_err(io_error(target))?;
    if let Err(e) = fs_err::rename(staging, target) {
        let _ = std::fs::rename(&aside, target);
        return Err(io_error(target)(e));
    }
    fs_err::rename(&aside, staging).map_err(io_error(staging))
}
