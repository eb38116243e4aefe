//! npm's attestations JSON (`GET /-/npm/v1/attestations/<pkg>@<ver>`): a SLSA provenance
//! bundle (keyless, from the publishing CI) and a publish attestation (key-signed by the npm
//! registry), verified together as slsa-verifier's `verify-npm-package` does.

use crate::artifact::ArtifactInput;
use crate::identity::{FulcioField, IdentityPolicy};
use crate::trust::TrustedRoot;
use crate::verify::{verify_parsed, BundleSigner, ParsedBundle, VerifiedBundle, VerifyOptions};
use crate::SigstoreError;

/// predicateType of npm's publish attestation.
pub const NPM_PUBLISH_PREDICATE: &str =
    "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";
/// The GitHub-hosted runner builder id (npm CLI provenance, SLSA v1).
pub const GITHUB_HOSTED_RUNNER: &str = "https://github.com/actions/runner/github-hosted";
/// The runner builder id npm CLI writes in SLSA v0.2 provenance.
pub const GITHUB_RUNNER: &str = "https://github.com/actions/runner";
const SELF_HOSTED_RUNNER: &str = "https://github.com/actions/runner/self-hosted";
const GENERATOR_WORKFLOWS: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/";
const NPM: &str = "npm attestations";

/// What the caller expects of an npm package's attestations.
#[derive(Debug, Clone, Default)]
pub struct NpmExpectations {
    /// The builder id (`https://github.com/actions/runner/github-hosted` for npm CLI
    /// provenance; the slsa-github-generator Node.js builder workflow, optionally `@ref`).
    /// Required.
    pub builder_id: Option<String>,
    /// The source repository, `github.com/org/repo` (or with `https://`). Required.
    pub source_uri: String,
    /// The package name (`@scope/name`), checked when given.
    pub package_name: Option<String>,
    /// The package version, checked when given.
    pub package_version: Option<String>,
}

/// Both verified attestations of an npm package.
#[derive(Debug, Clone)]
pub struct NpmVerified {
    /// The SLSA provenance bundle (keyless).
    pub provenance: VerifiedBundle,
    /// The publish attestation (npm registry key).
    pub publish: VerifiedBundle,
    /// The package name from the publish attestation.
    pub package_name: String,
    /// The package version from the publish attestation.
    pub package_version: String,
    /// The builder id that was accepted.
    pub builder_id: String,
}

fn mismatch(field: &str, expected: &str, actual: &str) -> SigstoreError {
    SigstoreError::NpmMismatch {
        field: field.to_string(),
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// Verifies npm's attestations JSON for one tarball (`artifact`: its bytes or `sha512:` digest):
/// both bundles' signatures, certificate and log entries; the publish attestation signed with
/// `npm_key` (SPKI DER); the tarball a subject of both statements; the builder, source
/// repository, package name and version as expected.
pub fn verify_npm_attestations(
    json: &[u8],
    source_name: &str,
    artifact: &ArtifactInput<'_>,
    trust: &TrustedRoot,
    npm_key: &[u8],
    expect: &NpmExpectations,
) -> Result<NpmVerified, SigstoreError> {
    let doc = crate::trust::strict_json(json, NPM, source_name)?;
    let list = doc
        .get("attestations")
        .and_then(|a| a.as_array())
        .ok_or_else(|| SigstoreError::malformed(NPM, source_name, "no `attestations` array"))?;
    let (mut prov, mut publish) = (None, None);
    for (i, a) in list.iter().enumerate() {
        let pt = a
            .get("predicateType")
            .and_then(|p| p.as_str())
            .ok_or_else(|| {
                SigstoreError::malformed(
                    NPM,
                    source_name,
                    format!("attestation {i}: no `predicateType`"),
                )
            })?;
        let bundle = a.get("bundle").ok_or_else(|| {
            SigstoreError::malformed(NPM, source_name, format!("attestation {i}: no `bundle`"))
        })?;
        let name = format!("{source_name}#attestations[{i}]");
        let parsed = ParsedBundle::from_value(bundle, &name)?;
        let slot = if pt == NPM_PUBLISH_PREDICATE {
            &mut publish
        } else if pt.starts_with("https://slsa.dev/provenance/") {
            &mut prov
        } else {
            return Err(SigstoreError::malformed(
                NPM,
                source_name,
                format!("attestation {i}: unknown predicateType `{pt}`"),
            ));
        };
        if slot.replace((pt.to_string(), parsed)).is_some() {
            return Err(SigstoreError::malformed(
                NPM,
                source_name,
                format!("more than one `{pt}` attestation"),
            ));
        }
    }
    let (prov_type, prov) = prov.ok_or_else(|| {
        SigstoreError::malformed(NPM, source_name, "no SLSA provenance attestation")
    })?;
    let (_, publish) = publish
        .ok_or_else(|| SigstoreError::malformed(NPM, source_name, "no publish attestation"))?;

    let options = VerifyOptions::default();
    let publish = verify_parsed(
        &publish,
        Some(artifact),
        trust,
        BundleSigner::KeyDer(npm_key),
        &options,
    )?;
    let any = IdentityPolicy::default();
    let prov = verify_parsed(
        &prov,
        Some(artifact),
        trust,
        BundleSigner::Identity(&any),
        &options,
    )?;

    let pub_stmt = signed_statement(&publish, NPM_PUBLISH_PREDICATE)?;
    let prov_stmt = signed_statement(&prov, &prov_type)?;

    // Source repository, from the verified certificate.
    let id = prov
        .identity()
        .ok_or_else(|| SigstoreError::malformed(NPM, source_name, "provenance is not keyless"))?;
    let actual_repo = id
        .get(FulcioField::SourceRepositoryUri)
        .map(str::to_string)
        .or_else(|| {
            id.get(FulcioField::GithubWorkflowRepository)
                .map(|r| format!("https://github.com/{r}"))
        })
        .unwrap_or_default();
    let want_repo = if expect.source_uri.contains("://") {
        expect.source_uri.clone()
    } else {
        format!("https://{}", expect.source_uri)
    };
    if want_repo != actual_repo {
        return Err(mismatch("source-uri", &want_repo, &actual_repo));
    }

    // Builder.
    let builder_id = check_builder(expect.builder_id.as_deref(), id.san.as_deref(), &prov_stmt)?;
    // Package name and version: publish predicate, consistent with the provenance subject purl.
    let name = str_at(&pub_stmt, "/predicate/name").unwrap_or_default();
    let version = str_at(&pub_stmt, "/predicate/version").unwrap_or_default();
    let purl = format!("pkg:npm/{}@{}", name.replace('@', "%40"), version);
    let subject_names: Vec<&str> = prov.subjects().iter().map(|s| s.name.as_str()).collect();
    if !subject_names.contains(&purl.as_str()) {
        return Err(mismatch(
            "provenance-subject",
            &purl,
            &subject_names.join(", "),
        ));
    }
    if let Some(n) = &expect.package_name {
        if n != name {
            return Err(mismatch("package-name", n, name));
        }
    }
    if let Some(v) = &expect.package_version {
        if v != version {
            return Err(mismatch("package-version", v, version));
        }
    }

    Ok(NpmVerified {
        provenance: prov,
        publish,
        package_name: name.to_string(),
        package_version: version.to_string(),
        builder_id,
    })
}

fn str_at<'v>(v: &'v serde_json::Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(|x| x.as_str())
}

fn signed_statement(
    b: &VerifiedBundle,
    predicate_type: &str,
) -> Result<serde_json::Value, SigstoreError> {
    let payload = b
        .dsse_payload()
        .ok_or_else(|| SigstoreError::malformed(NPM, &b.source_name, "not a DSSE bundle"))?;
    let v = crate::json::parse_strict(payload).map_err(|e| {
        SigstoreError::malformed_because("in-toto statement", &b.source_name, "", e)
    })?;
    let got = str_at(&v, "/predicateType").unwrap_or_default();
    if got != predicate_type {
        return Err(mismatch("predicate-type", predicate_type, got));
    }
    Ok(v)
}

/// slsa-verifier's builder rules for npm: the slsa-github-generator Node.js builder is
/// recognised from the certificate SAN; otherwise the provenance comes from the npm CLI on a
/// GitHub runner and its `builder.id` must be the one expected (v0.2 provenance says
/// `…/actions/runner`, for which `…/runner/github-hosted` is also accepted).
fn check_builder(
    expected: Option<&str>,
    san: Option<&str>,
    prov: &serde_json::Value,
) -> Result<String, SigstoreError> {
    let expected =
        expected.ok_or_else(|| mismatch("builder-id", "<a builder id>", "none given"))?;
    let san = san.unwrap_or_default();
    let is_v02 = str_at(prov, "/predicateType") == Some("https://slsa.dev/provenance/v0.2");
    let prov_builder = if is_v02 {
        str_at(prov, "/predicate/builder/id")
    } else {
        str_at(prov, "/predicate/runDetails/builder/id")
    }
    .unwrap_or_default();
    if let Some(rest) = san.strip_prefix(GENERATOR_WORKFLOWS) {
        let (mut workflow, git_ref) = rest.split_once('@').unwrap_or((rest, ""));
        // A delegator workflow signs for the builder named in the provenance, which must be a
        // generator workflow at the same ref.
        if workflow.starts_with("delegator_") {
            let named = prov_builder
                .strip_prefix(GENERATOR_WORKFLOWS)
                .unwrap_or_default();
            let (w, r) = named.split_once('@').unwrap_or((named, ""));
            if w.is_empty() || r != git_ref {
                return Err(mismatch(
                    "builder-id",
                    &format!("{GENERATOR_WORKFLOWS}…@{git_ref}"),
                    prov_builder,
                ));
            }
            workflow = w;
        }
        let actual = format!("{GENERATOR_WORKFLOWS}{workflow}");
        let (want, want_ref) = match expected.split_once('@') {
            Some((w, r)) => (w, Some(r)),
            None => (expected, None),
        };
        if want != actual || want_ref.is_some_and(|r| r != git_ref) {
            return Err(mismatch(
                "builder-id",
                expected,
                &format!("{actual}@{git_ref}"),
            ));
        }
        return Ok(actual);
    }
    let accepted = expected == prov_builder
        || (is_v02 && prov_builder == GITHUB_RUNNER && expected == GITHUB_HOSTED_RUNNER);
    if accepted {
        return Ok(expected.to_string());
    }
    if [GITHUB_RUNNER, GITHUB_HOSTED_RUNNER, SELF_HOSTED_RUNNER].contains(&expected) {
        return Err(mismatch("builder-id", expected, prov_builder));
    }
    Err(mismatch(
        "builder-id",
        expected,
        &format!("{prov_builder} (builder not supported)"),
    ))
}
