//! Public keys: parsing (SPKI PEM / DER), key ids and signature verification.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use der::{Decode as _, Encode as _};
use spki::ObjectIdentifier;

use crate::error::CryptoError;
use crate::pem;

pub(crate) const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
pub(crate) const OID_EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(crate) const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub(crate) const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
pub(crate) const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
pub(crate) const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const OID_RSA_PSS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");

/// A public key algorithm (with its signature scheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// Ed25519 (RFC 8032); signatures are 64 raw bytes.
    Ed25519,
    /// ECDSA over NIST P-256 with SHA-256; signatures are ASN.1 DER (raw r‖s accepted).
    EcdsaP256,
    /// ECDSA over NIST P-384 with SHA-384 (verify, sign and load; not offered by `key generate`).
    EcdsaP384,
    /// RSA (2048–8192 bits) with SHA-256, PKCS#1 v1.5 or PSS: verification only.
    Rsa,
}

impl KeyAlgorithm {
    /// The stable lowercase name (`ed25519`, `ecdsa-p256`, `ecdsa-p384`, `rsa`).
    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::EcdsaP256 => "ecdsa-p256",
            KeyAlgorithm::EcdsaP384 => "ecdsa-p384",
            KeyAlgorithm::Rsa => "rsa",
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = CryptoError;

    /// Parses `ed25519`, `ecdsa-p256` (or `p256`, `ecdsa`), `ecdsa-p384` (or `p384`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "ed25519" => Ok(KeyAlgorithm::Ed25519),
            "ecdsa-p256" | "p256" | "p-256" | "ecdsa" | "ecdsa-p256-sha256" => {
                Ok(KeyAlgorithm::EcdsaP256)
            }
            "ecdsa-p384" | "p384" | "p-384" | "ecdsa-p384-sha384" => Ok(KeyAlgorithm::EcdsaP384),
            "rsa" => Ok(KeyAlgorithm::Rsa),
            _ => Err(CryptoError::UnsupportedAlgorithm {
                input: "the algorithm name".to_owned(),
                algorithm: s.to_owned(),
            }),
        }
    }
}

/// A public key: its algorithm and its SubjectPublicKeyInfo (SPKI) DER encoding.
///
/// The key id ([`PublicKey::key_id`]) is the lowercase hex SHA-256 of the SPKI DER.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    algorithm: KeyAlgorithm,
    spki_der: Vec<u8>,
    /// The subjectPublicKey bits: Ed25519 32 bytes, EC uncompressed point, RSA PKCS#1 DER.
    raw: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id())
            .finish()
    }
}

fn invalid(input: &str, reason: impl Into<String>) -> CryptoError {
    CryptoError::InvalidPublicKey {
        input: input.to_owned(),
        reason: reason.into(),
        source: None,
    }
}

/// [`invalid`], with the decoder's error as the cause.
fn invalid_by(
    input: &str,
    reason: impl Into<String>,
    source: impl std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
) -> CryptoError {
    CryptoError::InvalidPublicKey {
        input: input.to_owned(),
        reason: reason.into(),
        source: Some(provseal_model::Cause::from_display(source)),
    }
}

impl PublicKey {
    /// Parses a PEM `PUBLIC KEY` (SPKI) block. Text around the block is ignored.
    pub fn from_pem(pem_text: impl AsRef<[u8]>) -> Result<Self, CryptoError> {
        Self::from_pem_named(pem_text, "PEM public key")
    }

    /// Like [`PublicKey::from_pem`], naming the input (e.g. a path) in errors.
    pub fn from_pem_named(pem_text: impl AsRef<[u8]>, input: &str) -> Result<Self, CryptoError> {
        let text = std::str::from_utf8(pem_text.as_ref())
            .map_err(|_| invalid(input, "not UTF-8 PEM text"))?;
        let blocks = pem::parse_blocks(text).map_err(|e| invalid_by(input, "not PEM", e))?;
        let block = blocks
            .iter()
            .find(|b| b.label == "PUBLIC KEY")
            .ok_or_else(|| {
                let labels: Vec<&str> = blocks.iter().map(|b| b.label.as_str()).collect();
                invalid(
                    input,
                    format!(
                        "expected a `PUBLIC KEY` PEM block, found `{}`",
                        labels.join("`, `")
                    ),
                )
            })?;
        Self::from_spki_der_named(&block.der, input)
    }

    /// Parses SubjectPublicKeyInfo DER.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        Self::from_spki_der_named(der, "SPKI DER")
    }

    /// Like [`PublicKey::from_spki_der`], naming the input in errors.
    pub fn from_spki_der_named(der: &[u8], input: &str) -> Result<Self, CryptoError> {
        let info = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| invalid_by(input, "not a SubjectPublicKeyInfo", e))?;
        let raw = info
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| invalid(input, "subjectPublicKey has unused bits"))?
            .to_vec();
        let oid = info.algorithm.oid;
        let algorithm = if oid == OID_ED25519 {
            KeyAlgorithm::Ed25519
        } else if oid == OID_EC_PUBLIC_KEY {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|_| invalid(input, "EC key without a named curve"))?;
            if curve == OID_P256 {
                KeyAlgorithm::EcdsaP256
            } else if curve == OID_P384 {
                KeyAlgorithm::EcdsaP384
            } else {
                return Err(CryptoError::UnsupportedAlgorithm {
                    input: input.to_owned(),
                    algorithm: curve_name(curve),
                });
            }
        } else if oid == OID_RSA {
            KeyAlgorithm::Rsa
        } else {
            return Err(CryptoError::UnsupportedAlgorithm {
                input: input.to_owned(),
                algorithm: oid_name(oid),
            });
        };
        // Let the backend check the key (point on the curve, RSA size, …).
        let check: &'static dyn VerificationAlgorithm = match algorithm {
            KeyAlgorithm::Ed25519 => &sig::ED25519,
            KeyAlgorithm::EcdsaP256 => &sig::ECDSA_P256_SHA256_ASN1,
            KeyAlgorithm::EcdsaP384 => &sig::ECDSA_P384_SHA384_ASN1,
            KeyAlgorithm::Rsa => &sig::RSA_PKCS1_2048_8192_SHA256,
        };
        sig::ParsedPublicKey::new(check, &raw)
            .map_err(|e| invalid_by(input, format!("{} key rejected", algorithm.name()), e))?;
        // Store the canonical DER re-encoding so that key ids do not depend on input quirks.
        let spki_der = info
            .to_der()
            .map_err(|e| invalid_by(input, "cannot re-encode", e))?;
        Ok(PublicKey {
            algorithm,
            spki_der,
            raw,
        })
    }

    /// Builds a key from the backend's public key bytes (Ed25519 32 bytes, EC uncompressed
    /// point).
    pub(crate) fn from_raw(algorithm: KeyAlgorithm, raw: &[u8]) -> Result<Self, CryptoError> {
        let (oid, params) = match algorithm {
            KeyAlgorithm::Ed25519 => (OID_ED25519, None),
            KeyAlgorithm::EcdsaP256 => (OID_EC_PUBLIC_KEY, Some(OID_P256)),
            KeyAlgorithm::EcdsaP384 => (OID_EC_PUBLIC_KEY, Some(OID_P384)),
            KeyAlgorithm::Rsa => {
                return Err(invalid("key pair", "RSA keys are verification-only"));
            }
        };
        let params = params
            .map(|p| der::Any::encode_from(&p))
            .transpose()
            .map_err(|e| invalid_by("key pair", "cannot encode the curve", e))?;
        let info = spki::SubjectPublicKeyInfoOwned {
            algorithm: spki::AlgorithmIdentifierOwned {
                oid,
                parameters: params,
            },
            subject_public_key: der::asn1::BitString::from_bytes(raw)
                .map_err(|e| invalid_by("key pair", "cannot encode the public key", e))?,
        };
        let der = info
            .to_der()
            .map_err(|e| invalid_by("key pair", "cannot encode the public key", e))?;
        Self::from_spki_der_named(&der, "key pair")
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The SubjectPublicKeyInfo DER encoding.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The SPKI as a PEM `PUBLIC KEY` block (64-column lines, trailing newline).
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.spki_der)
    }

    /// The provseal key id: lowercase hex SHA-256 of the SPKI DER.
    pub fn key_id(&self) -> String {
        hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            &self.spki_der,
        ))
    }

    /// Verifies `signature` over `msg`.
    ///
    /// Ed25519: 64 raw bytes. ECDSA: ASN.1 DER or fixed-length raw `r‖s` (64 bytes for P-256,
    /// 96 for P-384), hashed with SHA-256 / SHA-384. RSA: PKCS#1 v1.5 or PSS with SHA-256.
    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let ok = match self.algorithm {
            KeyAlgorithm::Ed25519 => check(&sig::ED25519, &self.raw, msg, signature),
            KeyAlgorithm::EcdsaP256 => {
                (signature.len() == 64
                    && check(&sig::ECDSA_P256_SHA256_FIXED, &self.raw, msg, signature))
                    || check(&sig::ECDSA_P256_SHA256_ASN1, &self.raw, msg, signature)
            }
            KeyAlgorithm::EcdsaP384 => {
                (signature.len() == 96
                    && check(&sig::ECDSA_P384_SHA384_FIXED, &self.raw, msg, signature))
                    || check(&sig::ECDSA_P384_SHA384_ASN1, &self.raw, msg, signature)
            }
            KeyAlgorithm::Rsa => {
                check(&sig::RSA_PKCS1_2048_8192_SHA256, &self.raw, msg, signature)
                    || check(&sig::RSA_PSS_2048_8192_SHA256, &self.raw, msg, signature)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(CryptoError::BadSignature {
                key_id: self.key_id(),
            })
        }
    }
}

fn check(
    alg: &'static dyn VerificationAlgorithm,
    raw: &[u8],
    msg: &[u8],
    signature: &[u8],
) -> bool {
    UnparsedPublicKey::new(alg, raw)
        .verify(msg, signature)
        .is_ok()
}

pub(crate) fn curve_name(oid: ObjectIdentifier) -> String {
    if oid == OID_P256 {
        "ECDSA P-256".to_owned()
    } else if oid == OID_P384 {
        "ECDSA P-384".to_owned()
    } else if oid == OID_P521 {
        "ECDSA P-521".to_owned()
    } else {
        format!("EC curve {oid}")
    }
}

pub(crate) fn oid_name(oid: ObjectIdentifier) -> String {
    if oid == OID_RSA {
        "RSA".to_owned()
    } else if oid == OID_RSA_PSS {
        "RSA-PSS".to_owned()
    } else if oid == OID_ED25519 {
        "Ed25519".to_owned()
    } else if oid.to_string() == "1.3.101.113" {
        "Ed448".to_owned()
    } else if oid.to_string() == "1.2.840.10040.4.1" {
        "DSA".to_owned()
    } else {
        format!("algorithm OID {oid}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_PUB: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ805D3eqNZywjCI19lInBJOp7YMr
CrzAH3CVTAOQ0jgMeCvVTiaRJaRPRDOv8UMs6U4SvKc6pnrIDOoSYI3fdA==
-----END PUBLIC KEY-----
";

    #[test]
    fn parse_round_trip_and_key_id() {
        let k = PublicKey::from_pem(SPEC_PUB).unwrap();
        assert_eq!(k.algorithm(), KeyAlgorithm::EcdsaP256);
        assert_eq!(k.to_pem(), SPEC_PUB);
        let expect = hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            k.spki_der(),
        ));
        assert_eq!(k.key_id(), expect);
        assert_eq!(k.key_id().len(), 64);
        let again = PublicKey::from_spki_der(k.spki_der()).unwrap();
        assert_eq!(again, k);
        assert!(format!("{k:?}").contains(&k.key_id()));
    }

    #[test]
    fn rejects_non_keys() {
        assert!(matches!(
            PublicKey::from_pem("garbage"),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
        assert!(matches!(
            PublicKey::from_spki_der(&[0x30, 0x03, 0x02, 0x01, 0x00]),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
    }

    #[test]
    fn algorithm_names() {
        for a in [
            KeyAlgorithm::Ed25519,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::Rsa,
        ] {
            assert_eq!(a.name().parse::<KeyAlgorithm>().unwrap(), a);
        }
        assert!("dsa".parse::<KeyAlgorithm>().is_err());
    }
}
