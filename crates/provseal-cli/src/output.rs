//! Diagnostics on stderr in uv's voice: `error:`, `Caused by:` lines, `hint:`.

use std::io::Write;

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
