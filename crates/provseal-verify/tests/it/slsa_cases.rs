//! Every offline `slsa-provenance` case of `shared/testdata/cases.json` (slsa-verifier's
//! regression tests) gives its expected outcome and reason, artifacts by digest.

use provseal_model::DigestSet;
use provseal_sigstore::TrustedRoot;
use provseal_testsupport::{cases_of_kind, testdata_dir, Case};
use provseal_verify::slsa_verifier::{verify, BuilderRefPolicy, SlsaCommand, SlsaVerifierOptions};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Cases where provseal's verdict differs from slsa-verifier's, with the reason.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[];

fn digests(case: &Case) -> Vec<DigestSet> {
    case.params
        .get("artifact_digests")
        .and_then(|v| v.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|d| d.as_str())
        .map(|d| {
            let (alg, hex) = d.split_once(':').unwrap();
            let mut set = DigestSet::new();
            set.insert(alg, hex);
            set
        })
        .collect()
}

fn opt(case: &Case, name: &str) -> Option<String> {
    case.param_str(name).map(str::to_string)
}

/// Runs one case; `Ok(())` when the outcome (and, for failures, slsa-verifier's error name)
/// agrees, else a description of the difference.
fn run_case(
    case: &Case,
    dir: &Path,
    roots: &mut HashMap<String, TrustedRoot>,
) -> Result<(), String> {
    let prov_path = case.input(dir, "provenance").unwrap();
    let bytes = std::fs::read(&prov_path).unwrap();
    let root_rel = case.param_str("trusted_root_path").unwrap().to_string();
    if !roots.contains_key(&root_rel) {
        roots.insert(
            root_rel.clone(),
            TrustedRoot::load(&dir.join(&root_rel)).unwrap(),
        );
    }
    let argv0 = case.params["slsa_verifier_argv"][0].as_str().unwrap_or("");
    let inputs: BTreeMap<String, String> = case
        .params
        .get("build_workflow_inputs")
        .and_then(|v| v.as_object())
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let opts = SlsaVerifierOptions {
        source_uri: opt(case, "source_uri").unwrap_or_default(),
        source_branch: opt(case, "source_branch"),
        source_tag: opt(case, "source_tag"),
        source_versioned_tag: opt(case, "source_versioned_tag"),
        builder_id: opt(case, "builder_id"),
        build_workflow_inputs: inputs,
        trusted_root: roots.get(&root_rel),
        command: if argv0 == "verify-github-attestation" {
            SlsaCommand::VerifyGithubAttestation
        } else {
            SlsaCommand::VerifyArtifact
        },
        // slsa-verifier's regression tests run with SLSA_VERIFIER_TESTING set.
        builder_refs: BuilderRefPolicy::Testing,
    };
    let result = verify(
        &bytes,
        &prov_path.display().to_string(),
        &digests(case),
        &opts,
    );
    match (&result, case.expects_pass()) {
        (Ok(_), true) => Ok(()),
        (Err(e), false) if e.upstream() == case.expected.reason => Ok(()),
        (Ok(v), false) => Err(format!(
            "passed (builder {}), expected {}",
            v.builder_id, case.expected.reason
        )),
        (Err(e), _) => Err(format!(
            "failed with {} ({e}), expected {}",
            e.upstream(),
            if case.expects_pass() {
                "pass"
            } else {
                case.expected.reason.as_str()
            }
        )),
    }
}

fn family(id: &str) -> String {
    id.split('/').nth(1).unwrap_or(id).to_string()
}

#[test]
fn slsa_verifier_cases() {
    let Some(dir) = testdata_dir("slsa_verifier_cases") else {
        return;
    };
    let cases = cases_of_kind(&dir, "slsa-provenance");
    assert_eq!(cases.len(), 619, "offline slsa-provenance cases");
    let mut roots = HashMap::new();
    // family -> (run, agree, known-disagree)
    let mut per_family: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut disagreements: BTreeMap<String, String> = BTreeMap::new();
    for case in &cases {
        let entry = per_family.entry(family(&case.id)).or_default();
        entry.0 += 1;
        match run_case(case, &dir, &mut roots) {
            Ok(()) => entry.1 += 1,
            Err(why) => {
                entry.2 += 1;
                disagreements.insert(case.id.clone(), why);
            }
        }
    }
    for (f, (run, agree, known)) in &per_family {
        eprintln!("{f}: run {run}, agree {agree}, known-disagree {known}");
    }
    let known: BTreeMap<String, String> = KNOWN_DISAGREEMENTS
        .iter()
        .map(|(id, why)| (id.to_string(), why.to_string()))
        .collect();
    let new: Vec<_> = disagreements
        .iter()
        .filter(|(id, _)| !known.contains_key(*id))
        .map(|(id, why)| format!("{id}: {why}"))
        .collect();
    let fixed: Vec<_> = known
        .keys()
        .filter(|id| !disagreements.contains_key(*id))
        .collect();
    assert!(new.is_empty(), "new disagreements:\n{}", new.join("\n"));
    assert!(
        fixed.is_empty(),
        "now agreeing, remove from KNOWN_DISAGREEMENTS: {fixed:?}"
    );
    let total_agree: usize = per_family.values().map(|v| v.1).sum();
    assert_eq!(total_agree + known.len(), cases.len());
}
