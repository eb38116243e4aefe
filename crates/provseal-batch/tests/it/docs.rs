//! The worked example in `docs/batch.md` is real: every hash is recomputed and the entry
//! verifies with the public key printed there.

use provseal_batch::merkle::{dsse_leaf_hash, node_hash, Hash, MerkleTree};
use provseal_batch::{verify_entry, BatchEntry};
use provseal_crypto::PublicKey;

fn block(doc: &str, name: &str) -> String {
    let marker = format!("<!-- batch-example:{name} -->");
    let start = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("{marker} missing"))
        + marker.len();
    let rest = &doc[start..];
    let open = rest.find("```").unwrap();
    let body_start = open + rest[open..].find('\n').unwrap() + 1;
    let body_len = rest[body_start..].find("\n```").unwrap();
    rest[body_start..body_start + body_len].to_owned()
}

fn hash(s: &str) -> Hash {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).unwrap();
    out
}

#[test]
fn worked_example_in_docs_verifies() {
    let path = provseal_testsupport::workspace_root().join("docs/batch.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let key = PublicKey::from_pem(block(&doc, "public-key").as_bytes()).unwrap();
    let ty = "application/vnd.in-toto+json";
    let statements: Vec<String> = (0..3)
        .map(|i| block(&doc, &format!("statement-{i}")))
        .collect();
    let leaves: Vec<Hash> = statements
        .iter()
        .map(|s| dsse_leaf_hash(ty, s.as_bytes()))
        .collect();
    let hashes: Vec<(String, String)> = block(&doc, "hashes")
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.trim().to_owned(), v.to_owned())
        })
        .collect();
    let tree = MerkleTree::new(leaves.clone()).unwrap();
    let expected = [
        ("leaf 0", leaves[0]),
        ("leaf 1", leaves[1]),
        ("leaf 2", leaves[2]),
        ("node(0,1)", node_hash(&leaves[0], &leaves[1])),
        ("root", tree.root()),
    ];
    assert_eq!(hashes.len(), expected.len());
    for ((label, value), (want_label, want)) in hashes.iter().zip(expected) {
        assert_eq!(label, want_label);
        assert_eq!(hash(value), want, "{label}");
    }

    let entry = BatchEntry::from_json(block(&doc, "entry-2").as_bytes()).unwrap();
    assert_eq!(entry.statement, statements[2].as_bytes());
    let v = verify_entry(&entry, &[key]).unwrap();
    assert_eq!((v.leaf_index, v.tree_size), (2, 3));
    assert_eq!(v.root_hex, hex::encode(tree.root()));
    assert_eq!(
        entry.root_envelope.payload,
        block(&doc, "root-statement").as_bytes()
    );
    assert!(doc.contains(&format!("(key id `{}`)", v.key_id)));
}
