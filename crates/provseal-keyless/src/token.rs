//! Where the identity token comes from: the sources in their fixed order, and the checks a token
//! passes before any build starts.
//!
//! The library never reads the environment: the caller hands over the values of the variables
//! ([`CiEnvironment`]) and the `--identity-token` argument ([`TokenArg`]).

use std::fmt;
use std::path::PathBuf;
use std::process::Command;

use sigstore_sign::oidc::IdentityToken;

use crate::error::{KeylessError, TokenCommandError, TokenFault, Tried};
use crate::http::Http;
pub use crate::source::{Secret, TokenSource};

/// The audience Fulcio accepts.
pub const SIGSTORE_AUDIENCE: &str = "sigstore";

/// The `--identity-token` argument, resolved by the caller.
#[derive(Debug, Clone)]
pub enum TokenArg {
    /// The token itself.
    Value(Secret),
    /// `@FILE`: a file holding the token.
    File(PathBuf),
    /// `env://VAR`: the variable's name and its value, if set.
    Env {
        /// The variable.
        name: String,
        /// Its value.
        value: Option<Secret>,
    },
}

impl TokenArg {
    /// Parses `VALUE`, `@FILE` or `env://VAR`; `lookup` reads a variable (the caller's
    /// environment).
    pub fn parse(arg: &str, lookup: impl Fn(&str) -> Option<String>) -> TokenArg {
        if let Some(path) = arg.strip_prefix('@') {
            TokenArg::File(PathBuf::from(path))
        } else if let Some(name) = arg.strip_prefix("env://") {
            TokenArg::Env {
                name: name.to_owned(),
                value: lookup(name).map(Secret::new),
            }
        } else {
            TokenArg::Value(Secret::new(arg))
        }
    }
}

/// The CI environment, as the caller read it. Empty values count as absent.
#[derive(Debug, Clone, Default)]
pub struct CiEnvironment {
    /// `SIGSTORE_ID_TOKEN`.
    pub sigstore_id_token: Option<Secret>,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
    pub actions_request_url: Option<String>,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (a bearer token for the request).
    pub actions_request_token: Option<Secret>,
    /// `GITLAB_CI` is `true`.
    pub gitlab_ci: bool,
    /// `BUILDKITE` is `true`.
    pub buildkite: bool,
    /// `CIRCLECI` is `true`.
    pub circleci: bool,
}

impl CiEnvironment {
    /// Reads the variables through `lookup` (the CLI passes `std::env::var`).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> CiEnvironment {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        CiEnvironment {
            sigstore_id_token: get("SIGSTORE_ID_TOKEN").map(Secret::new),
            actions_request_url: get("ACTIONS_ID_TOKEN_REQUEST_URL"),
            actions_request_token: get("ACTIONS_ID_TOKEN_REQUEST_TOKEN").map(Secret::new),
            gitlab_ci: get("GITLAB_CI").as_deref() == Some("true"),
            buildkite: get("BUILDKITE").as_deref() == Some("true"),
            circleci: get("CIRCLECI").as_deref() == Some("true"),
        }
    }
}

/// Everything a token may come from.
#[derive(Debug, Clone, Default)]
pub struct TokenSources {
    /// `--identity-token`, if given (tried first).
    pub argument: Option<TokenArg>,
    /// The CI environment.
    pub environment: CiEnvironment,
}

impl TokenSources {
    /// The sources in the order they are tried.
    pub fn order(&self) -> Vec<TokenSource> {
        let mut out = Vec::new();
        out.push(match &self.argument {
            Some(TokenArg::File(p)) => TokenSource::ArgumentFile(p.clone()),
            Some(TokenArg::Env { name, .. }) => TokenSource::ArgumentEnv(name.clone()),
            _ => TokenSource::ArgumentValue,
        });
        out.extend([
            TokenSource::SigstoreIdToken,
            TokenSource::GitHubActions,
            TokenSource::GitLab,
            TokenSource::Buildkite,
            TokenSource::CircleCi,
        ]);
        out
    }
}

/// A token that passed [`check_token`]: its claims (untrusted until Fulcio has seen the token)
/// and where it came from. The raw token stays inside.
#[derive(Clone)]
pub struct CheckedToken {
    pub(crate) token: IdentityToken,
    /// Where the token came from.
    pub source: TokenSource,
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// `exp`.
    pub expires: jiff::Timestamp,
}

impl fmt::Debug for CheckedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckedToken")
            .field("source", &self.source)
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("expires", &self.expires)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// Parses `raw` and checks it as Fulcio will: a JWT, `exp` after `now`, `aud` containing
/// `sigstore`. The signature is not checked here (Fulcio does that).
///
/// # Errors
/// [`KeylessError::TokenMalformed`], [`KeylessError::TokenExpired`],
/// [`KeylessError::TokenAudience`].
pub fn check_token(
    raw: &Secret,
    source: TokenSource,
    now: jiff::Timestamp,
) -> Result<CheckedToken, KeylessError> {
    let token = IdentityToken::from_jwt(raw.expose().trim()).map_err(|e| {
        KeylessError::TokenMalformed {
            source_name: source.clone(),
            // The crate's messages name the part that failed, never the token.
            source: TokenFault::Parse(e),
        }
    })?;
    let claims = token.claims();
    // sigstore-oidc is on another jiff line: carry the instant over as seconds.
    let expires = jiff::Timestamp::from_second(claims.exp.as_second()).map_err(|e| {
        KeylessError::TokenMalformed {
            source_name: source.clone(),
            source: TokenFault::ExpiryOutOfRange(e),
        }
    })?;
    if expires <= now {
        return Err(KeylessError::TokenExpired {
            source_name: source,
            expired_at: expires,
            now,
        });
    }
    if !claims.aud.contains(SIGSTORE_AUDIENCE) {
        let actual = match &claims.aud {
            sigstore_sign::oidc::Audience::Single(s) => vec![s.clone()],
            sigstore_sign::oidc::Audience::Multiple(v) => v.clone(),
            _ => Vec::new(),
        };
        return Err(KeylessError::TokenAudience {
            source_name: source,
            expected: SIGSTORE_AUDIENCE,
            actual,
        });
    }
    Ok(CheckedToken {
        issuer: claims.iss.clone(),
        subject: claims.sub.clone(),
        expires,
        source,
        token,
    })
}

/// Finds the first token among `sources` (in [`TokenSources::order`]) and checks it with
/// [`check_token`]. A source that is present but fails is an error: later sources are not
/// tried, so the token used is always the one the order promises.
///
/// # Errors
/// [`KeylessError::NoToken`] listing every source tried, or the error of the first present
/// source.
pub fn acquire_token(
    sources: &TokenSources,
    http: &Http,
    now: jiff::Timestamp,
) -> Result<CheckedToken, KeylessError> {
    let mut tried = Vec::new();
    let env = &sources.environment;
    // 1. The argument.
    match &sources.argument {
        Some(TokenArg::Value(v)) => return check_token(v, TokenSource::ArgumentValue, now),
        Some(TokenArg::File(path)) => {
            let text = fs_err::read_to_string(path).map_err(|source| KeylessError::TokenFile {
                path: path.clone(),
                source,
            })?;
            let secret = Secret::new(text);
            return check_token(&secret, TokenSource::ArgumentFile(path.clone()), now);
        }
        Some(TokenArg::Env { name, value }) => match value {
            Some(v) => return check_token(v, TokenSource::ArgumentEnv(name.clone()), now),
            None => tried.push(Tried {
                source: TokenSource::ArgumentEnv(name.clone()),
                outcome: "the variable is not set".into(),
            }),
        },
        None => tried.push(Tried {
            source: TokenSource::ArgumentValue,
            outcome: "not given".into(),
        }),
    }
    // 2. SIGSTORE_ID_TOKEN.
    match &env.sigstore_id_token {
        Some(v) => return check_token(v, TokenSource::SigstoreIdToken, now),
        None => tried.push(Tried {
            source: TokenSource::SigstoreIdToken,
            outcome: "not set".into(),
        }),
    }
    // 3. GitHub Actions.
    match (&env.actions_request_url, &env.actions_request_token) {
        (Some(url), Some(bearer)) => {
            let raw = http.github_actions_token(url, bearer, SIGSTORE_AUDIENCE)?;
            return check_token(&raw, TokenSource::GitHubActions, now);
        }
        (None, None) => tried.push(Tried {
            source: TokenSource::GitHubActions,
            outcome: "not in GitHub Actions".into(),
        }),
        (url, _) => tried.push(Tried {
            source: TokenSource::GitHubActions,
            outcome: format!(
                "only `{}` is set (the job needs `permissions: id-token: write`)",
                if url.is_some() {
                    "ACTIONS_ID_TOKEN_REQUEST_URL"
                } else {
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
                }
            ),
        }),
    }
    // 4. GitLab: its tokens arrive as variables named in `id_tokens`; SIGSTORE_ID_TOKEN was
    //    looked at above.
    tried.push(Tried {
        source: TokenSource::GitLab,
        outcome: if env.gitlab_ci {
            "in GitLab CI, but the job declares no `id_tokens: SIGSTORE_ID_TOKEN: {aud: sigstore}`"
                .into()
        } else {
            "not in GitLab CI".into()
        },
    });
    // 5. Buildkite.
    if env.buildkite {
        let raw = command_token(
            TokenSource::Buildkite,
            "buildkite-agent",
            &["oidc", "request-token", "--audience", SIGSTORE_AUDIENCE],
        )?;
        return check_token(&raw, TokenSource::Buildkite, now);
    }
    tried.push(Tried {
        source: TokenSource::Buildkite,
        outcome: "not in Buildkite".into(),
    });
    // 6. CircleCI.
    if env.circleci {
        let claims = format!(r#"{{"aud":"{SIGSTORE_AUDIENCE}"}}"#);
        let raw = command_token(
            TokenSource::CircleCi,
            "circleci",
            &["run", "oidc", "get", "--claims", &claims],
        )?;
        return check_token(&raw, TokenSource::CircleCi, now);
    }
    tried.push(Tried {
        source: TokenSource::CircleCi,
        outcome: "not in CircleCI".into(),
    });
    Err(KeylessError::NoToken { tried })
}

/// Runs a CI agent's token command; its stdout is the token.
fn command_token(
    source: TokenSource,
    program: &str,
    args: &[&str],
) -> Result<Secret, KeylessError> {
    let output =
        Command::new(program)
            .args(args)
            .output()
            .map_err(|e| KeylessError::TokenSourceFailed {
                source_name: source.clone(),
                source: TokenCommandError::Spawn {
                    program: program.to_owned(),
                    source: e,
                },
            })?;
    let stdout = Secret::new(String::from_utf8_lossy(&output.stdout).trim().to_owned());
    if !output.status.success() {
        return Err(KeylessError::TokenSourceFailed {
            source_name: source,
            source: TokenCommandError::Failed {
                program: program.to_owned(),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            },
        });
    }
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    fn jwt(claims: &serde_json::Value) -> Secret {
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let p = URL_SAFE_NO_PAD.encode(claims.to_string());
        Secret::new(format!("{h}.{p}.c2lnbmF0dXJl"))
    }

    fn now() -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_800_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    fn claims(exp: i64, aud: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:org/app:ref:refs/tags/v1", "aud": aud, "exp": exp, "iat": exp - 600})
    }

    #[test]
    fn a_good_token_passes_and_debug_hides_it() {
        let t = jwt(&claims(1_800_000_600, "sigstore".into()));
        let c = check_token(&t, TokenSource::ArgumentValue, now()).expect("valid");
        assert_eq!(c.subject, "repo:org/app:ref:refs/tags/v1");
        let shown = format!("{c:?} {t:?}");
        assert!(!shown.contains(t.expose()), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn audience_list_is_accepted_when_it_holds_sigstore() {
        let t = jwt(&claims(1_800_000_600, serde_json::json!(["x", "sigstore"])));
        assert!(check_token(&t, TokenSource::SigstoreIdToken, now()).is_ok());
    }

    #[test]
    fn expired_wrong_audience_and_garbage_are_refused_without_the_token() {
        let expired = jwt(&claims(1_700_000_000, "sigstore".into()));
        let e = check_token(&expired, TokenSource::SigstoreIdToken, now()).unwrap_err();
        assert!(matches!(e, KeylessError::TokenExpired { .. }), "{e}");
        assert!(!e.to_string().contains(expired.expose()));

        let wrong = jwt(&claims(1_800_000_600, "other".into()));
        let e = check_token(&wrong, TokenSource::SigstoreIdToken, now()).unwrap_err();
        assert_eq!(e.code(), "keyless-token-audience");
        assert!(e.to_string().contains("\"other\""), "{e}");

        let garbage = Secret::new("not-a-jwt-SECRETPART");
        let e = check_token(&garbage, TokenSource::ArgumentValue, now()).unwrap_err();
        assert_eq!(e.code(), "keyless-token-malformed");
        let text = provseal_model::one_line(&e);
        assert!(text.ends_with("Token error: invalid JWT format"), "{text}");
        assert!(!text.contains("SECRETPART"), "{text}");
    }

    #[test]
    fn nothing_found_lists_every_source_in_order() {
        let http = Http::new(&crate::HttpOptions::default()).expect("client");
        let e = acquire_token(&TokenSources::default(), &http, now()).unwrap_err();
        let KeylessError::NoToken { tried } = &e else {
            panic!("unexpected {e}");
        };
        let order: Vec<TokenSource> = tried.iter().map(|t| t.source.clone()).collect();
        assert_eq!(order, TokenSources::default().order());
        let text = e.to_string();
        assert!(
            text.contains("1. the identity-token argument: not given"),
            "{text}"
        );
        assert!(text.contains("6. CircleCI"), "{text}");
    }

    #[test]
    fn argument_wins_over_environment_and_env_reference_is_resolved() {
        let good = jwt(&claims(1_800_000_600, "sigstore".into()));
        let other = jwt(
            &serde_json::json!({"iss": "https://other", "sub": "s", "aud": "sigstore",
            "exp": 1_800_000_600}),
        );
        let sources = TokenSources {
            argument: Some(TokenArg::parse("env://MY_TOKEN", |n| {
                (n == "MY_TOKEN").then(|| other.expose().to_owned())
            })),
            environment: CiEnvironment {
                sigstore_id_token: Some(good),
                ..CiEnvironment::default()
            },
        };
        let http = Http::new(&crate::HttpOptions::default()).expect("client");
        let c = acquire_token(&sources, &http, now()).expect("token");
        assert_eq!(c.source, TokenSource::ArgumentEnv("MY_TOKEN".into()));
        assert_eq!(c.issuer, "https://other");
    }

    #[test]
    fn unset_env_reference_falls_through_and_half_github_is_explained() {
        let sources = TokenSources {
            argument: Some(TokenArg::parse("env://NOPE", |_| None)),
            environment: CiEnvironment::from_lookup(|n| {
                (n == "ACTIONS_ID_TOKEN_REQUEST_URL").then(|| "http://127.0.0.1:1/x".to_owned())
            }),
        };
        let http = Http::new(&crate::HttpOptions::default()).expect("client");
        let text = acquire_token(&sources, &http, now())
            .unwrap_err()
            .to_string();
        assert!(text.contains("`NOPE`"), "{text}");
        assert!(text.contains("id-token: write"), "{text}");
    }

    #[test]
    fn token_file_that_is_missing_names_the_file() {
        let sources = TokenSources {
            argument: Some(TokenArg::parse("@/nonexistent/token", |_| None)),
            ..TokenSources::default()
        };
        let http = Http::new(&crate::HttpOptions::default()).expect("client");
        let e = acquire_token(&sources, &http, now()).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/token"), "{e}");
    }
}
