//! The one error type of this crate.

use std::path::PathBuf;

use provseal_model::Cause;

use crate::diag::Code;

/// Which step of bundle verification failed (for reports and exit-code classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// The signature over the artifact digest or the DSSE PAE.
    Signature,
    /// The certificate chain to a Fulcio CA, its validity at signing time, or its profile.
    Certificate,
    /// The embedded signed certificate timestamp (SCT).
    Sct,
    /// The transparency-log entry: inclusion proof, checkpoint, SET, body consistency.
    TransparencyLog,
    /// An RFC 3161 timestamp, or the lack of any verified signing time.
    Timestamp,
    /// The artifact (or its digest) against the signed digest / statement subjects.
    Artifact,
    /// The trusted root could not be used.
    TrustRoot,
    /// The bundle's structure (fields required by its version, unsupported content).
    Bundle,
}

impl Check {
    /// Stable kebab-case code for reports.
    pub fn code(self) -> Code {
        match self {
            Check::Signature => Code::Signature,
            Check::Certificate => Code::Certificate,
            Check::Sct => Code::Sct,
            Check::TransparencyLog => Code::Tlog,
            Check::Timestamp => Code::Timestamp,
            Check::Artifact => Code::ArtifactMismatch,
            Check::TrustRoot => Code::TrustRoot,
            Check::Bundle => Code::Bundle,
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code().as_str())
    }
}

/// A field of the signer's certificate that does not satisfy the identity policy (the first one
/// checked that fails).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("certificate {field} mismatch: expected {expected}, found {}", actual.as_deref().unwrap_or("<absent>"))]
pub struct IdentityMismatch {
    /// The field name (`identity`, `issuer`, `source-repository-uri`, …).
    pub field: String,
    /// What the policy asked for (exact value, or `regex ^(?:…)$`).
    pub expected: String,
    /// What the certificate holds (`None`: the certificate lacks the field).
    pub actual: Option<String>,
}

/// Why a certificate does not yield a [`crate::SignerIdentity`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// The certificate is not DER-encoded X.509.
    #[error("the certificate is not DER X.509")]
    Decode(#[source] der::Error),
    /// The subject alternative name extension does not decode.
    #[error("the certificate's subject alternative name does not decode")]
    SubjectAltName(#[source] der::Error),
    /// The Fulcio issuer extension (the field every identity policy checks) is not a string.
    #[error("the certificate's Fulcio extension {} ({}) is not a string", field.name(), field.oid())]
    FulcioExtension {
        /// The extension.
        field: crate::FulcioField,
    },
}

/// Everything that can go wrong while reading, verifying or writing Sigstore material.
///
/// Classes: [`SigstoreError::is_input_error`] (unreadable or malformed input, exit 2) versus
/// authenticity / policy failures (a definite "no", exit 1).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigstoreError {
    /// A file could not be read within its size limit (the limit is named).
    #[error(transparent)]
    Read(provseal_crypto::CryptoError),
    /// A file could not be read or written.
    #[error("cannot access `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The input is not well-formed (JSON, base64, required field, unknown media type).
    #[error("{what} `{source_name}` is malformed{}", provseal_model::colon(reason))]
    Malformed {
        /// What kind of document (`bundle`, `trusted root`, `npm attestations`, …).
        what: &'static str,
        /// The input's name (a path, or a label such as `<stdin>`).
        source_name: String,
        /// No underlying cause: where in the document, or what it lacks (empty when `source`
        /// says it all).
        reason: String,
        /// The parser's or decoder's error, when one reported it.
        #[source]
        source: Option<Cause>,
    },
    /// A media type this version does not read.
    #[error("{what} `{source_name}` has unsupported media type `{media_type}`")]
    UnsupportedMediaType {
        /// What kind of document.
        what: &'static str,
        /// The input's name.
        source_name: String,
        /// The media type found.
        media_type: String,
    },
    /// The bundle is well-formed but a verification step failed.
    #[error(
        "bundle `{source_name}`: {check} check failed{}",
        provseal_model::colon(reason)
    )]
    Verification {
        /// The input's name.
        source_name: String,
        /// The failed step.
        check: Check,
        /// No underlying cause: what did not match (empty when `source`, the verifier's
        /// error, says it all).
        reason: String,
        /// The verifier's error, when one reported it.
        #[source]
        source: Option<Cause>,
    },
    /// The signer's certificate does not satisfy the identity policy.
    #[error(transparent)]
    IdentityMismatch(#[from] IdentityMismatch),
    /// The artifact is not what the bundle signs.
    #[error("artifact {artifact} does not match the bundle: signed digests are {}", signed.join(", "))]
    ArtifactMismatch {
        /// The artifact (`sha256:…`, or a digest list).
        artifact: String,
        /// The digests the bundle signs (`alg:hex`).
        signed: Vec<String>,
    },
    /// The verification material does not fit what the caller asked for (a key bundle checked
    /// against an identity, or the reverse).
    #[error("bundle `{source_name}`: {reason}")]
    WrongVerificationMaterial {
        /// The input's name.
        source_name: String,
        /// No underlying cause: the material expected and the material found.
        reason: String,
    },
    /// A malformed regular expression in an identity policy.
    #[error("invalid regular expression for {field}")]
    InvalidRegex {
        /// The field it was meant for.
        field: String,
        /// The regex error.
        #[source]
        source: regex::Error,
    },
    /// An unknown Fulcio extension name.
    #[error("unknown Fulcio certificate field `{0}`")]
    UnknownField(String),
    /// A usage error in the conformance-protocol arguments.
    #[error("usage: {0}")]
    Usage(String),
    /// An npm provenance check failed (builder, source, package name or version).
    #[error("npm provenance: {field} mismatch: expected {expected}, found {actual}")]
    NpmMismatch {
        /// Which check (`builder-id`, `source-uri`, `package-name`, `package-version`, …).
        field: String,
        /// What the caller asked for.
        expected: String,
        /// What the attestation says.
        actual: String,
    },
    /// Signing a bundle failed, or the key does not fit the envelope.
    #[error("cannot write bundle{}", provseal_model::colon(reason))]
    Output {
        /// No underlying cause: what does not fit (empty when `source` says it all).
        reason: String,
        /// The verifier's or serializer's error, when one reported it.
        #[source]
        source: Option<Cause>,
    },
}

impl SigstoreError {
    /// Whether this is an input error (unreadable, malformed, usage: exit 2) rather than a
    /// verification failure (exit 1).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            SigstoreError::Io { .. }
                | SigstoreError::Read(_)
                | SigstoreError::Malformed { .. }
                | SigstoreError::UnsupportedMediaType { .. }
                | SigstoreError::InvalidRegex { .. }
                | SigstoreError::UnknownField(_)
                | SigstoreError::Usage(_)
        )
    }

    /// Stable kebab-case code for reports.
    pub fn code(&self) -> Code {
        match self {
            SigstoreError::Io { .. } => Code::Io,
            SigstoreError::Read(e) => match e.code() {
                provseal_crypto::diag::Code::TooLarge => Code::InputTooLarge,
                provseal_crypto::diag::Code::NotAFile => Code::NotAFile,
                _ => Code::ReadError,
            },
            SigstoreError::Malformed { .. } => Code::Malformed,
            SigstoreError::UnsupportedMediaType { .. } => Code::UnsupportedMediaType,
            SigstoreError::Verification { check, .. } => check.code(),
            SigstoreError::IdentityMismatch { .. } => Code::IdentityMismatch,
            SigstoreError::ArtifactMismatch { .. } => Code::ArtifactMismatch,
            SigstoreError::WrongVerificationMaterial { .. } => Code::WrongMaterial,
            SigstoreError::InvalidRegex { .. } => Code::InvalidRegex,
            SigstoreError::UnknownField(_) => Code::UnknownField,
            SigstoreError::Usage(_) => Code::Usage,
            SigstoreError::NpmMismatch { .. } => Code::NpmProvenanceMismatch,
            SigstoreError::Output { .. } => Code::Output,
        }
    }

    pub(crate) fn malformed(
        what: &'static str,
        source_name: &str,
        reason: impl Into<String>,
    ) -> Self {
        SigstoreError::Malformed {
            what,
            source_name: source_name.to_string(),
            reason: reason.into(),
            source: None,
        }
    }

    /// [`SigstoreError::malformed`] with the parser's error as the cause; `reason` says where
    /// (empty when the cause says it all).
    pub(crate) fn malformed_by(
        what: &'static str,
        source_name: &str,
        reason: impl Into<String>,
        source: impl std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
    ) -> Self {
        SigstoreError::Malformed {
            what,
            source_name: source_name.to_string(),
            reason: reason.into(),
            source: Some(Cause::from_display(source)),
        }
    }

    /// [`SigstoreError::malformed_by`] for a cause that is a [`std::error::Error`] (its own causes
    /// are kept).
    pub(crate) fn malformed_because(
        what: &'static str,
        source_name: &str,
        reason: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        SigstoreError::Malformed {
            what,
            source_name: source_name.to_string(),
            reason: reason.into(),
            source: Some(Cause::new(source)),
        }
    }

    pub(crate) fn verification(source_name: &str, check: Check, reason: impl Into<String>) -> Self {
        SigstoreError::Verification {
            source_name: source_name.to_string(),
            check,
            reason: reason.into(),
            source: None,
        }
    }

    /// [`SigstoreError::verification`] with the verifier's error as the cause.
    pub(crate) fn verification_because(
        source_name: &str,
        check: Check,
        reason: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        SigstoreError::Verification {
            source_name: source_name.to_string(),
            check,
            reason: reason.into(),
            source: Some(Cause::new(source)),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SigstoreError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Map an error of the wrapped `sigstore-verify` crate to ours.
pub(crate) fn from_upstream(source_name: &str, e: sigstore_verify::Error) -> SigstoreError {
    use sigstore_verify::Error as E;
    let check = match &e {
        E::IdentityMismatch { .. } | E::IssuerMismatch { .. } => Check::Certificate,
        E::SignatureInvalid(_) => Check::Signature,
        E::ArtifactMismatch(_) | E::UnsupportedArtifact(_) | E::ArtifactRead(_) => Check::Artifact,
        E::Certificate(sigstore_verify::CertificateError::Sct(_)) => Check::Sct,
        E::Certificate(_) => Check::Certificate,
        E::TransparencyLog(_) => Check::TransparencyLog,
        E::Timestamp(_) => Check::Timestamp,
        E::InvalidTrustRoot(_) | E::TrustRoot(_) | E::TrustedCertificate(_) => Check::TrustRoot,
        E::Crypto(_) => Check::Signature,
        _ => Check::Bundle,
    };
    SigstoreError::verification_because(source_name, check, "", e)
}
