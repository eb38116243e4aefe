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
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_fmt(args).and_then(|()| stdout.flush()) {
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

/// `println!` on stdout through [`out`]: `?`-propagates real write errors, ignores a closed pipe.
macro_rules! outln {
    () => { $crate::output::out(format_args!("\n"))? };
    ($($arg:tt)*) => { $crate::output::out(format_args!("{}\n", format_args!($($arg)*)))? };
}

/// `print!` on stdout through [`out`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::out(format_args!($($arg)*))? };
}

/// Prints an error chain and an optional hint on stderr.
pub fn print_error(error: &anyhow::Error, hint: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {error}");
    for cause in error.chain().skip(1) {
        let _ = writeln!(err, "  Caused by: {cause}");
    }
    if let Some(h) = hint {
        let _ = writeln!(err, "hint: {h}");
    }
}

/// Prints a JSON value on stdout, pretty.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), crate::Failure> {
    let text = serde_json::to_string_pretty(value)?;
    out(format_args!("{text}\n"))
}

/// `path` with `suffix` appended to its last component (`ci` + `.key` → `ci.key`).
pub fn with_suffix(path: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    std::path::PathBuf::from(s)
}
