//! Sigstore through the binary: the sigstore-conformance client protocol over every offline
//! `sigstore-bundle-verify` case, and `provseal verify` with keyless identity flags.

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

fn provseal(dir: &std::path::Path, args: &[String]) -> (i32, String) {
    let out = Command::cargo_bin("provseal")
        .unwrap()
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn conformance_protocol_over_every_offline_case() {
    let Some(dir) =
        provseal_testsupport::testdata_dir("conformance_protocol_over_every_offline_case")
    else {
        return;
    };
    // The cases with a client argv are the conformance suite's (the library tests in
    // provseal-sigstore run the other corpora); every one must agree.
    let (mut runs, mut agree, mut disagree) = (0, 0, Vec::new());
    for case in provseal_testsupport::cases_of_kind(&dir, "sigstore-bundle-verify") {
        let Some(modes) = case
            .raw
            .get("offline_argv")
            .or_else(|| case.raw.get("conformance_argv"))
            .and_then(|v| v.as_object())
            .cloned()
        else {
            continue;
        };
        for (mode, argv) in modes {
            let argv: Vec<String> = argv
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            let (code, err) = provseal(&dir, &argv);
            assert!(
                code == 0 || code == 1 || code == 2,
                "{}: {code} {err}",
                case.id
            );
            runs += 1;
            if (code == 0) == case.expects_pass() {
                agree += 1;
            } else {
                disagree.push(format!("{} ({mode})", case.id));
            }
        }
    }
    assert!(disagree.is_empty(), "disagreeing: {disagree:?}");
    assert!(runs >= 140, "{runs}");
    eprintln!("conformance protocol through the binary: {runs} runs, {agree} agree");
}

#[test]
fn keyless_identity_flags_name_field_expected_actual() {
    let Some(dir) = provseal_testsupport::testdata_dir("keyless_identity_flags") else {
        return;
    };
    let case = provseal_testsupport::cases_of_kind(&dir, "sigstore-bundle-verify")
        .into_iter()
        .find(|c| {
            c.source == "sigstore-conformance"
                && c.expects_pass()
                && c.param_str("bundle_content") == Some("dsse")
        })
        .or_else(|| {
            provseal_testsupport::cases_of_kind(&dir, "sigstore-bundle-verify")
                .into_iter()
                .find(|c| c.source == "sigstore-conformance" && c.expects_pass())
        })
        .unwrap();
    let bundle = case.input(&dir, "bundle").unwrap();
    let artifact = case.param_str("artifact_digest").unwrap().to_string();
    let identity = case.param_str("certificate_identity").unwrap().to_string();
    let issuer = case
        .param_str("certificate_oidc_issuer")
        .unwrap()
        .to_string();
    let root = case.input(&dir, "trusted_root").unwrap();
    let base = |id: &str| -> Vec<String> {
        vec![
            "verify".into(),
            artifact.clone(),
            "--attestation".into(),
            bundle.display().to_string(),
            "--trusted-root".into(),
            root.display().to_string(),
            "--certificate-identity".into(),
            id.to_string(),
            "--certificate-oidc-issuer".into(),
            issuer.clone(),
        ]
    };
    let (code, err) = provseal(&dir, &base(&identity));
    assert_eq!(code, 0, "{}: {err}", case.id);
    let out = Command::cargo_bin("provseal")
        .unwrap()
        .args(base("https://example.invalid/wrong"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("https://example.invalid/wrong") && text.contains(&identity),
        "{text}"
    );
}

/// The wrappers the ecosystem publishes bundles in: a PEP 740 attestation (made by the real
/// `pypi-attestations convert`), PyPI's provenance object, and npm's attestations JSON — each
/// detected by `provseal verify` and verified offline.
#[test]
fn pep740_pypi_provenance_and_npm_wrappers() {
    let Some(dir) = provseal_testsupport::testdata_dir("pep740_pypi_provenance_and_npm_wrappers")
    else {
        return;
    };
    if !provseal_testsupport::require_tool(
        "pep740_pypi_provenance_and_npm_wrappers",
        "pypi-attestations",
        &["--version"],
    ) {
        return;
    }
    let base = dir.join("sigstore-conformance/bundle-verify");
    let bundle_path = base.join("happy-path-intoto-in-dsse-v3/bundle.sigstore.json");
    let tmp = tempfile::tempdir().unwrap();
    let att = tmp.path().join("a.txt.publish.attestation");
    let st = Command::new("pypi-attestations")
        .args(["convert", "--output-file"])
        .arg(&att)
        .arg(&bundle_path)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let att_value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&att).unwrap()).unwrap();
    let bundle_value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle_path).unwrap()).unwrap();
    let provenance = tmp.path().join("a.txt.provenance");
    std::fs::write(&provenance, serde_json::json!({"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub"}, "attestations": [att_value]}]}).to_string()).unwrap();
    let npm = tmp.path().join("a.txt.npm.json");
    std::fs::write(&npm, serde_json::json!({"attestations": [{"predicateType": "https://slsa.dev/provenance/v1", "bundle": bundle_value}]}).to_string()).unwrap();
    let identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    for file in [&att, &provenance, &npm] {
        let args: Vec<String> = vec![
            "verify".into(),
            base.join("a.txt").display().to_string(),
            "--attestation".into(),
            file.display().to_string(),
            "--certificate-identity".into(),
            identity.into(),
            "--certificate-oidc-issuer".into(),
            "https://token.actions.githubusercontent.com".into(),
        ];
        let (code, err) = provseal(&dir, &args);
        assert_eq!(code, 0, "{}: {err}", file.display());
        // another artifact is not a subject
        let mut other = args.clone();
        other[1] = bundle_path.display().to_string();
        let (code, _) = provseal(&dir, &other);
        assert_eq!(code, 1, "{}", file.display());
    }
    // found by name (ARTIFACT.publish.attestation) in a directory
    let args: Vec<String> = vec![
        "verify".into(),
        base.join("a.txt").display().to_string(),
        "--attestation-dir".into(),
        tmp.path().display().to_string(),
        "--certificate-identity".into(),
        identity.into(),
        "--certificate-oidc-issuer".into(),
        "https://token.actions.githubusercontent.com".into(),
    ];
    let (code, err) = provseal(&dir, &args);
    assert_eq!(code, 0, "{err}");
}
