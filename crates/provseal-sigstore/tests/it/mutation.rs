//! Mutation test: flip bytes of the signature, certificate, log entry (body, SET, inclusion
//! proof hashes, root hash), checkpoint and payload of valid bundles; no mutant may verify.

use base64::Engine as _;
use provseal_sigstore::{
    verify_parsed, ArtifactInput, BundleSigner, IdentityPolicy, ParsedBundle, TrustedRoot,
    VerifyOptions,
};
use provseal_testsupport::testdata_dir;
use serde_json::Value;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Valid conformance bundles: (case dir, artifact, trusted root or None for production).
const BUNDLES: &[(&str, &str, Option<&str>)] = &[
    ("happy-path-v0.1", "a.txt", None),
    ("happy-path-v0.2", "a.txt", None),
    ("happy-path-v0.3", "a.txt", None),
    ("happy-path-intoto-in-dsse-v3", "a.txt", None),
    (
        "intoto-with-custom-trust-root",
        "intoto-with-custom-trust-root/artifact",
        Some("intoto-with-custom-trust-root/trusted_root.json"),
    ),
    (
        "rekor2-happy-path",
        "a.txt",
        Some("rekor2-happy-path/trusted_root.json"),
    ),
    (
        "rekor2-dsse-happy-path",
        "a.txt",
        Some("rekor2-dsse-happy-path/trusted_root.json"),
    ),
];

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// JSON pointers of the base64 fields to mutate, and of text fields (mutated as bytes).
fn targets(v: &Value) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut add = |p: String, b64: bool| {
        if v.pointer(&p).and_then(Value::as_str).is_some() {
            out.push((p, b64));
        }
    };
    add("/messageSignature/signature".into(), true);
    add("/dsseEnvelope/signatures/0/sig".into(), true);
    add("/dsseEnvelope/payload".into(), true);
    add("/verificationMaterial/certificate/rawBytes".into(), true);
    add(
        "/verificationMaterial/x509CertificateChain/certificates/0/rawBytes".into(),
        true,
    );
    let e = "/verificationMaterial/tlogEntries/0";
    add(format!("{e}/canonicalizedBody"), true);
    add(format!("{e}/inclusionPromise/signedEntryTimestamp"), true);
    add(format!("{e}/inclusionProof/rootHash"), true);
    add(format!("{e}/inclusionProof/checkpoint/envelope"), false);
    for i in 0..64 {
        add(format!("{e}/inclusionProof/hashes/{i}"), true);
    }
    // The RFC 3161 token is left out: its PKIStatus (0 → 1 is "grantedWithMods", still a
    // grant), SignedData.digestAlgorithms and embedded certificates are not covered by the
    // TSA's signature, and CMS verifiers rightly ignore them.
    out
}

/// Byte positions to flip: all of a short field, a dense sample (~96) of a long one plus its
/// first and last 16 bytes.
fn positions(len: usize) -> Vec<usize> {
    if len <= 128 {
        return (0..len).collect();
    }
    let stride = len / 96;
    let mut p: Vec<usize> = (0..len).step_by(stride.max(1)).collect();
    p.extend(0..16);
    p.extend(len - 16..len);
    p.sort_unstable();
    p.dedup();
    p
}

#[test]
fn no_mutant_verifies() {
    let Some(dir) = testdata_dir("no_mutant_verifies") else {
        return;
    };
    let base = dir.join("sigstore-conformance/bundle-verify");
    let policy = IdentityPolicy::exact(IDENTITY, ISSUER);
    let production = TrustedRoot::production().unwrap();
    let (mut total, mut per_field) = (0usize, std::collections::BTreeMap::<String, usize>::new());
    let mut survivors = Vec::new();
    for (case, artifact, root) in BUNDLES {
        let bytes = std::fs::read(base.join(case).join("bundle.sigstore.json")).unwrap();
        let artifact = std::fs::read(base.join(artifact)).unwrap();
        let custom = root.map(|r| TrustedRoot::load(&base.join(r)).unwrap());
        let trust = custom.as_ref().unwrap_or(&production);
        let verify = |b: &[u8]| -> bool {
            ParsedBundle::parse(b, case)
                .and_then(|p| {
                    verify_parsed(
                        &p,
                        Some(&ArtifactInput::Bytes(&artifact)),
                        trust,
                        BundleSigner::Identity(&policy),
                        &VerifyOptions::default(),
                    )
                })
                .is_ok()
        };
        assert!(verify(&bytes), "{case}: the unmutated bundle must verify");
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        for (pointer, is_b64) in targets(&doc) {
            let text = doc.pointer(&pointer).and_then(Value::as_str).unwrap();
            let raw = if is_b64 {
                B64.decode(text).unwrap()
            } else {
                text.as_bytes().to_vec()
            };
            let field = pointer
                .trim_start_matches('/')
                .rsplit('/')
                .find(|s| s.parse::<usize>().is_err())
                .unwrap()
                .to_string();
            // Checkpoint: the note body and the log's own signature line. Witness cosignature
            // lines (keys not in the trusted root) are ignored by design of signed notes.
            let limit = if is_b64 {
                raw.len()
            } else {
                let first_sig = text.find("\n\n").unwrap() + 2;
                text[first_sig..]
                    .find('\n')
                    .map(|n| first_sig + n + 1)
                    .unwrap()
            };
            for i in positions(limit) {
                let mut m = raw.clone();
                m[i] ^= 0x01;
                let encoded = if is_b64 {
                    B64.encode(&m)
                } else {
                    String::from_utf8(m).unwrap()
                };
                let mut mutant = doc.clone();
                *mutant.pointer_mut(&pointer).unwrap() = Value::String(encoded);
                total += 1;
                *per_field.entry(field.clone()).or_default() += 1;
                if verify(&serde_json::to_vec(&mutant).unwrap()) {
                    survivors.push(format!("{case} {pointer} byte {i}"));
                }
            }
        }
    }
    eprintln!(
        "mutation test: {total} mutants over {} bundles; per field: {per_field:?}",
        BUNDLES.len()
    );
    assert!(total > 2000, "too few mutants: {total}");
    assert!(
        survivors.is_empty(),
        "{} mutants verified:\n{}",
        survivors.len(),
        survivors.join("\n")
    );
}
