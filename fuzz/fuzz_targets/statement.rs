//! Strict JSON, statements and SLSA predicates parse or error, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = provseal_model::json::parse_strict(data);
    let _ = provseal_model::json::canonicalize_bytes(data);
    if let Ok(st) = provseal_model::Statement::parse(data) {
        if let Some(p) = &st.predicate {
            let _ = provseal_model::slsa::provenance_v1_from(&st.predicate_type, p);
        }
    }
});
