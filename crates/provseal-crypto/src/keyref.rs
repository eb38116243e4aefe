//! Key references: where a signing key comes from.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::CryptoError;

/// Where a key lives, as written on the command line (`--key`).
///
/// The library never reads the environment: the CLI resolves [`KeyRef::Env`] itself and hands
/// the bytes to [`crate::load_signer`] with `source` = `env://VAR`.
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyRef {
    /// A key file (PEM or DER); `file://` prefix optional.
    File(PathBuf),
    /// An environment variable holding PEM or base64 DER (`env://VAR`).
    Env(String),
    /// An RFC 7512 PKCS#11 URI (`pkcs11:token=…;object=…`), kept verbatim.
    Pkcs11(String),
}

impl FromStr for KeyRef {
    type Err = CryptoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &'static str| CryptoError::InvalidKeyRef {
            reference: s.to_owned(),
            reason,
        };
        if s.is_empty() {
            return Err(bad("empty key reference"));
        }
        if let Some(var) = s.strip_prefix("env://") {
            if var.is_empty() {
                return Err(bad("`env://` needs a variable name"));
            }
            if !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || var.starts_with(|c: char| c.is_ascii_digit())
            {
                return Err(bad(
                    "an environment variable name has only letters, digits and `_`",
                ));
            }
            return Ok(KeyRef::Env(var.to_owned()));
        }
        if s.starts_with("pkcs11:") {
            if s.len() == "pkcs11:".len() {
                return Err(bad("empty PKCS#11 URI"));
            }
            return Ok(KeyRef::Pkcs11(s.to_owned()));
        }
        if let Some(path) = s.strip_prefix("file://") {
            if path.is_empty() {
                return Err(bad("`file://` needs a path"));
            }
            return Ok(KeyRef::File(PathBuf::from(path)));
        }
        // Refuse other URL schemes (e.g. `awskms://`) instead of treating them as a path.
        if let Some((scheme, _)) = s.split_once("://") {
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            {
                return Err(bad(
                    "unsupported key scheme (use a file path, `env://VAR` or a `pkcs11:` URI)",
                ));
            }
        }
        Ok(KeyRef::File(PathBuf::from(s)))
    }
}

impl fmt::Display for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRef::File(p) => write!(f, "{}", p.display()),
            KeyRef::Env(v) => write!(f, "env://{v}"),
            KeyRef::Pkcs11(uri) => f.write_str(&redact_pin(uri)),
        }
    }
}

/// Debug never shows a PKCS#11 `pin-value`.
impl fmt::Debug for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRef::File(p) => f.debug_tuple("File").field(p).finish(),
            KeyRef::Env(v) => f.debug_tuple("Env").field(v).finish(),
            KeyRef::Pkcs11(uri) => f.debug_tuple("Pkcs11").field(&redact_pin(uri)).finish(),
        }
    }
}

/// Replaces the value of every `pin-value=` attribute in a PKCS#11 URI by `[redacted]`.
pub fn redact_pin(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(pos) = rest.find("pin-value=") {
        let (head, tail) = rest.split_at(pos + "pin-value=".len());
        out.push_str(head);
        out.push_str("[redacted]");
        let end = tail.find(['&', ';']).unwrap_or(tail.len());
        rest = tail.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        assert_eq!(
            "ci.key".parse::<KeyRef>().unwrap(),
            KeyRef::File("ci.key".into())
        );
        assert_eq!(
            "file:///etc/k.pem".parse::<KeyRef>().unwrap(),
            KeyRef::File("/etc/k.pem".into())
        );
        assert_eq!(
            "env://PROVSEAL_KEY".parse::<KeyRef>().unwrap(),
            KeyRef::Env("PROVSEAL_KEY".into())
        );
        let uri = "pkcs11:token=provseal;object=release?pin-value=1234";
        assert_eq!(
            uri.parse::<KeyRef>().unwrap(),
            KeyRef::Pkcs11(uri.to_owned())
        );
        let shown = format!(
            "{} {:?}",
            uri.parse::<KeyRef>().unwrap(),
            uri.parse::<KeyRef>().unwrap()
        );
        assert!(!shown.contains("1234"), "{shown}");
        assert_eq!(
            redact_pin("pkcs11:object=a?pin-value=1;x=2&pin-value=3"),
            "pkcs11:object=a?pin-value=[redacted];x=2&pin-value=[redacted]"
        );
        assert_eq!(KeyRef::Env("X".into()).to_string(), "env://X".to_owned());
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in [
            "",
            "env://",
            "env://A-B",
            "env://1X",
            "pkcs11:",
            "awskms://k",
            "file://",
        ] {
            assert!(
                matches!(
                    bad.parse::<KeyRef>(),
                    Err(CryptoError::InvalidKeyRef { .. })
                ),
                "{bad}"
            );
        }
    }
}
