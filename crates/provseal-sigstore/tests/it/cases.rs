//! Every offline `trust-material-parse` and `sigstore-bundle-verify` case of
//! `shared/testdata/cases.json` must give its expected outcome; known disagreements are
//! listed exactly, so a case that starts (or stops) agreeing shows up.

use std::collections::BTreeSet;
use std::path::Path;

use provseal_sigstore::{
    conformance_verify, parse_trust_material, verify_parsed, ArtifactInput, BundleSigner,
    IdentityPolicy, ParsedBundle, TrustedRoot, VerifyOptions,
};
use provseal_testsupport::{cases_of_kind, testdata_dir, Case};

/// Cases (id + mode) whose outcome we knowingly do not reproduce, with the reason.
const KNOWN_BUNDLE_DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "sigstore-python/tsa-bundle#path",
        "its second RFC 3161 timestamp covers another message; sigstore-python skips timestamps \
         that fail, provseal fails closed on any timestamp that does not verify (as sigstore-verify)",
    ),
    ("sigstore-python/tsa-bundle#digest", "same as #path"),
];

#[test]
fn trust_material_parse_cases() {
    let Some(dir) = testdata_dir("trust_material_parse_cases") else {
        return;
    };
    let cases = cases_of_kind(&dir, "trust-material-parse");
    assert_eq!(cases.len(), 9);
    let mut wrong = Vec::new();
    for c in &cases {
        let path = c.input(&dir, "file").expect("file input");
        let bytes = std::fs::read(&path).expect("read");
        let got = parse_trust_material(&bytes, &path.display().to_string());
        if got.is_ok() != c.expects_pass() {
            wrong.push(format!(
                "{}: expected {}, got {:?}",
                c.id,
                c.expected.outcome,
                got.err()
            ));
        }
    }
    assert!(wrong.is_empty(), "disagreeing cases:\n{}", wrong.join("\n"));
}

/// Resolves argv elements that name files in the corpus.
fn resolve_argv(dir: &Path, argv: &[serde_json::Value]) -> Vec<String> {
    argv.iter()
        .map(|a| {
            let s = a.as_str().expect("argv string");
            let p = dir.join(s);
            if !s.is_empty() && !s.starts_with("sha256:") && p.exists() {
                p.display().to_string()
            } else {
                s.to_string()
            }
        })
        .collect()
}

/// Runs one case in one mode; `Ok(())` = verified.
fn run_bundle_case(dir: &Path, c: &Case, mode: &str) -> Result<(), String> {
    // `offline-path` / `offline-digest`: the same argv with an explicit `--trusted-root`.
    if let Some(m) = mode.strip_prefix("offline-") {
        let argv = c
            .raw
            .pointer(&format!("/offline_argv/{m}"))
            .expect("offline argv");
        let argv = resolve_argv(dir, argv.as_array().expect("argv array"));
        return conformance_verify(&argv)
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    if let Some(argv) = c.raw.pointer(&format!("/conformance_argv/{mode}")) {
        let argv = resolve_argv(dir, argv.as_array().expect("argv array"));
        return conformance_verify(&argv)
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    let bundle_path = c.input(dir, "bundle").expect("bundle");
    let trust = TrustedRoot::load(&c.input(dir, "trusted_root").expect("root"))
        .map_err(|e| e.to_string())?;
    let bytes = std::fs::read(&bundle_path).expect("read bundle");
    let parsed = ParsedBundle::parse(&bytes, &bundle_path.display().to_string())
        .map_err(|e| e.to_string())?;
    let policy = match (
        c.param_str("certificate_identity"),
        c.param_str("certificate_oidc_issuer"),
    ) {
        (Some(i), Some(u)) => IdentityPolicy::exact(i, u),
        _ => IdentityPolicy::default(),
    };
    let artifact_bytes;
    let artifact = match mode {
        "path" => {
            artifact_bytes = std::fs::read(dir.join(c.param_str("artifact_path").expect("path")))
                .expect("read artifact");
            Some(ArtifactInput::Bytes(&artifact_bytes))
        }
        "digest" => ArtifactInput::parse_digest(c.param_str("artifact_digest").expect("digest")),
        _ => None,
    };
    verify_parsed(
        &parsed,
        artifact.as_ref(),
        &trust,
        BundleSigner::Identity(&policy),
        &VerifyOptions::default(),
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

fn modes(c: &Case) -> Vec<String> {
    if let Some(m) = c.params.get("input_modes").and_then(|m| m.as_array()) {
        let mut out: Vec<String> = m.iter().map(|v| v.as_str().unwrap().to_string()).collect();
        if c.raw.get("offline_argv").is_some() {
            let offline: Vec<String> = out.iter().map(|m| format!("offline-{m}")).collect();
            out.extend(offline);
        }
        return out;
    }
    let mut out = Vec::new();
    if c.param_str("artifact_path").is_some() {
        out.push("path".to_string());
    }
    if c.param_str("artifact_digest").is_some() {
        out.push("digest".to_string());
    }
    if out.is_empty() {
        out.push("none".to_string());
    }
    out
}

#[test]
fn sigstore_bundle_verify_cases() {
    let Some(dir) = testdata_dir("sigstore_bundle_verify_cases") else {
        return;
    };
    let cases = cases_of_kind(&dir, "sigstore-bundle-verify");
    assert_eq!(cases.len(), 91);
    let mut disagree = BTreeSet::new();
    let mut detail = Vec::new();
    let (mut runs, mut agreed) = (0, 0);
    for c in &cases {
        for mode in modes(c) {
            runs += 1;
            let got = run_bundle_case(&dir, c, &mode);
            if got.is_ok() == c.expects_pass() {
                agreed += 1;
            } else {
                disagree.insert(format!("{}#{mode}", c.id));
                detail.push(format!(
                    "{}#{mode}: expected {}, got {:?}",
                    c.id, c.expected.outcome, got
                ));
            }
        }
    }
    eprintln!(
        "sigstore-bundle-verify: {} cases, {runs} runs, {agreed} agree",
        cases.len()
    );
    let known: BTreeSet<String> = KNOWN_BUNDLE_DISAGREEMENTS
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(
        disagree,
        known,
        "disagreements changed:\n{}",
        detail.join("\n")
    );
}

/// npm cases we knowingly do not reproduce, with the reason.
const KNOWN_NPM_DISAGREEMENTS: &[(&str, &str)] = &[];

#[test]
fn npm_provenance_cases() {
    use provseal_sigstore::{spki_der_from_pem, verify_npm_attestations, NpmExpectations};
    let Some(dir) = testdata_dir("npm_provenance_cases") else {
        return;
    };
    let cases = cases_of_kind(&dir, "npm-provenance");
    assert_eq!(cases.len(), 54);
    let mut trust_cache: std::collections::HashMap<std::path::PathBuf, TrustedRoot> =
        std::collections::HashMap::new();
    let mut disagree = BTreeSet::new();
    let mut detail = Vec::new();
    for c in &cases {
        let root = c.input(&dir, "trusted_root").expect("root");
        if !trust_cache.contains_key(&root) {
            trust_cache.insert(root.clone(), TrustedRoot::load(&root).expect("root loads"));
        }
        let trust = &trust_cache[&root];
        let key_path = c.input(&dir, "npm_registry_key").expect("key");
        let key =
            spki_der_from_pem(&std::fs::read_to_string(&key_path).unwrap(), "npm key").unwrap();
        let att = c.input(&dir, "attestations").expect("attestations");
        let json = std::fs::read(&att).unwrap();
        let digest = c.param_str("artifact_digest").expect("digest");
        let artifact = ArtifactInput::parse_digest(digest).expect("digest parses");
        let expect = NpmExpectations {
            builder_id: c.param_str("builder_id").map(str::to_string),
            source_uri: c.param_str("source_uri").expect("source").to_string(),
            package_name: c.param_str("package_name").map(str::to_string),
            package_version: c.param_str("package_version").map(str::to_string),
        };
        let got = verify_npm_attestations(&json, &c.id, &artifact, trust, &key, &expect);
        if got.is_ok() != c.expects_pass() {
            disagree.insert(c.id.clone());
            detail.push(format!(
                "{}: expected {} ({}), got {:?}",
                c.id,
                c.expected.outcome,
                c.expected.reason,
                got.err()
            ));
        }
    }
    let known: BTreeSet<String> = KNOWN_NPM_DISAGREEMENTS
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(
        disagree,
        known,
        "disagreements changed:\n{}",
        detail.join("\n")
    );
}
