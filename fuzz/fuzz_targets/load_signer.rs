//! Private key loading (PEM, DER, base64, encrypted PKCS#8) never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The first byte chooses whether a passphrase is given, so both paths are explored.
    let (pass, key) = match data.split_first() {
        Some((b, rest)) if b % 2 == 0 => (Some(&b"fuzz"[..]), rest),
        Some((_, rest)) => (None, rest),
        None => (None, data),
    };
    let _ = provseal_crypto::load_signer(key, pass, "fuzz");
});
