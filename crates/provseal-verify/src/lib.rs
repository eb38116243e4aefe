//! The provseal verification pipeline.
//!
//! For every attestation document: verify the signature (DSSE PAE with the given keys; batch
//! entries and Sigstore bundles through their crates), check the payload type, parse the
//! statement strictly from the signed bytes only; then, for every artifact, find a verified
//! statement that lists the artifact's digest as a subject and check the builder and source
//! constraints. Each artifact gets one [`ArtifactVerdict`]; nothing outside the signed bytes
//! is read for a decision.
//!
//! ```no_run
//! use provseal_verify::{load_attestations, verify_documents, verify_artifact, Artifact, VerifyOptions};
//! # fn demo(key: provseal_crypto::PublicKey, digests: provseal_model::DigestSet) {
//! let bytes = std::fs::read("dist/provenance.intoto.jsonl").unwrap();
//! let docs = load_attestations(&bytes, "dist/provenance.intoto.jsonl").unwrap();
//! let opts = VerifyOptions { keys: vec![key], ..Default::default() };
//! let verified = verify_documents(&docs, &opts);
//! let verdict = verify_artifact(&Artifact { name: "dist/a.tgz".into(), digests }, &verified, &opts);
//! println!("{}", verdict.line());
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::sync::Arc;

use crate::diag::Code;
use provseal_crypto::PublicKey;
use provseal_model::slsa::ProvenanceV1;
use provseal_model::{Cause, DigestSet, Statement};
use serde::Serialize;

pub mod blob;
pub mod detached;
pub mod diag;
pub mod input;
pub mod inspect;
mod load;
pub mod policy;
pub mod report;
pub mod session;
pub mod slsa_verifier;
pub mod vsa;

pub use input::{read_input, ArtifactError, InputError, InputKind};

pub use load::{
    attestation_candidates, load_attestations, AttestationDoc, LoadedDoc, Origin,
    MAX_ATTESTATION_BYTES,
};

/// How a failure counts: bad input (exit 2), or a definite "no" (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureClass {
    /// Unreadable or malformed input.
    Input,
    /// Signature, certificate or log proof.
    Authenticity,
    /// A rule: subject, builder, source, policy.
    Policy,
}

/// Why verification failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The attestation could not be parsed.
    #[error("`{origin}` is malformed{}", provseal_model::colon(reason))]
    Malformed {
        /// File (and line).
        origin: String,
        /// No underlying cause: what is wrong, as a fact, not an error's text (empty when
        /// `source` says it all).
        reason: String,
        /// The parser's or reader's error, when one reported it.
        #[source]
        source: Option<Cause>,
    },
    /// No signature verified with the trusted keys.
    #[error(
        "`{origin}`: signature does not verify{}",
        provseal_model::colon(reason)
    )]
    Signature {
        /// File (and line).
        origin: String,
        /// No underlying cause: which keys were tried and why none applies (empty when `source`
        /// says it all).
        reason: String,
        /// The verifier's error, when one reported it.
        #[source]
        source: Option<Cause>,
    },
    /// The signed payload is not an in-toto statement.
    #[error("`{origin}`: payloadType `{actual}` is not supported (expected `{expected}`)")]
    PayloadType {
        /// File (and line).
        origin: String,
        /// What we accept.
        expected: String,
        /// What the envelope says.
        actual: String,
    },
    /// The signed statement is invalid.
    #[error(
        "`{origin}`: the signed statement is invalid{}",
        provseal_model::colon(reason)
    )]
    Statement {
        /// File (and line).
        origin: String,
        /// No underlying cause: what is wrong, as a fact, not an error's text (empty when
        /// `source` says it all).
        reason: String,
        /// The parser's error, when one reported it.
        #[source]
        source: Option<Cause>,
    },
    /// This kind of attestation cannot be verified with the options given.
    #[error("`{origin}`: {reason}")]
    Unsupported {
        /// File (and line).
        origin: String,
        /// No underlying cause: what the options lack for this kind.
        reason: String,
    },
    /// The artifact's digest is not a subject of any verified statement.
    #[error("digest {digest} is not a subject of the statement (subjects: {subjects})")]
    SubjectNotFound {
        /// The artifact digest (`alg:hex`).
        digest: String,
        /// The subjects of the verified statements (name and expected digest; at most five).
        subjects: String,
    },
    /// A subject has the artifact's name but another digest: the file was rebuilt or modified
    /// after it was attested.
    #[error(
        "`{name}` is a subject of the statement, but with another digest: the statement records \
         {recorded}, the artifact has {actual} (rebuilt or modified since it was attested?)"
    )]
    SubjectDigestMismatch {
        /// The subject (and artifact) name.
        name: String,
        /// The digest the statement records for that name (`alg:hex`).
        recorded: String,
        /// The artifact's digest in the same algorithm (`alg:hex`).
        actual: String,
    },
    /// The builder id differs.
    #[error("builder.id: expected `{expected}`, found `{actual}`")]
    BuilderMismatch {
        /// Required.
        expected: String,
        /// Recorded.
        actual: String,
    },
    /// The artifact could not be read or named.
    #[error("cannot read artifact")]
    ArtifactUnreadable {
        /// Why: the argument names nothing readable, or hashing the file failed.
        #[source]
        source: ArtifactError,
    },
    /// An input file (the attestation, a detached signature) or the attestation directory cannot
    /// be used.
    #[error(transparent)]
    Input(InputError),
    /// A bare in-toto statement with no detached signature given or found beside it: nothing
    /// vouches for it.
    #[error("`{}` is an unsigned in-toto statement: nothing in it is signed", path.display())]
    Unsigned {
        /// The statement file.
        path: std::path::PathBuf,
    },
    /// The Verification Summary Attestation could not be made.
    #[error(transparent)]
    Vsa(vsa::VsaError),
    /// The Verification Summary Attestation could not be signed.
    #[error("cannot sign the VSA")]
    VsaSigning {
        /// The signer's error.
        #[source]
        source: Cause,
    },
    /// slsa-verifier-compatible verification failed (`docs/slsa-verifier.md` lists the codes).
    #[error("`{origin}`")]
    SlsaVerifier {
        /// The stable code (`slsa-mismatch-source`, …), the source's.
        code: Code,
        /// Input, authenticity or policy, the source's.
        class: FailureClass,
        /// The provenance file.
        origin: String,
        /// The [`slsa_verifier::SlsaVerifierError`] (field, expected and actual value).
        #[source]
        source: Cause,
    },
    /// One or more policy rules failed (every rule is in the report).
    #[error("policy: {count} rule(s) failed: {failures}")]
    PolicyFailed {
        /// The failed rules, `rule: expected …, found …`.
        failures: String,
        /// How many failed.
        count: usize,
    },
    /// The certificate identity does not satisfy the identity policy.
    #[error("`{origin}`: the signer's certificate does not satisfy the identity policy")]
    Identity {
        /// File (and line).
        origin: String,
        /// The field that failed, with the expected and the actual value.
        #[source]
        source: provseal_sigstore::IdentityMismatch,
    },
    /// A signed Verification Summary Attestation whose `verificationResult` is not `PASSED`: its
    /// signer says the artifact failed verification, a definite no unless allowed
    /// ([`VerifyOptions::allow_failed_vsa`]).
    #[error("`{origin}`: the VSA's verificationResult is `{result}`, not `PASSED`")]
    VsaFailed {
        /// File (and line).
        origin: String,
        /// The result the VSA records (shortened).
        result: String,
    },
    /// The source repository differs.
    #[error("source: expected `{expected}`, found `{actual}`")]
    SourceMismatch {
        /// Required.
        expected: String,
        /// Recorded (`none` when no source was recorded).
        actual: String,
    },
}

impl VerifyError {
    /// A malformed input, with the parser's error as the cause.
    fn malformed_because(
        origin: &Origin,
        reason: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        VerifyError::Malformed {
            origin: origin.to_string(),
            reason: reason.to_owned(),
            source: Some(Cause::new(source)),
        }
    }

    /// A signature that does not verify, with the verifier's error as the cause.
    fn signature_because(
        origin: &Origin,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        VerifyError::Signature {
            origin: origin.to_string(),
            reason: Default::default(),
            source: Some(Cause::new(source)),
        }
    }

    /// A signed statement that does not parse, with the parser's error as the cause.
    fn statement_because(origin: &Origin, source: provseal_model::ModelError) -> Self {
        VerifyError::Statement {
            origin: origin.to_string(),
            reason: Default::default(),
            source: Some(Cause::new(source)),
        }
    }

    /// slsa-verifier mode's failure `e` of the provenance file `origin`.
    pub fn slsa_verifier(origin: &str, e: slsa_verifier::SlsaVerifierError) -> Self {
        VerifyError::SlsaVerifier {
            code: e.code(),
            class: e.class(),
            origin: origin.to_string(),
            source: Cause::new(e),
        }
    }

    /// The failure class (exit code 2 for input, 1 otherwise).
    pub fn class(&self) -> FailureClass {
        match self {
            VerifyError::SlsaVerifier { class, .. } => *class,
            VerifyError::Vsa(e) if !e.is_input_error() => FailureClass::Authenticity,
            VerifyError::Malformed { .. }
            | VerifyError::Unsupported { .. }
            | VerifyError::ArtifactUnreadable { .. }
            | VerifyError::Input(_)
            | VerifyError::Unsigned { .. }
            | VerifyError::Vsa(_)
            | VerifyError::VsaSigning { .. } => FailureClass::Input,
            VerifyError::Signature { .. }
            | VerifyError::PayloadType { .. }
            | VerifyError::Statement { .. } => FailureClass::Authenticity,
            VerifyError::SubjectNotFound { .. }
            | VerifyError::SubjectDigestMismatch { .. }
            | VerifyError::BuilderMismatch { .. }
            | VerifyError::SourceMismatch { .. }
            | VerifyError::Identity { .. }
            | VerifyError::VsaFailed { .. }
            | VerifyError::PolicyFailed { .. } => FailureClass::Policy,
        }
    }

    /// The stable diagnostic code (documented in `docs/diagnostics.md`).
    pub fn code(&self) -> Code {
        match self {
            VerifyError::SlsaVerifier { code, .. } => *code,
            VerifyError::Malformed { .. } => Code::AttestationMalformed,
            VerifyError::Signature { .. } => Code::SignatureInvalid,
            VerifyError::PayloadType { .. } => Code::PayloadTypeUnsupported,
            VerifyError::Statement { .. } => Code::StatementInvalid,
            VerifyError::Unsupported { .. } => Code::AttestationUnsupported,
            VerifyError::SubjectNotFound { .. } => Code::SubjectNotFound,
            VerifyError::SubjectDigestMismatch { .. } => Code::SubjectDigestMismatch,
            VerifyError::BuilderMismatch { .. } => Code::BuilderMismatch,
            VerifyError::SourceMismatch { .. } => Code::SourceMismatch,
            VerifyError::ArtifactUnreadable { .. } => Code::ArtifactUnreadable,
            VerifyError::Input(_) => Code::InputUnreadable,
            VerifyError::Unsigned { .. } => Code::AttestationUnsigned,
            VerifyError::Vsa(e) => e.code(),
            VerifyError::VsaSigning { .. } => Code::VsaBuild,
            VerifyError::Identity { .. } => Code::IdentityMismatch,
            VerifyError::PolicyFailed { .. } => Code::PolicyFailed,
            VerifyError::VsaFailed { .. } => Code::VsaFailed,
        }
    }
}

/// How Sigstore bundles are verified: the trusted root, and who must have signed.
#[derive(Debug, Clone)]
pub struct SigstoreTrust {
    /// The trusted root (`--trusted-root`, or the production snapshot shipped inside provseal).
    pub trusted_root: std::sync::Arc<provseal_sigstore::TrustedRoot>,
    /// The keyless identity policy (`--certificate-identity` … flags); `None` when bundles are
    /// verified with `--key` only.
    pub identity: Option<provseal_sigstore::IdentityPolicy>,
    /// Log and SCT requirements.
    pub options: provseal_sigstore::VerifyOptions,
}

/// What verification requires.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Trusted public keys; a DSSE envelope must carry a signature by one of them.
    pub keys: Vec<PublicKey>,
    /// Sigstore bundle verification settings (required for keyless bundles).
    pub sigstore: Option<SigstoreTrust>,
    /// Required `builder.id`, if any.
    pub builder_id: Option<String>,
    /// Required source repository (`github.com/org/repo`, with or without scheme), if any.
    pub source_uri: Option<String>,
    /// Accept a signed VSA whose `verificationResult` is `FAILED` as verifying its subjects (by
    /// default it is [`VerifyError::VsaFailed`]).
    pub allow_failed_vsa: bool,
}

/// Who signed: a trusted key, or a Sigstore (Fulcio) certificate identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SignerIdentity {
    /// A key given with `--key` (or named in the policy).
    #[serde(rename_all = "camelCase")]
    Key {
        /// The provseal key id (hex SHA-256 of the SPKI DER) of the key that verified.
        key_id: String,
    },
    /// A short-lived certificate from a Fulcio CA in the trusted root.
    #[serde(rename_all = "camelCase")]
    Certificate {
        /// The certificate's subject alternative name (e.g. the workflow URI).
        identity: String,
        /// The OIDC issuer.
        issuer: String,
        /// Fulcio extensions by name (`source-repository-uri`, `build-signer-uri`, …).
        extensions: std::collections::BTreeMap<String, String>,
    },
}

impl SignerIdentity {
    /// A short human description: `key 1a2b3c…`, `IDENTITY (issuer ISSUER)`, or `IDENTITY` for a
    /// certificate without an issuer.
    pub fn describe(&self) -> String {
        match self {
            SignerIdentity::Key { key_id } => format!("key {}", short(key_id, 16)),
            SignerIdentity::Certificate {
                identity, issuer, ..
            } if issuer.is_empty() => identity.clone(), // GitHub's release signer has none
            SignerIdentity::Certificate {
                identity, issuer, ..
            } => format!("{identity} (issuer {issuer})"),
        }
    }
}

/// A statement whose signature verified.
#[derive(Debug, Clone)]
pub struct VerifiedStatement {
    /// The file (and line, and part) the statement was read from.
    pub origin: Origin,
    /// The signer.
    pub signer: SignerIdentity,
    /// The statement parsed from the signed bytes.
    pub statement: Statement,
    /// The SLSA provenance (v1, or v0.2 mapped to v1), when the predicate is one.
    pub provenance: Option<ProvenanceV1>,
}

/// The result of verifying one document's signature and statement.
///
/// The statement is shared: every artifact it verifies holds the same [`Arc`], so memory is
/// O(statement + artifacts), never their product.
pub type DocResult = Result<Arc<VerifiedStatement>, VerifyError>;

fn verify_dsse(
    origin: &Origin,
    env: &provseal_model::dsse::Envelope,
    opts: &VerifyOptions,
) -> DocResult {
    if opts.keys.is_empty() {
        return Err(VerifyError::Unsupported {
            origin: origin.to_string(),
            reason: "a DSSE envelope needs a trusted public key to verify".into(),
        });
    }
    let verified = provseal_crypto::dsse::verify(env, &opts.keys)
        .map_err(|e| VerifyError::signature_because(origin, e))?;
    statement_from_signed(
        origin,
        &verified.payload_type,
        &verified.payload,
        verified.key_id,
    )
    .map(Arc::new)
}

/// Checks the payload type and parses the signed payload strictly into a statement.
pub fn statement_from_signed(
    origin: &Origin,
    payload_type: &str,
    payload: &[u8],
    key_id: String,
) -> Result<VerifiedStatement, VerifyError> {
    if payload_type != provseal_model::IN_TOTO_PAYLOAD_TYPE {
        return Err(VerifyError::PayloadType {
            origin: origin.to_string(),
            expected: provseal_model::IN_TOTO_PAYLOAD_TYPE.to_string(),
            actual: payload_type.to_string(),
        });
    }
    parse_statement(origin, payload, SignerIdentity::Key { key_id })
}

/// Parses signed bytes strictly into a statement (v1 or v0.1) and, for a SLSA predicate (v1, or
/// v0.2 mapped to v1), the provenance, shared as every verified statement is.
fn parse_signed_statement(origin: &Origin, payload: &[u8], signer: SignerIdentity) -> DocResult {
    parse_statement(origin, payload, signer).map(Arc::new)
}

/// [`parse_signed_statement`] before it is shared (a caller may still set the signer).
fn parse_statement(
    origin: &Origin,
    payload: &[u8],
    signer: SignerIdentity,
) -> Result<VerifiedStatement, VerifyError> {
    let statement =
        Statement::parse(payload).map_err(|e| VerifyError::statement_because(origin, e))?;
    let provenance = match statement.predicate_type.as_str() {
        provseal_model::SLSA_PROVENANCE_V1 | provseal_model::SLSA_PROVENANCE_V02 => {
            let empty = serde_json::Value::Object(Default::default());
            let predicate = statement.predicate.as_ref().unwrap_or(&empty);
            Some(
                provseal_model::slsa::provenance_v1_from(&statement.predicate_type, predicate)
                    .map_err(|e| VerifyError::statement_because(origin, e))?,
            )
        }
        _ => None,
    };
    Ok(VerifiedStatement {
        origin: origin.clone(),
        signer,
        statement,
        provenance,
    })
}

/// Verifies every document once (signature, payload type, statement).
pub fn verify_documents(docs: &[LoadedDoc], opts: &VerifyOptions) -> Vec<DocResult> {
    docs.iter().map(|d| verify_document(d, opts)).collect()
}

/// Verifies one document.
pub fn verify_document(doc: &LoadedDoc, opts: &VerifyOptions) -> DocResult {
    match &doc.doc {
        AttestationDoc::Dsse(env) => verify_dsse(&doc.origin, env, opts),
        AttestationDoc::BatchEntry(raw) => verify_batch_entry(&doc.origin, raw, opts),
        AttestationDoc::SigstoreBundle(raw) => verify_sigstore_bundle(&doc.origin, raw, opts),
        AttestationDoc::UnsignedStatement(_) => Err(VerifyError::Unsupported {
            origin: doc.origin.to_string(),
            reason: detached::UNSIGNED_STATEMENT.into(),
        }),
    }
}

fn verify_batch_entry(origin: &Origin, raw: &[u8], opts: &VerifyOptions) -> DocResult {
    let entry = provseal_batch::BatchEntry::from_json(raw)
        .map_err(|e| VerifyError::malformed_because(origin, "", e))?;
    if let Some(bundle) = &entry.root_bundle {
        // Keyless root: the bundle is verified like any Sigstore bundle (trusted root, identity),
        // then the entry's proof leads from its statement to the root the bundle signs.
        let (verified, signer) = verified_bundle(origin, bundle.as_bytes(), opts)?;
        let provseal_sigstore::SignedContent::Dsse {
            payload_type,
            payload,
            ..
        } = &verified.content
        else {
            return Err(VerifyError::Malformed {
                origin: origin.to_string(),
                reason: "the batch root bundle holds no DSSE envelope".into(),
                source: None,
            });
        };
        let v = provseal_batch::verify_entry_with_root(
            &entry,
            payload_type,
            payload,
            signer.describe(),
        )
        .map_err(|e| VerifyError::signature_because(origin, e))?;
        let mut st = statement_from_signed(origin, &v.payload_type, &v.payload, String::new())?;
        st.signer = signer;
        return Ok(Arc::new(st));
    }
    if opts.keys.is_empty() {
        return Err(VerifyError::Unsupported {
            origin: origin.to_string(),
            reason: "a batch entry needs a trusted public key to verify".into(),
        });
    }
    let v = provseal_batch::verify_entry(&entry, &opts.keys)
        .map_err(|e| VerifyError::signature_because(origin, e))?;
    statement_from_signed(origin, &v.payload_type, &v.payload, v.key_id).map(Arc::new)
}

/// The subject provseal shows for a Sigstore message signature (no statement: the signed
/// artifact digest stands as the one subject of a synthetic statement of this type).
pub const MESSAGE_SIGNATURE_TYPE: &str = "https://provseal.dev/sigstore/message-signature/v1";

fn sigstore_error(origin: &Origin, e: provseal_sigstore::SigstoreError) -> VerifyError {
    if e.is_input_error() {
        VerifyError::malformed_because(origin, "", e)
    } else if let provseal_sigstore::SigstoreError::IdentityMismatch(source) = e {
        VerifyError::Identity {
            origin: origin.to_string(),
            source,
        }
    } else {
        VerifyError::signature_because(origin, e)
    }
}

/// Verifies a parsed Sigstore bundle with the keys or the identity policy of `opts` (against
/// `artifact` when given, else against what the bundle says it signs) and names the signer.
fn verify_bundle_signer(
    origin: &Origin,
    parsed: &provseal_sigstore::ParsedBundle,
    artifact: Option<&provseal_sigstore::ArtifactInput<'_>>,
    opts: &VerifyOptions,
) -> Result<(SignerIdentity, provseal_sigstore::VerifiedBundle), VerifyError> {
    use provseal_sigstore::{BundleSigner, VerifiedSigner};
    let Some(trust) = &opts.sigstore else {
        return Err(VerifyError::Unsupported {
            origin: origin.to_string(),
            reason: "a Sigstore bundle needs a trusted root and a signer identity, or a trusted public key".into(),
        });
    };
    let verified = match (&trust.identity, opts.keys.as_slice()) {
        (Some(policy), _) => provseal_sigstore::verify_parsed(
            parsed,
            artifact,
            &trust.trusted_root,
            BundleSigner::Identity(policy),
            &trust.options,
        )
        .map_err(|e| sigstore_error(origin, e))?,
        (None, []) => {
            return Err(VerifyError::Unsupported {
                origin: origin.to_string(),
                reason: "a Sigstore bundle needs a certificate identity and issuer (keyless), or a trusted public key".into(),
            })
        }
        (None, keys) => {
            // Any trusted key that verifies; otherwise the last key's error.
            let mut last_err = None;
            let found = keys.iter().find_map(|k| {
                provseal_sigstore::verify_parsed(
                    parsed,
                    artifact,
                    &trust.trusted_root,
                    BundleSigner::Key(k),
                    &trust.options,
                )
                .map_err(|e| last_err = Some(e))
                .ok()
            });
            match (found, last_err) {
                (Some(v), _) => v,
                (None, Some(e)) => return Err(sigstore_error(origin, e)),
                (None, None) => {
                    return Err(VerifyError::Unsupported {
                        origin: origin.to_string(),
                        reason: "no key to verify the bundle with".into(),
                    })
                }
            }
        }
    };
    let signer = match &verified.signer {
        VerifiedSigner::Certificate(id) => SignerIdentity::Certificate {
            identity: id.san.clone().unwrap_or_default(),
            issuer: id.issuer.clone().unwrap_or_default(),
            extensions: id
                .extensions
                .iter()
                .map(|(f, v)| (f.name().to_string(), v.clone()))
                .collect(),
        },
        VerifiedSigner::Key { key_id, .. } => SignerIdentity::Key {
            key_id: key_id.clone(),
        },
        #[allow(unreachable_patterns)]
        _ => {
            return Err(VerifyError::Unsupported {
                origin: origin.to_string(),
                reason: "unknown signer kind".into(),
            })
        }
    };
    Ok((signer, verified))
}

/// Verifies a Sigstore bundle against the trusted root and the identity policy (or keys) of
/// `opts`; returns the verified bundle and its signer.
fn verified_bundle(
    origin: &Origin,
    raw: &[u8],
    opts: &VerifyOptions,
) -> Result<(provseal_sigstore::VerifiedBundle, SignerIdentity), VerifyError> {
    let parsed = provseal_sigstore::ParsedBundle::parse(raw, &origin.to_string())
        .map_err(|e| sigstore_error(origin, e))?;
    let (signer, verified) = verify_bundle_signer(origin, &parsed, None, opts)?;
    Ok((verified, signer))
}

fn verify_sigstore_bundle(origin: &Origin, raw: &[u8], opts: &VerifyOptions) -> DocResult {
    use provseal_sigstore::SignedContent;
    let (verified, signer) = verified_bundle(origin, raw, opts)?;
    match &verified.content {
        SignedContent::Dsse {
            payload_type,
            payload,
            ..
        } => {
            let mut v = statement_from_signed(origin, payload_type, payload, String::new())?;
            v.signer = signer;
            Ok(Arc::new(v))
        }
        SignedContent::MessageSignature { subject } => {
            let rd = provseal_model::ResourceDescriptor {
                digest: subject.digest.clone().into(),
                ..Default::default()
            };
            Ok(Arc::new(VerifiedStatement {
                origin: origin.clone(),
                signer,
                statement: Statement::new(
                    vec![rd],
                    MESSAGE_SIGNATURE_TYPE,
                    serde_json::Value::Null,
                ),
                provenance: None,
            }))
        }
        #[allow(unreachable_patterns)]
        _ => Err(VerifyError::Unsupported {
            origin: origin.to_string(),
            reason: "unknown bundle content".into(),
        }),
    }
}

/// An artifact to verify: a display name and its digests.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// How the user named it (a path, or `sha256:HEX`).
    pub name: String,
    /// Its digests (every algorithm that any verified subject uses, where computable).
    pub digests: DigestSet,
}

/// The verdict for one artifact.
#[derive(Debug, Clone)]
pub struct ArtifactVerdict {
    /// The artifact.
    pub artifact: Artifact,
    /// The statement that verified it (shared with every other artifact it verified), or why
    /// none did.
    pub result: Result<Arc<VerifiedStatement>, VerifyError>,
    /// The policy evaluation, when a policy was given and the signature verified.
    pub policy: Option<policy::PolicyReport>,
}

impl ArtifactVerdict {
    /// A verdict without a policy evaluation.
    pub fn new(artifact: Artifact, result: Result<Arc<VerifiedStatement>, VerifyError>) -> Self {
        ArtifactVerdict {
            artifact,
            result,
            policy: None,
        }
    }

    /// Evaluates `policy` on a verified artifact: the report is kept, and a failing rule turns
    /// the verdict into [`VerifyError::PolicyFailed`]. A failed verdict is left as it is.
    pub fn apply_policy(&mut self, policy: &policy::Policy, now: jiff::Timestamp) {
        let Ok(v) = &self.result else { return };
        let report = policy.evaluate(&policy::PolicyInput {
            verified: v,
            artifact_name: &self.artifact.name,
            now,
            signed_at: None,
        });
        if !report.passed {
            let failures: Vec<String> = report
                .failures()
                .map(|r| format!("{}: expected {}, found {}", r.rule, r.expected, r.actual))
                .collect();
            self.result = Err(VerifyError::PolicyFailed {
                failures: failures.join("; "),
                count: failures.len(),
            });
        }
        self.policy = Some(report);
    }

    /// The one-line human verdict.
    pub fn line(&self) -> String {
        match &self.result {
            Ok(v) => format!(
                "{}: verified: signed by {}, subject of `{}`{}",
                self.artifact.name,
                v.signer.describe(),
                v.origin,
                v.provenance
                    .as_ref()
                    .map(|p| format!(", builder {}", p.run_details.builder.id))
                    .unwrap_or_default()
            ),
            Err(e) => format!("{}: {}", self.artifact.name, provseal_model::one_line(e)),
        }
    }
}

fn short(s: &str, n: usize) -> &str {
    s.get(..n).unwrap_or(s)
}

/// Strips scheme, `git+`, user info, `@ref`, `.git` and trailing slashes from a repository URI;
/// an SSH remote (`git@host:org/repo.git`, `ssh://git@host/org/repo`) is the same repository as
/// its https URL.
pub fn normalize_repo(uri: &str) -> String {
    let mut s = uri.trim();
    s = s.strip_prefix("git+").unwrap_or(s);
    let scp_like;
    if let Some(i) = s.find("://") {
        s = &s[i + 3..];
    } else if let Some((head, path)) = s.split_once(':') {
        // scp-like `[user@]host:path` (git's rule: no `/` before the first `:`).
        if !head.contains('/') && !head.is_empty() {
            scp_like = format!("{head}/{}", path.trim_start_matches('/'));
            s = &scp_like;
        }
    }
    let mut s = match s.rfind('@') {
        // user@host form (credentials) or trailing @ref
        Some(i) if s[..i].contains('/') => s[..i].to_string(),
        Some(i) => s[i + 1..].to_string(),
        None => s.to_string(),
    };
    while s.ends_with('/') {
        s.pop();
    }
    if let Some(x) = s.strip_suffix(".git") {
        s = x.to_string();
    }
    s.to_ascii_lowercase()
}

/// The source repositories a provenance records (git resolved dependencies and the provseal
/// `externalParameters.source.repository`), normalised with [`normalize_repo`].
pub fn recorded_sources(p: &ProvenanceV1) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(repo) = p
        .build_definition
        .external_parameters
        .get("source")
        .and_then(|s| s.get("repository"))
        .and_then(|r| r.as_str())
    {
        out.push(normalize_repo(repo));
    }
    for rd in &p.build_definition.resolved_dependencies {
        if let Some(uri) = &rd.uri {
            if uri.starts_with("git+") {
                out.push(normalize_repo(uri));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn check_constraints(v: &VerifiedStatement, opts: &VerifyOptions) -> Result<(), VerifyError> {
    if v.statement.predicate_type == vsa::VSA_PREDICATE_TYPE && !opts.allow_failed_vsa {
        let result = v
            .statement
            .predicate
            .as_ref()
            .and_then(|p| p.get("verificationResult"));
        if result.and_then(|r| r.as_str()) != Some("PASSED") {
            return Err(VerifyError::VsaFailed {
                origin: v.origin.to_string(),
                result: match result {
                    Some(serde_json::Value::String(s)) => s.chars().take(40).collect(),
                    Some(other) => other.to_string().chars().take(40).collect(),
                    None => "(absent)".into(),
                },
            });
        }
    }
    if let Some(want) = &opts.builder_id {
        let actual = v
            .provenance
            .as_ref()
            .map(|p| p.run_details.builder.id.clone())
            .unwrap_or_else(|| "none (not a SLSA provenance)".into());
        if &actual != want {
            return Err(VerifyError::BuilderMismatch {
                expected: want.clone(),
                actual,
            });
        }
    }
    if let Some(want) = &opts.source_uri {
        let recorded = v
            .provenance
            .as_ref()
            .map(recorded_sources)
            .unwrap_or_default();
        if !recorded.iter().any(|r| *r == normalize_repo(want)) {
            return Err(VerifyError::SourceMismatch {
                expected: want.clone(),
                actual: if recorded.is_empty() {
                    "none".into()
                } else {
                    recorded.join(", ")
                },
            });
        }
    }
    Ok(())
}

fn describe_digest(d: &DigestSet) -> String {
    d.iter()
        .next()
        .map(|(alg, hex)| format!("{alg}:{hex}"))
        .unwrap_or_else(|| "(none)".into())
}

/// Matches one artifact against the verified statements and applies the constraints.
///
/// When no document verified, the artifact fails with the first document's error; when some
/// did but none lists the digest, with `subject-not-found`; otherwise with the constraint that
/// failed on a statement that lists it.
pub fn verify_artifact(
    artifact: &Artifact,
    docs: &[DocResult],
    opts: &VerifyOptions,
) -> ArtifactVerdict {
    artifact_verdict(artifact, docs, None, opts)
}

/// The subjects of a set of verified documents by digest, built once for many artifacts checked
/// against the same documents: each artifact then looks up its digests instead of scanning every
/// subject (40,000 artifacts against a 40,000-subject statement were 1.6 × 10^9 comparisons).
#[derive(Debug, Default)]
pub struct SubjectLookup {
    /// `(algorithm, lower-case hex)` → `(index among the verified documents, subject index)`.
    by_digest: std::collections::HashMap<(String, String), Vec<(usize, usize)>>,
    documents: usize,
}

impl SubjectLookup {
    /// Indexes the subjects of the documents of `docs` that verified.
    pub fn new(docs: &[DocResult]) -> Self {
        let mut by_digest: std::collections::HashMap<_, Vec<_>> = Default::default();
        let verified = docs.iter().filter_map(|d| d.as_ref().ok());
        for (d, v) in verified.enumerate() {
            for (i, subject) in v.statement.subject.iter().enumerate() {
                for (alg, hex) in subject.digest.iter() {
                    by_digest
                        .entry((alg.to_owned(), hex.to_ascii_lowercase()))
                        .or_default()
                        .push((d, i));
                }
            }
        }
        SubjectLookup {
            by_digest,
            documents: docs.len(),
        }
    }

    /// `(verified document, subject)` pairs sharing a digest value with `artifact`: the only
    /// subjects [`DigestSet::matches`] can accept. Looked up once per artifact.
    fn candidates(&self, artifact: &Artifact) -> Vec<(usize, usize)> {
        artifact
            .digests
            .iter()
            .filter_map(|(alg, hex)| {
                self.by_digest
                    .get(&(alg.to_owned(), hex.to_ascii_lowercase()))
            })
            .flatten()
            .copied()
            .collect()
    }
}

/// [`verify_artifact`] with the subjects looked up in `lookup`, which must have been built from
/// the same `docs`: the same verdict, without scanning every subject.
pub fn verify_artifact_indexed(
    artifact: &Artifact,
    docs: &[DocResult],
    lookup: &SubjectLookup,
    opts: &VerifyOptions,
) -> ArtifactVerdict {
    debug_assert_eq!(lookup.documents, docs.len(), "a lookup of other documents");
    artifact_verdict(artifact, docs, Some(lookup), opts)
}

fn artifact_verdict(
    artifact: &Artifact,
    docs: &[DocResult],
    lookup: Option<&SubjectLookup>,
    opts: &VerifyOptions,
) -> ArtifactVerdict {
    let verified: Vec<&Arc<VerifiedStatement>> =
        docs.iter().filter_map(|d| d.as_ref().ok()).collect();
    let result = if verified.is_empty() {
        match docs.iter().find_map(|d| d.as_ref().err()) {
            Some(e) => Err(e.clone()),
            None => Err(VerifyError::Malformed {
                origin: "(none)".into(),
                reason: "no attestation given".into(),
                source: None,
            }),
        }
    } else {
        let mut constraint_err = None;
        // An artifact named only by a git commit id (`sha1:HEX` / `gitCommit:HEX`, the subject
        // of a GitHub release attestation) is compared by that id; a file always carries a
        // SHA-2 digest and is compared by collision-resistant digests only.
        let by_commit = !artifact.digests.is_empty()
            && artifact
                .digests
                .iter()
                .all(|(alg, _)| alg == "sha1" || alg == "gitCommit");
        let is_subject = |s: &provseal_model::ResourceDescriptor| {
            if by_commit {
                s.digest.matches_including_weak(&artifact.digests)
            } else {
                s.digest.matches(&artifact.digests)
            }
        };
        let mut found = None;
        let candidates = lookup.map(|l| l.candidates(artifact));
        for (d, v) in verified.iter().enumerate() {
            let listed = match &candidates {
                Some(c) => c
                    .iter()
                    .any(|&(doc, i)| doc == d && is_subject(&v.statement.subject[i])),
                None => v.statement.subject.iter().any(is_subject),
            };
            if listed {
                match check_constraints(v, opts) {
                    Ok(()) => {
                        found = Some(Arc::clone(v));
                        break;
                    }
                    Err(e) => {
                        constraint_err.get_or_insert(e);
                    }
                }
            }
        }
        match (found, constraint_err) {
            (Some(v), _) => Ok(v),
            (None, Some(e)) => Err(e),
            (None, None) => {
                if let Some(e) = same_name_other_digest(artifact, &verified) {
                    return ArtifactVerdict::new(artifact.clone(), Err(e));
                }
                let subjects: Vec<String> = verified
                    .iter()
                    .flat_map(|v| v.statement.subject.iter())
                    .take(5)
                    .map(|s| {
                        let name = s
                            .name
                            .clone()
                            .or_else(|| s.uri.clone())
                            .unwrap_or_else(|| "_".into());
                        let d = describe_digest(&s.digest);
                        format!("{name} {d}")
                    })
                    .collect();
                let total: usize = verified.iter().map(|v| v.statement.subject.len()).sum();
                let mut list = subjects.join(", ");
                if total > 5 {
                    list.push_str(&format!(", … {} more", total - 5));
                }
                // sha256 first; for a commit id (`sha1` and `gitCommit`), the `sha1` GitHub uses
                let digest = ["sha256", "sha1"]
                    .iter()
                    .find_map(|a| artifact.digests.get(a).map(|h| format!("{a}:{h}")))
                    .or_else(|| {
                        artifact
                            .digests
                            .iter()
                            .next()
                            .map(|(a, h)| format!("{a}:{h}"))
                    })
                    .unwrap_or_default();
                Err(VerifyError::SubjectNotFound {
                    digest,
                    subjects: list,
                })
            }
        }
    };
    ArtifactVerdict::new(artifact.clone(), result)
}

/// The error for an artifact whose name is a subject's but whose digest is not: the first
/// subject with the same name (or, failing that, the same file name) and a digest in an
/// algorithm the artifact was hashed with.
fn same_name_other_digest(
    artifact: &Artifact,
    verified: &[&Arc<VerifiedStatement>],
) -> Option<VerifyError> {
    let norm = |n: &str| n.trim_start_matches("./").to_owned();
    let base = |n: &str| n.rsplit('/').next().unwrap_or(n).to_owned();
    let name = norm(&artifact.name);
    let subjects: Vec<&provseal_model::ResourceDescriptor> = verified
        .iter()
        .flat_map(|v| v.statement.subject.iter())
        .collect();
    let matching = |same: &dyn Fn(&str) -> bool| {
        subjects.iter().find_map(|s| {
            let subject_name = s.name.as_deref()?;
            if !same(subject_name) {
                return None;
            }
            s.digest.iter().find_map(|(alg, recorded)| {
                let actual = artifact.digests.get(alg)?;
                Some(VerifyError::SubjectDigestMismatch {
                    name: subject_name.to_owned(),
                    recorded: format!("{alg}:{recorded}"),
                    actual: format!("{alg}:{actual}"),
                })
            })
        })
    };
    matching(&|n| norm(n) == name).or_else(|| matching(&|n| base(n) == base(&name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_normalisation() {
        for (a, b) in [
            (
                "git+https://github.com/Org/Repo@refs/heads/main",
                "github.com/org/repo",
            ),
            (
                "https://user:tok@github.com/org/repo.git",
                "github.com/org/repo",
            ),
            ("github.com/org/repo", "github.com/org/repo"),
            (
                "git+https://github.com/org/repo.git@v1",
                "github.com/org/repo",
            ),
            ("https://github.com/org/repo/", "github.com/org/repo"),
            ("git@github.com:Org/repo.git", "github.com/org/repo"),
            ("ssh://git@github.com/org/repo", "github.com/org/repo"),
            (
                "git+ssh://git@github.com/org/repo.git",
                "github.com/org/repo",
            ),
        ] {
            assert_eq!(normalize_repo(a), b, "{a}");
        }
    }
}
