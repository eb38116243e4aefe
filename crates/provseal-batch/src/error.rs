//! The one error type of this crate.

/// Everything that can go wrong while building, writing, reading or verifying a batch.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// A batch (and a Merkle tree) needs at least one statement.
    #[error("a batch needs at least one statement")]
    EmptyBatch,

    /// A leaf index does not lie inside the tree.
    #[error("leaf index {index} is outside a tree of {tree_size} leaves")]
    IndexOutOfRange {
        /// The leaf index that was asked for.
        index: u64,
        /// The number of leaves in the tree.
        tree_size: u64,
    },

    /// An inclusion proof has the wrong number of hashes for its index and tree size.
    #[error(
        "inclusion proof for leaf {index} of {tree_size} must hold {expected} hashes, it holds {actual}"
    )]
    ProofLength {
        /// The leaf index of the proof.
        index: u64,
        /// The tree size of the proof.
        tree_size: u64,
        /// How many hashes RFC 9162 requires.
        expected: usize,
        /// How many hashes the proof holds.
        actual: usize,
    },

    /// The inclusion proof leads to another root than the signed one.
    #[error("inclusion proof leads to root {computed}, the signed root is {expected}")]
    RootMismatch {
        /// The root (hex) that was signed.
        expected: String,
        /// The root (hex) recomputed from the leaf and the proof.
        computed: String,
    },
}
