//! The statement of `provseal run`: subjects hashed after the build, the dependency snapshot
//! taken before it, the drift between the two snapshots, and the run details — all in one
//! payload, so one signature binds them.

use provseal_crypto::hash::HashAlgorithm;
use provseal_materials::snapshot::{Drift, Snapshot};
use provseal_model::vocab::byproduct;
use provseal_model::{DigestSet, ResourceDescriptor};
use serde_json::{json, Map, Value};

use crate::{build_statement, AttestError, ProvenanceInput, BUILD_TYPE_RUN};

/// What happened when the build ran.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// The build command (argv).
    pub command: Vec<String>,
    /// The working directory relative to the source root (`.` at the root).
    pub working_directory: String,
    /// The build's exit code (0: provseal writes nothing for a failed build).
    pub exit_code: i32,
    /// When the build started (RFC 3339 UTC).
    pub started_on: String,
    /// When it finished.
    pub finished_on: String,
    /// The snapshot taken before the build.
    pub before: Snapshot,
    /// The drift between the before- and after-build snapshots.
    pub drift: Drift,
    /// The SBOM written beside the attestation (its name and digest), if any.
    pub sbom: Option<(String, DigestSet)>,
}

/// `sha256` of the RFC 8785 form of `value`: the digest of a JSON byproduct.
fn json_digest(value: &Value) -> Result<DigestSet, AttestError> {
    let bytes = provseal_model::json::canonicalize(value)
        .map_err(|e| crate::provenance::internal("canonicalising a byproduct", e))?;
    Ok(provseal_crypto::hash::hash_bytes(
        &bytes,
        &[HashAlgorithm::Sha256],
    ))
}

/// A byproduct descriptor carrying `annotations`, named `name`, with the digest of the
/// annotations' canonical JSON.
fn json_byproduct(name: &str, annotations: Value) -> Result<ResourceDescriptor, AttestError> {
    let digest = json_digest(&annotations)?;
    let annotations = match annotations {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("value".into(), other);
            m
        }
    };
    Ok(ResourceDescriptor {
        name: Some(name.to_string()),
        media_type: Some("application/json".into()),
        digest,
        annotations,
        ..Default::default()
    })
}

/// The run's byproducts: the build result, the drift, collector warnings, and the SBOM.
pub fn run_byproducts(record: &RunRecord) -> Result<Vec<ResourceDescriptor>, AttestError> {
    let mut out = vec![
        json_byproduct(
            byproduct::BUILD,
            json!({"exitCode": record.exit_code, "startedOn": record.started_on, "finishedOn": record.finished_on}),
        )?,
        json_byproduct(
            byproduct::DRIFT,
            json!({"empty": record.drift.is_empty(), byproduct::DRIFT_ANNOTATION: record.drift}),
        )?,
    ];
    if !record.before.warnings.is_empty() {
        out.push(json_byproduct(
            byproduct::SNAPSHOT_WARNINGS,
            json!({"warnings": record.before.warnings}),
        )?);
    }
    if let Some((name, digest)) = &record.sbom {
        out.push(ResourceDescriptor {
            name: Some(name.clone()),
            media_type: Some("application/vnd.cyclonedx+json".into()),
            digest: digest.clone(),
            ..Default::default()
        });
    }
    Ok(out)
}

/// Everything a `provseal run` statement records.
pub fn run_input(
    builder_id: &str,
    digests: &[HashAlgorithm],
    subjects: Vec<(String, DigestSet)>,
    record: &RunRecord,
    invocation_id: String,
) -> Result<ProvenanceInput, AttestError> {
    let mut external = Map::new();
    external.insert("command".into(), json!(record.command));
    external.insert("workingDirectory".into(), json!(record.working_directory));
    let mut internal = Map::new();
    internal.insert(
        "digestAlgorithms".into(),
        json!(digests.iter().map(|d| d.name()).collect::<Vec<_>>()),
    );
    internal.insert("environment".into(), json!(record.before.env_vars));
    let input = ProvenanceInput {
        build_type: BUILD_TYPE_RUN.to_string(),
        builder_id: builder_id.to_string(),
        subjects,
        source: record.before.source.clone(),
        external,
        internal,
        materials: record.before.materials.clone(),
        byproducts: run_byproducts(record)?,
        invocation_id,
        started_on: record.started_on.clone(),
        finished_on: record.finished_on.clone(),
    };
    Ok(input)
}

/// Builds the `provseal run` statement (one statement listing every subject).
pub fn run_statement(
    builder_id: &str,
    digests: &[HashAlgorithm],
    subjects: Vec<(String, DigestSet)>,
    record: &RunRecord,
    invocation_id: String,
) -> Result<Vec<u8>, AttestError> {
    build_statement(&run_input(
        builder_id,
        digests,
        subjects,
        record,
        invocation_id,
    )?)
}
