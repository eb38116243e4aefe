//! Key-signed Sigstore bundle v0.3 output.

use base64::Engine as _;
use provseal_crypto::PublicKey;
use provseal_model::dsse::Envelope;
use serde::Serialize;

use crate::SigstoreError;

/// The media type provseal writes.
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// The `verificationMaterial.publicKey.hint` provseal writes for `key`: standard padded
/// base64 of SHA-256 over the SPKI DER — what sigstore-go (cosign's bundle writer) uses.
/// The hint is unauthenticated: verifiers are given the key out of band.
pub fn public_key_hint(key: &PublicKey) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.spki_der());
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bundle<'a> {
    media_type: &'a str,
    verification_material: Material,
    dsse_envelope: Dsse<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Material {
    public_key: Hint,
    tlog_entries: [(); 0],
}

#[derive(Serialize)]
struct Hint {
    hint: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dsse<'a> {
    payload: String,
    payload_type: &'a str,
    signatures: [Sig; 1],
}

#[derive(Serialize)]
struct Sig {
    sig: String,
}

/// Wraps a DSSE envelope signed by `key` as a key-signed Sigstore bundle v0.3: media type
/// [`BUNDLE_V03`], `verificationMaterial.publicKey.hint` = [`public_key_hint`], no log
/// entries (`tlogEntries: []`), and the envelope with its one signature and no `keyid`, as
/// cosign writes it: cosign's DSSE verifier drops a signature whose `keyid` is not the key's
/// SSH-style fingerprint, so any other value makes `cosign verify-blob-attestation --key` fail
/// ("accepted signatures do not match threshold"). The key is named by the hint alone. The
/// signature is verified with `key` first.
///
/// Returns one line of JSON (no trailing newline).
pub fn key_signed_bundle(envelope: &Envelope, key: &PublicKey) -> Result<Vec<u8>, SigstoreError> {
    let [signature] = envelope.signatures.as_slice() else {
        return Err(SigstoreError::Output {
            reason: format!(
                "a bundle holds an envelope with exactly one signature, this one has {}",
                envelope.signatures.len()
            ),
            source: None,
        });
    };
    key.verify(&envelope.pae(), &signature.sig)
        .map_err(|e| SigstoreError::Output {
            reason: format!(
                "the envelope's signature does not verify with key {}",
                key.key_id()
            ),
            source: Some(provseal_model::Cause::new(e)),
        })?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let hint = public_key_hint(key);
    let bundle = Bundle {
        media_type: BUNDLE_V03,
        verification_material: Material {
            public_key: Hint { hint },
            tlog_entries: [],
        },
        dsse_envelope: Dsse {
            payload: b64.encode(&envelope.payload),
            payload_type: &envelope.payload_type,
            signatures: [Sig {
                sig: b64.encode(&signature.sig),
            }],
        },
    };
    serde_json::to_vec(&bundle).map_err(|e| SigstoreError::Output {
        reason: Default::default(),
        source: Some(provseal_model::Cause::new(e)),
    })
}
