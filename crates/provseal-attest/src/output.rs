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
/// sees a partial file. With [`Overwrite::Refuse`] an existing file is an error and is not touched.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: Overwrite) -> Result<(), AttestError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if overwrite == Overwrite::Refuse && fs_err::symlink_metadata(path).is_ok() {
        return Err(AttestError::OutputExists {
            path: path.to_path_buf(),
        });
    }
    let io = |e: std::io::Error| AttestError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".provseal-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io)?;
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
}
