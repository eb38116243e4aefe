//! Resolving `--subject` paths and globs into the files to attest.

use std::path::{Component, Path, PathBuf};

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

/// Resolves subject arguments (paths or glob patterns, relative to `cwd`) into files.
///
/// A literal path must name an existing regular file (a symlink to one is followed); a pattern
/// must match at least one file (directories it matches are left out). The result is sorted by
/// name and free of duplicates.
pub fn resolve_subjects(cwd: &Path, args: &[String]) -> Result<Vec<SubjectFile>, AttestError> {
    if args.is_empty() {
        return Err(AttestError::NoSubjects);
    }
    let mut out: Vec<SubjectFile> = Vec::new();
    for arg in args {
        if has_glob_meta(arg) {
            let pattern_path = Path::new(arg);
            // Validate the pattern's own shape before expanding it.
            subject_name(cwd, arg, pattern_path)?;
            let full = if pattern_path.is_absolute() {
                pattern_path.to_path_buf()
            } else {
                cwd.join(pattern_path)
            };
            let full_str = full
                .to_str()
                .ok_or_else(|| AttestError::NonUtf8Subject { path: full.clone() })?;
            let paths = glob::glob(full_str).map_err(|e| AttestError::BadPattern {
                pattern: arg.clone(),
                reason: e.msg.to_string(),
            })?;
            let mut matched = 0usize;
            for entry in paths {
                let path = entry.map_err(|e| AttestError::Io {
                    path: e.path().to_path_buf(),
                    source: std::io::Error::new(e.error().kind(), e.error().to_string()),
                })?;
                let meta = fs_err::metadata(&path).map_err(|e| AttestError::Io {
                    path: path.clone(),
                    source: e,
                })?;
                if !meta.is_file() {
                    continue;
                }
                let name = subject_name(cwd, arg, &path)?;
                out.push(SubjectFile { name, path });
                matched += 1;
            }
            if matched == 0 {
                return Err(AttestError::NoMatch {
                    pattern: arg.clone(),
                });
            }
        } else {
            let path = Path::new(arg);
            let name = subject_name(cwd, arg, path)?;
            let full = cwd.join(path);
            let meta = fs_err::metadata(&full).map_err(|e| AttestError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    e.kind(),
                    match e.kind() {
                        std::io::ErrorKind::NotFound => "no such file".to_string(),
                        _ => e.to_string(),
                    },
                ),
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
            out.push(SubjectFile { name, path: full });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
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
        let e = resolve_subjects(d.path(), &["../etc/passwd".into()]).unwrap_err();
        assert!(matches!(e, AttestError::SubjectOutsideTree { .. }), "{e}");
        let e = resolve_subjects(d.path(), &["/etc/passwd".into()]).unwrap_err();
        assert!(matches!(e, AttestError::SubjectOutsideTree { .. }), "{e}");
        let e = resolve_subjects(d.path(), &[]).unwrap_err();
        assert!(matches!(e, AttestError::NoSubjects), "{e}");
    }
}
