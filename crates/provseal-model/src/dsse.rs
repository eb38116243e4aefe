//! DSSE v1.0 envelopes and the pre-authentication encoding (PAE).
//!
//! No signing or verification here (that is `provseal-crypto`): this module reads and writes the
//! envelope and computes the exact bytes a signature covers.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::statement::kind;
use crate::ModelError;

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII
/// decimal bytes: the bytes a DSSE signature covers.
///
/// ```
/// assert_eq!(
///     provseal_model::dsse::pae("http://example.com/HelloWorld", b"hello world"),
///     b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
/// );
/// ```
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let t = payload_type.as_bytes();
    let mut out = Vec::with_capacity(32 + t.len() + payload.len());
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(t.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(t);
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// One signature of an envelope.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Signature {
    /// Unauthenticated hint for which key made the signature (never a security decision).
    /// An empty string on input is read as `None`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "empty_as_none"
    )]
    pub keyid: Option<String>,
    /// The signature bytes (base64 in JSON).
    #[serde(with = "crate::b64::bytes")]
    pub sig: Vec<u8>,
}

object_only!(Signature, "DSSE signature");

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signature")
            .field("keyid", &self.keyid)
            .field("sig", &crate::b64::encode(&self.sig))
            .finish()
    }
}

fn empty_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// A DSSE envelope: a payload, its type, and signatures over [`pae`] of the two.
///
/// ```
/// use provseal_model::dsse::Envelope;
/// let env = Envelope::from_json(br#"{"payload":"aGVsbG8gd29ybGQ","payloadType":"t",
///     "signatures":[{"keyid":"k","sig":"AQI-"}]}"#).unwrap();
/// assert_eq!(env.payload, b"hello world");
/// assert_eq!(env.signatures[0].sig, [1, 2, 0x3e]);
/// assert_eq!(env.to_json(),
///     r#"{"payload":"aGVsbG8gd29ybGQ=","payloadType":"t","signatures":[{"keyid":"k","sig":"AQI+"}]}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Envelope {
    /// The serialized body, exactly as signed.
    #[serde(with = "crate::b64::bytes")]
    pub payload: Vec<u8>,
    /// The payload's media type (`application/vnd.in-toto+json` for statements).
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Signatures over `PAE(payloadType, payload)` (may be empty when read).
    pub signatures: Vec<Signature>,
}

object_only!(Envelope, "DSSE envelope");

const WHAT: &str = "DSSE envelope";

/// Most signatures one envelope may carry: more is refused with the count named, before any
/// signature is decoded or tried against a key (600,000 copies of one signature would otherwise
/// cost one verification each, per key).
pub const MAX_SIGNATURES: usize = 16;

impl Envelope {
    /// An envelope with no signature yet.
    pub fn new(payload_type: impl Into<String>, payload: Vec<u8>) -> Self {
        Self {
            payload,
            payload_type: payload_type.into(),
            signatures: Vec::new(),
        }
    }

    /// The bytes every signature of this envelope covers.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Parses an envelope strictly (duplicate keys, trailing data, bad UTF-8 rejected).
    ///
    /// `payload`, `payloadType` and `signatures` are required (`signatures` may be empty);
    /// base64 may be standard or URL-safe, padded or not; unknown fields are ignored. Errors name
    /// the field (`$.signatures[0].sig`).
    pub fn from_json(bytes: &[u8]) -> Result<Self, ModelError> {
        crate::json::check_strict(bytes)?;
        // A typed pass over the checked bytes: the signatures array is counted, not built, past
        // MAX_SIGNATURES; unknown fields are skipped without building them.
        let top: Top = serde_json::from_slice(bytes).map_err(|e| ModelError::Schema {
            what: WHAT,
            path: "$".into(),
            message: e.to_string(),
        })?;
        match top {
            Top::Object {
                payload,
                payload_type,
                signatures,
            } => Self::from_parts(payload.as_ref(), payload_type.as_ref(), signatures),
            Top::Other(kind) => Err(ModelError::Schema {
                what: WHAT,
                path: "$".into(),
                message: format!("expected an object, found {kind}"),
            }),
        }
    }

    /// Reads an envelope from an already strictly parsed value (e.g. a Sigstore bundle's
    /// `dsseEnvelope`); `path` in errors is relative to that value.
    pub fn from_value(value: &Value) -> Result<Self, ModelError> {
        let obj = as_object(value, "$")?;
        let signatures = match obj.get("signatures") {
            None | Some(Value::Null) => Sigs::Absent,
            Some(Value::Array(items)) => Sigs::Items {
                first: items.iter().take(MAX_SIGNATURES + 1).cloned().collect(),
                count: items.len(),
            },
            Some(other) => Sigs::Other(kind(other)),
        };
        Self::from_parts(obj.get("payload"), obj.get("payloadType"), signatures)
    }

    fn from_parts(
        payload: Option<&Value>,
        payload_type: Option<&Value>,
        signatures: Sigs,
    ) -> Result<Self, ModelError> {
        let payload = b64_field(payload, "$", "payload")?;
        let payload_type = str_field(payload_type, "$", "payloadType")?.to_string();
        let sigs = match signatures {
            Sigs::Absent => {
                return Err(ModelError::MissingField {
                    path: "$.signatures".into(),
                })
            }
            Sigs::Other(found) => {
                return Err(ModelError::Schema {
                    what: WHAT,
                    path: "$.signatures".into(),
                    message: format!("expected an array, found {found}"),
                })
            }
            Sigs::Items { count, .. } if count > MAX_SIGNATURES => {
                return Err(ModelError::TooManySignatures {
                    count,
                    limit: MAX_SIGNATURES,
                })
            }
            Sigs::Items { first, .. } => first,
        };
        let mut signatures = Vec::with_capacity(sigs.len());
        for (i, s) in sigs.iter().enumerate() {
            let path = format!("$.signatures[{i}]");
            let obj = as_object(s, &path)?;
            let sig = b64_field(obj.get("sig"), &path, "sig")?;
            let keyid = match obj.get("keyid") {
                None | Some(Value::Null) => None,
                Some(Value::String(k)) if k.is_empty() => None,
                Some(Value::String(k)) => Some(k.clone()),
                Some(other) => return Err(wrong_type(&format!("{path}.keyid"), "a string", other)),
            };
            signatures.push(Signature { keyid, sig });
        }
        Ok(Self {
            payload,
            payload_type,
            signatures,
        })
    }

    /// The envelope as a JSON value (standard padded base64; `keyid` omitted when unset).
    pub fn to_value(&self) -> Value {
        let sigs = self
            .signatures
            .iter()
            .map(|s| {
                let mut m = Map::new();
                if let Some(k) = &s.keyid {
                    m.insert("keyid".into(), Value::String(k.clone()));
                }
                m.insert("sig".into(), Value::String(crate::b64::encode(&s.sig)));
                Value::Object(m)
            })
            .collect();
        let mut m = Map::new();
        m.insert(
            "payload".into(),
            Value::String(crate::b64::encode(&self.payload)),
        );
        m.insert(
            "payloadType".into(),
            Value::String(self.payload_type.clone()),
        );
        m.insert("signatures".into(), Value::Array(sigs));
        Value::Object(m)
    }

    /// Compact one-line JSON with standard padded base64 and no trailing newline (one line of an
    /// `.intoto.jsonl` file).
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }
}

fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ModelError> {
    v.as_object()
        .ok_or_else(|| wrong_type(path, "an object", v))
}

fn wrong_type(path: &str, expected: &str, found: &Value) -> ModelError {
    ModelError::Schema {
        what: WHAT,
        path: path.to_string(),
        message: format!("expected {expected}, found {}", kind(found)),
    }
}

fn str_field<'a>(value: Option<&'a Value>, path: &str, name: &str) -> Result<&'a str, ModelError> {
    match value {
        None | Some(Value::Null) => Err(ModelError::MissingField {
            path: format!("{path}.{name}"),
        }),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(wrong_type(&format!("{path}.{name}"), "a string", other)),
    }
}

fn b64_field(value: Option<&Value>, path: &str, name: &str) -> Result<Vec<u8>, ModelError> {
    let text = str_field(value, path, name)?;
    crate::b64::decode(text).map_err(|source| ModelError::Base64 {
        path: format!("{path}.{name}"),
        source,
    })
}

/// An envelope's `signatures` as read: at most `MAX_SIGNATURES + 1` items are kept, all are
/// counted.
enum Sigs {
    Absent,
    Other(&'static str),
    Items { first: Vec<Value>, count: usize },
}

/// The top level of an envelope document, read in one typed pass.
enum Top {
    Object {
        payload: Option<Value>,
        payload_type: Option<Value>,
        signatures: Sigs,
    },
    /// Not an object: the JSON kind found.
    Other(&'static str),
}

/// Names the JSON kind of a value being skipped (for "expected …, found …").
macro_rules! kind_visitor {
    ($out:ty, $wrap:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$out, E> {
            Ok($wrap("a boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$out, E> {
            Ok($wrap("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$out, E> {
            Ok($wrap("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$out, E> {
            Ok($wrap("a number"))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$out, E> {
            Ok($wrap("a string"))
        }
    };
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Top;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a DSSE envelope")
            }
            kind_visitor!(Top, Top::Other);
            fn visit_unit<E: de::Error>(self) -> Result<Top, E> {
                Ok(Top::Other("null"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Top::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
                let (mut payload, mut payload_type, mut signatures) = (None, None, Sigs::Absent);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "payload" => payload = Some(map.next_value()?),
                        "payloadType" => payload_type = Some(map.next_value()?),
                        "signatures" => signatures = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Top::Object {
                    payload,
                    payload_type,
                    signatures,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Sigs {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Sigs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of signatures")
            }
            kind_visitor!(Sigs, Sigs::Other);
            fn visit_unit<E: de::Error>(self) -> Result<Sigs, E> {
                Ok(Sigs::Absent)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Sigs, A::Error> {
                IgnoredAny.visit_map(map)?;
                Ok(Sigs::Other("an object"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sigs, A::Error> {
                let mut first = Vec::new();
                let mut count = 0usize;
                while count <= MAX_SIGNATURES {
                    match seq.next_element::<Value>()? {
                        Some(v) => first.push(v),
                        None => return Ok(Sigs::Items { first, count }),
                    }
                    count += 1;
                }
                // Over the limit: count the rest without keeping them.
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    count += 1;
                }
                Ok(Sigs::Items { first, count })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_edge_cases() {
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
        assert_eq!(
            pae("a\u{e9}b", &[0, 0xff]),
            b"DSSEv1 4 a\xc3\xa9b 2 \x00\xff"
        );
    }

    #[test]
    fn missing_and_bad_fields_are_named() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"payloadType":"t","signatures":[]}"#,
                "missing required field $.payload",
            ),
            (
                r#"{"payload":"","signatures":[]}"#,
                "missing required field $.payloadType",
            ),
            (
                r#"{"payload":"","payloadType":"t"}"#,
                "missing required field $.signatures",
            ),
            (
                r#"{"payload":"","payloadType":"t","signatures":[{}]}"#,
                "missing required field $.signatures[0].sig",
            ),
            (
                r#"{"payload":"@@","payloadType":"t","signatures":[]}"#,
                "invalid base64 in $.payload: Invalid symbol 64, offset 0.",
            ),
            (
                r#"{"payload":"","payloadType":1,"signatures":[]}"#,
                "invalid DSSE envelope at $.payloadType: expected a string, found a number",
            ),
            (
                r#"{"payload":"","payloadType":"t","signatures":[{"sig":"","keyid":5}]}"#,
                "invalid DSSE envelope at $.signatures[0].keyid: expected a string, found a number",
            ),
            (
                r#"{"payload":"","payloadType":"t","payloadType":"u","signatures":[]}"#,
                r#"duplicate key "payloadType" at $"#,
            ),
        ];
        for (input, want) in cases {
            let e = Envelope::from_json(input.as_bytes()).unwrap_err();
            assert_eq!(crate::one_line(&e), *want, "{input}");
        }
    }

    /// Issue 14: at most 16 signatures; more is refused with the count named, from bytes and
    /// from an already parsed value (a Sigstore bundle's `dsseEnvelope`).
    #[test]
    fn issue_14_signature_count_limit() {
        let doc = |n: usize| {
            let sigs = vec![r#"{"keyid":"k","sig":"AQID"}"#; n].join(",");
            format!(r#"{{"payload":"","payloadType":"t","signatures":[{sigs}]}}"#)
        };
        let ok = Envelope::from_json(doc(MAX_SIGNATURES).as_bytes()).unwrap();
        assert_eq!(ok.signatures.len(), MAX_SIGNATURES);
        for n in [MAX_SIGNATURES + 1, 600] {
            let want = ModelError::TooManySignatures {
                count: n,
                limit: MAX_SIGNATURES,
            };
            assert_eq!(Envelope::from_json(doc(n).as_bytes()), Err(want.clone()));
            let value = crate::json::parse_strict(doc(n).as_bytes()).unwrap();
            assert_eq!(Envelope::from_value(&value), Err(want.clone()));
            assert_eq!(
                want.to_string(),
                format!("DSSE envelope has {n} signatures, more than the limit of 16")
            );
        }
        // Items that are not even signatures are counted too, never built past the limit.
        let zeros = format!(
            r#"{{"payload":"","payloadType":"t","signatures":[{}0]}}"#,
            "0,".repeat(100_000)
        );
        assert_eq!(
            Envelope::from_json(zeros.as_bytes()),
            Err(ModelError::TooManySignatures {
                count: 100_001,
                limit: MAX_SIGNATURES
            })
        );
    }

    #[test]
    fn non_object_documents_are_named() {
        for (doc, kind) in [("[1]", "an array"), ("3", "a number"), ("null", "null")] {
            assert_eq!(
                Envelope::from_json(doc.as_bytes()).unwrap_err().to_string(),
                format!("invalid DSSE envelope at $: expected an object, found {kind}")
            );
        }
        let e = Envelope::from_json(br#"{"payload":"","payloadType":"t","signatures":{}}"#);
        assert_eq!(
            e.unwrap_err().to_string(),
            "invalid DSSE envelope at $.signatures: expected an array, found an object"
        );
    }

    #[test]
    fn serde_matches_to_json() {
        let env = Envelope {
            payload: b"{}".to_vec(),
            payload_type: crate::IN_TOTO_PAYLOAD_TYPE.into(),
            signatures: vec![Signature {
                keyid: None,
                sig: vec![1, 2, 3],
            }],
        };
        assert_eq!(serde_json::to_string(&env).unwrap(), env.to_json());
        let back: Envelope = serde_json::from_str(&env.to_json()).unwrap();
        assert_eq!(back, env);
        assert_eq!(Envelope::from_json(env.to_json().as_bytes()).unwrap(), env);
    }
}
