//! The test OIDC issuer of the local Sigstore stack — the one permitted stand-in.
//!
//! Fulcio, the logs, the TSA and cosign are the real programs (`scripts/sigstore-stack`); only
//! the identity provider is ours, because GitHub's cannot be run locally. It behaves like
//! `https://token.actions.githubusercontent.com` as far as Sigstore clients and Fulcio's
//! `github-workflow` issuer type can tell:
//!
//! - `GET /.well-known/openid-configuration` — the discovery document;
//! - `GET /.well-known/jwks` — the RS256 public key as a JWK set;
//! - `GET /actions/token?api-version=2.0[&audience=A]` with
//!   `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` — GitHub's
//!   `ACTIONS_ID_TOKEN_REQUEST_URL` endpoint, answering `{"count": 1, "value": JWT}`.
//!
//! Its state lives in one directory (`DIR/oidc/`): the PKCS#8 RSA key, the issuer URL and the
//! request token, so a second process ([`Issuer::open`]) can mint more tokens for the same issuer.
//!
//! ```no_run
//! let dir = std::path::Path::new("/tmp/stack");
//! let issuer = provseal_testsupport::oidc::Issuer::open(dir).unwrap();
//! let expired = issuer.mint(&[("exp", "-3600")]).unwrap();
//! # let _ = expired;
//! ```

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// The identity the stack's default token carries (the SAN Fulcio writes is
/// `https://github.com/` + this).
pub const DEFAULT_JOB_WORKFLOW_REF: &str =
    "provseal-test/app/.github/workflows/release.yml@refs/tags/v1.0.0";
/// The repository of the default token.
pub const DEFAULT_REPOSITORY: &str = "provseal-test/app";
/// The commit of the default token.
pub const DEFAULT_SHA: &str = "8f4e2a1c3b5d7e9f0a1b2c3d4e5f60718293a4b5";
/// The audience Sigstore clients ask for.
pub const SIGSTORE_AUDIENCE: &str = "sigstore";
/// Lifetime of a minted token, in seconds (GitHub's are valid for a few minutes; ours for long
/// enough that a slow test run does not see one expire).
pub const TOKEN_LIFETIME_SECS: i64 = 3600;

/// What went wrong in the test issuer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// A state file could not be read or written.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The key file is not an RSA PKCS#8 key, or key generation failed.
    #[error("`{}` is not a usable RSA PKCS#8 key", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
    },
    /// A claim override is not `NAME=VALUE`, or a time claim is not a number.
    #[error(
        "claim override `{given}` is not NAME=VALUE (time claims take epoch seconds or ±SECONDS from now)"
    )]
    BadClaim {
        /// The override as given.
        given: String,
    },
    /// Signing (or drawing randomness) failed.
    #[error("RS256 signing failed")]
    Sign,
}

fn read(path: &Path) -> Result<Vec<u8>, OidcError> {
    std::fs::read(path).map_err(|source| OidcError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), OidcError> {
    let io = |source| OidcError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// The issuer's state directory inside a stack directory.
pub fn state_dir(stack_dir: &Path) -> PathBuf {
    stack_dir.join("oidc")
}

/// A test OIDC issuer: an RSA key, its URL and the Actions request token.
pub struct Issuer {
    key: RsaKeyPair,
    kid: String,
    url: String,
    request_token: String,
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("url", &self.url)
            .field("kid", &self.kid)
            .field("key", &"[redacted]")
            .field("request_token", &"[redacted]")
            .finish()
    }
}

impl Issuer {
    /// Creates a fresh issuer at `url` with its state in `stack_dir/oidc/` (a new RSA-2048 key and
    /// request token; files written 0600 where it matters).
    pub fn create(stack_dir: &Path, url: &str) -> Result<Self, OidcError> {
        let dir = state_dir(stack_dir);
        std::fs::create_dir_all(&dir).map_err(|source| OidcError::Io {
            path: dir.clone(),
            source,
        })?;
        let key_path = dir.join("key.p8");
        let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| OidcError::Key {
            path: key_path.clone(),
        })?;
        let der = key.as_der().map_err(|_| OidcError::Key {
            path: key_path.clone(),
        })?;
        write_private(&key_path, der.as_ref())?;
        let mut raw = [0u8; 24];
        SystemRandom::new()
            .fill(&mut raw)
            .map_err(|_| OidcError::Sign)?;
        let request_token = B64URL.encode(raw);
        write_private(&dir.join("request-token"), request_token.as_bytes())?;
        write(&dir.join("issuer"), url.as_bytes())?;
        Self::open(stack_dir)
    }

    /// Opens the issuer whose state is in `stack_dir/oidc/`.
    pub fn open(stack_dir: &Path) -> Result<Self, OidcError> {
        let dir = state_dir(stack_dir);
        let key_path = dir.join("key.p8");
        let key = RsaKeyPair::from_pkcs8(&read(&key_path)?).map_err(|_| OidcError::Key {
            path: key_path.clone(),
        })?;
        let text = |name: &str| -> Result<String, OidcError> {
            let p = dir.join(name);
            String::from_utf8(read(&p)?)
                .map(|s| s.trim().to_owned())
                .map_err(|_| OidcError::Key { path: p })
        };
        let url = text("issuer")?;
        let request_token = text("request-token")?;
        let n = key.public_key().modulus().big_endian_without_leading_zero();
        let kid = hex_prefix(&aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, n));
        Ok(Self {
            key,
            kid,
            url,
            request_token,
        })
    }

    /// The issuer URL (the `iss` claim; what Fulcio's config and `--certificate-oidc-issuer` name).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The value of `ACTIONS_ID_TOKEN_REQUEST_TOKEN` this issuer accepts.
    pub fn request_token(&self) -> &str {
        &self.request_token
    }

    /// The value of `ACTIONS_ID_TOKEN_REQUEST_URL` (clients append `&audience=…`).
    pub fn request_url(&self) -> String {
        format!("{}/actions/token?api-version=2.0", self.url)
    }

    /// The JWK set with the issuer's public key.
    pub fn jwks(&self) -> Value {
        let pk = self.key.public_key();
        json!({"keys": [{
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": B64URL.encode(pk.modulus().big_endian_without_leading_zero()),
            "e": B64URL.encode(pk.exponent().big_endian_without_leading_zero()),
        }]})
    }

    /// The OpenID discovery document.
    pub fn discovery(&self) -> Value {
        json!({
            "issuer": self.url,
            "jwks_uri": format!("{}/.well-known/jwks", self.url),
            "subject_types_supported": ["public", "pairwise"],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid"],
            "claims_supported": default_claims(&self.url, 0).keys().collect::<Vec<_>>(),
        })
    }

    /// Mints an RS256 token with every GitHub Actions claim for the default identity
    /// ([`DEFAULT_JOB_WORKFLOW_REF`]), audience `sigstore`, valid for [`TOKEN_LIFETIME_SECS`].
    ///
    /// `overrides` replace claims: `("job_workflow_ref", "o/r/.github/workflows/x.yml@refs/heads/main")`
    /// for another identity, `("aud", "other")`, `("exp", "-60")` for an expired token. The time
    /// claims (`exp`, `iat`, `nbf`) take epoch seconds, or `+N`/`-N` seconds from now; an empty
    /// value removes the claim.
    pub fn mint(&self, overrides: &[(&str, &str)]) -> Result<String, OidcError> {
        let now = now_secs();
        let mut claims = default_claims(&self.url, now);
        for (name, value) in overrides {
            if value.is_empty() {
                claims.remove(*name);
                continue;
            }
            let v = match *name {
                "exp" | "iat" | "nbf" => {
                    Value::from(time_value(value, now).ok_or_else(|| OidcError::BadClaim {
                        given: format!("{name}={value}"),
                    })?)
                }
                _ => Value::from(*value),
            };
            claims.insert((*name).to_owned(), v);
        }
        if overrides.iter().any(|(n, _)| *n == "job_workflow_ref")
            && !overrides.iter().any(|(n, _)| *n == "sub")
        {
            // Keep `sub` consistent with the identity, as GitHub does.
            let repo = claims["repository"].as_str().unwrap_or_default().to_owned();
            let r#ref = claims["ref"].as_str().unwrap_or_default().to_owned();
            claims.insert("sub".into(), format!("repo:{repo}:ref:{}", r#ref).into());
        }
        self.sign(&Value::Object(claims))
    }

    fn sign(&self, claims: &Value) -> Result<String, OidcError> {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| OidcError::Sign)?;
        Ok(format!("{signing_input}.{}", B64URL.encode(sig)))
    }

    /// Serves the discovery document, the JWKS and the Actions token endpoint on `server` until
    /// the process ends. Each request is logged as one line to `log` (never a token).
    pub fn serve(&self, server: &tiny_http::Server, log: &mut dyn std::io::Write) {
        for mut request in server.incoming_requests() {
            let url = request.url().to_owned();
            let (path, query) = url.split_once('?').unwrap_or((&url, ""));
            let (status, body) = match (request.method(), path) {
                (tiny_http::Method::Get, "/.well-known/openid-configuration") => {
                    (200, self.discovery())
                }
                (tiny_http::Method::Get, "/.well-known/jwks") => (200, self.jwks()),
                (tiny_http::Method::Get, "/actions/token") => self.actions_token(&request, query),
                _ => (404, json!({"message": "Not Found"})),
            };
            // Drain any body so the connection stays usable.
            let _ = std::io::copy(&mut request.as_reader().take(1 << 20), &mut std::io::sink());
            let _ = writeln!(log, "{} {} -> {status}", request.method(), path);
            let header =
                tiny_http::Header::from_bytes("Content-Type", "application/json").expect("header");
            let response = tiny_http::Response::from_string(body.to_string())
                .with_status_code(status)
                .with_header(header);
            let _ = request.respond(response);
        }
    }

    fn actions_token(&self, request: &tiny_http::Request, query: &str) -> (u16, Value) {
        let authorized = request.headers().iter().any(|h| {
            h.field.equiv("Authorization")
                && h.value
                    .as_str()
                    .split_once(' ')
                    .is_some_and(|(scheme, tok)| {
                        scheme.eq_ignore_ascii_case("bearer")
                            && constant_time_eq(
                                tok.trim().as_bytes(),
                                self.request_token.as_bytes(),
                            )
                    })
        });
        if !authorized {
            return (401, json!({"message": "Bad credentials"}));
        }
        let audience = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "audience")
            .map(|(_, v)| percent_decode(v));
        // Without `audience`, GitHub uses the repository owner's URL.
        let aud = audience.unwrap_or_else(|| "https://github.com/provseal-test".to_owned());
        match self.mint(&[("aud", &aud)]) {
            Ok(jwt) => (200, json!({"count": 1, "value": jwt})),
            Err(_) => (500, json!({"message": "signing failed"})),
        }
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), OidcError> {
    write(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| OidcError::Io {
                path: path.to_path_buf(),
                source,
            },
        )?;
    }
    Ok(())
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn time_value(value: &str, now: i64) -> Option<i64> {
    if let Some(rel) = value.strip_prefix('+') {
        return rel.parse::<i64>().ok().map(|s| now + s);
    }
    if value.starts_with('-') {
        return value.parse::<i64>().ok().map(|s| now + s);
    }
    value.parse().ok()
}

fn hex_prefix(digest: &aws_lc_rs::digest::Digest) -> String {
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every claim a GitHub Actions token carries, for the default identity, issued at `now`.
fn default_claims(issuer: &str, now: i64) -> Map<String, Value> {
    let repo = DEFAULT_REPOSITORY;
    let r#ref = "refs/tags/v1.0.0";
    let workflow_ref = DEFAULT_JOB_WORKFLOW_REF;
    let claims = json!({
        "iss": issuer,
        "sub": format!("repo:{repo}:ref:{ref}"),
        "aud": SIGSTORE_AUDIENCE,
        "iat": now,
        "nbf": now - 5,
        "exp": now + TOKEN_LIFETIME_SECS,
        "jti": format!("provseal-test-{now}"),
        "ref": r#ref,
        "ref_type": "tag",
        "ref_protected": "true",
        "sha": DEFAULT_SHA,
        "repository": repo,
        "repository_id": "123456789",
        "repository_owner": "provseal-test",
        "repository_owner_id": "98765432",
        "repository_visibility": "public",
        "actor": "provseal-bot",
        "actor_id": "11223344",
        "workflow": "Release",
        "workflow_ref": workflow_ref,
        "workflow_sha": DEFAULT_SHA,
        "job_workflow_ref": workflow_ref,
        "job_workflow_sha": DEFAULT_SHA,
        "event_name": "push",
        "run_id": "7654321098",
        "run_number": "42",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "head_ref": "",
        "base_ref": "",
        "environment": "release",
        "environment_node_id": "EN_kwDOtest",
    });
    match claims {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_part(token: &str, i: usize) -> Value {
        let part = token.split('.').nth(i).unwrap();
        serde_json::from_slice(&B64URL.decode(part).unwrap()).unwrap()
    }

    fn fresh_issuer() -> (tempfile::TempDir, Issuer) {
        let tmp = tempfile::tempdir().unwrap();
        let issuer = Issuer::create(tmp.path(), "http://127.0.0.1:1").unwrap();
        (tmp, issuer)
    }

    #[test]
    fn minted_tokens_verify_with_the_jwks_key_and_carry_the_overrides() {
        let (tmp, issuer) = fresh_issuer();
        let token = issuer
            .mint(&[("aud", "other"), ("exp", "-60"), ("actor", "")])
            .unwrap();
        let claims = decode_part(&token, 1);
        assert_eq!(claims["aud"], "other");
        assert!(claims["exp"].as_i64().unwrap() < now_secs());
        assert!(claims.get("actor").is_none());
        assert_eq!(claims["iss"], "http://127.0.0.1:1");
        // The signature checks out against the published JWK (n, e).
        let jwk = &issuer.jwks()["keys"][0];
        let n = B64URL.decode(jwk["n"].as_str().unwrap()).unwrap();
        let e = B64URL.decode(jwk["e"].as_str().unwrap()).unwrap();
        let (input, sig) = token.rsplit_once('.').unwrap();
        let pk = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e };
        pk.verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            input.as_bytes(),
            &B64URL.decode(sig).unwrap(),
        )
        .unwrap();
        // A flipped byte in the payload fails.
        let mut bad = input.as_bytes().to_vec();
        bad[input.len() - 3] ^= 1;
        assert!(pk
            .verify(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                &bad,
                &B64URL.decode(sig).unwrap()
            )
            .is_err());
        // A second process opening the same state mints for the same issuer and key.
        let again = Issuer::open(tmp.path()).unwrap();
        assert_eq!(again.jwks(), issuer.jwks());
    }

    #[test]
    fn another_identity_moves_sub_with_it_and_bad_times_are_refused() {
        let (_tmp, issuer) = fresh_issuer();
        let token = issuer
            .mint(&[
                (
                    "job_workflow_ref",
                    "other/repo/.github/workflows/x.yml@refs/heads/main",
                ),
                ("repository", "other/repo"),
                ("ref", "refs/heads/main"),
            ])
            .unwrap();
        assert_eq!(
            decode_part(&token, 1)["sub"],
            "repo:other/repo:ref:refs/heads/main"
        );
        assert!(matches!(
            issuer.mint(&[("exp", "soon")]),
            Err(OidcError::BadClaim { .. })
        ));
        assert!(!format!("{issuer:?}").contains(issuer.request_token()));
    }

    #[test]
    fn percent_decoding_of_the_audience() {
        assert_eq!(percent_decode("sigstore"), "sigstore");
        assert_eq!(percent_decode("https%3A%2F%2Fx"), "https://x");
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
