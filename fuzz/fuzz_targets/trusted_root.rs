//! Trusted roots (JSON and gh's JSON Lines) parse or error, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = provseal_sigstore::TrustedRoot::from_json(data, "fuzz");
    let _ = provseal_sigstore::TrustedRoot::from_jsonl(data, "fuzz");
});
