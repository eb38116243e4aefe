//! One test suite for the `Signer` trait, run against every backend: file keys (Ed25519,
//! P-256, encrypted PKCS#8), the base64-DER form a CI secret (`env://VAR`) holds, cosign keys
//! (`cosign.rs`) and PKCS#11 keys in a SoftHSM2 token (`pkcs11.rs`).

use base64::Engine as _;
use provseal_crypto::dsse;
use provseal_crypto::{generate_key, load_signer, KeyAlgorithm, PublicKey, Signer};

/// What the suite did, so a backend test can check it against the device's own counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteRun {
    /// How many times the suite called `Signer::sign`.
    pub sign_calls: u64,
}

/// The Signer contract. `secrets` are strings that must never appear in the signer's `Debug`
/// output (the private key PEM body, a PIN, a passphrase).
pub fn suite(name: &str, signer: &dyn Signer, secrets: &[&str]) -> SuiteRun {
    let mut sign_calls = 0u64;
    let pk = signer.public_key().clone();

    // Key id: stable, equal to the public key's, = lowercase hex SHA-256 of the SPKI DER.
    let id = signer.key_id();
    assert_eq!(id, signer.key_id(), "{name}: key id changes");
    assert_eq!(
        id,
        pk.key_id(),
        "{name}: key id differs from the public key's"
    );
    assert_eq!(
        id,
        crate::common::sha256_hex(pk.spki_der()),
        "{name}: key id is not SHA-256(SPKI)"
    );
    // The public key survives a PEM round trip with the same id.
    let again = PublicKey::from_pem(pk.to_pem()).unwrap();
    assert_eq!(again.key_id(), id, "{name}: PEM round trip changes the id");

    // Sign / verify round trip, several message sizes including empty.
    for msg in [&b""[..], b"hello, provseal", &[0xa5u8; 70_000][..]] {
        let sig = signer.sign(msg).unwrap();
        sign_calls += 1;
        match pk.algorithm() {
            KeyAlgorithm::Ed25519 => assert_eq!(sig.len(), 64, "{name}: Ed25519 sig length"),
            _ => assert_eq!(sig.first(), Some(&0x30), "{name}: ECDSA sig is not DER"),
        }
        pk.verify(msg, &sig)
            .unwrap_or_else(|e| panic!("{name}: own signature rejected: {e}"));
        // Wrong message and a flipped signature byte are rejected.
        let mut other = msg.to_vec();
        other.push(b'!');
        assert!(
            pk.verify(&other, &sig).is_err(),
            "{name}: signature verifies for a different message"
        );
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        assert!(
            pk.verify(msg, &bad).is_err(),
            "{name}: tampered signature verifies"
        );
    }

    // A signature does not verify under another key of the same algorithm.
    let stranger = generate_key(pk.algorithm(), None).unwrap();
    let stranger = PublicKey::from_pem(&stranger.public_pem).unwrap();
    let sig = signer.sign(b"msg").unwrap();
    sign_calls += 1;
    assert!(
        stranger.verify(b"msg", &sig).is_err(),
        "{name}: verifies under a foreign key"
    );

    // DSSE envelope sign + verify, and tamper checks.
    let payload = br#"{"_type":"https://in-toto.io/Statement/v1"}"#.to_vec();
    let env = dsse::sign("application/vnd.in-toto+json", payload.clone(), signer).unwrap();
    sign_calls += 1;
    assert_eq!(env.signatures.len(), 1);
    assert_eq!(env.signatures[0].keyid.as_deref(), Some(id.as_str()));
    let ok = dsse::verify(&env, std::slice::from_ref(&pk)).unwrap();
    assert_eq!(ok.payload, payload, "{name}: DSSE payload");
    assert_eq!(ok.key_id, id, "{name}: DSSE key id");
    let mut tampered = env.clone();
    tampered.payload_type = "application/json".to_owned();
    assert!(
        dsse::verify(&tampered, std::slice::from_ref(&pk)).is_err(),
        "{name}: DSSE with changed payloadType verifies"
    );
    assert!(
        dsse::verify(&env, &[stranger]).is_err(),
        "{name}: DSSE verifies under a foreign key"
    );

    // Debug never shows key material, PINs or passphrases.
    let debug = format!("{signer:?}");
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(
            !debug.contains(secret),
            "{name}: Debug output leaks a secret: {debug}"
        );
    }
    assert!(
        debug.contains(&id) || debug.contains("redacted") || debug.contains("in token"),
        "{name}: Debug output should identify the key: {debug}"
    );
    SuiteRun { sign_calls }
}

/// The base64 body lines of a PEM document (each a secret when the PEM is a private key).
pub fn pem_body_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_owned)
        .collect()
}

fn file_key(alg: KeyAlgorithm) {
    let key = generate_key(alg, None).unwrap();
    let signer = load_signer(key.private_pem.as_bytes(), None, "file.key").unwrap();
    assert_eq!(signer.key_id(), key.key_id);
    let secrets = pem_body_lines(&key.private_pem);
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let run = suite(&format!("file {alg}"), &signer, &refs);
    assert_eq!(run.sign_calls, 5);
}

#[test]
fn suite_file_ed25519() {
    file_key(KeyAlgorithm::Ed25519);
}

#[test]
fn suite_file_p256() {
    file_key(KeyAlgorithm::EcdsaP256);
}

#[test]
fn suite_encrypted_pkcs8() {
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
        let key = generate_key(alg, Some(b"correct horse")).unwrap();
        assert!(key.private_pem.contains("ENCRYPTED PRIVATE KEY"));
        if alg == KeyAlgorithm::Ed25519 {
            assert!(load_signer(key.private_pem.as_bytes(), Some(b"wrong"), "enc.key").is_err());
        }
        let signer = load_signer(
            key.private_pem.as_bytes(),
            Some(b"correct horse"),
            "enc.key",
        )
        .unwrap();
        let mut secrets = pem_body_lines(&key.private_pem);
        secrets.push("correct horse".to_owned());
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        suite(&format!("encrypted PKCS#8 {alg}"), &signer, &refs);
    }
}

#[test]
fn suite_base64_der_env_form() {
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
        let key = generate_key(alg, None).unwrap();
        let der: Vec<u8> = base64::engine::general_purpose::STANDARD
            .decode(pem_body_lines(&key.private_pem).concat())
            .unwrap();
        // What `PROVSEAL_KEY=$(base64 -w0 key.der)` holds; the CLI passes it with its source.
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let signer = load_signer(b64.as_bytes(), None, "env://PROVSEAL_KEY").unwrap();
        assert_eq!(signer.key_id(), key.key_id);
        let hex_der = hex::encode(&der);
        suite(
            &format!("base64 DER {alg}"),
            &signer,
            &[b64.as_str(), &b64[10..40], &hex_der[20..80]],
        );
    }
}
