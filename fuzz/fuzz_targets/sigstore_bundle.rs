//! Sigstore bundles parse or error, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = provseal_sigstore::ParsedBundle::parse(data, "fuzz");
    let _ = provseal_sigstore::parse_pep740_attestation(data, "fuzz");
});
