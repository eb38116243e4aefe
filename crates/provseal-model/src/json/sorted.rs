//! JSON text re-serialized with sorted object keys, one level at a time.

use std::collections::BTreeMap;

use serde::ser::{Error as _, SerializeMap as _, SerializeSeq as _};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// JSON text that serializes exactly as parsing it into a [`serde_json::Value`] and serializing
/// that would (object keys sorted, numbers and strings re-written), without building the tree:
/// each object or array is split into borrowed raw members one level at a time, so a statement
/// of a million subjects costs a list of a million slices, not a million maps.
///
/// The text must be valid JSON without duplicate keys ([`super::check_strict`] passed on it);
/// otherwise serialization fails with the parse error, after part of the output may have been
/// written.
///
/// ```
/// use provseal_model::json::SortedJson;
/// let text = r#"{"b": [1.50, {"z": null, "a": "\u0041"}], "a": {}}"#;
/// let streamed = serde_json::to_string(&SortedJson(text)).unwrap();
/// assert_eq!(streamed, r#"{"a":{},"b":[1.5,{"a":"A","z":null}]}"#);
/// let tree: serde_json::Value = serde_json::from_str(text).unwrap();
/// assert_eq!(streamed, tree.to_string());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SortedJson<'a>(pub &'a str);

impl Serialize for SortedJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.0.trim_start();
        match text.as_bytes().first() {
            Some(b'{') => {
                let members: BTreeMap<String, &RawValue> =
                    serde_json::from_str(text).map_err(S::Error::custom)?;
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (key, value) in &members {
                    map.serialize_entry(key, &SortedJson(value.get()))?;
                }
                map.end()
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text).map_err(S::Error::custom)?;
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in &items {
                    seq.serialize_element(&SortedJson(item.get()))?;
                }
                seq.end()
            }
            _ => serde_json::from_str::<Value>(text)
                .map_err(S::Error::custom)?
                .serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14: the streamed form is byte for byte the tree's, compact and pretty, for
    /// escapes, numbers, nesting, empty containers and keys that sort by bytes.
    #[test]
    fn same_bytes_as_the_value_tree() {
        for text in [
            r#"{"_type":"t","subject":[{"name":"a\nb","digest":{"sha256":"ab"}},{"digest":{"x":"0"},"uri":"é\u00e9\ud83d\ude00"}],"predicateType":"p","predicate":{"n":[1,-0.0,1e3,2.50,18446744073709551615,-9223372036854775808,1.7976931348623157e308],"e":{},"a":[],"Z":null,"é":true,"b":false}}"#,
            r#"  [ {"b":1, "a" :2} , [] , "x" ]  "#,
            r#""only a string""#,
            "12.5e-3",
            r#"{"\"q":1,"\\":2,"a\u0000":3}"#,
        ] {
            let tree: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                serde_json::to_string(&SortedJson(text)).unwrap(),
                serde_json::to_string(&tree).unwrap(),
                "{text}"
            );
            assert_eq!(
                serde_json::to_string_pretty(&SortedJson(text)).unwrap(),
                serde_json::to_string_pretty(&tree).unwrap(),
                "{text}"
            );
        }
    }

    #[test]
    fn invalid_text_is_an_error_not_a_panic() {
        for text in ["", "{", r#"{"a":}"#, "[1,]", "nul"] {
            assert!(
                serde_json::to_string(&SortedJson(text)).is_err(),
                "{text:?}"
            );
        }
    }
}
