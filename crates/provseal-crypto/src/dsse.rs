//! DSSE (Dead Simple Signing Envelope) signing and verification.
//!
//! Signatures cover `PAE(payloadType, payload)` ([`provseal_model::dsse::pae`]). Verification
//! checks a signature before anything may look at the payload, and only [`VerifiedEnvelope`]
//! hands the payload out. The `keyid` of a signature is an unauthenticated hint: every given key
//! is tried against every signature, and one valid signature suffices (threshold 1).

use provseal_model::dsse::{Envelope, Signature};

use crate::error::CryptoError;
use crate::keys::PublicKey;
use crate::signer::Signer;

/// The authenticated content of an envelope, returned only after a signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEnvelope {
    /// The signed payload type.
    pub payload_type: String,
    /// The signed payload bytes.
    pub payload: Vec<u8>,
    /// The key id of the key whose signature verified.
    pub key_id: String,
}

/// Signs `payload` as a new envelope with one signature (`keyid` = the signer's key id).
pub fn sign(
    payload_type: &str,
    payload: Vec<u8>,
    signer: &dyn Signer,
) -> Result<Envelope, CryptoError> {
    let mut env = Envelope::new(payload_type, payload);
    add_signature(&mut env, signer)?;
    Ok(env)
}

/// Adds one more signature to `env` (for envelopes signed by several keys).
pub fn add_signature(env: &mut Envelope, signer: &dyn Signer) -> Result<(), CryptoError> {
    let sig = signer.sign(&env.pae())?;
    env.signatures.push(Signature {
        keyid: Some(signer.key_id()),
        sig,
    });
    Ok(())
}

/// Verifies `env` against `keys`: succeeds when at least one signature verifies under one of
/// the keys, and returns the payload with the key id that verified it.
///
/// Errors: [`CryptoError::NoSignatures`], [`CryptoError::NoKeys`], or
/// [`CryptoError::NoValidSignature`] listing every key id tried.
pub fn verify(env: &Envelope, keys: &[PublicKey]) -> Result<VerifiedEnvelope, CryptoError> {
    if env.signatures.is_empty() {
        return Err(CryptoError::NoSignatures);
    }
    if keys.is_empty() {
        return Err(CryptoError::NoKeys);
    }
    let key_ids: Vec<String> = keys.iter().map(PublicKey::key_id).collect();
    let pae = env.pae();
    for signature in &env.signatures {
        // Try the key the hint names first (a cheap shortcut), then every other key.
        let hinted = signature
            .keyid
            .as_deref()
            .and_then(|hint| key_ids.iter().position(|id| id == hint));
        let order = hinted
            .into_iter()
            .chain((0..keys.len()).filter(|&i| Some(i) != hinted));
        for i in order {
            let (Some(key), Some(id)) = (keys.get(i), key_ids.get(i)) else {
                continue;
            };
            if key.verify(&pae, &signature.sig).is_ok() {
                return Ok(VerifiedEnvelope {
                    payload_type: env.payload_type.clone(),
                    payload: env.payload.clone(),
                    key_id: id.clone(),
                });
            }
        }
    }
    Err(CryptoError::NoValidSignature {
        signatures: env.signatures.len(),
        key_ids,
        signed_by: env
            .signatures
            .iter()
            .filter_map(|s| s.keyid.clone())
            .filter(|id| !id.is_empty())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyAlgorithm, KeyPairSigner};

    #[test]
    fn sign_verify_and_tamper() {
        for alg in [
            KeyAlgorithm::Ed25519,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
        ] {
            let signer = KeyPairSigner::generate(alg).unwrap();
            let other = KeyPairSigner::generate(alg).unwrap();
            let env = sign("text/plain", b"hi".to_vec(), &signer).unwrap();
            assert_eq!(env.signatures[0].keyid.as_deref(), Some(&*signer.key_id()));
            let keys = [other.public_key().clone(), signer.public_key().clone()];
            let v = verify(&env, &keys).unwrap();
            assert_eq!(v.payload, b"hi");
            assert_eq!(v.payload_type, "text/plain");
            assert_eq!(v.key_id, signer.key_id());

            let mut bad = env.clone();
            bad.payload_type = "text/html".into();
            match verify(&bad, &keys) {
                Err(CryptoError::NoValidSignature {
                    signatures,
                    key_ids,
                    signed_by,
                }) => {
                    assert_eq!(signed_by, vec![signer.key_id()]);
                    assert_eq!(signatures, 1);
                    assert_eq!(key_ids, vec![other.key_id(), signer.key_id()]);
                }
                other => panic!("{other:?}"),
            }
            assert!(matches!(verify(&env, &[]), Err(CryptoError::NoKeys)));
            let empty = Envelope::new("t", vec![]);
            assert!(matches!(
                verify(&empty, &keys),
                Err(CryptoError::NoSignatures)
            ));
        }
    }
}
