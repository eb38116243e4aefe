//! Diagnostics on stderr in uv's voice: `error:`, `Caused by:` lines, `hint:`.

use std::io::Write;

/// `text` with its control characters escaped (`\n`, `\u{1b}`, …), so that a name from outside
/// (an artifact path, a subject name) can neither break a line nor drive the terminal.
pub fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Prints one line of human output on stdout, control characters escaped.
macro_rules! outln {
    ($($arg:tt)*) => {
        println!("{}", $crate::output::safe(&format!($($arg)*)))
    };
}
pub(crate) use outln;

/// Prints one line of human output on stderr, control characters escaped.
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::output::safe(&format!($($arg)*)))
    };
}
pub(crate) use errln;

/// Prints an error chain and an optional hint on stderr (control characters escaped).
pub fn print_error(error: &anyhow::Error, hint: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {}", safe(&error.to_string()));
    for cause in error.chain().skip(1) {
        let _ = writeln!(err, "  Caused by: {}", safe(&cause.to_string()));
    }
    if let Some(h) = hint {
        let _ = writeln!(err, "hint: {}", safe(h));
    }
}

/// Prints a JSON value on stdout, pretty.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), crate::Failure> {
    let text = serde_json::to_string_pretty(value)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(())
}

/// `path` with `suffix` appended to its last component (`ci` + `.key` → `ci.key`).
pub fn with_suffix(path: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    std::path::PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    /// Issue 14: control characters in names are escaped when printed.
    #[test]
    fn issue_14_control_characters_are_escaped() {
        assert_eq!(super::safe("plain/ü.whl"), "plain/ü.whl");
        assert_eq!(
            super::safe("a\nb\u{1b}[31mred\u{7f}\u{9b}"),
            "a\\nb\\u{1b}[31mred\\u{7f}\\u{9b}"
        );
    }
}
