//! Strict JSON, statements and SLSA predicates parse or error, never panic; the outline of a
//! statement (inspect's) agrees with the full parse, and the sorted re-serialization of valid
//! JSON equals its value tree's.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(value) = provseal_model::json::parse_strict(data) {
        let text = std::str::from_utf8(data).expect("strict JSON is UTF-8");
        let sorted = serde_json::to_string(&provseal_model::json::SortedJson(text));
        assert_eq!(sorted.ok(), serde_json::to_string(&value).ok());
    }
    let _ = provseal_model::json::canonicalize_bytes(data);
    let full = provseal_model::Statement::parse(data);
    let outline = provseal_model::StatementOutline::parse(data, 2);
    assert_eq!(
        outline,
        full.clone()
            .map(|s| provseal_model::StatementOutline::of(s, 2))
    );
    if let Ok(st) = full {
        if let Some(p) = &st.predicate {
            let _ = provseal_model::slsa::provenance_v1_from(&st.predicate_type, p);
        }
    }
});
