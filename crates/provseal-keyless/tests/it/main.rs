//! provseal-keyless against the real local Sigstore stack (`scripts/sigstore-stack`): what one
//! signing operation asks of each service, counted from the services' own logs, and cosign
//! verifying the result. Skipped (with a notice) without `PROVSEAL_SIGSTORE_STACK`, except under
//! CI.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use provseal_keyless::{
    check_token, choose_services, Http, HttpOptions, KeylessError, KeylessSigner, Secret, Service,
    SigningConfigSource, TokenSource,
};
use provseal_testsupport::stack::{peer_bin, SigstoreStack};

fn signer(stack: &SigstoreStack, signing_config: &Path, options: &HttpOptions) -> KeylessSigner {
    let now = jiff::Timestamp::now();
    let token = check_token(&Secret::new(stack.token()), TokenSource::ArgumentValue, now).unwrap();
    let services = choose_services(
        &SigningConfigSource::File(signing_config.to_path_buf()),
        None,
    )
    .unwrap();
    KeylessSigner::new(token, services, Http::new(options).unwrap())
}

/// The stack's counters are shared: tests that count hold this while they sign.
static COUNTING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn counting() -> std::sync::MutexGuard<'static, ()> {
    COUNTING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a signing changed in the stack's counters.
fn delta(
    before: &std::collections::BTreeMap<String, u64>,
    after: &std::collections::BTreeMap<String, u64>,
    key: &str,
) -> u64 {
    after[key] - before[key]
}

#[test]
fn a_prefetched_certificate_makes_one_fulcio_request_and_one_log_entry_and_cosign_verifies() {
    let Some(stack) = SigstoreStack::from_env("keyless_prefetch") else {
        return;
    };
    let Some(cosign) = peer_bin("cosign") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let blob = dir.path().join("blob.txt");
    std::fs::write(&blob, b"prefetched keyless signing\n").unwrap();
    let sha256: [u8; 32] = sigstore_sha256(&std::fs::read(&blob).unwrap());

    let signer = signer(&stack, &stack.signing_config, &HttpOptions::default());
    let _counting = counting();
    let before = stack.stats();
    signer.prefetch_certificate(jiff::Timestamp::now()).unwrap();
    // A second call while the first is pending starts nothing more.
    signer.prefetch_certificate(jiff::Timestamp::now()).unwrap();
    let signed = signer.sign_digest(sha256, jiff::Timestamp::now()).unwrap();
    let after = stack.stats();
    assert_eq!(delta(&before, &after, "fulcio_certificate_requests"), 1);
    assert_eq!(delta(&before, &after, "rekor_log_size"), 1);
    assert_eq!(signed.attempts, 1);
    assert!(signed.timings.tsa.is_some(), "{:?}", signed.timings);

    let bundle = dir.path().join("blob.sigstore.json");
    std::fs::write(&bundle, &signed.json).unwrap();
    let out = Command::new(cosign)
        .args(["verify-blob", "--bundle"])
        .arg(&bundle)
        .arg("--trusted-root")
        .arg(&stack.trusted_root)
        .args(["--certificate-identity", stack.identity()])
        .args(["--certificate-oidc-issuer", &stack.oidc_issuer])
        .arg(&blob)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cosign verify-blob: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_down_timestamp_authority_is_named_and_the_log_gets_one_entry_not_one_per_attempt() {
    let Some(stack) = SigstoreStack::from_env("keyless_tsa_down") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The stack's signing config with the TSA moved to a closed loopback port.
    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&stack.signing_config).unwrap()).unwrap();
    let tsa_url = format!("http://127.0.0.1:{closed}/api/v1/timestamp");
    config["tsaUrls"][0]["url"] = serde_json::json!(tsa_url);
    let sc = dir.path().join("signing_config.json");
    std::fs::write(&sc, config.to_string()).unwrap();
    let options = HttpOptions {
        attempts: 3,
        backoff: std::time::Duration::from_millis(20),
        ..HttpOptions::default()
    };
    let signer = signer(&stack, &sc, &options);

    let _counting = counting();
    let before = stack.stats();
    let e = signer
        .sign_digest([7; 32], jiff::Timestamp::now())
        .unwrap_err();
    let after = stack.stats();
    match &e {
        KeylessError::Service {
            service,
            url,
            attempts,
            ..
        } => {
            assert_eq!(
                (*service, url.as_str(), *attempts),
                (Service::Tsa, tsa_url.as_str(), 3)
            );
        }
        other => panic!("unexpected {other}"),
    }
    // The TSA's three attempts cost no further certificate and no further log entry.
    assert_eq!(delta(&before, &after, "fulcio_certificate_requests"), 1);
    assert_eq!(delta(&before, &after, "rekor_log_size"), 1);
}

fn sigstore_sha256(data: &[u8]) -> [u8; 32] {
    *sigstore_sign::crypto::sha256(data).as_bytes()
}
