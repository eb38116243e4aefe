//! minisign signatures and public keys parse or error; verification never panics.
#![no_main]

use std::sync::OnceLock;

use provseal_crypto::minisign::{self, MinisignPublicKey};
use provseal_crypto::{KeyAlgorithm, Signer as _};

fn key() -> Option<&'static MinisignPublicKey> {
    static K: OnceLock<Option<MinisignPublicKey>> = OnceLock::new();
    K.get_or_init(|| {
        let s = provseal_crypto::KeyPairSigner::generate(KeyAlgorithm::Ed25519).ok()?;
        MinisignPublicKey::from_public_key(s.public_key()).ok()
    })
    .as_ref()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = MinisignPublicKey::parse(text);
        if let Some(k) = key() {
            let _ = minisign::verify(&b"data"[..], text, k);
        }
    }
});
