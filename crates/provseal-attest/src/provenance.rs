//! Building the in-toto Statement v1 with provseal's SLSA Provenance v1 predicate.
//!
//! The predicate layout (buildType URIs and parameter schemas) is documented in
//! `docs/buildtype.md`; keep the two in step.

use serde_json::{json, Map, Value};

use provseal_materials::git::SourceInfo;
use provseal_model::{DigestSet, ResourceDescriptor, Statement};

use crate::AttestError;

/// buildType of `provseal attest`: products attested after a build that provseal did not run.
pub const BUILD_TYPE_ATTEST: &str = "https://provseal.dev/buildtypes/attest/v1";
/// buildType of `provseal run`: a build command run under provseal, materials snapshotted first.
pub const BUILD_TYPE_RUN: &str = "https://provseal.dev/buildtypes/run/v1";
/// The default `runDetails.builder.id` when `--builder-id` is not given.
pub const DEFAULT_BUILDER_ID: &str = "https://provseal.dev/builders/cli/v1";

/// Everything that goes into one provenance statement.
#[derive(Debug, Clone)]
pub struct ProvenanceInput {
    /// `buildDefinition.buildType`.
    pub build_type: String,
    /// `runDetails.builder.id`.
    pub builder_id: String,
    /// Subjects: name and digests.
    pub subjects: Vec<(String, DigestSet)>,
    /// The git source, `None` outside a git work tree (recorded as absent, not invented).
    pub source: Option<SourceInfo>,
    /// Extra `externalParameters` members (e.g. the command of `provseal run`).
    pub external: Map<String, Value>,
    /// Extra `internalParameters` members.
    pub internal: Map<String, Value>,
    /// `resolvedDependencies`: the source descriptor
    /// ([`SourceInfo::to_resource_descriptor`]) first, then the dependency materials.
    pub materials: Vec<ResourceDescriptor>,
    /// `runDetails.byproducts`.
    pub byproducts: Vec<ResourceDescriptor>,
    /// `runDetails.metadata.invocationId`.
    pub invocation_id: String,
    /// `runDetails.metadata.startedOn` (RFC 3339, UTC).
    pub started_on: String,
    /// `runDetails.metadata.finishedOn` (RFC 3339, UTC).
    pub finished_on: String,
}

/// The predicate JSON object of `input` (shared by every statement of a run).
fn predicate_value(input: &ProvenanceInput) -> Value {
    let mut external = Map::new();
    if let Some(src) = &input.source {
        let mut s = Map::new();
        if let Some(remote) = &src.remote_url {
            s.insert("repository".into(), json!(remote));
        }
        if let Some(r) = &src.ref_name {
            s.insert("ref".into(), json!(r));
        }
        external.insert("source".into(), Value::Object(s));
    }
    external.extend(input.external.clone());

    let mut internal = Map::new();
    internal.insert(
        "sourceRecorded".into(),
        json!(if input.source.is_some() {
            "git"
        } else {
            "absent"
        }),
    );
    internal.extend(input.internal.clone());

    let mut run_details = json!({
        "builder": {
            "id": input.builder_id,
            "version": {"provseal": env!("CARGO_PKG_VERSION")},
        },
        "metadata": {
            "invocationId": input.invocation_id,
            "startedOn": input.started_on,
            "finishedOn": input.finished_on,
        },
    });
    if !input.byproducts.is_empty() {
        run_details["byproducts"] = json!(input.byproducts);
    }
    json!({
        "buildDefinition": {
            "buildType": input.build_type,
            "externalParameters": external,
            "internalParameters": internal,
            "resolvedDependencies": input.materials,
        },
        "runDetails": run_details,
    })
}

/// An [`AttestError::Internal`]: `what` failed with `e` (an error provseal's own values should
/// never give).
pub(crate) fn internal(
    what: &'static str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> AttestError {
    AttestError::Internal {
        what,
        source: Some(provseal_model::Cause::new(e)),
    }
}

/// One statement per subject, all with the same predicate (the per-artifact and batch shapes).
///
/// The predicate is serialised once and spliced into every statement, so 100,000 subjects cost
/// 100,000 small subject serialisations, not 100,000 predicate serialisations; the first
/// statement is parsed back with the strict model parser.
pub fn build_statements_per_subject(input: &ProvenanceInput) -> Result<Vec<Vec<u8>>, AttestError> {
    let predicate = serde_json::to_string(&predicate_value(input))
        .map_err(|e| internal("serialising the predicate", e))?;
    let head = format!(
        "{{\"_type\":{},\"predicateType\":{},\"predicate\":{predicate},\"subject\":[",
        json!(provseal_model::STATEMENT_V1),
        json!(provseal_model::SLSA_PROVENANCE_V1)
    );
    let mut out = Vec::with_capacity(input.subjects.len());
    for (name, digest) in &input.subjects {
        let subject = serde_json::to_string(&json!({"name": name, "digest": digest}))
            .map_err(|e| internal("serialising a subject", e))?;
        let mut bytes = Vec::with_capacity(head.len() + subject.len() + 2);
        bytes.extend_from_slice(head.as_bytes());
        bytes.extend_from_slice(subject.as_bytes());
        bytes.extend_from_slice(b"]}");
        out.push(bytes);
    }
    if let Some(first) = out.first() {
        Statement::parse(first)
            .map_err(|e| internal("the statement provseal built does not validate", e))?;
    }
    Ok(out)
}

/// Builds the statement and returns its exact JSON bytes (what gets signed).
///
/// The bytes are parsed back with the strict model parser before they are returned, so a
/// statement provseal signs is always one provseal (and the in-toto reference) accepts.
pub fn build_statement(input: &ProvenanceInput) -> Result<Vec<u8>, AttestError> {
    /// The statement as written: typed, so 100,000 subjects are serialised straight to bytes
    /// without a JSON tree of them in memory.
    #[derive(serde::Serialize)]
    struct Out<'a> {
        #[serde(rename = "_type")]
        type_: &'static str,
        subject: Vec<Subject<'a>>,
        #[serde(rename = "predicateType")]
        predicate_type: &'static str,
        predicate: &'a Value,
    }
    #[derive(serde::Serialize)]
    struct Subject<'a> {
        name: &'a str,
        digest: &'a DigestSet,
    }
    fn out<'a>(subjects: &'a [(String, DigestSet)], predicate: &'a Value) -> Out<'a> {
        Out {
            type_: provseal_model::STATEMENT_V1,
            subject: subjects
                .iter()
                .map(|(name, digest)| Subject { name, digest })
                .collect(),
            predicate_type: provseal_model::SLSA_PROVENANCE_V1,
            predicate,
        }
    }
    let predicate = predicate_value(input);
    let bytes = serde_json::to_vec(&out(&input.subjects, &predicate))
        .map_err(|e| internal("serialising the statement", e))?;
    // Validate the shape with the strict model parser on the statement with its first subject:
    // the predicate is the same bytes, and the subjects are digests provseal computed.
    let probe = serde_json::to_vec(&out(
        input.subjects.get(..1).unwrap_or_default(),
        &predicate,
    ))
    .map_err(|e| internal("serialising the statement", e))?;
    Statement::parse(&probe)
        .map_err(|e| internal("the statement provseal built does not validate", e))?;
    Ok(bytes)
}
