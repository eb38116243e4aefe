//! A statement read for display: validated whole, its subjects counted rather than kept.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::{ModelError, ResourceDescriptor, Statement, STATEMENT_V01, STATEMENT_V1};

/// A statement validated exactly as [`Statement::parse`] does (the same rules, the same error),
/// of which only the first `keep` subjects are kept and the rest counted: a statement of a
/// million subjects costs its bytes and one subject at a time, not a million descriptors.
///
/// ```
/// use provseal_model::{StatementOutline, STATEMENT_V1};
/// let h = "ab".repeat(32);
/// let bytes = format!(
///     r#"{{"_type":"{STATEMENT_V1}","subject":[{{"name":"a","digest":{{"sha256":"{h}"}}}},
///         {{"name":"b","digest":{{"sha256":"{h}"}}}}],"predicateType":"p","predicate":{{}}}}"#
/// );
/// let o = StatementOutline::parse(bytes.as_bytes(), 1).unwrap();
/// assert_eq!((o.subject_count, o.first_subjects.len()), (2, 1));
/// assert!(StatementOutline::parse(br#"{"_type":"x"}"#, 1).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StatementOutline {
    /// `_type`.
    pub type_: String,
    /// `predicateType`.
    pub predicate_type: String,
    /// The predicate (a JSON object).
    pub predicate: Option<Value>,
    /// How many subjects the statement has.
    pub subject_count: usize,
    /// The first subjects (at most the `keep` asked for).
    pub first_subjects: Vec<ResourceDescriptor>,
}

/// The top level, with the subject array left as text.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "_type")]
    type_: Option<String>,
    #[serde(borrow)]
    subject: Option<&'a RawValue>,
    #[serde(rename = "predicateType")]
    predicate_type: Option<String>,
    predicate: Option<Value>,
}

impl StatementOutline {
    /// Parses and validates `bytes` as [`Statement::parse`] would, keeping `keep` subjects.
    pub fn parse(bytes: &[u8], keep: usize) -> Result<Self, ModelError> {
        crate::json::check_strict(bytes)?;
        match Self::outline(bytes, keep) {
            Some(outline) => Ok(outline),
            // Anything unusual (invalid, or a shape such as `"subject": null`): the full parse
            // gives the exact error, or the outline of what it accepts.
            None => Statement::parse(bytes).map(|s| Self::of(s, keep)),
        }
    }

    /// The outline of an already parsed statement.
    pub fn of(statement: Statement, keep: usize) -> Self {
        let subject_count = statement.subject.len();
        let mut first_subjects = statement.subject;
        first_subjects.truncate(keep);
        StatementOutline {
            type_: statement.type_,
            predicate_type: statement.predicate_type,
            predicate: statement.predicate,
            subject_count,
            first_subjects,
        }
    }

    /// The outline of a statement that passes every check of [`Statement::validate`], one
    /// subject at a time; `None` for anything else.
    fn outline(bytes: &[u8], keep: usize) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let head: Head<'_> = serde_json::from_str(text).ok()?;
        let type_ = head.type_?;
        let v01 = match type_.as_str() {
            STATEMENT_V1 => false,
            STATEMENT_V01 => true,
            _ => return None,
        };
        let subjects: Vec<&RawValue> = serde_json::from_str(head.subject?.get()).ok()?;
        let mut first_subjects = Vec::new();
        for raw in &subjects {
            let rd: ResourceDescriptor = serde_json::from_str(raw.get()).ok()?;
            let valid = rd.validate_lazy(String::new).is_ok()
                && !rd.digest.is_empty()
                && !(v01 && rd.name().is_none());
            if !valid {
                return None;
            }
            if first_subjects.len() < keep {
                first_subjects.push(rd);
            }
        }
        let predicate_type = head.predicate_type.filter(|p| !p.is_empty())?;
        let predicate = head.predicate.filter(Value::is_object)?;
        (!subjects.is_empty()).then_some(StatementOutline {
            type_,
            predicate_type,
            predicate: Some(predicate),
            subject_count: subjects.len(),
            first_subjects,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "a1234567b1234567c1234567d1234567e1234567f1234567a1234567b1234567";

    /// Issue 14: the outline accepts and refuses exactly what the full parse does, with the same
    /// error, and keeps the subjects the full parse would list first.
    #[test]
    fn same_verdict_and_error_as_the_full_parse() {
        let ok_subject =
            format!(r#"{{"name":"a","digest":{{"sha256":"{H}"}},"x":[1.5,{{"y":null}}]}}"#);
        let cases = [
            format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":[{ok_subject},{ok_subject}],"predicateType":"p","predicate":{{}}}}"#
            ),
            format!(
                r#"{{"predicate":{{"a":1}},"predicateType":"p","subject":[{{"uri":"u","digest":{{"x":"0"}}}}],"_type":"{STATEMENT_V1}","extra":null}}"#
            ),
            format!(
                r#"{{"_type":"{STATEMENT_V01}","subject":[{{"digest":{{"sha256":"{H}"}}}}],"predicateType":"p","predicate":{{}}}}"#
            ),
            format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":[],"predicateType":"p","predicate":{{}}}}"#
            ),
            format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":null,"predicateType":"p","predicate":{{}}}}"#
            ),
            format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":[{{"name":"a"}}],"predicateType":"p","predicate":{{}}}}"#
            ),
            format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":[{{"name":"a","digest":{{"sha256":"zz"}}}}],"predicateType":"p","predicate":{{}}}}"#
            ),
            format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":[{{}}],"predicateType":"p","predicate":{{}}}}"#
            ),
            format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":[{ok_subject}],"predicateType":"","predicate":{{}}}}"#
            ),
            format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":[{ok_subject}],"predicateType":"p","predicate":[]}}"#
            ),
            format!(r#"{{"_type":"{STATEMENT_V1}","subject":[{ok_subject}],"predicateType":"p"}}"#),
            format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":[1],"predicateType":"p","predicate":{{}}}}"#
            ),
            format!(
                r#"{{"_type":"other","subject":[{ok_subject}],"predicateType":"p","predicate":{{}}}}"#
            ),
            format!(
                r#"{{"_type":"{STATEMENT_V1}","_type":"{STATEMENT_V1}","subject":[{ok_subject}],"predicateType":"p","predicate":{{}}}}"#
            ),
            "[]".to_string(),
            "{".to_string(),
        ];
        for case in &cases {
            let full = Statement::parse(case.as_bytes());
            let outline = StatementOutline::parse(case.as_bytes(), 1);
            assert_eq!(outline, full.map(|s| StatementOutline::of(s, 1)), "{case}");
        }
        assert!(StatementOutline::parse(cases[0].as_bytes(), 1).is_ok());
        let o = StatementOutline::parse(cases[0].as_bytes(), 0).unwrap();
        assert_eq!((o.subject_count, o.first_subjects.len()), (2, 0));
    }
}
