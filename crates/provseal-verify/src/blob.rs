//! `verify-blob`: a file checked against a signature over its bytes — a minisign signature, a
//! raw Ed25519/ECDSA signature (or cosign's base64 of one), or a Sigstore bundle (a message
//! signature, or a DSSE statement that names the file), with a public key or, for a bundle, a
//! certificate identity. The caller reads the key and the signature; this module decides.

use std::path::{Path, PathBuf};

use provseal_crypto::hash::HashAlgorithm;
use provseal_crypto::minisign::{self, MinisignError, MinisignPublicKey};
use provseal_crypto::PublicKey;
use provseal_model::Cause;
use provseal_sigstore::{ArtifactInput, BundleSigner, ParsedBundle, SigstoreError};

use crate::SigstoreTrust;

/// What the file is checked against.
pub enum BlobSignature<'a> {
    /// A signature file and the signer's public key (`minisign_key`: the same key as minisign
    /// read it, with its own key number, when it was given in minisign's format).
    Detached {
        /// The signature file's bytes.
        bytes: &'a [u8],
        /// Its path (named in messages).
        path: &'a Path,
        /// The signer's key.
        key: &'a PublicKey,
        /// The key as a minisign public key, when it was given as one.
        minisign_key: Option<&'a MinisignPublicKey>,
    },
    /// A Sigstore message-signature bundle, checked with `key` when one is given, else with the
    /// identity policy of `trust`.
    Bundle {
        /// The bundle's bytes.
        bytes: &'a [u8],
        /// Its path (named in messages).
        path: &'a Path,
        /// The trusted root and the identity policy.
        trust: &'a SigstoreTrust,
        /// The signer's key, for a key-signed bundle.
        key: Option<&'a PublicKey>,
    },
}

/// Who signed the file, and how that was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobVerified {
    /// A minisign signature by the key; its trusted comment.
    Minisign {
        /// The trusted comment (signed with the file).
        trusted_comment: String,
    },
    /// A raw signature by the key.
    Raw,
    /// A key-signed Sigstore bundle (given as the signature file) by the key.
    KeySignedBundle {
        /// The bundle file.
        bundle: String,
    },
    /// A bundle given with `Bundle`: its certificate identity (`None` for a key-signed one).
    Bundle {
        /// The certificate's subject alternative name and OIDC issuer.
        identity: Option<(Option<String>, Option<String>)>,
    },
}

/// Why the file is not shown to be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The file to verify could not be opened (or its metadata read).
    #[error("cannot read the file to sign or verify")]
    DataUnreadable {
        /// The I/O error (it names the path).
        #[source]
        source: Cause,
    },
    /// The file to verify is a directory, a device, ….
    #[error("`{}` is not a file", path.display())]
    DataNotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Reading the file to verify failed part way.
    #[error("cannot read `{}`", path.display())]
    DataRead {
        /// The path.
        path: PathBuf,
        /// The reader's error.
        #[source]
        source: Cause,
    },
    /// A bundle with neither a key nor an identity policy to check it against.
    #[error("no signer to check the bundle against")]
    NoSigner,
    /// The bundle is malformed, or cannot be checked with the trust given.
    #[error("`{name}` cannot be checked")]
    BundleUnusable {
        /// The bundle file.
        name: String,
        /// The bundle verifier's error.
        #[source]
        source: SigstoreError,
    },
    /// The bundle does not verify (signature, certificate, identity, log entry).
    #[error(transparent)]
    BundleRejected(SigstoreError),
    /// A signature file that starts as JSON but does not parse.
    #[error("`{}` is not valid JSON", path.display())]
    SignatureNotJson {
        /// The signature file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A JSON signature file that is not a Sigstore bundle.
    #[error("`{}` is JSON but not a Sigstore bundle (no bundle `mediaType`)", path.display())]
    NotABundle {
        /// The signature file.
        path: PathBuf,
    },
    /// A minisign signature file that is not UTF-8 text.
    #[error("`{}` is not valid UTF-8", path.display())]
    SignatureNotUtf8 {
        /// The signature file.
        path: PathBuf,
    },
    /// The key cannot check a minisign signature (not an Ed25519 key).
    #[error(transparent)]
    KeyNotMinisign(MinisignError),
    /// The signature file is malformed.
    #[error("`{}` is malformed", path.display())]
    SignatureMalformed {
        /// The signature file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: MinisignError,
    },
    /// The minisign or raw signature does not verify with the key.
    #[error(transparent)]
    SignatureRejected(MinisignError),
    /// A key-signed bundle given as the signature file is malformed or does not verify (the
    /// bundle verifier's error says which: [`SigstoreError::is_input_error`]).
    #[error(transparent)]
    KeySignedBundle(SigstoreError),
}

impl BlobError {
    /// Whether this is bad input (exit 2) rather than a definite "no" (exit 1).
    pub fn is_input_error(&self) -> bool {
        match self {
            BlobError::BundleRejected(_) | BlobError::SignatureRejected(_) => false,
            BlobError::KeySignedBundle(e) => e.is_input_error(),
            _ => true,
        }
    }
}

/// Checks that `file` is signed as `signature` says.
pub fn verify_blob(file: &Path, signature: &BlobSignature<'_>) -> Result<BlobVerified, BlobError> {
    match *signature {
        BlobSignature::Bundle {
            bytes,
            path,
            trust,
            key,
        } => verify_message_bundle(file, bytes, path, trust, key),
        BlobSignature::Detached {
            bytes,
            path,
            key,
            minisign_key,
        } => verify_detached(file, bytes, path, key, minisign_key),
    }
}

/// Opens the file to verify (a regular file only).
fn open_data(path: &Path) -> Result<fs_err::File, BlobError> {
    let unreadable = |e: std::io::Error| BlobError::DataUnreadable {
        source: Cause::new(e),
    };
    let meta = fs_err::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(BlobError::DataNotAFile {
            path: path.to_path_buf(),
        });
    }
    fs_err::File::open(path).map_err(unreadable)
}

/// The file's SHA-256, hex (read streaming, any size).
fn sha256_of(file: &Path, data: fs_err::File) -> Result<String, BlobError> {
    let digests =
        provseal_crypto::hash::hash_reader(data, &[HashAlgorithm::Sha256]).map_err(|e| {
            BlobError::DataRead {
                path: file.to_path_buf(),
                source: Cause::new(e),
            }
        })?;
    Ok(digests.get("sha256").unwrap_or_default().to_owned())
}

/// A message-signature bundle over the file (`--bundle`).
fn verify_message_bundle(
    file: &Path,
    bytes: &[u8],
    path: &Path,
    trust: &SigstoreTrust,
    key: Option<&PublicKey>,
) -> Result<BlobVerified, BlobError> {
    let name = path.display().to_string();
    let hex = sha256_of(file, open_data(file)?)?;
    let artifact = ArtifactInput::Digest {
        alg: "sha256",
        hex: &hex,
    };
    let signer = match (key, &trust.identity) {
        (Some(k), _) => BundleSigner::Key(k),
        (None, Some(policy)) => BundleSigner::Identity(policy),
        (None, None) => return Err(BlobError::NoSigner),
    };
    let result = ParsedBundle::parse(bytes, &name).and_then(|parsed| {
        provseal_sigstore::verify_parsed(
            &parsed,
            Some(&artifact),
            &trust.trusted_root,
            signer,
            &trust.options,
        )
    });
    match result {
        Ok(v) => Ok(BlobVerified::Bundle {
            identity: v.identity().map(|i| (i.san.clone(), i.issuer.clone())),
        }),
        Err(e) if e.is_input_error() => Err(BlobError::BundleUnusable { name, source: e }),
        Err(e) => Err(BlobError::BundleRejected(e)),
    }
}

/// A signature file with a key: a key-signed bundle (JSON), a minisign signature, or a raw one.
fn verify_detached(
    file: &Path,
    sig: &[u8],
    path: &Path,
    key: &PublicKey,
    minisign_key: Option<&MinisignPublicKey>,
) -> Result<BlobVerified, BlobError> {
    if crate::detached::is_json_text(sig) {
        // JSON text is never a raw signature: a Sigstore bundle, or an error.
        let value: serde_json::Value =
            serde_json::from_slice(sig).map_err(|e| BlobError::SignatureNotJson {
                path: path.to_path_buf(),
                source: e,
            })?;
        if !provseal_sigstore::looks_like_bundle(&value) {
            return Err(BlobError::NotABundle {
                path: path.to_path_buf(),
            });
        }
        return verify_key_signed_bundle(file, path, sig, &value, key);
    }
    let data = open_data(file)?;
    let result = if minisign::is_minisig(sig) {
        let text = std::str::from_utf8(sig).map_err(|_| BlobError::SignatureNotUtf8 {
            path: path.to_path_buf(),
        })?;
        let own;
        let pk = match minisign_key {
            Some(k) => k,
            None => {
                own = MinisignPublicKey::from_public_key(key).map_err(BlobError::KeyNotMinisign)?;
                &own
            }
        };
        minisign::verify(data, text, pk).map(|v| BlobVerified::Minisign {
            trusted_comment: v.trusted_comment,
        })
    } else {
        minisign::verify_raw(data, &cosign_base64_or_raw(sig), key).map(|()| BlobVerified::Raw)
    };
    result.map_err(|e| match e {
        MinisignError::Read(e) => BlobError::DataRead {
            path: file.to_path_buf(),
            source: Cause::new(e),
        },
        e if e.is_rejection() => BlobError::SignatureRejected(e),
        e => BlobError::SignatureMalformed {
            path: path.to_path_buf(),
            source: e,
        },
    })
}

/// cosign's `--output-signature` file is the DER signature in base64 text; a raw signature file
/// holds the bytes themselves (a binary DER or Ed25519 signature is never all base64 text).
fn cosign_base64_or_raw(sig: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let text = sig.trim_ascii();
    match base64::engine::general_purpose::STANDARD.decode(text) {
        Ok(decoded) if !text.is_empty() => decoded,
        _ => sig.to_vec(),
    }
}

/// A key-signed Sigstore bundle as the signature (a message signature over the file, or a DSSE
/// envelope whose statement names the file), checked with `key`. The key alone decides: no log
/// entry or timestamp is needed or trusted. A DSSE bundle needs only the file's digest (hashed
/// streaming, any size); a message signature is over the bytes themselves.
fn verify_key_signed_bundle(
    file: &Path,
    path: &Path,
    bundle: &[u8],
    value: &serde_json::Value,
    key: &PublicKey,
) -> Result<BlobVerified, BlobError> {
    let mut data = open_data(file)?;
    let (digest, mut bytes);
    let artifact = if value.get("dsseEnvelope").is_some() {
        digest = sha256_of(file, data)?;
        ArtifactInput::Digest {
            alg: "sha256",
            hex: &digest,
        }
    } else {
        bytes = Vec::new();
        std::io::Read::read_to_end(&mut data, &mut bytes).map_err(|e| {
            BlobError::DataUnreadable {
                source: Cause::new(e),
            }
        })?;
        ArtifactInput::Bytes(&bytes)
    };
    let name = path.display().to_string();
    let trust = provseal_sigstore::TrustedRoot::production().map_err(BlobError::KeySignedBundle)?;
    provseal_sigstore::verify_bundle(
        bundle,
        &name,
        &artifact,
        &trust,
        BundleSigner::Key(key),
        &provseal_sigstore::VerifyOptions::default(),
    )
    .map(|_| BlobVerified::KeySignedBundle { bundle: name })
    .map_err(BlobError::KeySignedBundle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosign_base64_is_decoded_and_binary_kept() {
        assert_eq!(cosign_base64_or_raw(b"AAEC\n"), vec![0, 1, 2]);
        assert_eq!(cosign_base64_or_raw(&[0xff, 0x00]), vec![0xff, 0x00]);
        assert_eq!(cosign_base64_or_raw(b""), Vec::<u8>::new());
    }
}
