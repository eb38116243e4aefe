//! DSSE interop with the Python reference implementation (securesystemslib), both directions,
//! for Ed25519 and ECDSA P-256. The helper script is `tests/py/dsse_interop.py`.

use std::path::{Path, PathBuf};
use std::process::Command;

use provseal_crypto::dsse::{sign, verify};
use provseal_crypto::{generate_key, load_signer, KeyAlgorithm, PublicKey, Signer};
use provseal_model::dsse::Envelope;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/dsse_interop.py")
}

/// securesystemslib importable? (panics under CI when it is not)
fn have_securesystemslib(test: &str) -> bool {
    provseal_testsupport::require_tool(
        test,
        "python3",
        &[
            "-c",
            "import securesystemslib.dsse, securesystemslib.signer, cryptography",
        ],
    )
}

fn run_py(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .arg(script())
        .args(args)
        .output()
        .expect("run python3")
}

#[test]
fn securesystemslib_verifies_our_envelopes() {
    if !have_securesystemslib("securesystemslib_verifies_our_envelopes") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}],"predicateType":"https://example.com/p","predicate":{}}"#;
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
        let key = generate_key(alg, None).unwrap();
        let signer = load_signer(key.private_pem.as_bytes(), None, "k").unwrap();
        let env = sign("application/vnd.in-toto+json", statement.to_vec(), &signer).unwrap();
        let env_path = tmp.path().join(format!("{alg}.json"));
        let pub_path = tmp.path().join(format!("{alg}.pub"));
        std::fs::write(&env_path, env.to_json()).unwrap();
        std::fs::write(&pub_path, &key.public_pem).unwrap();
        let out = run_py(&[
            "verify",
            env_path.to_str().unwrap(),
            pub_path.to_str().unwrap(),
            &signer.key_id(),
        ]);
        assert!(
            out.status.success(),
            "{alg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, statement);

        // A tampered envelope is refused by the reference too (so the check above can fail).
        let mut bad = env.clone();
        bad.payload_type = "text/plain".into();
        std::fs::write(&env_path, bad.to_json()).unwrap();
        let out = run_py(&[
            "verify",
            env_path.to_str().unwrap(),
            pub_path.to_str().unwrap(),
            &signer.key_id(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{alg}: tampered envelope verified"
        );
    }
}

#[test]
fn we_verify_securesystemslib_envelopes() {
    if !have_securesystemslib("we_verify_securesystemslib_envelopes") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let payload = b"{\"hello\":\"from python\"}";
    let payload_path = tmp.path().join("payload.json");
    std::fs::write(&payload_path, payload).unwrap();
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
        let key = generate_key(alg, None).unwrap();
        let key_path = tmp.path().join(format!("{alg}.key"));
        std::fs::write(&key_path, key.private_pem.as_bytes()).unwrap();
        let out_path = tmp.path().join(format!("{alg}.dsse.json"));
        let out = run_py(&[
            "sign",
            key_path.to_str().unwrap(),
            &key.key_id,
            "application/vnd.in-toto+json",
            payload_path.to_str().unwrap(),
            out_path.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{alg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let env = Envelope::from_json(&std::fs::read(&out_path).unwrap()).unwrap();
        assert_eq!(env.signatures.len(), 1);
        assert_eq!(
            env.signatures[0].keyid.as_deref(),
            Some(key.key_id.as_str())
        );
        let public = PublicKey::from_pem(&key.public_pem).unwrap();
        let v = verify(&env, std::slice::from_ref(&public)).unwrap();
        assert_eq!(v.payload, payload);
        assert_eq!(v.payload_type, "application/vnd.in-toto+json");
        assert_eq!(v.key_id, key.key_id);
        // And not with another key.
        let other = generate_key(alg, None).unwrap();
        let other = PublicKey::from_pem(&other.public_pem).unwrap();
        assert!(verify(&env, std::slice::from_ref(&other)).is_err());
    }
}
