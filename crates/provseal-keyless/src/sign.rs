//! The keyless signer: one ephemeral P-256 key per signing operation (in memory only), a Fulcio
//! certificate for it, one log entry, and a timestamp when the services include a TSA.
//!
//! The steps are sigstore-sign's service clients, put together here so that:
//! - the certificate can be requested before the content to sign is known
//!   ([`KeylessSigner::prefetch_certificate`]): it does not depend on the payload;
//! - the log entry and the timestamp, which both need only the signature, are requested at the
//!   same time;
//! - a transient failure is retried for the one service that failed (a timestamp authority that
//!   fails after the log write never causes a second log entry).

use std::time::{Duration, Instant};

use sigstore_sign::bundle::BundleV03;
use sigstore_sign::crypto::{KeyPair, Sha256Hasher};
use sigstore_sign::fulcio::FulcioClient;
use sigstore_sign::rekor::{
    DsseEntry, HashedRekord, HashedRekordV2, RekorApiVersion, RekorClient, RekorV2Client,
    RekorV2KeyDetails,
};
use sigstore_sign::tsa::TimestampClient;
use sigstore_sign::types::{
    DerCertificate, DsseEnvelope, DsseSignature, KeyId, KindVersion, PayloadBytes, Sha256Hash,
    SignatureBytes, Statement, TimestampToken, TransparencyLogEntry,
};

use crate::error::{BundleFault, KeylessError, Service};
use crate::http::{retry_async, transient_status, Http};
use crate::services::Services;
use crate::token::{acquire_token, CheckedToken, TokenSource, TokenSources};

/// A token this close to its expiry is fetched again before signing, where its source can hand
/// out another one (CI tokens live minutes; a build may take longer).
const REFRESH_MARGIN_SECONDS: i64 = 60;

/// A prefetched certificate this close to its `notAfter` is not used: the log entry and the
/// timestamp must fall inside its validity, so a fresh one is requested instead.
const CERTIFICATE_MARGIN_SECONDS: i64 = 60;

/// The DSSE payload type of an in-toto statement.
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A signed Sigstore bundle v0.3 and its signing certificate.
#[derive(Debug, Clone)]
pub struct SignedBundle {
    /// The bundle, one line of JSON (no trailing newline).
    pub json: Vec<u8>,
    /// The Fulcio certificate (DER): read the identity from it.
    pub certificate_der: Vec<u8>,
    /// The most attempts any one service needed (1 unless a transient error was retried).
    pub attempts: u32,
    /// Where the time went, for `-v`.
    pub timings: Timings,
}

/// How long each step of one signing operation took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timings {
    /// The certificate request to Fulcio, retries included (Fulcio waits for the CT log's SCT).
    pub fulcio: Duration,
    /// How long signing waited for the certificate: all of [`Timings::fulcio`] unless it was
    /// prefetched, and nothing when a prefetched one was already there.
    pub certificate_wait: Duration,
    /// Signing with the ephemeral key.
    pub signing: Duration,
    /// The transparency log request, retries included (Rekor v2 answers once a checkpoint
    /// covers the entry).
    pub rekor: Duration,
    /// The timestamp request, when the services include a TSA; it runs alongside the log's.
    pub tsa: Option<Duration>,
    /// From the call to the finished bundle.
    pub total: Duration,
}

/// The ephemeral key and its certificate.
struct Certified {
    key_pair: KeyPair,
    certificate: DerCertificate,
    /// The certificate's `notAfter`, in Unix seconds.
    not_after: i64,
    fulcio: Duration,
    attempts: u32,
}

impl std::fmt::Debug for Certified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certified")
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

type CertifyResult = Result<Certified, (sigstore_sign::Error, u32)>;

/// What one signing operation signs.
enum Content<'a> {
    /// An in-toto statement, as a DSSE envelope.
    Statement(&'a [u8]),
    /// A blob's SHA-256, as a message signature.
    Digest(Sha256Hash),
}

/// Signs statements and blobs with the CI's identity. See the crate docs.
#[derive(Debug)]
pub struct KeylessSigner {
    http: Http,
    services: Services,
    token: std::sync::Mutex<CheckedToken>,
    sources: Option<TokenSources>,
    prefetched: std::sync::Mutex<Option<tokio::task::JoinHandle<CertifyResult>>>,
}

impl KeylessSigner {
    /// A signer for `token` (already checked) submitting to `services` through `http`.
    pub fn new(token: CheckedToken, services: Services, http: Http) -> KeylessSigner {
        KeylessSigner {
            http,
            services,
            token: std::sync::Mutex::new(token),
            sources: None,
            prefetched: std::sync::Mutex::new(None),
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

    /// Starts the next signing operation's certificate request now, in the background, and
    /// returns at once: the caller hashes and builds its statement meanwhile, and the next
    /// [`KeylessSigner::sign_statement`] or [`KeylessSigner::sign_digest`] uses the
    /// certificate (waiting for it if it is still on its way). Still one Fulcio request per
    /// signing operation. Calling it again while a prefetch is pending does nothing.
    ///
    /// Call it only once the caller has decided to sign (`run` signs after the build, so it
    /// prefetches after the build, not before).
    ///
    /// # Errors
    /// [`KeylessError::TokenExpired`] if the token expired meanwhile. Service failures show at
    /// signing.
    pub fn prefetch_certificate(&self, now: jiff::Timestamp) -> Result<(), KeylessError> {
        let mut slot = self.pending();
        if slot.is_none() {
            let token = self.valid_token(now)?;
            let job = CertifyJob {
                http: self.http.client.clone(),
                options: self.http.options.clone(),
                fulcio: self.services.fulcio.clone(),
                token,
            };
            *slot = Some(self.http.spawn(job.run()));
        }
        Ok(())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Option<tokio::task::JoinHandle<CertifyResult>>> {
        self.prefetched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Signs an in-toto statement (its exact bytes) as a DSSE envelope
    /// (`application/vnd.in-toto+json`) in a bundle v0.3.
    ///
    /// # Errors
    /// [`KeylessError::Statement`] if the bytes are not an in-toto statement (before any
    /// request); [`KeylessError::TokenExpired`] if the token expired meanwhile;
    /// [`KeylessError::Service`] naming the failing service, its URL and status.
    pub fn sign_statement(
        &self,
        statement: &[u8],
        now: jiff::Timestamp,
    ) -> Result<SignedBundle, KeylessError> {
        if self.pending().is_none() {
            // An expired token is the first thing to say (the check is cheap once done).
            self.valid_token(now)?;
        }
        serde_json::from_slice::<Statement>(statement)
            .map_err(|e| KeylessError::Statement(Box::new(e)))?;
        self.sign_content(Content::Statement(statement), now)
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
        self.sign_content(Content::Digest(Sha256Hash::from(sha256)), now)
    }

    fn sign_content(
        &self,
        content: Content<'_>,
        now: jiff::Timestamp,
    ) -> Result<SignedBundle, KeylessError> {
        let started = Instant::now();
        let prefetched = self.pending().take();
        let usable = |c: &Certified| c.not_after - now.as_second() > CERTIFICATE_MARGIN_SECONDS;
        let certified = match prefetched.map(|handle| self.http.block_on(handle)) {
            Some(Ok(Ok(c))) if usable(&c) => c,
            Some(Ok(Err((e, attempts)))) => return Err(self.service_error(e, attempts)),
            // None prefetched, or it expired meanwhile: one request, now.
            _ => {
                let job = CertifyJob {
                    http: self.http.client.clone(),
                    options: self.http.options.clone(),
                    fulcio: self.services.fulcio.clone(),
                    token: self.valid_token(now)?,
                };
                self.http
                    .block_on(job.run())
                    .map_err(|(e, attempts)| self.service_error(e, attempts))?
            }
        };
        let certificate_wait = started.elapsed();
        let submit = Submit {
            http: &self.http,
            services: &self.services,
        };
        let (bundle, mut timings, attempts) = self
            .http
            .block_on(submit.run(certified, content))
            .map_err(|(e, attempts)| self.service_error(e, attempts))?;
        timings.certificate_wait = certificate_wait;
        timings.total = started.elapsed();
        let json = bundle
            .to_json()
            .map_err(|e| KeylessError::Bundle(BundleFault::Signer(Box::new(e))))?
            .into_bytes();
        Ok(SignedBundle {
            json,
            certificate_der: bundle
                .signing_certificate()
                .map(|c| c.as_bytes().to_vec())
                .ok_or_else(|| KeylessError::Bundle(BundleFault::NoCertificate))?,
            attempts,
            timings,
        })
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
                return KeylessError::Statement(Box::new(e))
            }
            _ => return KeylessError::Bundle(BundleFault::Signer(Box::new(e))),
        };
        KeylessError::Service {
            service,
            url: url.clone(),
            status,
            attempts,
            message: String::new(),
            source: Some(Box::new(e)),
        }
    }
}

/// One certificate request: a fresh key, and Fulcio's certificate for it. Owns what it needs,
/// so it can run in the background.
struct CertifyJob {
    http: sigstore_sign::reqwest::Client,
    options: crate::http::HttpOptions,
    fulcio: String,
    token: sigstore_sign::oidc::IdentityToken,
}

impl CertifyJob {
    async fn run(self) -> CertifyResult {
        let started = Instant::now();
        let key_pair = KeyPair::generate_ecdsa_p256().map_err(|e| (e.into(), 0))?;
        let client = FulcioClient::builder(&self.fulcio)
            .with_http_client(self.http)
            .build()
            .map_err(|e| (e.into(), 0))?;
        let (answer, attempts) = retry_async(
            &self.options,
            || client.create_signing_certificate(&self.token, &key_pair),
            fulcio_transient,
        )
        .await;
        let certificate = answer
            .map_err(|e| (e.into(), attempts))?
            .leaf_certificate()
            .clone();
        let info = sigstore_sign::crypto::x509::parse_certificate_info(&certificate)
            .map_err(|e| (e.into(), attempts))?;
        Ok(Certified {
            key_pair,
            certificate,
            not_after: info.not_after.as_second(),
            fulcio: started.elapsed(),
            attempts,
        })
    }
}

type Failed = (sigstore_sign::Error, u32);

/// Signing, then the log entry and the timestamp side by side, then the bundle.
struct Submit<'a> {
    http: &'a Http,
    services: &'a Services,
}

impl Submit<'_> {
    async fn run(
        &self,
        certified: Certified,
        content: Content<'_>,
    ) -> Result<(sigstore_sign::types::Bundle, Timings, u32), Failed> {
        let started = Instant::now();
        let Certified {
            key_pair,
            certificate,
            fulcio,
            attempts: fulcio_attempts,
            ..
        } = certified;
        let at_once = |e: sigstore_sign::crypto::Error| (e.into(), 0);
        let (builder, log, timestamp, signing) = match content {
            Content::Statement(bytes) => {
                let mut hasher = pae_hasher(IN_TOTO_PAYLOAD_TYPE, bytes.len());
                hasher.update(bytes);
                let (pae_hash, signature) = key_pair.sign_prehashed(hasher).map_err(at_once)?;
                let envelope = DsseEnvelope::new(
                    IN_TOTO_PAYLOAD_TYPE.to_owned(),
                    PayloadBytes::new(bytes.to_vec()),
                    DsseSignature::new(signature.clone(), KeyId::default()),
                );
                let signing = started.elapsed();
                let (log, timestamp) = tokio::join!(
                    self.log_entry(&pae_hash, &signature, &certificate, Some(&envelope)),
                    self.timestamp(&signature)
                );
                let builder = BundleV03::with_certificate_and_dsse(certificate, envelope);
                (builder, log, timestamp, signing)
            }
            Content::Digest(hash) => {
                let signature = key_pair.sign_digest(&hash).map_err(at_once)?;
                let signing = started.elapsed();
                let (log, timestamp) = tokio::join!(
                    self.log_entry(&hash, &signature, &certificate, None),
                    self.timestamp(&signature)
                );
                let builder =
                    BundleV03::with_certificate_and_signature(certificate, signature, hash);
                (builder, log, timestamp, signing)
            }
        };
        // The log's failure is the one to report when both fail: it is the one that matters.
        let (entry, log_attempts, rekor) = log;
        let entry = entry.map_err(|e| (e, log_attempts))?;
        let mut builder = builder.with_tlog_entry(entry);
        let mut tsa = None;
        let mut tsa_attempts = 0;
        if let Some((token, attempts, took)) = timestamp {
            builder = builder.with_rfc3161_timestamp(token.map_err(|e| (e, attempts))?);
            tsa = Some(took);
            tsa_attempts = attempts;
        }
        let timings = Timings {
            fulcio,
            signing,
            rekor,
            tsa,
            ..Timings::default()
        };
        let attempts = fulcio_attempts.max(log_attempts).max(tsa_attempts);
        Ok((builder.into_bundle(), timings, attempts))
    }

    /// One log entry: hashedrekord (v1 or v2) for a digest; for a DSSE envelope, a `dsse`
    /// entry on Rekor v1 and, as sigstore-sign does, a hashedrekord over the PAE on Rekor v2.
    async fn log_entry(
        &self,
        hash: &Sha256Hash,
        signature: &SignatureBytes,
        certificate: &DerCertificate,
        envelope: Option<&DsseEnvelope>,
    ) -> (
        Result<TransparencyLogEntry, sigstore_sign::Error>,
        u32,
        Duration,
    ) {
        let started = Instant::now();
        let url = self.services.rekor.as_str();
        let client = self.http.client.clone();
        let options = &self.http.options;
        let (result, attempts) = match self.services.inner.rekor_api_version() {
            RekorApiVersion::V1 => {
                let rekor = match RekorClient::builder(url).with_http_client(client).build() {
                    Ok(r) => r,
                    Err(e) => return (Err(e.into()), 0, started.elapsed()),
                };
                let v1 = |entry: Result<sigstore_sign::rekor::LogEntry, _>, kind| {
                    entry.and_then(|e: sigstore_sign::rekor::LogEntry| {
                        e.to_bundle_entry(kind).map_err(|e| {
                            sigstore_sign::rekor::Error::InvalidResponse(e.to_string())
                        })
                    })
                };
                match envelope {
                    Some(envelope) => {
                        let request = match DsseEntry::new(envelope, certificate) {
                            Ok(r) => r,
                            Err(e) => return (Err(e.into()), 0, started.elapsed()),
                        };
                        let (r, n) = retry_async(
                            options,
                            || rekor.create_dsse_entry(request.clone()),
                            rekor_transient,
                        )
                        .await;
                        (v1(r, KindVersion::DsseV001), n)
                    }
                    None => {
                        let request = HashedRekord::new(hash, signature, certificate);
                        let (r, n) = retry_async(
                            options,
                            || rekor.create_entry(request.clone()),
                            rekor_transient,
                        )
                        .await;
                        (v1(r, KindVersion::HashedRekordV001), n)
                    }
                }
            }
            _ => {
                let rekor = match RekorV2Client::builder(url).with_http_client(client).build() {
                    Ok(r) => r,
                    Err(e) => return (Err(e.into()), 0, started.elapsed()),
                };
                let request = HashedRekordV2::new_with_certificate(
                    hash,
                    signature,
                    certificate,
                    RekorV2KeyDetails::PkixEcdsaP256Sha256,
                );
                retry_async(
                    options,
                    || rekor.create_entry(request.clone()),
                    rekor_transient,
                )
                .await
            }
        };
        (result.map_err(Into::into), attempts, started.elapsed())
    }

    /// The RFC 3161 timestamp over the signature, when the services include a TSA.
    async fn timestamp(
        &self,
        signature: &SignatureBytes,
    ) -> Option<(Result<TimestampToken, sigstore_sign::Error>, u32, Duration)> {
        let url = self.services.tsa.as_deref()?;
        let started = Instant::now();
        let tsa = match TimestampClient::builder(url)
            .with_http_client(self.http.client.clone())
            .build()
        {
            Ok(t) => t,
            Err(e) => return Some((Err(e.into()), 0, started.elapsed())),
        };
        let (result, attempts) = retry_async(
            &self.http.options,
            || tsa.timestamp_signature(signature),
            tsa_transient,
        )
        .await;
        Some((result.map_err(Into::into), attempts, started.elapsed()))
    }
}

/// SHA-256 over DSSE's pre-authentication encoding, fed the header now and the body by the
/// caller: `"DSSEv1" SP len(type) SP type SP len(body) SP body`.
fn pae_hasher(payload_type: &str, body_len: usize) -> Sha256Hasher {
    let mut hasher = Sha256Hasher::new();
    hasher.update(format!("DSSEv1 {} {payload_type} {body_len} ", payload_type.len()).as_bytes());
    hasher
}

/// Transient: the connection failed or timed out, or the service answered 408, 429 or 5xx.
fn fulcio_transient(e: &sigstore_sign::fulcio::Error) -> bool {
    use sigstore_sign::fulcio::Error as E;
    match e {
        E::Http(_) => true,
        E::Status { status, .. } => transient_status(*status),
        _ => false,
    }
}

/// As [`fulcio_transient`].
fn rekor_transient(e: &sigstore_sign::rekor::Error) -> bool {
    use sigstore_sign::rekor::Error as E;
    match e {
        E::Http(_) => true,
        E::Status { status, .. } => transient_status(*status),
        _ => false,
    }
}

/// As [`fulcio_transient`]; the TSA client reports statuses only as text ("TSA returned status
/// 503 …").
fn tsa_transient(e: &sigstore_sign::tsa::Error) -> bool {
    matches!(e, sigstore_sign::tsa::Error::Http(msg) if !msg.contains("status 4"))
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
