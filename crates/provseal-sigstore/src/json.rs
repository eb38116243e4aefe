//! Strict JSON parsing, from `provseal-model` (duplicate keys at any depth, trailing data and
//! excessive nesting rejected), with the error as text for our error variants.

/// Parses `bytes` as one JSON value, strictly.
pub(crate) fn parse_strict(bytes: &[u8]) -> Result<serde_json::Value, provseal_model::ModelError> {
    provseal_model::json::parse_strict(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_trailing_data_rejected() {
        assert!(parse_strict(br#"{"a":1,"b":{"c":1,"c":2}}"#).is_err());
        assert!(parse_strict(br#"{"a":1} x"#).is_err());
        assert_eq!(
            parse_strict(br#"{"a":[1,"x",null,true]}"#).ok(),
            Some(serde_json::json!({"a":[1,"x",null,true]}))
        );
    }
}
