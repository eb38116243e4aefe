//! A parser's error kept as a typed cause, shown with credentials stripped.
//!
//! Lockfile parsers quote what they reject (`invalid type: string "https://user:token@host/…"`),
//! and a lockfile URL can carry a token. [`RedactedCause`] keeps the parser's error itself (for
//! a caller that inspects it with [`RedactedCause::get`]) but shows it — in `Display`, in
//! `Debug` and down the `source()` chain — only with every URL's credentials removed
//! ([`crate::git::redact_urls`]); its own causes are folded into that one redacted text, so no
//! unredacted error is reachable through `source()`.

use crate::git::redact_urls;

/// A parser's error (JSON, YAML, UTF-8, …) whose every rendering has URL credentials stripped.
#[derive(Clone)]
pub struct RedactedCause {
    error: provseal_model::Cause,
    /// Whether a trailing ` at line L column C` is left out (the error it causes names it).
    without_position: bool,
}

impl RedactedCause {
    /// Keeps `error` as a cause.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        RedactedCause {
            error: provseal_model::Cause::new(error),
            without_position: false,
        }
    }

    /// Keeps `error` as a cause, shown without the ` at line L column C` that serde_json ends
    /// its messages with (for an error that names the position itself).
    pub fn without_position(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        RedactedCause {
            without_position: true,
            ..RedactedCause::new(error)
        }
    }

    /// The parser's error as it reported it (unredacted: not for display).
    pub fn get(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.error.get()
    }
}

impl std::fmt::Display for RedactedCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = provseal_model::one_line(self.error.get());
        let text = match text.rsplit_once(" at line ") {
            Some((head, tail))
                if self.without_position
                    && tail
                        .split(" column ")
                        .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
            {
                head
            }
            _ => &text,
        };
        f.write_str(&redact_urls(text))
    }
}

impl std::fmt::Debug for RedactedCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RedactedCause")
            .field(&self.to_string())
            .finish()
    }
}

/// No `source()`: the causes are part of the redacted text.
impl std::error::Error for RedactedCause {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_debug_and_chain_are_redacted() {
        let inner = serde_json::from_str::<u64>("\"https://user:s3cret@host/x\"").unwrap_err();
        assert!(inner.to_string().contains("s3cret"));
        let c = RedactedCause::new(inner);
        assert_eq!(
            c.to_string(),
            r#"invalid type: string "https://host/x", expected u64 at line 1 column 28"#
        );
        let inner = serde_json::from_str::<u64>("\"https://user:s3cret@host/x\"").unwrap_err();
        assert_eq!(
            RedactedCause::without_position(inner).to_string(),
            r#"invalid type: string "https://host/x", expected u64"#
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        assert!(std::error::Error::source(&c).is_none());
        assert!(c.get().to_string().contains("s3cret"));
    }
}
