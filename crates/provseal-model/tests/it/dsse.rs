//! DSSE: PAE vectors, every envelope in the corpora, derived negative variants.

use std::path::Path;

use provseal_model::dsse::{pae, Envelope};
use provseal_model::slsa::provenance_v1_from;
use provseal_model::{
    ModelError, Statement, IN_TOTO_PAYLOAD_TYPE, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1,
};
use provseal_testsupport::{cases_of_kind, testdata_dir};

use crate::{read, read_json};

#[test]
fn pae_spec_vector() {
    assert_eq!(
        pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    );
    let Some(dir) = testdata_dir("pae_spec_vector") else {
        return;
    };
    let sv = dir.join("dsse/spec-vector");
    let payload_type = String::from_utf8(read(&sv.join("payload_type.txt"))).unwrap();
    let payload = read(&sv.join("payload.bin"));
    let want = read(&sv.join("pae.bin"));
    assert_eq!(pae(payload_type.trim_end_matches('\n'), &payload), want);
    let env = Envelope::from_json(&read(&sv.join("envelope.json"))).unwrap();
    assert_eq!(env.pae(), want);
}

#[test]
fn pae_vectors() {
    let Some(dir) = testdata_dir("pae_vectors") else {
        return;
    };
    let cases = cases_of_kind(&dir, "dsse-pae");
    assert_eq!(cases.len(), 1);
    let mut n = 0;
    for case in &cases {
        let vectors = read_json(&case.input(&dir, "vectors").unwrap());
        for v in vectors.as_array().unwrap() {
            let payload_type = v["payloadType"].as_str().unwrap();
            let payload = base64_std(v["payload_b64"].as_str().unwrap());
            let want = hex::decode(v["pae_hex"].as_str().unwrap()).unwrap();
            assert_eq!(pae(payload_type, &payload), want, "{payload_type:?}");
            n += 1;
        }
    }
    assert!(n >= 4);
    eprintln!("dsse-pae: {n} vectors ok");
}

/// Decodes test-vector base64 through an envelope, so the test needs no base64 crate.
fn base64_std(text: &str) -> Vec<u8> {
    let doc = format!(r#"{{"payload":"{text}","payloadType":"","signatures":[]}}"#);
    Envelope::from_json(doc.as_bytes()).unwrap().payload
}

fn json_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_corpus_envelope_parses() {
    let Some(dir) = testdata_dir("every_corpus_envelope_parses") else {
        return;
    };
    let spec = Envelope::from_json(&read(&dir.join("dsse/spec-vector/envelope.json"))).unwrap();
    assert_eq!(spec.payload, b"hello world");
    assert_eq!(spec.payload_type, "http://example.com/HelloWorld");
    assert_eq!(spec.signatures.len(), 1);
    assert_eq!(spec.signatures[0].keyid, None);
    assert_eq!(spec.signatures[0].sig.len(), 64);

    let mut files = json_files(&dir.join("dsse/spec-vector"));
    files.extend(json_files(&dir.join("dsse/derived")));
    let mut parsed = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if name == "pae_vectors.json" || name == "test_key.json" {
            continue;
        }
        let env = Envelope::from_json(&read(f)).unwrap_or_else(|e| panic!("{name}: {e}"));
        match name.as_str() {
            "urlsafe_base64_sig.json" => {
                assert!(String::from_utf8(read(f)).unwrap().contains(['-', '_']));
                assert_eq!(env.signatures[0].sig, spec.signatures[0].sig);
            }
            "no_signatures.json" => assert!(env.signatures.is_empty()),
            "two_sigs_one_valid.json" => assert_eq!(env.signatures.len(), 2),
            "envelope_with_keyid.json" => {
                assert_eq!(env.signatures[0].keyid.as_deref(), Some("66301bbf"))
            }
            "wrong_keyid_hint.json" => assert!(env.signatures[0].keyid.is_some()),
            "tampered_payload.json" => assert_ne!(env.payload, spec.payload),
            "tampered_payload_type.json" => assert_ne!(env.payload_type, spec.payload_type),
            _ => {}
        }
        // Round trip through our writer.
        assert_eq!(
            Envelope::from_json(env.to_json().as_bytes()).unwrap(),
            env,
            "{name}"
        );
        parsed += 1;
    }

    // The envelopes the `dsse` cases reference (spec vector, derived, GCB).
    let cases = cases_of_kind(&dir, "dsse");
    let mut statements = 0;
    for case in &cases {
        let env = Envelope::from_json(&read(&case.input(&dir, "envelope").unwrap()))
            .unwrap_or_else(|e| panic!("{}: {e}", case.id));
        parsed += 1;
        if case.expects_pass() {
            if let Some(t) = case.param_str("expected_payload_type") {
                assert_eq!(env.payload_type, t, "{}", case.id);
            }
            if let Some(p) = case.param_str("expected_payload_path") {
                assert_eq!(env.payload, read(&dir.join(p)), "{}", case.id);
            }
        }
        if env.payload_type == IN_TOTO_PAYLOAD_TYPE {
            let st = match Statement::parse(&env.payload) {
                Ok(st) => st,
                // A tampered payload (the signature will not verify either) may not even parse:
                // slsa-verifier's `…-invalid-sig` GCB payload has a `|` after the JSON.
                Err(e) if !case.expects_pass() => {
                    assert!(matches!(e, ModelError::Syntax { .. }), "{}: {e}", case.id);
                    continue;
                }
                Err(e) => panic!("{}: {e}", case.id),
            };
            if st.predicate_type == SLSA_PROVENANCE_V1 || st.predicate_type == SLSA_PROVENANCE_V02 {
                provenance_v1_from(&st.predicate_type, st.predicate.as_ref().unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", case.id));
            }
            statements += 1;
        }
    }
    assert_eq!(statements, 3, "GCB envelopes whose statements parse");
    eprintln!(
        "dsse: {parsed} envelopes parsed ({} dsse cases, {statements} in-toto payloads)",
        cases.len()
    );
}

#[test]
fn derived_bad_envelopes_are_rejected_with_the_right_error() {
    let Some(dir) = testdata_dir("derived_bad_envelopes_are_rejected_with_the_right_error") else {
        return;
    };
    let text = String::from_utf8(read(&dir.join("dsse/spec-vector/envelope.json"))).unwrap();
    let good = Envelope::from_json(text.as_bytes()).unwrap();

    // Every truncation is a syntax error, never a panic or a partial envelope.
    for cut in 0..text.len() {
        let e = Envelope::from_json(&text.as_bytes()[..cut]).unwrap_err();
        assert!(matches!(e, ModelError::Syntax { .. }), "cut {cut}: {e:?}");
    }

    let sig_b64 = {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["signatures"][0]["sig"].as_str().unwrap().to_string()
    };
    let variants: Vec<(String, ModelError)> = vec![
        (
            text.replace("aGVsbG8gd29ybGQ=", "aGVsbG8gd29ybGQ=!"),
            ModelError::Base64 {
                path: "$.payload".into(),
                source: provseal_model::Base64Error::Decode(base64::DecodeError::InvalidByte(
                    16, b'!',
                )),
            },
        ),
        (
            text.replace("aGVsbG8gd29ybGQ=", "aGVsbG8-d29ybGQ+"),
            ModelError::Base64 {
                path: "$.payload".into(),
                source: provseal_model::Base64Error::MixedAlphabets,
            },
        ),
        (
            text.replace(&sig_b64, &format!("*{}", &sig_b64[1..])),
            ModelError::Base64 {
                path: "$.signatures[0].sig".into(),
                source: provseal_model::Base64Error::Decode(base64::DecodeError::InvalidByte(
                    0, b'*',
                )),
            },
        ),
        (
            text.replacen(
                "\"payloadType\"",
                "\"payloadType\": \"x\", \"payloadType\"",
                1,
            ),
            ModelError::DuplicateKey {
                key: "payloadType".into(),
                path: "$".into(),
            },
        ),
        (
            text.replacen("{\"sig\"", "{\"sig\": \"\", \"sig\"", 1),
            ModelError::DuplicateKey {
                key: "sig".into(),
                path: "$.signatures[0]".into(),
            },
        ),
        (
            text.replacen("\"payload\"", "\"other\"", 1),
            ModelError::MissingField {
                path: "$.payload".into(),
            },
        ),
        (
            text.replacen("\"sig\"", "\"signature\"", 1),
            ModelError::MissingField {
                path: "$.signatures[0].sig".into(),
            },
        ),
        (
            format!("{text}\n{text}"),
            ModelError::Syntax {
                line: 2,
                column: 1,
                message: "trailing characters".into(),
            },
        ),
    ];
    for (doc, want) in &variants {
        assert_ne!(doc, &text, "variant did not change the input");
        assert_eq!(
            Envelope::from_json(doc.as_bytes()).unwrap_err(),
            *want,
            "{doc}"
        );
    }

    // URL-safe, unpadded variants of the same envelope decode to the same bytes.
    let url = |b: &str| b.replace('+', "-").replace('/', "_").replace('=', "");
    let url_nopad = format!(
        r#"{{"payload":"{}","payloadType":"{}","signatures":[{{"sig":"{}"}}]}}"#,
        url("aGVsbG8gd29ybGQ="),
        good.payload_type,
        url(&sig_b64)
    );
    assert!(url_nopad.contains('-') || url_nopad.contains('_'));
    assert_eq!(Envelope::from_json(url_nopad.as_bytes()).unwrap(), good);
    // Whitespace and unknown fields are fine; a trailing newline too.
    let spaced = format!(
        " {}\n",
        text.replacen('{', r#"{ "extra": [1, {"x": null}], "#, 1)
    );
    assert_eq!(Envelope::from_json(spaced.as_bytes()).unwrap(), good);
    eprintln!(
        "dsse negatives: {} truncations + {} variants rejected",
        text.len(),
        variants.len()
    );
}
