//! The [`Signer`] trait, in-memory key pairs and private key loading.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use der::{Decode as _, Tagged as _};
use pkcs8::pkcs5;
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::keys::{
    curve_name, oid_name, KeyAlgorithm, PublicKey, OID_EC_PUBLIC_KEY, OID_ED25519, OID_P256,
    OID_P384,
};
use crate::pem;

/// Something that signs: an in-memory key, a key in an HSM (PKCS#11), …
///
/// A signer never exposes private key bytes. ECDSA signatures are ASN.1 DER (the Sigstore,
/// cosign and securesystemslib convention); Ed25519 signatures are 64 raw bytes.
pub trait Signer: Send + Sync + fmt::Debug {
    /// The public half of the signing key.
    fn public_key(&self) -> &PublicKey;

    /// Signs `msg` (the signer hashes it as its algorithm requires).
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// The provseal key id (lowercase hex SHA-256 of the SPKI DER).
    fn key_id(&self) -> String {
        self.public_key().key_id()
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn public_key(&self) -> &PublicKey {
        (**self).public_key()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        (**self).sign(msg)
    }
    fn key_id(&self) -> String {
        (**self).key_id()
    }
}

enum Inner {
    Ed25519(Ed25519KeyPair),
    Ecdsa(EcdsaKeyPair, KeyAlgorithm),
}

/// An in-memory private key (Ed25519, ECDSA P-256 or P-384) that implements [`Signer`].
///
/// Its `Debug` output shows the algorithm and key id, and `[redacted]` for the key material.
pub struct KeyPairSigner {
    inner: Inner,
    public: PublicKey,
}

impl fmt::Debug for KeyPairSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPairSigner")
            .field("algorithm", &self.public.algorithm())
            .field("key_id", &self.public.key_id())
            .field("private_key", &"[redacted]")
            .finish()
    }
}

fn ecdsa_signing_alg(
    alg: KeyAlgorithm,
) -> Option<&'static aws_lc_rs::signature::EcdsaSigningAlgorithm> {
    match alg {
        KeyAlgorithm::EcdsaP256 => Some(&sig::ECDSA_P256_SHA256_ASN1_SIGNING),
        KeyAlgorithm::EcdsaP384 => Some(&sig::ECDSA_P384_SHA384_ASN1_SIGNING),
        _ => None,
    }
}

fn malformed(input: &str, format: &'static str, reason: &str) -> CryptoError {
    CryptoError::MalformedKey {
        input: input.to_owned(),
        format,
        reason: reason.to_owned(),
        source: None,
    }
}

/// A key the decoder rejected, with the decoder's error as the cause.
fn undecodable(
    input: &str,
    format: &'static str,
    source: impl std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
) -> CryptoError {
    CryptoError::MalformedKey {
        input: input.to_owned(),
        format,
        reason: "cannot decode it".to_owned(),
        source: Some(provseal_model::Cause::from_display(source)),
    }
}

impl KeyPairSigner {
    /// Loads a cosign private key (`cosign.key`, see [`crate::cosign`]) with its passphrase.
    pub fn from_cosign_key(
        pem_text: &[u8],
        passphrase: &[u8],
        input: &str,
    ) -> Result<Self, CryptoError> {
        let der = crate::cosign::decrypt_cosign_key(pem_text, passphrase, input)?;
        KeyPairSigner::from_pkcs8_der(&der, input)
    }

    /// Generates a fresh key pair (Ed25519, ECDSA P-256 or ECDSA P-384).
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self, CryptoError> {
        let gen_err = |e: aws_lc_rs::error::Unspecified| CryptoError::KeyGeneration {
            source: provseal_model::Cause::new(e),
        };
        let inner = match algorithm {
            KeyAlgorithm::Ed25519 => Inner::Ed25519(Ed25519KeyPair::generate().map_err(gen_err)?),
            other => match ecdsa_signing_alg(other) {
                Some(alg) => Inner::Ecdsa(EcdsaKeyPair::generate(alg).map_err(gen_err)?, other),
                None => {
                    return Err(CryptoError::UnsupportedAlgorithm {
                        input: "key generation".to_owned(),
                        algorithm: other.name().to_owned(),
                    })
                }
            },
        };
        Self::from_inner(inner, "generated key")
    }

    fn from_inner(inner: Inner, input: &str) -> Result<Self, CryptoError> {
        let public = match &inner {
            Inner::Ed25519(kp) => {
                PublicKey::from_raw(KeyAlgorithm::Ed25519, kp.public_key().as_ref())
            }
            Inner::Ecdsa(kp, alg) => PublicKey::from_raw(*alg, kp.public_key().as_ref()),
        }
        .map_err(|e| CryptoError::MalformedKey {
            input: input.to_owned(),
            format: "key pair",
            reason: "its public key is unusable".to_owned(),
            source: Some(provseal_model::Cause::new(e)),
        })?;
        Ok(KeyPairSigner { inner, public })
    }

    /// Parses an unencrypted PKCS#8 `PrivateKeyInfo` (DER). `input` names it in errors.
    pub fn from_pkcs8_der(der: &[u8], input: &str) -> Result<Self, CryptoError> {
        let info =
            pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| undecodable(input, "PKCS#8", e))?;
        let oid = info.algorithm.oid;
        if oid == OID_ED25519 {
            let kp = Ed25519KeyPair::from_pkcs8(der)
                .map_err(|e| undecodable(input, "PKCS#8 Ed25519 key", e))?;
            return Self::from_inner(Inner::Ed25519(kp), input);
        }
        if oid != OID_EC_PUBLIC_KEY {
            return Err(CryptoError::UnsupportedAlgorithm {
                input: input.to_owned(),
                algorithm: format!("{} private key", oid_name(oid)),
            });
        }
        // The curve is in the AlgorithmIdentifier, or else inside the SEC1 structure.
        let curve = match info.algorithm.parameters_oid() {
            Ok(c) => c,
            Err(_) => sec1::EcPrivateKey::from_der(info.private_key)
                .ok()
                .and_then(|k| k.parameters)
                .and_then(|p| p.named_curve())
                .ok_or_else(|| malformed(input, "PKCS#8 EC key", "no named curve"))?,
        };
        let alg = curve_algorithm(curve, input)?;
        let signing = ecdsa_signing_alg(alg)
            .ok_or_else(|| malformed(input, "PKCS#8 EC key", "unsupported curve"))?;
        let kp = EcdsaKeyPair::from_pkcs8(signing, der)
            .or_else(|_| EcdsaKeyPair::from_private_key_der(signing, info.private_key))
            .map_err(|e| undecodable(input, "PKCS#8 EC key", e))?;
        Self::from_inner(Inner::Ecdsa(kp, alg), input)
    }

    /// Parses a SEC1 `ECPrivateKey` (DER), what `openssl ecparam -genkey` writes.
    pub fn from_sec1_der(der: &[u8], input: &str) -> Result<Self, CryptoError> {
        let key = sec1::EcPrivateKey::from_der(der).map_err(|e| undecodable(input, "SEC1", e))?;
        let alg = match key.parameters.and_then(|p| p.named_curve()) {
            Some(curve) => curve_algorithm(curve, input)?,
            None => match key.private_key.len() {
                32 => KeyAlgorithm::EcdsaP256,
                48 => KeyAlgorithm::EcdsaP384,
                n => {
                    return Err(CryptoError::UnsupportedAlgorithm {
                        input: input.to_owned(),
                        algorithm: format!("EC key of {n} bytes without a named curve"),
                    })
                }
            },
        };
        let signing =
            ecdsa_signing_alg(alg).ok_or_else(|| malformed(input, "SEC1", "unsupported curve"))?;
        let kp = EcdsaKeyPair::from_private_key_der(signing, der)
            .map_err(|e| undecodable(input, "SEC1 EC key", e))?;
        Self::from_inner(Inner::Ecdsa(kp, alg), input)
    }

    /// The key as an unencrypted PKCS#8 v1 document (DER), for writing a new key file.
    pub(crate) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let doc = match &self.inner {
            Inner::Ed25519(kp) => kp.to_pkcs8v1(),
            Inner::Ecdsa(kp, _) => kp.to_pkcs8v1(),
        }
        .map_err(|e| CryptoError::KeyGeneration {
            source: provseal_model::Cause::new(e),
        })?;
        Ok(Zeroizing::new(doc.as_ref().to_vec()))
    }
}

impl Signer for KeyPairSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.inner {
            Inner::Ed25519(kp) => Ok(kp.sign(msg).as_ref().to_vec()),
            Inner::Ecdsa(kp, _) => kp
                .sign(&SystemRandom::new(), msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| CryptoError::SigningFailed {
                    key_id: self.public.key_id(),
                    reason: "the ECDSA signer failed".to_owned(),
                    source: Some(provseal_model::Cause::new(e)),
                }),
        }
    }
}

fn curve_algorithm(
    curve: spki::ObjectIdentifier,
    input: &str,
) -> Result<KeyAlgorithm, CryptoError> {
    if curve == OID_P256 {
        Ok(KeyAlgorithm::EcdsaP256)
    } else if curve == OID_P384 {
        Ok(KeyAlgorithm::EcdsaP384)
    } else {
        Err(CryptoError::UnsupportedAlgorithm {
            input: input.to_owned(),
            algorithm: format!("{} private key", curve_name(curve)),
        })
    }
}

/// Largest scrypt memory (128·N·r·p bytes) and PBKDF2 iteration count accepted when decrypting,
/// so that a hostile key file cannot make us allocate gigabytes or spin for minutes.
const MAX_SCRYPT_BYTES: u128 = 256 << 20;
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

fn decrypt_pkcs8(
    der: &[u8],
    passphrase: Option<&[u8]>,
    input: &str,
) -> Result<KeyPairSigner, CryptoError> {
    let enc = pkcs8::EncryptedPrivateKeyInfo::try_from(der)
        .map_err(|e| undecodable(input, "encrypted PKCS#8", e))?;
    let Some(passphrase) = passphrase else {
        return Err(CryptoError::PassphraseRequired {
            input: input.to_owned(),
        });
    };
    let unsupported = |what: String| CryptoError::UnsupportedKeyFormat {
        input: input.to_owned(),
        format: what,
    };
    match &enc.encryption_algorithm {
        pkcs5::EncryptionScheme::Pbes2(params) => match &params.kdf {
            pkcs5::pbes2::Kdf::Scrypt(s) => {
                let cost = 128u128
                    * u128::from(s.cost_parameter)
                    * u128::from(s.block_size)
                    * u128::from(s.parallelization);
                if cost > MAX_SCRYPT_BYTES {
                    return Err(unsupported(format!(
                        "scrypt parameters needing {} MiB (limit {} MiB)",
                        cost >> 20,
                        MAX_SCRYPT_BYTES >> 20
                    )));
                }
            }
            pkcs5::pbes2::Kdf::Pbkdf2(p) => {
                if p.iteration_count > MAX_PBKDF2_ITERATIONS {
                    return Err(unsupported(format!(
                        "PBKDF2 with {} iterations (limit {MAX_PBKDF2_ITERATIONS})",
                        p.iteration_count
                    )));
                }
            }
            _ => return Err(unsupported("an unknown PBES2 key derivation".to_owned())),
        },
        pkcs5::EncryptionScheme::Pbes1(_) => {
            return Err(unsupported(
                "PBES1 encryption (re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`)"
                    .to_owned(),
            ))
        }
        _ => return Err(unsupported("an unknown encryption scheme".to_owned())),
    }
    let plain = match enc
        .encryption_algorithm
        .decrypt(passphrase, enc.encrypted_data)
    {
        Ok(p) => Zeroizing::new(p),
        // pkcs5 reports a bad CBC padding (the usual sign of a wrong passphrase) as
        // `EncryptFailed` from its decrypt path.
        Err(pkcs5::Error::DecryptFailed | pkcs5::Error::EncryptFailed) => {
            return Err(CryptoError::WrongPassphrase {
                input: input.to_owned(),
            })
        }
        Err(e) => return Err(unsupported(format!("encrypted PKCS#8: {e}"))),
    };
    // A wrong passphrase that happens to yield valid CBC padding gives garbage, not PKCS#8.
    if pkcs8::PrivateKeyInfo::try_from(plain.as_slice()).is_err() {
        return Err(CryptoError::WrongPassphrase {
            input: input.to_owned(),
        });
    }
    KeyPairSigner::from_pkcs8_der(&plain, input)
}

/// Loads a private key as a [`Signer`].
///
/// Reads PKCS#8 PEM (`PRIVATE KEY`), encrypted PKCS#8 PEM (`ENCRYPTED PRIVATE KEY`, PBES2 with
/// scrypt or PBKDF2 and AES-CBC), SEC1 PEM (`EC PRIVATE KEY`, optionally after an
/// `EC PARAMETERS` block), cosign's encrypted keys (`ENCRYPTED SIGSTORE PRIVATE KEY`, see
/// [`crate::cosign`]), DER of the PKCS#8 / SEC1 forms, or base64 of the DER or of the PEM (what
/// a CI secret holds). `input` names the key in errors (a path, `env://PROVSEAL_KEY`); errors never
/// contain key content.
pub fn load_signer(
    bytes: &[u8],
    passphrase: Option<&[u8]>,
    input: &str,
) -> Result<Box<dyn Signer>, CryptoError> {
    load_key_pair(bytes, passphrase, input).map(|k| Box::new(k) as Box<dyn Signer>)
}

/// Like [`load_signer`], returning the concrete [`KeyPairSigner`].
pub fn load_key_pair(
    bytes: &[u8],
    passphrase: Option<&[u8]>,
    input: &str,
) -> Result<KeyPairSigner, CryptoError> {
    if pem::looks_like_pem(bytes) {
        return load_pem(bytes, passphrase, input);
    }
    if bytes.first() == Some(&0x30) {
        return load_der(bytes, passphrase, input);
    }
    // base64 of DER or of PEM: whitespace (line breaks) ignored.
    let compact: Zeroizing<Vec<u8>> = Zeroizing::new(
        bytes
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect(),
    );
    if compact.is_empty() {
        return Err(CryptoError::UnrecognizedKeyFormat {
            input: input.to_owned(),
        });
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    for engine in engines {
        if let Ok(decoded) = engine.decode(compact.as_slice()) {
            let decoded = Zeroizing::new(decoded);
            if pem::looks_like_pem(&decoded) {
                return load_pem(&decoded, passphrase, input);
            }
            if decoded.first() == Some(&0x30) {
                return load_der(&decoded, passphrase, input);
            }
        }
    }
    Err(CryptoError::UnrecognizedKeyFormat {
        input: input.to_owned(),
    })
}

fn load_pem(
    bytes: &[u8],
    passphrase: Option<&[u8]>,
    input: &str,
) -> Result<KeyPairSigner, CryptoError> {
    let text = std::str::from_utf8(bytes).map_err(|_| malformed(input, "PEM", "not UTF-8 text"))?;
    let blocks = pem::parse_blocks(text).map_err(|e| undecodable(input, "PEM", e))?;
    let mut first_other: Option<&str> = None;
    for block in &blocks {
        match block.label.as_str() {
            "EC PARAMETERS" => continue,
            label
                if label == crate::cosign::SIGSTORE_LABEL
                    || label == crate::cosign::COSIGN_LABEL =>
            {
                let Some(pass) = passphrase else {
                    return Err(CryptoError::PassphraseRequired {
                        input: input.to_owned(),
                    });
                };
                return KeyPairSigner::from_cosign_key(bytes, pass, input);
            }
            "PRIVATE KEY" => return KeyPairSigner::from_pkcs8_der(&block.der, input),
            "ENCRYPTED PRIVATE KEY" => return decrypt_pkcs8(&block.der, passphrase, input),
            "EC PRIVATE KEY" => {
                if block.has_headers {
                    return Err(CryptoError::UnsupportedKeyFormat {
                        input: input.to_owned(),
                        format: "legacy PEM encryption (Proc-Type header); convert with \
                                 `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
                            .to_owned(),
                    });
                }
                return KeyPairSigner::from_sec1_der(&block.der, input);
            }
            "RSA PRIVATE KEY" => {
                return Err(CryptoError::UnsupportedAlgorithm {
                    input: input.to_owned(),
                    algorithm: "RSA private key".to_owned(),
                })
            }
            "DSA PRIVATE KEY" => {
                return Err(CryptoError::UnsupportedAlgorithm {
                    input: input.to_owned(),
                    algorithm: "DSA private key".to_owned(),
                })
            }
            other => {
                if first_other.is_none() {
                    first_other = Some(other);
                }
            }
        }
    }
    match first_other {
        Some("PUBLIC KEY") | Some("RSA PUBLIC KEY") => Err(CryptoError::NotAPrivateKey {
            input: input.to_owned(),
            found: "public key".to_owned(),
        }),
        Some("CERTIFICATE") | Some("TRUSTED CERTIFICATE") => Err(CryptoError::NotAPrivateKey {
            input: input.to_owned(),
            found: "certificate".to_owned(),
        }),
        Some(label) => Err(CryptoError::UnsupportedKeyFormat {
            input: input.to_owned(),
            format: format!("PEM `{label}`"),
        }),
        None => Err(malformed(input, "PEM", "only EC PARAMETERS, no key")),
    }
}

fn load_der(
    der: &[u8],
    passphrase: Option<&[u8]>,
    input: &str,
) -> Result<KeyPairSigner, CryptoError> {
    if pkcs8::PrivateKeyInfo::try_from(der).is_ok() {
        return KeyPairSigner::from_pkcs8_der(der, input);
    }
    if pkcs8::EncryptedPrivateKeyInfo::try_from(der).is_ok() {
        return decrypt_pkcs8(der, passphrase, input);
    }
    if sec1::EcPrivateKey::from_der(der).is_ok() {
        return KeyPairSigner::from_sec1_der(der, input);
    }
    if spki::SubjectPublicKeyInfoRef::try_from(der).is_ok() {
        return Err(CryptoError::NotAPrivateKey {
            input: input.to_owned(),
            found: "public key".to_owned(),
        });
    }
    // PKCS#1 RSAPrivateKey: SEQUENCE { version, n, e, d, p, q, dp, dq, qinv } of INTEGERs.
    if let Ok(items) = Vec::<der::Any>::from_der(der) {
        if items.len() >= 9 && items.iter().all(|i| i.tag() == der::Tag::Integer) {
            return Err(CryptoError::UnsupportedAlgorithm {
                input: input.to_owned(),
                algorithm: "RSA private key".to_owned(),
            });
        }
        if items.len() == 3 && items.first().map(|i| i.tag()) == Some(der::Tag::Sequence) {
            return Err(CryptoError::NotAPrivateKey {
                input: input.to_owned(),
                found: "certificate".to_owned(),
            });
        }
    }
    Err(malformed(
        input,
        "DER",
        "neither PKCS#8, encrypted PKCS#8 nor SEC1",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_round_trips_through_pkcs8() {
        for alg in [
            KeyAlgorithm::Ed25519,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
        ] {
            let k = KeyPairSigner::generate(alg).unwrap();
            assert_eq!(k.public_key().algorithm(), alg);
            let der = k.to_pkcs8_der().unwrap();
            let again = KeyPairSigner::from_pkcs8_der(&der, "mem").unwrap();
            assert_eq!(again.public_key(), k.public_key());
            let sig = again.sign(b"m").unwrap();
            k.public_key().verify(b"m", &sig).unwrap();
        }
        assert!(matches!(
            KeyPairSigner::generate(KeyAlgorithm::Rsa),
            Err(CryptoError::UnsupportedAlgorithm { .. })
        ));
    }
}
