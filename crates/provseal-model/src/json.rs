//! Strict JSON parsing and RFC 8785 canonical JSON.
//!
//! [`parse_strict`] is the only way outside JSON enters the data model: it rejects what
//! `serde_json` would silently accept (a repeated key keeps its last value there), so that two
//! readers of the same signed bytes can never see two different documents.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::excerpt;
use crate::ModelError;

/// Nesting limit: a document whose arrays and objects nest this deep (or deeper) is rejected.
///
/// This is also `serde_json`'s fixed recursion limit; the outermost container is level 1, so at
/// most `MAX_DEPTH - 1` levels are accepted.
pub const MAX_DEPTH: usize = 128;

/// Largest integer magnitude an IEEE 754 double holds exactly (2^53).
const MAX_SAFE: u64 = 1 << 53;

/// Parses `bytes` as one JSON value, strictly.
///
/// Rejected, each with its own [`ModelError`] variant: invalid UTF-8, syntax errors (including
/// lone surrogate escapes, a byte-order mark and empty input), trailing data after the value,
/// duplicate object keys at any depth (`duplicate key "subject" at $.predicate`), and nesting of
/// [`MAX_DEPTH`] levels or more.
///
/// ```
/// use provseal_model::json::parse_strict;
/// assert!(parse_strict(br#"{"a":1,"b":[true,null]}"#).is_ok());
/// let err = parse_strict(br#"{"a":{"b":1,"b":2}}"#).unwrap_err();
/// assert_eq!(err.to_string(), r#"duplicate key "b" at $.a"#);
/// ```
pub fn parse_strict(bytes: &[u8]) -> Result<Value, ModelError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ModelError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    let state = RefCell::new(State::default());
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictSeed {
        state: &state,
        depth: 0,
    }
    .deserialize(&mut de)
    .map_err(|e| map_error(&state, &e))?;
    de.end().map_err(|e| map_error(&state, &e))?;
    Ok(value)
}

/// Parses `bytes` strictly (see [`parse_strict`]) and then reads it as a `T`.
///
/// Unknown fields are handled as `T`'s `Deserialize` implementation says (ignored by default).
pub fn from_slice_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ModelError> {
    let value = parse_strict(bytes)?;
    from_value_at(value, "JSON document", "$")
}

/// Reads an already parsed value as a `T`, naming `what` and the path below `root` of the
/// offending value in the error (`invalid statement at $.subject[0].name: invalid type: …`).
pub(crate) fn from_value_at<T: DeserializeOwned>(
    value: Value,
    what: &'static str,
    root: &str,
) -> Result<T, ModelError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let rel = e.path().to_string();
        let path = if rel == "." || rel.is_empty() {
            root.to_string()
        } else if rel.starts_with('[') {
            format!("{root}{rel}")
        } else {
            format!("{root}.{rel}")
        };
        ModelError::Schema {
            what,
            path,
            message: e.into_inner().to_string(),
        }
    })
}

/// Writes `value` as RFC 8785 (JCS) canonical JSON: no whitespace, members sorted by UTF-16 code
/// units, ECMAScript number formatting, minimal string escapes.
///
/// Fails on an integer that an IEEE 754 double cannot hold exactly (I-JSON), since RFC 8785
/// numbers are doubles and such a value would silently change.
///
/// ```
/// use provseal_model::json::{canonicalize, parse_strict};
/// let v = parse_strict(br#"{"b": 1.50, "a": [1E3, "\u0041"]}"#).unwrap();
/// assert_eq!(canonicalize(&v).unwrap(), br#"{"a":[1000,"A"],"b":1.5}"#);
/// ```
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, ModelError> {
    let mut path = String::from("$");
    check_numbers(value, &mut path)?;
    serde_json_canonicalizer::to_vec(value).map_err(|e| ModelError::Canonicalize {
        path: "$".to_string(),
        reason: e.to_string(),
    })
}

/// Parses `bytes` strictly and writes the value as RFC 8785 canonical JSON.
pub fn canonicalize_bytes(bytes: &[u8]) -> Result<Vec<u8>, ModelError> {
    canonicalize(&parse_strict(bytes)?)
}

/// Formats one number as RFC 8785 does (ECMAScript `Number.prototype.toString`).
///
/// NaN and the infinities have no JSON form and are rejected.
///
/// ```
/// use provseal_model::json::canonical_number;
/// assert_eq!(canonical_number(1e21).unwrap(), "1e+21");
/// assert_eq!(canonical_number(-0.0).unwrap(), "0");
/// assert!(canonical_number(f64::NAN).is_err());
/// ```
pub fn canonical_number(value: f64) -> Result<String, ModelError> {
    let bytes = serde_json_canonicalizer::to_vec(&value).map_err(|e| ModelError::Canonicalize {
        path: "$".to_string(),
        reason: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| ModelError::Canonicalize {
        path: "$".to_string(),
        reason: e.to_string(),
    })
}

/// Rejects integers that would be rounded on their way to an IEEE 754 double.
fn check_numbers(value: &Value, path: &mut String) -> Result<(), ModelError> {
    match value {
        Value::Number(n) => check_number(n, path),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_numbers(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                push_key(path, k);
                check_numbers(v, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_number(n: &Number, path: &str) -> Result<(), ModelError> {
    let exact = if let Some(u) = n.as_u64() {
        u <= MAX_SAFE || (u as f64) as u64 == u
    } else if let Some(i) = n.as_i64() {
        i.unsigned_abs() <= MAX_SAFE || (i as f64) as i64 == i
    } else {
        true
    };
    if exact {
        Ok(())
    } else {
        Err(ModelError::Canonicalize {
            path: path.to_string(),
            reason: format!("integer {n} cannot be represented exactly as an IEEE 754 double"),
        })
    }
}

/// Appends an object key to a JSON path: `.key` for plain names, `["key"]` otherwise.
pub(crate) fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&format!("{:?}", excerpt(key)));
        path.push(']');
    }
}

// ---------------------------------------------------------------------------------------------
// The strict visitor.

#[derive(Default)]
struct State {
    /// Path of the value being read, as pre-rendered segments.
    path: Vec<String>,
    /// The typed problem behind the last custom error, if we raised it.
    problem: Option<Problem>,
}

enum Problem {
    Duplicate { key: String, path: String },
    TooDeep,
}

impl State {
    fn path_string(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.path {
            s.push_str(seg);
        }
        s
    }
}

fn map_error(state: &RefCell<State>, e: &serde_json::Error) -> ModelError {
    let problem = state.borrow_mut().problem.take();
    match problem {
        Some(Problem::Duplicate { key, path }) => ModelError::DuplicateKey { key, path },
        Some(Problem::TooDeep) => ModelError::TooDeep {
            limit: MAX_DEPTH,
            line: e.line(),
            column: e.column(),
        },
        None => {
            let full = e.to_string();
            // serde_json appends " at line L column C" to its messages; we report those apart.
            let message = match full.rfind(" at line ") {
                Some(i) => full.get(..i).unwrap_or(&full).to_string(),
                None => full,
            };
            if message == "recursion limit exceeded" {
                ModelError::TooDeep {
                    limit: MAX_DEPTH,
                    line: e.line(),
                    column: e.column(),
                }
            } else {
                ModelError::Syntax {
                    line: e.line(),
                    column: e.column(),
                    message,
                }
            }
        }
    }
}

struct StrictSeed<'s> {
    state: &'s RefCell<State>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for StrictSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl StrictSeed<'_> {
    fn enter<E: de::Error>(&self) -> Result<usize, E> {
        let depth = self.depth + 1;
        if depth >= MAX_DEPTH {
            self.state.borrow_mut().problem = Some(Problem::TooDeep);
            return Err(E::custom("recursion limit exceeded"));
        }
        Ok(depth)
    }
}

impl<'de> Visitor<'de> for StrictSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let depth = self.enter()?;
        let mut items = Vec::new();
        loop {
            self.state
                .borrow_mut()
                .path
                .push(format!("[{}]", items.len()));
            let next = seq.next_element_seed(StrictSeed {
                state: self.state,
                depth,
            })?;
            self.state.borrow_mut().path.pop();
            match next {
                Some(v) => items.push(v),
                None => break,
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let depth = self.enter()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                let path = self.state.borrow().path_string();
                let msg = format!("duplicate key {key:?} at {path}");
                self.state.borrow_mut().problem = Some(Problem::Duplicate { key, path });
                return Err(de::Error::custom(msg));
            }
            let mut seg = String::new();
            push_key(&mut seg, &key);
            self.state.borrow_mut().path.push(seg);
            let value = access.next_value_seed(StrictSeed {
                state: self.state,
                depth,
            })?;
            self.state.borrow_mut().path.pop();
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_documents() {
        let v = parse_strict(br#" {"a": [1, -2, 3.5, "x", null, true], "b": {}} "#).unwrap();
        assert_eq!(v["a"][3], "x");
        assert_eq!(v["a"][1], -2);
    }

    #[test]
    fn duplicate_keys_are_named_with_their_path() {
        let e = parse_strict(br#"{"subject":[],"subject":[]}"#).unwrap_err();
        assert_eq!(
            e,
            ModelError::DuplicateKey {
                key: "subject".into(),
                path: "$".into()
            }
        );
        let e = parse_strict(br#"{"predicate":{"subject":1,"subject":2}}"#).unwrap_err();
        assert_eq!(e.to_string(), r#"duplicate key "subject" at $.predicate"#);
        let e = parse_strict(br#"{"a":[{"x":1},{"y":1,"y":1}]}"#).unwrap_err();
        assert_eq!(e.to_string(), r#"duplicate key "y" at $.a[1]"#);
        let e = parse_strict(br#"{"a b":{"k":1,"k":1}}"#).unwrap_err();
        assert_eq!(e.to_string(), r#"duplicate key "k" at $["a b"]"#);
        // Escapes are decoded before comparison.
        let e = parse_strict(br#"{"a":1,"\u0061":2}"#).unwrap_err();
        assert!(matches!(e, ModelError::DuplicateKey { ref key, .. } if key == "a"));
    }

    #[test]
    fn rejects_trailing_data_and_bad_utf8() {
        assert!(matches!(
            parse_strict(br#"{"a":1} x"#),
            Err(ModelError::Syntax { .. })
        ));
        assert!(matches!(
            parse_strict(br#"{"a":1}{"a":1}"#),
            Err(ModelError::Syntax { .. })
        ));
        assert_eq!(
            parse_strict(b"{\"a\":\"\xff\"}"),
            Err(ModelError::InvalidUtf8 { offset: 6 })
        );
        assert!(matches!(parse_strict(b""), Err(ModelError::Syntax { .. })));
        assert!(matches!(
            parse_strict(br#""\ud800""#),
            Err(ModelError::Syntax { .. })
        ));
        assert!(matches!(
            parse_strict("\u{feff}{}".as_bytes()),
            Err(ModelError::Syntax { .. })
        ));
    }

    #[test]
    fn nesting_limit() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(parse_strict(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(matches!(
            parse_strict(deep.as_bytes()),
            Err(ModelError::TooDeep {
                limit: MAX_DEPTH,
                ..
            })
        ));
        let deep_obj = format!("{}1{}", r#"{"a":"#.repeat(5000), "}".repeat(5000));
        assert!(matches!(
            parse_strict(deep_obj.as_bytes()),
            Err(ModelError::TooDeep { .. })
        ));
    }

    #[test]
    fn canonicalize_rejects_inexact_integers() {
        let v = parse_strict(br#"{"a":[9007199254740993]}"#).unwrap();
        let e = canonicalize(&v).unwrap_err();
        assert!(
            matches!(e, ModelError::Canonicalize { ref path, .. } if path == "$.a[0]"),
            "{e}"
        );
        let v = parse_strict(b"9007199254740992").unwrap();
        assert_eq!(canonicalize(&v).unwrap(), b"9007199254740992");
    }
}
