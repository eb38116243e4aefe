//! Signer identity: the Fulcio certificate fields by name, and the policy over them.

use std::collections::BTreeMap;

use const_oid::ObjectIdentifier;
use der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::Certificate;

use crate::{CertificateError, IdentityMismatch, SigstoreError};

/// A Fulcio certificate extension (OID arc 1.3.6.1.4.1.57264.1), by its kebab-case name.
///
/// `.1`–`.6` are the deprecated extensions (raw string value); `.8`–`.23` hold a DER
/// UTF8String. `.7` (OtherName SAN) is part of the SAN, not an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FulcioField {
    /// `.1` Issuer (deprecated, raw string).
    IssuerV1,
    /// `.2` GitHub Workflow Trigger (deprecated).
    GithubWorkflowTrigger,
    /// `.3` GitHub Workflow SHA (deprecated).
    GithubWorkflowSha,
    /// `.4` GitHub Workflow Name (deprecated).
    GithubWorkflowName,
    /// `.5` GitHub Workflow Repository (deprecated).
    GithubWorkflowRepository,
    /// `.6` GitHub Workflow Ref (deprecated).
    GithubWorkflowRef,
    /// `.8` Issuer (V2).
    Issuer,
    /// `.9` Build Signer URI.
    BuildSignerUri,
    /// `.10` Build Signer Digest.
    BuildSignerDigest,
    /// `.11` Runner Environment.
    RunnerEnvironment,
    /// `.12` Source Repository URI.
    SourceRepositoryUri,
    /// `.13` Source Repository Digest.
    SourceRepositoryDigest,
    /// `.14` Source Repository Ref.
    SourceRepositoryRef,
    /// `.15` Source Repository Identifier.
    SourceRepositoryIdentifier,
    /// `.16` Source Repository Owner URI.
    SourceRepositoryOwnerUri,
    /// `.17` Source Repository Owner Identifier.
    SourceRepositoryOwnerIdentifier,
    /// `.18` Build Config URI.
    BuildConfigUri,
    /// `.19` Build Config Digest.
    BuildConfigDigest,
    /// `.20` Build Trigger.
    BuildTrigger,
    /// `.21` Run Invocation URI.
    RunInvocationUri,
    /// `.22` Source Repository Visibility At Signing.
    SourceRepositoryVisibilityAtSigning,
    /// `.23` Deployment Environment.
    DeploymentEnvironment,
}

impl FulcioField {
    /// Every field, in OID order.
    pub const ALL: [FulcioField; 22] = [
        FulcioField::IssuerV1,
        FulcioField::GithubWorkflowTrigger,
        FulcioField::GithubWorkflowSha,
        FulcioField::GithubWorkflowName,
        FulcioField::GithubWorkflowRepository,
        FulcioField::GithubWorkflowRef,
        FulcioField::Issuer,
        FulcioField::BuildSignerUri,
        FulcioField::BuildSignerDigest,
        FulcioField::RunnerEnvironment,
        FulcioField::SourceRepositoryUri,
        FulcioField::SourceRepositoryDigest,
        FulcioField::SourceRepositoryRef,
        FulcioField::SourceRepositoryIdentifier,
        FulcioField::SourceRepositoryOwnerUri,
        FulcioField::SourceRepositoryOwnerIdentifier,
        FulcioField::BuildConfigUri,
        FulcioField::BuildConfigDigest,
        FulcioField::BuildTrigger,
        FulcioField::RunInvocationUri,
        FulcioField::SourceRepositoryVisibilityAtSigning,
        FulcioField::DeploymentEnvironment,
    ];

    /// The last arc of the OID (1.3.6.1.4.1.57264.1.N).
    pub fn oid_arc(self) -> u32 {
        match self {
            FulcioField::IssuerV1 => 1,
            FulcioField::GithubWorkflowTrigger => 2,
            FulcioField::GithubWorkflowSha => 3,
            FulcioField::GithubWorkflowName => 4,
            FulcioField::GithubWorkflowRepository => 5,
            FulcioField::GithubWorkflowRef => 6,
            FulcioField::Issuer => 8,
            FulcioField::BuildSignerUri => 9,
            FulcioField::BuildSignerDigest => 10,
            FulcioField::RunnerEnvironment => 11,
            FulcioField::SourceRepositoryUri => 12,
            FulcioField::SourceRepositoryDigest => 13,
            FulcioField::SourceRepositoryRef => 14,
            FulcioField::SourceRepositoryIdentifier => 15,
            FulcioField::SourceRepositoryOwnerUri => 16,
            FulcioField::SourceRepositoryOwnerIdentifier => 17,
            FulcioField::BuildConfigUri => 18,
            FulcioField::BuildConfigDigest => 19,
            FulcioField::BuildTrigger => 20,
            FulcioField::RunInvocationUri => 21,
            FulcioField::SourceRepositoryVisibilityAtSigning => 22,
            FulcioField::DeploymentEnvironment => 23,
        }
    }

    /// The field for OID arc `n`, if any.
    pub fn from_oid_arc(n: u32) -> Option<FulcioField> {
        FulcioField::ALL.into_iter().find(|f| f.oid_arc() == n)
    }

    /// The dotted OID.
    pub fn oid(self) -> String {
        format!("1.3.6.1.4.1.57264.1.{}", self.oid_arc())
    }

    /// Whether the value is a raw string (deprecated `.1`–`.6`) rather than a DER UTF8String.
    pub fn is_deprecated(self) -> bool {
        self.oid_arc() <= 6
    }

    /// The kebab-case name (`source-repository-uri`, …), as used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FulcioField::IssuerV1 => "issuer-v1",
            FulcioField::GithubWorkflowTrigger => "github-workflow-trigger",
            FulcioField::GithubWorkflowSha => "github-workflow-sha",
            FulcioField::GithubWorkflowName => "github-workflow-name",
            FulcioField::GithubWorkflowRepository => "github-workflow-repository",
            FulcioField::GithubWorkflowRef => "github-workflow-ref",
            FulcioField::Issuer => "issuer",
            FulcioField::BuildSignerUri => "build-signer-uri",
            FulcioField::BuildSignerDigest => "build-signer-digest",
            FulcioField::RunnerEnvironment => "runner-environment",
            FulcioField::SourceRepositoryUri => "source-repository-uri",
            FulcioField::SourceRepositoryDigest => "source-repository-digest",
            FulcioField::SourceRepositoryRef => "source-repository-ref",
            FulcioField::SourceRepositoryIdentifier => "source-repository-identifier",
            FulcioField::SourceRepositoryOwnerUri => "source-repository-owner-uri",
            FulcioField::SourceRepositoryOwnerIdentifier => "source-repository-owner-identifier",
            FulcioField::BuildConfigUri => "build-config-uri",
            FulcioField::BuildConfigDigest => "build-config-digest",
            FulcioField::BuildTrigger => "build-trigger",
            FulcioField::RunInvocationUri => "run-invocation-uri",
            FulcioField::SourceRepositoryVisibilityAtSigning => {
                "source-repository-visibility-at-signing"
            }
            FulcioField::DeploymentEnvironment => "deployment-environment",
        }
    }
}

impl serde::Serialize for FulcioField {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::fmt::Display for FulcioField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for FulcioField {
    type Err = SigstoreError;
    /// Accepts the kebab-case name or the dotted OID.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FulcioField::ALL
            .into_iter()
            .find(|f| f.name() == s || f.oid() == s)
            .ok_or_else(|| SigstoreError::UnknownField(s.to_string()))
    }
}

/// How a policy value is matched.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Byte-for-byte equality.
    Exact(String),
    /// A regular expression, always anchored (built by [`Matcher::regex`] as `^(?:…)$`).
    Regex(regex::Regex),
}

impl Matcher {
    /// An anchored regex matcher: `pattern` must match the whole value.
    pub fn regex(field: &str, pattern: &str) -> Result<Matcher, SigstoreError> {
        regex::Regex::new(&format!("^(?:{pattern})$"))
            .map(Matcher::Regex)
            .map_err(|source| SigstoreError::InvalidRegex {
                field: field.to_string(),
                source,
            })
    }

    /// Whether `value` satisfies this matcher.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(s) => s == value,
            Matcher::Regex(r) => r.is_match(value),
        }
    }

    /// Human description (for error messages).
    pub fn describe(&self) -> String {
        match self {
            Matcher::Exact(s) => s.clone(),
            Matcher::Regex(r) => format!("regex {}", r.as_str()),
        }
    }
}

/// Who must have signed a keyless bundle.
///
/// `identity` matches the certificate SAN (URI or email), `issuer` the OIDC issuer (`.8`,
/// falling back to the deprecated `.1`), `extensions` any Fulcio extension by name. A field the
/// certificate lacks never matches. `IdentityPolicy::default()` constrains nothing: it accepts
/// any certificate the trusted root's Fulcio issued, so use it only to inspect a bundle.
#[derive(Debug, Clone, Default)]
pub struct IdentityPolicy {
    /// The certificate identity (SAN).
    pub identity: Option<Matcher>,
    /// The OIDC issuer.
    pub issuer: Option<Matcher>,
    /// Further Fulcio extensions that must match.
    pub extensions: Vec<(FulcioField, Matcher)>,
}

impl IdentityPolicy {
    /// `--certificate-identity I --certificate-oidc-issuer U` (both exact).
    pub fn exact(identity: &str, issuer: &str) -> IdentityPolicy {
        IdentityPolicy {
            identity: Some(Matcher::Exact(identity.to_string())),
            issuer: Some(Matcher::Exact(issuer.to_string())),
            extensions: Vec::new(),
        }
    }

    /// Adds an extension requirement.
    pub fn with(mut self, field: FulcioField, matcher: Matcher) -> IdentityPolicy {
        self.extensions.push((field, matcher));
        self
    }

    /// `--repository org/repo` → source-repository-uri `https://github.com/org/repo`
    /// (a full `https://` URL is taken as is).
    pub fn with_repository(self, repository: &str) -> IdentityPolicy {
        let uri = if repository.contains("://") {
            repository.to_string()
        } else {
            format!("https://github.com/{}", repository.trim_matches('/'))
        };
        self.with(FulcioField::SourceRepositoryUri, Matcher::Exact(uri))
    }

    /// `--ref refs/tags/v1` → source-repository-ref (a bare name is not expanded).
    pub fn with_ref(self, git_ref: &str) -> IdentityPolicy {
        self.with(
            FulcioField::SourceRepositoryRef,
            Matcher::Exact(git_ref.to_string()),
        )
    }

    /// `--source-digest HEX` → source-repository-digest.
    pub fn with_source_digest(self, digest: &str) -> IdentityPolicy {
        self.with(
            FulcioField::SourceRepositoryDigest,
            Matcher::Exact(digest.to_ascii_lowercase()),
        )
    }

    /// `--workflow PATH` → build-config-uri must be the caller workflow `PATH` at any ref
    /// (`…/.github/workflows/release.yml@…`); a full URI `https://…@ref` is matched exactly.
    pub fn with_workflow(self, workflow: &str) -> Result<IdentityPolicy, SigstoreError> {
        if workflow.contains("://") {
            return Ok(self.with(
                FulcioField::BuildConfigUri,
                Matcher::Exact(workflow.to_string()),
            ));
        }
        let path = workflow.trim_start_matches("./").trim_start_matches('/');
        let path = if path.starts_with(".github/workflows/") {
            path.to_string()
        } else {
            format!(".github/workflows/{path}")
        };
        let m = Matcher::regex(
            FulcioField::BuildConfigUri.name(),
            &format!(r"https://[^/]+/[^/]+/[^/]+/{}@.+", regex::escape(&path)),
        )?;
        Ok(self.with(FulcioField::BuildConfigUri, m))
    }

    /// Checks `signer` against this policy; the first failing field is reported.
    pub fn check(&self, signer: &SignerIdentity) -> Result<(), SigstoreError> {
        if let Some(m) = &self.identity {
            check_field("identity", m, signer.san.as_deref())?;
        }
        if let Some(m) = &self.issuer {
            check_field("issuer", m, signer.issuer.as_deref())?;
        }
        for (field, m) in &self.extensions {
            check_field(
                field.name(),
                m,
                signer.extensions.get(field).map(String::as_str),
            )?;
        }
        Ok(())
    }
}

fn check_field(field: &str, m: &Matcher, actual: Option<&str>) -> Result<(), SigstoreError> {
    match actual {
        Some(v) if m.matches(v) => Ok(()),
        _ => Err(IdentityMismatch {
            field: field.to_string(),
            expected: m.describe(),
            actual: actual.map(str::to_string),
        }
        .into()),
    }
}

/// The signer of a keyless bundle, read from its (verified) Fulcio certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct SignerIdentity {
    /// The SAN (URI or email; OtherName `.7` username as a fallback).
    pub san: Option<String>,
    /// The OIDC issuer: `.8`, else the deprecated `.1`.
    pub issuer: Option<String>,
    /// Every Fulcio extension present, by name.
    pub extensions: BTreeMap<FulcioField, String>,
    /// The certificate's notBefore (Unix seconds).
    pub not_before: i64,
    /// The certificate's notAfter (Unix seconds).
    pub not_after: i64,
}

impl SignerIdentity {
    /// Reads the identity from a DER certificate.
    pub fn from_certificate_der(der: &[u8]) -> Result<SignerIdentity, CertificateError> {
        let cert = Certificate::from_der(der).map_err(CertificateError::Decode)?;
        let tbs = &cert.tbs_certificate;
        let mut out = SignerIdentity {
            not_before: unix(tbs.validity.not_before.to_unix_duration()),
            not_after: unix(tbs.validity.not_after.to_unix_duration()),
            ..SignerIdentity::default()
        };
        let arc = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1");
        let san_oid = ObjectIdentifier::new_unwrap("2.5.29.17");
        for ext in tbs.extensions.iter().flatten() {
            let bytes = ext.extn_value.as_bytes();
            if ext.extn_id == san_oid {
                let san = x509_cert::ext::pkix::SubjectAltName::from_der(bytes)
                    .map_err(CertificateError::SubjectAltName)?;
                for name in san.0.iter() {
                    let v = match name {
                        GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                        GeneralName::Rfc822Name(e) => Some(e.to_string()),
                        GeneralName::OtherName(o) => o
                            .value
                            .decode_as::<der::asn1::Utf8StringRef<'_>>()
                            .ok()
                            .map(|s| s.as_str().to_string()),
                        _ => None,
                    };
                    if v.is_some() {
                        out.san = v;
                        break;
                    }
                }
                continue;
            }
            let Some(n) = fulcio_arc(&ext.extn_id, &arc) else {
                continue;
            };
            let Some(field) = FulcioField::from_oid_arc(n) else {
                continue;
            };
            let value = if field.is_deprecated() {
                std::str::from_utf8(bytes).ok().map(str::to_string)
            } else {
                der::asn1::Utf8StringRef::from_der(bytes)
                    .ok()
                    .map(|s| s.as_str().to_string())
            };
            if let Some(v) = value {
                out.extensions.insert(field, v);
            } else if field == FulcioField::Issuer {
                return Err(CertificateError::FulcioExtension { field });
            }
        }
        out.issuer = out
            .extensions
            .get(&FulcioField::Issuer)
            .or_else(|| out.extensions.get(&FulcioField::IssuerV1))
            .cloned();
        Ok(out)
    }

    /// The value of `field`, if the certificate carries it.
    pub fn get(&self, field: FulcioField) -> Option<&str> {
        self.extensions.get(&field).map(String::as_str)
    }
}

fn unix(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// `Some(n)` if `oid` is `arc.n` (exactly one more component).
fn fulcio_arc(oid: &ObjectIdentifier, arc: &ObjectIdentifier) -> Option<u32> {
    let mut it = oid.arcs();
    for a in arc.arcs() {
        if it.next() != Some(a) {
            return None;
        }
    }
    let n = it.next()?;
    if it.next().is_some() {
        return None;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_oids_are_distinct() {
        for f in FulcioField::ALL {
            assert_eq!(f.name().parse::<FulcioField>().ok(), Some(f));
            assert_eq!(f.oid().parse::<FulcioField>().ok(), Some(f));
        }
        assert_eq!(
            FulcioField::SourceRepositoryUri.oid(),
            "1.3.6.1.4.1.57264.1.12"
        );
        assert!("nope".parse::<FulcioField>().is_err());
    }

    #[test]
    fn regex_is_anchored() {
        let m = Matcher::regex("identity", "https://github.com/org/repo/.*").ok();
        let m = m.as_ref().map(|m| {
            (
                m.matches("https://github.com/org/repo/x"),
                m.matches("https://evil.example/https://github.com/org/repo/x"),
            )
        });
        assert_eq!(m, Some((true, false)));
    }

    #[test]
    fn a_certificate_that_does_not_decode_is_a_typed_error() {
        let e = SignerIdentity::from_certificate_der(b"\x30\x03\x02\x01").unwrap_err();
        assert!(matches!(e, CertificateError::Decode(_)), "{e:?}");
        let shown = provseal_model::one_line(&e);
        assert!(
            shown.starts_with("the certificate is not DER X.509: "),
            "{shown}"
        );
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn mismatch_names_field_expected_actual() {
        let mut signer = SignerIdentity::default();
        signer.extensions.insert(
            FulcioField::SourceRepositoryUri,
            "https://github.com/org/other".into(),
        );
        let p = IdentityPolicy::default().with_repository("org/repo");
        match p.check(&signer) {
            Err(SigstoreError::IdentityMismatch(IdentityMismatch {
                field,
                expected,
                actual,
            })) => {
                assert_eq!(field, "source-repository-uri");
                assert_eq!(expected, "https://github.com/org/repo");
                assert_eq!(actual.as_deref(), Some("https://github.com/org/other"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
