//! The words the token code and the errors share: where a token came from, and the secret
//! wrapper tokens travel in.

use std::fmt;
use std::path::PathBuf;

use zeroize::Zeroizing;

/// A secret string (a token): wiped on drop, `[redacted]` in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret itself: only for handing it to its one consumer.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One place an identity token may come from, in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// `--identity-token VALUE`.
    ArgumentValue,
    /// `--identity-token @FILE`.
    ArgumentFile(PathBuf),
    /// `--identity-token env://VAR`.
    ArgumentEnv(String),
    /// The `SIGSTORE_ID_TOKEN` variable (also GitLab's conventional `id_tokens` name).
    SigstoreIdToken,
    /// GitHub Actions: `ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    GitHubActions,
    /// GitLab CI (`GITLAB_CI=true`): an `id_tokens` entry named `SIGSTORE_ID_TOKEN`.
    GitLab,
    /// Buildkite: `buildkite-agent oidc request-token --audience sigstore`.
    Buildkite,
    /// CircleCI: `circleci run oidc get --claims {"aud":"sigstore"}`.
    CircleCi,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::ArgumentValue => f.write_str("the identity-token argument"),
            TokenSource::ArgumentFile(p) => write!(f, "the identity-token file `{}`", p.display()),
            TokenSource::ArgumentEnv(v) => write!(f, "the variable `{v}` (named by the identity-token argument)"),
            TokenSource::SigstoreIdToken => f.write_str("the variable `SIGSTORE_ID_TOKEN`"),
            TokenSource::GitHubActions => f.write_str(
                "GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, audience `sigstore`)",
            ),
            TokenSource::GitLab => f.write_str("GitLab CI (`id_tokens` entry `SIGSTORE_ID_TOKEN`)"),
            TokenSource::Buildkite => f.write_str("Buildkite (`buildkite-agent oidc request-token`)"),
            TokenSource::CircleCi => f.write_str("CircleCI (`circleci run oidc get`)"),
        }
    }
}
