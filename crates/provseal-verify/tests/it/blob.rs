//! `verify-blob`'s decision ([`provseal_verify::blob::verify_blob`]) over real signatures.

use provseal_crypto::minisign::{self, MinisignMode};
use provseal_crypto::KeyAlgorithm;
use provseal_verify::blob::{verify_blob, BlobError, BlobSignature, BlobVerified};

use super::key;

#[test]
fn minisign_raw_tampered_and_not_a_signature() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.tar.gz");
    std::fs::write(&file, b"the release").unwrap();
    let sig_path = dir.path().join("a.tar.gz.sig");
    let (signer, public) = key(KeyAlgorithm::Ed25519);
    let detached = |bytes: &[u8]| {
        verify_blob(
            &file,
            &BlobSignature::Detached {
                bytes,
                path: &sig_path,
                key: &public,
                minisign_key: None,
            },
        )
    };
    let text = minisign::sign(
        &b"the release"[..],
        signer.as_ref(),
        minisign::keynum_for(&public),
        "file:a.tar.gz",
        "untrusted",
        MinisignMode::Prehashed,
    )
    .unwrap();
    assert_eq!(
        detached(text.as_bytes()).unwrap(),
        BlobVerified::Minisign {
            trusted_comment: "file:a.tar.gz".into()
        }
    );
    let raw = minisign::sign_raw(&b"the release"[..], signer.as_ref()).unwrap();
    assert_eq!(detached(&raw).unwrap(), BlobVerified::Raw);

    std::fs::write(&file, b"the release, changed").unwrap();
    let e = detached(&raw).unwrap_err();
    assert!(matches!(e, BlobError::SignatureRejected(_)), "{e:?}");
    assert!(!e.is_input_error());
    let e = detached(text.as_bytes()).unwrap_err();
    assert!(matches!(e, BlobError::SignatureRejected(_)), "{e:?}");

    let e = detached(br#"{"not": "a bundle"}"#).unwrap_err();
    assert!(matches!(e, BlobError::NotABundle { .. }), "{e:?}");
    assert!(e.is_input_error());

    std::fs::remove_file(&file).unwrap();
    let e = detached(&raw).unwrap_err();
    assert!(matches!(e, BlobError::DataUnreadable { .. }), "{e:?}");
    assert_eq!(e.to_string(), "cannot read the file to sign or verify");
}
