//! cosign key pairs: `cosign.key` (encrypted) and `cosign.pub`.
//!
//! `cosign generate-key-pair` writes the private key as a PEM block labelled
//! `ENCRYPTED SIGSTORE PRIVATE KEY` (older releases: `ENCRYPTED COSIGN PRIVATE KEY`) whose body
//! is the JSON of the go-tuf / securesystemslib `encrypted` package:
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"<base64>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<base64>"},
//!  "ciphertext":"<base64>"}
//! ```
//!
//! The key is `scrypt(passphrase, salt, N, r, p, 32)`; the ciphertext is NaCl `secretbox`
//! (XSalsa20-Poly1305) over the PKCS#8 DER private key (ECDSA P-256 for cosign; Ed25519 and
//! P-384 are read too). Only the known scrypt cost settings are accepted, so a crafted file
//! cannot make provseal spend unbounded memory or time. `cosign.pub` is a plain SPKI `PUBLIC
//! KEY` PEM and loads with [`crate::PublicKey::from_pem`].
//!
//! The passphrase is the caller's: the CLI reads it from `--passphrase-env` or cosign's
//! `COSIGN_PASSWORD`.
//!
//! ```no_run
//! let pem = std::fs::read("cosign.key")?;
//! let signer = provseal_crypto::KeyPairSigner::from_cosign_key(&pem, b"passphrase", "cosign.key")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use crypto_secretbox::XSalsa20Poly1305;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::pem;
use crate::CryptoError;

/// The PEM label cosign writes today.
pub const SIGSTORE_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The PEM label older cosign releases wrote.
pub const COSIGN_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// scrypt `(N, r, p)` settings accepted: go-securesystemslib's legacy (what cosign uses),
/// and the stronger settings other writers of the format choose (2^16, 2^17, 2^20).
const ACCEPTED_SCRYPT: &[(u64, u32, u32)] = &[
    (1 << 15, 8, 1),
    (1 << 16, 8, 1),
    (1 << 17, 8, 1),
    (1 << 20, 8, 1),
];

const FORMAT: &str = "cosign encrypted key";

#[derive(Deserialize)]
struct Encrypted {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

/// Whether `bytes` hold a cosign encrypted private key (a PEM block with either cosign label).
pub fn is_cosign_key(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    text.lines().map(str::trim).any(|l| {
        l == format!("-----BEGIN {SIGSTORE_LABEL}-----")
            || l == format!("-----BEGIN {COSIGN_LABEL}-----")
    })
}

fn malformed(input: &str, reason: impl Into<String>) -> CryptoError {
    CryptoError::MalformedKey {
        input: input.to_owned(),
        format: FORMAT,
        reason: reason.into(),
        source: None,
    }
}

/// [`malformed`], with the decoder's error as the cause.
fn malformed_by(
    input: &str,
    reason: impl Into<String>,
    source: impl std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
) -> CryptoError {
    CryptoError::MalformedKey {
        input: input.to_owned(),
        format: FORMAT,
        reason: reason.into(),
        source: Some(provseal_model::Cause::from_display(source)),
    }
}

/// Decrypts a cosign private key and returns its PKCS#8 DER (zeroized on drop).
///
/// Errors: [`CryptoError::WrongPassphrase`] when the secretbox does not open (wrong passphrase
/// or a corrupted file), [`CryptoError::UnsupportedKeyFormat`] for another KDF, cipher or
/// scrypt setting, [`CryptoError::MalformedKey`] for a broken file.
pub fn decrypt_cosign_key(
    pem_text: &[u8],
    passphrase: &[u8],
    input: &str,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let text = std::str::from_utf8(pem_text).map_err(|_| malformed(input, "not UTF-8 PEM text"))?;
    let blocks = pem::parse_blocks(text).map_err(|e| malformed_by(input, "not PEM", e))?;
    let block = blocks
        .iter()
        .find(|b| b.label == SIGSTORE_LABEL || b.label == COSIGN_LABEL)
        .ok_or_else(|| {
            malformed(
                input,
                format!("no `{SIGSTORE_LABEL}` or `{COSIGN_LABEL}` PEM block"),
            )
        })?;
    let doc: Encrypted = serde_json::from_slice(&block.der)
        .map_err(|e| malformed_by(input, "the PEM body is not the expected JSON", e))?;
    if doc.kdf.name != "scrypt" {
        return Err(CryptoError::UnsupportedKeyFormat {
            input: input.to_owned(),
            format: format!("{FORMAT} with KDF `{}` (expected `scrypt`)", doc.kdf.name),
        });
    }
    if doc.cipher.name != "nacl/secretbox" {
        return Err(CryptoError::UnsupportedKeyFormat {
            input: input.to_owned(),
            format: format!(
                "{FORMAT} with cipher `{}` (expected `nacl/secretbox`)",
                doc.cipher.name
            ),
        });
    }
    let ScryptParams { n, r, p } = doc.kdf.params;
    if !ACCEPTED_SCRYPT.contains(&(n, r, p)) {
        return Err(CryptoError::UnsupportedKeyFormat {
            input: input.to_owned(),
            format: format!(
                "{FORMAT} with scrypt N={n}, r={r}, p={p} (expected N=32768, r=8, p=1)"
            ),
        });
    }
    let salt = STANDARD
        .decode(&doc.kdf.salt)
        .map_err(|e| malformed_by(input, "`kdf.salt` is not base64", e))?;
    let nonce = STANDARD
        .decode(&doc.cipher.nonce)
        .map_err(|e| malformed_by(input, "`cipher.nonce` is not base64", e))?;
    let nonce: [u8; 24] = nonce.as_slice().try_into().map_err(|_| {
        malformed(
            input,
            format!("`cipher.nonce` is {} bytes, expected 24", nonce.len()),
        )
    })?;
    let ciphertext = STANDARD
        .decode(&doc.ciphertext)
        .map_err(|e| malformed_by(input, "`ciphertext` is not base64", e))?;

    let log_n = u8::try_from(n.trailing_zeros()).map_err(|_| malformed(input, "bad scrypt N"))?;
    let params = scrypt::Params::new(log_n, r, p, 32)
        .map_err(|e| malformed_by(input, "bad scrypt parameters", e))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(passphrase, &salt, &params, key.as_mut())
        .map_err(|e| malformed_by(input, "scrypt failed", e))?;
    let cipher = XSalsa20Poly1305::new(&(*key).into());
    let plain = cipher
        .decrypt(&nonce.into(), ciphertext.as_slice())
        .map_err(|_| CryptoError::WrongPassphrase {
            input: input.to_owned(),
        })?;
    Ok(Zeroizing::new(plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: u64, kdf: &str, cipher: &str) -> String {
        let json = format!(
            r#"{{"kdf":{{"name":"{kdf}","params":{{"N":{n},"r":8,"p":1}},"salt":"AAAA"}},"cipher":{{"name":"{cipher}","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},"ciphertext":"AAAA"}}"#
        );
        format!(
            "-----BEGIN {SIGSTORE_LABEL}-----\n{}\n-----END {SIGSTORE_LABEL}-----\n",
            STANDARD.encode(json)
        )
    }

    #[test]
    fn rejects_other_kdfs_ciphers_and_costs_before_any_work() {
        for (text, what) in [
            (doc(32768, "argon2", "nacl/secretbox"), "argon2"),
            (doc(32768, "scrypt", "aes-gcm"), "aes-gcm"),
            (doc(1 << 30, "scrypt", "nacl/secretbox"), "N=1073741824"),
        ] {
            let err = decrypt_cosign_key(text.as_bytes(), b"pw", "cosign.key").unwrap_err();
            assert!(
                matches!(err, CryptoError::UnsupportedKeyFormat { .. }),
                "{err}"
            );
            assert!(err.to_string().contains(what), "{err}");
        }
    }

    #[test]
    fn recognises_labels_and_rejects_garbage() {
        assert!(is_cosign_key(
            doc(32768, "scrypt", "nacl/secretbox").as_bytes()
        ));
        assert!(is_cosign_key(
            b"-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\nAA==\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n"
        ));
        assert!(!is_cosign_key(b"-----BEGIN PRIVATE KEY-----\n"));
        let err = decrypt_cosign_key(
            b"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n",
            b"",
            "k",
        )
        .unwrap_err();
        assert!(matches!(err, CryptoError::MalformedKey { .. }), "{err}");
        let not_json = format!(
            "-----BEGIN {SIGSTORE_LABEL}-----\n{}\n-----END {SIGSTORE_LABEL}-----\n",
            STANDARD.encode("{")
        );
        let err = decrypt_cosign_key(not_json.as_bytes(), b"", "k").unwrap_err();
        assert!(matches!(err, CryptoError::MalformedKey { .. }), "{err}");
    }
}
