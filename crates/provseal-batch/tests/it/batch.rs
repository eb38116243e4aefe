//! Round trips, signing-operation counts and tamper tests.

use provseal_batch::merkle::Hash;
use provseal_batch::{
    sign_batch, sign_batch_with, verify_entry, Batch, BatchEntry, BatchError, BatchOptions,
    LEAF_SCHEME_V1,
};
use provseal_crypto::{KeyAlgorithm, KeyPairSigner, PublicKey, Signer};
use provseal_model::ModelError;

use crate::support::{statement, statements, CountingSigner, CREATED_ON, INTOTO};

fn batch_of(n: usize, signer: &dyn Signer) -> Batch {
    sign_batch(statements(n), INTOTO, signer, CREATED_ON).unwrap()
}

fn keys(signer: &dyn Signer) -> Vec<PublicKey> {
    vec![signer.public_key().clone()]
}

#[test]
fn round_trip_each_entry_verifies_alone() {
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
        let signer = CountingSigner::new(alg);
        for n in [1usize, 2, 3, 7, 1000] {
            let before = signer.calls();
            let batch = batch_of(n, &signer);
            assert_eq!(signer.calls() - before, 1, "one signing operation for {n}");
            assert_eq!(batch.signing_operations, 1);
            assert_eq!(batch.len(), n);
            let mut count = 0;
            for (i, entry) in batch.entries().enumerate() {
                let file = entry.to_json().unwrap();
                assert_eq!(file.last(), Some(&b'\n'));
                let parsed = BatchEntry::from_json(&file).unwrap();
                assert_eq!(parsed, entry);
                let v = verify_entry(&parsed, &keys(&signer)).unwrap();
                assert_eq!(v.payload, statement(i));
                assert_eq!(v.payload_type, INTOTO);
                assert_eq!(v.leaf_index, i as u64);
                assert_eq!(v.tree_size, n as u64);
                assert_eq!(v.root_hex, batch.root_hex());
                assert_eq!(v.key_id, signer.key_id());
                assert_eq!(v.root_predicate.created_on, CREATED_ON);
                assert_eq!(v.root_predicate.leaf_scheme, LEAF_SCHEME_V1);
                count += 1;
            }
            assert_eq!(count, n);
        }
    }
}

#[test]
fn one_signing_operation_for_a_thousand() {
    let signer = CountingSigner::new(KeyAlgorithm::EcdsaP256);
    let batch = batch_of(1000, &signer);
    assert_eq!(signer.calls(), 1);
    assert_eq!(batch.signing_operations, 1);
    assert_eq!(batch.root_envelope.signatures.len(), 1);
}

#[test]
fn root_statement_is_the_documented_shape() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let batch = sign_batch_with(
        statements(3),
        INTOTO,
        &signer,
        &BatchOptions {
            created_on: CREATED_ON.into(),
            builder_id: Some("https://ci.example/builder".into()),
        },
    )
    .unwrap();
    let expected = format!(
        concat!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"provseal-batch-root","#,
            r#""digest":{{"sha256":"{}"}}}}],"predicateType":"https://provseal.dev/batch/v1","#,
            r#""predicate":{{"treeSize":3,"leafScheme":"{}","#,
            r#""leafPayloadType":"application/vnd.in-toto+json","createdOn":"{}","#,
            r#""builder":{{"id":"https://ci.example/builder"}}}}}}"#
        ),
        batch.root_hex(),
        LEAF_SCHEME_V1,
        CREATED_ON
    );
    assert_eq!(
        String::from_utf8(batch.root_envelope.payload.clone()).unwrap(),
        expected
    );
    assert_eq!(batch.root_envelope.payload_type, INTOTO);
    // It is a valid in-toto statement for any generic reader.
    let st = provseal_model::Statement::parse(&batch.root_envelope.payload).unwrap();
    assert_eq!(st.subject.len(), 1);
    let v = verify_entry(&batch.entry(2).unwrap(), &keys(&signer)).unwrap();
    assert_eq!(
        v.root_predicate.builder_id.as_deref(),
        Some("https://ci.example/builder")
    );
}

#[test]
fn bad_inputs_to_sign_batch() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    assert!(matches!(
        sign_batch(vec![], INTOTO, &signer, CREATED_ON),
        Err(BatchError::EmptyBatch)
    ));
    assert!(matches!(
        sign_batch(statements(2), "", &signer, CREATED_ON),
        Err(BatchError::EmptyPayloadType)
    ));
    match sign_batch(statements(2), INTOTO, &signer, "yesterday") {
        Err(BatchError::CreatedOn { value, .. }) => assert_eq!(value, "yesterday"),
        other => panic!("{other:?}"),
    }
}

fn expect_fail(entry: &BatchEntry, keys: &[PublicKey], what: &str) -> BatchError {
    match verify_entry(entry, keys) {
        Ok(v) => panic!("{what}: verified unexpectedly (leaf {})", v.leaf_index),
        Err(e) => e,
    }
}

#[test]
fn every_changed_statement_byte_fails() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let batch = batch_of(3, &signer);
    let keys = keys(&signer);
    let entry = batch.entry(1).unwrap();
    verify_entry(&entry, &keys).unwrap();
    assert!(entry.statement.len() > 100);
    for pos in 0..entry.statement.len() {
        for flip in [0x01u8, 0x80] {
            let mut bad = entry.clone();
            bad.statement[pos] ^= flip;
            let e = expect_fail(&bad, &keys, &format!("byte {pos}"));
            assert!(
                matches!(e, BatchError::RootMismatch { .. }),
                "byte {pos}: {e}"
            );
        }
    }
    // Appending or removing bytes fails too.
    let mut longer = entry.clone();
    longer.statement.push(b' ');
    assert!(matches!(
        expect_fail(&longer, &keys, "appended"),
        BatchError::RootMismatch { .. }
    ));
    let mut shorter = entry.clone();
    shorter.statement.pop();
    assert!(matches!(
        expect_fail(&shorter, &keys, "truncated"),
        BatchError::RootMismatch { .. }
    ));
    // The statement's payload type is bound into the leaf as well as into the signed root.
    let mut other_type = entry.clone();
    other_type.payload_type = "application/json".into();
    assert!(matches!(
        expect_fail(&other_type, &keys, "payload type"),
        BatchError::PayloadTypeMismatch { .. }
    ));
}

#[test]
fn changed_proof_hash_index_or_size_fails() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let batch = batch_of(7, &signer);
    let keys = keys(&signer);
    for i in 0..7 {
        let entry = batch.entry(i).unwrap();
        assert_eq!(entry.proof.hashes.len(), if i == 6 { 2 } else { 3 });
        for k in 0..entry.proof.hashes.len() {
            for byte in [0usize, 17, 31] {
                let mut bad = entry.clone();
                bad.proof.hashes[k][byte] ^= 0x04;
                assert!(matches!(
                    expect_fail(&bad, &keys, "proof hash"),
                    BatchError::RootMismatch { .. }
                ));
            }
        }
        let mut extra = entry.clone();
        extra.proof.hashes.push([7u8; 32]);
        assert!(matches!(
            expect_fail(&extra, &keys, "extra hash"),
            BatchError::ProofLength { .. }
        ));
        let mut missing = entry.clone();
        missing.proof.hashes.pop();
        assert!(matches!(
            expect_fail(&missing, &keys, "missing hash"),
            BatchError::ProofLength { .. }
        ));
        for other in 0..10u64 {
            if other == i as u64 {
                continue;
            }
            let mut bad = entry.clone();
            bad.proof.leaf_index = other;
            let e = expect_fail(&bad, &keys, "leaf index");
            assert!(
                matches!(
                    e,
                    BatchError::RootMismatch { .. }
                        | BatchError::ProofLength { .. }
                        | BatchError::IndexOutOfRange { .. }
                ),
                "{e}"
            );
        }
        for size in [1u64, 6, 8, 9, 1 << 20] {
            let mut bad = entry.clone();
            bad.proof.tree_size = size;
            match expect_fail(&bad, &keys, "tree size") {
                BatchError::TreeSizeMismatch { signed, proof } => {
                    assert_eq!((signed, proof), (7, size));
                }
                e => panic!("{e}"),
            }
        }
    }
}

#[test]
fn changed_root_envelope_fails() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let batch = batch_of(3, &signer);
    let keys = keys(&signer);
    let entry = batch.entry(0).unwrap();
    for pos in 0..entry.root_envelope.payload.len() {
        let mut bad = entry.clone();
        bad.root_envelope.payload[pos] ^= 0x01;
        assert!(matches!(
            expect_fail(&bad, &keys, "root payload"),
            BatchError::RootSignature { .. }
        ));
    }
    for pos in 0..entry.root_envelope.signatures[0].sig.len() {
        let mut bad = entry.clone();
        bad.root_envelope.signatures[0].sig[pos] ^= 0x01;
        assert!(matches!(
            expect_fail(&bad, &keys, "root signature"),
            BatchError::RootSignature { .. }
        ));
    }
    let mut bad = entry.clone();
    bad.root_envelope.payload_type = "application/json".into();
    assert!(matches!(
        expect_fail(&bad, &keys, "root type"),
        BatchError::RootSignature { .. }
    ));
    let mut bad = entry.clone();
    bad.root_envelope.signatures.clear();
    assert!(matches!(
        expect_fail(&bad, &keys, "no signature"),
        BatchError::RootSignature { .. }
    ));
    // A key that did not sign.
    let other = KeyPairSigner::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let e = expect_fail(&entry, &[other.public_key().clone()], "other key");
    assert!(matches!(e, BatchError::RootSignature { .. }));
    assert!(matches!(
        expect_fail(&entry, &[], "no key"),
        BatchError::RootSignature { .. }
    ));
}

#[test]
fn entry_from_another_batch_fails() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let keys = keys(&signer);
    let a = batch_of(3, &signer);
    // Batch B: same size, same key, one statement differs.
    let mut sb = statements(3);
    sb[2] = statement(99);
    let b = sign_batch(sb, INTOTO, &signer, CREATED_ON).unwrap();
    let b_big = batch_of(4, &signer);
    for i in 0..3 {
        let mut mixed = a.entry(i).unwrap();
        mixed.root_envelope = b.root_envelope.clone();
        assert!(matches!(
            expect_fail(&mixed, &keys, "A entry + B root"),
            BatchError::RootMismatch { .. }
        ));
        let mut mixed = a.entry(i).unwrap();
        mixed.root_envelope = b_big.root_envelope.clone();
        assert!(matches!(
            expect_fail(&mixed, &keys, "A entry + bigger B root"),
            BatchError::TreeSizeMismatch { .. }
        ));
    }
}

#[test]
fn proof_of_another_leaf_fails() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let keys = keys(&signer);
    let batch = batch_of(7, &signer);
    for i in 0..7 {
        for j in 0..7 {
            if i == j {
                continue;
            }
            // Statement i with the (valid) proof of leaf j, at j's index and at i's.
            let mut bad = batch.entry(i).unwrap();
            bad.proof = batch.entry(j).unwrap().proof;
            assert!(verify_entry(&bad, &keys).is_err(), "{i} with proof of {j}");
            bad.proof.leaf_index = i as u64;
            assert!(verify_entry(&bad, &keys).is_err(), "{i} with hashes of {j}");
        }
    }
    // A forged statement with a "proof" that is a valid path for an interior node: the leaf
    // prefix keeps an interior node from passing as a leaf.
    let tree = batch.tree();
    let proof = tree.inclusion_proof(0).unwrap();
    let mut forged = batch.entry(0).unwrap();
    forged.statement = [tree.leaf(0).unwrap(), tree.leaf(1).unwrap()].concat();
    forged.proof.hashes = proof[1..].to_vec();
    forged.proof.leaf_index = 0;
    assert!(verify_entry(&forged, &keys).is_err());
}

/// Signs a crafted root statement with the batch key, as an attacker holding a signature over
/// something else would present it.
fn entry_with_root(base: &BatchEntry, root_statement: &str, signer: &dyn Signer) -> BatchEntry {
    let mut entry = base.clone();
    entry.root_envelope =
        provseal_crypto::dsse::sign(INTOTO, root_statement.as_bytes().to_vec(), signer).unwrap();
    entry
}

#[test]
fn signed_but_wrong_root_statements_fail() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let keys = keys(&signer);
    let batch = batch_of(3, &signer);
    let entry = batch.entry(0).unwrap();
    let root = batch.root_hex();
    let good = String::from_utf8(batch.root_envelope.payload.clone()).unwrap();
    // Sanity: re-signing the exact root statement verifies.
    verify_entry(&entry_with_root(&entry, &good, &signer), &keys).unwrap();

    let cases: Vec<(String, &str)> = vec![
        (
            good.replace(
                "https://provseal.dev/batch/v1",
                "https://slsa.dev/provenance/v1",
            ),
            "predicate type",
        ),
        (
            good.replace(LEAF_SCHEME_V1, "https://example.com/other"),
            "leaf scheme",
        ),
        (
            good.replace(r#""treeSize":3"#, r#""treeSize":4"#),
            "tree size",
        ),
        (
            good.replace(r#""treeSize":3"#, r#""treeSize":3.0"#),
            "float size",
        ),
        (
            good.replace("provseal-batch-root", "other-name"),
            "subject name",
        ),
        (good.replace(&root, &"00".repeat(32)), "root"),
        (good.replace(&root, &root.to_uppercase()), "uppercase root"),
        (
            good.replace(r#""sha256":"#, r#""sha512":"ab","sha256":"#),
            "extra digest",
        ),
        (
            good.replace(r#""createdOn""#, r#""extra":1,"createdOn""#),
            "unknown field",
        ),
        (good.replace(CREATED_ON, "soon"), "createdOn"),
        (
            good.replace(r#""treeSize":3"#, r#""treeSize":3,"treeSize":3"#),
            "duplicate key",
        ),
        (good.replace("Statement/v1", "Statement/v0.1"), "v0.1"),
        (format!("{good} "), "trailing space is fine"),
    ];
    for (statement, what) in cases {
        let e = verify_entry(&entry_with_root(&entry, &statement, &signer), &keys);
        if what == "trailing space is fine" {
            e.unwrap();
            continue;
        }
        let e = e.expect_err(what);
        let ok = match what {
            "predicate type" => matches!(e, BatchError::RootPredicateType { .. }),
            "leaf scheme" => matches!(e, BatchError::LeafScheme { .. }),
            "tree size" => matches!(e, BatchError::TreeSizeMismatch { .. }),
            "root" => matches!(e, BatchError::RootMismatch { .. }),
            "duplicate key" | "v0.1" => matches!(
                e,
                BatchError::Json { .. } | BatchError::RootStatement { .. }
            ),
            _ => matches!(
                e,
                BatchError::RootStatement { .. } | BatchError::Json { .. }
            ),
        };
        assert!(ok, "{what}: {e}");
    }
    // A root envelope that is not an in-toto statement.
    let mut entry2 = entry.clone();
    entry2.root_envelope =
        provseal_crypto::dsse::sign("application/json", good.into_bytes(), &signer).unwrap();
    assert!(matches!(
        verify_entry(&entry2, &keys),
        Err(BatchError::RootPayloadType { .. })
    ));
}

#[test]
fn parse_errors_name_the_problem() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let batch = batch_of(3, &signer);
    let file = batch.entry(1).unwrap().to_json().unwrap();
    let text = String::from_utf8(file.clone()).unwrap();

    // Every truncation is a JSON syntax error (except the one dropping only the newline).
    for len in 0..file.len() - 1 {
        match BatchEntry::from_json(&file[..len]) {
            Err(BatchError::Json {
                source: ModelError::Syntax { .. },
                ..
            }) => {}
            other => panic!("truncated to {len}: {other:?}"),
        }
    }
    BatchEntry::from_json(text.trim_end().as_bytes()).unwrap();

    let err = |s: &str| -> String {
        let e = BatchEntry::from_json(s.as_bytes()).expect_err(s);
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(&format!(": {s}"));
            src = s.source();
        }
        msg
    };
    let first_hash = hex::encode(batch.entry(1).unwrap().proof.hashes[0]);
    let cases: Vec<(String, &str)> = vec![
        (
            text.replace("\"treeSize\":3", "\"treeSize\":3,\"treeSize\":3"),
            "duplicate key \"treeSize\" at $.proof",
        ),
        (
            text.replace("\"leafIndex\":1", "\"leafIndex\":-1"),
            "$.proof.leafIndex",
        ),
        (
            text.replace("\"leafIndex\":1", "\"leafIndex\":1.5"),
            "$.proof.leafIndex",
        ),
        (
            text.replace("\"leafIndex\":1", "\"leafIndex\":\"1\""),
            "$.proof.leafIndex",
        ),
        (
            text.replace("\"treeSize\":3", "\"treeSize\":0"),
            "$.proof.treeSize",
        ),
        (
            text.replace(&first_hash, &first_hash.to_uppercase()),
            "$.proof.hashes[0]",
        ),
        (
            text.replace(&first_hash, &first_hash[..62]),
            "$.proof.hashes[0]",
        ),
        (
            text.replace("\"leafIndex\":1", "\"leafIndex\":1,\"extra\":true"),
            "$.proof.extra",
        ),
        (text.replace("\"proof\":", "\"proof2\":"), "$.proof2"),
        (
            text.replace(
                "\"statement\":{\"payloadType\":\"application/vnd.in-toto+json\",",
                "\"statement\":{",
            ),
            "$.statement.payloadType",
        ),
        (
            text.replace("\"payload\":\"eyJ", "\"payload\":\"*yJ"),
            "$.statement.payload",
        ),
        (
            text.replace("batch-entry.v1", "batch-entry.v9"),
            "batch-entry.v9",
        ),
        (
            text.replace("\"signatures\":[", "\"signatures\":7,\"x\":["),
            "$.signatures",
        ),
        ("[]".to_owned(), "expected an object"),
        ("\u{feff}{}".to_owned(), "invalid JSON"),
    ];
    for (input, needle) in cases {
        let msg = err(&input);
        assert!(msg.contains(needle), "expected {needle:?} in {msg:?}");
    }
}

#[test]
fn leaf_hash_is_sha256_of_prefixed_pae() {
    // The streaming leaf hash equals SHA-256(0x00 || PAE) computed from the model's PAE.
    for i in [0usize, 5, 100] {
        let st = statement(i);
        let pae = provseal_model::dsse::pae(INTOTO, &st);
        let expected: Hash = provseal_batch::merkle::leaf_hash(&pae);
        assert_eq!(
            provseal_batch::merkle::dsse_leaf_hash(INTOTO, &st),
            expected
        );
        let mut prefixed = vec![0u8];
        prefixed.extend_from_slice(&pae);
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &prefixed);
        assert_eq!(d.as_ref(), expected.as_slice());
    }
}

#[test]
fn mutated_entry_files_never_panic_and_never_verify() {
    // A deterministic mutation loop over a whole entry file: flip, delete and duplicate every
    // byte. Parsing must not panic; a mutant that parses must not verify unless it is the same
    // entry (e.g. whitespace or an equivalent base64 in the envelope).
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let keys = keys(&signer);
    let batch = batch_of(5, &signer);
    let original = batch.entry(3).unwrap();
    let file = original.to_json().unwrap();
    let mut parsed_mutants = 0usize;
    for pos in 0..file.len() {
        let mut mutants = Vec::new();
        let mut flipped = file.clone();
        flipped[pos] ^= 0x20;
        mutants.push(flipped);
        let mut deleted = file.clone();
        deleted.remove(pos);
        mutants.push(deleted);
        let mut doubled = file.clone();
        doubled.insert(pos, file[pos]);
        mutants.push(doubled);
        for m in mutants {
            if let Ok(entry) = BatchEntry::from_json(&m) {
                parsed_mutants += 1;
                if let Ok(v) = verify_entry(&entry, &keys) {
                    assert_eq!(v.payload, original.statement, "mutation at {pos}");
                    assert_eq!(v.leaf_index, 3);
                    assert_eq!(entry.proof, original.proof);
                    assert_eq!(entry.root_envelope.payload, original.root_envelope.payload);
                }
            }
        }
    }
    // Some mutants (e.g. in the keyid hint or the envelope's base64 padding) still parse.
    assert!(parsed_mutants > 0);
}

#[test]
fn entry_detection_and_from_value() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let batch = batch_of(2, &signer);
    let file = batch.entry(0).unwrap().to_json().unwrap();
    let value = provseal_model::json::parse_strict(&file).unwrap();
    assert!(BatchEntry::is_entry(&value));
    assert_eq!(
        BatchEntry::from_value(&value).unwrap(),
        batch.entry(0).unwrap()
    );
    let envelope =
        provseal_model::json::parse_strict(batch.root_envelope.to_json().as_bytes()).unwrap();
    assert!(!BatchEntry::is_entry(&envelope));
}

#[test]
fn error_classes() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let batch = batch_of(2, &signer);
    let entry = batch.entry(0).unwrap();
    // Malformed entry files are input errors.
    assert!(BatchEntry::from_json(b"{").unwrap_err().is_input_error());
    assert!(BatchEntry::from_json(b"{}").unwrap_err().is_input_error());
    let mut bad_env = entry.to_json().unwrap();
    let text = String::from_utf8(bad_env.clone()).unwrap();
    bad_env = text
        .replace("\"signatures\":[", "\"signatures\":1,\"x\":[")
        .into_bytes();
    assert!(BatchEntry::from_json(&bad_env)
        .unwrap_err()
        .is_input_error());
    // Verification failures are not.
    let mut tampered = entry.clone();
    tampered.statement[0] ^= 1;
    assert!(!verify_entry(&tampered, &keys(&signer))
        .unwrap_err()
        .is_input_error());
    let other = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let e = verify_entry(&entry, &[other.public_key().clone()]).unwrap_err();
    assert!(!e.is_input_error());
    let mut signed_garbage = entry.clone();
    signed_garbage.root_envelope =
        provseal_crypto::dsse::sign(INTOTO, b"{".to_vec(), &signer).unwrap();
    let e = verify_entry(&signed_garbage, &keys(&signer)).unwrap_err();
    assert!(
        matches!(e, BatchError::Json { .. }) && !e.is_input_error(),
        "{e}"
    );
}

/// A stand-in for a keyless root bundle: the shape only matters here (the bundle's certificate and
/// log entry are checked by provseal-sigstore when an entry is verified; the tests against the
/// real Sigstore stack live in provseal-cli).
fn root_bundle_over(payload: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"certificate": {"rawBytes": "AA=="}, "tlogEntries": []},
        "dsseEnvelope": {"payload": b64.encode(payload), "payloadType": INTOTO,
            "signatures": [{"sig": b64.encode(b"sig"), "keyid": ""}]},
    })
    .to_string()
    .into_bytes()
}

#[test]
fn keyless_root_bundle_round_trips_and_checks_what_it_signs() {
    let options = BatchOptions {
        created_on: CREATED_ON.into(),
        builder_id: None,
    };
    let unsigned = provseal_batch::prepare_batch(statements(5), INTOTO, &options).unwrap();
    let root_statement = unsigned.root_statement().to_vec();

    // A bundle over anything but the root statement is refused.
    let other = provseal_batch::prepare_batch(statements(5), INTOTO, &options).unwrap();
    let err = other
        .with_root_bundle(&root_bundle_over(b"{}"))
        .unwrap_err();
    assert!(matches!(err, BatchError::RootBundle { .. }), "{err}");

    let batch = unsigned
        .with_root_bundle(&root_bundle_over(&root_statement))
        .unwrap();
    assert_eq!(batch.signing_operations, 1);
    let entry = batch.entry(3).unwrap();
    let file = entry.to_json().unwrap();
    let value: serde_json::Value = serde_json::from_slice(&file).unwrap();
    assert!(value.get("rootBundle").is_some() && value.get("rootEnvelope").is_none());
    let parsed = BatchEntry::from_json(&file).unwrap();
    assert_eq!(parsed, entry);

    // Keys cannot verify a keyless root; the proof checks run on the verified root bytes.
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    assert!(matches!(
        verify_entry(&parsed, &keys(&signer)),
        Err(BatchError::RootBundle { .. })
    ));
    let v = provseal_batch::verify_entry_with_root(&parsed, INTOTO, &root_statement, "ci".into())
        .unwrap();
    assert_eq!((v.leaf_index, v.payload.clone()), (3, statement(3)));
    let mut wrong = root_statement.clone();
    let pos = wrong.len() / 2;
    wrong[pos] ^= 1;
    assert!(provseal_batch::verify_entry_with_root(&parsed, INTOTO, &wrong, "ci".into()).is_err());

    // Both root signatures, or neither: refused with the path named.
    let mut both = value.clone();
    both["rootEnvelope"] =
        serde_json::json!({"payload": "", "payloadType": INTOTO, "signatures": []});
    let err = BatchEntry::from_json(both.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("both"), "{err}");
    let mut neither = value;
    neither.as_object_mut().unwrap().remove("rootBundle");
    let err = BatchEntry::from_json(neither.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("rootEnvelope"), "{err}");
}
