//! Secret hygiene on the command line: key material never reaches a message.
//!
//! A key passed inline (`--key="$PROVSEAL_KEY"` with a PEM or base64 DER in the variable) is
//! refused before clap sees the arguments, so neither clap's parse errors nor ours can echo it;
//! the error names the flag, never the value. `env:X`, `$X` and `${X}` in a key flag are typos of
//! `env://X` and get the same hint.

use std::ffi::OsString;

use anyhow::anyhow;
use base64::Engine as _;

use crate::{Failure, WithHint};

/// Flags whose value is a key reference (a path, `env://VAR` or a `pkcs11:` URI).
const KEY_FLAGS: &[&str] = &["--key", "--vsa-key"];

/// Whether `value` is key material itself rather than a reference to it: a PEM block, or base64
/// of a DER structure (what a CI secret holding a key expands to).
pub fn looks_like_key_material(value: &str) -> bool {
    if value.contains("-----BEGIN") || value.contains("-----END") || value.contains("KEY-----") {
        return true;
    }
    let compact: String = value.split_whitespace().collect();
    if compact.len() < 40 || compact.len() > 64 * 1024 {
        return false;
    }
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(&compact) else {
        return false;
    };
    is_der_sequence(&der)
}

/// A DER SEQUENCE whose length field covers exactly the rest of the bytes.
fn is_der_sequence(der: &[u8]) -> bool {
    let (Some(&0x30), Some(&first)) = (der.first(), der.get(1)) else {
        return false;
    };
    let (len, header) = match first {
        n if n < 0x80 => (usize::from(n), 2),
        0x81 => match der.get(2) {
            Some(&n) => (usize::from(n), 3),
            None => return false,
        },
        0x82 => match (der.get(2), der.get(3)) {
            (Some(&hi), Some(&lo)) => ((usize::from(hi) << 8) | usize::from(lo), 4),
            _ => return false,
        },
        _ => return false,
    };
    der.len() == header + len
}

/// The variable a key-flag typo meant: `env:X`, `$X`, `${X}` → `X`.
pub fn env_typo(value: &str) -> Option<&str> {
    let var = if let Some(rest) = value.strip_prefix("env:") {
        if rest.starts_with("//") {
            return None;
        }
        rest
    } else if let Some(rest) = value.strip_prefix("${") {
        rest.strip_suffix('}')?
    } else {
        value.strip_prefix('$')?
    };
    let valid = !var.is_empty()
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !var.starts_with(|c: char| c.is_ascii_digit());
    valid.then_some(var)
}

/// Checks the command line before it is parsed: key material anywhere before `--` (where a build
/// command starts) is refused without echoing it, and a key flag's `env:X` / `$X` typo gets the
/// `env://X` hint.
pub fn check_argv(args: &[OsString]) -> Result<(), Failure> {
    let mut previous: Option<&str> = None;
    for (i, arg) in args.iter().enumerate().skip(1) {
        let Some(arg) = arg.to_str() else {
            previous = None;
            continue;
        };
        if arg == "--" {
            break;
        }
        let is_flag = |a: &str| {
            a.strip_prefix("--")
                .is_some_and(|name| name.starts_with(|c: char| c.is_ascii_alphabetic()))
        };
        let (flag, value) = match arg.split_once('=') {
            Some((flag, value)) if is_flag(flag) => (Some(flag), value),
            _ => (previous.filter(|p| is_flag(p) || p.starts_with('-')), arg),
        };
        if looks_like_key_material(arg) || looks_like_key_material(value) {
            let what = match flag {
                Some(flag) => format!("the value of `{flag}`"),
                None => format!("argument {i}"),
            };
            return Err(anyhow!(
                "{what} is key material (a PEM block or base64 DER), not a reference to a key; \
                 provseal never takes keys on the command line, and did not print it"
            ))
            .hint("put the key in an environment variable and pass it as `--key env://VAR`");
        }
        if let (Some(flag), Some(var)) = (flag.filter(|f| KEY_FLAGS.contains(f)), env_typo(value)) {
            return Err(anyhow!(
                "`{flag} {value}` is not a key reference (a path, `env://VAR` or a `pkcs11:` URI)"
            ))
            .hint(format!(
                "to read the key from the environment variable `{var}`, pass it as `{flag} env://{var}`"
            ));
        }
        previous = Some(arg);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_material_is_recognised() {
        assert!(looks_like_key_material(
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
        ));
        // PKCS#8 Ed25519 and SPKI Ed25519, base64 DER
        assert!(looks_like_key_material(
            "MC4CAQAwBQYDK2VwBCIEIHtpUzV1Fxr5aWDHhwnZ2l1Tu1rN5aIzdrrYmOtPlXqH"
        ));
        assert!(looks_like_key_material(
            "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="
        ));
        for not_key in [
            "ci.key",
            "env://PROVSEAL_KEY",
            "pkcs11:token=t;object=k",
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "dist/some/very/long/path/to/an/artifact-1.2.3.tar.gz",
        ] {
            assert!(!looks_like_key_material(not_key), "{not_key}");
        }
    }

    #[test]
    fn env_typos() {
        assert_eq!(env_typo("env:KEY"), Some("KEY"));
        assert_eq!(env_typo("$KEY"), Some("KEY"));
        assert_eq!(env_typo("${KEY}"), Some("KEY"));
        assert_eq!(env_typo("env://KEY"), None);
        assert_eq!(env_typo("ci.key"), None);
        assert_eq!(env_typo("$"), None);
        assert_eq!(env_typo("$1X"), None);
    }

    #[test]
    fn argv_is_checked_before_the_build_command() {
        let argv = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(check_argv(&argv(&["p", "attest", "--key", "ci.key"])).is_ok());
        assert!(check_argv(&argv(&["p", "attest", "--key=$K"])).is_err());
        assert!(check_argv(&argv(&["p", "attest", "--key", "env:K"])).is_err());
        assert!(check_argv(&argv(&["p", "run", "--key", "k", "--", "echo", "$HOME"])).is_ok());
        let err = check_argv(&argv(&[
            "p",
            "attest",
            "--key",
            "-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----",
        ]))
        .err()
        .map(|f| format!("{:#}", f.error))
        .unwrap_or_default();
        assert!(err.contains("`--key`") && !err.contains("SECRET"), "{err}");
    }
}
