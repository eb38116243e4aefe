//! slsa-verifier compatibility through the binary: every offline `slsa-provenance` case, its
//! upstream argv translated to `provseal verify` flags, gives slsa-verifier's verdict.

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

/// `slsa-verifier verify-artifact|verify-github-attestation ARTIFACT --provenance-path P …` →
/// `provseal verify sha256:HEX --attestation P …` (the same flag names otherwise).
fn translate(argv: &[String], digest: &str) -> Vec<String> {
    let mut out = vec!["verify".to_string(), digest.to_string()];
    let mut it = argv.iter().skip(2);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--provenance-path" | "--attestation-path" => out.push("--attestation".into()),
            other => out.push(other.to_string()),
        }
        if let Some(v) = it.next() {
            out.push(v.clone());
        }
    }
    out
}

#[test]
fn every_offline_slsa_provenance_case_through_the_cli() {
    let Some(dir) =
        provseal_testsupport::testdata_dir("every_offline_slsa_provenance_case_through_the_cli")
    else {
        return;
    };
    let cases = provseal_testsupport::cases_of_kind(&dir, "slsa-provenance");
    let (mut agree, mut disagree) = (0usize, Vec::new());
    for case in &cases {
        let argv: Vec<String> = case.params["slsa_verifier_argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let digest = case.params["artifact_digests"][0].as_str().unwrap();
        let args = translate(&argv, digest);
        let out = Command::cargo_bin("provseal")
            .unwrap()
            .args(&args)
            .current_dir(&dir)
            // slsa-verifier's regression tests run in its testing mode (test builders at main)
            .env("SLSA_VERIFIER_TESTING", "1")
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains("panicked"), "{}: {text}", case.id);
        if (code == 0) == case.expects_pass() && (0..=2).contains(&code) {
            agree += 1;
        } else {
            disagree.push(format!(
                "{} (exit {code}): {}",
                case.id,
                text.lines().next().unwrap_or("")
            ));
        }
    }
    assert_eq!(cases.len(), 619, "the offline slsa-provenance cases");
    assert!(
        disagree.is_empty(),
        "{} disagree:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
    eprintln!(
        "slsa-verifier cases through the CLI: {agree}/{} agree",
        cases.len()
    );
}
