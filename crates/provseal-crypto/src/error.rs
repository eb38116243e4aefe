//! The crate's one error type.

use std::path::PathBuf;

use provseal_model::Cause;

use crate::diag::Code;

/// Everything that can go wrong in provseal-crypto.
///
/// Variants never carry key material: a key input is named by its `input` (a path, `env://VAR`,
/// …), never by its content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A file could not be read or written.
    #[error("I/O error on `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A path that must be a regular file is something else (a directory, a socket, …).
    #[error("`{path}` is not a regular file")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// A file-like input is larger than the limit for its kind (`crate::read::InputKind`).
    #[error("{what} `{path}` is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The input.
        path: PathBuf,
        /// What it was read as (`private key`, `signature`, …).
        what: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// A file that must be created already exists; it is never overwritten.
    #[error("`{path}` already exists; refusing to overwrite it")]
    FileExists {
        /// The path.
        path: PathBuf,
    },
    /// A public key could not be parsed.
    #[error("invalid public key in {input}: {reason}")]
    InvalidPublicKey {
        /// What held the key (a path, `PEM`, `SPKI DER`, …).
        input: String,
        /// No underlying cause: what is wrong with the key, in the format's terms (the
        /// decoder's error, when one reported it, is `source`).
        reason: String,
        /// The decoder's error, when one reported it.
        #[source]
        source: Option<Cause>,
    },
    /// The key uses an algorithm (or curve) that provseal does not support for this operation.
    #[error("unsupported key algorithm in {input}: {algorithm}")]
    UnsupportedAlgorithm {
        /// What held the key.
        input: String,
        /// The algorithm or curve found (name or OID).
        algorithm: String,
    },
    /// The private key is encrypted and no passphrase was given.
    #[error("the private key in {input} is encrypted and needs a passphrase")]
    PassphraseRequired {
        /// What held the key.
        input: String,
    },
    /// The passphrase did not decrypt the private key.
    #[error("wrong passphrase for the encrypted private key in {input}")]
    WrongPassphrase {
        /// What held the key.
        input: String,
    },
    /// The input holds a key or object that is not a private key (e.g. a public key).
    #[error("{input} holds a {found}, not a private key")]
    NotAPrivateKey {
        /// What held the key.
        input: String,
        /// What was found instead (e.g. `public key`, `certificate`).
        found: String,
    },
    /// The input looks like a key of a known format but its content is malformed.
    #[error("malformed {format} in {input}: {reason}")]
    MalformedKey {
        /// What held the key.
        input: String,
        /// The format it claimed to be (`PEM`, `PKCS#8`, `SEC1`, …).
        format: &'static str,
        /// No underlying cause: what is wrong, in the format's terms (never key bytes; the
        /// decoder's error, when one reported it, is `source`).
        reason: String,
        /// The decoder's error, when one reported it.
        #[source]
        source: Option<Cause>,
    },
    /// The input is not a key in any format provseal reads.
    #[error(
        "{input} is not a private key provseal can read (expected PKCS#8 or SEC1 PEM, DER, or base64 DER)"
    )]
    UnrecognizedKeyFormat {
        /// What held the key.
        input: String,
    },
    /// The key encoding uses a format or encryption scheme that provseal does not read.
    #[error("unsupported key format in {input}: {format}")]
    UnsupportedKeyFormat {
        /// What held the key.
        input: String,
        /// The format found (e.g. `OPENSSH PRIVATE KEY`, `PBES1`).
        format: String,
    },
    /// A key reference (`--key` value) could not be understood.
    #[error("invalid key reference `{reference}`: {reason}")]
    InvalidKeyRef {
        /// The reference as given.
        reference: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A key file could not be read.
    #[error("cannot read key `{}`", path.display())]
    KeyUnreadable {
        /// The key file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An `env://VAR` key reference names a variable that is not set.
    #[error("key variable `{var}` is not set")]
    KeyVariableUnset {
        /// The variable.
        var: String,
    },
    /// A signing device (a PKCS#11 token, …) could not be opened; the device's own error.
    #[error(transparent)]
    SigningDevice(std::sync::Arc<dyn std::error::Error + Send + Sync>),
    /// A signature did not verify under the given key.
    #[error("signature does not verify with key {key_id}")]
    BadSignature {
        /// The key id of the key tried.
        key_id: String,
    },
    /// A DSSE envelope carries no signature.
    #[error("the DSSE envelope has no signatures")]
    NoSignatures,
    /// No public key was given to verify with.
    #[error("no public key given to verify with")]
    NoKeys,
    /// No signature of a DSSE envelope verified under any of the given keys.
    #[error(
        "none of the {signatures} DSSE signature(s) verifies with the given key(s): tried {}; {}",
        key_ids.join(", "),
        signed_by_text(signed_by)
    )]
    NoValidSignature {
        /// How many signatures the envelope carries.
        signatures: usize,
        /// The key ids of every key that was tried.
        key_ids: Vec<String>,
        /// The key ids the signatures name (`keyid`, an unverified hint): who signed it.
        signed_by: Vec<String>,
    },
    /// Signing failed inside the crypto backend or a signing device.
    #[error("signing with key {key_id} failed: {reason}")]
    SigningFailed {
        /// The key id of the signer.
        key_id: String,
        /// No underlying cause: the step that failed (`C_Sign (CKM_ECDSA) failed`, a lock
        /// poisoned); the backend's or device's error, when one reported it, is `source`.
        reason: String,
        /// The backend's or device's error, when one reported it.
        #[source]
        source: Option<Cause>,
    },
    /// Key generation or key encoding failed.
    #[error("key generation failed")]
    KeyGeneration {
        /// The backend's error.
        #[source]
        source: Cause,
    },
    /// An unknown hash algorithm name.
    #[error("unknown hash algorithm `{name}` (expected sha256, sha384 or sha512)")]
    UnknownHashAlgorithm {
        /// The name given.
        name: String,
    },
    /// A hash operation was asked for no algorithm at all.
    #[error("no hash algorithm requested")]
    NoHashAlgorithm,
}

impl CryptoError {
    /// A stable kebab-case diagnostic code for this error (for `--json` output and docs).
    pub fn code(&self) -> Code {
        match self {
            CryptoError::Io { .. } => Code::Io,
            CryptoError::NotAFile { .. } => Code::NotAFile,
            CryptoError::TooLarge { .. } => Code::TooLarge,
            CryptoError::FileExists { .. } => Code::FileExists,
            CryptoError::InvalidPublicKey { .. } => Code::PublicKeyInvalid,
            CryptoError::UnsupportedAlgorithm { .. } => Code::KeyAlgorithmUnsupported,
            CryptoError::PassphraseRequired { .. } => Code::KeyPassphraseRequired,
            CryptoError::WrongPassphrase { .. } => Code::KeyPassphraseWrong,
            CryptoError::NotAPrivateKey { .. } => Code::KeyNotPrivate,
            CryptoError::MalformedKey { .. } => Code::KeyMalformed,
            CryptoError::UnrecognizedKeyFormat { .. } => Code::KeyFormatUnrecognized,
            CryptoError::UnsupportedKeyFormat { .. } => Code::KeyFormatUnsupported,
            CryptoError::InvalidKeyRef { .. } => Code::KeyRefInvalid,
            CryptoError::KeyUnreadable { .. } => Code::KeyUnreadable,
            CryptoError::KeyVariableUnset { .. } => Code::KeyVariableUnset,
            CryptoError::SigningDevice(_) => Code::SigningDeviceError,
            CryptoError::BadSignature { .. }
            | CryptoError::NoSignatures
            | CryptoError::NoValidSignature { .. } => Code::SignatureInvalid,
            CryptoError::NoKeys => Code::KeyMissing,
            CryptoError::SigningFailed { .. } => Code::SigningFailed,
            CryptoError::KeyGeneration { .. } => Code::KeyGenerationFailed,
            CryptoError::UnknownHashAlgorithm { .. } => Code::HashAlgorithmUnknown,
            CryptoError::NoHashAlgorithm => Code::HashAlgorithmMissing,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CryptoError::Io {
            path: path.into(),
            source,
        }
    }
}

/// "signed by key id X" from the signatures' unverified key id hints.
fn signed_by_text(signed_by: &[String]) -> String {
    if signed_by.is_empty() {
        "the signatures name no key id".to_owned()
    } else {
        format!(
            "the envelope says it was signed by key id {}",
            signed_by.join(", ")
        )
    }
}
