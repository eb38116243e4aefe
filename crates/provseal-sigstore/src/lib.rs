//! Offline verification of the ecosystem's Sigstore bundles, and key-signed bundles of our own.
//!
//! GitHub artifact attestations, npm provenance, PyPI PEP 740 attestations, cosign and
//! slsa-github-generator all publish Sigstore bundles. This crate verifies them fully offline
//! against a `trusted_root.json` (or the production snapshot shipped inside provseal),
//! wrapping the `sigstore-verify` crate for the cryptography (certificate chain, SCT, Rekor
//! SET / inclusion proof / checkpoint, RFC 3161) and adding what provseal needs on top: strict
//! parsing, the structural rules of the conformance suite, an identity policy over every Fulcio
//! extension with errors that name field, expected and actual value, verify-once/match-many,
//! npm's attestations JSON, and key-signed bundle v0.3 output. See `docs/sigstore.md`.
//!
//! ```no_run
//! use provseal_sigstore::{verify_bundle, ArtifactInput, BundleSigner, IdentityPolicy,
//!     TrustedRoot, VerifyOptions};
//! # fn main() -> Result<(), provseal_sigstore::SigstoreError> {
//! let trust = TrustedRoot::production()?;
//! let policy = IdentityPolicy::exact(
//!     "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0",
//!     "https://token.actions.githubusercontent.com",
//! )
//! .with_repository("org/repo");
//! let bundle = std::fs::read("tool-1.0.tgz.sigstore.json").unwrap_or_default();
//! let artifact = std::fs::read("tool-1.0.tgz").unwrap_or_default();
//! let verified = verify_bundle(&bundle, "tool-1.0.tgz.sigstore.json",
//!     &ArtifactInput::Bytes(&artifact), &trust, BundleSigner::Identity(&policy),
//!     &VerifyOptions::default())?;
//! println!("signed at {:?} by {:?}", verified.signing_time, verified.identity());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod artifact;
mod conformance;
pub mod diag;
mod error;
mod identity;
mod json;
mod npm;
mod output;
mod pep740;
mod trust;
mod verify;

pub use artifact::{hash_hex, ArtifactInput, SignedSubject};
pub use conformance::conformance_verify;
pub use error::{CertificateError, Check, IdentityMismatch, SigstoreError};
pub use identity::{FulcioField, IdentityPolicy, Matcher, SignerIdentity};
pub use npm::{
    verify_npm_attestations, NpmExpectations, NpmVerified, GITHUB_HOSTED_RUNNER, GITHUB_RUNNER,
    NPM_PUBLISH_PREDICATE,
};
pub use output::{key_signed_bundle, public_key_hint, BUNDLE_V03};
pub use pep740::{
    parse_pep740_attestation, parse_pypi_provenance, pep740_to_bundle_json, Pep740Entry,
};
pub use trust::{
    parse_trust_material, TrustMaterial, TrustSummary, TrustedRoot, CLIENT_TRUST_CONFIG_V01,
    PRODUCTION_SNAPSHOT_DATE, SIGNING_CONFIG_V02, TRUSTED_ROOT_V01, TRUSTED_ROOT_V02,
};
pub use verify::{
    looks_like_bundle, verify_bundle, verify_many, verify_parsed, BundleJob, BundleSigner, KeyTlog,
    ParsedBundle, SctRequirement, SignedContent, TlogRequirement, VerifiedBundle, VerifiedSigner,
    VerifyOptions, BUNDLE_MEDIA_TYPES, IN_TOTO_PAYLOAD_TYPE, MAX_TIMESTAMPS,
};

/// SPKI DER from a `PUBLIC KEY` PEM; `source` names the input in errors.
pub fn spki_der_from_pem(pem: &str, source: &str) -> Result<Vec<u8>, SigstoreError> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "-----BEGIN PUBLIC KEY-----")
        .skip(1)
        .take_while(|l| *l != "-----END PUBLIC KEY-----")
        .collect();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|e| SigstoreError::malformed_because("public key", source, "not base64", e))?;
    if der.is_empty() {
        return Err(SigstoreError::malformed(
            "public key",
            source,
            "no `PUBLIC KEY` PEM block",
        ));
    }
    Ok(der)
}
