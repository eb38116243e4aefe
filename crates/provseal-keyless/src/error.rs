//! The one error type of provseal-keyless.

use std::path::PathBuf;

use crate::source::TokenSource;

/// A Sigstore service provseal talks to while signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// The certificate authority (Fulcio).
    Fulcio,
    /// The transparency log (Rekor v1 or v2).
    Rekor,
    /// The RFC 3161 timestamp authority.
    Tsa,
    /// The CI platform's identity-token endpoint (GitHub Actions).
    TokenEndpoint,
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Service::Fulcio => "Fulcio",
            Service::Rekor => "Rekor",
            Service::Tsa => "the timestamp authority",
            Service::TokenEndpoint => "the identity-token endpoint",
        })
    }
}

/// One token source that was looked at, and what was found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tried {
    /// The source.
    pub source: TokenSource,
    /// What was found (never the token).
    pub outcome: String,
}

/// Why an identity token is not a JWT with the claims Sigstore needs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenFault {
    /// The OIDC crate cannot read it (the part that failed: format, payload, claims).
    #[error(transparent)]
    Parse(sigstore_sign::oidc::Error),
    /// `exp` is not an instant this provseal can hold.
    #[error("`exp` is out of range")]
    ExpiryOutOfRange(#[source] jiff::Error),
}

/// Why a CI agent's token command gave no token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenCommandError {
    /// The command could not be started.
    #[error("cannot run `{program}`")]
    Spawn {
        /// The program.
        program: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The command exited unsuccessfully.
    #[error("`{program}` exited with {status}: {stderr}")]
    Failed {
        /// The program.
        program: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// Its standard error, trimmed (the token goes to standard output).
        stderr: String,
    },
}

/// Why a signed bundle is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleFault {
    /// It carries no signing certificate.
    #[error("it has no signing certificate")]
    NoCertificate,
    /// The signer or the serializer failed on it.
    #[error(transparent)]
    Signer(Box<dyn std::error::Error + Send + Sync>),
}

/// What is wrong with a signing configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigningConfigError {
    /// The file could not be read.
    #[error(transparent)]
    Read(std::io::Error),
    /// It is not a signing config the Sigstore crates read.
    #[error(transparent)]
    Parse(sigstore_sign::trust_root::Error),
    /// A Rekor API version was asked for that provseal does not sign with.
    #[error("Rekor API version {0} is not supported (1 or 2)")]
    RekorVersion(u32),
    /// It lists no Fulcio that is valid now.
    #[error("no eligible Fulcio (caUrls) entry")]
    NoFulcio,
    /// Its only eligible Rekor is v2, and it lists no timestamp authority.
    #[error("a Rekor v2 log needs a timestamp authority, and the config lists none (tsaUrls)")]
    RekorV2WithoutTsa,
    /// sigstore-sign finds no usable set of services in it.
    #[error(transparent)]
    Services(sigstore_sign::Error),
}

/// Why keyless signing failed. No variant ever holds an identity token or a private key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeylessError {
    /// No source produced an identity token.
    #[error("no identity token found; tried, in order:{}", tried_list(.tried))]
    NoToken {
        /// Every source looked at, in order.
        tried: Vec<Tried>,
    },
    /// A token file could not be read.
    #[error("cannot read the identity token file `{}`", path.display())]
    TokenFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The token is not a JWT with the claims Sigstore needs.
    #[error("the identity token from {source_name} is not a valid JWT")]
    TokenMalformed {
        /// Where the token came from.
        source_name: TokenSource,
        /// What is wrong (its messages name the part that failed, never token bytes).
        #[source]
        source: TokenFault,
    },
    /// The token's `exp` is in the past.
    #[error("the identity token from {source_name} expired at {expired_at} (now {now})")]
    TokenExpired {
        /// Where the token came from.
        source_name: TokenSource,
        /// The token's `exp`.
        expired_at: jiff::Timestamp,
        /// The time of the check.
        now: jiff::Timestamp,
    },
    /// The token's `aud` does not contain `sigstore`.
    #[error(
        "the identity token from {source_name} has audience {actual:?}, expected `{expected}`"
    )]
    TokenAudience {
        /// Where the token came from.
        source_name: TokenSource,
        /// The audience Fulcio accepts.
        expected: &'static str,
        /// The token's audiences.
        actual: Vec<String>,
    },
    /// A CI platform's token command failed.
    #[error("{source_name} did not hand out an identity token")]
    TokenSourceFailed {
        /// The source.
        source_name: TokenSource,
        /// What went wrong (never a token).
        #[source]
        source: TokenCommandError,
    },
    /// The signing configuration could not be read or names no usable services.
    #[error("signing config {origin} is unusable")]
    SigningConfig {
        /// The file, or `built-in`.
        origin: String,
        /// What is wrong with it.
        #[source]
        source: SigningConfigError,
    },
    /// A service failed (after the retries transient errors get).
    #[error("{service} at {url} failed{}{}{}", status_text(.status), attempts_text(*.attempts), provseal_model::colon(.message))]
    Service {
        /// Which service.
        service: Service,
        /// Its URL.
        url: String,
        /// The HTTP status, when it answered.
        status: Option<u16>,
        /// How many attempts were made.
        attempts: u32,
        /// What the service answered (the start of its body), or what was wrong with the
        /// answer; empty when `source` says it all.
        message: String,
        /// The client's or the connection's error, when one reported it.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The statement is not one that can be signed (checked before contacting any service).
    #[error("the statement cannot be signed keyless")]
    Statement(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The HTTP client or the runtime could not be set up.
    #[error("cannot set up the {part}")]
    Setup {
        /// `async runtime` or `HTTP client`.
        part: &'static str,
        /// The builder's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The signer produced something provseal cannot use (not expected in practice).
    #[error("the signed bundle is unusable")]
    Bundle(#[source] BundleFault),
    /// Reading the artifact to sign failed.
    #[error("cannot read `{}`", path.display())]
    Artifact {
        /// The artifact.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn status_text(status: &Option<u16>) -> String {
    status
        .map(|s| format!(" with HTTP {s}"))
        .unwrap_or_default()
}

fn attempts_text(attempts: u32) -> String {
    if attempts > 1 {
        format!(" ({attempts} attempts)")
    } else {
        String::new()
    }
}

fn tried_list(tried: &[Tried]) -> String {
    tried
        .iter()
        .enumerate()
        .map(|(i, t)| format!("\n  {}. {}: {}", i + 1, t.source, t.outcome))
        .collect()
}

impl KeylessError {
    /// A stable kebab-case diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            KeylessError::NoToken { .. } => "keyless-no-token",
            KeylessError::TokenFile { .. } => "keyless-token-file",
            KeylessError::TokenMalformed { .. } => "keyless-token-malformed",
            KeylessError::TokenExpired { .. } => "keyless-token-expired",
            KeylessError::TokenAudience { .. } => "keyless-token-audience",
            KeylessError::TokenSourceFailed { .. } => "keyless-token-source",
            KeylessError::SigningConfig { .. } => "keyless-signing-config",
            KeylessError::Service { .. } => "keyless-service",
            KeylessError::Statement(_) => "keyless-statement",
            KeylessError::Setup { .. } => "keyless-setup",
            KeylessError::Bundle(_) => "keyless-bundle",
            KeylessError::Artifact { .. } => "keyless-artifact",
        }
    }

    /// The failing service, for [`KeylessError::Service`].
    pub fn service(&self) -> Option<Service> {
        match self {
            KeylessError::Service { service, .. } => Some(*service),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code is distinct and documented in `docs/diagnostics.md`.
    #[test]
    fn codes_are_unique_and_documented() {
        let io = || std::io::Error::other("x");
        let src = TokenSource::SigstoreIdToken;
        let now = jiff::Timestamp::UNIX_EPOCH;
        let all = [
            KeylessError::NoToken { tried: Vec::new() },
            KeylessError::TokenFile {
                path: "f".into(),
                source: io(),
            },
            KeylessError::TokenMalformed {
                source_name: src.clone(),
                source: TokenFault::Parse(sigstore_sign::oidc::Error::Token(String::new())),
            },
            KeylessError::TokenExpired {
                source_name: src.clone(),
                expired_at: now,
                now,
            },
            KeylessError::TokenAudience {
                source_name: src.clone(),
                expected: "sigstore",
                actual: Vec::new(),
            },
            KeylessError::TokenSourceFailed {
                source_name: src,
                source: TokenCommandError::Spawn {
                    program: String::new(),
                    source: io(),
                },
            },
            KeylessError::SigningConfig {
                origin: String::new(),
                source: SigningConfigError::NoFulcio,
            },
            KeylessError::Service {
                service: Service::Fulcio,
                url: String::new(),
                status: None,
                attempts: 1,
                message: String::new(),
                source: None,
            },
            KeylessError::Statement(Box::new(io())),
            KeylessError::Setup {
                part: "HTTP client",
                source: Box::new(io()),
            },
            KeylessError::Bundle(BundleFault::NoCertificate),
            KeylessError::Artifact {
                path: "a".into(),
                source: io(),
            },
        ];
        let docs = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnostics.md"),
        )
        .unwrap_or_default();
        let mut seen = std::collections::BTreeSet::new();
        for e in &all {
            assert!(seen.insert(e.code()), "duplicate {}", e.code());
            assert!(
                docs.contains(&format!("| `{}` |", e.code())),
                "undocumented {}",
                e.code()
            );
        }
    }
}
