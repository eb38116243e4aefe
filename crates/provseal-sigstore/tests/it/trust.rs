//! Trusted roots: GitHub's `trusted_root.jsonl` form, the shipped snapshots.

use provseal_sigstore::{conformance_verify, TrustedRoot};
use provseal_testsupport::testdata_dir;

#[test]
fn jsonl_roots_are_merged_and_verify() {
    let Some(dir) = testdata_dir("jsonl_roots_are_merged_and_verify") else {
        return;
    };
    let prod =
        std::fs::read_to_string(dir.join("sigstore-python/trust/production/trusted_root.json"))
            .unwrap();
    let staging =
        std::fs::read_to_string(dir.join("sigstore-python/trust/staging/trusted_root.json"))
            .unwrap();
    let line = |s: &str| {
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(s).unwrap()).unwrap()
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("trusted_root.jsonl");
    std::fs::write(&path, format!("{}\n{}\n", line(&prod), line(&staging))).unwrap();
    let merged = TrustedRoot::load(&path).unwrap();
    let p = TrustedRoot::production().unwrap().summary();
    let s = merged.summary();
    assert!(s.tlogs > p.tlogs && s.certificate_authorities > p.certificate_authorities);
    // a production bundle and a staging bundle both verify against the merged root
    let base = dir.join("sigstore-conformance/bundle-verify");
    let id = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    for case in ["happy-path-v0.3", "bundle-from-wrong-instance_fail"] {
        let argv = [
            "verify-bundle".to_string(),
            "--bundle".into(),
            base.join(case)
                .join("bundle.sigstore.json")
                .display()
                .to_string(),
            "--certificate-identity".into(),
            id.into(),
            "--certificate-oidc-issuer".into(),
            "https://token.actions.githubusercontent.com".into(),
            "--trusted-root".into(),
            path.display().to_string(),
            base.join("a.txt").display().to_string(),
        ];
        conformance_verify(&argv).unwrap();
    }
    // malformed line names the line
    std::fs::write(&path, format!("{}\n{{\"mediaType\":\"x\"}}\n", line(&prod))).unwrap();
    let e = TrustedRoot::load(&path).unwrap_err().to_string();
    assert!(e.contains("trusted_root.jsonl:2"), "{e}");
}

#[test]
fn shipped_snapshots_load() {
    let p = TrustedRoot::production().unwrap().summary();
    assert_eq!(
        (
            p.tlogs,
            p.certificate_authorities,
            p.ctlogs,
            p.timestamp_authorities
        ),
        (2, 2, 2, 1)
    );
    let g = TrustedRoot::github().unwrap().summary();
    assert!(g.certificate_authorities > 0 && g.tlogs == 0);
    assert_eq!(provseal_sigstore::PRODUCTION_SNAPSHOT_DATE, "2025-10-21");
}

/// Issue 14: a trusted root that never ends is refused at the trusted-root size limit (named),
/// as an input error.
#[cfg(unix)]
#[test]
fn issue_14_endless_trusted_root_is_refused_at_the_limit() {
    let e = provseal_sigstore::TrustedRoot::load(std::path::Path::new("/dev/zero")).unwrap_err();
    assert!(e.is_input_error());
    assert_eq!(e.code(), "input-too-large");
    assert_eq!(
        e.to_string(),
        "trusted root `/dev/zero` is larger than the limit of 8388608 bytes"
    );
}
