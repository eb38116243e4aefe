//! Prints the worked example of `docs/batch.md`: a 3-entry batch signed with a fresh Ed25519
//! key — statements, leaf hashes, the interior node, the root, the root statement and envelope,
//! and the entry of the last statement.
//!
//! `cargo run -p provseal-batch --example worked_example`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provseal_batch::merkle::node_hash;
use provseal_batch::{sign_batch, verify_entry};
use provseal_crypto::{KeyAlgorithm, KeyPairSigner, Signer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519)?;
    let statements: Vec<Vec<u8>> = ["pkg-a.whl", "pkg-b.whl", "pkg-c.whl"]
        .iter()
        .map(|name| {
            let digest = hex::encode(provseal_batch::merkle::leaf_hash(name.as_bytes()));
            format!(
                concat!(
                    r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"{}","#,
                    r#""digest":{{"sha256":"{}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","#,
                    r#""predicate":{{"buildDefinition":{{"buildType":"https://provseal.dev/buildtypes/attest/v1","#,
                    r#""externalParameters":{{}}}},"runDetails":{{"builder":{{"id":"https://provseal.dev/builder/local"}}}}}}}}"#
                ),
                name, digest
            )
            .into_bytes()
        })
        .collect();
    let batch = sign_batch(
        statements.clone(),
        "application/vnd.in-toto+json",
        &signer,
        "2026-11-25T22:00:00Z",
    )?;
    println!("public key:\n{}", signer.public_key().to_pem());
    for (i, s) in statements.iter().enumerate() {
        println!("statement {i}: {}", String::from_utf8_lossy(s));
        println!(
            "leaf {i}: {}",
            hex::encode(batch.tree().leaf(i as u64).unwrap())
        );
    }
    let n01 = node_hash(
        &batch.tree().leaf(0).unwrap(),
        &batch.tree().leaf(1).unwrap(),
    );
    println!("node(0,1): {}", hex::encode(n01));
    println!("root: {}", batch.root_hex());
    println!(
        "root statement: {}",
        String::from_utf8_lossy(&batch.root_envelope.payload)
    );
    println!("root envelope: {}", batch.root_envelope.to_json());
    let entry = batch.entry(2)?;
    verify_entry(&entry, &[signer.public_key().clone()])?;
    println!("entry 2:\n{}", String::from_utf8(entry.to_json()?)?);
    Ok(())
}
