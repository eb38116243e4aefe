//! Envelope parsing and verification against fixed keys never panic.
#![no_main]

use std::sync::OnceLock;

use provseal_crypto::{KeyAlgorithm, PublicKey, Signer as _};

fn keys() -> &'static [PublicKey] {
    static KEYS: OnceLock<Vec<PublicKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            KeyAlgorithm::Ed25519,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
        ]
        .into_iter()
        .filter_map(|alg| provseal_crypto::KeyPairSigner::generate(alg).ok())
        .map(|s| s.public_key().clone())
        .collect()
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(env) = provseal_model::dsse::Envelope::from_json(data) {
        let _ = provseal_crypto::dsse::verify(&env, keys());
    }
});
