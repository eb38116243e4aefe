//! Identity policy over every Fulcio extension, on a real GitHub Actions certificate
//! (sigstore-python's `bundle_v3_github.whl.sigstore`); verify once, match many.

use provseal_sigstore::{
    verify_parsed, ArtifactInput, BundleSigner, FulcioField, IdentityPolicy, Matcher, ParsedBundle,
    SigstoreError, TrustedRoot, VerifyOptions,
};
use provseal_testsupport::testdata_dir;

const WHL: &str = "sha256:c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201";
const SAN: &str =
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2";

fn run(
    policy: &IdentityPolicy,
) -> Option<Result<provseal_sigstore::VerifiedBundle, SigstoreError>> {
    let dir = testdata_dir("identity_policy")?;
    let bytes =
        std::fs::read(dir.join("sigstore-python/assets/bundle_v3_github.whl.sigstore")).unwrap();
    let trust =
        TrustedRoot::load(&dir.join("sigstore-python/trust/production/trusted_root.json")).unwrap();
    let parsed = ParsedBundle::parse(&bytes, "whl").unwrap();
    Some(verify_parsed(
        &parsed,
        ArtifactInput::parse_digest(WHL).as_ref(),
        &trust,
        BundleSigner::Identity(policy),
        &VerifyOptions::default(),
    ))
}

#[test]
fn every_fulcio_extension_is_read_by_name() {
    let policy = IdentityPolicy::exact(SAN, "https://token.actions.githubusercontent.com");
    let Some(v) = run(&policy) else { return };
    let v = v.unwrap();
    let id = v.identity().unwrap();
    use FulcioField as F;
    let expect = [
        (F::IssuerV1, "https://token.actions.githubusercontent.com"),
        (F::GithubWorkflowTrigger, "release"),
        (
            F::GithubWorkflowSha,
            "d8b4a6445f38c48b9137a8099706d9b8073146e4",
        ),
        (F::GithubWorkflowName, "release"),
        (F::GithubWorkflowRepository, "trailofbits/rfc8785.py"),
        (F::GithubWorkflowRef, "refs/tags/v0.1.2"),
        (F::Issuer, "https://token.actions.githubusercontent.com"),
        (F::BuildSignerUri, SAN),
        (
            F::BuildSignerDigest,
            "d8b4a6445f38c48b9137a8099706d9b8073146e4",
        ),
        (F::RunnerEnvironment, "github-hosted"),
        (
            F::SourceRepositoryUri,
            "https://github.com/trailofbits/rfc8785.py",
        ),
        (
            F::SourceRepositoryDigest,
            "d8b4a6445f38c48b9137a8099706d9b8073146e4",
        ),
        (F::SourceRepositoryRef, "refs/tags/v0.1.2"),
        (F::SourceRepositoryIdentifier, "768213997"),
        (
            F::SourceRepositoryOwnerUri,
            "https://github.com/trailofbits",
        ),
        (F::SourceRepositoryOwnerIdentifier, "2314423"),
        (F::BuildConfigUri, SAN),
        (
            F::BuildConfigDigest,
            "d8b4a6445f38c48b9137a8099706d9b8073146e4",
        ),
        (F::BuildTrigger, "release"),
        (
            F::RunInvocationUri,
            "https://github.com/trailofbits/rfc8785.py/actions/runs/8351058501/attempts/1",
        ),
        (F::SourceRepositoryVisibilityAtSigning, "public"),
    ];
    let got: Vec<(F, &str)> = id
        .extensions
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    assert_eq!(got, expect.to_vec());
    assert_eq!(id.san.as_deref(), Some(SAN));
    assert!(v.log_index.is_some());
    assert!(v
        .signing_time
        .is_some_and(|t| t >= id.not_before && t <= id.not_after));
}

#[test]
fn convenience_constructors_and_mismatch_reports() {
    let ok = IdentityPolicy::default()
        .with_repository("trailofbits/rfc8785.py")
        .with_ref("refs/tags/v0.1.2")
        .with_source_digest("D8B4A6445F38C48B9137A8099706D9B8073146E4")
        .with_workflow("release.yml")
        .unwrap()
        .with(
            FulcioField::RunnerEnvironment,
            Matcher::Exact("github-hosted".into()),
        );
    let Some(r) = run(&ok) else { return };
    r.unwrap();

    let cases: Vec<(IdentityPolicy, &str, &str, Option<&str>)> = vec![
        (
            IdentityPolicy::default().with_repository("trailofbits/rfc8785"),
            "source-repository-uri",
            "https://github.com/trailofbits/rfc8785",
            Some("https://github.com/trailofbits/rfc8785.py"),
        ),
        (
            IdentityPolicy::default().with_ref("refs/heads/main"),
            "source-repository-ref",
            "refs/heads/main",
            Some("refs/tags/v0.1.2"),
        ),
        (
            IdentityPolicy {
                identity: Some(
                    Matcher::regex("identity", "https://github.com/trailofbits/.*").unwrap(),
                ),
                issuer: Some(Matcher::Exact("https://accounts.google.com".into())),
                extensions: vec![],
            },
            "issuer",
            "https://accounts.google.com",
            Some("https://token.actions.githubusercontent.com"),
        ),
        (
            IdentityPolicy {
                // anchored: a prefix is not enough
                identity: Some(
                    Matcher::regex("identity", "https://github.com/trailofbits/rfc8785.py")
                        .unwrap(),
                ),
                ..IdentityPolicy::default()
            },
            "identity",
            "regex ^(?:https://github.com/trailofbits/rfc8785.py)$",
            Some(SAN),
        ),
        (
            IdentityPolicy::default().with(
                FulcioField::DeploymentEnvironment,
                Matcher::Exact("prod".into()),
            ),
            "deployment-environment",
            "prod",
            None,
        ),
    ];
    for (policy, field, expected, actual) in cases {
        match run(&policy).unwrap() {
            Err(SigstoreError::IdentityMismatch(provseal_sigstore::IdentityMismatch {
                field: f,
                expected: e,
                actual: a,
            })) => {
                assert_eq!(
                    (f.as_str(), e.as_str(), a.as_deref()),
                    (field, expected, actual)
                );
            }
            other => panic!("{field}: expected an identity mismatch, got {other:?}"),
        }
    }
}

#[test]
fn verify_once_then_match_many() {
    let Some(dir) = testdata_dir("verify_once_then_match_many") else {
        return;
    };
    // slsa-github-generator bundle: no artifact given, then its subjects are matched.
    let bytes = std::fs::read(dir.join("slsa-verifier/gha-bundle-unit/valid-v0.3.intoto.sigstore"))
        .unwrap();
    let trust = TrustedRoot::production().unwrap();
    let parsed = ParsedBundle::parse(&bytes, "v0.3").unwrap();
    let v = verify_parsed(
        &parsed,
        None,
        &trust,
        BundleSigner::Identity(&IdentityPolicy::default()),
        &VerifyOptions::default(),
    )
    .unwrap();
    assert!(!v.subjects().is_empty());
    for s in v.subjects() {
        for (alg, hex) in &s.digest {
            let input = format!("{alg}:{hex}");
            if let Some(a) = ArtifactInput::parse_digest(&input) {
                assert_eq!(v.match_artifact(&a).unwrap().name, s.name);
            }
        }
    }
    let zero = format!("sha256:{}", "0".repeat(64));
    let e = v
        .match_artifact(&ArtifactInput::parse_digest(&zero).unwrap())
        .unwrap_err();
    assert_eq!(e.code(), "sigstore-artifact-mismatch");
}

#[test]
fn verified_bundle_serializes_for_reports() {
    let policy = IdentityPolicy::exact(SAN, "https://token.actions.githubusercontent.com");
    let Some(v) = run(&policy) else { return };
    let j = serde_json::to_value(v.unwrap()).unwrap();
    assert_eq!(j["signer"]["kind"], "certificate");
    assert_eq!(
        j["signer"]["extensions"]["source-repository-ref"],
        "refs/tags/v0.1.2"
    );
    assert_eq!(j["content"]["kind"], "message-signature");
    assert_eq!(
        j["content"]["subject"]["digest"]["sha256"],
        WHL.trim_start_matches("sha256:")
    );
}
