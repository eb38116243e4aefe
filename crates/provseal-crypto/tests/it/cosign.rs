//! cosign keys. cosign itself cannot be installed here (no Go toolchain), so the keys are made
//! with the reference algorithm by `tests/helpers/make_cosign_key.py` (PyPI `pynacl` +
//! `cryptography`, scrypt from hashlib), plus one key that the real cosign 2.x generated,
//! published as a test fixture.

use std::path::Path;
use std::process::Command;

use provseal_crypto::cosign::{decrypt_cosign_key, is_cosign_key};
use provseal_crypto::KeyPairSigner;
use provseal_crypto::{CryptoError, KeyAlgorithm, PublicKey, Signer};

use crate::signer_suite::{pem_body_lines, suite};

/// A cosign 2.x `cosign.key` (scrypt N=65536, empty password), from the test suite of
/// conforma/cli (`internal/validate/vsa`, `TestSignVSA`, run with `COSIGN_PASSWORD=""`).
const REAL_COSIGN_KEY: &str = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6
OCwicCI6MX0sInNhbHQiOiJLYU9OQzduQVJLOVgxM1FoaWFucjAwTTBGYys2Sitr
dnAxN1FuanpiVk9nPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJVOHZqWWtqMlZOUFZGdlZFZWZ3bXZ5VGloUERrelBoaCJ9LCJj
aXBoZXJ0ZXh0IjoidWNWMnQ4TTZVNFJvb29FOXc0d3dkc3E1RDYrS2RKY245dERT
KzFwRDRGN040SVJOWEgzSTBua3h1a3NackFOUHR1emIvTkVYQ201dUp3Zjh3Qzl1
VlprbXdwNU5jRUZ6b3ZNS3JCZmNvdXdjaEkrMzkrQ0NhbVZPbzBucmRnZjhvcmpK
dXdrWDBYL1phY0RUTERGaUxyc1laMWVMMmlqMGU1MVRpZmVQNTl4WXNPK1FnM1Jv
OURRVjNQMk9ndDFDaVFHeGg1VXhUZytGc3c9PSJ9
-----END ENCRYPTED SIGSTORE PRIVATE KEY-----
";

fn helper() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helpers/make_cosign_key.py")
}

fn have_pynacl(test: &str) -> bool {
    provseal_testsupport::require_tool(test, "python3", &["-c", "import nacl.secret, cryptography"])
}

fn make_key(dir: &Path, pass: &str, alg: &str, label: &str, n: u32) {
    let out = Command::new("python3")
        .arg(helper())
        .arg(dir)
        .args([pass, alg, label, &n.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make_cosign_key.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn real_cosign_key_decrypts() {
    assert!(is_cosign_key(REAL_COSIGN_KEY.as_bytes()));
    let signer =
        KeyPairSigner::from_cosign_key(REAL_COSIGN_KEY.as_bytes(), b"", "cosign.key").unwrap();
    assert_eq!(signer.public_key().algorithm(), KeyAlgorithm::EcdsaP256);
    suite(
        "real cosign key",
        &signer,
        &pem_body_lines(REAL_COSIGN_KEY)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
}

#[test]
fn reference_made_cosign_keys_load_sign_and_verify_with_cosign_pub() {
    if !have_pynacl("reference_made_cosign_keys_load_sign_and_verify_with_cosign_pub") {
        return;
    }
    let pass = "cosign-test-passphrase";
    for (alg, label, n, expect) in [
        ("p256", "sigstore", 32768, KeyAlgorithm::EcdsaP256),
        ("p256", "cosign", 32768, KeyAlgorithm::EcdsaP256),
        ("ed25519", "sigstore", 32768, KeyAlgorithm::Ed25519),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        make_key(tmp.path(), pass, alg, label, n);
        let key_pem = std::fs::read(tmp.path().join("cosign.key")).unwrap();
        let pub_pem = std::fs::read(tmp.path().join("cosign.pub")).unwrap();
        assert!(is_cosign_key(&key_pem));
        let cosign_pub = PublicKey::from_pem(&pub_pem).unwrap();
        let signer =
            KeyPairSigner::from_cosign_key(&key_pem, pass.as_bytes(), "cosign.key").unwrap();
        assert_eq!(signer.public_key().algorithm(), expect);
        assert_eq!(
            signer.key_id(),
            cosign_pub.key_id(),
            "{alg}/{label}: cosign.pub is not the key's public half"
        );
        let sig = signer.sign(b"artifact bytes").unwrap();
        cosign_pub.verify(b"artifact bytes", &sig).unwrap();

        let text = String::from_utf8(key_pem.clone()).unwrap();
        let mut secrets = pem_body_lines(&text);
        secrets.push(pass.to_owned());
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        suite(&format!("cosign {alg}/{label}/N={n}"), &signer, &refs);

        // A wrong passphrase fails clearly and names the input (checked once: scrypt is slow
        // in an unoptimised test build; N=65536, cosign 2.x, is covered by the real key).
        if label == "sigstore" && alg == "p256" {
            let err =
                KeyPairSigner::from_cosign_key(&key_pem, b"wrong", "ci/cosign.key").unwrap_err();
            assert!(
                matches!(&err, CryptoError::WrongPassphrase { input } if input == "ci/cosign.key"),
                "{err}"
            );
            assert!(err.to_string().contains("wrong passphrase"), "{err}");
            assert!(!err.to_string().contains(pass));
        }
    }
}

#[test]
fn corrupted_cosign_key_is_rejected() {
    // Flip one character of the ciphertext inside the JSON: the secretbox no longer opens.
    use base64::Engine as _;
    let b64 = pem_body_lines(REAL_COSIGN_KEY).concat();
    let json = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let ct = doc["ciphertext"].as_str().unwrap().to_owned();
    let flipped = if ct.starts_with('A') {
        ct.replacen('A', "B", 1)
    } else {
        format!("A{}", &ct[1..])
    };
    doc["ciphertext"] = serde_json::Value::String(flipped);
    let pem = format!(
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(doc.to_string())
    );
    let err = decrypt_cosign_key(pem.as_bytes(), b"", "k").unwrap_err();
    assert!(matches!(err, CryptoError::WrongPassphrase { .. }), "{err}");
    // A plain PKCS#8 key is not a cosign key.
    assert!(!is_cosign_key(
        b"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"
    ));
}
