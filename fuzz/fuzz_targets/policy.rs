//! Policy files parse to a policy or to diagnostics, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = provseal_verify::policy::Policy::parse(
            text,
            "fuzz.toml",
            std::path::Path::new("/nonexistent"),
        );
    }
});
