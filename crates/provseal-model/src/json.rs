//! Strict JSON parsing and RFC 8785 canonical JSON.
//!
//! [`parse_strict`] is the only way outside JSON enters the data model: it rejects what
//! `serde_json` would silently accept (a repeated key keeps its last value there), so that two
//! readers of the same signed bytes can never see two different documents.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::excerpt;
use crate::{CanonicalizeError, Cause, ModelError};

mod sorted;
pub use sorted::SortedJson;

/// Nesting limit: a document whose arrays and objects nest this deep (or deeper) is rejected.
///
/// This is also `serde_json`'s fixed recursion limit; the outermost container is level 1, so at
/// most `MAX_DEPTH - 1` levels are accepted.
pub const MAX_DEPTH: usize = 128;

/// Most items any one JSON array may hold: an array with more is rejected while it is read,
/// before it can cost memory (a 60 MB `[0,0,…]` would otherwise become 2 GB of values).
///
/// This is the count limit of every array of outside input: subjects, resolved dependencies
/// (materials), byproducts, anything. DSSE signatures have their own, much smaller limit
/// ([`crate::dsse::MAX_SIGNATURES`]). `docs/limits.md` lists every limit.
pub const MAX_ARRAY_ITEMS: usize = 1 << 20;

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

/// Checks that `bytes` is one strictly valid JSON value (the rules of [`parse_strict`]) without
/// building it: for callers that then deserialize the same bytes into a typed value.
pub fn check_strict(bytes: &[u8]) -> Result<(), ModelError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ModelError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    let state = RefCell::new(State::default());
    let mut de = serde_json::Deserializer::from_str(text);
    CheckSeed {
        state: &state,
        depth: 0,
    }
    .deserialize(&mut de)
    .map_err(|e| map_error(&state, &e))?;
    de.end().map_err(|e| map_error(&state, &e))
}

/// Strictly checks `bytes` ([`check_strict`]) and deserializes them as a `T` in one typed pass;
/// a type error names the JSON path below `root`.
pub(crate) fn typed_strict<T: DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
    root: &str,
) -> Result<T, ModelError> {
    check_strict(bytes)?;
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        // Only on failure: a second, path-tracking pass names the place.
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => Err(schema_error(e, what, root)),
                Ok(_) => Err(ModelError::Schema {
                    what,
                    path: root.to_string(),
                    message: "inconsistent deserialization".to_string(),
                }),
            }
        }
    }
}

fn schema_error(
    e: serde_path_to_error::Error<serde_json::Error>,
    what: &'static str,
    root: &str,
) -> ModelError {
    let rel = e.path().to_string();
    let path = if rel == "." || rel.is_empty() {
        root.to_string()
    } else if rel.starts_with('[') {
        format!("{root}{rel}")
    } else {
        format!("{root}.{rel}")
    };
    let inner = e.into_inner();
    let full = inner.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) if inner.line() > 0 => full.get(..i).unwrap_or(&full).to_string(),
        _ => full,
    };
    ModelError::Schema {
        what,
        path,
        message,
    }
}

/// Parses `bytes` strictly (see [`parse_strict`]) and then reads it as a `T`.
///
/// Unknown fields are handled as `T`'s `Deserialize` implementation says (ignored by default).
pub fn from_slice_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ModelError> {
    typed_strict(bytes, "JSON document", "$")
}

/// Reads an already parsed value as a `T`, naming `what` and the path below `root` of the
/// offending value in the error (`invalid statement at $.subject[0].name: invalid type: …`).
pub(crate) fn from_value_at<T: DeserializeOwned>(
    value: Value,
    what: &'static str,
    root: &str,
) -> Result<T, ModelError> {
    serde_path_to_error::deserialize(value).map_err(|e| schema_error(e, what, root))
}

/// [`from_value_at`] without copying `value`: one pass that borrows it and tracks no path. Only
/// when that pass fails, [`from_value_at`] runs on a copy, so the error (and its path) is the one
/// [`from_value_at`] gives.
pub(crate) fn from_value_ref_at<T: DeserializeOwned>(
    value: &Value,
    what: &'static str,
    root: &str,
) -> Result<T, ModelError> {
    match T::deserialize(value) {
        Ok(v) => Ok(v),
        Err(_) => from_value_at(value.clone(), what, root),
    }
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
        source: CanonicalizeError::Writer(Cause::new(e)),
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
        source: CanonicalizeError::Writer(Cause::new(e)),
    })?;
    String::from_utf8(bytes).map_err(|e| ModelError::Canonicalize {
        path: "$".to_string(),
        source: e.into(),
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
            source: CanonicalizeError::InexactInteger {
                value: n.to_string(),
            },
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
    /// The typed problem behind the last custom error, if we raised it.
    problem: Option<Problem>,
}

/// One step of a JSON path, recorded only while an error unwinds (nothing is allocated for paths
/// on the success path).
enum Seg {
    Key(String),
    Index(usize),
}

enum Problem {
    /// `rev_path` holds the path of the offending object, innermost step first.
    Duplicate {
        key: String,
        rev_path: Vec<Seg>,
    },
    TooDeep,
    /// An array longer than [`MAX_ARRAY_ITEMS`]; `rev_path` holds the array's path.
    TooMany {
        rev_path: Vec<Seg>,
    },
}

impl State {
    /// Adds one step to the path of a duplicate-key problem as the error leaves a container.
    fn unwind(&mut self, seg: Seg) {
        match &mut self.problem {
            Some(Problem::Duplicate { rev_path, .. } | Problem::TooMany { rev_path }) => {
                rev_path.push(seg)
            }
            Some(Problem::TooDeep) | None => {}
        }
    }

    /// Records an over-long array and returns the error that unwinds the parser.
    fn too_many<E: de::Error>(&mut self) -> E {
        self.problem = Some(Problem::TooMany {
            rev_path: Vec::new(),
        });
        E::custom("array too long")
    }
}

fn render_path(rev_path: &[Seg]) -> String {
    let mut s = String::from("$");
    for seg in rev_path.iter().rev() {
        match seg {
            Seg::Key(k) => push_key(&mut s, k),
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn map_error(state: &RefCell<State>, e: &serde_json::Error) -> ModelError {
    let problem = state.borrow_mut().problem.take();
    match problem {
        Some(Problem::Duplicate { key, rev_path }) => ModelError::DuplicateKey {
            key,
            path: render_path(&rev_path),
        },
        Some(Problem::TooMany { rev_path }) => ModelError::TooManyItems {
            path: render_path(&rev_path),
            limit: MAX_ARRAY_ITEMS,
        },
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
            let next = seq.next_element_seed(StrictSeed {
                state: self.state,
                depth,
            });
            match next {
                Ok(Some(v)) => {
                    if items.len() == MAX_ARRAY_ITEMS {
                        return Err(self.state.borrow_mut().too_many());
                    }
                    items.push(v)
                }
                Ok(None) => break,
                Err(e) => {
                    self.state.borrow_mut().unwind(Seg::Index(items.len()));
                    return Err(e);
                }
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let depth = self.enter()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                let msg = format!("duplicate key {key:?}");
                self.state.borrow_mut().problem = Some(Problem::Duplicate {
                    key,
                    rev_path: Vec::new(),
                });
                return Err(de::Error::custom(msg));
            }
            match access.next_value_seed(StrictSeed {
                state: self.state,
                depth,
            }) {
                Ok(value) => {
                    map.insert(key, value);
                }
                Err(e) => {
                    self.state.borrow_mut().unwind(Seg::Key(key));
                    return Err(e);
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// Reads an object key, borrowing it from the input when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

/// Objects with more keys than this are checked for duplicates with a hash set.
const LINEAR_KEYS: usize = 16;

/// The checking twin of [`StrictSeed`]: same rules, builds nothing.
struct CheckSeed<'s> {
    state: &'s RefCell<State>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for CheckSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CheckSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(E::custom("number is not finite"))
        }
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = (StrictSeed {
            state: self.state,
            depth: self.depth,
        })
        .enter()?;
        let mut i = 0usize;
        loop {
            match seq.next_element_seed(CheckSeed {
                state: self.state,
                depth,
            }) {
                Ok(Some(())) => {
                    if i == MAX_ARRAY_ITEMS {
                        return Err(self.state.borrow_mut().too_many());
                    }
                    i += 1
                }
                Ok(None) => return Ok(()),
                Err(e) => {
                    self.state.borrow_mut().unwind(Seg::Index(i));
                    return Err(e);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let depth = (StrictSeed {
            state: self.state,
            depth: self.depth,
        })
        .enter()?;
        let mut few: Vec<Cow<'de, str>> = Vec::new();
        let mut many: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(key) = access.next_key_seed(KeySeed)? {
            let seen = if many.is_empty() {
                few.contains(&key)
            } else {
                many.contains(&key)
            };
            if seen {
                let key = key.into_owned();
                let msg = format!("duplicate key {key:?}");
                self.state.borrow_mut().problem = Some(Problem::Duplicate {
                    key,
                    rev_path: Vec::new(),
                });
                return Err(de::Error::custom(msg));
            }
            if let Err(e) = access.next_value_seed(CheckSeed {
                state: self.state,
                depth,
            }) {
                self.state.borrow_mut().unwind(Seg::Key(key.into_owned()));
                return Err(e);
            }
            if many.is_empty() && few.len() < LINEAR_KEYS {
                few.push(key);
            } else {
                many.extend(few.drain(..));
                many.insert(key);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14: an array longer than MAX_ARRAY_ITEMS is refused while it is read, by both the
    /// building and the checking parser, with its path named.
    #[test]
    fn issue_14_array_count_limit() {
        let doc = |n: usize| format!(r#"{{"a":[{{"b":[{}0]}}]}}"#, "0,".repeat(n - 1));
        assert!(parse_strict(doc(MAX_ARRAY_ITEMS).as_bytes()).is_ok());
        assert!(check_strict(doc(MAX_ARRAY_ITEMS).as_bytes()).is_ok());
        let want = ModelError::TooManyItems {
            path: "$.a[0].b".into(),
            limit: MAX_ARRAY_ITEMS,
        };
        assert_eq!(
            parse_strict(doc(MAX_ARRAY_ITEMS + 1).as_bytes()),
            Err(want.clone())
        );
        assert_eq!(check_strict(doc(MAX_ARRAY_ITEMS + 1).as_bytes()), Err(want));
    }

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
    fn check_strict_agrees_with_parse_strict() {
        let many: String = (0..40).map(|i| format!(r#""k{i}":{i},"#)).collect();
        let inputs: Vec<Vec<u8>> = vec![
            br#"{"a":1,"b":[true,null,{"c":"d"}]}"#.to_vec(),
            br#"{"a":{"b":1,"b":2}}"#.to_vec(),
            br#"{"a":[{"x":1},{"y":1,"y":1}]}"#.to_vec(),
            br#"{"a\u0062":1,"ab":2}"#.to_vec(),
            format!("{{{many}\"k7\":0}}").into_bytes(),
            format!("{{{many}\"z\":0}}").into_bytes(),
            b"[1,2".to_vec(),
            b"{} []".to_vec(),
            b"\xff".to_vec(),
            format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH)).into_bytes(),
        ];
        for input in inputs {
            assert_eq!(
                check_strict(&input),
                parse_strict(&input).map(|_| ()),
                "{}",
                String::from_utf8_lossy(&input)
            );
        }
        let e = check_strict(format!("{{{many}\"k7\":0}}").as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), r#"duplicate key "k7" at $"#);
        let e = check_strict(br#"{"a":[{"x":1},{"y":1,"y":1}]}"#).unwrap_err();
        assert_eq!(e.to_string(), r#"duplicate key "y" at $.a[1]"#);
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
