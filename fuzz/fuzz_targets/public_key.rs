//! Public key parsing and signature verification never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = provseal_crypto::PublicKey::from_pem(data);
    if let Ok(key) = provseal_crypto::PublicKey::from_spki_der(data) {
        let _ = key.verify(b"message", data);
        let _ = key.to_pem();
    }
    let _ = std::str::from_utf8(data).map(|s| s.parse::<provseal_crypto::KeyRef>());
});
