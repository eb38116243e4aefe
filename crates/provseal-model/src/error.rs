//! The one error type of this crate.

/// Longest excerpt of outside input quoted in an error message.
const EXCERPT_CHARS: usize = 80;

/// Shortens outside input before it is quoted in an error message.
pub(crate) fn excerpt(s: &str) -> String {
    if s.chars().count() <= EXCERPT_CHARS {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(EXCERPT_CHARS).collect();
        out.push('…');
        out
    }
}

/// Everything that can go wrong while parsing, validating or serializing the data model.
///
/// Every variant names the offending place in the document as a JSON path (`$.subject[0].digest`)
/// and, where there is one, what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The input is not valid UTF-8.
    #[error("invalid UTF-8 at byte offset {offset}")]
    InvalidUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The input is not well-formed JSON (syntax error, lone surrogate, trailing data, empty input).
    #[error("invalid JSON at line {line} column {column}: {message}")]
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the JSON parser reported.
        message: String,
    },
    /// An object has the same key twice.
    #[error("duplicate key {key:?} at {path}")]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// JSON path of the object that repeats it.
        path: String,
    },
    /// Arrays and objects are nested more deeply than the limit.
    #[error("JSON nested too deeply (limit {limit} levels) at line {line} column {column}")]
    TooDeep {
        /// The nesting limit ([`crate::json::MAX_DEPTH`]).
        limit: usize,
        /// 1-based line where the limit was crossed.
        line: usize,
        /// 1-based column where the limit was crossed.
        column: usize,
    },
    /// An array holds more items than any array of outside input may
    /// ([`crate::json::MAX_ARRAY_ITEMS`]); reading stopped at the limit.
    #[error("array at {path} has more than {limit} items (the limit for any JSON array)")]
    TooManyItems {
        /// JSON path of the array.
        path: String,
        /// The limit.
        limit: usize,
    },
    /// A DSSE envelope has more signatures than [`crate::dsse::MAX_SIGNATURES`].
    #[error("DSSE envelope has {count} signatures, more than the limit of {limit}")]
    TooManySignatures {
        /// How many signatures the envelope holds.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A value has the wrong JSON type or shape for its field.
    #[error("invalid {what} at {path}: {message}")]
    Schema {
        /// What was being read (`statement`, `DSSE envelope`, `SLSA provenance v1`, …).
        what: &'static str,
        /// JSON path of the value (`$` when the position is not known more precisely).
        path: String,
        /// What is wrong (expected and found).
        message: String,
    },
    /// A required field is missing, null or empty.
    #[error("missing required field {path}")]
    MissingField {
        /// JSON path of the missing field.
        path: String,
    },
    /// The statement `_type` is neither Statement v1 nor v0.1.
    #[error(
        "unsupported statement type {actual:?}: expected \"{}\" or \"{}\"",
        crate::STATEMENT_V1,
        crate::STATEMENT_V01
    )]
    UnsupportedStatementType {
        /// The `_type` found (empty when absent).
        actual: String,
    },
    /// The statement has no subject.
    #[error("statement has no subject: at least one subject is required at $.subject")]
    NoSubject,
    /// A resource descriptor has none of `name`, `uri` and `digest`.
    #[error(
        "resource descriptor at {path} has none of name, uri or digest (at least one is required)"
    )]
    EmptyResourceDescriptor {
        /// JSON path of the descriptor.
        path: String,
    },
    /// A digest of a known hex algorithm is not valid hex.
    #[error("digest {algorithm} at {path} is not valid hex: {value:?}")]
    DigestEncoding {
        /// JSON path of the digest set.
        path: String,
        /// The algorithm (`sha256`, …).
        algorithm: String,
        /// The value found (shortened).
        value: String,
    },
    /// A digest of a known algorithm has the wrong length.
    #[error("digest {algorithm} at {path} has {actual} bytes, expected {expected} bytes")]
    DigestLength {
        /// JSON path of the digest set.
        path: String,
        /// The algorithm (`sha256`, `gitCommit`, …).
        algorithm: String,
        /// The accepted length(s) in bytes, e.g. `32` or `20 or 32`.
        expected: &'static str,
        /// The decoded length found.
        actual: usize,
    },
    /// A timestamp is not an RFC 3339 date-time.
    #[error("invalid timestamp at {path}: {value:?} is not an RFC 3339 date-time ({reason})")]
    InvalidTimestamp {
        /// JSON path of the timestamp.
        path: String,
        /// The value found (shortened).
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A field that holds base64 does not decode.
    #[error("invalid base64 in {path}: {reason}")]
    Base64 {
        /// JSON path of the field.
        path: String,
        /// Why it does not decode.
        reason: String,
    },
    /// A predicate type that the called function does not handle.
    #[error("unsupported predicate type {actual:?}: expected {expected}")]
    UnsupportedPredicateType {
        /// The predicate type found.
        actual: String,
        /// The predicate type(s) accepted.
        expected: &'static str,
    },
    /// A value cannot be written as RFC 8785 canonical JSON (NaN, infinity, an integer that does
    /// not fit an IEEE 754 double exactly).
    #[error("cannot canonicalize JSON at {path}: {reason}")]
    Canonicalize {
        /// JSON path of the value (`$` when not known).
        path: String,
        /// Why.
        reason: String,
    },
    /// A value cannot be serialized as JSON.
    #[error("cannot serialize {what} as JSON: {message}")]
    Serialize {
        /// What was being serialized.
        what: &'static str,
        /// What the serializer reported.
        message: String,
    },
}
