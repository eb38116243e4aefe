//! Atomic output: every file is written to a temporary file in its directory, then renamed.

use std::io::Write;
use std::path::Path;

use crate::AttestError;

/// What to do when the output file exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Refuse (the default).
    Refuse,
    /// Replace it (`--force`).
    Allow,
}

/// Writes `bytes` to `path` atomically: nothing is left behind on failure, and a reader never
/// sees a partial file. With [`Overwrite::Refuse`] an existing file is an error and is not
/// touched; with [`Overwrite::Allow`] only a regular file or a symlink is replaced (the link
/// itself, never its target): a directory, FIFO, socket or device is
/// [`AttestError::NotReplaceable`].
///
/// The file is public: created with mode 0666 less the umask (0644 under the usual 022).
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: Overwrite) -> Result<(), AttestError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if overwrite == Overwrite::Refuse {
            return Err(AttestError::OutputExists {
                path: path.to_path_buf(),
            });
        }
        check_replaceable(path, &meta)?;
    }
    let io = |e: std::io::Error| AttestError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".provseal-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Applied at creation, so the umask applies (a temporary file is otherwise 0600).
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(io)?;
    // Atomic for readers (rename); not fsync'd: durability is the file system's (as for batch
    // entries), and a per-artifact run of 10,000 files would otherwise pay 10,000 flushes.
    tmp.write_all(bytes).map_err(io)?;
    match overwrite {
        Overwrite::Allow => tmp.persist(path).map_err(|e| io(e.error))?,
        Overwrite::Refuse => tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                AttestError::OutputExists {
                    path: path.to_path_buf(),
                }
            } else {
                io(e.error)
            }
        })?,
    };
    Ok(())
}

/// Several outputs written all-or-nothing (`--per-subject`): each is first written in full to a
/// staging file beside its target (`.<name>.provseal-staging-<pid>-<random>`); only when every
/// one is staged are they renamed into place, one rename each. An error or a drop before
/// [`StagedOutputs::commit`] removes every staged file; staging files that a killed run left in
/// the same directories (their process is gone) are removed when the directory is first staged
/// into, and listed by [`StagedOutputs::removed_leftovers`].
#[derive(Debug)]
pub struct StagedOutputs {
    overwrite: Overwrite,
    base: std::path::PathBuf,
    /// (staging file, target, the target as given)
    staged: Vec<(tempfile::TempPath, std::path::PathBuf, std::path::PathBuf)>,
    scanned: std::collections::HashSet<std::path::PathBuf>,
    removed: Vec<std::path::PathBuf>,
}

impl StagedOutputs {
    /// Nothing staged yet; relative paths are relative to the current directory.
    pub fn new(overwrite: Overwrite) -> Self {
        Self::in_dir(overwrite, std::path::PathBuf::new())
    }

    /// Nothing staged yet; relative paths are relative to `base` (errors name them as given).
    pub fn in_dir(overwrite: Overwrite, base: std::path::PathBuf) -> Self {
        Self {
            overwrite,
            base,
            staged: Vec::new(),
            scanned: Default::default(),
            removed: Vec::new(),
        }
    }

    /// Writes `bytes` to a staging file beside `path` (refusing an existing `path` with
    /// [`Overwrite::Refuse`], or one that is not a file or symlink).
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> Result<(), AttestError> {
        let io = |e: std::io::Error| AttestError::Io {
            path: path.to_path_buf(),
            source: e,
        };
        let shown = path;
        let path = &self.base.join(path);
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if self.overwrite == Overwrite::Refuse {
                return Err(AttestError::OutputExists {
                    path: shown.to_path_buf(),
                });
            }
            check_replaceable(shown, &meta)?;
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        if self.scanned.insert(dir.clone()) {
            let removed = remove_leftovers(&dir).map_err(io)?;
            self.removed.extend(
                removed
                    .into_iter()
                    .map(|p| match p.strip_prefix(&self.base) {
                        Ok(rel) if !self.base.as_os_str().is_empty() => rel.to_path_buf(),
                        _ => p,
                    }),
            );
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut builder = tempfile::Builder::new();
        let prefix = format!(".{name}{STAGING_MARK}{}-", std::process::id());
        builder.prefix(&prefix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut tmp = builder.tempfile_in(&dir).map_err(io)?;
        tmp.write_all(bytes).map_err(io)?;
        self.staged
            .push((tmp.into_temp_path(), path.clone(), shown.to_path_buf()));
        Ok(())
    }

    /// Staging files of killed runs removed so far.
    pub fn removed_leftovers(&self) -> &[std::path::PathBuf] {
        &self.removed
    }

    /// Renames every staged file into place.
    pub fn commit(self) -> Result<(), AttestError> {
        for (tmp, path, shown) in self.staged {
            let io = |e: std::io::Error| AttestError::Io {
                path: shown.clone(),
                source: e,
            };
            match self.overwrite {
                Overwrite::Allow => tmp.persist(&path).map_err(|e| io(e.error))?,
                Overwrite::Refuse => tmp.persist_noclobber(&path).map_err(|e| {
                    if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                        AttestError::OutputExists {
                            path: shown.clone(),
                        }
                    } else {
                        io(e.error)
                    }
                })?,
            }
        }
        Ok(())
    }
}

/// What marks a staging file: `.<name>` + this + `<pid>-<random>`.
const STAGING_MARK: &str = ".provseal-staging-";

/// Removes the staging files in `dir` whose writer is gone (on Linux, `/proc/<pid>` is missing;
/// elsewhere every one found).
fn remove_leftovers(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some((_, rest)) = name.split_once(STAGING_MARK) else {
            continue;
        };
        if !name.starts_with('.') || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let pid = rest.split('-').next().unwrap_or_default();
        if cfg!(target_os = "linux") && !pid.is_empty() && Path::new("/proc").join(pid).exists() {
            continue;
        }
        std::fs::remove_file(entry.path())?;
        removed.push(entry.path());
    }
    Ok(removed)
}

/// Only regular files and symlinks may be replaced by `--force`.
fn check_replaceable(path: &Path, meta: &std::fs::Metadata) -> Result<(), AttestError> {
    let t = meta.file_type();
    if t.is_file() || t.is_symlink() {
        return Ok(());
    }
    let kind = if t.is_dir() {
        "a directory"
    } else {
        special_kind(&t)
    };
    Err(AttestError::NotReplaceable {
        path: path.to_path_buf(),
        kind,
    })
}

#[cfg(unix)]
fn special_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_existing_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.jsonl");
        write_atomic(&p, b"one", Overwrite::Refuse).unwrap();
        let e = write_atomic(&p, b"two", Overwrite::Refuse).unwrap_err();
        assert!(matches!(e, AttestError::OutputExists { .. }));
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"three", Overwrite::Allow).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"three");
        let entries: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(entries.len(), 1, "no temporary files left behind");
    }

    #[test]
    fn missing_directory_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("nope/out.jsonl");
        let e = write_atomic(&p, b"x", Overwrite::Refuse).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }

    /// Issue 14: outputs follow the umask (0644 under 022, not the 0600 of a temporary file).
    #[cfg(unix)]
    #[test]
    fn issue_14_public_outputs_follow_the_umask() {
        use std::os::unix::fs::PermissionsExt as _;
        let d = tempfile::tempdir().unwrap();
        // The test process's umask, read from the kernel's view of this process.
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let umask = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            .unwrap_or(0o022);
        let p = d.path().join("a.intoto.jsonl");
        write_atomic(&p, b"x", Overwrite::Refuse).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask);
        write_atomic(&p, b"y", Overwrite::Allow).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask);
    }

    /// Issue 14: `--force` replaces regular files and symlinks (the link, not its target) and
    /// refuses directories, FIFOs and sockets (devices likewise; not created here).
    #[cfg(unix)]
    #[test]
    fn issue_14_force_replaces_only_files_and_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("target");
        std::fs::write(&target, b"keep").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new", Overwrite::Allow).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
        let dir = d.path().join("dir");
        std::fs::create_dir(&dir).unwrap();
        let sock = d.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let fifo = d.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let mut cases = vec![(dir.clone(), "a directory"), (sock.clone(), "a socket")];
        if made.is_ok_and(|s| s.success()) {
            cases.push((fifo.clone(), "a FIFO"));
        }
        for (p, kind) in cases {
            let e = write_atomic(&p, b"x", Overwrite::Allow).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("refusing to replace `{}`: it is {kind}", p.display())
            );
        }
        assert!(dir.is_dir());
        // Nothing else was created.
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            5 - usize::from(!fifo.exists())
        );
    }

    /// Issue 14: `--per-subject` outputs appear all or none: an error while staging leaves no
    /// output and no staging file; a staging file a killed run left is removed and reported.
    #[test]
    fn issue_14_staged_outputs_are_all_or_nothing() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (
            d.path().join("a.intoto.jsonl"),
            d.path().join("b.intoto.jsonl"),
        );
        std::fs::write(&b, b"old").unwrap();
        let mut s = StagedOutputs::new(Overwrite::Refuse);
        s.stage(&a, b"A").unwrap();
        assert!(matches!(
            s.stage(&b, b"B"),
            Err(AttestError::OutputExists { .. })
        ));
        drop(s);
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["b.intoto.jsonl"]);
        // A killed run's leftover (pid above Linux's pid_max, never alive).
        let left = d
            .path()
            .join(".a.intoto.jsonl.provseal-staging-4194305-Zz9");
        std::fs::write(&left, b"partial").unwrap();
        let mut s = StagedOutputs::new(Overwrite::Allow);
        s.stage(&a, b"A").unwrap();
        s.stage(&b, b"B").unwrap();
        assert!(!a.exists(), "nothing is visible before commit");
        assert_eq!(s.removed_leftovers(), std::slice::from_ref(&left));
        s.commit().unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"A");
        assert_eq!(std::fs::read(&b).unwrap(), b"B");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 2);
    }
}
