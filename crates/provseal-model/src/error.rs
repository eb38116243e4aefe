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

/// A foreign error kept as a cause: shared, so that the errors holding it stay `Clone` (as rustls
/// keeps foreign errors), and compared by message, so that they stay `PartialEq`.
#[derive(Clone)]
pub struct Cause(std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>);

impl Cause {
    /// Keeps `error` as a cause.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Cause(std::sync::Arc::new(error))
    }

    /// Keeps a foreign error that implements `Display` and `Debug` but not
    /// [`std::error::Error`] (crates built without `std`).
    pub fn from_display(
        error: impl std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
    ) -> Self {
        Cause(std::sync::Arc::new(DisplayOnly(error)))
    }

    /// The error kept.
    pub fn get(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

/// A foreign error without a [`std::error::Error`] implementation.
#[derive(Debug)]
struct DisplayOnly<E>(E);

impl<E: std::fmt::Display> std::fmt::Display for DisplayOnly<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: std::fmt::Display + std::fmt::Debug> std::error::Error for DisplayOnly<E> {}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Cause {}

/// `": {text}"`, or nothing for an empty text: an optional detail at the end of an error message
/// (`#[error("… is malformed{}", colon(reason))]`).
pub fn colon(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// An error and its causes on one line, `: `-separated (`cannot read key: no such file`), for
/// the places where an error becomes one line of a report.
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    shown_texts(error).join(": ")
}

/// The texts an error is shown by: its own, then each cause's that says something more (not
/// empty, and not what the text shown before it already ends with: a foreign error that shows
/// its cause and also returns it as `source()`). [`one_line`] joins them; the CLI prints one
/// per line.
pub fn shown_texts(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut texts = vec![error.to_string()];
    let mut cause = error.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !next.is_empty() && !texts.last().is_some_and(|shown| shown.ends_with(&next)) {
            texts.push(next);
        }
        cause = c.source();
    }
    texts
}

/// Why a timestamp is not an RFC 3339 date-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The date and the time are not separated by `T` (RFC 3339 asks for it).
    #[error("date and time must be separated by `T`")]
    NoSeparator,
    /// The date-time parser rejected it.
    #[error(transparent)]
    Parse(Cause),
}

/// Why a base64 field does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base64Error {
    /// Both `+/` and `-_` occur.
    #[error("mixes the standard and URL-safe base64 alphabets")]
    MixedAlphabets,
    /// The decoder rejected it.
    #[error(transparent)]
    Decode(#[from] base64::DecodeError),
}

/// Why a value has no RFC 8785 form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalizeError {
    /// An integer that an IEEE 754 double cannot hold exactly.
    #[error("integer {value} cannot be represented exactly as an IEEE 754 double")]
    InexactInteger {
        /// The integer as written.
        value: String,
    },
    /// The canonical writer failed (NaN, an infinity).
    #[error(transparent)]
    Writer(Cause),
    /// The canonical writer produced text that is not UTF-8.
    #[error(transparent)]
    Utf8(#[from] std::string::FromUtf8Error),
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
    #[error("invalid timestamp at {path}: {value:?} is not an RFC 3339 date-time")]
    InvalidTimestamp {
        /// JSON path of the timestamp.
        path: String,
        /// The value found (shortened).
        value: String,
        /// Why it was rejected.
        #[source]
        source: TimestampError,
    },
    /// A field that holds base64 does not decode.
    #[error("invalid base64 in {path}")]
    Base64 {
        /// JSON path of the field.
        path: String,
        /// Why it does not decode.
        #[source]
        source: Base64Error,
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
    #[error("cannot canonicalize JSON at {path}")]
    Canonicalize {
        /// JSON path of the value (`$` when not known).
        path: String,
        /// Why.
        #[source]
        source: CanonicalizeError,
    },
    /// A value cannot be serialized as JSON.
    #[error("cannot serialize {what} as JSON")]
    Serialize {
        /// What was being serialized.
        what: &'static str,
        /// What the serializer reported.
        #[source]
        source: Cause,
    },
}
