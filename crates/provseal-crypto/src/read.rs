//! Bounded reads of small file-like inputs: keys, signatures, policies, trusted roots.
//!
//! Each kind of input has a size limit far above any real file of its kind; a larger input
//! (`--key /dev/zero`, a multi-gigabyte file given by mistake) is refused with the limit named,
//! after reading at most one byte more than the limit, whatever the file is (a regular file, a
//! FIFO, a device). Private keys are also checked for group- or world-readable modes: the finding
//! is returned, never printed (the caller decides how to warn).
//!
//! ```
//! use provseal_crypto::read::{read_bounded, InputKind};
//! let dir = std::env::temp_dir().join(format!("provseal-read-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("k.pub");
//! std::fs::write(&path, b"-----BEGIN PUBLIC KEY-----").unwrap();
//! assert_eq!(read_bounded(&path, InputKind::PublicKey).unwrap().len(), 26);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::CryptoError;

/// A kind of small input, with its size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputKind {
    /// A private key file (PEM or DER, maybe encrypted): 64 KiB.
    PrivateKey,
    /// A public key file: 64 KiB.
    PublicKey,
    /// A detached signature (raw, base64, minisign, or a Sigstore bundle, which may carry a
    /// DSSE payload): 64 MiB, as an attestation file.
    Signature,
    /// A policy file: 1 MiB.
    Policy,
    /// A Sigstore trusted root or signing config: 8 MiB.
    TrustedRoot,
}

impl InputKind {
    /// The largest accepted size in bytes.
    pub const fn limit(self) -> u64 {
        match self {
            InputKind::PrivateKey | InputKind::PublicKey => 64 * 1024,
            InputKind::Signature => 64 * 1024 * 1024,
            InputKind::Policy => 1024 * 1024,
            InputKind::TrustedRoot => 8 * 1024 * 1024,
        }
    }

    /// What the input is, for messages.
    pub const fn name(self) -> &'static str {
        match self {
            InputKind::PrivateKey => "private key",
            InputKind::PublicKey => "public key",
            InputKind::Signature => "signature",
            InputKind::Policy => "policy",
            InputKind::TrustedRoot => "trusted root",
        }
    }
}

/// Reads `path` whole, refusing it ([`CryptoError::TooLarge`]) once it holds more than
/// `kind`'s limit; a directory is [`CryptoError::NotAFile`].
pub fn read_bounded(path: &Path, kind: InputKind) -> Result<Vec<u8>, CryptoError> {
    let io = |source| CryptoError::Io {
        path: path.to_path_buf(),
        source,
    };
    // fs_err: the I/O error itself names the path (`failed to open file `k.pub`: …`).
    let file = fs_err::File::open(path).map_err(io)?;
    if file.metadata().map_err(io)?.is_dir() {
        return Err(CryptoError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let limit = kind.limit();
    let mut out = Vec::new();
    file.take(limit + 1).read_to_end(&mut out).map_err(io)?;
    if out.len() as u64 > limit {
        return Err(CryptoError::TooLarge {
            path: path.to_path_buf(),
            what: kind.name(),
            limit,
        });
    }
    Ok(out)
}

/// A private key file that others than its owner may read (mode `& 0o077 != 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedKeyFile {
    /// The key file.
    pub path: PathBuf,
    /// Its permission bits (`0o644`, …).
    pub mode: u32,
}

impl std::fmt::Display for ExposedKeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "private key `{}` has mode {:04o}: group or others can read it (expected 0600)",
            self.path.display(),
            self.mode
        )
    }
}

/// Reads a private key file (bounded, [`InputKind::PrivateKey`]) into zeroizing memory, and
/// says whether its mode lets group or others read it.
pub fn read_private_key(
    path: &Path,
) -> Result<(Zeroizing<Vec<u8>>, Option<ExposedKeyFile>), CryptoError> {
    let bytes = Zeroizing::new(read_bounded(path, InputKind::PrivateKey)?);
    Ok((bytes, exposed_key_file(path)))
}

/// Whether the private key file at `path` is readable by group or others (`None`: it is not,
/// or it cannot be inspected).
#[cfg(unix)]
pub fn exposed_key_file(path: &Path) -> Option<ExposedKeyFile> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    let mode = meta.permissions().mode() & 0o7777;
    (meta.is_file() && mode & 0o077 != 0).then(|| ExposedKeyFile {
        path: path.to_path_buf(),
        mode,
    })
}

/// Whether the private key file at `path` is readable by group or others (never on this
/// platform).
#[cfg(not(unix))]
pub fn exposed_key_file(_: &Path) -> Option<ExposedKeyFile> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14: `--key /dev/zero` and `--signature /dev/zero` are refused at the limit, which
    /// the error names, instead of reading until memory runs out.
    #[cfg(unix)]
    #[test]
    fn issue_14_endless_inputs_are_refused_at_the_limit() {
        for kind in [
            InputKind::PrivateKey,
            InputKind::PublicKey,
            InputKind::Signature,
            InputKind::Policy,
            InputKind::TrustedRoot,
        ] {
            let e = read_bounded(Path::new("/dev/zero"), kind).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "{} `/dev/zero` is larger than the limit of {} bytes",
                    kind.name(),
                    kind.limit()
                )
            );
        }
        let e = read_private_key(Path::new("/dev/zero")).unwrap_err();
        assert!(matches!(e, CryptoError::TooLarge { limit: 65536, .. }));
    }

    #[test]
    fn at_the_limit_is_accepted_and_one_byte_more_is_not() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sig");
        std::fs::write(&p, vec![b'a'; 64 * 1024]).unwrap();
        assert_eq!(read_bounded(&p, InputKind::PublicKey).unwrap().len(), 65536);
        std::fs::write(&p, vec![b'a'; 64 * 1024 + 1]).unwrap();
        assert!(matches!(
            read_bounded(&p, InputKind::PublicKey),
            Err(CryptoError::TooLarge { .. })
        ));
        assert!(matches!(
            read_bounded(d.path(), InputKind::PublicKey),
            Err(CryptoError::NotAFile { .. })
        ));
    }

    /// Issue 14: a group- or world-readable private key is reported (the caller warns).
    #[cfg(unix)]
    #[test]
    fn issue_14_exposed_private_key_is_reported() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k.key");
        std::fs::write(&p, b"key").unwrap();
        for (mode, exposed) in [(0o600, false), (0o400, false), (0o640, true), (0o644, true)] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            let (bytes, warning) = read_private_key(&p).unwrap();
            assert_eq!(&bytes[..], b"key");
            assert_eq!(warning.is_some(), exposed, "{mode:o}");
            if let Some(w) = warning {
                assert_eq!(
                    w.to_string(),
                    format!(
                        "private key `{}` has mode {mode:04o}: group or others can read it (expected 0600)",
                        p.display()
                    )
                );
            }
        }
    }
}
