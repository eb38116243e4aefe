//! Read access to the fields slsa-verifier checks, per provenance flavour (SLSA v0.2 from the
//! slsa-github-generator builders; SLSA v1 from BYOB, the container-based builder and GitHub
//! artifact attestations). Field names follow slsa-verifier's `iface.Provenance`.

use super::SlsaVerifierError as E;
use serde_json::Value;

/// The BYOB (delegator) build type.
pub const BYOB_BUILD_TYPE: &str =
    "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0";
/// The container-based builder's build type.
pub const CONTAINER_BASED_BUILD_TYPE: &str = "https://slsa.dev/container-based-build/v0.1?draft";
/// GitHub Actions workflow build type (GitHub artifact attestations).
pub const GITHUB_WORKFLOW_BUILD_TYPE: &str = "https://actions.github.io/buildtypes/workflow/v1";
/// npm CLI build type (npm provenance).
pub const NPM_CLI_BUILD_TYPE: &str = "https://github.com/npm/cli/gha/v2";

/// Which accessor rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// SLSA v0.2 (generic generator, Go builder): `invocation.environment` in lower case.
    V02,
    /// SLSA v1 BYOB: source and ref from `resolvedDependencies[0]`.
    Byob,
    /// SLSA v1 from other slsa-github-generator builders (container-based): upper-case
    /// `internalParameters`.
    V1Generic,
    /// SLSA v1 `actions.github.io/buildtypes/workflow/v1`.
    GithubWorkflow,
}

/// A statement's provenance predicate with slsa-verifier's accessors.
pub(crate) struct Prov<'a> {
    pub flavour: Flavour,
    pub predicate: &'a Value,
}

fn missing(field: &str) -> E {
    E::ProvenanceField {
        field: field.to_string(),
        reason: "missing or not of the expected type".into(),
    }
}

fn get_str<'v>(v: &'v Value, key: &str, field: &str) -> Result<&'v str, E> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| missing(field))
}

impl<'a> Prov<'a> {
    pub fn build_type(&self) -> &str {
        let p = match self.flavour {
            Flavour::V02 => self.predicate.get("buildType"),
            _ => self
                .predicate
                .get("buildDefinition")
                .and_then(|b| b.get("buildType")),
        };
        p.and_then(Value::as_str).unwrap_or("")
    }

    pub fn builder_id(&self) -> Result<&str, E> {
        let v = match self.flavour {
            Flavour::V02 => self.predicate.get("builder").and_then(|b| b.get("id")),
            _ => self
                .predicate
                .get("runDetails")
                .and_then(|r| r.get("builder"))
                .and_then(|b| b.get("id")),
        };
        match self.flavour {
            Flavour::V02 => v
                .and_then(Value::as_str)
                .ok_or_else(|| missing("predicate.builder.id")),
            _ => v
                .and_then(Value::as_str)
                .ok_or_else(|| missing("predicate.runDetails.builder.id")),
        }
    }

    fn internal(&self) -> Result<&'a Value, E> {
        self.predicate
            .get("buildDefinition")
            .and_then(|b| b.get("internalParameters"))
            .filter(|v| v.is_object())
            .ok_or_else(|| missing("predicate.buildDefinition.internalParameters"))
    }

    fn environment(&self) -> Result<(&'a Value, bool, &'static str), E> {
        match self.flavour {
            Flavour::V02 => self
                .predicate
                .get("invocation")
                .and_then(|i| i.get("environment"))
                .filter(|v| v.is_object())
                .map(|v| (v, false, "predicate.invocation.environment"))
                .ok_or_else(|| missing("predicate.invocation.environment")),
            _ => Ok((
                self.internal()?,
                true,
                "predicate.buildDefinition.internalParameters",
            )),
        }
    }

    /// The first resolved dependency's URI (v1) or the first material's URI (v0.2).
    pub fn source_uri(&self) -> Result<String, E> {
        match self.flavour {
            Flavour::V02 => self
                .predicate
                .get("materials")
                .and_then(|m| m.get(0))
                .and_then(|m| m.get("uri"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| missing("predicate.materials[0].uri")),
            _ => {
                let uri = self
                    .predicate
                    .get("buildDefinition")
                    .and_then(|b| b.get("resolvedDependencies"))
                    .and_then(|r| r.get(0))
                    .and_then(|r| r.get("uri"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if uri.is_empty() {
                    Err(missing(
                        "predicate.buildDefinition.resolvedDependencies[0].uri",
                    ))
                } else {
                    Ok(uri.to_string())
                }
            }
        }
    }

    /// The URI (with `@ref`) of what triggered the build.
    pub fn trigger_uri(&self) -> Result<String, E> {
        match self.flavour {
            Flavour::V02 => self
                .predicate
                .get("invocation")
                .and_then(|i| i.get("configSource"))
                .and_then(|c| c.get("uri"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| missing("predicate.invocation.configSource.uri")),
            Flavour::GithubWorkflow => {
                let w = self
                    .predicate
                    .get("buildDefinition")
                    .and_then(|b| b.get("externalParameters"))
                    .and_then(|e| e.get("workflow"))
                    .ok_or_else(|| missing("externalParameters.workflow"))?;
                let repo = get_str(w, "repository", "externalParameters.workflow.repository")?;
                let r = get_str(w, "ref", "externalParameters.workflow.ref")?;
                Ok(format!("git+{repo}@{r}"))
            }
            Flavour::Byob | Flavour::V1Generic => {
                let field = "internalParameters.GITHUB_WORKFLOW_REF";
                let wref = get_str(self.internal()?, "GITHUB_WORKFLOW_REF", field)?;
                let parts: Vec<&str> = wref.split('@').collect();
                let (repo_path, r) = match parts.as_slice() {
                    [a, b] => (*a, *b),
                    _ => {
                        return Err(E::ProvenanceField {
                            field: field.into(),
                            reason: format!("`{wref}` is not `org/repo/path@ref`"),
                        })
                    }
                };
                let segs: Vec<&str> = repo_path.split('/').collect();
                let repo = match segs.as_slice() {
                    [o, r, ..] => format!("{o}/{r}"),
                    _ => {
                        return Err(E::ProvenanceField {
                            field: field.into(),
                            reason: format!("`{wref}` is not `org/repo/path@ref`"),
                        })
                    }
                };
                if r.is_empty() {
                    return Err(E::MalformedUri {
                        field: field.into(),
                        value: wref.into(),
                        reason: "empty ref".into(),
                    });
                }
                Ok(format!("git+https://github.com/{repo}@{r}"))
            }
        }
    }

    /// The subjects' digests.
    fn env_str(&self, key: &str) -> Result<&'a str, E> {
        let (env, upper, at) = self.environment()?;
        let k = if upper {
            key.to_ascii_uppercase()
        } else {
            key.to_string()
        };
        env.get(&k)
            .and_then(Value::as_str)
            .ok_or_else(|| missing(&format!("{at}.{k}")))
    }

    fn event_payload(&self) -> Result<&'a Value, E> {
        let (env, upper, at) = self.environment()?;
        let k = if upper {
            "GITHUB_EVENT_PAYLOAD"
        } else {
            "github_event_payload"
        };
        env.get(k)
            .filter(|v| v.is_object())
            .ok_or_else(|| missing(&format!("{at}.{k}")))
    }

    fn env_branch(&self) -> Result<String, E> {
        match self.env_str("github_ref_type")? {
            "branch" => Ok(self.env_str("github_ref")?.to_string()),
            "tag" => {
                let base = self.env_str("github_base_ref")?;
                if !base.is_empty() {
                    return Ok(base.to_string());
                }
                let event = self.env_str("github_event_name")?;
                let payload = self.event_payload()?;
                match event {
                    "push" => {
                        let v = payload.get("base_ref").ok_or_else(|| missing("base_ref"))?;
                        Ok(v.as_str().unwrap_or("").to_string())
                    }
                    "release" => {
                        let b = payload
                            .get("release")
                            .and_then(|r| r.get("target_commitish"))
                            .and_then(Value::as_str)
                            .ok_or_else(|| missing("release.target_commitish"))?;
                        Ok(format!("refs/heads/{b}"))
                    }
                    _ => Ok(String::new()),
                }
            }
            other => Err(E::ProvenanceField {
                field: "github_ref_type".into(),
                reason: format!("unknown ref type `{other}`"),
            }),
        }
    }

    fn env_tag(&self) -> Result<String, E> {
        match self.env_str("github_ref_type")? {
            "branch" => Ok(String::new()),
            "tag" => Ok(self.env_str("github_ref")?.to_string()),
            other => Err(E::ProvenanceField {
                field: "github_ref_type".into(),
                reason: format!("unknown ref type `{other}`"),
            }),
        }
    }

    fn source_ref(&self) -> Result<Option<String>, E> {
        let Ok(uri) = self.source_uri() else {
            return Ok(None);
        };
        let (_, r) = parse_git_uri_and_ref(&uri, "source")?;
        if r.is_empty() {
            return Err(E::ProvenanceField {
                field: "source".into(),
                reason: format!("no ref in source `{uri}`"),
            });
        }
        Ok(Some(r))
    }

    /// The full git ref of the branch the build ran on (`refs/heads/…`), or empty.
    pub fn branch(&self) -> Result<String, E> {
        match self.flavour {
            Flavour::V02 | Flavour::V1Generic => self.env_branch(),
            Flavour::Byob | Flavour::GithubWorkflow => match self.source_ref()? {
                None if self.flavour == Flavour::Byob => self.env_branch(),
                None => Err(missing("resolvedDependencies[0].uri")),
                Some(r) if r.starts_with("refs/heads/") => Ok(r),
                Some(r) if r.starts_with("refs/tags/") => {
                    if self.flavour == Flavour::Byob {
                        self.env_branch()
                    } else {
                        Ok(String::new())
                    }
                }
                Some(r) => Err(E::ProvenanceField {
                    field: "source".into(),
                    reason: format!("unknown ref type for `{r}`"),
                }),
            },
        }
    }

    /// The full git ref of the tag that triggered the build (`refs/tags/…`), or empty.
    pub fn tag(&self) -> Result<String, E> {
        match self.flavour {
            Flavour::V02 | Flavour::V1Generic => self.env_tag(),
            Flavour::Byob | Flavour::GithubWorkflow => match self.source_ref()? {
                None if self.flavour == Flavour::Byob => self.env_tag(),
                None => Err(missing("resolvedDependencies[0].uri")),
                Some(r) if r.starts_with("refs/heads/") => Ok(String::new()),
                Some(r) if r.starts_with("refs/tags/") => Ok(r),
                Some(r) => Err(E::ProvenanceField {
                    field: "source".into(),
                    reason: format!("unknown ref type for `{r}`"),
                }),
            },
        }
    }

    /// The `workflow_dispatch` inputs recorded in the event payload.
    pub fn workflow_inputs(&self) -> Result<&'a serde_json::Map<String, Value>, E> {
        let event = self.env_str("github_event_name")?;
        if event != "workflow_dispatch" {
            return Err(E::MismatchWorkflowInput {
                key: "(trigger)".into(),
                expected: "workflow_dispatch".into(),
                actual: event.into(),
            });
        }
        self.event_payload()?
            .get("inputs")
            .and_then(Value::as_object)
            .ok_or_else(|| missing("github_event_payload.inputs"))
    }
}

/// Splits `git+https://github.com/org/repo@ref` into the URI and the ref (empty if none).
pub(crate) fn parse_git_uri_and_ref(uri: &str, field: &str) -> Result<(String, String), E> {
    if uri.is_empty() {
        return Err(E::MalformedUri {
            field: field.into(),
            value: uri.into(),
            reason: "empty URI".into(),
        });
    }
    let parts: Vec<&str> = uri.split('@').collect();
    match parts.as_slice() {
        [u] => Ok((u.to_string(), String::new())),
        [u, r] => Ok((u.to_string(), r.to_string())),
        _ => Err(E::MalformedUri {
            field: field.into(),
            value: uri.into(),
            reason: "more than one `@`".into(),
        }),
    }
}
