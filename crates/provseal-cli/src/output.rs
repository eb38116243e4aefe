//! Diagnostics on stderr in uv's voice: `error:`, `Caused by:` lines, `hint:`; data on stdout
//! through [`out`], which survives a closed stdout (`provseal materials | head -1`).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout's reader has gone away: further data is dropped, quietly.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Set by `-q/--quiet`: notes and progress are not printed (errors and data still are).
static QUIET: AtomicBool = AtomicBool::new(false);

/// Turns notes and progress off (`-q/--quiet`).
pub fn set_quiet() {
    QUIET.store(true, Ordering::Relaxed);
}

/// Whether `-q/--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// `eprintln!` for notes (what was written, what was recorded): silent under `--quiet`.
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::output::quiet() {
            eprintln!($($arg)*);
        }
    };
}

/// Writes data on stdout. A closed stdout (the reader of a pipe exited) is not an error: the
/// rest of the output is dropped and the command ends with its normal exit status. Any other
/// write error (a full disk behind a redirection) is.
pub fn out(args: std::fmt::Arguments<'_>) -> Result<(), crate::Failure> {
    write_stdout(|stdout| stdout.write_fmt(args))
}

/// Writes bytes on stdout as they are (data another writer already made, such as JSON lines),
/// chunk after chunk, a closed stdout handled as by [`out`].
pub fn write_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Result<(), crate::Failure> {
    write_stdout(|stdout| chunks.into_iter().try_for_each(|c| stdout.write_all(c)))
}

/// Runs `write` on the locked stdout and flushes it, unless stdout is closed; a closed stdout
/// ends the output quietly (see [`out`]).
fn write_stdout(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), crate::Failure> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    match write(&mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(anyhow::Error::new(e)
            .context("cannot write to stdout")
            .into()),
    }
}

/// `println!` on stdout through [`out`] for one line of human output, control characters
/// escaped ([`safe`]): `?`-propagates real write errors, ignores a closed pipe. Data (JSON, signed
/// bytes) goes through [`out!`] unescaped.
macro_rules! outln {
    () => { $crate::output::out(format_args!("\n"))? };
    ($($arg:tt)*) => {
        $crate::output::out(format_args!("{}\n", $crate::output::safe(&format!($($arg)*))))?
    };
}

/// `print!` on stdout through [`out`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::out(format_args!($($arg)*))? };
}

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

/// Prints one line of human output on stderr, control characters escaped.
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::output::safe(&format!($($arg)*)))
    };
}
pub(crate) use errln;

/// Prints an error chain and an optional hint on stderr (control characters escaped).
pub fn print_error(error: &anyhow::Error, hint: Option<&str>) {
    write_error(&mut std::io::stderr().lock(), error, hint);
}

/// [`print_error`] into `err`.
fn write_error(err: &mut dyn Write, error: &anyhow::Error, hint: Option<&str>) {
    let e: &(dyn std::error::Error + 'static) = error.as_ref();
    for (i, text) in provseal_model::shown_texts(e).iter().enumerate() {
        let label = if i == 0 { "error:" } else { "  Caused by:" };
        let _ = writeln!(err, "{label} {}", safe_lines(text));
    }
    if let Some(h) = hint {
        let _ = writeln!(err, "hint: {}", safe_lines(h));
    }
}

/// [`safe`] line by line: an error's own line breaks (a list of what was tried) stay; every other
/// control character is escaped.
fn safe_lines(text: &str) -> String {
    text.split('\n').map(safe).collect::<Vec<_>>().join("\n")
}

/// Prints a JSON value on stdout, pretty.
///
/// The JSON is written as it is serialized (a statement of a million subjects is never one
/// string); a closed stdout is handled as by [`out`].
pub fn print_json(value: &impl serde::Serialize) -> Result<(), crate::Failure> {
    // Serialization itself cannot fail for provseal's values; an I/O error is stdout's.
    write_stdout(|stdout| {
        let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, stdout);
        serde_json::to_writer_pretty(&mut buffered, value).map_err(std::io::Error::from)?;
        buffered.write_all(b"\n")?;
        buffered.flush()
    })
}

/// `path` with `suffix` appended to its last component (`ci` + `.key` → `ci.key`).
pub fn with_suffix(path: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    std::path::PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    /// A cause that the line above already ends with is not printed again; the others are.
    #[test]
    fn a_cause_already_shown_is_not_repeated() {
        #[derive(Debug)]
        struct Root;
        impl std::fmt::Display for Root {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("root cause")
            }
        }
        impl std::error::Error for Root {}
        /// A foreign error that both shows its cause and returns it as `source()`.
        #[derive(Debug)]
        struct Shows(Root);
        impl std::fmt::Display for Shows {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "request failed: {}", self.0)
            }
        }
        impl std::error::Error for Shows {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = anyhow::Error::new(Shows(Root)).context("Fulcio failed");
        let mut out = Vec::new();
        super::write_error(&mut out, &error, Some("try again"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "error: Fulcio failed\n  Caused by: request failed: root cause\nhint: try again\n"
        );
    }

    /// Issue 14: control characters in names are escaped when printed.
    #[test]
    fn issue_14_control_characters_are_escaped() {
        assert_eq!(super::safe("plain/ü.whl"), "plain/ü.whl");
        assert_eq!(
            super::safe("a\nb\u{1b}[31mred\u{7f}\u{9b}"),
            "a\\nb\\u{1b}[31mred\\u{7f}\\u{9b}"
        );
        assert_eq!(super::safe_lines("a\nb\u{1b}c"), "a\nb\\u{1b}c");
    }
}
