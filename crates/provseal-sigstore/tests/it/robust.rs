//! Outside input never panics: every prefix of a real bundle, trust root, npm attestations
//! file and PEP 740 object is rejected with an error (or, for the full text, accepted).

use provseal_sigstore::{
    parse_pep740_attestation, parse_trust_material, verify_npm_attestations, verify_parsed,
    ArtifactInput, BundleSigner, IdentityPolicy, NpmExpectations, ParsedBundle, TrustedRoot,
    VerifyOptions,
};
use provseal_testsupport::testdata_dir;

#[test]
fn truncated_inputs_are_errors_not_panics() {
    let Some(dir) = testdata_dir("truncated_inputs_are_errors_not_panics") else {
        return;
    };
    let trust = TrustedRoot::production().unwrap();
    let any = IdentityPolicy::default();
    let bundle = std::fs::read(
        dir.join("sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json"),
    )
    .unwrap();
    let root =
        std::fs::read(dir.join("sigstore-python/trust/production/trusted_root.json")).unwrap();
    let npm = std::fs::read(
        dir.join("slsa-verifier/cli-testdata/npm/gha/gundam-visor-cli-v1-tag.tgz.json"),
    )
    .unwrap();
    let mut checked = 0;
    for n in (0..bundle.len()).step_by(7) {
        let r = ParsedBundle::parse(&bundle[..n], "t").and_then(|p| {
            verify_parsed(
                &p,
                Some(&ArtifactInput::Bytes(b"x")),
                &trust,
                BundleSigner::Identity(&any),
                &VerifyOptions::default(),
            )
        });
        assert!(r.is_err());
        assert!(parse_pep740_attestation(&bundle[..n], "t").is_err());
        checked += 2;
    }
    for n in (0..root.len()).step_by(11) {
        assert!(parse_trust_material(&root[..n], "t").is_err());
        assert!(TrustedRoot::from_json(&root[..n], "t").is_err());
        checked += 2;
    }
    let expect = NpmExpectations {
        source_uri: "github.com/x/y".into(),
        ..NpmExpectations::default()
    };
    let digest = format!("sha512:{}", "0".repeat(128));
    let a = ArtifactInput::parse_digest(&digest).unwrap();
    let key = [0u8; 4];
    for n in (0..npm.len()).step_by(13) {
        assert!(verify_npm_attestations(&npm[..n], "t", &a, &trust, &key, &expect).is_err());
        checked += 1;
    }
    assert!(checked > 1000, "{checked}");
}
