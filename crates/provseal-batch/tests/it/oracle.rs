//! The Merkle tree checked against `ct-merkle` (an independent RFC 6962 implementation) as an
//! oracle: roots, every inclusion proof, and cross-verification both ways.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{InclusionProof, RootHash};
use provseal_batch::merkle::{leaf_hash, verify_inclusion, Hash, MerkleTree};
use sha2::Sha256;

fn leaf_input(i: u64) -> Vec<u8> {
    // Varying lengths, including the empty input.
    let len = (i % 7) as usize;
    let mut v = i.to_le_bytes()[..len.min(8)].to_vec();
    v.extend(std::iter::repeat_n(0xa5u8, len));
    v
}

fn build(n: u64) -> (MerkleTree, MemoryBackedTree<Sha256, Vec<u8>>, Vec<Hash>) {
    let mut oracle = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    let mut leaves = Vec::new();
    for i in 0..n {
        let input = leaf_input(i);
        leaves.push(leaf_hash(&input));
        oracle.push(input);
    }
    (MerkleTree::new(leaves.clone()).unwrap(), oracle, leaves)
}

fn check_index(
    n: u64,
    i: u64,
    ours: &MerkleTree,
    oracle: &MemoryBackedTree<Sha256, Vec<u8>>,
    leaves: &[Hash],
) {
    let proof = ours.inclusion_proof(i).unwrap();
    let idx = usize::try_from(i).unwrap();
    let theirs = oracle.prove_inclusion(idx);
    let flat: Vec<u8> = proof.iter().flatten().copied().collect();
    assert_eq!(flat, theirs.as_bytes(), "proof for leaf {i} of {n}");
    // Our verifier accepts the oracle's proof, and the oracle accepts ours.
    verify_inclusion(&leaves[idx], i, n, &proof, &ours.root()).unwrap();
    let root = oracle.root();
    let our_proof = InclusionProof::<Sha256>::from_bytes(flat);
    root.verify_inclusion(&leaf_input(i), i, &our_proof)
        .unwrap();
}

#[test]
fn every_size_to_300_every_index_matches_ct_merkle() {
    for n in 1..=300u64 {
        let (ours, oracle, leaves) = build(n);
        assert_eq!(
            ours.root().as_slice(),
            oracle.root().as_bytes().as_slice(),
            "root of {n}"
        );
        for i in 0..n {
            check_index(n, i, &ours, &oracle, &leaves);
        }
    }
}

#[test]
fn large_sizes_match_ct_merkle() {
    for n in [1023u64, 1024, 1025, 4097, 65_537] {
        let (ours, oracle, leaves) = build(n);
        assert_eq!(
            ours.root().as_slice(),
            oracle.root().as_bytes().as_slice(),
            "root of {n}"
        );
        let step = (n / 97).max(1);
        let mut indices: Vec<u64> = (0..n).step_by(step as usize).collect();
        indices.extend([n - 1, n - 2, n / 2]);
        for i in indices {
            check_index(n, i, &ours, &oracle, &leaves);
        }
    }
}

#[test]
fn every_tampered_proof_hash_fails_for_small_trees() {
    for n in 2..=40u64 {
        let (ours, _, leaves) = build(n);
        let root = ours.root();
        for i in 0..n {
            let proof = ours.inclusion_proof(i).unwrap();
            let leaf = leaves[usize::try_from(i).unwrap()];
            for k in 0..proof.len() {
                let mut bad = proof.clone();
                bad[k][(k * 7) % 32] ^= 0x01;
                assert!(
                    verify_inclusion(&leaf, i, n, &bad, &root).is_err(),
                    "n {n} i {i} k {k}"
                );
            }
            let mut wrong_leaf = leaf;
            wrong_leaf[0] ^= 0x80;
            assert!(verify_inclusion(&wrong_leaf, i, n, &proof, &root).is_err());
        }
    }
}

#[test]
fn oracle_root_type_is_what_we_compare() {
    // Guard against comparing two empty things: the oracle root for one leaf is its leaf hash.
    let (ours, oracle, leaves) = build(1);
    let expected: RootHash<Sha256> = oracle.root();
    assert_eq!(expected.as_bytes().as_slice(), leaves[0].as_slice());
    assert_eq!(ours.root(), leaves[0]);
}
