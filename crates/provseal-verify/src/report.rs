//! The `--json` report of `provseal verify` (documented in `docs/verify-report.md`).

use crate::diag::Code;
use serde::Serialize;

use crate::{ArtifactVerdict, FailureClass};

/// Report format version.
pub const REPORT_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Format version (1).
    pub version: u32,
    /// Whether every artifact verified.
    pub verified: bool,
    /// One entry per artifact, in the order given.
    pub results: Vec<ArtifactReport>,
}

/// One artifact's result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactReport {
    /// The artifact as named on the command line.
    pub artifact: String,
    /// Its digests.
    pub digest: provseal_model::DigestSet,
    /// Whether it verified.
    pub verified: bool,
    /// The attestation (`file` or `file:line`) that verified it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<String>,
    /// Who signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<crate::SignerIdentity>,
    /// The statement's predicate type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
    /// `builder.id` of the provenance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builder_id: Option<String>,
    /// `buildType` of the provenance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_type: Option<String>,
    /// Source repositories the provenance records.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
    /// Every policy rule with its result (when `--policy` was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::policy::PolicyReport>,
}

/// A failure.
#[derive(Debug, Serialize)]
pub struct ErrorReport {
    /// Stable kebab-case code.
    pub code: Code,
    /// `input`, `authenticity` or `policy`.
    pub class: FailureClass,
    /// The one-line message.
    pub message: String,
}

impl From<&ArtifactVerdict> for ArtifactReport {
    fn from(v: &ArtifactVerdict) -> Self {
        let mut r = ArtifactReport {
            artifact: v.artifact.name.clone(),
            digest: v.artifact.digests.clone(),
            verified: v.result.is_ok(),
            attestation: None,
            signer: None,
            predicate_type: None,
            builder_id: None,
            build_type: None,
            sources: Vec::new(),
            error: None,
            policy: v.policy.clone(),
        };
        match &v.result {
            Ok(s) => {
                r.attestation = Some(s.origin.to_string());
                r.signer = Some(s.signer.clone());
                r.predicate_type = Some(s.statement.predicate_type.clone());
                if let Some(p) = &s.provenance {
                    r.builder_id = Some(p.run_details.builder.id.clone());
                    r.build_type = Some(p.build_definition.build_type.clone());
                    r.sources = crate::recorded_sources(p);
                }
            }
            Err(e) => {
                r.error = Some(ErrorReport {
                    code: e.code(),
                    class: e.class(),
                    message: provseal_model::one_line(e),
                })
            }
        }
        r
    }
}

impl Report {
    /// Builds the report from the verdicts.
    pub fn new(verdicts: &[ArtifactVerdict]) -> Self {
        Report {
            version: REPORT_VERSION,
            verified: verdicts.iter().all(|v| v.result.is_ok()),
            results: verdicts.iter().map(ArtifactReport::from).collect(),
        }
    }
}
