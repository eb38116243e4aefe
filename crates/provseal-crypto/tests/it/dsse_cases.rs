//! Every `dsse` case of the shared corpus, and signing with the DSSE spec test key.

use der::Encode as _;
use provseal_crypto::dsse::{sign, verify};
use provseal_crypto::{load_signer, CryptoError, PublicKey, Signer};
use provseal_model::dsse::Envelope;

#[test]
fn corpus_dsse_cases() {
    let Some(dir) = provseal_testsupport::testdata_dir("corpus_dsse_cases") else {
        return;
    };
    let cases = provseal_testsupport::cases_of_kind(&dir, "dsse");
    assert_eq!(cases.len(), 14, "dsse cases in cases.json");
    let mut failures = Vec::new();
    for case in &cases {
        let env_bytes = std::fs::read(case.input(&dir, "envelope").unwrap()).unwrap();
        let key_pem = std::fs::read(case.input(&dir, "public_key").unwrap()).unwrap();
        let key = PublicKey::from_pem(&key_pem).unwrap();
        let result = Envelope::from_json(&env_bytes)
            .map_err(|e| e.to_string())
            .and_then(|env| verify(&env, std::slice::from_ref(&key)).map_err(|e| e.to_string()));
        match (&result, case.expects_pass()) {
            (Ok(v), true) => {
                assert_eq!(v.key_id, key.key_id(), "{}", case.id);
                if let Some(t) = case.param_str("expected_payload_type") {
                    assert_eq!(v.payload_type, t, "{}", case.id);
                }
                if let Some(p) = case.param_str("expected_payload_path") {
                    let want = std::fs::read(dir.join(p)).unwrap();
                    assert_eq!(v.payload, want, "{}", case.id);
                }
            }
            (Err(_), false) => {}
            (r, want_pass) => {
                failures.push(format!("{}: expected pass={want_pass}, got {r:?}", case.id))
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn corpus_failures_have_the_right_reason() {
    let Some(dir) = provseal_testsupport::testdata_dir("corpus_failures_have_the_right_reason")
    else {
        return;
    };
    let key =
        PublicKey::from_pem(std::fs::read(dir.join("dsse/spec-vector/public_key.pem")).unwrap())
            .unwrap();
    let read = |p: &str| Envelope::from_json(&std::fs::read(dir.join(p)).unwrap()).unwrap();
    assert!(matches!(
        verify(
            &read("dsse/derived/no_signatures.json"),
            std::slice::from_ref(&key)
        ),
        Err(CryptoError::NoSignatures)
    ));
    match verify(
        &read("dsse/derived/bitflipped_sig.json"),
        std::slice::from_ref(&key),
    ) {
        Err(CryptoError::NoValidSignature {
            signatures,
            key_ids,
            ..
        }) => {
            assert_eq!(signatures, 1);
            assert_eq!(key_ids, vec![key.key_id()]);
        }
        other => panic!("{other:?}"),
    }
}

/// Decimal string → big-endian bytes, left-padded to `len`.
fn decimal_to_be(dec: &str, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for c in dec.bytes() {
        let mut carry = u32::from(c - b'0');
        for b in out.iter_mut().rev() {
            let v = u32::from(*b) * 10 + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
        assert_eq!(carry, 0, "value does not fit");
    }
    out
}

#[test]
fn sign_with_the_spec_test_key() {
    let Some(dir) = provseal_testsupport::testdata_dir("sign_with_the_spec_test_key") else {
        return;
    };
    let spec = dir.join("dsse/spec-vector");
    let key: serde_json::Value =
        serde_json::from_slice(&std::fs::read(spec.join("test_key.json")).unwrap()).unwrap();
    let d = decimal_to_be(key["d"].as_str().unwrap(), 32);
    let mut point = vec![4u8];
    point.extend(decimal_to_be(key["x"].as_str().unwrap(), 32));
    point.extend(decimal_to_be(key["y"].as_str().unwrap(), 32));
    let sec1 = sec1::EcPrivateKey {
        private_key: &d,
        parameters: Some(sec1::EcParameters::NamedCurve(
            "1.2.840.10045.3.1.7".parse().unwrap(),
        )),
        public_key: Some(&point),
    }
    .to_der()
    .unwrap();
    let signer = load_signer(&sec1, None, "test_key.json").unwrap();
    let public = PublicKey::from_pem(std::fs::read(spec.join("public_key.pem")).unwrap()).unwrap();
    assert_eq!(signer.public_key(), &public);

    let payload_type = std::fs::read_to_string(spec.join("payload_type.txt")).unwrap();
    let payload = std::fs::read(spec.join("payload.bin")).unwrap();
    let env = sign(payload_type.trim_end(), payload.clone(), &signer).unwrap();
    assert_eq!(
        env.pae(),
        std::fs::read(spec.join("pae.bin")).unwrap(),
        "PAE of the spec vector"
    );
    // Round trip through JSON, then verify with the published public key.
    let env = Envelope::from_json(env.to_json().as_bytes()).unwrap();
    let v = verify(&env, std::slice::from_ref(&public)).unwrap();
    assert_eq!(v.payload, payload);
    assert_eq!(v.key_id, public.key_id());
    // The upstream envelope verifies too (raw r‖s signature).
    let upstream =
        Envelope::from_json(&std::fs::read(spec.join("envelope.json")).unwrap()).unwrap();
    verify(&upstream, std::slice::from_ref(&public)).unwrap();
}
