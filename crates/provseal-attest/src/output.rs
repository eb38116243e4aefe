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
/// [`StagedOutputs::commit`] removes every staged file.
///
/// The renames are journaled, so that a run killed between two of them leaves a set that the
/// next run completes: [`StagedOutputs::commit`] first writes a journal listing every
/// (staging file, target) pair into each target directory
/// (`.provseal-outputs-<pid>-<random>.pending`), then turns each into
/// `.provseal-outputs-<pid>-<random>.commit` (the decision), renames the files, and removes the
/// journals. When a directory is first staged into, what killed runs (their process is gone)
/// left there is resolved before anything else:
/// - a `.commit` journal is rolled forward: every listed staging file still present is renamed
///   onto its target, in every directory the journal names
///   ([`StagedOutputs::completed_leftovers`]);
/// - a `.pending` journal is rolled back: its staging files are removed (no target was touched);
/// - a staging file without a journal is removed ([`StagedOutputs::removed_leftovers`]).
///
/// A reader therefore sees, once any later run has staged into one of the directories, all the
/// old outputs or all the new ones.
#[derive(Debug)]
pub struct StagedOutputs {
    overwrite: Overwrite,
    base: std::path::PathBuf,
    /// (staging file, target, the target as given)
    staged: Vec<(tempfile::TempPath, std::path::PathBuf, std::path::PathBuf)>,
    scanned: std::collections::HashSet<std::path::PathBuf>,
    removed: Vec<std::path::PathBuf>,
    completed: Vec<std::path::PathBuf>,
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
            completed: Vec::new(),
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
        let dir = parent_dir(path);
        // A killed run's leftovers first: completing its journal may create `path`.
        if self.scanned.insert(dir.clone()) {
            let (completed, removed) = resolve_journals(&dir).map_err(io)?;
            let removed = removed
                .into_iter()
                .chain(remove_leftovers(&dir).map_err(io)?);
            let shown_as = |p: std::path::PathBuf| match p.strip_prefix(&self.base) {
                Ok(rel) if !self.base.as_os_str().is_empty() => rel.to_path_buf(),
                _ => p,
            };
            let completed: Vec<_> = completed.into_iter().map(shown_as).collect();
            let removed: Vec<_> = removed.map(shown_as).collect();
            self.completed.extend(completed);
            self.removed.extend(removed);
        }
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if self.overwrite == Overwrite::Refuse {
                return Err(AttestError::OutputExists {
                    path: shown.to_path_buf(),
                });
            }
            check_replaceable(shown, &meta)?;
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

    /// Staging files of killed runs removed so far (rolled back).
    pub fn removed_leftovers(&self) -> &[std::path::PathBuf] {
        &self.removed
    }

    /// Outputs of killed runs completed so far: a run killed while renaming its staged files
    /// into place left a `.commit` journal, and its remaining files were renamed onto these.
    pub fn completed_leftovers(&self) -> &[std::path::PathBuf] {
        &self.completed
    }

    /// Renames every staged file into place, journaled (see [`StagedOutputs`]).
    pub fn commit(self) -> Result<(), AttestError> {
        if self.staged.is_empty() {
            return Ok(());
        }
        let journal = Journal::write(&self.staged)?;
        journal.decide()?;
        let mut placed: Vec<std::path::PathBuf> = Vec::new();
        for (tmp, path, shown) in self.staged {
            let io = |e: std::io::Error| AttestError::Io {
                path: shown.clone(),
                source: e,
            };
            let renamed = match self.overwrite {
                Overwrite::Allow => tmp.persist(&path).map_err(|e| io(e.error)),
                Overwrite::Refuse => tmp.persist_noclobber(&path).map_err(|e| {
                    if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                        AttestError::OutputExists {
                            path: shown.clone(),
                        }
                    } else {
                        io(e.error)
                    }
                }),
            };
            if let Err(e) = renamed {
                // Nothing existed at the targets placed so far (refused otherwise): removing
                // them restores the old state; the staged files left are removed with their
                // `TempPath`s. With `--force` the old content is gone, and the error says where.
                if self.overwrite == Overwrite::Refuse {
                    placed.iter().for_each(|p| drop(std::fs::remove_file(p)));
                }
                journal.remove();
                return Err(e);
            }
            placed.push(path);
        }
        journal.remove();
        Ok(())
    }
}

/// What marks a staging file: `.<name>` + this + `<pid>-<random>`.
const STAGING_MARK: &str = ".provseal-staging-";

/// What marks a journal of renames: this + `<pid>-<random>` + [`PENDING`] or [`COMMIT`].
const JOURNAL_MARK: &str = ".provseal-outputs-";
/// A journal written before the decision: its run is rolled back.
const PENDING: &str = ".pending";
/// A journal after the decision: its run is rolled forward.
const COMMIT: &str = ".commit";

/// The directory of an output path (`.` for a bare name).
fn parent_dir(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// The journal of one commit, as written into every target directory.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct JournalText {
    /// Every directory that holds a copy of the journal (absolute).
    dirs: Vec<std::path::PathBuf>,
    /// (staging file, target) pairs (absolute).
    files: Vec<(std::path::PathBuf, std::path::PathBuf)>,
}

/// A written journal: its file name (without the state suffix) and its directories.
struct Journal {
    stem: String,
    dirs: Vec<std::path::PathBuf>,
}

impl Journal {
    /// Writes the `.pending` journal into every target directory.
    fn write(
        staged: &[(tempfile::TempPath, std::path::PathBuf, std::path::PathBuf)],
    ) -> Result<Self, AttestError> {
        let absolute = |p: &Path| {
            std::path::absolute(p).map_err(|e| AttestError::Io {
                path: p.to_path_buf(),
                source: e,
            })
        };
        let mut text = JournalText {
            dirs: Vec::new(),
            files: Vec::new(),
        };
        for (tmp, target, _) in staged {
            text.files.push((absolute(tmp)?, absolute(target)?));
            let dir = absolute(&parent_dir(target))?;
            if !text.dirs.contains(&dir) {
                text.dirs.push(dir);
            }
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |e: std::io::Error| AttestError::Io { path, source: e }
        };
        let bytes = serde_json::to_vec(&text).map_err(|e| {
            io(&text.dirs[0])(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })?;
        let first = tempfile::Builder::new()
            .prefix(&format!("{JOURNAL_MARK}{}-", std::process::id()))
            .suffix(PENDING)
            .tempfile_in(&text.dirs[0])
            .map_err(io(&text.dirs[0]))?;
        let name = first.path().file_name().map(|n| n.to_owned());
        let stem = name
            .as_ref()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(PENDING))
            .unwrap_or_default()
            .to_owned();
        let journal = Journal {
            stem,
            dirs: text.dirs.clone(),
        };
        let written = (|| {
            let (mut file, path) = first.keep().map_err(|e| io(&text.dirs[0])(e.error))?;
            file.write_all(&bytes).map_err(io(&path))?;
            for dir in &text.dirs[1..] {
                let path = dir.join(format!("{}{PENDING}", journal.stem));
                std::fs::write(&path, &bytes).map_err(io(&path))?;
            }
            Ok(())
        })();
        if let Err(e) = written {
            journal.remove();
            return Err(e);
        }
        Ok(journal)
    }

    /// The decision: every `.pending` copy becomes `.commit`; from the first, a killed run is
    /// completed rather than rolled back.
    fn decide(&self) -> Result<(), AttestError> {
        for dir in &self.dirs {
            let from = dir.join(format!("{}{PENDING}", self.stem));
            let to = dir.join(format!("{}{COMMIT}", self.stem));
            if let Err(e) = std::fs::rename(&from, &to) {
                self.remove();
                return Err(AttestError::Io {
                    path: from,
                    source: e,
                });
            }
        }
        Ok(())
    }

    /// Removes every copy, in either state.
    fn remove(&self) {
        for dir in &self.dirs {
            for state in [PENDING, COMMIT] {
                let _ = std::fs::remove_file(dir.join(format!("{}{state}", self.stem)));
            }
        }
    }
}

/// Whether the process `pid` (from a leftover's name) is gone: on Linux `/proc/<pid>` is
/// missing; elsewhere every leftover is taken for a killed run's.
fn writer_gone(pid: &str) -> bool {
    !(cfg!(target_os = "linux") && !pid.is_empty() && Path::new("/proc").join(pid).exists())
}

/// Resolves the journals that killed runs left in `dir`: a `.commit` one is rolled forward, a
/// `.pending` one rolled back (see [`StagedOutputs`]). Returns the targets completed and the
/// staging files removed.
#[allow(clippy::type_complexity)]
fn resolve_journals(
    dir: &Path,
) -> std::io::Result<(Vec<std::path::PathBuf>, Vec<std::path::PathBuf>)> {
    let (mut completed, mut removed) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix(JOURNAL_MARK) else {
            continue;
        };
        let (stem, forward) = if let Some(stem) = name.strip_suffix(COMMIT) {
            (stem, true)
        } else if let Some(stem) = name.strip_suffix(PENDING) {
            (stem, false)
        } else {
            continue;
        };
        if !writer_gone(rest.split('-').next().unwrap_or_default()) {
            continue;
        }
        // A journal that cannot be read was never complete: it is a `.pending` one (a `.commit`
        // journal is a renamed complete file), and the staging files are orphans.
        let text: Option<JournalText> = std::fs::read(entry.path())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if let Some(text) = &text {
            for (staging, target) in &text.files {
                if !staging.exists() {
                    continue;
                }
                if forward {
                    std::fs::rename(staging, target)?;
                    completed.push(target.clone());
                } else {
                    std::fs::remove_file(staging)?;
                    removed.push(staging.clone());
                }
            }
        }
        let dirs = text.map(|t| t.dirs).unwrap_or_default();
        for d in dirs.iter().map(|d| d.as_path()).chain([dir]) {
            for state in [PENDING, COMMIT] {
                let _ = std::fs::remove_file(d.join(format!("{stem}{state}")));
            }
        }
    }
    Ok((completed, removed))
}

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
        if !writer_gone(rest.split('-').next().unwrap_or_default()) {
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

    /// A journal of a killed run (pid above Linux's pid_max, never alive) in each of `dirs`,
    /// listing `files`, in the state `state` (`.pending` or `.commit`).
    fn leave_journal(
        dirs: &[&Path],
        files: &[(&Path, &Path)],
        state: &str,
    ) -> Vec<std::path::PathBuf> {
        let text = JournalText {
            dirs: dirs.iter().map(|d| d.to_path_buf()).collect(),
            files: files
                .iter()
                .map(|(s, t)| (s.to_path_buf(), t.to_path_buf()))
                .collect(),
        };
        dirs.iter()
            .map(|d| {
                let path = d.join(format!("{JOURNAL_MARK}4194305-Jj{state}"));
                std::fs::write(&path, serde_json::to_vec(&text).unwrap()).unwrap();
                path
            })
            .collect()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        n.sort();
        n
    }

    /// Issue 14: a run killed between two renames of its commit left a `.commit` journal; the
    /// next run that stages into one of its directories completes every rename, in every
    /// directory, and removes the journals.
    #[test]
    fn issue_14_a_commit_killed_between_renames_is_completed() {
        let d = tempfile::tempdir().unwrap();
        let (one, two) = (d.path().join("one"), d.path().join("two"));
        std::fs::create_dir_all(&one).unwrap();
        std::fs::create_dir_all(&two).unwrap();
        let (a, b, c) = (
            one.join("a.intoto.jsonl"),
            one.join("b.intoto.jsonl"),
            two.join("c.intoto.jsonl"),
        );
        let stage = |t: &Path| {
            let name = t.file_name().unwrap().to_str().unwrap();
            t.with_file_name(format!(".{name}{STAGING_MARK}4194305-Ss"))
        };
        // b was renamed before the kill; a and c were not.
        std::fs::write(&a, b"A0").unwrap();
        std::fs::write(stage(&a), b"A1").unwrap();
        std::fs::write(&b, b"B1").unwrap();
        std::fs::write(&c, b"C0").unwrap();
        std::fs::write(stage(&c), b"C1").unwrap();
        leave_journal(
            &[&one, &two],
            &[(&stage(&a), &a), (&stage(&b), &b), (&stage(&c), &c)],
            COMMIT,
        );
        // The next run stages into `two` only; `one` is completed as well.
        let mut s = StagedOutputs::new(Overwrite::Refuse);
        s.stage(&two.join("d.intoto.jsonl"), b"D").unwrap();
        assert_eq!(s.completed_leftovers(), [a.clone(), c.clone()]);
        assert!(s.removed_leftovers().is_empty());
        s.commit().unwrap();
        for (p, want) in [(&a, "A1"), (&b, "B1"), (&c, "C1")] {
            assert_eq!(std::fs::read_to_string(p).unwrap(), want);
        }
        assert_eq!(names(&one), ["a.intoto.jsonl", "b.intoto.jsonl"]);
        assert_eq!(names(&two), ["c.intoto.jsonl", "d.intoto.jsonl"]);
    }

    /// Issue 14: a run killed before its decision (`.pending` journals, no target renamed) is
    /// rolled back: its staged files and journals are removed, the old outputs stay.
    #[test]
    fn issue_14_a_commit_killed_before_its_decision_is_rolled_back() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.intoto.jsonl");
        let staged = d
            .path()
            .join(format!(".a.intoto.jsonl{STAGING_MARK}4194305-Ss"));
        std::fs::write(&a, b"A0").unwrap();
        std::fs::write(&staged, b"A1").unwrap();
        leave_journal(&[d.path()], &[(&staged, &a)], PENDING);
        // An unreadable (torn) journal of another killed run is removed too.
        std::fs::write(
            d.path().join(format!("{JOURNAL_MARK}4194305-Kk{PENDING}")),
            b"{\"di",
        )
        .unwrap();
        let mut s = StagedOutputs::new(Overwrite::Allow);
        s.stage(&d.path().join("b.intoto.jsonl"), b"B").unwrap();
        assert!(s.completed_leftovers().is_empty());
        assert_eq!(s.removed_leftovers(), [staged]);
        drop(s);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "A0");
        assert_eq!(names(d.path()), ["a.intoto.jsonl"]);
    }

    /// Issue 14: a live run's journal and staging files are left alone, and a finished commit
    /// leaves no journal.
    #[test]
    fn issue_14_live_journals_are_left_alone_and_commits_leave_none() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.intoto.jsonl");
        let me = std::process::id();
        let staged = d
            .path()
            .join(format!(".a.intoto.jsonl{STAGING_MARK}{me}-Ss"));
        std::fs::write(&staged, b"A1").unwrap();
        let live = d.path().join(format!("{JOURNAL_MARK}{me}-Ll{COMMIT}"));
        let text = JournalText {
            dirs: vec![d.path().to_path_buf()],
            files: vec![(staged.clone(), a.clone())],
        };
        std::fs::write(&live, serde_json::to_vec(&text).unwrap()).unwrap();
        let mut s = StagedOutputs::new(Overwrite::Refuse);
        s.stage(&d.path().join("b.intoto.jsonl"), b"B").unwrap();
        assert!(s.completed_leftovers().is_empty() && s.removed_leftovers().is_empty());
        s.commit().unwrap();
        assert!(!a.exists());
        let mut want = vec![
            "b.intoto.jsonl".to_owned(),
            staged.file_name().unwrap().to_str().unwrap().to_owned(),
            live.file_name().unwrap().to_str().unwrap().to_owned(),
        ];
        want.sort();
        assert_eq!(names(d.path()), want);
    }
}
