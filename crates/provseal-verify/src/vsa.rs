//! SLSA Verification Summary Attestations (VSA v1): writing one after a successful
//! verification, and checking one the way slsa-verifier's `verify-vsa` does.
//!
//! [`vsa_statement`] builds the in-toto Statement v1 bytes (predicate
//! `https://slsa.dev/verification_summary/v1`); the caller signs them with
//! `provseal_crypto::dsse::sign`. [`verify_vsa`] verifies the envelope's signature with the
//! given keys — a signature counts only when its `keyid` is empty or equals the expected key id
//! (`public_key_id`, else the key's provseal id) — then parses the statement and checks, in
//! slsa-verifier's order: subject digests, `verifier.id`, `resourceUri`,
//! `verificationResult == PASSED`, verified levels.
//!
//! ```no_run
//! use provseal_verify::vsa::{vsa_statement, VsaInput, VerificationResult};
//! # fn demo(signer: &dyn provseal_crypto::Signer, digest: provseal_model::DigestSet) {
//! let bytes = vsa_statement(&VsaInput {
//!     verifier_id: "https://provseal.dev/verifier/v1".into(),
//!     time_verified: jiff::Timestamp::now(),
//!     subjects: vec![("app.tar.gz".into(), digest)],
//!     resource_uri: "https://example.com/app.tar.gz".into(),
//!     policy_uri: "provseal-policy.toml".into(),
//!     policy_digest: Default::default(),
//!     input_attestations: vec![],
//!     result: VerificationResult::Passed,
//!     verified_levels: vec!["SLSA_BUILD_LEVEL_1".into()],
//!     dependency_levels: Default::default(),
//! }).unwrap();
//! let env = provseal_crypto::dsse::sign(provseal_model::IN_TOTO_PAYLOAD_TYPE, bytes, signer).unwrap();
//! println!("{}", env.to_json());
//! # }
//! ```

use crate::diag::Code;
use std::collections::BTreeMap;

use provseal_crypto::PublicKey;
use provseal_model::dsse::Envelope;
use provseal_model::{DigestSet, ResourceDescriptor, Statement};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::VerifiedStatement;

/// The VSA predicate type.
pub const VSA_PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";

/// provseal's default verifier id.
pub const PROVSEAL_VERIFIER_ID: &str = "https://provseal.dev/verifier/v1";

/// `PASSED` or `FAILED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationResult {
    /// Every check passed.
    Passed,
    /// A check failed.
    Failed,
}

impl VerificationResult {
    fn as_str(self) -> &'static str {
        match self {
            VerificationResult::Passed => "PASSED",
            VerificationResult::Failed => "FAILED",
        }
    }
}

/// What a VSA says.
#[derive(Debug, Clone)]
pub struct VsaInput {
    /// `verifier.id` (e.g. [`PROVSEAL_VERIFIER_ID`]).
    pub verifier_id: String,
    /// `timeVerified`.
    pub time_verified: jiff::Timestamp,
    /// The subjects: (name, digests) of each verified artifact.
    pub subjects: Vec<(String, DigestSet)>,
    /// `resourceUri`: where the artifact is meant to be used from.
    pub resource_uri: String,
    /// `policy.uri`.
    pub policy_uri: String,
    /// `policy.digest` (e.g. [`crate::policy::Policy::digest`]).
    pub policy_digest: DigestSet,
    /// `inputAttestations`: (uri, digest) of every attestation used (see
    /// [`attestation_descriptor`]).
    pub input_attestations: Vec<(String, DigestSet)>,
    /// `verificationResult`.
    pub result: VerificationResult,
    /// `verifiedLevels` (e.g. from [`build_level`]).
    pub verified_levels: Vec<String>,
    /// `dependencyLevels` (omitted when empty: provseal cannot compute the levels of
    /// dependencies from a snapshot alone).
    pub dependency_levels: BTreeMap<String, u64>,
}

/// Why building or verifying a VSA failed. Codes (`code()`) follow slsa-verifier's error names.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum VsaError {
    /// The envelope or its payload is not a valid in-toto statement.
    #[error("the VSA is malformed{}", provseal_model::colon(reason))]
    Malformed {
        /// No underlying cause: what is wrong (empty when `source`, a parser's error, says it all).
        reason: String,
        /// The parser's error, when one reported it.
        #[source]
        source: Option<provseal_model::Cause>,
    },
    /// No signature verified with a given key under the expected key id.
    #[error("no valid signature: {reason}")]
    NoValidSignature {
        /// No underlying cause: the key ids tried and the signature key ids seen.
        reason: String,
    },
    /// The predicate type is not VSA v1.
    #[error("predicateType: expected `{VSA_PREDICATE_TYPE}`, found `{actual}`")]
    PredicateType {
        /// Found.
        actual: String,
    },
    /// A required expectation or VSA field is empty.
    #[error("empty required field: {field}")]
    EmptyRequiredField {
        /// Which.
        field: String,
    },
    /// An expected subject digest is not in the VSA.
    #[error("expected subject digest not found: {digest}")]
    MissingSubjectDigest {
        /// `alg:value`.
        digest: String,
    },
    /// `verifier.id` differs.
    #[error("verifier.id: expected `{expected}`, found `{actual}`")]
    VerifierIdMismatch {
        /// Expected.
        expected: String,
        /// Found.
        actual: String,
    },
    /// `resourceUri` differs.
    #[error("resourceUri: expected `{expected}`, found `{actual}`")]
    ResourceUriMismatch {
        /// Expected.
        expected: String,
        /// Found.
        actual: String,
    },
    /// `verificationResult` is not `PASSED`.
    #[error("verificationResult: expected `PASSED`, found `{actual}`")]
    NotPassed {
        /// Found.
        actual: String,
    },
    /// An expected level is missing or lower.
    #[error("verifiedLevels: expected {expected}, found {actual}")]
    LevelMismatch {
        /// The expected level.
        expected: String,
        /// The VSA's levels.
        actual: String,
    },
    /// A `SLSA_…` level is not `SLSA_<TRACK>_LEVEL_<n>`.
    #[error("invalid SLSA level `{level}`")]
    InvalidLevel {
        /// The level.
        level: String,
    },
    /// The statement could not be serialised.
    #[error("cannot build the VSA")]
    Build {
        /// The serializer's error.
        #[source]
        source: provseal_model::Cause,
    },
}

impl VsaError {
    /// Stable kebab-case code (`docs/policy.md`), named after slsa-verifier's errors.
    pub fn code(&self) -> Code {
        match self {
            VsaError::Malformed { .. } => Code::VsaMalformed,
            VsaError::NoValidSignature { .. } => Code::VsaNoValidSignature,
            VsaError::PredicateType { .. } => Code::VsaPredicateType,
            VsaError::EmptyRequiredField { .. } => Code::VsaEmptyRequiredField,
            VsaError::MissingSubjectDigest { .. } => Code::VsaMissingSubjectDigest,
            VsaError::VerifierIdMismatch { .. } => Code::VsaVerifierIdMismatch,
            VsaError::ResourceUriMismatch { .. } => Code::VsaResourceUriMismatch,
            VsaError::NotPassed { .. } => Code::VsaVerificationResult,
            VsaError::LevelMismatch { .. } => Code::VsaVerifiedLevelsMismatch,
            VsaError::InvalidLevel { .. } => Code::VsaInvalidSlsaLevel,
            VsaError::Build { .. } => Code::VsaBuild,
        }
    }

    /// Whether this is bad input (exit 2) rather than a definite "no" (exit 1).
    pub fn is_input_error(&self) -> bool {
        matches!(self, VsaError::Malformed { .. } | VsaError::Build { .. })
    }
}

/// `(uri, sha256 of the file's bytes)` for `inputAttestations`.
pub fn attestation_descriptor(uri: &str, bytes: &[u8]) -> (String, DigestSet) {
    (
        uri.to_string(),
        provseal_crypto::hash::hash_bytes(bytes, &[provseal_crypto::hash::HashAlgorithm::Sha256]),
    )
}

/// The SLSA build level a verified statement supports on its own: `SLSA_BUILD_LEVEL_1` for any
/// signed SLSA provenance (provenance exists and says how the artifact was built), `FAILED`
/// otherwise. Higher levels need a hosted, hardened build platform whose identity the verifier
/// pinned; provseal does not infer them from a key signature.
pub fn build_level(v: &VerifiedStatement) -> &'static str {
    if v.provenance.is_some() {
        "SLSA_BUILD_LEVEL_1"
    } else {
        "FAILED"
    }
}

/// Builds the VSA statement bytes (compact JSON; sign them as they are).
pub fn vsa_statement(input: &VsaInput) -> Result<Vec<u8>, VsaError> {
    let subject: Vec<ResourceDescriptor> = input
        .subjects
        .iter()
        .map(|(n, d)| ResourceDescriptor::named(n.clone(), d.clone()))
        .collect();
    let mut policy = json!({"uri": input.policy_uri});
    if !input.policy_digest.is_empty() {
        policy["digest"] = serde_json::to_value(&input.policy_digest).map_err(build_err)?;
    }
    let mut predicate = json!({
        "verifier": {"id": input.verifier_id},
        "timeVerified": provseal_model::slsa::format_timestamp(input.time_verified),
        "resourceUri": input.resource_uri,
        "policy": policy,
        "verificationResult": input.result.as_str(),
        "verifiedLevels": input.verified_levels,
        "slsaVersion": "1.0",
    });
    if !input.input_attestations.is_empty() {
        let list: Vec<Value> = input
            .input_attestations
            .iter()
            .map(|(u, d)| json!({"uri": u, "digest": d}))
            .collect();
        predicate["inputAttestations"] = Value::Array(list);
    }
    if !input.dependency_levels.is_empty() {
        predicate["dependencyLevels"] =
            serde_json::to_value(&input.dependency_levels).map_err(build_err)?;
    }
    let st = Statement::new(subject, VSA_PREDICATE_TYPE, predicate);
    st.to_json_vec().map_err(|e| VsaError::Build {
        source: provseal_model::Cause::new(e),
    })
}

fn build_err(e: serde_json::Error) -> VsaError {
    VsaError::Build {
        source: provseal_model::Cause::new(e),
    }
}

/// What a VSA must say (slsa-verifier `verify-vsa` flags).
#[derive(Debug, Clone, Default)]
pub struct VsaExpectations {
    /// `--subject-digest alg:value` (at least one; each must be a subject digest).
    pub subject_digests: Vec<String>,
    /// `--verifier-id`.
    pub verifier_id: String,
    /// `--resource-uri`.
    pub resource_uri: String,
    /// `--verified-level` (SLSA track levels are minimums per track; others must be present).
    pub verified_levels: Vec<String>,
    /// `--public-key-id`: the key id a signature must carry. `None` or empty: the key's provseal
    /// key id (slsa-verifier falls back to an SSH fingerprint instead; see `docs/policy.md`).
    pub public_key_id: Option<String>,
}

/// A VSA that verified.
#[derive(Debug, Clone)]
pub struct VerifiedVsa {
    /// The signed statement bytes.
    pub payload: Vec<u8>,
    /// The statement.
    pub statement: Statement,
    /// The predicate.
    pub predicate: VsaPredicate,
    /// The key id the verifying signature carried (or the key's id when it carried none).
    pub key_id: String,
}

/// The fields of a VSA predicate that are checked.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VsaPredicate {
    /// `verifier`.
    #[serde(default)]
    pub verifier: VsaVerifier,
    /// `timeVerified`.
    #[serde(default)]
    pub time_verified: Option<String>,
    /// `resourceUri`.
    #[serde(default)]
    pub resource_uri: String,
    /// `policy`.
    #[serde(default)]
    pub policy: Option<ResourceDescriptor>,
    /// `inputAttestations`.
    #[serde(default)]
    pub input_attestations: Vec<ResourceDescriptor>,
    /// `verificationResult`.
    #[serde(default)]
    pub verification_result: String,
    /// `verifiedLevels`.
    #[serde(default)]
    pub verified_levels: Vec<String>,
    /// `dependencyLevels`.
    #[serde(default)]
    pub dependency_levels: BTreeMap<String, u64>,
    /// `slsaVersion`.
    #[serde(default)]
    pub slsa_version: Option<String>,
}

/// `verifier`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct VsaVerifier {
    /// `id`.
    #[serde(default)]
    pub id: String,
}

/// [`verify_vsa`] over a file's bytes: one DSSE envelope as JSON, or JSON Lines whose first
/// non-empty line is the envelope (slsa-verifier reads the file as one envelope).
pub fn verify_vsa_bytes(
    bytes: &[u8],
    keys: &[PublicKey],
    expected: &VsaExpectations,
) -> Result<VerifiedVsa, VsaError> {
    let text = std::str::from_utf8(bytes).map_err(|_| VsaError::Malformed {
        reason: "the VSA file is not UTF-8".into(),
        source: None,
    })?;
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| VsaError::Malformed {
            reason: "the VSA file is empty".into(),
            source: None,
        })?;
    let env = Envelope::from_json(text.trim().as_bytes())
        .or_else(|_| Envelope::from_json(first.as_bytes()))
        .map_err(|e| VsaError::Malformed {
            reason: "not a DSSE envelope".into(),
            source: Some(provseal_model::Cause::new(e)),
        })?;
    verify_vsa(&env, keys, expected)
}

/// Verifies a VSA envelope with `keys` and checks it against `expected`.
pub fn verify_vsa(
    envelope: &Envelope,
    keys: &[PublicKey],
    expected: &VsaExpectations,
) -> Result<VerifiedVsa, VsaError> {
    // 1. The signature, under the expected key id.
    if envelope.signatures.is_empty() {
        return Err(VsaError::NoValidSignature {
            reason: "the envelope has no signatures".into(),
        });
    }
    if keys.is_empty() {
        return Err(VsaError::NoValidSignature {
            reason: "no public key given".into(),
        });
    }
    let pae = envelope.pae();
    let mut verified_id = None;
    'outer: for sig in &envelope.signatures {
        for key in keys {
            let want = match expected.public_key_id.as_deref() {
                Some(id) if !id.is_empty() => id.to_string(),
                _ => key.key_id(),
            };
            let sig_id = sig.keyid.as_deref().unwrap_or("");
            if !sig_id.is_empty() && sig_id != want {
                continue;
            }
            if key.verify(&pae, &sig.sig).is_ok() {
                verified_id = Some(want);
                break 'outer;
            }
        }
    }
    let Some(key_id) = verified_id else {
        let seen: Vec<String> = envelope
            .signatures
            .iter()
            .map(|s| format!("`{}`", s.keyid.as_deref().unwrap_or("")))
            .collect();
        let want = match expected.public_key_id.as_deref() {
            Some(id) if !id.is_empty() => format!("`{id}`"),
            _ => keys
                .iter()
                .map(|k| format!("`{}`", k.key_id()))
                .collect::<Vec<_>>()
                .join(", "),
        };
        return Err(VsaError::NoValidSignature {
            reason: format!(
                "no signature verifies under key id {want} (signature key ids: {})",
                seen.join(", ")
            ),
        });
    };
    // 3. Parse the statement (payload type, predicate type).
    if envelope.payload_type != provseal_model::IN_TOTO_PAYLOAD_TYPE {
        return Err(VsaError::Malformed {
            reason: format!(
                "payloadType `{}` is not `{}`",
                envelope.payload_type,
                provseal_model::IN_TOTO_PAYLOAD_TYPE
            ),
            source: None,
        });
    }
    let statement = Statement::parse(&envelope.payload).map_err(|e| VsaError::Malformed {
        reason: Default::default(),
        source: Some(provseal_model::Cause::new(e)),
    })?;
    if statement.predicate_type != VSA_PREDICATE_TYPE {
        return Err(VsaError::PredicateType {
            actual: statement.predicate_type.clone(),
        });
    }
    let predicate: VsaPredicate = serde_json::from_value(
        statement.predicate.clone().unwrap_or(Value::Null),
    )
    .map_err(|e| VsaError::Malformed {
        reason: "predicate".into(),
        source: Some(provseal_model::Cause::new(e)),
    })?;
    // 2. Subject digests.
    if expected.subject_digests.is_empty() {
        return Err(VsaError::EmptyRequiredField {
            field: "subject digests (expected)".into(),
        });
    }
    let mut all: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in &statement.subject {
        for (alg, v) in s.digest.iter() {
            all.entry(alg).or_default().push(v);
        }
    }
    if all.is_empty() {
        return Err(VsaError::Malformed {
            reason: "no subject digests in the VSA".into(),
            source: None,
        });
    }
    for d in &expected.subject_digests {
        let Some((alg, value)) = d.split_once(':') else {
            return Err(VsaError::Malformed {
                reason: format!("expected digest `{d}` is not `<type>:<value>`"),
                source: None,
            });
        };
        if !all.get(alg).is_some_and(|vs| vs.contains(&value)) {
            return Err(VsaError::MissingSubjectDigest { digest: d.clone() });
        }
    }
    // 4. Verifier id.
    if predicate.verifier.id.is_empty() {
        return Err(VsaError::EmptyRequiredField {
            field: "verifier.id".into(),
        });
    }
    if predicate.verifier.id != expected.verifier_id {
        return Err(VsaError::VerifierIdMismatch {
            expected: expected.verifier_id.clone(),
            actual: predicate.verifier.id.clone(),
        });
    }
    // 5. Resource URI.
    if predicate.resource_uri.is_empty() {
        return Err(VsaError::EmptyRequiredField {
            field: "resourceUri".into(),
        });
    }
    if predicate.resource_uri != expected.resource_uri {
        return Err(VsaError::ResourceUriMismatch {
            expected: expected.resource_uri.clone(),
            actual: predicate.resource_uri.clone(),
        });
    }
    // 6. Result.
    if predicate.verification_result != "PASSED" {
        return Err(VsaError::NotPassed {
            actual: predicate.verification_result.clone(),
        });
    }
    // 7. Levels.
    check_levels(&expected.verified_levels, &predicate.verified_levels)?;
    Ok(VerifiedVsa {
        payload: envelope.payload.clone(),
        statement,
        predicate,
        key_id,
    })
}

/// `SLSA_<TRACK>_LEVEL_<n>` → (track, n): the highest level per track.
fn slsa_levels(levels: &[String]) -> Result<BTreeMap<String, u32>, VsaError> {
    let mut out: BTreeMap<String, u32> = BTreeMap::new();
    for l in levels.iter().filter(|l| l.starts_with("SLSA_")) {
        let parts: Vec<&str> = l.splitn(4, '_').collect();
        let (Some(track), Some(&"LEVEL"), Some(n)) = (parts.get(1), parts.get(2), parts.get(3))
        else {
            return Err(VsaError::InvalidLevel { level: l.clone() });
        };
        let n: u32 = n
            .parse()
            .map_err(|_| VsaError::InvalidLevel { level: l.clone() })?;
        let e = out.entry((*track).to_string()).or_insert(n);
        *e = (*e).max(n);
    }
    Ok(out)
}

fn check_levels(expected: &[String], got: &[String]) -> Result<(), VsaError> {
    let want = slsa_levels(expected)?;
    let have = slsa_levels(got)?;
    let actual = || format!("[{}]", got.join(", "));
    for (track, n) in &want {
        match have.get(track) {
            Some(h) if h >= n => {}
            _ => {
                return Err(VsaError::LevelMismatch {
                    expected: format!("SLSA_{track}_LEVEL_{n} or higher"),
                    actual: actual(),
                })
            }
        }
    }
    for e in expected.iter().filter(|l| !l.starts_with("SLSA_")) {
        if !got.contains(e) {
            return Err(VsaError::LevelMismatch {
                expected: e.clone(),
                actual: actual(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(check_levels(&s(&["SLSA_BUILD_LEVEL_2"]), &s(&["SLSA_BUILD_LEVEL_3"])).is_ok());
        assert!(check_levels(&s(&["SLSA_BUILD_LEVEL_3"]), &s(&["SLSA_BUILD_LEVEL_2"])).is_err());
        assert!(check_levels(&s(&["BCID_L1"]), &s(&["SLSA_BUILD_LEVEL_2"])).is_err());
        assert!(check_levels(&s(&["SLSA_BUILD_LEVEL_x"]), &s(&[])).is_err());
        assert!(check_levels(&s(&[]), &s(&["ANYTHING"])).is_ok());
    }
}
