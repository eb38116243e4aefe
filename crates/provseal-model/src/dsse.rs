//! DSSE v1.0 envelopes and the pre-authentication encoding (PAE).
//!
//! No signing or verification here (that is `provseal-crypto`): this module reads and writes the
//! envelope and computes the exact bytes a signature covers.

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
        Self::from_value(&crate::json::parse_strict(bytes)?)
    }

    /// Reads an envelope from an already strictly parsed value (e.g. a Sigstore bundle's
    /// `dsseEnvelope`); `path` in errors is relative to that value.
    pub fn from_value(value: &Value) -> Result<Self, ModelError> {
        let obj = as_object(value, "$")?;
        let payload = b64_field(obj, "$", "payload")?;
        let payload_type = str_field(obj, "$", "payloadType")?.to_string();
        let sigs = match obj.get("signatures") {
            None | Some(Value::Null) => {
                return Err(ModelError::MissingField {
                    path: "$.signatures".into(),
                })
            }
            Some(Value::Array(items)) => items,
            Some(other) => return Err(wrong_type("$.signatures", "an array", other)),
        };
        let mut signatures = Vec::with_capacity(sigs.len());
        for (i, s) in sigs.iter().enumerate() {
            let path = format!("$.signatures[{i}]");
            let obj = as_object(s, &path)?;
            let sig = b64_field(obj, &path, "sig")?;
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

fn str_field<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    name: &str,
) -> Result<&'a str, ModelError> {
    match obj.get(name) {
        None | Some(Value::Null) => Err(ModelError::MissingField {
            path: format!("{path}.{name}"),
        }),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(wrong_type(&format!("{path}.{name}"), "a string", other)),
    }
}

fn b64_field(obj: &Map<String, Value>, path: &str, name: &str) -> Result<Vec<u8>, ModelError> {
    let text = str_field(obj, path, name)?;
    crate::b64::decode(text).map_err(|reason| ModelError::Base64 {
        path: format!("{path}.{name}"),
        reason,
    })
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
            assert_eq!(e.to_string(), *want, "{input}");
        }
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
