//! Tests of the verification pipeline over real signatures.
#![allow(clippy::unwrap_used)]

mod blob;
mod policy;
mod session;
mod slsa_cases;
mod vsa;

use provseal_crypto::{generate_key, load_signer, KeyAlgorithm, PublicKey, Signer};
use provseal_model::DigestSet;
use provseal_verify::{
    load_attestations, verify_artifact, verify_documents, Artifact, AttestationDoc, FailureClass,
    VerifyError, VerifyOptions,
};

fn key(alg: KeyAlgorithm) -> (Box<dyn Signer>, PublicKey) {
    let g = generate_key(alg, None).unwrap();
    let signer = load_signer(g.private_pem.as_bytes(), None, "test").unwrap();
    let public = PublicKey::from_pem(g.public_pem.as_bytes()).unwrap();
    (signer, public)
}

fn statement(subjects: &[(&str, &str)], builder: &str, repo: &str) -> Vec<u8> {
    let subject: Vec<_> = subjects
        .iter()
        .map(|(n, d)| serde_json::json!({"name": n, "digest": {"sha256": d}}))
        .collect();
    statement_of(subject, builder, repo)
}

/// A SLSA provenance statement with these subject values, built by `builder` from `repo`.
fn statement_of(subject: Vec<serde_json::Value>, builder: &str, repo: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subject,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://provseal.dev/buildtypes/attest/v1",
                "externalParameters": {"source": {"repository": repo}},
                "resolvedDependencies": [{"uri": format!("git+{repo}@refs/heads/main"), "digest": {"gitCommit": "a".repeat(40)}}]
            },
            "runDetails": {"builder": {"id": builder}}
        }
    }))
    .unwrap()
}

fn artifact(name: &str, hex: &str) -> Artifact {
    let mut d = DigestSet::new();
    d.insert("sha256", hex);
    Artifact {
        name: name.into(),
        digests: d,
    }
}

const A: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const C: &str = "3333333333333333333333333333333333333333333333333333333333333333";

#[test]
fn jsonl_with_several_envelopes_and_unknown_lines() {
    let (s1, p1) = key(KeyAlgorithm::Ed25519);
    let (s2, _p2) = key(KeyAlgorithm::EcdsaP256);
    let e1 = provseal_crypto::dsse::sign(
        provseal_model::IN_TOTO_PAYLOAD_TYPE,
        statement(&[("a", A)], "https://b/1", "https://github.com/o/r"),
        s1.as_ref(),
    )
    .unwrap();
    let e2 = provseal_crypto::dsse::sign(
        provseal_model::IN_TOTO_PAYLOAD_TYPE,
        statement(&[("b", B)], "https://b/1", "https://github.com/o/r"),
        s2.as_ref(),
    )
    .unwrap();
    let text = format!(
        "{}\n{{\"something\":\"else\"}}\n\n{}\n",
        e1.to_json(),
        e2.to_json()
    );
    let docs = load_attestations(text.as_bytes(), "x.jsonl").unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].origin.to_string(), "x.jsonl:1");
    assert_eq!(docs[1].origin.to_string(), "x.jsonl:4");
    let opts = VerifyOptions {
        keys: vec![p1.clone()],
        ..Default::default()
    };
    let results = verify_documents(&docs, &opts);
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(VerifyError::Signature { .. })));
    // a is verified by line 1; b only by the envelope signed with another key
    let va = verify_artifact(&artifact("a", A), &results, &opts);
    assert_eq!(
        va.result.as_ref().unwrap().signer,
        provseal_verify::SignerIdentity::Key {
            key_id: p1.key_id()
        }
    );
    let vb = verify_artifact(&artifact("b", B), &results, &opts);
    let e = vb.result.unwrap_err();
    assert_eq!(e.code(), "subject-not-found");
    assert_eq!(e.class(), FailureClass::Policy);
}

#[test]
fn pretty_printed_envelope_and_constraints() {
    let (s, p) = key(KeyAlgorithm::Ed25519);
    let env = provseal_crypto::dsse::sign(
        provseal_model::IN_TOTO_PAYLOAD_TYPE,
        statement(
            &[("a", A), ("c", C)],
            "https://b/1",
            "https://github.com/o/r",
        ),
        s.as_ref(),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&env.to_json()).unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let docs = load_attestations(pretty.as_bytes(), "e.json").unwrap();
    assert!(matches!(docs[0].doc, AttestationDoc::Dsse(_)));
    let mut opts = VerifyOptions {
        keys: vec![p],
        builder_id: Some("https://b/1".into()),
        source_uri: Some("github.com/o/r".into()),
        ..Default::default()
    };
    let results = verify_documents(&docs, &opts);
    assert!(verify_artifact(&artifact("c", C), &results, &opts)
        .result
        .is_ok());
    opts.builder_id = Some("https://b/2".into());
    let e = verify_artifact(&artifact("c", C), &results, &opts)
        .result
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "builder.id: expected `https://b/2`, found `https://b/1`"
    );
    opts.builder_id = None;
    opts.source_uri = Some("https://github.com/o/other".into());
    let e = verify_artifact(&artifact("c", C), &results, &opts)
        .result
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "source: expected `https://github.com/o/other`, found `github.com/o/r`"
    );
}

#[test]
fn malformed_files() {
    for (bytes, needle) in [
        (&b""[..], "empty"),
        (b"   \n  ", "empty"),
        (b"[1,2,3]", "no attestation found"),
        (b"{\"a\":1}\n{\"b\":", "x:2"),
        (b"{\"payloadType\":\"t\"}", "payload"),
    ] {
        let e = load_attestations(bytes, "x").unwrap_err();
        let text = provseal_model::one_line(&e);
        assert!(
            text.contains(needle),
            "{:?}: {text}",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(e.class(), FailureClass::Input);
    }
}

/// Issue 14: every artifact a statement verifies shares that one parsed statement (no copy per
/// verdict), so memory is O(statement + artifacts), never their product.
#[test]
fn issue_14_verdicts_share_one_statement() {
    let (s, p) = key(KeyAlgorithm::Ed25519);
    let env = provseal_crypto::dsse::sign(
        provseal_model::IN_TOTO_PAYLOAD_TYPE,
        statement(
            &[("a", A), ("b", B), ("c", C)],
            "https://b/1",
            "https://g/o/r",
        ),
        s.as_ref(),
    )
    .unwrap();
    let docs = load_attestations(env.to_json().as_bytes(), "e.json").unwrap();
    let opts = VerifyOptions {
        keys: vec![p],
        ..Default::default()
    };
    let results = verify_documents(&docs, &opts);
    let shared = results[0].as_ref().unwrap();
    for (n, d) in [("a", A), ("b", B), ("c", C)] {
        let v = verify_artifact(&artifact(n, d), &results, &opts);
        assert!(std::sync::Arc::ptr_eq(v.result.as_ref().unwrap(), shared));
    }
    // The results plus the three verdicts just dropped: only `results` holds it now.
    assert_eq!(std::sync::Arc::strong_count(shared), 1);
}

/// Issue 14: an envelope with more than 16 signatures is refused as malformed input with the
/// count named, before any signature is tried; a huge array under any key is refused at the
/// array limit.
#[test]
fn issue_14_signature_and_array_limits_on_load() {
    let sigs = vec![r#"{"keyid":"k","sig":"AQID"}"#; 17].join(",");
    let doc = format!(r#"{{"payload":"e30=","payloadType":"t","signatures":[{sigs}]}}"#);
    let e = load_attestations(doc.as_bytes(), "many.json").unwrap_err();
    assert_eq!(e.class(), FailureClass::Input);
    assert_eq!(
        provseal_model::one_line(&e),
        "`many.json` is malformed: DSSE envelope has 17 signatures, more than the limit of 16"
    );
    let zeros = format!(
        r#"{{"payload":"e30=","payloadType":"t","x":[{}0]}}"#,
        "0,".repeat(provseal_model::json::MAX_ARRAY_ITEMS)
    );
    let e = load_attestations(zeros.as_bytes(), "zeros.json").unwrap_err();
    assert_eq!(e.class(), FailureClass::Input);
    let text = provseal_model::one_line(&e);
    assert!(
        text.contains("array at $.x has more than 1048576 items"),
        "{text}"
    );
}

/// Many artifacts against the same statements: the subject lookup built once gives exactly the
/// verdicts of the scan, for a match (in either hex case), a digest no statement lists, a
/// same-name-other-digest, and a subject listed only in an envelope that did not verify.
#[test]
fn indexed_subject_lookup_gives_the_verdicts_of_the_scan() {
    use provseal_verify::{verify_artifact_indexed, SubjectLookup};
    let (s1, p1) = key(KeyAlgorithm::Ed25519);
    let (s2, _) = key(KeyAlgorithm::Ed25519);
    let upper = "ABCDEF".repeat(10) + "ABCD";
    let signed = |subjects: &[(&str, &str)], s: &dyn Signer| {
        provseal_crypto::dsse::sign(
            provseal_model::IN_TOTO_PAYLOAD_TYPE,
            statement(subjects, "https://b/1", "https://github.com/o/r"),
            s,
        )
        .unwrap()
        .to_json()
    };
    let text = format!(
        "{}\n{}\n{}\n",
        signed(&[("a", A), ("u", &upper)], s1.as_ref()),
        signed(&[("b", B)], s2.as_ref()),
        signed(&[("c", C), ("a", A)], s1.as_ref()),
    );
    let docs = load_attestations(text.as_bytes(), "m.jsonl").unwrap();
    let opts = VerifyOptions {
        keys: vec![p1],
        ..Default::default()
    };
    let results = verify_documents(&docs, &opts);
    let lookup = SubjectLookup::new(&results);
    let lower = upper.to_ascii_lowercase();
    let cases = [
        artifact("a", A),
        artifact("c", C),
        artifact("u", &lower),
        artifact("b", B),
        artifact("a", B),
        artifact("z", "4".repeat(64).as_str()),
    ];
    let mut codes = Vec::new();
    for a in &cases {
        let scan = verify_artifact(a, &results, &opts);
        let indexed = verify_artifact_indexed(a, &results, &lookup, &opts);
        assert_eq!(format!("{scan:?}"), format!("{indexed:?}"), "{}", a.name);
        codes.push(indexed.result.err().map(|e| e.code().as_str()));
    }
    assert_eq!(
        codes,
        [
            None,
            None,
            None,
            Some("subject-not-found"),
            Some("subject-digest-mismatch"),
            Some("subject-not-found")
        ]
    );
}

/// A raw Ed25519 signature over a statement file whose first byte happens to be `{` (one
/// signature in 256): it is a raw signature, not malformed JSON. A real one, found by signing
/// statements that differ in one subject name until the signature starts with `{`.
#[test]
fn a_raw_signature_that_starts_with_a_brace_is_raw() {
    let (signer, public) = key(KeyAlgorithm::Ed25519);
    let (statement, signature) = (0..100_000)
        .map(|i| {
            statement(
                &[(&format!("a-{i}.whl"), A)],
                "https://b",
                "https://github.com/o/r",
            )
        })
        .map(|s| {
            let sig = provseal_crypto::minisign::sign_raw(&s[..], signer.as_ref()).unwrap();
            (s, sig)
        })
        .find(|(_, sig)| sig.first() == Some(&b'{'))
        .unwrap();
    assert!(std::str::from_utf8(&signature).is_err());
    let options = VerifyOptions {
        keys: vec![public],
        ..Default::default()
    };
    let result = provseal_verify::detached::verify_detached(
        &provseal_verify::detached::DetachedInput {
            statement: &statement,
            statement_origin: "provenance.json",
            signature: &signature,
            signature_origin: "provenance.json.sig",
        },
        &options,
    );
    assert!(result.is_ok(), "{:?}", result.err());
}
