//! Evaluating a policy against one verified statement: every rule, pass or fail, with
//! expected and actual values.

use super::rules::RuleId;
use provseal_model::slsa::ProvenanceV1;
use provseal_model::vocab::{byproduct, Drift};
use provseal_model::ResourceDescriptor;
use serde::Serialize;

use super::{DriftKind, Policy, SignerMatch, SlsaVersion, TrustedSigner};
use crate::{normalize_repo, recorded_sources, SignerIdentity, VerifiedStatement};

/// What a policy is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    /// The statement whose signature verified (signer identity included).
    pub verified: &'a VerifiedStatement,
    /// The artifact, as named by the user (for messages).
    pub artifact_name: &'a str,
    /// The time of the check.
    pub now: jiff::Timestamp,
    /// When the attestation was signed, if the signature step knows it (Sigstore: the log's
    /// integrated time or an RFC 3161 timestamp). Used for `max_age` when the provenance has
    /// no `runDetails.metadata.finishedOn`.
    pub signed_at: Option<jiff::Timestamp>,
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    /// The stable rule id (`signer-trusted`, `package-denied`, …; listed in `docs/policy.md`).
    pub rule: RuleId,
    /// Whether it passed.
    pub passed: bool,
    /// What the policy requires.
    pub expected: String,
    /// What the attestation records.
    pub actual: String,
    /// The next step, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Every rule's result for one artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyReport {
    /// The artifact.
    pub artifact: String,
    /// Whether every rule passed.
    pub passed: bool,
    /// Each rule, in a stable order.
    pub rules: Vec<RuleResult>,
}

impl PolicyReport {
    /// The failed rules.
    pub fn failures(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules.iter().filter(|r| !r.passed)
    }

    /// One line per failure: `ARTIFACT: policy RULE: expected E, found A` (+ `hint: …`).
    pub fn failure_lines(&self) -> Vec<String> {
        self.failures()
            .map(|r| {
                let mut l = format!(
                    "{}: policy {}: expected {}, found {}",
                    self.artifact, r.rule, r.expected, r.actual
                );
                if let Some(h) = &r.hint {
                    l.push_str(&format!("\n  hint: {h}"));
                }
                l
            })
            .collect()
    }
}

fn rule(id: RuleId, passed: bool, expected: String, actual: String) -> RuleResult {
    RuleResult {
        rule: id,
        passed,
        expected,
        actual,
        hint: None,
    }
}

fn with_hint(mut r: RuleResult, hint: &str) -> RuleResult {
    if !r.passed {
        r.hint = Some(hint.to_string());
    }
    r
}

fn list_or(items: &[String], none: &str) -> String {
    if items.is_empty() {
        none.to_string()
    } else {
        items.join(", ")
    }
}

/// The refs a provenance records (provseal `source.ref`, GitHub `workflow.ref`, the `@ref` of
/// git dependencies) and, for a keyless signer, the certificate's source-repository-ref.
pub fn recorded_refs(v: &VerifiedStatement) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &v.provenance {
        let ext = &p.build_definition.external_parameters;
        for path in [["source", "ref"], ["workflow", "ref"]] {
            if let Some(r) = ext
                .get(path[0])
                .and_then(|s| s.get(path[1]))
                .and_then(|r| r.as_str())
            {
                out.push(r.to_string());
            }
        }
        for rd in &p.build_definition.resolved_dependencies {
            if let Some(uri) = rd.uri.as_deref().filter(|u| u.starts_with("git+")) {
                if let Some((_, r)) = uri.rsplit_once('@') {
                    if r.starts_with("refs/") {
                        out.push(r.to_string());
                    }
                }
            }
        }
    }
    if let SignerIdentity::Certificate { extensions, .. } = &v.signer {
        if let Some(r) = extensions.get("source-repository-ref") {
            out.push(r.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

fn recorded_repos(v: &VerifiedStatement) -> Vec<String> {
    let mut out = v
        .provenance
        .as_ref()
        .map(recorded_sources)
        .unwrap_or_default();
    if let SignerIdentity::Certificate { extensions, .. } = &v.signer {
        if let Some(r) = extensions.get("source-repository-uri") {
            out.push(normalize_repo(r));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn signer_matches(s: &TrustedSigner, who: &SignerIdentity) -> bool {
    match (&s.matcher, who) {
        (SignerMatch::Key { key_id, .. }, SignerIdentity::Key { key_id: got }) => key_id == got,
        (
            SignerMatch::Keyless(policy),
            SignerIdentity::Certificate {
                identity,
                issuer,
                extensions,
            },
        ) => {
            let mut id = provseal_sigstore::SignerIdentity {
                san: Some(identity.clone()),
                issuer: Some(issuer.clone()),
                ..Default::default()
            };
            for (k, val) in extensions {
                if let Ok(f) = k.parse::<provseal_sigstore::FulcioField>() {
                    id.extensions.insert(f, val.clone());
                }
            }
            policy.check(&id).is_ok()
        }
        _ => false,
    }
}

fn describe_signer(s: &TrustedSigner) -> String {
    match &s.matcher {
        SignerMatch::Key { key_id, .. } => format!("{} (key {key_id})", s.name),
        SignerMatch::Keyless(p) => format!(
            "{} ({} from {})",
            s.name,
            p.identity
                .as_ref()
                .map(|m| m.describe())
                .unwrap_or_default(),
            p.issuer.as_ref().map(|m| m.describe()).unwrap_or_default()
        ),
    }
}

/// The signer-scoped rules (builder, repository, ref) for one trusted signer.
fn signer_rules(s: &TrustedSigner, v: &VerifiedStatement) -> Vec<RuleResult> {
    let mut out = Vec::new();
    if !s.builders.is_empty() {
        let actual = v
            .provenance
            .as_ref()
            .map(|p| p.run_details.builder.id.clone());
        let passed = actual
            .as_deref()
            .is_some_and(|b| s.builders.iter().any(|g| g.is_match(b)));
        out.push(with_hint(
            rule(
                RuleId::BuilderAllowed,
                passed,
                format!(
                    "builder.id {} (signer {})",
                    s.builders
                        .iter()
                        .map(|g| g.as_str())
                        .collect::<Vec<_>>()
                        .join(" | "),
                    s.name
                ),
                actual.unwrap_or_else(|| "no builder (not a SLSA provenance)".into()),
            ),
            "add the builder id to this signer's `builders` if it is trusted",
        ));
    }
    if !s.repositories.is_empty() {
        let repos = recorded_repos(v);
        let passed = !repos.is_empty()
            && repos
                .iter()
                .all(|r| s.repositories.iter().any(|g| g.is_match(r)));
        out.push(rule(
            RuleId::SourceRepositoryAllowed,
            passed,
            format!(
                "source {} (signer {})",
                s.repositories
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(" | "),
                s.name
            ),
            list_or(&repos, "no source recorded"),
        ));
    }
    if !s.refs.is_empty() {
        let refs = recorded_refs(v);
        let passed = !refs.is_empty() && refs.iter().all(|r| s.refs.allows(r));
        out.push(rule(
            RuleId::SourceRefAllowed,
            passed,
            format!("ref {} (signer {})", s.refs.describe(), s.name),
            list_or(&refs, "no ref recorded"),
        ));
    }
    out
}

fn is_package(rd: &ResourceDescriptor) -> bool {
    rd.uri.as_deref().is_some_and(|u| u.starts_with("pkg:"))
}

fn is_lockfile(rd: &ResourceDescriptor) -> bool {
    rd.annotations.contains_key("lockfileFormat")
}

fn where_found(rd: &ResourceDescriptor) -> String {
    let a = |k: &str| rd.annotations.get(k).and_then(|v| v.as_str());
    if let Some(l) = a("lockfile") {
        format!("lockfile `{l}`")
    } else if let Some(p) = a("pythonEnv") {
        format!("Python environment `{p}`")
    } else {
        "resolvedDependencies".into()
    }
}

/// The drift a `provseal run` statement records, read through the shared vocabulary type (a
/// missing list is empty; a wrong type is an error naming the field).
fn drift_of(p: &ProvenanceV1) -> Option<Result<Drift, String>> {
    let bp = p
        .run_details
        .byproducts
        .iter()
        .find(|b| b.name.as_deref() == Some(byproduct::DRIFT))?;
    let d = bp.annotations.get(byproduct::DRIFT_ANNOTATION)?;
    Some(
        serde_path_to_error::deserialize(d)
            .map_err(|e| format!("`drift.{}`: {}", e.path(), e.inner())),
    )
}

fn drift_facts(kind: DriftKind, d: &Drift) -> Vec<String> {
    match kind {
        DriftKind::Any => {
            let mut all = Vec::new();
            for k in [
                DriftKind::PackagesAdded,
                DriftKind::PackagesRemoved,
                DriftKind::PackagesChanged,
                DriftKind::LockfileChanged,
                DriftKind::SourceDirtied,
                DriftKind::SourceCommitChanged,
            ] {
                all.extend(drift_facts(k, d));
            }
            all
        }
        DriftKind::PackagesAdded => d.added.iter().map(|x| format!("added {}", x.id)).collect(),
        DriftKind::PackagesRemoved => d
            .removed
            .iter()
            .map(|x| format!("removed {}", x.id))
            .collect(),
        DriftKind::PackagesChanged => d
            .changed
            .iter()
            .map(|c| format!("changed {}", c.key))
            .collect(),
        DriftKind::LockfileChanged => d
            .lockfiles_changed
            .iter()
            .map(|c| format!("lockfile changed {}", c.key))
            .collect(),
        DriftKind::SourceDirtied => {
            let mut v: Vec<String> = d
                .new_dirty_paths
                .iter()
                .map(|p| format!("dirtied {p}"))
                .collect();
            if d.source_became_dirty && v.is_empty() {
                v.push("work tree became dirty".into());
            }
            v
        }
        DriftKind::SourceCommitChanged => {
            if d.source_commit_changed {
                vec!["HEAD moved".into()]
            } else {
                Vec::new()
            }
        }
    }
}

fn abbreviate(items: Vec<String>, n: usize) -> String {
    let total = items.len();
    let mut s = items.into_iter().take(n).collect::<Vec<_>>().join(", ");
    if total > n {
        s.push_str(&format!(", … {} more", total - n));
    }
    s
}

impl Policy {
    /// Evaluates every rule of the policy against one verified statement.
    pub fn evaluate(&self, input: &PolicyInput<'_>) -> PolicyReport {
        let v = input.verified;
        let mut rules = Vec::new();

        // Signer, and the signer-scoped rules of the best matching signer entry.
        let matching: Vec<&TrustedSigner> = self
            .signers
            .iter()
            .filter(|s| signer_matches(s, &v.signer))
            .collect();
        let trusted: Vec<String> = self.signers.iter().map(describe_signer).collect();
        rules.push(with_hint(
            rule(
                RuleId::SignerTrusted,
                !matching.is_empty(),
                format!("one of: {}", list_or(&trusted, "no signer")),
                v.signer.describe(),
            ),
            "add the signer to the policy's `[[signers]]` if it is trusted",
        ));
        let best = matching
            .iter()
            .map(|s| signer_rules(s, v))
            .max_by_key(|rs| {
                // All passing wins; otherwise most passes (the first on ties).
                let passed = rs.iter().filter(|r| r.passed).count();
                (passed == rs.len(), passed)
            });
        match best {
            Some(rs) => rules.extend(rs),
            None => {
                // No trusted signer: report the rules of every signer as not evaluated.
                let any_builders = self.signers.iter().any(|s| !s.builders.is_empty());
                let any_repos = self.signers.iter().any(|s| !s.repositories.is_empty());
                let any_refs = self.signers.iter().any(|s| !s.refs.is_empty());
                for (on, id) in [
                    (any_builders, RuleId::BuilderAllowed),
                    (any_repos, RuleId::SourceRepositoryAllowed),
                    (any_refs, RuleId::SourceRefAllowed),
                ] {
                    if on {
                        rules.push(rule(
                            id,
                            false,
                            "a trusted signer's constraint".into(),
                            "not evaluated: the signer is not trusted".into(),
                        ));
                    }
                }
            }
        }

        let pt = &v.statement.predicate_type;
        if !self.predicate_types.is_empty() {
            rules.push(rule(
                RuleId::PredicateTypeAccepted,
                self.predicate_types.iter().any(|t| t == pt),
                format!("one of: {}", self.predicate_types.join(", ")),
                pt.clone(),
            ));
        }
        if !self.slsa_versions.is_empty() {
            let got = SlsaVersion::of_predicate_type(pt);
            rules.push(rule(
                RuleId::SlsaVersionAccepted,
                got.is_some_and(|g| self.slsa_versions.contains(&g)),
                format!(
                    "SLSA provenance {}",
                    self.slsa_versions
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" | ")
                ),
                got.map(|g| format!("SLSA provenance {}", g.as_str()))
                    .unwrap_or_else(|| format!("not a SLSA provenance ({pt})")),
            ));
        }
        if let Some(max) = self.max_age {
            rules.push(self.age_rule(max, input));
        }

        let prov = v.provenance.as_ref();
        let deps: &[ResourceDescriptor] = prov
            .map(|p| p.build_definition.resolved_dependencies.as_slice())
            .unwrap_or(&[]);
        if self.require_snapshot {
            let pkgs = deps.iter().filter(|d| is_package(d)).count();
            let locks = deps.iter().filter(|d| is_lockfile(d)).count();
            rules.push(with_hint(
                rule(
                    RuleId::MaterialsSnapshotPresent,
                    pkgs + locks > 0,
                    "a dependency snapshot (packages or lockfiles in resolvedDependencies)".into(),
                    if pkgs + locks > 0 {
                        format!("{pkgs} package(s), {locks} lockfile(s)")
                    } else {
                        "none recorded".into()
                    },
                ),
                "build with `provseal run` so the dependencies are recorded",
            ));
        }
        let recorded_locks: Vec<&ResourceDescriptor> =
            deps.iter().filter(|d| is_lockfile(d)).collect();
        let lock_names: Vec<String> = recorded_locks
            .iter()
            .filter_map(|d| d.name.clone())
            .collect();
        for l in &self.lockfiles {
            rules.push(with_hint(
                rule(
                    RuleId::LockfileRecorded,
                    lock_names.iter().any(|n| n == l),
                    format!("lockfile `{l}` recorded"),
                    format!("recorded: {}", list_or(&lock_names, "no lockfile")),
                ),
                "have `provseal run` record it (its lockfile selection, or `[materials]` in `provseal.toml`)",
            ));
        }
        for ld in &self.lockfile_digests {
            let found = recorded_locks
                .iter()
                .find(|d| d.name.as_deref() == Some(ld.name.as_str()));
            let actual = match found.and_then(|d| d.digest.get("sha256")) {
                Some(h) => format!("sha256:{h}"),
                None if found.is_some() => "no sha256 recorded".into(),
                None => format!("lockfile `{}` not recorded", ld.name),
            };
            let passed = found
                .and_then(|d| d.digest.get("sha256"))
                .is_some_and(|h| h.eq_ignore_ascii_case(&ld.sha256));
            rules.push(with_hint(
                rule(
                    RuleId::LockfileDigest,
                    passed,
                    format!("`{}` sha256:{} ({})", ld.name, ld.sha256, ld.from),
                    actual,
                ),
                "the release was not built from this lockfile",
            ));
        }

        // Packages: every purl in resolvedDependencies, and packages the build added or changed.
        let drift = prov.and_then(drift_of);
        let mut packages: Vec<(String, String)> = deps
            .iter()
            .filter(|d| is_package(d))
            .filter_map(|d| d.uri.clone().map(|u| (u, where_found(d))))
            .collect();
        if let Some(Ok(d)) = &drift {
            for a in &d.added {
                packages.push((a.id.clone(), "packages added during the build".into()));
            }
            for c in &d.changed {
                packages.push((c.new.id.clone(), "packages changed during the build".into()));
            }
        }
        for pat in &self.deny {
            let hits: Vec<String> = packages
                .iter()
                .filter(|(u, _)| pat.matches_purl(u))
                .map(|(u, w)| format!("{u} in {w}"))
                .collect();
            rules.push(with_hint(
                rule(
                    RuleId::PackageDenied,
                    hits.is_empty(),
                    format!("no {}", pat.as_str()),
                    if hits.is_empty() {
                        "not found".into()
                    } else {
                        abbreviate(hits, 5)
                    },
                ),
                "rebuild without the denied package (update the lockfile / environment)",
            ));
        }
        for pat in &self.require {
            let hits: Vec<String> = packages
                .iter()
                .filter(|(u, _)| pat.matches_purl(u))
                .map(|(u, w)| format!("{u} in {w}"))
                .collect();
            rules.push(rule(
                RuleId::PackageRequired,
                !hits.is_empty(),
                pat.as_str().to_string(),
                if hits.is_empty() {
                    "not recorded".into()
                } else {
                    abbreviate(hits, 5)
                },
            ));
        }

        for kind in &self.forbid_drift {
            let (passed, actual) = match &drift {
                None => (
                    false,
                    "no drift record (not made by `provseal run`)".to_string(),
                ),
                Some(Err(e)) => (false, format!("unreadable drift record: {e}")),
                Some(Ok(d)) => {
                    let facts = drift_facts(*kind, d);
                    (
                        facts.is_empty(),
                        if facts.is_empty() {
                            "none".into()
                        } else {
                            abbreviate(facts, 5)
                        },
                    )
                }
            };
            rules.push(with_hint(
                rule(
                    RuleId::DriftForbidden,
                    passed,
                    format!("no drift: {}", kind.name()),
                    actual,
                ),
                "make the build leave its dependencies and work tree as they were (gitignore build outputs)",
            ));
        }

        PolicyReport {
            artifact: input.artifact_name.to_string(),
            passed: rules.iter().all(|r| r.passed),
            rules,
        }
    }

    fn age_rule(&self, max: jiff::SignedDuration, input: &PolicyInput<'_>) -> RuleResult {
        let finished = input
            .verified
            .provenance
            .as_ref()
            .and_then(|p| p.run_details.metadata.as_ref())
            .and_then(|m| m.finished_on.as_deref())
            .map(provseal_model::slsa::parse_timestamp);
        let (when, source) = match finished {
            Some(Ok(t)) => (Some(t), "finishedOn"),
            Some(Err(e)) => {
                return rule(
                    RuleId::MaxAge,
                    false,
                    format!("at most {} old", human(max)),
                    format!("unreadable finishedOn: {e}"),
                )
            }
            None => (input.signed_at, "signing time"),
        };
        let expected = format!("at most {} old", human(max));
        let Some(when) = when else {
            return with_hint(
                rule(
                    RuleId::MaxAge,
                    false,
                    expected,
                    "no finishedOn and no signing time recorded".into(),
                ),
                "attest with `provseal run`/`attest`, which record finishedOn",
            );
        };
        let age = input.now.duration_since(when);
        // A clock a few minutes ahead is tolerated; more is suspicious.
        let skew = jiff::SignedDuration::from_secs(300);
        let passed = age <= max && age >= -skew;
        rule(
            RuleId::MaxAge,
            passed,
            expected,
            if age < jiff::SignedDuration::ZERO {
                format!("{source} {} is in the future", when)
            } else {
                format!("{} old ({source} {when})", human(age))
            },
        )
    }
}

fn human(d: jiff::SignedDuration) -> String {
    let s = d.as_secs().abs();
    let (days, rem) = (s / 86_400, s % 86_400);
    let (h, rem) = (rem / 3600, rem % 3600);
    let (m, sec) = (rem / 60, rem % 60);
    let mut out = String::new();
    for (n, u) in [(days, "d"), (h, "h"), (m, "m"), (sec, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{u}"));
        }
    }
    if out.is_empty() {
        "0s".into()
    } else {
        out
    }
}
