//! A statement file with a detached signature: the three-file form (`artifact`,
//! `provenance.json`, a signature over the JSON) that much release advice distributes.
//!
//! The signature is checked over the exact bytes of the statement file — a minisign `.minisig`
//! (prehashed or legacy), a raw signature (Ed25519, or ECDSA over SHA-256 in DER, as `openssl
//! pkeyutl` / `openssl dgst -sign` write it; base64 text of one is accepted too), or a Sigstore
//! bundle holding a message signature over those bytes (`cosign sign-blob --bundle`, keyless or
//! with a key, bundle v0.1–v0.3). Only then are the bytes parsed, strictly, as an in-toto
//! Statement (v1 or v0.1; SLSA v1 or v0.2). The result is a [`VerifiedStatement`](crate::VerifiedStatement) like any
//! other, so artifacts are matched to its subjects and policies apply as for DSSE.
//!
//! ```no_run
//! use provseal_verify::detached::{verify_detached, DetachedInput};
//! use provseal_verify::VerifyOptions;
//! # fn demo(key: provseal_crypto::PublicKey) {
//! let statement = std::fs::read("provenance.json").unwrap();
//! let signature = std::fs::read("provenance.json.minisig").unwrap();
//! let opts = VerifyOptions { keys: vec![key], ..Default::default() };
//! let verified = verify_detached(
//!     &DetachedInput {
//!         statement: &statement,
//!         statement_origin: "provenance.json",
//!         signature: &signature,
//!         signature_origin: "provenance.json.minisig",
//!     },
//!     &opts,
//! );
//! # }
//! ```

use std::path::{Path, PathBuf};

use base64::Engine as _;
use provseal_crypto::minisign::{self, MinisignPublicKey};
use provseal_crypto::{KeyAlgorithm, PublicKey};

use crate::{DocResult, Origin, SignerIdentity, VerifyError, VerifyOptions};

/// The suffixes a detached signature may have beside its statement, tried in this order after
/// the statement's full name (`provenance.json.minisig`) and then after its stem
/// (`provenance.sigstore`, as `cosign sign-blob --bundle provenance.sigstore` names it).
pub const SIGNATURE_SUFFIXES: [&str; 4] = [".minisig", ".sig", ".sigstore", ".sigstore.json"];

/// Why an unsigned statement does not verify on its own.
pub(crate) const UNSIGNED_STATEMENT: &str =
    "an unsigned in-toto statement: nothing in it is signed; it verifies only with a detached signature over the file";

/// The in-toto statement `_type` prefix (`…/Statement/v1`, `…/Statement/v0.1`).
pub use crate::load::is_statement_object;
use crate::load::STATEMENT_TYPE_PREFIX;

/// The first existing file `STATEMENT` + one of [`SIGNATURE_SUFFIXES`], else `STEM` + one of
/// them (`provenance.json` → `provenance.sigstore`).
pub fn signature_beside(statement: &Path) -> Option<PathBuf> {
    let name = statement.file_name()?.to_string_lossy().into_owned();
    let stem = name.strip_suffix(".json").filter(|s| !s.is_empty());
    let bases: Vec<&str> = std::iter::once(name.as_str()).chain(stem).collect();
    let found = bases
        .iter()
        .flat_map(|base| SIGNATURE_SUFFIXES.iter().map(move |s| format!("{base}{s}")))
        .map(|n| statement.with_file_name(n))
        .find(|p| p.is_file());
    found
}

/// The signature beside a statement file ([`signature_beside`]), when the file's bytes are a
/// bare in-toto statement; `None` for signed attestations and for anything unparsable.
pub fn signature_for(statement: &Path, bytes: &[u8]) -> Option<PathBuf> {
    if crate::load::is_statement_json(bytes) {
        signature_beside(statement)
    } else {
        None
    }
}

/// What kind of detached signature a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    /// A minisign `.minisig` (four lines, the first `untrusted comment: `).
    Minisign,
    /// A Sigstore bundle with a message signature (`cosign sign-blob --bundle`).
    SigstoreBundle,
    /// A raw signature: Ed25519 (64 bytes) or ECDSA (DER), binary or base64 text.
    Raw,
}

/// A statement file and its detached signature, with the names they are reported under.
#[derive(Debug, Clone, Copy)]
pub struct DetachedInput<'a> {
    /// The statement file's exact bytes.
    pub statement: &'a [u8],
    /// The statement file's name.
    pub statement_origin: &'a str,
    /// The signature file's bytes.
    pub signature: &'a [u8],
    /// The signature file's name.
    pub signature_origin: &'a str,
}

fn malformed(origin: &str, reason: impl Into<String>) -> VerifyError {
    VerifyError::Malformed {
        origin: origin.to_string(),
        reason: reason.into(),
        source: None,
    }
}

/// [`malformed`], with the reader's error as the cause.
fn malformed_by(
    origin: &str,
    reason: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> VerifyError {
    VerifyError::Malformed {
        origin: origin.to_string(),
        reason: reason.to_owned(),
        source: Some(provseal_model::Cause::new(source)),
    }
}

/// Largest raw ECDSA DER signature (P-384: 2 + 2 × (2 + 49)).
const MAX_DER_SIGNATURE: usize = 104;

/// Whether `sig` has the shape of an Ed25519 signature or a P-256/P-384 signature (DER, or raw
/// `r‖s`): the check that tells a raw signature from a file of another kind.
fn raw_signature_shape(sig: &[u8]) -> bool {
    match sig {
        [0x30, len, rest @ ..] => usize::from(*len) == rest.len() && sig.len() <= MAX_DER_SIGNATURE,
        _ => sig.len() == 64 || sig.len() == 96,
    }
}

/// The raw signature bytes: the file itself, or the decoded base64 text (cosign and many CI
/// scripts store the signature as base64).
/// Base64 text is tried first: 96 characters of it would also pass for a raw P-384 `r‖s`, while
/// a binary signature that is all base64 characters is vanishingly unlikely.
fn raw_signature_bytes(bytes: &[u8]) -> Option<Vec<u8>> {
    let decoded = std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| {
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .ok()
        })
        .filter(|d| raw_signature_shape(d));
    decoded.or_else(|| raw_signature_shape(bytes).then(|| bytes.to_vec()))
}

/// Whether a signature file is JSON text (a Sigstore bundle, or an error): it opens with `{` and
/// is UTF-8 throughout. A raw binary signature starts with the byte `{` once in 256 (its first
/// byte is random), but is practically never valid UTF-8 as a whole.
pub(crate) fn is_json_text(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"{") && std::str::from_utf8(bytes).is_ok()
}

/// Classifies a signature file; a file of another kind (a DSSE envelope, a bundle that holds
/// an attestation, a key, text) is malformed input naming `origin`.
pub fn signature_kind(bytes: &[u8], origin: &str) -> Result<SignatureKind, VerifyError> {
    if minisign::is_minisig(bytes) {
        return Ok(SignatureKind::Minisign);
    }
    if is_json_text(bytes) {
        let value = provseal_model::json::parse_strict(bytes)
            .map_err(|e| malformed_by(origin, "not a signature", e))?;
        if value.get("dsseEnvelope").is_some() || value.get("payloadType").is_some() {
            return Err(malformed(
                origin,
                "holds a signed attestation (DSSE), not a signature over the statement file: pass it as the attestation instead",
            ));
        }
        if value.get("base64Signature").is_some() {
            return Err(malformed(
                origin,
                "is a cosign legacy bundle (`--new-bundle-format=false`), not a Sigstore bundle: sign with cosign's default bundle format, or pass the signature alone (`--output-signature`) as a raw signature",
            ));
        }
        if !crate::load::is_bundle(&value) {
            return Err(malformed(
                origin,
                "is JSON but not a Sigstore bundle (no `mediaType` application/vnd.dev.sigstore.bundle…)",
            ));
        }
        return Ok(SignatureKind::SigstoreBundle);
    }
    if raw_signature_bytes(bytes).is_some() {
        return Ok(SignatureKind::Raw);
    }
    Err(malformed(
        origin,
        format!(
            "not a signature: neither minisign, a Sigstore bundle, nor a raw Ed25519 (64 bytes) or ECDSA (DER) signature ({} bytes)",
            bytes.len()
        ),
    ))
}

/// Reads a public key file: SPKI PEM, or a minisign public key (the file `minisign -G` writes,
/// or its bare base64 line). The minisign key, when it is one, keeps its key number.
pub fn parse_public_key(
    bytes: &[u8],
    source: &str,
) -> Result<(PublicKey, Option<MinisignPublicKey>), VerifyError> {
    if bytes.windows(10).any(|w| w == b"-----BEGIN") {
        let key =
            PublicKey::from_pem_named(bytes, source).map_err(|e| malformed_by(source, "", e))?;
        return Ok((key, None));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| malformed(source, "neither a PEM nor a minisign public key"))?;
    let mk = MinisignPublicKey::parse(text)
        .map_err(|e| malformed_by(source, "neither a PEM nor a minisign public key", e))?;
    Ok((mk.key.clone(), Some(mk)))
}

fn key_list(keys: &[&PublicKey]) -> String {
    keys.iter()
        .map(|k| k.key_id().get(..16).unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn no_key(origin: &str, what: &str) -> VerifyError {
    VerifyError::Unsupported {
        origin: origin.to_string(),
        reason: format!("{what} needs a trusted public key to verify"),
    }
}

fn verify_minisign(input: &DetachedInput<'_>, opts: &VerifyOptions) -> Result<String, VerifyError> {
    let origin = input.signature_origin;
    let text = std::str::from_utf8(input.signature)
        .map_err(|_| malformed(origin, "a minisign signature that is not UTF-8"))?;
    let keynum = minisign::signature_keynum(text).map_err(|e| malformed_by(origin, "", e))?;
    let ed25519: Vec<&PublicKey> = opts
        .keys
        .iter()
        .filter(|k| k.algorithm() == KeyAlgorithm::Ed25519)
        .collect();
    if ed25519.is_empty() {
        return Err(if opts.keys.is_empty() {
            no_key(origin, "a minisign signature")
        } else {
            VerifyError::Unsupported {
                origin: origin.to_string(),
                reason: "a minisign signature is Ed25519, and no trusted key is an Ed25519 key"
                    .into(),
            }
        });
    }
    // The key number only says which key signed; the signatures decide.
    for key in &ed25519 {
        let pk = MinisignPublicKey::new((*key).clone(), keynum)
            .map_err(|e| malformed_by(origin, "", e))?;
        if minisign::verify(input.statement, text, &pk).is_ok() {
            return Ok(key.key_id());
        }
    }
    Err(VerifyError::Signature {
        origin: origin.to_string(),
        reason: format!(
            "not a signature of `{}` by the trusted key(s) {} (the signature names minisign key {})",
            input.statement_origin,
            key_list(&ed25519),
            minisign::keynum_hex(keynum),
        ),
        source: None,
    })
}

fn verify_raw(input: &DetachedInput<'_>, opts: &VerifyOptions) -> Result<String, VerifyError> {
    let origin = input.signature_origin;
    let sig = raw_signature_bytes(input.signature)
        .ok_or_else(|| malformed(origin, "not a raw Ed25519 or ECDSA signature"))?;
    if opts.keys.is_empty() {
        return Err(no_key(origin, "a raw signature"));
    }
    if let Some(key) = opts
        .keys
        .iter()
        .find(|k| k.verify(input.statement, &sig).is_ok())
    {
        return Ok(key.key_id());
    }
    Err(VerifyError::Signature {
        origin: origin.to_string(),
        reason: format!(
            "not a signature of `{}` by the trusted key(s) {}",
            input.statement_origin,
            key_list(&opts.keys.iter().collect::<Vec<_>>())
        ),
        source: None,
    })
}

fn verify_bundle(
    input: &DetachedInput<'_>,
    opts: &VerifyOptions,
) -> Result<SignerIdentity, VerifyError> {
    let origin = input.signature_origin;
    let parsed = provseal_sigstore::ParsedBundle::parse(input.signature, origin)
        .map_err(|e| crate::sigstore_error(&Origin::file(origin), e))?;
    let artifact = provseal_sigstore::ArtifactInput::Bytes(input.statement);
    let (signer, _) =
        crate::verify_bundle_signer(&Origin::file(origin), &parsed, Some(&artifact), opts)?;
    Ok(signer)
}

/// Verifies a statement file with its detached signature, then parses it strictly.
///
/// Input errors (exit 2) name their file: a statement that is not JSON or not an in-toto
/// statement, a signature file of another kind, a minisign signature with no Ed25519 key. A
/// signature that does not verify over the exact bytes is a [`VerifyError::Signature`] naming the
/// signature file; a keyless signer outside the identity policy, [`VerifyError::Identity`].
pub fn verify_detached(input: &DetachedInput<'_>, opts: &VerifyOptions) -> DocResult {
    let statement_origin = input.statement_origin;
    // Refuse what cannot be a statement before the signature step (nothing is trusted from it).
    let value = provseal_model::json::parse_strict(input.statement)
        .map_err(|e| malformed_by(statement_origin, "not JSON", e))?;
    if !is_statement_object(&value) {
        return Err(malformed(
            statement_origin,
            format!("not an in-toto statement (no `_type` {STATEMENT_TYPE_PREFIX}…)"),
        ));
    }
    let kind = signature_kind(input.signature, input.signature_origin)?;
    let signer = match kind {
        SignatureKind::Minisign => SignerIdentity::Key {
            key_id: verify_minisign(input, opts)?,
        },
        SignatureKind::Raw => SignerIdentity::Key {
            key_id: verify_raw(input, opts)?,
        },
        SignatureKind::SigstoreBundle => verify_bundle(input, opts)?,
    };
    let origin = Origin::file(statement_origin);
    crate::parse_signed_statement(&origin, input.statement, signer).map_err(|e| match e {
        VerifyError::Statement {
            origin,
            reason,
            source,
        } => VerifyError::Malformed {
            origin,
            reason: if reason.is_empty() {
                "not a valid in-toto statement".into()
            } else {
                format!("not a valid in-toto statement: {reason}")
            },
            source,
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_shapes() {
        assert!(raw_signature_shape(&[0u8; 64]));
        let mut der = vec![0x30, 68];
        der.extend([0u8; 68]);
        assert!(raw_signature_shape(&der));
        der.push(0);
        assert!(!raw_signature_shape(&der));
        assert!(!raw_signature_shape(b"hello"));
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        assert_eq!(
            raw_signature_bytes(format!("{b64}\n").as_bytes()),
            Some(vec![7u8; 64])
        );
        // 96 characters of base64 (an ECDSA DER signature, as cosign writes it) are decoded, not
        // taken for a raw 96-byte signature
        let mut der = vec![0x30, 70];
        der.extend([0x11u8; 70]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        assert_eq!(b64.len(), 96);
        assert_eq!(raw_signature_bytes(b64.as_bytes()), Some(der));
    }

    #[test]
    fn kinds() {
        let k = |b: &[u8]| signature_kind(b, "s").map_err(|e| e.to_string());
        assert_eq!(k(b"untrusted comment: x\n"), Ok(SignatureKind::Minisign));
        assert_eq!(k(&[1u8; 64]), Ok(SignatureKind::Raw));
        assert_eq!(
            k(br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#),
            Ok(SignatureKind::SigstoreBundle)
        );
        for bad in [
            &br#"{"payloadType":"x","payload":"","signatures":[]}"#[..],
            br#"{"a":1}"#,
            b"-----BEGIN PUBLIC KEY-----\n",
            b"{not json",
        ] {
            let e = k(bad).unwrap_err();
            assert!(e.starts_with("`s` is malformed"), "{e}");
        }
    }

    /// Sigstore bundles v0.1 and v0.3 over a file (sigstore-python's corpus): the signature step
    /// of the detached path checks the exact bytes and the identity.
    #[test]
    fn message_signature_bundles_v01_and_v03() {
        let Some(dir) = provseal_testsupport::testdata_dir("message_signature_bundles") else {
            return;
        };
        let assets = dir.join("sigstore-python/assets");
        let root = std::sync::Arc::new(
            provseal_sigstore::TrustedRoot::load(
                &dir.join("sigstore-python/trust/staging/trusted_root.json"),
            )
            .unwrap(),
        );
        let opts = |identity: &str| VerifyOptions {
            sigstore: Some(crate::SigstoreTrust {
                trusted_root: root.clone(),
                identity: Some(provseal_sigstore::IdentityPolicy::exact(
                    identity,
                    "https://github.com/login/oauth",
                )),
                options: Default::default(),
            }),
            ..Default::default()
        };
        let check = |statement: &[u8], bundle: &[u8], opts: &VerifyOptions| {
            let input = DetachedInput {
                statement,
                statement_origin: "s.json",
                signature: bundle,
                signature_origin: "s.sigstore",
            };
            verify_bundle(&input, opts)
        };
        for (name, identity) in [
            ("bundle.txt", "a@tny.town"),
            ("bundle_v3.txt", "william@yossarian.net"),
        ] {
            let data = std::fs::read(assets.join(name)).unwrap();
            let bundle = std::fs::read(assets.join(format!("{name}.sigstore"))).unwrap();
            assert_eq!(
                signature_kind(&bundle, "s.sigstore").unwrap(),
                SignatureKind::SigstoreBundle
            );
            match check(&data, &bundle, &opts(identity)) {
                Ok(SignerIdentity::Certificate { identity: id, .. }) => assert_eq!(id, identity),
                other => panic!("{name}: {other:?}"),
            }
            let mut off = data.clone();
            off[0] ^= 1;
            let r = check(&off, &bundle, &opts(identity));
            assert!(
                matches!(r, Err(VerifyError::Signature { .. })),
                "{name}: {r:?}"
            );
            let r = check(&data, &bundle, &opts("someone@else.example"));
            assert!(
                matches!(r, Err(VerifyError::Identity { .. })),
                "{name}: {r:?}"
            );
        }
    }

    #[test]
    fn statement_objects() {
        assert!(is_statement_object(
            &serde_json::json!({"_type": "https://in-toto.io/Statement/v0.1"})
        ));
        assert!(!is_statement_object(&serde_json::json!({"payload": "x"})));
    }
}
