//! The keyless signer: one ephemeral P-256 key per signing operation (in memory only, inside
//! sigstore-sign), a Fulcio certificate for it, one log entry, and a timestamp when the
//! services include a TSA.

use sigstore_sign::types::{Bundle, Sha256Hash};
use sigstore_sign::SigningContext;

use crate::error::{KeylessError, Service};
use crate::http::{transient_status, Http};
use crate::services::Services;
use crate::token::CheckedToken;

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
    token: CheckedToken,
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
            token,
            context,
        }
    }

    /// The services in use.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The token's claims and source.
    pub fn token(&self) -> &CheckedToken {
        &self.token
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
        self.still_valid(now)?;
        let signer = self.context.signer(self.token.token.clone());
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
        self.still_valid(now)?;
        let digest = Sha256Hash::from(sha256);
        let signer = self.context.signer(self.token.token.clone());
        let (result, attempts) = self.http.retry(|| signer.sign(digest), is_transient);
        self.finish(result, attempts)
    }

    fn still_valid(&self, now: jiff::Timestamp) -> Result<(), KeylessError> {
        if self.token.expires <= now {
            return Err(KeylessError::TokenExpired {
                source_name: self.token.source.clone(),
                expired_at: self.token.expires,
                now,
            });
        }
        Ok(())
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
