//! Bundles written by the real cosign v3.1.2 with a key (`cosign sign-blob --key … --bundle`, no
//! upload; committed under `provseal-crypto/tests/data/cosign/`, see its README).

use base64::Engine as _;
use provseal_crypto::PublicKey;
use provseal_sigstore::{
    verify_bundle, ArtifactInput, BundleSigner, SigstoreError, TrustedRoot, VerifyOptions,
};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        provseal_testsupport::workspace_root()
            .join("crates/provseal-crypto/tests/data/cosign")
            .join(name),
    )
    .unwrap()
}

fn verify(bundle: &[u8], artifact: &[u8]) -> Result<(), SigstoreError> {
    let key = PublicKey::from_pem(data("v3.1.2-passphrase.pub")).unwrap();
    verify_bundle(
        bundle,
        "signed.txt.sigstore.json",
        &ArtifactInput::Bytes(artifact),
        &TrustedRoot::production().unwrap(),
        BundleSigner::Key(&key),
        &VerifyOptions::default(),
    )
    .map(drop)
}

#[test]
fn cosign_sign_blob_bundle_verifies_with_the_key() {
    let bundle = data("signed.txt.sigstore.json");
    verify(&bundle, &data("signed.txt")).unwrap();
    let e = verify(&bundle, b"another file\n").unwrap_err();
    assert!(!e.is_input_error(), "{e}");
}

/// Regression (issue 10): a key-signed message signature whose `messageDigest` names another
/// artifact was accepted as long as the signature matched the bytes; cosign refuses it.
#[test]
fn message_digest_that_names_another_artifact_is_refused() {
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&data("signed.txt.sigstore.json")).unwrap();
    let other = provseal_sigstore::hash_hex("sha256", b"another file\n").unwrap();
    let other: Vec<u8> = (0..other.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&other[i..i + 2], 16).unwrap())
        .collect();
    bundle["messageSignature"]["messageDigest"]["digest"] =
        base64::engine::general_purpose::STANDARD
            .encode(other)
            .into();
    let e = verify(bundle.to_string().as_bytes(), &data("signed.txt")).unwrap_err();
    assert!(matches!(e, SigstoreError::ArtifactMismatch { .. }), "{e}");
}
