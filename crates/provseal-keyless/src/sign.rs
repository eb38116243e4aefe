//! The keyless signer: one ephemeral P-256 key per signing operation (in memory only, inside
//! sigstore-sign), a Fulcio certificate for it, one log entry, and a timestamp when the
//! services include a TSA.

use sigstore_sign::types::{Bundle, Sha256Hash};
use sigstore_sign::SigningContext;

use crate::error::{KeylessError, Service};
use crate::http::{transient_status, Http};
use crate::services::Services;
use crate::token::{acquire_token, CheckedToken, TokenSource, TokenSources};

/// A token this close to its expiry is fetched again before signing, where its source can hand
/// out another one (CI tokens live minutes; a build may take longer).
const REFRESH_MARGIN_SECONDS: i64 = 60;

/// A signed Sigstore bundle v0.3 and its signing certificate.
#[derive(Debug, Clone)]
pub struct SignedBundle {
    /// The bundle, one line of JSON (no trailing newline).
    pub json: Vec<u8>,
    /// The Fulcio certificate (DER): read the identity from it.
    pub certificate_der: Vec<u8>,
    /// The service attempts the signing operation took (1 unless a transient error was retried).
    pub attempts: u32,
}

/// Signs statements and blobs with the CI's identity. See the crate docs.
#[derive(Debug)]
pub struct KeylessSigner {
    http: Http,
    services: Services,
    token: std::sync::Mutex<CheckedToken>,
    sources: Option<TokenSources>,
    context: SigningContext,
}

impl KeylessSigner {
    /// A signer for `token` (already checked) submitting to `services` through `http`.
    pub fn new(token: CheckedToken, services: Services, http: Http) -> KeylessSigner {
        let context =
            SigningContext::new(services.inner.clone()).with_http_client(http.client.clone());
        KeylessSigner {
            http,
            services,
            token: std::sync::Mutex::new(token),
            sources: None,
            context,
        }
    }

    /// Lets the signer fetch a fresh token from `sources` when the one it holds is about to
    /// expire and came from a CI platform that hands out more (GitHub Actions, Buildkite,
    /// CircleCI) — for builds that outlast their token.
    pub fn with_sources(mut self, sources: TokenSources) -> KeylessSigner {
        self.sources = Some(sources);
        self
    }

    /// The services in use.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The token's claims and source.
    pub fn token(&self) -> CheckedToken {
        self.current().clone()
    }

    fn current(&self) -> std::sync::MutexGuard<'_, CheckedToken> {
        self.token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Signs an in-toto statement (its exact bytes) as a DSSE envelope
    /// (`application/vnd.in-toto+json`) in a bundle v0.3.
    ///
    /// # Errors
    /// [`KeylessError::TokenExpired`] if the token expired meanwhile; [`KeylessError::Service`]
    /// naming the failing service, its URL and status.
    pub fn sign_statement(
        &self,
        statement: &[u8],
        now: jiff::Timestamp,
    ) -> Result<SignedBundle, KeylessError> {
        let token = self.valid_token(now)?;
        let signer = self.context.signer(token);
        let (result, attempts) = self
            .http
            .retry(|| signer.sign_raw_statement(statement), is_transient);
        self.finish(result, attempts)
    }

    /// Signs a blob given its SHA-256 digest: a message signature in a bundle v0.3 (what
    /// `cosign sign-blob --bundle` writes).
    ///
    /// # Errors
    /// As [`KeylessSigner::sign_statement`].
    pub fn sign_digest(
        &self,
        sha256: [u8; 32],
        now: jiff::Timestamp,
    ) -> Result<SignedBundle, KeylessError> {
        let token = self.valid_token(now)?;
        let digest = Sha256Hash::from(sha256);
        let signer = self.context.signer(token);
        let (result, attempts) = self.http.retry(|| signer.sign(digest), is_transient);
        self.finish(result, attempts)
    }

    /// The token to sign with: the one held, or a fresh one from the same CI source when it is
    /// about to expire.
    fn valid_token(
        &self,
        now: jiff::Timestamp,
    ) -> Result<sigstore_sign::oidc::IdentityToken, KeylessError> {
        let mut held = self.current();
        let refreshable = matches!(
            held.source,
            TokenSource::GitHubActions | TokenSource::Buildkite | TokenSource::CircleCi
        );
        let soon = now
            .checked_add(jiff::SignedDuration::from_secs(REFRESH_MARGIN_SECONDS))
            .unwrap_or(now);
        if held.expires <= soon && refreshable {
            if let Some(sources) = &self.sources {
                let fresh = acquire_token(sources, &self.http, now)?;
                if fresh.source == held.source {
                    *held = fresh;
                }
            }
        }
        if held.expires <= now {
            return Err(KeylessError::TokenExpired {
                source_name: held.source.clone(),
                expired_at: held.expires,
                now,
            });
        }
        Ok(held.token.clone())
    }

    fn finish(
        &self,
        result: Result<Bundle, sigstore_sign::Error>,
        attempts: u32,
    ) -> Result<SignedBundle, KeylessError> {
        let bundle = result.map_err(|e| self.service_error(e, attempts))?;
        let certificate_der = bundle
            .signing_certificate()
            .map(|c| c.as_bytes().to_vec())
            .ok_or_else(|| KeylessError::Bundle("no signing certificate".into()))?;
        let json = bundle
            .to_json()
            .map_err(|e| KeylessError::Bundle(e.to_string()))?
            .into_bytes();
        Ok(SignedBundle {
            json,
            certificate_der,
            attempts,
        })
    }

    fn service_error(&self, e: sigstore_sign::Error, attempts: u32) -> KeylessError {
        use sigstore_sign::Error as E;
        let (service, url, status) = match &e {
            E::Fulcio(f) => (
                Service::Fulcio,
                &self.services.fulcio,
                match f {
                    sigstore_sign::fulcio::Error::Status { status, .. } => Some(*status),
                    _ => None,
                },
            ),
            E::Rekor(r) => (
                Service::Rekor,
                &self.services.rekor,
                match r {
                    sigstore_sign::rekor::Error::Status { status, .. } => Some(*status),
                    _ => None,
                },
            ),
            E::Tsa(_) => (
                Service::Tsa,
                self.services.tsa.as_ref().unwrap_or(&self.services.rekor),
                None,
            ),
            E::InvalidStatement(_) | E::UnsupportedArtifact(_) => {
                return KeylessError::Statement(e.to_string())
            }
            _ => return KeylessError::Bundle(e.to_string()),
        };
        KeylessError::Service {
            service,
            url: url.clone(),
            status,
            attempts,
            message: e.to_string(),
        }
    }
}

/// Transient: the connection failed or timed out, or the service answered 408, 429 or 5xx.
fn is_transient(e: &sigstore_sign::Error) -> bool {
    use sigstore_sign::Error as E;
    match e {
        E::Fulcio(sigstore_sign::fulcio::Error::Http(_))
        | E::Rekor(sigstore_sign::rekor::Error::Http(_)) => true,
        E::Fulcio(sigstore_sign::fulcio::Error::Status { status, .. })
        | E::Rekor(sigstore_sign::rekor::Error::Status { status, .. }) => transient_status(*status),
        // The TSA client reports statuses only as text ("TSA returned status 503 …").
        E::Tsa(sigstore_sign::tsa::Error::Http(msg)) => !msg.contains("status 4"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::net::TcpListener;

    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    use super::*;
    use crate::token::{check_token, CiEnvironment, Secret};
    use crate::{choose_services, HttpOptions, SigningConfigSource};

    fn jwt(exp: i64) -> String {
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        let p = URL_SAFE_NO_PAD.encode(
            serde_json::json!({"iss": "https://issuer", "sub": "s", "aud": "sigstore", "exp": exp})
                .to_string(),
        );
        format!("{h}.{p}.c2ln")
    }

    /// Services that are all down (closed loopback ports), Rekor v1 without a TSA.
    fn down_services(dir: &std::path::Path) -> Services {
        let closed = || {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .unwrap_or(1);
            format!("http://127.0.0.1:{port}")
        };
        let e = |url: String| {
            serde_json::json!({"url": url, "majorApiVersion": 1,
            "validFor": {"start": "2024-01-01T00:00:00Z"}})
        };
        let sc = serde_json::json!({"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [e(closed())], "rekorTlogUrls": [e(closed())]});
        let path = dir.join("sc.json");
        std::fs::write(&path, sc.to_string()).expect("write");
        choose_services(&SigningConfigSource::File(path), None).expect("services")
    }

    fn quick() -> HttpOptions {
        HttpOptions {
            attempts: 2,
            backoff: std::time::Duration::from_millis(10),
            ..HttpOptions::default()
        }
    }

    #[test]
    fn an_expired_token_is_refused_before_any_request() {
        let dir = tempfile::tempdir().expect("tmp");
        let now = jiff::Timestamp::now();
        let token = check_token(
            &Secret::new(jwt(now.as_second() + 5)),
            TokenSource::ArgumentValue,
            now,
        )
        .expect("valid now");
        let signer = KeylessSigner::new(
            token,
            down_services(dir.path()),
            Http::new(&quick()).expect("http"),
        );
        let later = now
            .checked_add(jiff::SignedDuration::from_secs(10))
            .expect("time");
        let e = signer.sign_statement(b"{}", later).unwrap_err();
        assert_eq!(e.code(), "keyless-token-expired", "{e}");
    }

    #[test]
    fn a_ci_token_about_to_expire_is_fetched_again_and_a_down_fulcio_is_named_with_attempts() {
        let dir = tempfile::tempdir().expect("tmp");
        let now = jiff::Timestamp::now();
        let fresh = jwt(now.as_second() + 3600);
        // GitHub's token endpoint: one answer with a fresh token.
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://{}/token?api-version=2.0",
            listener.local_addr().expect("addr")
        );
        let body = serde_json::json!({ "value": fresh }).to_string();
        let server = std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let n = conn.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                return request;
            }
            String::new()
        });
        let sources = TokenSources {
            argument: None,
            environment: CiEnvironment {
                actions_request_url: Some(url),
                actions_request_token: Some(Secret::new("request-token")),
                ..CiEnvironment::default()
            },
        };
        // The token held expires in 30 s: inside the refresh margin.
        let held = check_token(
            &Secret::new(jwt(now.as_second() + 30)),
            TokenSource::GitHubActions,
            now,
        )
        .expect("valid");
        let signer = KeylessSigner::new(
            held,
            down_services(dir.path()),
            Http::new(&quick()).expect("http"),
        )
        .with_sources(sources);
        let e = signer.sign_statement(br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}}],"predicateType":"p","predicate":{}}"#, now).unwrap_err();
        let request = server.join().expect("server");
        assert!(request.contains("audience=sigstore"), "{request}");
        assert!(request
            .to_ascii_lowercase()
            .contains("authorization: bearer request-token"));
        assert_eq!(signer.token().expires.as_second(), now.as_second() + 3600);
        match &e {
            KeylessError::Service {
                service,
                attempts,
                status,
                url,
                ..
            } => {
                assert_eq!((*service, *attempts, *status), (Service::Fulcio, 2, None));
                assert_eq!(url, &signer.services().fulcio);
            }
            other => panic!("unexpected {other}"),
        }
    }
}
