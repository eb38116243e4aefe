//! VSA writing and `verify-vsa` checks: slsa-verifier's cases and our own round trips.

use std::collections::BTreeMap;

use provseal_crypto::{generate_key, load_signer, KeyAlgorithm, PublicKey, Signer};
use provseal_model::dsse::Envelope;
use provseal_model::DigestSet;
use provseal_verify::vsa::{
    verify_vsa, verify_vsa_bytes, vsa_statement, VerificationResult, VsaError, VsaExpectations,
    VsaInput, PROVSEAL_VERIFIER_ID, VSA_PREDICATE_TYPE,
};

fn key(alg: KeyAlgorithm) -> (Box<dyn Signer>, PublicKey) {
    let g = generate_key(alg, None).unwrap();
    let signer = load_signer(g.private_pem.as_bytes(), None, "test").unwrap();
    let public = PublicKey::from_pem(g.public_pem.as_bytes()).unwrap();
    (signer, public)
}

const DIGEST: &str = "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4";

#[test]
fn slsa_verifier_vsa_cases() {
    let Some(dir) = provseal_testsupport::testdata_dir("slsa_verifier_vsa_cases") else {
        return;
    };
    let cases = provseal_testsupport::cases_of_kind(&dir, "vsa-verify");
    assert_eq!(cases.len(), 3, "vsa-verify cases");
    let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
        v.and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    for case in cases {
        let att = std::fs::read(case.input(&dir, "attestation").unwrap()).unwrap();
        let line = att.split(|b| *b == b'\n').next().unwrap();
        let env = Envelope::from_json(line).unwrap();
        let pem = std::fs::read(case.input(&dir, "public_key").unwrap()).unwrap();
        let key = PublicKey::from_pem(&pem).unwrap();
        let expected = VsaExpectations {
            subject_digests: strings(case.params.get("subject_digests")),
            verifier_id: case.param_str("verifier_id").unwrap_or("").to_string(),
            resource_uri: case.param_str("resource_uri").unwrap_or("").to_string(),
            verified_levels: strings(case.params.get("verified_levels")),
            public_key_id: case.param_str("public_key_id").map(str::to_string),
        };
        let got = verify_vsa(&env, std::slice::from_ref(&key), &expected);
        // The whole file, as the CLI reads it, gives the same verdict.
        assert_eq!(
            verify_vsa_bytes(&att, &[key], &expected).is_ok(),
            got.is_ok(),
            "{}",
            case.id
        );
        if case.expects_pass() {
            let v = got.unwrap_or_else(|e| panic!("{}: {e}", case.id));
            assert_eq!(v.key_id, "keystore://76574:prod:vsa_signing_public_key");
            assert_eq!(v.predicate.verification_result, "PASSED");
        } else {
            let e = got.err().unwrap_or_else(|| panic!("{}: verified", case.id));
            assert_eq!(case.expected.reason, "ErrorNoValidSignature", "{}", case.id);
            assert!(
                matches!(e, VsaError::NoValidSignature { .. }),
                "{}: {e}",
                case.id
            );
            assert_eq!(e.code(), "vsa-no-valid-signature");
        }
    }
}

#[test]
fn slsa_verifier_vsa_expectation_mismatches() {
    let Some(dir) = provseal_testsupport::testdata_dir("slsa_verifier_vsa_mismatches") else {
        return;
    };
    let base = dir.join("slsa-verifier/cli-testdata/vsa/gce/v1");
    let att = std::fs::read(base.join("gke-gce-pre.bcid-vsa.jsonl")).unwrap();
    let env = Envelope::from_json(att.split(|b| *b == b'\n').next().unwrap()).unwrap();
    let key = PublicKey::from_pem(std::fs::read(base.join("vsa_signing_public_key.pem")).unwrap())
        .unwrap();
    let good = VsaExpectations {
        subject_digests: vec!["gce_image_id:8970095005306000053".into()],
        verifier_id: "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1".into(),
        resource_uri:
            "gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre"
                .into(),
        verified_levels: vec!["BCID_L1".into(), "SLSA_BUILD_LEVEL_2".into()],
        public_key_id: Some("keystore://76574:prod:vsa_signing_public_key".into()),
    };
    verify_vsa(&env, std::slice::from_ref(&key), &good).unwrap();
    let code = |f: &dyn Fn(&mut VsaExpectations)| {
        let mut e = good.clone();
        f(&mut e);
        verify_vsa(&env, std::slice::from_ref(&key), &e)
            .err()
            .map(|e| e.code().as_str())
    };
    assert_eq!(
        code(&|e| e.subject_digests = vec!["gce_image_id:1".into()]),
        Some("vsa-missing-subject-digest")
    );
    assert_eq!(
        code(&|e| e.subject_digests.clear()),
        Some("vsa-empty-required-field")
    );
    assert_eq!(
        code(&|e| e.verifier_id = "https://other".into()),
        Some("vsa-verifier-id-mismatch")
    );
    assert_eq!(
        code(&|e| e.resource_uri = "gce_image://x".into()),
        Some("vsa-resource-uri-mismatch")
    );
    assert_eq!(
        code(&|e| e.verified_levels = vec!["SLSA_BUILD_LEVEL_3".into()]),
        Some("vsa-verified-levels-mismatch")
    );
    assert_eq!(
        code(&|e| e.verified_levels = vec!["SLSA_BUILD_LEVEL_1".into()]),
        None
    );
    assert_eq!(
        code(&|e| e.verified_levels = vec!["BCID_L2".into()]),
        Some("vsa-verified-levels-mismatch")
    );
}

fn input() -> VsaInput {
    let mut d = DigestSet::new();
    d.insert("sha256", DIGEST);
    let mut pd = DigestSet::new();
    pd.insert("sha256", "ab".repeat(32));
    let mut ad = DigestSet::new();
    ad.insert("sha256", "cd".repeat(32));
    VsaInput {
        verifier_id: PROVSEAL_VERIFIER_ID.into(),
        time_verified: "2026-11-25T23:00:00Z".parse().unwrap(),
        subjects: vec![("out.bin".into(), d)],
        resource_uri: "https://example.com/out.bin".into(),
        policy_uri: "provseal-policy.toml".into(),
        policy_digest: pd,
        input_attestations: vec![("out.bin.intoto.jsonl".into(), ad)],
        result: VerificationResult::Passed,
        verified_levels: vec!["SLSA_BUILD_LEVEL_1".into()],
        dependency_levels: BTreeMap::new(),
    }
}

fn expectations() -> VsaExpectations {
    VsaExpectations {
        subject_digests: vec![format!("sha256:{DIGEST}")],
        verifier_id: PROVSEAL_VERIFIER_ID.into(),
        resource_uri: "https://example.com/out.bin".into(),
        verified_levels: vec!["SLSA_BUILD_LEVEL_1".into()],
        public_key_id: None,
    }
}

#[test]
fn vsa_statement_shape() {
    let bytes = vsa_statement(&input()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(v["predicateType"], VSA_PREDICATE_TYPE);
    assert_eq!(v["subject"][0]["name"], "out.bin");
    assert_eq!(v["subject"][0]["digest"]["sha256"], DIGEST);
    let p = &v["predicate"];
    assert_eq!(p["verifier"]["id"], PROVSEAL_VERIFIER_ID);
    assert_eq!(p["timeVerified"], "2026-11-25T23:00:00Z");
    assert_eq!(p["resourceUri"], "https://example.com/out.bin");
    assert_eq!(p["policy"]["uri"], "provseal-policy.toml");
    assert_eq!(p["policy"]["digest"]["sha256"], "ab".repeat(32));
    assert_eq!(p["inputAttestations"][0]["uri"], "out.bin.intoto.jsonl");
    assert_eq!(
        p["inputAttestations"][0]["digest"]["sha256"],
        "cd".repeat(32)
    );
    assert_eq!(p["verificationResult"], "PASSED");
    assert_eq!(
        p["verifiedLevels"],
        serde_json::json!(["SLSA_BUILD_LEVEL_1"])
    );
    assert_eq!(p["slsaVersion"], "1.0");
    assert!(p.get("dependencyLevels").is_none());
    let mut with_deps = input();
    with_deps
        .dependency_levels
        .insert("SLSA_BUILD_LEVEL_1".into(), 3);
    let v: serde_json::Value = serde_json::from_slice(&vsa_statement(&with_deps).unwrap()).unwrap();
    assert_eq!(v["predicate"]["dependencyLevels"]["SLSA_BUILD_LEVEL_1"], 3);
}

#[test]
fn own_vsa_round_trip_and_failures() {
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
        let (signer, public) = key(alg);
        let (_other, other_pub) = key(KeyAlgorithm::Ed25519);
        let env = provseal_crypto::dsse::sign(
            provseal_model::IN_TOTO_PAYLOAD_TYPE,
            vsa_statement(&input()).unwrap(),
            signer.as_ref(),
        )
        .unwrap();
        let ok = verify_vsa(&env, std::slice::from_ref(&public), &expectations()).unwrap();
        assert_eq!(ok.key_id, public.key_id());
        assert_eq!(ok.predicate.resource_uri, "https://example.com/out.bin");
        // Explicit key id equal to the provseal one.
        let mut e = expectations();
        e.public_key_id = Some(public.key_id());
        verify_vsa(&env, std::slice::from_ref(&public), &e).unwrap();
        // A different key id, the wrong key, a tampered payload.
        e.public_key_id = Some("my_key_id".into());
        assert_eq!(
            verify_vsa(&env, std::slice::from_ref(&public), &e)
                .unwrap_err()
                .code(),
            "vsa-no-valid-signature"
        );
        assert_eq!(
            verify_vsa(&env, &[other_pub], &expectations())
                .unwrap_err()
                .code(),
            "vsa-no-valid-signature"
        );
        let mut tampered = env.clone();
        tampered.payload = String::from_utf8(env.payload.clone())
            .unwrap()
            .replace("out.bin", "evil.bin")
            .into_bytes();
        assert_eq!(
            verify_vsa(&tampered, std::slice::from_ref(&public), &expectations())
                .unwrap_err()
                .code(),
            "vsa-no-valid-signature"
        );
        // A FAILED result, signed.
        let mut failed = input();
        failed.result = VerificationResult::Failed;
        let env = provseal_crypto::dsse::sign(
            provseal_model::IN_TOTO_PAYLOAD_TYPE,
            vsa_statement(&failed).unwrap(),
            signer.as_ref(),
        )
        .unwrap();
        assert_eq!(
            verify_vsa(&env, std::slice::from_ref(&public), &expectations())
                .unwrap_err()
                .code(),
            "vsa-verification-result"
        );
    }
}

#[test]
fn vsa_bytes_input_errors() {
    let (_, public) = key(KeyAlgorithm::Ed25519);
    for bad in [&b""[..], b"\n\n", b"not json", b"\xff\xfe"] {
        let e = verify_vsa_bytes(bad, std::slice::from_ref(&public), &expectations()).unwrap_err();
        assert_eq!(e.code(), "vsa-malformed", "{bad:?}");
        assert!(e.is_input_error());
    }
}

#[test]
fn a_provenance_is_not_a_vsa() {
    let (signer, public) = key(KeyAlgorithm::Ed25519);
    let stmt = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "out.bin", "digest": {"sha256": DIGEST}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "x", "externalParameters": {}}, "runDetails": {"builder": {"id": "b"}}}
    });
    let env = provseal_crypto::dsse::sign(
        provseal_model::IN_TOTO_PAYLOAD_TYPE,
        serde_json::to_vec(&stmt).unwrap(),
        signer.as_ref(),
    )
    .unwrap();
    let e = verify_vsa(&env, &[public], &expectations()).unwrap_err();
    assert_eq!(e.code(), "vsa-predicate-type");
}
