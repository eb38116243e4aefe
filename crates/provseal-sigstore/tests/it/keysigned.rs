//! Key-signed bundle v0.3 output: round trip through our verifier, failure modes, and interop
//! with sigstore-js (`@sigstore/verify`) and sigstore-python.

use provseal_crypto::{generate_key, load_signer, KeyAlgorithm, PublicKey};
use provseal_sigstore::{
    key_signed_bundle, public_key_hint, verify_bundle, ArtifactInput, BundleSigner, IdentityPolicy,
    SigstoreError, TrustedRoot, VerifiedSigner, VerifyOptions,
};

pub(crate) struct Fixture {
    pub bundle: Vec<u8>,
    pub public: PublicKey,
    pub public_pem: String,
    pub artifact: Vec<u8>,
}

pub(crate) fn fixture(alg: KeyAlgorithm) -> Fixture {
    let key = generate_key(alg, None).unwrap();
    let signer = load_signer(key.private_pem.as_bytes(), None, "test.key").unwrap();
    let public = PublicKey::from_pem(&key.public_pem).unwrap();
    let artifact = b"provseal artifact\n".to_vec();
    let digest = provseal_sigstore::hash_hex("sha256", &artifact).unwrap();
    let statement = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a.txt","digest":{{"sha256":"{digest}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{{"buildDefinition":{{"buildType":"https://example.invalid/t","externalParameters":{{}}}},"runDetails":{{"builder":{{"id":"https://example.invalid/b"}}}}}}}}"#
    );
    let env = provseal_crypto::dsse::sign(
        "application/vnd.in-toto+json",
        statement.into_bytes(),
        signer.as_ref(),
    )
    .unwrap();
    let bundle = key_signed_bundle(&env, &public).unwrap();
    Fixture {
        bundle,
        public,
        public_pem: key.public_pem.clone(),
        artifact,
    }
}

fn verify(
    _f: &Fixture,
    bundle: &[u8],
    key: &PublicKey,
    artifact: &[u8],
) -> Result<(), SigstoreError> {
    let trust = TrustedRoot::production().unwrap();
    verify_bundle(
        bundle,
        "test.sigstore.json",
        &ArtifactInput::Bytes(artifact),
        &trust,
        BundleSigner::Key(key),
        &VerifyOptions::default(),
    )
    .map(|v| {
        assert!(v
            .dsse_payload()
            .is_some_and(|p| p.starts_with(b"{\"_type\"")));
        assert_eq!(
            v.signer,
            VerifiedSigner::Key {
                key_id: key.key_id(),
                hint: public_key_hint(key),
            }
        );
        assert_eq!(v.subjects()[0].name, "a.txt");
    })
}

#[test]
fn key_signed_bundle_shape_and_round_trip() {
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Ed25519] {
        let f = fixture(alg);
        let v: serde_json::Value = serde_json::from_slice(&f.bundle).unwrap();
        let hint = public_key_hint(&f.public);
        assert_eq!(
            v["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        assert_eq!(
            v["verificationMaterial"]["publicKey"]["hint"],
            hint.as_str()
        );
        assert_eq!(
            v["verificationMaterial"]["tlogEntries"],
            serde_json::json!([])
        );
        // no keyid, as cosign writes it (issue 10: cosign rejected the hint as keyid)
        assert_eq!(
            v["dsseEnvelope"]["signatures"][0],
            serde_json::json!({"sig": v["dsseEnvelope"]["signatures"][0]["sig"]})
        );
        assert_eq!(
            v["dsseEnvelope"]["payloadType"],
            "application/vnd.in-toto+json"
        );
        verify(&f, &f.bundle, &f.public, &f.artifact).unwrap();
        // another artifact
        let e = verify(&f, &f.bundle, &f.public, b"other").unwrap_err();
        assert!(matches!(e, SigstoreError::ArtifactMismatch { .. }), "{e}");
        // another key
        let other = PublicKey::from_pem(&generate_key(alg, None).unwrap().public_pem).unwrap();
        let e = verify(&f, &f.bundle, &other, &f.artifact).unwrap_err();
        assert_eq!(e.code(), "sigstore-signature", "{e}");
        // an identity instead of the key
        let trust = TrustedRoot::production().unwrap();
        let policy = IdentityPolicy::exact("x", "y");
        let e = verify_bundle(
            &f.bundle,
            "b",
            &ArtifactInput::Bytes(&f.artifact),
            &trust,
            BundleSigner::Identity(&policy),
            &VerifyOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "sigstore-wrong-material");
        // the payload changed
        let mut t = v.clone();
        let p = t["dsseEnvelope"]["payload"]
            .as_str()
            .unwrap()
            .replace("a", "b");
        t["dsseEnvelope"]["payload"] = p.into();
        assert!(verify(&f, &serde_json::to_vec(&t).unwrap(), &f.public, &f.artifact).is_err());
    }
}

#[test]
fn refuses_an_envelope_the_key_did_not_sign() {
    let a = fixture(KeyAlgorithm::EcdsaP256);
    let env = provseal_model::dsse::Envelope::new("application/vnd.in-toto+json", b"{}".to_vec());
    assert!(key_signed_bundle(&env, &a.public).is_err());
}

fn js_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js/verify-key-bundle.cjs")
}

/// sigstore-js (`@sigstore/verify` 3.1.1, offline, the key supplied for the bundle's hint)
/// verifies provseal's key-signed bundles, and rejects a tampered one.
#[test]
fn sigstore_js_verifies_our_key_signed_bundles() {
    let script = js_script();
    let probe = [script.to_str().unwrap(), "--probe"];
    if !provseal_testsupport::require_tool(
        "sigstore_js_verifies_our_key_signed_bundles",
        "node",
        &probe,
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, sigstore_verify_root()).unwrap();
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Ed25519] {
        let f = fixture(alg);
        let bundle = dir.path().join("a.sigstore.json");
        let key = dir.path().join("key.pub");
        std::fs::write(&bundle, &f.bundle).unwrap();
        std::fs::write(&key, &f.public_pem).unwrap();
        let run = |b: &std::path::Path| {
            std::process::Command::new("node")
                .arg(&script)
                .arg(b)
                .arg(&key)
                .arg(&root)
                .output()
                .unwrap()
        };
        let out = run(&bundle);
        assert!(
            out.status.success(),
            "{alg:?}: sigstore-js rejected our bundle: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "verified");
        // tampered payload: sigstore-js must say no
        let mut v: serde_json::Value = serde_json::from_slice(&f.bundle).unwrap();
        let p = v["dsseEnvelope"]["payload"]
            .as_str()
            .unwrap()
            .replacen('e', "f", 1);
        v["dsseEnvelope"]["payload"] = p.into();
        let bad = dir.path().join("bad.sigstore.json");
        std::fs::write(&bad, serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(
            run(&bad).status.code(),
            Some(1),
            "{alg:?}: tampered bundle accepted"
        );
    }
}

/// The trusted root sigstore-js is given (its tlogs/CAs are unused for a key-signed bundle).
fn sigstore_verify_root() -> &'static str {
    sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT
}

/// sigstore-python 4.5 cannot read key-signed bundles at all (sigstore-python#1244): its
/// `Bundle.from_json` demands a certificate. Asserted exactly, so a release that starts
/// accepting them shows up here.
#[test]
fn sigstore_python_cannot_load_key_signed_bundles() {
    let probe = ["-c", "import sigstore.models"];
    if !provseal_testsupport::require_tool(
        "sigstore_python_cannot_load_key_signed_bundles",
        "python3",
        &probe,
    ) {
        return;
    }
    let f = fixture(KeyAlgorithm::EcdsaP256);
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("a.sigstore.json");
    std::fs::write(&bundle, &f.bundle).unwrap();
    let script = "import sys\nfrom sigstore.models import Bundle\ntry:\n    Bundle.from_json(open(sys.argv[1]).read())\n    print('loaded')\nexcept Exception as e:\n    print(f'{type(e).__name__}: {e}')\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&bundle)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "InvalidBundle: expected certificate in bundle"
    );
}
