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
    let started = std::time::Instant::now();
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
    eprintln!(
        "{} cases in {:?} ({:?} per case, trusted root loaded once)",
        cases.len(),
        started.elapsed(),
        started.elapsed() / cases.len().max(1) as u32
    );
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

fn load(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap()
}

fn sha256(hex: &str) -> Vec<DigestSet> {
    let mut s = DigestSet::new();
    s.insert("sha256", hex);
    vec![s]
}

const GO_V210: &str =
    "slsa-verifier/cli-testdata/gha_go/v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl";
const GO_DIGEST: &str = "f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066";
const GO_BUILDER: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml";
const EXAMPLE: &str = "github.com/slsa-framework/example-package";

fn root(dir: &Path) -> TrustedRoot {
    TrustedRoot::load(&dir.join("sigstore-python/trust/production/trusted_root.json")).unwrap()
}

/// The builder-id forms slsa-verifier accepts (the case notes list them), and one it refuses.
#[test]
fn builder_id_variants() {
    let Some(dir) = testdata_dir("builder_id_variants") else {
        return;
    };
    let trust = root(&dir);
    let bytes = load(&dir, GO_V210);
    for (builder, ok) in [
        (None, true),
        (Some(format!("{GO_BUILDER}@v2.1.0")), true),
        (Some(format!("{GO_BUILDER}@refs/tags/v2.1.0")), true),
        (Some(format!("{GO_BUILDER}@v2.0.0")), false),
    ] {
        let opts = SlsaVerifierOptions {
            source_uri: EXAMPLE.into(),
            builder_id: builder.clone(),
            trusted_root: Some(&trust),
            ..Default::default()
        };
        let r = verify(&bytes, GO_V210, &sha256(GO_DIGEST), &opts);
        match (&r, ok) {
            (Ok(v), true) => {
                assert_eq!(v.builder_id, format!("{GO_BUILDER}@refs/tags/v2.1.0"));
                let vs = v.to_verified_statement(GO_V210);
                let p = vs.provenance.unwrap();
                assert_eq!(
                    p.run_details.builder.id,
                    format!("{GO_BUILDER}@refs/tags/v2.1.0")
                );
            }
            (Err(e), false) => {
                assert_eq!(e.upstream(), "ErrorUntrustedReusableWorkflow");
                assert_eq!(e.code(), "slsa-untrusted-builder");
                assert!(e.to_string().contains("@v2.0.0"), "{e}");
                assert!(e.to_string().contains("@refs/tags/v2.1.0"), "{e}");
            }
            _ => panic!("{builder:?}: {r:?}"),
        }
    }
}

/// BYOB without `--builder-id`: a TRW of slsa-github-generator is trusted, another TRW is not;
/// in release mode a delegator referenced at `refs/heads/main` is refused.
#[test]
fn byob_builder_defaults_and_release_refs() {
    let Some(dir) = testdata_dir("byob_builder_defaults") else {
        return;
    };
    let trust = root(&dir);
    let maven = "slsa-verifier/cli-testdata/gha_maven/v2.1.0/binary-linux-amd64-workflow_dispatch.build.slsa";
    let stmt = load(&dir, maven);
    let opts = SlsaVerifierOptions {
        source_uri: EXAMPLE.into(),
        trusted_root: Some(&trust),
        ..Default::default()
    };
    // The subject of the maven provenance, read from the case.
    let digest = cases_of_kind(&dir, "slsa-provenance")
        .into_iter()
        .find(|c| c.id == "slsa-verifier/gha_maven/v2.1.0/valid_main_branch_default")
        .map(|c| digests(&c))
        .unwrap();
    let v = verify(&stmt, maven, &digest, &opts).unwrap();
    assert_eq!(
        v.builder_id,
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_maven_slsa3.yml@refs/tags/v2.1.0"
    );
    assert_eq!(
        v.source_uri,
        "git+https://github.com/slsa-framework/example-package@refs/heads/main"
    );

    let hello = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    let trw = "https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml";
    // v1.9.0: the delegator signed at refs/heads/main, refused outside testing mode.
    let delegator =
        "slsa-verifier/cli-testdata/gha_delegator/v1.9.0/binary-linux-amd64-workflow_dispatch.build.slsa";
    let bytes = load(&dir, delegator);
    let with_trw = SlsaVerifierOptions {
        builder_id: Some(trw.into()),
        ..opts.clone()
    };
    let e = verify(&bytes, delegator, &sha256(hello), &with_trw).unwrap_err();
    assert_eq!(e.upstream(), "ErrorInvalidRef", "{e}");
    assert!(e.to_string().contains("refs/heads/main"), "{e}");
    let testing = SlsaVerifierOptions {
        builder_refs: BuilderRefPolicy::Testing,
        ..with_trw
    };
    let v = verify(&bytes, delegator, &sha256(hello), &testing).unwrap();
    assert_eq!(v.builder_id, format!("{trw}@refs/tags/v1.9.0"));
    // v2.1.0 (delegator at a release tag): a TRW outside slsa-github-generator needs
    // --builder-id.
    let delegator =
        "slsa-verifier/cli-testdata/gha_delegator/v2.1.0/binary-linux-amd64-workflow_dispatch.build.slsa";
    let e = verify(&load(&dir, delegator), delegator, &sha256(hello), &opts).unwrap_err();
    assert_eq!(e.upstream(), "ErrorInvalidBuilderID", "{e}");
    assert!(e.to_string().contains("example-trw"), "{e}");
}

/// Negative paths: a digest that is no subject, a tampered bundle, a bare DSSE envelope,
/// a workflow input that is not recorded, a bad versioned tag.
#[test]
fn failures_name_field_expected_actual() {
    let Some(dir) = testdata_dir("slsa_failures") else {
        return;
    };
    let trust = root(&dir);
    let bytes = load(&dir, GO_V210);
    let opts = SlsaVerifierOptions {
        source_uri: EXAMPLE.into(),
        trusted_root: Some(&trust),
        ..Default::default()
    };
    let other = "0".repeat(64);
    let e = verify(&bytes, GO_V210, &sha256(&other), &opts).unwrap_err();
    assert_eq!(e.upstream(), "ErrorMismatchHash");
    assert_eq!(
        e.to_string(),
        format!("subject: expected digest sha256:{other}, found subjects sha256:f6ab7ad0c754")
    );

    // Flip one character of the DSSE signature.
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let sig = v["dsseEnvelope"]["signatures"][0]["sig"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = if sig.starts_with('M') { "N" } else { "M" };
    v["dsseEnvelope"]["signatures"][0]["sig"] = format!("{flipped}{}", &sig[1..]).into();
    let tampered = serde_json::to_vec(&v).unwrap();
    let e = verify(&tampered, "tampered", &sha256(GO_DIGEST), &opts).unwrap_err();
    assert_eq!(e.code(), "slsa-signature", "{e}");
    assert_ne!(e.class(), provseal_verify::FailureClass::Policy);

    let bare = "slsa-verifier/cli-testdata/workflow-inputs.intoto.jsonl";
    let e = verify(&load(&dir, bare), bare, &sha256(GO_DIGEST), &opts).unwrap_err();
    assert_eq!(e.code(), "slsa-needs-network");
    assert_eq!(e.class(), provseal_verify::FailureClass::Input);

    let inputs = SlsaVerifierOptions {
        build_workflow_inputs: [("release_version".to_string(), "1.0".to_string())].into(),
        ..opts.clone()
    };
    let e = verify(&bytes, GO_V210, &sha256(GO_DIGEST), &inputs).unwrap_err();
    assert_eq!(e.upstream(), "ErrorInvalidDssePayload", "{e}");
    assert!(e.to_string().contains("inputs"), "{e}");

    let bad_semver = SlsaVerifierOptions {
        source_versioned_tag: Some("13".into()),
        ..opts.clone()
    };
    let tagged =
        "slsa-verifier/cli-testdata/gha_go/v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl";
    let e = verify(&load(&dir, tagged), tagged, &sha256(GO_DIGEST), &bad_semver).unwrap_err();
    assert_eq!(e.upstream(), "ErrorInvalidSemver", "{e}");
    let v13 = SlsaVerifierOptions {
        source_versioned_tag: Some("v13.1".into()),
        ..opts
    };
    let e = verify(&load(&dir, tagged), tagged, &sha256(GO_DIGEST), &v13).unwrap_err();
    assert_eq!(
        e.to_string(),
        "source versioned tag (minor): expected `v13.1 (minor 1)`, found `v13.0.30 (minor 0)`"
    );
}

/// Bad input gets an input-class error naming the input, never a panic.
#[test]
fn bad_input_is_an_input_error() {
    let opts = SlsaVerifierOptions {
        source_uri: EXAMPLE.into(),
        ..Default::default()
    };
    for (bytes, code) in [
        (&b""[..], "slsa-provenance-malformed"),
        (b"\xff\xfe", "slsa-provenance-malformed"),
        (b"{}", "slsa-provenance-malformed"),
        (b"[1,2]", "slsa-provenance-malformed"),
        (
            br#"{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[]}"#,
            "slsa-needs-network",
        ),
        (
            br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#,
            "slsa-signature",
        ),
    ] {
        let e = verify(bytes, "prov.json", &sha256(GO_DIGEST), &opts).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
        assert_eq!(e.class(), provseal_verify::FailureClass::Input, "{e}");
        assert!(e.to_string().contains("prov.json"), "{e}");
    }
}
