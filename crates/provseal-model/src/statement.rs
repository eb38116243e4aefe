//! The in-toto Statement (v1, and v0.1 read-only).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::descriptor::null_as_default;
use crate::{ModelError, ResourceDescriptor, STATEMENT_V01, STATEMENT_V1};

/// An in-toto Statement: which artifacts (`subject`) a typed claim (`predicate`) is about.
///
/// ```
/// use provseal_model::{Statement, STATEMENT_V1};
/// let bytes = format!(
///     r#"{{"_type":"{STATEMENT_V1}","subject":[{{"name":"a","digest":{{"sha256":"{}"}}}}],
///         "predicateType":"https://example.com/p/v1","predicate":{{}}}}"#,
///     "ab".repeat(32)
/// );
/// let st = Statement::parse(bytes.as_bytes()).unwrap();
/// assert_eq!(st.subject[0].name(), Some("a"));
/// let again = Statement::parse(&st.to_json_vec().unwrap()).unwrap();
/// assert_eq!(again, st);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Statement {
    /// `_type`: [`STATEMENT_V1`] (or [`STATEMENT_V01`] on input).
    #[serde(rename = "_type", default, deserialize_with = "null_as_default")]
    pub type_: String,
    /// The artifacts the statement is about; each has a digest.
    #[serde(default, deserialize_with = "null_as_default")]
    pub subject: Vec<ResourceDescriptor>,
    /// `predicateType`: the URI of the predicate schema.
    #[serde(
        rename = "predicateType",
        default,
        deserialize_with = "null_as_default"
    )]
    pub predicate_type: String,
    /// The predicate (a JSON object), as parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<Value>,
}

object_only!(Statement, "in-toto statement");

impl Statement {
    /// A v1 statement.
    pub fn new(
        subject: Vec<ResourceDescriptor>,
        predicate_type: impl Into<String>,
        predicate: Value,
    ) -> Self {
        Self {
            type_: STATEMENT_V1.to_string(),
            subject,
            predicate_type: predicate_type.into(),
            predicate: Some(predicate),
        }
    }

    /// Parses strictly ([`crate::json::parse_strict`]: duplicate keys, trailing data, bad UTF-8
    /// rejected) and validates ([`Statement::validate`]). Unknown fields are ignored.
    pub fn parse(bytes: &[u8]) -> Result<Self, ModelError> {
        let st: Self = crate::json::typed_strict(bytes, "statement", "$")?;
        st.validate()?;
        Ok(st)
    }

    /// Reads an already strictly parsed value and validates it.
    pub fn from_value(value: Value) -> Result<Self, ModelError> {
        if !value.is_object() {
            return Err(ModelError::Schema {
                what: "statement",
                path: "$".into(),
                message: format!("expected a JSON object, found {}", kind(&value)),
            });
        }
        let st: Self = crate::json::from_value_at(value, "statement", "$")?;
        st.validate()?;
        Ok(st)
    }

    /// Validates with the semantics of the in-toto Go reference (`Statement.Validate`):
    /// `_type` is v1 or v0.1; at least one subject; each subject is a valid
    /// [`ResourceDescriptor`] with a digest; `predicateType` set; `predicate` an object.
    /// For v0.1, each subject also needs a non-empty `name`.
    pub fn validate(&self) -> Result<(), ModelError> {
        let v01 = match self.type_.as_str() {
            STATEMENT_V1 => false,
            STATEMENT_V01 => true,
            other => {
                return Err(ModelError::UnsupportedStatementType {
                    actual: crate::error::excerpt(other),
                })
            }
        };
        if self.subject.is_empty() {
            return Err(ModelError::NoSubject);
        }
        for (i, rd) in self.subject.iter().enumerate() {
            let path = || format!("$.subject[{i}]");
            rd.validate_lazy(path)?;
            if rd.digest.is_empty() {
                return Err(ModelError::MissingField {
                    path: format!("{}.digest", path()),
                });
            }
            if v01 && rd.name().is_none() {
                return Err(ModelError::MissingField {
                    path: format!("{}.name", path()),
                });
            }
        }
        if self.predicate_type.is_empty() {
            return Err(ModelError::MissingField {
                path: "$.predicateType".into(),
            });
        }
        match &self.predicate {
            None | Some(Value::Null) => Err(ModelError::MissingField {
                path: "$.predicate".into(),
            }),
            Some(Value::Object(_)) => Ok(()),
            Some(other) => Err(ModelError::Schema {
                what: "statement",
                path: "$.predicate".into(),
                message: format!("expected a JSON object, found {}", kind(other)),
            }),
        }
    }

    /// Whether `_type` is Statement v1.
    pub fn is_v1(&self) -> bool {
        self.type_ == STATEMENT_V1
    }

    /// Serializes as compact JSON (`_type`, `subject`, `predicateType`, `predicate`), the bytes to
    /// put in a DSSE payload. A v0.1 statement is written with its own `_type`; use
    /// [`Statement::new`] to build v1.
    pub fn to_json_vec(&self) -> Result<Vec<u8>, ModelError> {
        serde_json::to_vec(self).map_err(|e| ModelError::Serialize {
            what: "statement",
            source: crate::Cause::new(e),
        })
    }
}

/// The JSON kind of a value, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "a1234567b1234567c1234567d1234567e1234567f1234567a1234567b1234567";

    fn doc(type_: &str, subject: &str, extra: &str) -> String {
        format!(r#"{{"_type":"{type_}","subject":{subject},"predicateType":"p"{extra}}}"#)
    }

    #[test]
    fn v01_needs_subject_names() {
        let s = doc(
            STATEMENT_V01,
            &format!(r#"[{{"digest":{{"sha256":"{H}"}}}}]"#),
            r#","predicate":{}"#,
        );
        assert_eq!(
            Statement::parse(s.as_bytes()),
            Err(ModelError::MissingField {
                path: "$.subject[0].name".into()
            })
        );
        let s = doc(
            STATEMENT_V1,
            &format!(r#"[{{"digest":{{"sha256":"{H}"}}}}]"#),
            r#","predicate":{}"#,
        );
        assert!(Statement::parse(s.as_bytes()).is_ok());
    }

    #[test]
    fn errors_name_the_place() {
        let s = doc(
            STATEMENT_V1,
            r#"[{"name":"a","digest":{"sha256":"zz"}}]"#,
            r#","predicate":{}"#,
        );
        assert_eq!(
            Statement::parse(s.as_bytes()).unwrap_err().to_string(),
            r#"digest sha256 at $.subject[0].digest is not valid hex: "zz""#
        );
        let s = doc(
            STATEMENT_V1,
            r#"[{"name":"a","digest":{"x":"1"}}]"#,
            r#","predicate":[]"#,
        );
        assert!(matches!(
            Statement::parse(s.as_bytes()),
            Err(ModelError::Schema { ref path, .. }) if path == "$.predicate"
        ));
        assert!(matches!(
            Statement::parse(b"[]"),
            Err(ModelError::Schema { .. })
        ));
        // serde's derive would read a struct from an array of its fields; we do not.
        let arr =
            format!(r#"["{STATEMENT_V1}",[{{"name":"a","digest":{{"sha256":"{H}"}}}}],"p",{{}}]"#);
        assert_eq!(
            Statement::parse(arr.as_bytes()).unwrap_err().to_string(),
            "invalid statement at $: invalid type: sequence, expected a JSON object (in-toto statement)"
        );
        let s = doc(
            STATEMENT_V1,
            &format!(r#"[["a",null,{{"sha256":"{H}"}}]]"#),
            r#","predicate":{}"#,
        );
        assert!(matches!(
            Statement::parse(s.as_bytes()),
            Err(ModelError::Schema { ref path, .. }) if path == "$.subject[0]"
        ));
        let s = doc(
            STATEMENT_V1,
            r#"[{"name":"a","digest":{"sha256":5}}]"#,
            r#","predicate":{}"#,
        );
        assert_eq!(
            Statement::parse(s.as_bytes()).unwrap_err().to_string(),
            "invalid statement at $.subject[0].digest.sha256: invalid type: integer `5`, expected a string"
        );
        let s = doc(STATEMENT_V1, r#"{"name":"a"}"#, r#","predicate":{}"#);
        assert!(matches!(
            Statement::parse(s.as_bytes()),
            Err(ModelError::Schema { ref path, .. }) if path == "$.subject"
        ));
        let s = doc(
            STATEMENT_V1,
            r#"[{"name":"a","digest":{"x":"1"}}]"#,
            r#","predicate":{"a":1,"a":2}"#,
        );
        assert_eq!(
            Statement::parse(s.as_bytes()).unwrap_err().to_string(),
            r#"duplicate key "a" at $.predicate"#
        );
    }

    #[test]
    fn output_is_compact_v1() {
        let st = Statement::new(
            vec![ResourceDescriptor::named(
                "a",
                [("sha256", H)].into_iter().collect(),
            )],
            "p",
            serde_json::json!({"k": 1}),
        );
        assert_eq!(
            String::from_utf8(st.to_json_vec().unwrap()).unwrap(),
            format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":[{{"name":"a","digest":{{"sha256":"{H}"}}}}],"predicateType":"p","predicate":{{"k":1}}}}"#
            )
        );
    }
}
