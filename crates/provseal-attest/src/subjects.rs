//! Resolving `--subject` paths and globs into the files to attest.

use std::path::{Component, Path, PathBuf};

use provseal_crypto::hash::{HashAlgorithm, HashProgress};
use provseal_model::DigestSet;

use crate::AttestError;

/// One file to attest: its subject name (relative to the working directory, `/`-separated) and
/// the path to read it from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectFile {
    /// The in-toto subject `name`: the path relative to the working directory, never absolute,
    /// never containing `..`.
    pub name: String,
    /// Where to read the file.
    pub path: PathBuf,
}

fn has_glob_meta(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Turns `path` (relative to `cwd`, or absolute) into a subject name relative to `cwd`.
/// Fails when the path leaves the working directory.
fn subject_name(cwd: &Path, arg: &str, path: &Path) -> Result<String, AttestError> {
    let rel = if path.is_absolute() {
        path.strip_prefix(cwd)
            .map_err(|_| AttestError::SubjectOutsideTree {
                subject: arg.to_string(),
            })?
    } else {
        path
    };
    let mut parts: Vec<String> = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(p) => match p.to_str() {
                Some(s) => parts.push(s.to_string()),
                None => {
                    return Err(AttestError::NonUtf8Subject {
                        path: path.to_path_buf(),
                    })
                }
            },
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(AttestError::SubjectOutsideTree {
                    subject: arg.to_string(),
                })
            }
        }
    }
    if parts.is_empty() {
        return Err(AttestError::SubjectIsDirectory {
            path: path.to_path_buf(),
        });
    }
    Ok(parts.join("/"))
}

/// Whether a `**` walk descends into symlinked directories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FollowSymlinks {
    /// A symlink to a directory is neither descended nor matched (a symlink to a file is
    /// matched as that file).
    #[default]
    No,
    /// Symlinked directories are descended; a link back to one of its own ancestors is a loop
    /// and an error ([`AttestError::SymlinkLoop`]).
    Yes,
}

/// How subject patterns are expanded.
#[derive(Debug, Clone, Copy, Default)]
pub struct SubjectOptions {
    /// Whether the walk follows symlinked directories.
    pub follow_symlinks: FollowSymlinks,
}

/// Resolves subject arguments (paths or glob patterns, relative to `cwd`) with the default
/// [`SubjectOptions`] (symlinked directories are not followed).
pub fn resolve_subjects(cwd: &Path, args: &[String]) -> Result<Vec<SubjectFile>, AttestError> {
    resolve_subjects_with(cwd, args, SubjectOptions::default())
}

/// Resolves subject arguments (paths or glob patterns, relative to `cwd`) into files.
///
/// An argument that names an existing path is taken literally, even when it holds glob
/// characters (`w[1].whl`). A literal path must name an existing regular file (a symlink to one
/// is followed); a pattern must match at least one file (directories it matches are left out),
/// and a name it matches that is not UTF-8 is an error naming its bytes. The result is sorted by
/// name and free of duplicates.
pub fn resolve_subjects_with(
    cwd: &Path,
    args: &[String],
    opts: SubjectOptions,
) -> Result<Vec<SubjectFile>, AttestError> {
    if args.is_empty() {
        return Err(AttestError::NoSubjects);
    }
    let mut out: Vec<SubjectFile> = Vec::new();
    for arg in args {
        let literal_exists = std::fs::symlink_metadata(cwd.join(arg)).is_ok();
        if has_glob_meta(arg) && !literal_exists {
            let before = out.len();
            expand(cwd, arg, opts, &mut out)?;
            if out.len() == before {
                return Err(AttestError::NoMatch {
                    pattern: arg.clone(),
                });
            }
        } else {
            out.push(literal(cwd, arg)?);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

fn literal(cwd: &Path, arg: &str) -> Result<SubjectFile, AttestError> {
    let path = Path::new(arg);
    let name = subject_name(cwd, arg, path)?;
    let full = cwd.join(path);
    let meta = fs_err::metadata(&full).map_err(|e| AttestError::Io {
        path: path.to_path_buf(),
        // A missing subject is said plainly; any other error stays the error it is.
        source: match e.kind() {
            std::io::ErrorKind::NotFound => {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
            }
            _ => e,
        },
    })?;
    if meta.is_dir() {
        return Err(AttestError::SubjectIsDirectory {
            path: path.to_path_buf(),
        });
    }
    if !meta.is_file() {
        return Err(AttestError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    Ok(SubjectFile { name, path: full })
}

/// Expands one pattern: one walk of the directory below its literal prefix, matching each
/// entry's path (relative to `cwd`) against the whole pattern.
fn expand(
    cwd: &Path,
    arg: &str,
    opts: SubjectOptions,
    out: &mut Vec<SubjectFile>,
) -> Result<(), AttestError> {
    let pattern_path = Path::new(arg);
    // Validate the pattern's own shape (no `..`, inside the tree) before expanding it.
    subject_name(cwd, arg, pattern_path)?;
    let full = if pattern_path.is_absolute() {
        pattern_path.to_path_buf()
    } else {
        cwd.join(pattern_path)
    };
    let full_str = full
        .to_str()
        .ok_or_else(|| AttestError::NonUtf8Subject { path: full.clone() })?;
    let pattern = glob::Pattern::new(full_str).map_err(|e| AttestError::BadPattern {
        pattern: arg.to_string(),
        // The position as the user sees it: in the pattern given, unless only the working
        // directory it is joined to is at fault.
        source: glob::Pattern::new(arg).err().unwrap_or(e),
    })?;
    let match_opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    // The walk starts at the components before the first one with glob characters, and goes
    // only as deep as the pattern can match (any depth with `**`).
    let mut base = PathBuf::new();
    let mut rest = 0usize;
    let mut recursive = false;
    for c in full.components() {
        let text = c.as_os_str().to_string_lossy();
        if rest == 0 && !has_glob_meta(&text) {
            base.push(c);
        } else {
            rest += 1;
            recursive |= text == "**";
        }
    }
    let mut walk = walkdir::WalkDir::new(&base)
        .min_depth(1)
        .sort_by_file_name()
        .follow_links(opts.follow_symlinks == FollowSymlinks::Yes);
    if !recursive {
        walk = walk.max_depth(rest);
    }
    for entry in walk {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| base.clone());
                if let Some(ancestor) = e.loop_ancestor() {
                    return Err(AttestError::SymlinkLoop {
                        path,
                        ancestor: ancestor.to_path_buf(),
                    });
                }
                // A pattern whose literal base does not exist matches nothing.
                if e.depth() == 0
                    && e.io_error().map(std::io::Error::kind) == Some(std::io::ErrorKind::NotFound)
                {
                    return Ok(());
                }
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("walk failed"));
                return Err(AttestError::Io { path, source });
            }
        };
        let path = entry.path();
        let lossy = path.to_string_lossy();
        if !pattern.matches_with(&lossy, match_opts) {
            continue;
        }
        // Follows a symlink to a file; a symlinked directory is not a subject either way.
        let meta = fs_err::metadata(path).map_err(|e| AttestError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        if !meta.is_file() {
            continue;
        }
        if path.to_str().is_none() {
            return Err(AttestError::NonUtf8Subject {
                path: path.to_path_buf(),
            });
        }
        let name = subject_name(cwd, arg, path)?;
        out.push(SubjectFile {
            name,
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Hashes the subject files (each read once; files in parallel), reporting the progress to
/// `observer` (the total first, then bytes and files as they are done; from several threads).
pub fn hash_subjects_observed(
    files: &[SubjectFile],
    digests: &[HashAlgorithm],
    observer: &(dyn Fn(HashProgress) + Sync),
) -> Result<Vec<(String, DigestSet)>, AttestError> {
    let paths: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
    let sets = provseal_crypto::hash::hash_files_observed(&paths, digests, observer)?;
    Ok(files.iter().map(|f| f.name.clone()).zip(sets).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("dist/sub")).unwrap();
        std::fs::write(d.path().join("dist/a.tgz"), b"a").unwrap();
        std::fs::write(d.path().join("dist/b.whl"), b"b").unwrap();
        std::fs::write(d.path().join("dist/sub/c.txt"), b"c").unwrap();
        d
    }

    fn names(v: &[SubjectFile]) -> Vec<&str> {
        v.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn glob_matches_files_only_sorted() {
        let d = tree();
        let s = resolve_subjects(d.path(), &["dist/*".into()]).unwrap();
        assert_eq!(names(&s), ["dist/a.tgz", "dist/b.whl"]);
        let s = resolve_subjects(d.path(), &["dist/**/*".into(), "dist/a.tgz".into()]).unwrap();
        assert_eq!(names(&s), ["dist/a.tgz", "dist/b.whl", "dist/sub/c.txt"]);
    }

    #[test]
    fn absolute_inside_is_relative_name() {
        let d = tree();
        let abs = d.path().join("dist/a.tgz");
        let s = resolve_subjects(d.path(), &[abs.to_str().unwrap().to_string()]).unwrap();
        assert_eq!(names(&s), ["dist/a.tgz"]);
        let s = resolve_subjects(d.path(), &["./dist/./b.whl".into()]).unwrap();
        assert_eq!(names(&s), ["dist/b.whl"]);
    }

    #[test]
    fn bad_subjects_are_errors() {
        let d = tree();
        let e = resolve_subjects(d.path(), &["dist".into()]).unwrap_err();
        assert!(matches!(e, AttestError::SubjectIsDirectory { .. }), "{e}");
        let e = resolve_subjects(d.path(), &["dist/missing".into()]).unwrap_err();
        assert!(e.to_string().contains("dist/missing"), "{e}");
        let e = resolve_subjects(d.path(), &["dist/*.exe".into()]).unwrap_err();
        assert!(matches!(e, AttestError::NoMatch { .. }), "{e}");
        let e = resolve_subjects(d.path(), &["dist/[z-a.whl".into()]).unwrap_err();
        assert_eq!(
            provseal_model::one_line(&e),
            "subject pattern `dist/[z-a.whl` is invalid: \
             Pattern syntax error near position 5: invalid range pattern"
        );
        let e = resolve_subjects(d.path(), &["../etc/passwd".into()]).unwrap_err();
        assert!(matches!(e, AttestError::SubjectOutsideTree { .. }), "{e}");
        let e = resolve_subjects(d.path(), &["/etc/passwd".into()]).unwrap_err();
        assert!(matches!(e, AttestError::SubjectOutsideTree { .. }), "{e}");
        let e = resolve_subjects(d.path(), &[]).unwrap_err();
        assert!(matches!(e, AttestError::NoSubjects), "{e}");
    }

    /// Issue 14: `**` does not follow symlinked directories unless asked; asked, a link back to
    /// an ancestor (`ln -s .. out/sub/up`, two of them, or a link to `/`) is a loop error, never
    /// an endless walk.
    #[cfg(unix)]
    #[test]
    fn issue_14_symlinked_directories_and_loops() {
        use std::os::unix::fs::symlink;
        let d = tree();
        symlink("..", d.path().join("dist/sub/up")).unwrap();
        symlink("..", d.path().join("dist/sub/up2")).unwrap();
        symlink("/", d.path().join("dist/root")).unwrap();
        // A symlink to a file is still that file.
        symlink("a.tgz", d.path().join("dist/link.tgz")).unwrap();
        let s = resolve_subjects(d.path(), &["dist/**/*".into()]).unwrap();
        assert_eq!(
            names(&s),
            [
                "dist/a.tgz",
                "dist/b.whl",
                "dist/link.tgz",
                "dist/sub/c.txt"
            ]
        );
        let follow = SubjectOptions {
            follow_symlinks: FollowSymlinks::Yes,
        };
        // (Following the link to `/` would walk the whole filesystem, as asked.)
        std::fs::remove_file(d.path().join("dist/root")).unwrap();
        let e = resolve_subjects_with(d.path(), &["dist/**/*".into()], follow).unwrap_err();
        assert!(matches!(e, AttestError::SymlinkLoop { .. }), "{e}");
        assert!(e.to_string().starts_with("symlink loop: `"), "{e}");
        // Without loops, following works and names the files through the link.
        std::fs::remove_file(d.path().join("dist/sub/up")).unwrap();
        std::fs::remove_file(d.path().join("dist/sub/up2")).unwrap();
        std::fs::create_dir(d.path().join("other")).unwrap();
        std::fs::write(d.path().join("other/o.bin"), b"o").unwrap();
        symlink("../other", d.path().join("dist/ext")).unwrap();
        let s = resolve_subjects_with(d.path(), &["dist/**/*.bin".into()], follow).unwrap();
        assert_eq!(names(&s), ["dist/ext/o.bin"]);
        let e = resolve_subjects(d.path(), &["dist/**/*.bin".into()]).unwrap_err();
        assert!(matches!(e, AttestError::NoMatch { .. }), "{e}");
    }

    /// Issue 14: a non-UTF-8 name that a pattern matches is an error naming its bytes, not a
    /// silent skip.
    #[cfg(unix)]
    #[test]
    fn issue_14_non_utf8_names_are_an_error() {
        use std::os::unix::ffi::OsStrExt;
        let d = tree();
        let bad = std::ffi::OsStr::from_bytes(b"w\xff.whl");
        std::fs::write(d.path().join("dist").join(bad), b"w").unwrap();
        let e = resolve_subjects(d.path(), &["dist/*.whl".into()]).unwrap_err();
        assert!(matches!(e, AttestError::NonUtf8Subject { .. }), "{e}");
        assert!(
            e.to_string()
                .ends_with("/dist/w\\xff.whl` is not valid UTF-8"),
            "{e}"
        );
        // A pattern that cannot match it is unaffected.
        let s = resolve_subjects(d.path(), &["dist/*.tgz".into()]).unwrap();
        assert_eq!(names(&s), ["dist/a.tgz"]);
    }

    /// Issue 14: an argument that exists is taken literally before it is tried as a glob:
    /// `w[1].whl` is that file, not `w1.whl`.
    #[test]
    fn issue_14_existing_path_is_literal() {
        let d = tree();
        std::fs::write(d.path().join("dist/w[1].whl"), b"x").unwrap();
        std::fs::write(d.path().join("dist/w1.whl"), b"y").unwrap();
        let s = resolve_subjects(d.path(), &["dist/w[1].whl".into()]).unwrap();
        assert_eq!(names(&s), ["dist/w[1].whl"]);
        // Absent, the same text is a pattern.
        std::fs::remove_file(d.path().join("dist/w[1].whl")).unwrap();
        let s = resolve_subjects(d.path(), &["dist/w[1].whl".into()]).unwrap();
        assert_eq!(names(&s), ["dist/w1.whl"]);
    }
}
