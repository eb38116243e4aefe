//! Batch entries parse or error; verification against a fixed key never panics.
#![no_main]

use std::sync::OnceLock;

use provseal_crypto::{KeyAlgorithm, PublicKey, Signer as _};

fn key() -> &'static [PublicKey] {
    static K: OnceLock<Vec<PublicKey>> = OnceLock::new();
    K.get_or_init(|| {
        provseal_crypto::KeyPairSigner::generate(KeyAlgorithm::Ed25519)
            .map(|s| vec![s.public_key().clone()])
            .unwrap_or_default()
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = provseal_batch::BatchEntry::from_json(data) {
        let _ = provseal_batch::verify_entry(&entry, key());
    }
});
