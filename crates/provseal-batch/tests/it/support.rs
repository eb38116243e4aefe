//! Test helpers: a counting signer and statement bytes.

use std::sync::atomic::{AtomicUsize, Ordering};

use provseal_crypto::{CryptoError, KeyAlgorithm, KeyPairSigner, PublicKey, Signer};

/// Wraps a real key and counts its signing operations.
#[derive(Debug)]
pub struct CountingSigner {
    inner: KeyPairSigner,
    calls: AtomicUsize,
}

impl CountingSigner {
    pub fn new(alg: KeyAlgorithm) -> Self {
        Self {
            inner: KeyPairSigner::generate(alg).unwrap(),
            calls: AtomicUsize::new(0),
        }
    }
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Signer for CountingSigner {
    fn public_key(&self) -> &PublicKey {
        self.inner.public_key()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.sign(msg)
    }
}

pub const CREATED_ON: &str = "2026-11-25T22:00:00Z";
pub const INTOTO: &str = "application/vnd.in-toto+json";

/// A small but real in-toto Statement v1 for artifact `i`, as exact bytes.
pub fn statement(i: usize) -> Vec<u8> {
    let digest = provseal_batch::merkle::leaf_hash(format!("artifact {i}").as_bytes());
    format!(
        concat!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"pkg-{}.whl","#,
            r#""digest":{{"sha256":"{}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","#,
            r#""predicate":{{"buildDefinition":{{"buildType":"https://provseal.dev/x"}}}}}}"#
        ),
        i,
        hex::encode(digest)
    )
    .into_bytes()
}

pub fn statements(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(statement).collect()
}
