//! Key generation and key file output.

use std::io::Write as _;
use std::path::Path;

use der::Encode as _;
use pkcs8::pkcs5;
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::keys::KeyAlgorithm;
use crate::pem;
use crate::signer::{KeyPairSigner, Signer as _};

/// A freshly generated key pair, as PEM text.
pub struct GeneratedKey {
    /// PKCS#8 PEM (`PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` when a passphrase was given).
    pub private_pem: Zeroizing<String>,
    /// SPKI PEM (`PUBLIC KEY`).
    pub public_pem: String,
    /// The provseal key id of the public key.
    pub key_id: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("private_pem", &"[redacted]")
            .field("public_pem", &self.public_pem)
            .field("key_id", &self.key_id)
            .finish()
    }
}

/// scrypt cost for new encrypted keys: N = 2^14, r = 8, p = 1 (openssl's `-scrypt` default).
const SCRYPT_LOG_N: u8 = 14;

fn gen_err(e: impl std::fmt::Display + std::fmt::Debug + Send + Sync + 'static) -> CryptoError {
    CryptoError::KeyGeneration {
        source: provseal_model::Cause::from_display(e),
    }
}

/// Generates a key pair. With a passphrase the private key is encrypted PKCS#8 (PBES2 with
/// scrypt N=2^14, r=8, p=1 and AES-256-CBC), which `openssl pkey -passin` reads.
pub fn generate_key(
    algorithm: KeyAlgorithm,
    passphrase: Option<&[u8]>,
) -> Result<GeneratedKey, CryptoError> {
    let signer = KeyPairSigner::generate(algorithm)?;
    let der = signer.to_pkcs8_der()?;
    let private_pem = match passphrase {
        None => Zeroizing::new(pem::encode("PRIVATE KEY", &der)),
        Some(pass) => Zeroizing::new(pem::encode(
            "ENCRYPTED PRIVATE KEY",
            &encrypt_pkcs8(&der, pass)?,
        )),
    };
    Ok(GeneratedKey {
        private_pem,
        public_pem: signer.public_key().to_pem(),
        key_id: signer.key_id(),
    })
}

/// Encrypts a PKCS#8 DER document with PBES2 (scrypt + AES-256-CBC).
pub(crate) fn encrypt_pkcs8(der: &[u8], passphrase: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(gen_err)?;
    aws_lc_rs::rand::fill(&mut iv).map_err(gen_err)?;
    let params = pkcs5::scrypt::Params::new(SCRYPT_LOG_N, 8, 1, 32).map_err(gen_err)?;
    let pbes2 = pkcs5::pbes2::Parameters::scrypt_aes256cbc(params, &salt, &iv).map_err(gen_err)?;
    let ciphertext = pbes2.encrypt(passphrase, der).map_err(gen_err)?;
    let info = pkcs8::EncryptedPrivateKeyInfo {
        encryption_algorithm: pbes2.into(),
        encrypted_data: &ciphertext,
    };
    info.to_der().map_err(gen_err)
}

/// Writes a private key file with mode 0600. Never overwrites: an existing `path` is an error
/// ([`CryptoError::FileExists`]). The content is written to a temporary file in the same
/// directory, synced, then linked into place (a hard link fails when the target exists, unlike
/// a rename), so readers never see a partial key.
pub fn write_private_key_file(path: &Path, pem_text: &str) -> Result<(), CryptoError> {
    if path.symlink_metadata().is_ok() {
        return Err(CryptoError::FileExists {
            path: path.to_path_buf(),
        });
    }
    let dir = parent_dir(path);
    let tmp = write_temp(dir, path, pem_text.as_bytes(), 0o600)?;
    let linked = std::fs::hard_link(tmp.path(), path);
    match linked {
        Ok(()) => {
            // The temporary name is removed when `tmp` drops; the key stays under `path`.
            drop(tmp);
            sync_dir(dir);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(CryptoError::FileExists {
            path: path.to_path_buf(),
        }),
        Err(_) => {
            // File systems without hard links: create the target exclusively instead.
            drop(tmp);
            write_exclusive(path, pem_text.as_bytes(), 0o600)
        }
    }
}

/// Writes a public key file (mode 0644) atomically (temporary file + rename); an existing
/// file is replaced.
pub fn write_public_key_file(path: &Path, pem_text: &str) -> Result<(), CryptoError> {
    let dir = parent_dir(path);
    let tmp = write_temp(dir, path, pem_text.as_bytes(), 0o644)?;
    tmp.persist(path)
        .map_err(|e| CryptoError::io(path, e.error))?;
    sync_dir(dir);
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn sync_dir(dir: &Path) {
    // Best effort: not every platform lets a directory be opened and synced.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A temporary file in `dir` holding `content`, created with `mode` (0600 from the start, so
/// the key is never readable by others even for a moment). Errors name `target`, the file the
/// caller asked for.
fn write_temp(
    dir: &Path,
    target: &Path,
    content: &[u8],
    mode: u32,
) -> Result<TempFile, CryptoError> {
    for attempt in 0..16u32 {
        let mut rnd = [0u8; 8];
        aws_lc_rs::rand::fill(&mut rnd).map_err(gen_err)?;
        let name = format!(".provseal-{}-{attempt}.tmp", hex::encode(rnd));
        let tmp_path = dir.join(name);
        match create_new(&tmp_path, mode) {
            Ok(mut f) => {
                let tmp = TempFile {
                    path: Some(tmp_path.clone()),
                };
                f.write_all(content)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| CryptoError::io(target, e))?;
                return Ok(tmp);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(CryptoError::io(target, e)),
        }
    }
    Err(CryptoError::io(
        target,
        std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "could not pick a temporary file name",
        ),
    ))
}

fn write_exclusive(path: &Path, content: &[u8], mode: u32) -> Result<(), CryptoError> {
    let mut f = create_new(path, mode).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CryptoError::FileExists {
                path: path.to_path_buf(),
            }
        } else {
            CryptoError::io(path, e)
        }
    })?;
    f.write_all(content)
        .and_then(|()| f.sync_all())
        .map_err(|e| CryptoError::io(path, e))
}

fn create_new(path: &Path, mode: u32) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    opts.open(path)
}

/// A temporary file removed on drop unless persisted.
struct TempFile {
    path: Option<std::path::PathBuf>,
}

struct PersistError {
    error: std::io::Error,
}

impl TempFile {
    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    fn persist(mut self, to: &Path) -> Result<(), PersistError> {
        let from = self.path.take().unwrap_or_default();
        std::fs::rename(&from, to).map_err(|error| {
            let _ = std::fs::remove_file(&from);
            PersistError { error }
        })
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}
