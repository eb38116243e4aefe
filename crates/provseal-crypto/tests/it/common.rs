//! Helpers shared by the test modules.

use std::path::Path;
use std::process::{Command, Output};

/// Whether openssl is available (panics under CI when it is not).
pub fn have_openssl(test: &str) -> bool {
    provseal_testsupport::require_tool(test, "openssl", &["version"])
}

/// Runs `openssl ARGS` in `dir`; panics with its stderr on failure.
pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `openssl ARGS` in `dir` and returns whether it succeeded.
pub fn openssl_ok(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl")
        .status
        .success()
}

/// Lowercase hex SHA-256 (via the crate's own hashing).
pub fn sha256_hex(data: &[u8]) -> String {
    provseal_crypto::hash::HashAlgorithm::Sha256.hex_digest(data)
}
