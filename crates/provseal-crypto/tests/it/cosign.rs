//! cosign keys, made by the real cosign: the committed pairs in `tests/data/cosign/` (cosign
//! v3.1.2, see its README), a key cosign 2.x generated (a published test fixture), and, when
//! cosign is installed (`scripts/install-peers cosign`), a fresh `cosign generate-key-pair` per
//! run, with signatures checked both ways (provseal signs → `cosign verify-blob`; `cosign
//! sign-blob` signs → provseal verifies).

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use provseal_crypto::cosign::{decrypt_cosign_key, is_cosign_key};
use provseal_crypto::{CryptoError, KeyAlgorithm, KeyPairSigner, PublicKey, Signer};
use provseal_testsupport::stack::peer_bin;

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

/// The passphrase of `tests/data/cosign/v3.1.2-passphrase.key`.
const PASS: &str = "cosign-test-passphrase";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cosign")
        .join(name)
}

/// Loads `key_pem` with `pass`, checks it is the private half of `pub_pem`, signs and verifies,
/// and runs the signer suite with the key's text and the passphrase as secrets.
fn check_pair(label: &str, key_pem: &[u8], pub_pem: &[u8], pass: &str) -> KeyPairSigner {
    assert!(is_cosign_key(key_pem), "{label}");
    let cosign_pub = PublicKey::from_pem(pub_pem).unwrap();
    let signer = KeyPairSigner::from_cosign_key(key_pem, pass.as_bytes(), "cosign.key").unwrap();
    assert_eq!(signer.public_key().algorithm(), KeyAlgorithm::EcdsaP256);
    assert_eq!(
        signer.key_id(),
        cosign_pub.key_id(),
        "{label}: cosign.pub is not the key's public half"
    );
    let sig = signer.sign(b"artifact bytes").unwrap();
    cosign_pub.verify(b"artifact bytes", &sig).unwrap();
    let text = String::from_utf8(key_pem.to_vec()).unwrap();
    let mut secrets = pem_body_lines(&text);
    if !pass.is_empty() {
        secrets.push(pass.to_owned());
    }
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    suite(label, &signer, &refs);
    signer
}

#[test]
fn real_cosign_2_key_decrypts() {
    assert!(is_cosign_key(REAL_COSIGN_KEY.as_bytes()));
    let signer =
        KeyPairSigner::from_cosign_key(REAL_COSIGN_KEY.as_bytes(), b"", "cosign.key").unwrap();
    assert_eq!(signer.public_key().algorithm(), KeyAlgorithm::EcdsaP256);
    let secrets = pem_body_lines(REAL_COSIGN_KEY);
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    suite("cosign 2.x key", &signer, &refs);
}

#[test]
fn cosign_3_generated_keys_load_and_sign() {
    for (stem, pass) in [("v3.1.2-passphrase", PASS), ("v3.1.2-empty", "")] {
        let key = std::fs::read(data(&format!("{stem}.key"))).unwrap();
        let public = std::fs::read(data(&format!("{stem}.pub"))).unwrap();
        check_pair(stem, &key, &public, pass);
    }
    // A wrong passphrase fails clearly, names the input and does not echo the passphrase.
    let key = std::fs::read(data("v3.1.2-passphrase.key")).unwrap();
    let err = KeyPairSigner::from_cosign_key(&key, b"wrong", "ci/cosign.key").unwrap_err();
    assert!(
        matches!(&err, CryptoError::WrongPassphrase { input } if input == "ci/cosign.key"),
        "{err}"
    );
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    assert!(!err.to_string().contains(PASS));
}

#[test]
fn cosign_sign_blob_signature_verifies_with_the_cosign_pub() {
    // `cosign sign-blob --key` (committed bundle): ECDSA over the file, DER signature.
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data("signed.txt.sigstore.json")).unwrap()).unwrap();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(bundle["messageSignature"]["signature"].as_str().unwrap())
        .unwrap();
    let public =
        PublicKey::from_pem(std::fs::read(data("v3.1.2-passphrase.pub")).unwrap()).unwrap();
    let signed = std::fs::read(data("signed.txt")).unwrap();
    public.verify(&signed, &sig).unwrap();
    assert!(public.verify(b"another file", &sig).is_err());
}

/// Runs cosign with `COSIGN_PASSWORD` and checks it succeeded; returns stdout + stderr.
fn cosign(bin: &Path, dir: &Path, pass: &str, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env("COSIGN_PASSWORD", pass)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "cosign {args:?}: {text}");
    text
}

#[test]
fn fresh_cosign_generate_key_pair_both_ways() {
    let Some(bin) = peer_bin("cosign") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pass = "fresh passphrase";
    cosign(&bin, dir, pass, &["generate-key-pair"]);
    let key = std::fs::read(dir.join("cosign.key")).unwrap();
    let public = std::fs::read(dir.join("cosign.pub")).unwrap();
    let signer = check_pair("fresh cosign key", &key, &public, pass);

    // provseal signs the file; cosign verifies the base64 signature with cosign.pub.
    std::fs::write(
        dir.join("file.txt"),
        b"signed by provseal with a cosign key\n",
    )
    .unwrap();
    let sig = signer
        .sign(b"signed by provseal with a cosign key\n")
        .unwrap();
    std::fs::write(
        dir.join("file.sig"),
        base64::engine::general_purpose::STANDARD.encode(&sig),
    )
    .unwrap();
    let args = [
        "verify-blob",
        "--key",
        "cosign.pub",
        "--signature",
        "file.sig",
        "--insecure-ignore-tlog",
        "file.txt",
    ];
    let text = cosign(&bin, dir, "", &args);
    assert!(text.contains("Verified OK"), "{text}");
    // ...and says no to another file
    std::fs::write(dir.join("file.txt"), b"another file\n").unwrap();
    let out = Command::new(&bin)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "cosign accepted a signature of another file"
    );

    // cosign signs with the same key (no upload); provseal verifies with cosign.pub.
    cosign(
        &bin,
        dir,
        pass,
        &[
            "sign-blob",
            "--key",
            "cosign.key",
            "--bundle",
            "file.sigstore.json",
            "--use-signing-config=false",
            "--tlog-upload=false",
            "-y",
            "file.txt",
        ],
    );
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("file.sigstore.json")).unwrap()).unwrap();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(bundle["messageSignature"]["signature"].as_str().unwrap())
        .unwrap();
    let cosign_pub = PublicKey::from_pem(&public).unwrap();
    cosign_pub.verify(b"another file\n", &sig).unwrap();
    assert!(cosign_pub
        .verify(b"signed by provseal with a cosign key\n", &sig)
        .is_err());
}

#[test]
fn corrupted_cosign_key_is_rejected() {
    // Flip one character of the ciphertext inside the JSON: the secretbox no longer opens.
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
