//! provseal-keyless: sign with the CI's own identity instead of a key.
//!
//! A CI job's OIDC identity token (GitHub Actions, GitLab, Buildkite, CircleCI, or one handed
//! over explicitly) is exchanged at Fulcio for a short-lived certificate over an ephemeral
//! P-256 key; the signature goes into a transparency log (Rekor v1, or Rekor v2 with an RFC 3161
//! timestamp) and everything lands in one Sigstore bundle v0.3. The service clients, the
//! ephemeral key and the bundle are [`sigstore_sign`]'s; this crate adds the order in which
//! token sources are tried ([`acquire_token`]), the checks a token passes before a build starts
//! ([`check_token`]), the choice of services ([`choose_services`]) and bounded retries with a
//! timeout on every request ([`HttpOptions`]). It is the only provseal crate that speaks HTTP;
//! it keeps its async runtime to itself and offers a synchronous API.
//!
//! ```no_run
//! use provseal_keyless::{
//!     acquire_token, choose_services, CiEnvironment, Http, HttpOptions, KeylessSigner,
//!     SigningConfigSource, TokenSources,
//! };
//!
//! let http = Http::new(&HttpOptions::default())?;
//! let sources = TokenSources {
//!     argument: None,
//!     environment: CiEnvironment::from_lookup(|name| std::env::var(name).ok()),
//! };
//! let now = jiff::Timestamp::now();
//! let token = acquire_token(&sources, &http, now)?;
//! let services = choose_services(&SigningConfigSource::BuiltIn, None)?;
//! let signer = KeylessSigner::new(token, services, http);
//! let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"https://example.com/p","predicate":{}}"#;
//! let signed = signer.sign_statement(statement, now)?;
//! std::fs::write("a.sigstore.json", &signed.json)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod http;
mod services;
mod sign;
mod source;
mod token;

pub use error::{
    BundleFault, KeylessError, Service, SigningConfigError, TokenCommandError, TokenFault, Tried,
};
pub use http::{Http, HttpOptions};
pub use services::{
    builtin_signing_config_date, builtin_signing_config_json, choose_services, Services,
    SigningConfigSource,
};
pub use sign::{KeylessSigner, SignedBundle, Timings};
pub use token::{
    acquire_token, check_token, CheckedToken, CiEnvironment, Secret, TokenArg, TokenSource,
    TokenSources, SIGSTORE_AUDIENCE,
};
