//! Any attestation file (JSON Lines, DSSE, bundles, batch entries, PEP 740, npm) loads or
//! errors, and verification of what loads never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(docs) = provseal_verify::load_attestations(data, "fuzz") {
        let _ =
            provseal_verify::verify_documents(&docs, &provseal_verify::VerifyOptions::default());
    }
});
