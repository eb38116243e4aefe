//! Policy files: every rule with a passing and a failing attestation (real DSSE signatures),
//! and malformed policies with exact line and column.

use std::path::Path;

use provseal_crypto::{generate_key, load_signer, KeyAlgorithm, PublicKey, Signer};
use provseal_verify::policy::{Diagnostic, Policy, PolicyInput, PolicyReport};
use provseal_verify::{load_attestations, verify_documents, VerifiedStatement, VerifyOptions};
use serde_json::{json, Value};

const NOW: &str = "2026-11-25T12:00:00Z";
const SUBJECT: &str = "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4";
const REPO: &str = "https://github.com/org/repo";
const BUILDER: &str = "https://provseal.dev/builders/cli/v1";

struct Keys {
    signer: Box<dyn Signer>,
    public: PublicKey,
}

fn key() -> Keys {
    let g = generate_key(KeyAlgorithm::Ed25519, None).unwrap();
    Keys {
        signer: load_signer(g.private_pem.as_bytes(), None, "test").unwrap(),
        public: PublicKey::from_pem(g.public_pem.as_bytes()).unwrap(),
    }
}

/// A `provseal run`-shaped statement, edited by `f` before signing.
fn statement(f: impl FnOnce(&mut Value)) -> Value {
    let mut v = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "out.bin", "digest": {"sha256": SUBJECT}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://provseal.dev/buildtypes/run/v1",
                "externalParameters": {
                    "command": ["make"],
                    "source": {"ref": "refs/heads/main", "repository": REPO},
                    "workingDirectory": "."
                },
                "resolvedDependencies": [
                    {"uri": format!("git+{REPO}@refs/heads/main"), "digest": {"gitCommit": "9bea9c75314279ea461c36f90127fdb1f18ac46b"}, "annotations": {"treeState": "clean"}},
                    {"name": "requirements.txt", "digest": {"sha256": "a42de6be9732fbef1f24bb2da0aef6c41de0c32bc3e4fc2cf76c325929d5eff6"}, "annotations": {"lockfileFormat": "requirements.txt"}},
                    {"uri": "pkg:pypi/requests@2.31.0", "digest": {"sha256": "58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f"}, "annotations": {"lockfile": "requirements.txt"}},
                    {"uri": "pkg:pypi/pip@23.2.1", "digest": {"sha256": "fa1632e567d567d24c606703cbbee3f7e61e2aabfe7af4f8991bb546ec27422a"}, "annotations": {"digestOf": "RECORD", "pythonEnv": "venv/bin/python"}}
                ]
            },
            "runDetails": {
                "builder": {"id": BUILDER},
                "metadata": {"startedOn": "2026-11-25T10:00:00Z", "finishedOn": "2026-11-25T10:00:05Z"},
                "byproducts": [
                    {"name": "provseal-drift", "digest": {"sha256": "d026061125ca90e7113a3b1c832b24d8fd74ce04a70ad075bbc911c9a17d52dd"},
                     "annotations": {"empty": true, "drift": {"added": [], "removed": [], "changed": [], "lockfilesChanged": [], "newDirtyPaths": [], "sourceBecameDirty": false, "sourceCommitChanged": false}}}
                ]
            }
        }
    });
    f(&mut v);
    v
}

/// Signs `stmt` with `k` and verifies it (a real DSSE round trip).
fn verified(k: &Keys, stmt: &Value) -> VerifiedStatement {
    let env = provseal_crypto::dsse::sign(
        provseal_model::IN_TOTO_PAYLOAD_TYPE,
        serde_json::to_vec(stmt).unwrap(),
        k.signer.as_ref(),
    )
    .unwrap();
    let docs = load_attestations(env.to_json().as_bytes(), "out.bin.intoto.jsonl").unwrap();
    let opts = VerifyOptions {
        keys: vec![k.public.clone()],
        ..Default::default()
    };
    std::sync::Arc::unwrap_or_clone(verify_documents(&docs, &opts).remove(0).unwrap())
}

struct Fixture {
    dir: tempfile::TempDir,
    trusted: Keys,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let trusted = key();
    std::fs::write(dir.path().join("release.pub"), trusted.public.to_pem()).unwrap();
    Fixture { dir, trusted }
}

impl Fixture {
    fn policy(&self, body: &str) -> Policy {
        let text = format!(
            "version = 1\n\n[[signers]]\nname = \"release\"\nkey = \"release.pub\"\n{body}"
        );
        let path = self.dir.path().join("policy.toml");
        std::fs::write(&path, &text).unwrap();
        Policy::load(&path).unwrap_or_else(|d| panic!("{d:#?}"))
    }

    fn eval(&self, policy: &Policy, stmt: &Value) -> PolicyReport {
        self.eval_with(policy, &verified(&self.trusted, stmt))
    }

    fn eval_with(&self, policy: &Policy, v: &VerifiedStatement) -> PolicyReport {
        policy.evaluate(&PolicyInput {
            verified: v,
            artifact_name: "out.bin",
            now: NOW.parse().unwrap(),
            signed_at: None,
        })
    }
}

/// The results of rule `id`: (passed, actual).
fn results(r: &PolicyReport, id: &str) -> Vec<(bool, String)> {
    r.rules
        .iter()
        .filter(|x| x.rule == id)
        .map(|x| (x.passed, x.actual.clone()))
        .collect()
}

fn only(r: &PolicyReport, id: &str) -> (bool, String) {
    let v = results(r, id);
    assert_eq!(v.len(), 1, "rule {id} in {r:#?}");
    v.into_iter().next().unwrap()
}

fn pointer_set(v: &mut Value, ptr: &str, x: Value) {
    *v.pointer_mut(ptr).unwrap() = x;
}

#[test]
fn signer_trusted_key_file_and_key_id() {
    let fx = fixture();
    let p = fx.policy("");
    let r = fx.eval(&p, &statement(|_| {}));
    assert!(only(&r, "signer-trusted").0);
    assert!(r.passed, "{r:#?}");
    assert_eq!(p.trusted_keys(), vec![fx.trusted.public.clone()]);
    assert_eq!(p.trusted_key_ids(), vec![fx.trusted.public.key_id()]);
    // Signed by another key (which verified, but the policy does not trust).
    let other = key();
    let r = fx.eval_with(&p, &verified(&other, &statement(|_| {})));
    let (passed, actual) = only(&r, "signer-trusted");
    assert!(!passed);
    assert_eq!(actual, format!("key {}", &other.public.key_id()[..16]));
    assert!(!r.passed);
    let line = &r.failure_lines()[0];
    assert!(
        line.starts_with("out.bin: policy signer-trusted: expected one of: release (key "),
        "{line}"
    );
    assert!(line.contains("hint: add the signer"), "{line}");

    // By key id only.
    let text = format!(
        "[[signers]]\nkey_id = \"{}\"\n",
        other.public.key_id().to_uppercase()
    );
    let p = Policy::parse(&text, "p.toml", fx.dir.path()).unwrap();
    assert!(p.trusted_keys().is_empty());
    let r = fx.eval_with(&p, &verified(&other, &statement(|_| {})));
    assert!(r.passed, "{r:#?}");
    let r = fx.eval(&p, &statement(|_| {}));
    assert!(!only(&r, "signer-trusted").0);
}

fn certificate(v: &VerifiedStatement, repo: &str, git_ref: &str) -> VerifiedStatement {
    let mut v = v.clone();
    let mut ext = std::collections::BTreeMap::new();
    ext.insert("source-repository-uri".to_string(), repo.to_string());
    ext.insert("source-repository-ref".to_string(), git_ref.to_string());
    ext.insert(
        "runner-environment".to_string(),
        "github-hosted".to_string(),
    );
    v.signer = provseal_verify::SignerIdentity::Certificate {
        identity: format!("{repo}/.github/workflows/release.yml@{git_ref}"),
        issuer: "https://token.actions.githubusercontent.com".into(),
        extensions: ext,
    };
    v
}

#[test]
fn signer_trusted_keyless_identity() {
    let fx = fixture();
    let text = r#"
[[signers]]
name = "gha"
issuer = "https://token.actions.githubusercontent.com"
identity_regexp = 'https://github\.com/org/repo/\.github/workflows/release\.yml@refs/tags/v.*'
extensions = { runner-environment = "github-hosted" }
extensions_regexp = { source-repository-uri = 'https://github\.com/org/.*' }
versioned_tags = [">=1.2, <2"]
"#;
    let p = Policy::parse(text, "p.toml", fx.dir.path()).unwrap();
    assert_eq!(p.identity_policies().len(), 1);
    let base = verified(
        &fx.trusted,
        &statement(|s| {
            pointer_set(
                s,
                "/predicate/buildDefinition/externalParameters/source/ref",
                json!("refs/tags/v1.4.0"),
            );
            pointer_set(
                s,
                "/predicate/buildDefinition/resolvedDependencies/0/uri",
                json!(format!("git+{REPO}@refs/tags/v1.4.0")),
            );
        }),
    );
    let ok = certificate(&base, REPO, "refs/tags/v1.4.0");
    let r = fx.eval_with(&p, &ok);
    assert!(r.passed, "{r:#?}");
    assert_eq!(
        only(&r, "source-ref-allowed"),
        (true, "refs/tags/v1.4.0".into())
    );
    // Another repository's workflow: the identity regexp is anchored.
    let r = fx.eval_with(
        &p,
        &certificate(&base, "https://github.com/evil/repo", "refs/tags/v1.4.0"),
    );
    assert!(!only(&r, "signer-trusted").0);
    // Self-hosted runner.
    let mut sh = ok.clone();
    if let provseal_verify::SignerIdentity::Certificate { extensions, .. } = &mut sh.signer {
        extensions.insert("runner-environment".into(), "self-hosted".into());
    }
    assert!(!only(&fx.eval_with(&p, &sh), "signer-trusted").0);
    // A key signer is not a keyless one.
    assert!(!only(&fx.eval_with(&p, &base), "signer-trusted").0);
}

#[test]
fn builder_allowed() {
    let fx = fixture();
    let p = fx.policy("builders = [\"https://provseal.dev/builders/**\"]\n");
    assert_eq!(
        only(&fx.eval(&p, &statement(|_| {})), "builder-allowed"),
        (true, BUILDER.into())
    );
    let r = fx.eval(
        &p,
        &statement(|s| {
            pointer_set(
                s,
                "/predicate/runDetails/builder/id",
                json!("https://evil.example/builder/x/y"),
            );
        }),
    );
    assert_eq!(
        only(&r, "builder-allowed"),
        (false, "https://evil.example/builder/x/y".into())
    );
}

#[test]
fn source_repository_allowed() {
    let fx = fixture();
    let p = fx.policy("repositories = [\"github.com/org/*\"]\n");
    let r = fx.eval(&p, &statement(|_| {}));
    assert_eq!(
        only(&r, "source-repository-allowed"),
        (true, "github.com/org/repo".into())
    );
    let r = fx.eval(
        &p,
        &statement(|s| {
            pointer_set(
                s,
                "/predicate/buildDefinition/externalParameters/source/repository",
                json!("https://github.com/evil/repo"),
            );
            pointer_set(
                s,
                "/predicate/buildDefinition/resolvedDependencies/0/uri",
                json!("git+https://github.com/evil/repo@refs/heads/main"),
            );
        }),
    );
    assert_eq!(
        only(&r, "source-repository-allowed"),
        (false, "github.com/evil/repo".into())
    );
    // No source recorded at all.
    let r = fx.eval(
        &p,
        &statement(|s| {
            let bd = s.pointer_mut("/predicate/buildDefinition").unwrap();
            bd["externalParameters"]
                .as_object_mut()
                .unwrap()
                .remove("source");
            bd["resolvedDependencies"].as_array_mut().unwrap().remove(0);
        }),
    );
    assert_eq!(
        only(&r, "source-repository-allowed"),
        (false, "no source recorded".into())
    );
}

#[test]
fn source_ref_allowed_branches_tags_and_versioned_tags() {
    let fx = fixture();
    let p = fx.policy("branches = [\"main\", \"release/*\"]\ntags = [\"stable-*\"]\nversioned_tags = [\"v1.2.x\"]\n");
    let with_ref = |r: &str| {
        statement(|s| {
            pointer_set(
                s,
                "/predicate/buildDefinition/externalParameters/source/ref",
                json!(r),
            );
            pointer_set(
                s,
                "/predicate/buildDefinition/resolvedDependencies/0/uri",
                json!(format!("git+{REPO}@{r}")),
            );
        })
    };
    for (r, ok) in [
        ("refs/heads/main", true),
        ("refs/heads/release/2.0", true),
        ("refs/heads/feature", false),
        ("refs/tags/stable-2026", true),
        ("refs/tags/v1.2.7", true),
        ("refs/tags/v1.3.0", false),
        ("refs/heads/v1.2.7", false),
    ] {
        assert_eq!(
            only(&fx.eval(&p, &with_ref(r)), "source-ref-allowed"),
            (ok, r.to_string()),
            "{r}"
        );
    }
    let p = fx.policy("versioned_tags = [\">=1.2, <2\"]\n");
    assert!(
        only(
            &fx.eval(&p, &with_ref("refs/tags/v1.9.0")),
            "source-ref-allowed"
        )
        .0
    );
    assert!(
        !only(
            &fx.eval(&p, &with_ref("refs/tags/v2.0.0")),
            "source-ref-allowed"
        )
        .0
    );
}

#[test]
fn predicate_types_and_slsa_versions() {
    let fx = fixture();
    let p = fx.policy("[statement]\npredicate_types = [\"https://slsa.dev/provenance/v1\"]\nslsa_versions = [\"1.0\"]\n");
    let r = fx.eval(&p, &statement(|_| {}));
    assert!(only(&r, "predicate-type-accepted").0);
    assert_eq!(
        only(&r, "slsa-version-accepted"),
        (true, "SLSA provenance 1.0".into())
    );
    let other = statement(|s| {
        s["predicateType"] = json!("https://example.com/test-result/v1");
        s["predicate"] = json!({"ok": true});
    });
    let r = fx.eval(&p, &other);
    assert_eq!(
        only(&r, "predicate-type-accepted"),
        (false, "https://example.com/test-result/v1".into())
    );
    assert_eq!(
        only(&r, "slsa-version-accepted"),
        (
            false,
            "not a SLSA provenance (https://example.com/test-result/v1)".into()
        )
    );
    let p = fx.policy("[statement]\nslsa_versions = [\"0.2\"]\n");
    assert_eq!(
        only(&fx.eval(&p, &statement(|_| {})), "slsa-version-accepted"),
        (false, "SLSA provenance 1.0".into())
    );
}

#[test]
fn max_age() {
    let fx = fixture();
    let p = fx.policy("[statement]\nmax_age = \"1d\"\n");
    // finishedOn 10:00:05, now 12:00:00.
    assert_eq!(
        only(&fx.eval(&p, &statement(|_| {})), "max-age"),
        (
            true,
            "1h59m55s old (finishedOn 2026-11-25T10:00:05Z)".into()
        )
    );
    let old = statement(|s| {
        pointer_set(
            s,
            "/predicate/runDetails/metadata/finishedOn",
            json!("2026-11-20T12:00:00Z"),
        );
    });
    assert_eq!(
        only(&fx.eval(&p, &old), "max-age"),
        (false, "5d old (finishedOn 2026-11-20T12:00:00Z)".into())
    );
    // No finishedOn: the signing time counts, and without it the rule fails.
    let none = statement(|s| {
        s["predicate"]["runDetails"]
            .as_object_mut()
            .unwrap()
            .remove("metadata");
    });
    let v = verified(&fx.trusted, &none);
    assert!(!only(&fx.eval_with(&p, &v), "max-age").0);
    let r = p.evaluate(&PolicyInput {
        verified: &v,
        artifact_name: "out.bin",
        now: NOW.parse().unwrap(),
        signed_at: Some("2026-11-25T11:00:00Z".parse().unwrap()),
    });
    assert_eq!(
        only(&r, "max-age"),
        (true, "1h old (signing time 2026-11-25T11:00:00Z)".into())
    );
}

#[test]
fn materials_snapshot_and_lockfiles() {
    let fx = fixture();
    let p = fx.policy("[materials]\nrequire_snapshot = true\nlockfiles = [\"requirements.txt\"]\n");
    let r = fx.eval(&p, &statement(|_| {}));
    assert_eq!(
        only(&r, "materials-snapshot-present"),
        (true, "2 package(s), 1 lockfile(s)".into())
    );
    assert_eq!(
        only(&r, "lockfile-recorded"),
        (true, "recorded: requirements.txt".into())
    );
    // `provseal attest` shape: only the source.
    let bare = statement(|s| {
        s["predicate"]["buildDefinition"]["resolvedDependencies"]
            .as_array_mut()
            .unwrap()
            .truncate(1);
    });
    let r = fx.eval(&p, &bare);
    assert_eq!(
        only(&r, "materials-snapshot-present"),
        (false, "none recorded".into())
    );
    assert_eq!(
        only(&r, "lockfile-recorded"),
        (false, "recorded: no lockfile".into())
    );
    assert_eq!(r.failures().count(), 2);
}

#[test]
fn lockfile_digest_from_file_and_mismatch() {
    let fx = fixture();
    let lock = "requests==2.31.0\n";
    std::fs::write(fx.dir.path().join("requirements.txt"), lock).unwrap();
    let sha = provseal_crypto::hash::HashAlgorithm::Sha256.hex_digest(lock.as_bytes());
    let p = fx.policy("[materials]\nlockfile_digests = [{ name = \"requirements.txt\", file = \"requirements.txt\" }]\n");
    let recorded = |hex: &str| {
        let hex = hex.to_string();
        statement(move |s| {
            pointer_set(
                s,
                "/predicate/buildDefinition/resolvedDependencies/1/digest/sha256",
                json!(hex),
            );
        })
    };
    assert_eq!(
        only(&fx.eval(&p, &recorded(&sha)), "lockfile-digest"),
        (true, format!("sha256:{sha}"))
    );
    let other = "0".repeat(64);
    let r = fx.eval(&p, &recorded(&other));
    assert_eq!(
        only(&r, "lockfile-digest"),
        (false, format!("sha256:{other}"))
    );
    let rule = r
        .rules
        .iter()
        .find(|x| x.rule == "lockfile-digest")
        .unwrap();
    assert_eq!(
        rule.expected,
        format!("`requirements.txt` sha256:{sha} (file `requirements.txt`)")
    );
    assert_eq!(
        rule.hint.as_deref(),
        Some("the release was not built from this lockfile")
    );
    // Given as a literal digest.
    let p = fx.policy(&format!(
        "[materials]\nlockfile_digests = [{{ name = \"requirements.txt\", sha256 = \"{}\" }}]\n",
        sha.to_uppercase()
    ));
    assert!(only(&fx.eval(&p, &recorded(&sha)), "lockfile-digest").0);
}

#[test]
fn denied_package_in_python_environment_and_lockfile() {
    let fx = fixture();
    let p = fx.policy(
        "[packages]\ndeny = [\"pkg:pypi/xz-utils@5.6.0\", \"pkg:npm/event-stream@>=3.3.6,<4\"]\n",
    );
    let clean = fx.eval(&p, &statement(|_| {}));
    assert_eq!(
        results(&clean, "package-denied"),
        vec![(true, "not found".into()), (true, "not found".into())]
    );
    assert!(clean.passed);
    // In the recorded Python environment (a name spelled differently: PEP 503).
    let env = statement(|s| {
        s["predicate"]["buildDefinition"]["resolvedDependencies"].as_array_mut().unwrap().push(
            json!({"uri": "pkg:pypi/XZ_Utils@5.6.0", "digest": {"sha256": "ab".repeat(32)}, "annotations": {"pythonEnv": "venv/bin/python", "digestOf": "RECORD"}}),
        );
    });
    let r = fx.eval(&p, &env);
    assert_eq!(
        results(&r, "package-denied"),
        vec![
            (
                false,
                "pkg:pypi/XZ_Utils@5.6.0 in Python environment `venv/bin/python`".into()
            ),
            (true, "not found".into())
        ]
    );
    // In a lockfile (npm, inside the range).
    let lock = statement(|s| {
        s["predicate"]["buildDefinition"]["resolvedDependencies"].as_array_mut().unwrap().push(
            json!({"uri": "pkg:npm/event-stream@3.3.6", "digest": {"sha512": "cd".repeat(64)}, "annotations": {"lockfile": "package-lock.json"}}),
        );
    });
    let r = fx.eval(&p, &lock);
    assert_eq!(
        results(&r, "package-denied"),
        vec![
            (true, "not found".into()),
            (
                false,
                "pkg:npm/event-stream@3.3.6 in lockfile `package-lock.json`".into()
            )
        ]
    );
    // Outside the range.
    let fixed = statement(|s| {
        s["predicate"]["buildDefinition"]["resolvedDependencies"].as_array_mut().unwrap().push(
            json!({"uri": "pkg:npm/event-stream@4.0.1", "annotations": {"lockfile": "package-lock.json"}}),
        );
    });
    assert!(fx.eval(&p, &fixed).passed);
    // Installed during the build (drift).
    let added = statement(|s| {
        pointer_set(
            s,
            "/predicate/runDetails/byproducts/0/annotations/drift/added",
            json!([{"id": "pkg:pypi/xz-utils@5.6.0", "scope": "venv/bin/python"}]),
        );
    });
    assert_eq!(
        results(&fx.eval(&p, &added), "package-denied")[0],
        (
            false,
            "pkg:pypi/xz-utils@5.6.0 in packages added during the build".into()
        )
    );
}

#[test]
fn required_package() {
    let fx = fixture();
    let p = fx.policy("[packages]\nrequire = [\"pkg:pypi/requests@>=2.31\"]\n");
    assert_eq!(
        only(&fx.eval(&p, &statement(|_| {})), "package-required"),
        (
            true,
            "pkg:pypi/requests@2.31.0 in lockfile `requirements.txt`".into()
        )
    );
    let old = statement(|s| {
        pointer_set(
            s,
            "/predicate/buildDefinition/resolvedDependencies/2/uri",
            json!("pkg:pypi/requests@2.30.0"),
        );
    });
    assert_eq!(
        only(&fx.eval(&p, &old), "package-required"),
        (false, "not recorded".into())
    );
}

#[test]
fn forbidden_drift() {
    let fx = fixture();
    let p = fx.policy(
        "[drift]\nforbid = [\"packages-added\", \"lockfile-changed\", \"source-dirtied\"]\n",
    );
    let r = fx.eval(&p, &statement(|_| {}));
    assert_eq!(
        results(&r, "drift-forbidden"),
        vec![(true, "none".into()); 3]
    );
    let drifted = statement(|s| {
        let d = s
            .pointer_mut("/predicate/runDetails/byproducts/0/annotations/drift")
            .unwrap();
        d["added"] = json!([{"id": "pkg:pypi/six@1.16.0", "scope": "venv/bin/python"}]);
        d["lockfilesChanged"] = json!([{"key": "requirements.txt", "old": {"id": "requirements.txt", "digest": ["sha256:aa"]}, "new": {"id": "requirements.txt", "digest": ["sha256:bb"]}}]);
        d["newDirtyPaths"] = json!(["out.bin"]);
    });
    let r = fx.eval(&p, &drifted);
    assert_eq!(
        results(&r, "drift-forbidden"),
        vec![
            (false, "added pkg:pypi/six@1.16.0".into()),
            (false, "lockfile changed requirements.txt".into()),
            (false, "dirtied out.bin".into()),
        ]
    );
    // Every rule is evaluated: three failures reported at once.
    assert_eq!(r.failures().count(), 3);
    let p = fx.policy("[drift]\nforbid = [\"any\"]\n");
    assert!(!only(&fx.eval(&p, &drifted), "drift-forbidden").0);
    // No drift record (`provseal attest`): fails closed.
    let none = statement(|s| {
        s["predicate"]["runDetails"]
            .as_object_mut()
            .unwrap()
            .remove("byproducts");
    });
    assert_eq!(
        only(&fx.eval(&p, &none), "drift-forbidden"),
        (false, "no drift record (not made by `provseal run`)".into())
    );
}

#[test]
fn example_policy_from_the_docs_parses() {
    let dir =
        provseal_testsupport::workspace_root().join("crates/provseal-verify/tests/data/policy");
    let (p, diags) = Policy::check(&dir.join("example.toml"));
    assert_eq!(diags, Vec::<Diagnostic>::new());
    let p = p.unwrap();
    assert_eq!(p.signers.len(), 2);
    assert_eq!(p.trusted_keys().len(), 1);
    assert_eq!(p.identity_policies().len(), 1);
    assert_eq!(p.deny.len(), 2);
    // docs/policy.md embeds the same file.
    let doc =
        std::fs::read_to_string(provseal_testsupport::workspace_root().join("docs/policy.md"))
            .unwrap();
    let example = std::fs::read_to_string(dir.join("example.toml")).unwrap();
    assert!(
        doc.contains(&example),
        "docs/policy.md must embed tests/data/policy/example.toml verbatim"
    );
}

// ---- malformed policies: code, line and column ----

fn diags(text: &str) -> Vec<(&'static str, usize, usize)> {
    let dir = tempfile::tempdir().unwrap();
    match Policy::parse(text, "bad.toml", dir.path()) {
        Ok(_) => panic!("parsed: {text}"),
        Err(d) => d
            .iter()
            .map(|d| (d.code.as_str(), d.line, d.column))
            .collect(),
    }
}

const KEYID: &str = "a99fbbc434289e6c048341465e8edcf947c940ec30eb96c96860fea41f48563a";

#[test]
fn syntax_error() {
    let text = format!("[[signers]]\nkey_id = \"{KEYID}\"\n\n[statement\nmax_age = \"1d\"\n");
    assert_eq!(diags(&text), vec![("policy-syntax", 4, 11)]);
}

#[test]
fn unknown_field() {
    let text = format!("[[signers]]\nkey_id = \"{KEYID}\"\nbuilder = [\"x\"]\n");
    let d = diags(&text);
    assert_eq!(d, vec![("policy-unknown-key", 3, 1)]);
    // Every unknown key at once, with a suggestion when one is close.
    let text = format!(
        "[[signers]]\nkey_id = \"{KEYID}\"\nbuilder = [\"x\"]\n[drift]\n  forbids = [\"any\"]\n[materials]\nlockfile_digests = [{{ name = \"a\", sha = \"b\" }}]\n[colour]\n"
    );
    assert_eq!(
        diags(&text),
        vec![
            ("policy-unknown-key", 3, 1),
            ("policy-unknown-key", 5, 3),
            ("policy-unknown-key", 7, 35),
            ("policy-unknown-key", 8, 2),
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let d = Policy::parse(&text, "bad.toml", dir.path()).unwrap_err();
    assert_eq!(
        d[0].message,
        "unknown key `builder` in `signers` (did you mean `builders`?)"
    );
    assert_eq!(
        d[3].message,
        "unknown key `colour` at the top level; expected one of: version, signers, statement, materials, packages, drift"
    );
}

#[test]
fn type_error() {
    let text = format!("[[signers]]\nkey_id = \"{KEYID}\"\n[statement]\nmax_age = 30\n");
    assert_eq!(diags(&text), vec![("policy-type", 4, 11)]);
}

#[test]
fn bad_regexp() {
    let text = "[[signers]]\nissuer = \"https://token.actions.githubusercontent.com\"\nidentity_regexp = \"https://github.com/(org\"\n";
    assert_eq!(diags(text), vec![("policy-bad-regexp", 3, 19)]);
    let text = "[[signers]]\nissuer = \"i\"\nidentity = \"x\"\nextensions_regexp = { build-signer-uri = \"[a-\" }\n";
    assert_eq!(diags(text), vec![("policy-bad-regexp", 4, 42)]);
}

#[test]
fn bad_semver_range() {
    let text =
        format!("[[signers]]\nkey_id = \"{KEYID}\"\nversioned_tags = [\"v1.2.x\", \">=1.x.y\"]\n");
    assert_eq!(diags(&text), vec![("policy-bad-range", 3, 29)]);
    let text = format!("[[signers]]\nkey_id = \"{KEYID}\"\n[packages]\ndeny = [\n  \"pkg:npm/event-stream@>=3.3.x\",\n]\n");
    assert_eq!(diags(&text), vec![("policy-bad-range", 5, 3)]);
}

#[test]
fn bad_purl() {
    let text = format!(
        "[[signers]]\nkey_id = \"{KEYID}\"\n[packages]\ndeny = [\"pypi/xz-utils@5.6.0\"]\n"
    );
    assert_eq!(diags(&text), vec![("policy-bad-purl", 4, 9)]);
}

#[test]
fn conflicting_rules() {
    let text = format!(
        "[[signers]]\nkey_id = \"{KEYID}\"\n[packages]\ndeny = [\"pkg:pypi/xz-utils@>=5.6.0,<5.6.2\"]\nrequire = [\"pkg:pypi/xz-utils@5.6.1\"]\n"
    );
    assert_eq!(diags(&text), vec![("policy-conflict", 5, 12)]);
    let text = format!("[[signers]]\nkey_id = \"{KEYID}\"\n[statement]\nmax_age = \"-2d\"\n");
    assert_eq!(diags(&text), vec![("policy-conflict", 4, 11)]);
    let text = "[[signers]]\nkey_id = \"a99f\"\nissuer = \"https://accounts.google.com\"\n";
    assert_eq!(diags(text), vec![("policy-conflict", 2, 10)]);
    let text = "[[signers]]\nissuer = \"i\"\nidentity = \"a\"\nidentity_regexp = \"a.*\"\n";
    assert_eq!(diags(text), vec![("policy-conflict", 4, 19)]);
}

#[test]
fn several_problems_reported_together() {
    let text = "version = 2\n[[signers]]\nkey = \"missing.pub\"\n[drift]\nforbid = [\"everything\"]\n[statement]\nslsa_versions = [\"2\"]\n";
    assert_eq!(
        diags(text),
        vec![
            ("policy-unsupported-version", 1, 11),
            ("policy-key-unreadable", 3, 7),
            ("policy-bad-value", 5, 11),
            ("policy-bad-value", 7, 18),
        ]
    );
    let text = "[statement]\nmax_age = \"1d\"\n";
    assert_eq!(diags(text), vec![("policy-no-signers", 1, 1)]);
}

#[test]
fn diagnostic_display_and_unreadable_file() {
    let (p, d) = Policy::check(Path::new("/nonexistent/policy.toml"));
    assert!(p.is_none());
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "policy-unreadable");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, "[[signers]]\nkey_id = 12\n").unwrap();
    let d = Policy::load(&path).unwrap_err();
    assert_eq!(
        d[0].to_string(),
        format!(
            "error[policy-type]: {}:2:10: {}",
            path.display(),
            d[0].message
        )
    );
}

// ---- end to end: a real snapshot (lockfile + Python environment), real drift, real signature ----

fn install(site: &Path, name: &str, version: &str) {
    let d = site.join(format!("{}-{version}.dist-info", name.replace('-', "_")));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
    )
    .unwrap();
    std::fs::write(d.join("INSTALLER"), "pip\n").unwrap();
    std::fs::write(d.join("RECORD"), format!("{name}/__init__.py,,\n")).unwrap();
}

/// Snapshots `root` (a requirements.txt and a venv), runs `build`, snapshots again, and signs the
/// `provseal run` statement with the fixture's trusted key.
fn real_run(fx: &Fixture, root: &Path, build: impl FnOnce(&Path)) -> VerifiedStatement {
    use provseal_materials::{snapshot, CollectContext};
    let ctx = CollectContext {
        root: root.to_path_buf(),
        python: Some(root.join("venv")),
        ..Default::default()
    };
    let before = snapshot::snapshot_default(&ctx).unwrap();
    build(root);
    std::fs::write(root.join("out.bin"), "hi\n").unwrap();
    let after = snapshot::snapshot_default(&ctx).unwrap();
    let record = provseal_attest::run::RunRecord {
        command: vec!["make".into()],
        working_directory: ".".into(),
        exit_code: 0,
        started_on: "2026-11-25T11:59:00Z".into(),
        finished_on: "2026-11-25T11:59:30Z".into(),
        drift: snapshot::diff(&before, &after),
        before,
        sbom: None,
    };
    let sha = provseal_crypto::hash::HashAlgorithm::Sha256;
    let digest = provseal_crypto::hash::hash_file(&root.join("out.bin"), &[sha]).unwrap();
    let bytes = provseal_attest::run::run_statement(
        BUILDER,
        &[sha],
        vec![("out.bin".into(), digest)],
        &record,
        "urn:uuid:00000000-0000-4000-8000-000000000000".into(),
    )
    .unwrap();
    verified(&fx.trusted, &serde_json::from_slice(&bytes).unwrap())
}

fn project(lock: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("requirements.txt"), lock).unwrap();
    let venv = root.path().join("venv");
    std::fs::create_dir_all(venv.join("lib/python3.11/site-packages")).unwrap();
    std::fs::write(
        venv.join("pyvenv.cfg"),
        "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n",
    )
    .unwrap();
    install(
        &venv.join("lib/python3.11/site-packages"),
        "requests",
        "2.31.0",
    );
    root
}

#[test]
fn real_run_snapshot_against_policy() {
    let fx = fixture();
    let lock = "requests==2.31.0\n";
    std::fs::write(fx.dir.path().join("requirements.txt"), lock).unwrap();
    let p = fx.policy(
        "[materials]\nrequire_snapshot = true\nlockfiles = [\"requirements.txt\"]\n\
         lockfile_digests = [{ name = \"requirements.txt\", file = \"requirements.txt\" }]\n\
         [packages]\ndeny = [\"pkg:pypi/xz-utils@>=5.6.0,<5.6.2\"]\nrequire = [\"pkg:pypi/requests\"]\n\
         [drift]\nforbid = [\"packages-added\", \"lockfile-changed\"]\n",
    );
    // Clean: everything passes.
    let root = project(lock);
    let v = real_run(&fx, root.path(), |_| {});
    let r = fx.eval_with(&p, &v);
    assert!(r.passed, "{r:#?}");
    assert_eq!(r.rules.len(), 8);

    // The denied package in the recorded Python environment.
    let root = project(lock);
    install(
        &root.path().join("venv/lib/python3.11/site-packages"),
        "xz-utils",
        "5.6.1",
    );
    let r = fx.eval_with(&p, &real_run(&fx, root.path(), |_| {}));
    assert_eq!(
        only(&r, "package-denied"),
        (
            false,
            "pkg:pypi/xz-utils@5.6.1 in Python environment `venv`".into()
        )
    );
    assert_eq!(r.failures().count(), 1, "{r:#?}");

    // The denied package in the lockfile: its digest no longer matches the policy's file either.
    let lock2 = "requests==2.31.0\nxz-utils==5.6.0\n";
    let root = project(lock2);
    let r = fx.eval_with(&p, &real_run(&fx, root.path(), |_| {}));
    assert_eq!(
        only(&r, "package-denied"),
        (
            false,
            "pkg:pypi/xz-utils@5.6.0 in lockfile `requirements.txt`".into()
        )
    );
    let sha2 = provseal_crypto::hash::HashAlgorithm::Sha256.hex_digest(lock2.as_bytes());
    assert_eq!(
        only(&r, "lockfile-digest"),
        (false, format!("sha256:{sha2}"))
    );
    assert_eq!(r.failures().count(), 2, "{r:#?}");

    // Installed and the lockfile edited during the build: real drift.
    let root = project(lock);
    let r = fx.eval_with(
        &p,
        &real_run(&fx, root.path(), |root| {
            install(
                &root.join("venv/lib/python3.11/site-packages"),
                "xz-utils",
                "5.6.0",
            );
            std::fs::write(
                root.join("requirements.txt"),
                "requests==2.31.0\nsix==1.16.0\n",
            )
            .unwrap();
        }),
    );
    assert_eq!(
        results(&r, "drift-forbidden"),
        vec![
            (
                false,
                "added pkg:pypi/six@1.16.0, added pkg:pypi/xz-utils@5.6.0".into()
            ),
            (false, "lockfile changed requirements.txt".into()),
        ]
    );
    assert_eq!(
        only(&r, "package-denied"),
        (
            false,
            "pkg:pypi/xz-utils@5.6.0 in packages added during the build".into()
        )
    );
}

#[test]
fn one_policy_many_artifacts() {
    // 1,000 evaluations of the example-sized policy; the per-artifact cost is printed, not asserted.
    let fx = fixture();
    let p = fx.policy(
        "builders = [\"https://provseal.dev/builders/**\"]\nrepositories = [\"github.com/org/*\"]\nbranches = [\"main\"]\n\
         [statement]\nmax_age = \"90d\"\nslsa_versions = [\"1.0\"]\n[materials]\nrequire_snapshot = true\nlockfiles = [\"requirements.txt\"]\n\
         [packages]\ndeny = [\"pkg:pypi/xz-utils@5.6.0\", \"pkg:npm/event-stream@>=3.3.6,<4\"]\n[drift]\nforbid = [\"any\"]\n",
    );
    let v = verified(&fx.trusted, &statement(|_| {}));
    let start = std::time::Instant::now();
    let mut passed = 0;
    for _ in 0..1000 {
        passed += usize::from(fx.eval_with(&p, &v).passed);
    }
    eprintln!(
        "one_policy_many_artifacts: 1000 evaluations in {:?} ({:?} each)",
        start.elapsed(),
        start.elapsed() / 1000
    );
    assert_eq!(passed, 1000);
}

/// Issue 14: a policy path that never ends (`/dev/zero`) is refused at the policy size limit,
/// which the diagnostic names; reading stops there.
#[cfg(unix)]
#[test]
fn issue_14_endless_policy_is_refused_at_the_limit() {
    let (policy, diags) = Policy::check(std::path::Path::new("/dev/zero"));
    assert!(policy.is_none());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, "policy-unreadable");
    assert_eq!(
        diags[0].message,
        "policy `/dev/zero` is larger than the limit of 1048576 bytes"
    );
}

#[test]
fn issue_13_every_policy_error_at_once() {
    // an unknown key, a bad key id, two mistyped values: one report, not rounds
    let text = "version = 1\ncolour = \"red\"\n[[signers]]\nname = \"ci\"\nkey_id = \"abc\"\n\
                builders = 3\nbranches = \"main\"\n";
    assert_eq!(
        diags(text),
        vec![
            ("policy-unknown-key", 2, 1),
            ("policy-bad-value", 5, 10),
            ("policy-type", 6, 12),
            ("policy-type", 7, 12),
        ]
    );
    // a mistyped value whose blanking leaves the signer without a key: only the real error
    assert_eq!(
        diags("[[signers]]\nkey_id = 12\n"),
        vec![("policy-type", 2, 10)]
    );
}
