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
        let mut tally = Tally::new(KeepResults::Yes);
        verdicts.iter().for_each(|v| tally.add(v));
        tally.into_report()
    }
}

/// Whether a [`Tally`] keeps one [`ArtifactReport`] per verdict (for the `--json` report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepResults {
    /// Keep them: [`Tally::into_report`] gives the whole report.
    Yes,
    /// Count only.
    No,
}

/// What remains of a stream of verdicts once each has been shown: the counts, the worst failure
/// class, and (with [`KeepResults::Yes`]) each artifact's report entry. It holds no statement,
/// so a caller that prints each verdict as it is decided and drops it keeps memory
/// O(statement + artifacts).
///
/// ```
/// use provseal_verify::report::{KeepResults, Tally};
/// let tally = Tally::new(KeepResults::No);
/// assert_eq!((tally.verified(), tally.failed(), tally.worst()), (0, 0, None));
/// ```
#[derive(Debug)]
pub struct Tally {
    verified: usize,
    failed: usize,
    worst: Option<FailureClass>,
    results: Option<Vec<ArtifactReport>>,
}

impl Tally {
    /// Nothing counted yet.
    pub fn new(keep: KeepResults) -> Self {
        Tally {
            verified: 0,
            failed: 0,
            worst: None,
            results: (keep == KeepResults::Yes).then(Vec::new),
        }
    }

    /// Counts one verdict (and keeps its report entry when asked).
    pub fn add(&mut self, v: &ArtifactVerdict) {
        match &v.result {
            Ok(_) => self.verified += 1,
            Err(e) => {
                self.failed += 1;
                let class = e.class();
                // An input error outranks a definite "no" (exit 2 over 1).
                if self.worst != Some(FailureClass::Input) {
                    self.worst = Some(class);
                }
            }
        }
        if let Some(results) = &mut self.results {
            results.push(ArtifactReport::from(v));
        }
    }

    /// Verdicts that verified.
    pub fn verified(&self) -> usize {
        self.verified
    }

    /// Verdicts that failed.
    pub fn failed(&self) -> usize {
        self.failed
    }

    /// The worst class of failure so far: [`FailureClass::Input`] over any other; `None` when
    /// every verdict verified.
    pub fn worst(&self) -> Option<FailureClass> {
        self.worst
    }

    /// The report of every verdict counted (empty results unless kept).
    pub fn into_report(self) -> Report {
        Report {
            version: REPORT_VERSION,
            verified: self.failed == 0,
            results: self.results.unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Artifact, Origin, SignerIdentity, VerifiedStatement, VerifyError};
    use std::sync::Arc;

    fn verdict(name: &str, result: Result<Arc<VerifiedStatement>, VerifyError>) -> ArtifactVerdict {
        ArtifactVerdict::new(
            Artifact {
                name: name.into(),
                digests: Default::default(),
            },
            result,
        )
    }

    /// Issue 14: the tally of a stream of verdicts gives the counts, the worst class (input over
    /// a definite no, whatever the order) and the same report as the whole list.
    #[test]
    fn tally_counts_a_stream_like_the_whole_list() {
        let statement = Arc::new(VerifiedStatement {
            origin: Origin::file("a.intoto.jsonl"),
            signer: SignerIdentity::Key {
                key_id: "ab".repeat(32),
            },
            statement: provseal_model::Statement::new(
                Vec::new(),
                "https://example.com/p",
                serde_json::json!({}),
            ),
            provenance: None,
        });
        let no = || VerifyError::BuilderMismatch {
            expected: "a".into(),
            actual: "b".into(),
        };
        let bad = VerifyError::ArtifactUnreadable {
            source: crate::ArtifactError::NoSuchFile { name: "x".into() },
        };
        let verdicts = [
            verdict("ok", Ok(Arc::clone(&statement))),
            verdict("no", Err(no())),
            verdict("x", Err(bad)),
            verdict("no2", Err(no())),
        ];
        let mut tally = Tally::new(KeepResults::No);
        let mut worst = Vec::new();
        for v in &verdicts {
            tally.add(v);
            worst.push(tally.worst());
        }
        assert_eq!(
            worst,
            [
                None,
                Some(FailureClass::Policy),
                Some(FailureClass::Input),
                Some(FailureClass::Input)
            ]
        );
        assert_eq!((tally.verified(), tally.failed()), (1, 3));
        assert!(tally.into_report().results.is_empty());
        let streamed = {
            let mut t = Tally::new(KeepResults::Yes);
            verdicts.iter().for_each(|v| t.add(v));
            serde_json::to_string(&t.into_report()).unwrap()
        };
        let whole = Report::new(&verdicts);
        assert!(!whole.verified);
        assert_eq!(whole.results.len(), 4);
        assert_eq!(streamed, serde_json::to_string(&whole).unwrap());
        assert!(Report::new(&verdicts[..1]).verified);
    }
}
