//! Integration tests of provseal-model against the shared public corpora.
#![allow(clippy::unwrap_used)]

mod corpus;
mod dsse;
mod intoto;
mod jcs;
mod robustness;
mod statements;

use std::path::Path;

/// Reads a corpus file (test helper: panics with the path on failure).
pub fn read(path: &Path) -> Vec<u8> {
    fs_err::read(path).unwrap()
}

/// Reads and parses a corpus JSON file leniently (for index files written by us, not inputs).
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&read(path)).unwrap()
}
