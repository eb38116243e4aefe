//! PEP 740: attestation objects written by pypi-attestations (`convert`) from conformance
//! bundles are read back as bundles and verify; a tampered statement does not; a Rekor v2
//! bundle loses its RFC 3161 timestamp in PEP 740 form and cannot verify.

use provseal_sigstore::{
    parse_pep740_attestation, parse_pypi_provenance, verify_parsed, ArtifactInput, BundleSigner,
    IdentityPolicy, TrustedRoot, VerifyOptions,
};
use provseal_testsupport::{require_tool, testdata_dir};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

#[test]
fn pypi_attestations_convert_round_trip() {
    let Some(dir) = testdata_dir("pypi_attestations_convert_round_trip") else {
        return;
    };
    if !require_tool(
        "pypi_attestations_convert_round_trip",
        "pypi-attestations",
        &["--version"],
    ) {
        return;
    }
    let base = dir.join("sigstore-conformance/bundle-verify");
    let artifact = std::fs::read(base.join("a.txt")).unwrap();
    let policy = IdentityPolicy::exact(IDENTITY, ISSUER);
    let tmp = tempfile::tempdir().unwrap();
    for (case, root) in [
        ("happy-path-intoto-in-dsse-v3", None),
        (
            "rekor2-dsse-happy-path",
            Some("rekor2-dsse-happy-path/trusted_root.json"),
        ),
    ] {
        let out = tmp.path().join(format!("{case}.attestation"));
        let st = std::process::Command::new("pypi-attestations")
            .args(["convert", "--output-file"])
            .arg(&out)
            .arg(base.join(case).join("bundle.sigstore.json"))
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let trust = match root {
            Some(r) => TrustedRoot::load(&base.join(r)).unwrap(),
            None => TrustedRoot::production().unwrap(),
        };
        let bytes = std::fs::read(&out).unwrap();
        let verify = |b: &[u8]| {
            let parsed = parse_pep740_attestation(b, case)?;
            verify_parsed(
                &parsed,
                Some(&ArtifactInput::Bytes(&artifact)),
                &trust,
                BundleSigner::Identity(&policy),
                &VerifyOptions::default(),
            )
        };
        if case.starts_with("rekor2") {
            // PEP 740 objects have no place for RFC 3161 timestamps, and a Rekor v2 entry has
            // no integrated time: converted, the bundle has no verified signing time.
            assert_eq!(verify(&bytes).unwrap_err().code(), "sigstore-timestamp");
            continue;
        }
        let v = verify(&bytes).unwrap();
        assert_eq!(
            v.media_type,
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        // the same attestation inside a PyPI provenance object
        let att: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let prov = serde_json::json!({"version": 1, "attestation_bundles": [
            {"publisher": {"kind": "GitHub", "repository": "x/y"}, "attestations": [att.clone()]}]});
        let entries = parse_pypi_provenance(&serde_json::to_vec(&prov).unwrap(), "prov").unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].publisher["kind"], "GitHub");
        // tampered statement
        let mut bad = att.clone();
        let s = bad["envelope"]["statement"]
            .as_str()
            .unwrap()
            .replacen('e', "f", 1);
        bad["envelope"]["statement"] = s.into();
        assert!(verify(&serde_json::to_vec(&bad).unwrap()).is_err());
        // wrong version
        let mut bad = att;
        bad["version"] = 2.into();
        assert_eq!(
            verify(&serde_json::to_vec(&bad).unwrap())
                .unwrap_err()
                .code(),
            "sigstore-malformed"
        );
    }
}
