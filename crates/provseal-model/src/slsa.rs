//! SLSA Provenance v1 (read and write) and v0.2 (read, mapped to v1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::descriptor::null_as_default;
use crate::statement::kind;
use crate::{DigestSet, ModelError, ResourceDescriptor, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1};

/// A SLSA Provenance v1 predicate (`https://slsa.dev/provenance/v1`).
///
/// Unknown (extension) fields are ignored on input; absent, null and empty are the same.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct ProvenanceV1 {
    /// The inputs that define the build.
    #[serde(default, deserialize_with = "null_as_default")]
    pub build_definition: BuildDefinition,
    /// Details of this particular run.
    #[serde(default, deserialize_with = "null_as_default")]
    pub run_details: RunDetails,
}

object_only!(ProvenanceV1, "SLSA provenance v1");

/// `buildDefinition`: everything that determines the build's output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct BuildDefinition {
    /// URI of the template for how the build ran (its parameter schema).
    #[serde(default, deserialize_with = "null_as_default")]
    pub build_type: String,
    /// Parameters under external control (a JSON object; required, `{}` allowed).
    #[serde(default)]
    pub external_parameters: Value,
    /// Parameters under the builder's control (a JSON object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_parameters: Option<Value>,
    /// Artifacts the build used (source, dependencies, tools).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

object_only!(BuildDefinition, "buildDefinition");

/// `runDetails`: who ran the build, and when.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct RunDetails {
    /// The build platform.
    #[serde(default, deserialize_with = "null_as_default")]
    pub builder: Builder,
    /// Invocation id and times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BuildMetadata>,
    /// Further outputs of the build (logs, configuration digests …).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub byproducts: Vec<ResourceDescriptor>,
}

object_only!(RunDetails, "runDetails");

/// `runDetails.builder`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct Builder {
    /// URI identifying the build platform (the trust anchor: verifiers accept specific ids).
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
    /// Versions of the builder's components.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub version: BTreeMap<String, String>,
    /// Dependencies of the builder itself.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub builder_dependencies: Vec<ResourceDescriptor>,
}

object_only!(Builder, "builder");

/// `runDetails.metadata`. Timestamps are RFC 3339 strings (write them in UTC with
/// [`format_timestamp`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct BuildMetadata {
    /// Identifier of this run.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub invocation_id: Option<String>,
    /// When the build started.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub started_on: Option<String>,
    /// When the build finished.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub finished_on: Option<String>,
}

object_only!(BuildMetadata, "metadata");

fn is_blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(str::is_empty)
}

/// Formats a timestamp as RFC 3339 in UTC (`2026-11-25T22:15:07Z`, fractional seconds only when
/// non-zero).
pub fn format_timestamp(ts: jiff::Timestamp) -> String {
    ts.to_string()
}

/// Parses an RFC 3339 timestamp (any offset; `Z` is what provseal writes).
pub fn parse_timestamp(text: &str) -> Result<jiff::Timestamp, crate::TimestampError> {
    if !text.contains(['T', 't']) {
        return Err(crate::TimestampError::NoSeparator);
    }
    text.parse::<jiff::Timestamp>()
        .map_err(|e| crate::TimestampError::Parse(crate::Cause::new(e)))
}

fn check_timestamp(v: &Option<String>, path: String) -> Result<(), ModelError> {
    match v.as_deref() {
        None | Some("") => Ok(()),
        Some(t) => parse_timestamp(t)
            .map(|_| ())
            .map_err(|source| ModelError::InvalidTimestamp {
                path,
                value: crate::error::excerpt(t),
                source,
            }),
    }
}

impl BuildMetadata {
    /// `startedOn` as a timestamp, if set.
    pub fn started_on_timestamp(&self) -> Result<Option<jiff::Timestamp>, ModelError> {
        ts_of(&self.started_on, "$.runDetails.metadata.startedOn")
    }

    /// `finishedOn` as a timestamp, if set.
    pub fn finished_on_timestamp(&self) -> Result<Option<jiff::Timestamp>, ModelError> {
        ts_of(&self.finished_on, "$.runDetails.metadata.finishedOn")
    }
}

fn ts_of(v: &Option<String>, path: &str) -> Result<Option<jiff::Timestamp>, ModelError> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(t) => parse_timestamp(t)
            .map(Some)
            .map_err(|source| ModelError::InvalidTimestamp {
                path: path.to_string(),
                value: crate::error::excerpt(t),
                source,
            }),
    }
}

fn check_object(v: &Value, path: &str, required: bool) -> Result<(), ModelError> {
    match v {
        Value::Object(_) => Ok(()),
        Value::Null if required => Err(ModelError::MissingField {
            path: path.to_string(),
        }),
        Value::Null => Ok(()),
        other => Err(ModelError::Schema {
            what: "SLSA provenance",
            path: path.to_string(),
            message: format!("expected a JSON object, found {}", kind(other)),
        }),
    }
}

/// Validates the descriptors of a provenance list. An entirely empty descriptor (`{}`) is the
/// same as no entry (SLSA: unset, null and empty are equivalent) and is skipped: Google Cloud
/// Build writes `"byproducts": [{}]`, which the Go reference's `Validate` would reject.
fn check_rds(rds: &[ResourceDescriptor], path: &str) -> Result<(), ModelError> {
    for (i, rd) in rds.iter().enumerate() {
        if rd.is_empty() {
            continue;
        }
        rd.validate_at(&format!("{path}[{i}]"))?;
    }
    Ok(())
}

impl ProvenanceV1 {
    /// Validates as the in-toto Go reference (`Provenance.Validate`): `buildDefinition` with a
    /// `buildType` and an `externalParameters` object, `runDetails.builder.id`, every resource
    /// descriptor valid; plus RFC 3339 metadata timestamps. Paths in errors start at `$`.
    pub fn validate(&self) -> Result<(), ModelError> {
        self.validate_at("$")
    }

    /// [`ProvenanceV1::validate`] with paths under `root` (e.g. `$.predicate`).
    pub fn validate_at(&self, root: &str) -> Result<(), ModelError> {
        let bd = &self.build_definition;
        if *bd == BuildDefinition::default() {
            return Err(ModelError::MissingField {
                path: format!("{root}.buildDefinition"),
            });
        }
        if bd.build_type.is_empty() {
            return Err(ModelError::MissingField {
                path: format!("{root}.buildDefinition.buildType"),
            });
        }
        check_object(
            &bd.external_parameters,
            &format!("{root}.buildDefinition.externalParameters"),
            true,
        )?;
        if let Some(ip) = &bd.internal_parameters {
            check_object(
                ip,
                &format!("{root}.buildDefinition.internalParameters"),
                false,
            )?;
        }
        check_rds(
            &bd.resolved_dependencies,
            &format!("{root}.buildDefinition.resolvedDependencies"),
        )?;
        let rd = &self.run_details;
        if *rd == RunDetails::default() {
            return Err(ModelError::MissingField {
                path: format!("{root}.runDetails"),
            });
        }
        if rd.builder == Builder::default() {
            return Err(ModelError::MissingField {
                path: format!("{root}.runDetails.builder"),
            });
        }
        if rd.builder.id.is_empty() {
            return Err(ModelError::MissingField {
                path: format!("{root}.runDetails.builder.id"),
            });
        }
        check_rds(
            &rd.builder.builder_dependencies,
            &format!("{root}.runDetails.builder.builderDependencies"),
        )?;
        if let Some(m) = &rd.metadata {
            check_timestamp(
                &m.started_on,
                format!("{root}.runDetails.metadata.startedOn"),
            )?;
            check_timestamp(
                &m.finished_on,
                format!("{root}.runDetails.metadata.finishedOn"),
            )?;
        }
        check_rds(&rd.byproducts, &format!("{root}.runDetails.byproducts"))
    }

    /// Reads a predicate value as v1 and validates it (paths under `$.predicate`).
    pub fn from_predicate(predicate: &Value) -> Result<Self, ModelError> {
        check_object(predicate, "$.predicate", true)?;
        let p: Self =
            crate::json::from_value_ref_at(predicate, "SLSA provenance v1", "$.predicate")?;
        p.validate_at("$.predicate")?;
        Ok(p)
    }

    /// Serializes as a JSON value (the statement's `predicate`).
    pub fn to_value(&self) -> Result<Value, ModelError> {
        serde_json::to_value(self).map_err(|e| ModelError::Serialize {
            what: "SLSA provenance v1",
            source: crate::Cause::new(e),
        })
    }
}

/// A SLSA Provenance v0.2 predicate (`https://slsa.dev/provenance/v0.2`), read-only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct ProvenanceV02 {
    /// The build platform.
    #[serde(default, deserialize_with = "null_as_default")]
    pub builder: BuilderV02,
    /// URI of the build type.
    #[serde(default, deserialize_with = "null_as_default")]
    pub build_type: String,
    /// How the build was started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation: Option<InvocationV02>,
    /// The build's configuration (dropped when mapped to v1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_config: Option<Value>,
    /// Invocation id, times, completeness claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataV02>,
    /// Artifacts the build used.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub materials: Vec<MaterialV02>,
}

object_only!(ProvenanceV02, "SLSA provenance v0.2");

/// v0.2 `builder`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct BuilderV02 {
    /// URI identifying the builder.
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
}

object_only!(BuilderV02, "builder");

/// v0.2 `invocation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct InvocationV02 {
    /// Where the top-level build configuration came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_source: Option<ConfigSourceV02>,
    /// External parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Builder-controlled environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Value>,
}

object_only!(InvocationV02, "invocation");

/// v0.2 `invocation.configSource`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct ConfigSourceV02 {
    /// URI of the configuration's source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Digests of the source.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "DigestSet::is_empty"
    )]
    pub digest: DigestSet,
    /// Entry point within the source (a workflow path, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<String>,
}

object_only!(ConfigSourceV02, "configSource");

/// v0.2 `metadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct MetadataV02 {
    /// Identifier of this run (`buildInvocationId`; the `buildInvocationID` spelling that
    /// in-toto-golang and slsa-github-generator write is accepted too).
    #[serde(
        default,
        alias = "buildInvocationID",
        skip_serializing_if = "Option::is_none"
    )]
    pub build_invocation_id: Option<String>,
    /// When the build started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_started_on: Option<String>,
    /// When the build finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_finished_on: Option<String>,
    /// Completeness claims (implied by `builder.id` in v1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness: Option<CompletenessV02>,
    /// Whether the builder claims the build is reproducible.
    #[serde(default, deserialize_with = "null_as_default")]
    pub reproducible: bool,
}

object_only!(MetadataV02, "metadata");

/// v0.2 `metadata.completeness`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct CompletenessV02 {
    /// `invocation.parameters` is complete.
    #[serde(default, deserialize_with = "null_as_default")]
    pub parameters: bool,
    /// `invocation.environment` is complete.
    #[serde(default, deserialize_with = "null_as_default")]
    pub environment: bool,
    /// `materials` is complete.
    #[serde(default, deserialize_with = "null_as_default")]
    pub materials: bool,
}

object_only!(CompletenessV02, "completeness");

/// v0.2 `materials[]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct MaterialV02 {
    /// URI of the material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Digests of the material.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "DigestSet::is_empty"
    )]
    pub digest: DigestSet,
}

object_only!(MaterialV02, "material");

impl ProvenanceV02 {
    /// [`ProvenanceV02::validate_at`] for a predicate that stands alone (`$`).
    pub fn validate(&self) -> Result<(), ModelError> {
        self.validate_at("$")
    }

    /// Checks the fields v0.2 requires (`builder.id`, `buildType`), the timestamps, the object
    /// shape of parameters and environment, and the digests. Paths start at `root`.
    pub fn validate_at(&self, root: &str) -> Result<(), ModelError> {
        if self.builder.id.is_empty() {
            return Err(ModelError::MissingField {
                path: format!("{root}.builder.id"),
            });
        }
        if self.build_type.is_empty() {
            return Err(ModelError::MissingField {
                path: format!("{root}.buildType"),
            });
        }
        if let Some(inv) = &self.invocation {
            if let Some(p) = &inv.parameters {
                check_object(p, &format!("{root}.invocation.parameters"), false)?;
            }
            if let Some(e) = &inv.environment {
                check_object(e, &format!("{root}.invocation.environment"), false)?;
            }
            if let Some(cs) = &inv.config_source {
                cs.digest
                    .validate_at(&format!("{root}.invocation.configSource.digest"))?;
            }
        }
        if let Some(m) = &self.metadata {
            check_timestamp(
                &m.build_started_on,
                format!("{root}.metadata.buildStartedOn"),
            )?;
            check_timestamp(
                &m.build_finished_on,
                format!("{root}.metadata.buildFinishedOn"),
            )?;
        }
        for (i, m) in self.materials.iter().enumerate() {
            m.digest
                .validate_at(&format!("{root}.materials[{i}].digest"))?;
        }
        Ok(())
    }

    /// Maps to v1 as SLSA's migration notes (SPECS §2) say:
    /// - `builder.id` → `runDetails.builder.id`; `buildType` kept as `buildDefinition.buildType`;
    /// - `externalParameters` = the members of `invocation.parameters` (a non-object value is
    ///   kept under `"parameters"`), then `entryPoint` = `configSource.entryPoint` and
    ///   `source` = `configSource.uri` when set (these two win over same-named parameters);
    /// - `invocation.environment` → `internalParameters`;
    /// - `resolvedDependencies` = `configSource` as `{uri, digest}` first, then each material
    ///   (an exact repeat of an earlier entry is dropped);
    /// - `metadata.buildInvocationId/buildStartedOn/buildFinishedOn` → `invocationId/startedOn/finishedOn`;
    /// - `buildConfig` becomes a byproduct `{"name":"buildConfig","mediaType":"application/json",
    ///   "content": <RFC 8785 bytes>}` (this crate does no hashing; a caller may add a digest);
    /// - `completeness` and `reproducible` are dropped (implied by the builder id in v1).
    pub fn to_v1(&self) -> Result<ProvenanceV1, ModelError> {
        let inv = self.invocation.clone().unwrap_or_default();
        let mut external = Map::new();
        match inv.parameters {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => external.extend(m),
            Some(other) => {
                external.insert("parameters".into(), other);
            }
        }
        let mut resolved: Vec<ResourceDescriptor> = Vec::new();
        if let Some(cs) = &inv.config_source {
            if let Some(ep) = cs.entry_point.as_deref().filter(|s| !s.is_empty()) {
                external.insert("entryPoint".into(), Value::String(ep.to_string()));
            }
            if let Some(uri) = cs.uri.as_deref().filter(|s| !s.is_empty()) {
                external.insert("source".into(), Value::String(uri.to_string()));
            }
            if cs.uri.as_deref().is_some_and(|s| !s.is_empty()) || !cs.digest.is_empty() {
                resolved.push(ResourceDescriptor {
                    uri: cs.uri.clone().filter(|s| !s.is_empty()),
                    digest: cs.digest.clone(),
                    ..ResourceDescriptor::default()
                });
            }
        }
        for m in &self.materials {
            let rd = ResourceDescriptor {
                uri: m.uri.clone().filter(|s| !s.is_empty()),
                digest: m.digest.clone(),
                ..ResourceDescriptor::default()
            };
            if !resolved.contains(&rd) {
                resolved.push(rd);
            }
        }
        let internal = match inv.environment {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        };
        let metadata = self.metadata.as_ref().and_then(|m| {
            let md = BuildMetadata {
                invocation_id: m.build_invocation_id.clone(),
                started_on: m.build_started_on.clone(),
                finished_on: m.build_finished_on.clone(),
            };
            (md != BuildMetadata::default()).then_some(md)
        });
        let mut byproducts = Vec::new();
        if let Some(cfg) = self.build_config.as_ref().filter(|v| !v.is_null()) {
            byproducts.push(ResourceDescriptor {
                name: Some("buildConfig".into()),
                media_type: Some("application/json".into()),
                content: Some(crate::json::canonicalize(cfg)?),
                ..ResourceDescriptor::default()
            });
        }
        Ok(ProvenanceV1 {
            build_definition: BuildDefinition {
                build_type: self.build_type.clone(),
                external_parameters: Value::Object(external),
                internal_parameters: internal,
                resolved_dependencies: resolved,
            },
            run_details: RunDetails {
                builder: Builder {
                    id: self.builder.id.clone(),
                    ..Builder::default()
                },
                metadata,
                byproducts,
            },
        })
    }
}

/// Reads a statement's predicate as SLSA Provenance v1: a v1 predicate is validated as is; a v0.2
/// predicate is validated and mapped with [`ProvenanceV02::to_v1`]. Paths in errors start at
/// `$.predicate`. Other predicate types are [`ModelError::UnsupportedPredicateType`].
pub fn provenance_v1_from(
    predicate_type: &str,
    predicate: &Value,
) -> Result<ProvenanceV1, ModelError> {
    match predicate_type {
        SLSA_PROVENANCE_V1 => ProvenanceV1::from_predicate(predicate),
        SLSA_PROVENANCE_V02 => {
            check_object(predicate, "$.predicate", true)?;
            let p: ProvenanceV02 =
                crate::json::from_value_ref_at(predicate, "SLSA provenance v0.2", "$.predicate")?;
            p.validate_at("$.predicate")?;
            let v1 = p.to_v1()?;
            v1.validate_at("$.predicate")?;
            Ok(v1)
        }
        other => Err(ModelError::UnsupportedPredicateType {
            actual: crate::error::excerpt(other),
            expected: "https://slsa.dev/provenance/v1 or https://slsa.dev/provenance/v0.2",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v02_maps_to_v1() {
        let v02 = json!({
            "builder": {"id": "https://b/id"},
            "buildType": "https://bt",
            "invocation": {
                "configSource": {"uri": "git+https://g/r@refs/heads/main", "digest": {"sha1": "12".repeat(20)}, "entryPoint": ".github/w.yml"},
                "parameters": {"p": 1},
                "environment": {"arch": "amd64"}
            },
            "buildConfig": {"steps": [{"b": 2, "a": 1}]},
            "metadata": {"buildInvocationId": "run-1", "buildStartedOn": "2023-01-01T00:00:00Z", "completeness": {"parameters": true}, "reproducible": false},
            "materials": [
                {"uri": "git+https://g/r@refs/heads/main", "digest": {"sha1": "12".repeat(20)}},
                {"uri": "pkg:npm/x@1", "digest": {"sha512": "ab".repeat(64)}}
            ]
        });
        let v1 = provenance_v1_from(SLSA_PROVENANCE_V02, &v02).unwrap();
        assert_eq!(v1.run_details.builder.id, "https://b/id");
        assert_eq!(v1.build_definition.build_type, "https://bt");
        assert_eq!(
            v1.build_definition.external_parameters,
            json!({"p": 1, "entryPoint": ".github/w.yml", "source": "git+https://g/r@refs/heads/main"})
        );
        assert_eq!(
            v1.build_definition.internal_parameters,
            Some(json!({"arch": "amd64"}))
        );
        assert_eq!(v1.build_definition.resolved_dependencies.len(), 2);
        assert_eq!(
            v1.build_definition.resolved_dependencies[1].uri.as_deref(),
            Some("pkg:npm/x@1")
        );
        let md = v1.run_details.metadata.clone().unwrap();
        assert_eq!(md.invocation_id.as_deref(), Some("run-1"));
        assert_eq!(md.started_on.as_deref(), Some("2023-01-01T00:00:00Z"));
        assert_eq!(md.finished_on, None);
        assert_eq!(
            v1.run_details.byproducts[0].content.as_deref(),
            Some(&br#"{"steps":[{"a":1,"b":2}]}"#[..])
        );
    }

    #[test]
    fn v1_validation_paths() {
        let mut p = json!({
            "buildDefinition": {"buildType": "bt", "externalParameters": {}},
            "runDetails": {"builder": {"id": "b"}, "metadata": {"startedOn": "2023-01-01T00:00:00.5+01:00"}}
        });
        assert!(provenance_v1_from(SLSA_PROVENANCE_V1, &p).is_ok());
        p["runDetails"]["metadata"]["finishedOn"] = json!("yesterday");
        assert!(matches!(
            provenance_v1_from(SLSA_PROVENANCE_V1, &p),
            Err(ModelError::InvalidTimestamp { ref path, .. }) if path == "$.predicate.runDetails.metadata.finishedOn"
        ));
        p["runDetails"]["metadata"]["finishedOn"] = json!("2023-01-01 00:00:00Z");
        assert!(provenance_v1_from(SLSA_PROVENANCE_V1, &p).is_err());
        p["runDetails"]["metadata"] = json!(null);
        p["buildDefinition"]["externalParameters"] = json!(null);
        assert_eq!(
            provenance_v1_from(SLSA_PROVENANCE_V1, &p)
                .unwrap_err()
                .to_string(),
            "missing required field $.predicate.buildDefinition.externalParameters"
        );
        let mut bad = p.clone();
        bad["runDetails"]["builder"]["version"] = json!({"c": 1});
        assert_eq!(
            provenance_v1_from(SLSA_PROVENANCE_V1, &bad).unwrap_err().to_string(),
            "invalid SLSA provenance v1 at $.predicate.runDetails.builder.version.c: invalid type: integer `1`, expected a string"
        );
        assert!(matches!(
            provenance_v1_from("https://example.com/other", &p),
            Err(ModelError::UnsupportedPredicateType { .. })
        ));
    }

    #[test]
    fn timestamps() {
        let ts: jiff::Timestamp = "2026-11-25T22:15:07Z".parse().unwrap();
        assert_eq!(format_timestamp(ts), "2026-11-25T22:15:07Z");
        assert!(parse_timestamp("2026-11-25").is_err());
    }
}
