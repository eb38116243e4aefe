//! What a Verification Summary Attestation records of a verification (`verify --vsa-out`), and
//! the signed VSA made from it.

use std::collections::BTreeSet;
use std::path::Path;

use provseal_crypto::Signer;
use provseal_model::dsse::Envelope;
use provseal_model::{Cause, DigestSet};

use crate::policy::Policy;
use crate::vsa::{self, VerificationResult, VsaInput};
use crate::{ArtifactVerdict, InputKind, VerifyError};

/// Each artifact verified (or not), the build levels and the attestation files that verified
/// them.
#[derive(Debug, Default)]
pub struct VsaRecord {
    subjects: Vec<(String, DigestSet)>,
    levels: BTreeSet<String>,
    files: BTreeSet<String>,
}

/// What the VSA says beyond the verdicts.
#[derive(Clone, Copy)]
pub struct VsaSettings<'a> {
    /// The policy applied (its source and digest are recorded); `None`: the checks came from
    /// the caller's options alone.
    pub policy: Option<&'a Policy>,
    /// `resourceUri`.
    pub resource_uri: &'a str,
    /// `timeVerified`.
    pub time_verified: jiff::Timestamp,
    /// The verifier's key.
    pub signer: &'a dyn Signer,
}

impl VsaRecord {
    /// Records one verdict.
    pub(crate) fn add(&mut self, v: ArtifactVerdict) {
        if let Ok(s) = &v.result {
            self.levels.insert(vsa::build_level(s).to_string());
            self.files.insert(s.origin.path.clone());
        }
        self.subjects.push((v.artifact.name, v.artifact.digests));
    }

    /// The VSA (`verificationResult` `PASSED`) as a DSSE envelope signed by
    /// `settings.signer`; the attestation files are read again for their digests. Make one only
    /// when every artifact verified.
    pub fn sign(self, settings: &VsaSettings<'_>) -> Result<Envelope, VerifyError> {
        let mut inputs = Vec::new();
        for f in &self.files {
            let bytes = crate::read_input(Path::new(f), InputKind::Attestation)?;
            inputs.push(vsa::attestation_descriptor(f, &bytes));
        }
        let (policy_uri, policy_digest) = match settings.policy {
            Some(p) => (p.source.clone(), p.digest.clone()),
            None => ("provseal:command-line-flags".to_string(), DigestSet::new()),
        };
        let statement = vsa::vsa_statement(&VsaInput {
            verifier_id: vsa::PROVSEAL_VERIFIER_ID.to_string(),
            time_verified: settings.time_verified,
            subjects: self.subjects,
            resource_uri: settings.resource_uri.to_string(),
            policy_uri,
            policy_digest,
            input_attestations: inputs,
            result: VerificationResult::Passed,
            verified_levels: self.levels.into_iter().collect(),
            dependency_levels: Default::default(),
        })
        .map_err(VerifyError::Vsa)?;
        provseal_crypto::dsse::sign(
            provseal_model::IN_TOTO_PAYLOAD_TYPE,
            statement,
            settings.signer,
        )
        .map_err(|e| VerifyError::VsaSigning {
            source: Cause::new(e),
        })
    }
}
