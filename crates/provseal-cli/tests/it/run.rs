//! `provseal run`: the snapshot is taken before the build and bound into the signed payload;
//! drift, failed builds and secrets.

use provseal_testsupport::{run_args, verify_args};
use std::process::Command;

use crate::Project;

/// A git project with a venv and a local package the build can `pip install` (offline).
fn python_project() -> Project {
    let prj = Project::with_git();
    std::fs::write(
        prj.file(".gitignore"),
        "dist/\n*.key\n*.pub\n.venv/\nextra/build/\n*.egg-info/\nout.*\n",
    )
    .unwrap();
    std::fs::write(prj.file("requirements.txt"), "click==8.1.8\n").unwrap();
    // A minimal, valid wheel for pip to install offline during the build.
    std::fs::create_dir_all(prj.file("extra")).unwrap();
    let st = Command::new("python3")
        .args(["-c", MAKE_WHEEL, "extra/extra_pkg-0.1-py3-none-any.whl"])
        .current_dir(prj.path())
        .status()
        .unwrap();
    assert!(st.success());
    let st = Command::new("python3")
        .args(["-m", "venv", ".venv"])
        .current_dir(prj.path())
        .status()
        .unwrap();
    assert!(st.success());
    for args in [vec!["add", "-A"], vec!["commit", "-qm", "project"]] {
        let st = Command::new("git")
            .args(&args)
            .current_dir(prj.path())
            .env("HOME", prj.path())
            .output()
            .unwrap();
        assert!(st.status.success(), "{st:?}");
    }
    prj.keygen("ci", "ed25519");
    prj
}

const MAKE_WHEEL: &str = r#"
import sys, zipfile, hashlib, base64
files = {
    "extra_pkg/__init__.py": b"",
    "extra_pkg-0.1.dist-info/METADATA": b"Metadata-Version: 2.1\nName: extra-pkg\nVersion: 0.1\n",
    "extra_pkg-0.1.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = ""
for name, data in files.items():
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record += f"{name},sha256={h},{len(data)}\n"
record += "extra_pkg-0.1.dist-info/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
    z.writestr("extra_pkg-0.1.dist-info/RECORD", record)
"#;

fn payload(prj: &Project, file: &str) -> serde_json::Value {
    use base64::Engine;
    let line = std::fs::read_to_string(prj.file(file)).unwrap();
    let env: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

const BUILD: &str = "mkdir -p dist && echo built > dist/out.bin";

#[test]
fn run_binds_snapshot_and_reports_drift() {
    let prj = python_project();
    // A clean build: no drift, the lockfile and the environment are recorded.
    let (c, _, err) = prj.run(&[
        "run",
        "--key",
        "ci.key",
        "--python",
        ".venv",
        "--subject",
        "dist/*",
        "--out",
        "out.jsonl",
        "--sbom",
        "out.cdx.json",
        "--",
        "sh",
        "-c",
        BUILD,
    ]);
    assert_eq!(c, 0, "{err}");
    assert!(err.contains("drift: none"), "{err}");
    let st = payload(&prj, "out.jsonl");
    let pred = &st["predicate"];
    assert_eq!(
        pred["buildDefinition"]["buildType"],
        "https://provseal.dev/buildtypes/run/v1"
    );
    assert_eq!(
        pred["buildDefinition"]["externalParameters"]["command"],
        serde_json::json!(["sh", "-c", BUILD])
    );
    let uris: Vec<String> = pred["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|rd| {
            rd["uri"]
                .as_str()
                .or(rd["name"].as_str())
                .map(str::to_string)
        })
        .collect();
    assert!(
        uris.iter()
            .any(|u| u.starts_with("git+https://github.com/example/tool.git@refs/heads/main")),
        "{uris:?}"
    );
    assert!(uris.contains(&"requirements.txt".to_string()), "{uris:?}");
    assert!(
        uris.contains(&"pkg:pypi/click@8.1.8".to_string()),
        "{uris:?}"
    );
    assert!(
        uris.iter().any(|u| u.starts_with("pkg:pypi/pip@")),
        "the venv's own pip is recorded: {uris:?}"
    );
    let byproducts = pred["runDetails"]["byproducts"].as_array().unwrap();
    let sbom = byproducts
        .iter()
        .find(|b| b["name"] == "out.cdx.json")
        .unwrap();
    let sbom_bytes = std::fs::read(prj.file("out.cdx.json")).unwrap();
    let digest = provseal_crypto::hash::hash_reader(
        &sbom_bytes[..],
        &[provseal_crypto::hash::HashAlgorithm::Sha256],
    )
    .unwrap();
    assert_eq!(
        sbom["digest"]["sha256"].as_str(),
        digest.get("sha256"),
        "the SBOM is bound by its digest"
    );
    let drift = byproducts
        .iter()
        .find(|b| b["name"] == "provseal-drift")
        .unwrap();
    assert_eq!(drift["annotations"]["empty"], true);
    let (c, out, _) = prj.run(&verify_args("dist/out.bin", "out.jsonl", "ci.pub", &[]));
    assert_eq!(c, 0, "{out}");

    // A build that pip-installs a package: drift, recorded in the signed byproducts.
    let install = format!(
        ".venv/bin/pip install -q --no-index extra/extra_pkg-0.1-py3-none-any.whl && {BUILD}"
    );
    let (c, _, err) = prj.run(&[
        "run",
        "--key",
        "ci.key",
        "--python",
        ".venv",
        "--subject",
        "dist/*",
        "--out",
        "out2.jsonl",
        "--",
        "sh",
        "-c",
        &install,
    ]);
    assert_eq!(c, 0, "{err}");
    assert!(err.contains("+ pkg:pypi/extra-pkg@0.1"), "{err}");
    let st = payload(&prj, "out2.jsonl");
    let drift = st["predicate"]["runDetails"]["byproducts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "provseal-drift")
        .unwrap()
        .clone();
    assert_eq!(drift["annotations"]["empty"], false);
    assert_eq!(
        drift["annotations"]["drift"]["added"][0]["id"],
        "pkg:pypi/extra-pkg@0.1"
    );
    // … the snapshot in resolvedDependencies is the one from BEFORE the build.
    assert!(!st
        .to_string()
        .contains("\"uri\":\"pkg:pypi/extra-pkg@0.1\""));

    // --fail-on-drift: exit 1 and nothing written.
    let uninstall = format!(".venv/bin/pip uninstall -q -y extra-pkg && {BUILD}");
    let (c, _, err) = prj.run(&[
        "run",
        "--key",
        "ci.key",
        "--python",
        ".venv",
        "--subject",
        "dist/*",
        "--out",
        "out3.jsonl",
        "--fail-on-drift",
        "--",
        "sh",
        "-c",
        &uninstall,
    ]);
    assert_eq!(c, 1, "{err}");
    assert!(err.contains("- pkg:pypi/extra-pkg@0.1"), "{err}");
    assert!(!prj.file("out3.jsonl").exists());
}

#[test]
fn failed_build_writes_nothing_and_passes_its_code() {
    let prj = Project::with_git();
    prj.keygen("ci", "ed25519");
    let before = prj.listing();
    let (c, _, err) = prj.run(&run_args(
        "ci.key",
        "o.jsonl",
        &["--sbom", "o.cdx.json", "--", "sh", "-c", "exit 3"],
    ));
    assert_eq!(c, 3, "{err}");
    assert!(err.contains("the build failed (exit 3)"), "{err}");
    assert_eq!(prj.listing(), before);
    // A named lockfile or Python environment that does not exist is an error before the build.
    for extra in [["--lockfile", "nope.lock"], ["--python", "no-venv"]] {
        let mut args = vec!["run", "--key", "ci.key", "--subject", "dist/*"];
        args.extend_from_slice(&extra);
        args.extend_from_slice(&["--", "sh", "-c", "touch ran"]);
        let (c, _, err) = prj.run(&args);
        assert_eq!(c, 2, "{err}");
        assert!(err.contains(extra[1]), "{err}");
        assert!(!prj.file("ran").exists());
    }
    // A bad key costs no build: the command must not run.
    let (c, _, err) = prj.run(&[
        "run",
        "--key",
        "nope.key",
        "--subject",
        "dist/*",
        "--",
        "sh",
        "-c",
        "touch ran",
    ]);
    assert_eq!(c, 2, "{err}");
    assert!(!prj.file("ran").exists());
}

#[test]
fn secrets_never_reach_the_outputs() {
    let prj = Project::with_git();
    prj.keygen("ci", "ed25519");
    let secrets = [
        ("GITHUB_TOKEN", "ghp_S3cretTokenValue123"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
    ];
    let run = |extra: &[&str], out: &str| {
        let mut args = run_args("env://PROVSEAL_KEY", out, &["--sbom"]);
        let sbom = format!("{out}.cdx.json");
        args.push(&sbom);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "sh", "-c", "echo building"]);
        let mut cmd = prj.cmd(&args);
        cmd.env(
            "PROVSEAL_KEY",
            std::fs::read_to_string(prj.file("ci.key")).unwrap(),
        );
        cmd.env("GITHUB_REPOSITORY", "example/tool")
            .env("CI", "true");
        for (k, v) in secrets {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[], "a.jsonl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refused = run(&["--env", "GITHUB_TOKEN"], "b.jsonl");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("GITHUB_TOKEN"));
    assert!(!prj.file("b.jsonl").exists());
    let st = payload(&prj, "a.jsonl");
    assert_eq!(
        st["predicate"]["buildDefinition"]["internalParameters"]["environment"]
            ["GITHUB_REPOSITORY"],
        "example/tool"
    );
    // grep every output (files and streams) for the secret values and the private key
    let key = std::fs::read_to_string(prj.file("ci.key")).unwrap();
    let key_body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut texts = vec![
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&refused.stderr).into_owned(),
        st.to_string(),
    ];
    for f in ["a.jsonl", "a.jsonl.cdx.json"] {
        texts.push(std::fs::read_to_string(prj.file(f)).unwrap());
    }
    for t in &texts {
        for (_, v) in secrets {
            assert!(!t.contains(v), "a secret leaked: {t}");
        }
        assert!(!t.contains(&key_body), "the private key leaked");
    }
}

/// A consumer's policy over a `provseal run` attestation: trusted key + builder + repository,
/// the lockfile digest equal to the repository's, a denied package found in the recorded
/// environment; a VSA written on success and checked with `verify --vsa`.
#[test]
fn policy_over_run_provenance_and_vsa() {
    let prj = python_project();
    let (c, _, err) = prj.run(&[
        "run",
        "--key",
        "ci.key",
        "--python",
        ".venv",
        "--subject",
        "dist/*",
        "--out",
        "out.jsonl",
        "--",
        "sh",
        "-c",
        BUILD,
    ]);
    assert_eq!(c, 0, "{err}");
    let policy = |deny: &str| {
        format!(
            r#"version = 1
[[signers]]
name = "ci"
key = "ci.pub"
builders = ["https://provseal.dev/builders/cli/v1"]
repositories = ["github.com/example/tool"]
branches = ["main"]

[materials]
require_snapshot = true
lockfiles = ["requirements.txt"]
lockfile_digests = [{{ name = "requirements.txt", file = "requirements.txt" }}]

[packages]
deny = [{deny}]
"#
        )
    };
    std::fs::write(prj.file("ok.toml"), policy(r#""pkg:pypi/xz-utils@5.6.0""#)).unwrap();
    std::fs::write(prj.file("deny.toml"), policy(r#""pkg:pypi/click@>=8,<9""#)).unwrap();
    let (c, out, err) = prj.run(&["policy", "check", "ok.toml"]);
    assert_eq!(c, 0, "{out}{err}");

    // passes, and writes a VSA
    let (c, out, err) = prj.run(&[
        "verify",
        "dist/out.bin",
        "--attestation",
        "out.jsonl",
        "--policy",
        "ok.toml",
        "--json",
        "--vsa-out",
        "out.vsa.jsonl",
        "--vsa-key",
        "ci.key",
        "--resource-uri",
        "https://example.invalid/out.bin",
    ]);
    assert_eq!(c, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules = report["results"][0]["policy"]["rules"].as_array().unwrap();
    assert!(
        rules.len() >= 5 && rules.iter().all(|r| r["passed"] == true),
        "{rules:?}"
    );
    assert!(prj.file("out.vsa.jsonl").is_file());
    let digest = report["results"][0]["digest"]["sha256"].as_str().unwrap();
    let key_id = report["results"][0]["signer"]["keyId"].as_str().unwrap();
    let (c, out, err) = prj.run(&[
        "verify",
        &format!("sha256:{digest}"),
        "--vsa",
        "--attestation",
        "out.vsa.jsonl",
        "--key",
        "ci.pub",
        "--verifier-id",
        "https://provseal.dev/verifier/v1",
        "--resource-uri",
        "https://example.invalid/out.bin",
        "--verified-level",
        "SLSA_BUILD_LEVEL_1",
        "--public-key-id",
        key_id,
    ]);
    assert_eq!(c, 0, "{out}{err}");
    let (c, out, _) = prj.run(&[
        "verify",
        &format!("sha256:{digest}"),
        "--vsa",
        "--attestation",
        "out.vsa.jsonl",
        "--key",
        "ci.pub",
        "--verifier-id",
        "https://provseal.dev/verifier/v1",
        "--resource-uri",
        "https://example.invalid/other",
    ]);
    assert_eq!(c, 1, "{out}");

    // the denied package is in the recorded environment and lockfile: a definite no
    let (c, out, err) = prj.run(&[
        "verify",
        "dist/out.bin",
        "--attestation",
        "out.jsonl",
        "--policy",
        "deny.toml",
    ]);
    assert_eq!(c, 1, "{out}{err}");
    assert!(
        out.contains("policy:") && out.contains("package-denied"),
        "{out}"
    );
    assert!(err.contains("pkg:pypi/click@8.1.8"), "{err}");
    // a changed lockfile in the consumer's checkout: lockfile digest mismatch
    std::fs::write(prj.file("requirements.txt"), "click==8.1.7\n").unwrap();
    let (c, out, _) = prj.run(&[
        "verify",
        "dist/out.bin",
        "--attestation",
        "out.jsonl",
        "--policy",
        "ok.toml",
    ]);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("lockfile"), "{out}");

    // a malformed policy: line and column, exit 2
    std::fs::write(
        prj.file("bad.toml"),
        "version = 1\n[[signers]]\nname = \"x\"\nkey = \"ci.pub\"\nbuilderz = []\n",
    )
    .unwrap();
    let (c, _, err) = prj.run(&["policy", "check", "bad.toml"]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("bad.toml:5:1"), "{err}");
    let (c, _, err) = prj.run(&[
        "verify",
        "dist/out.bin",
        "--attestation",
        "out.jsonl",
        "--policy",
        "bad.toml",
    ]);
    assert_eq!(c, 2, "{err}");
}
