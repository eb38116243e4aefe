//! Issue 13, a newcomer's first hour: key material never echoed, a closed stdout survived, and
//! the messages that teach (their transcripts locked by snapshots).

use provseal_testsupport::{run_args, verify_args};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use base64::Engine as _;
use provseal_testsupport::provseal_snapshot;

use crate::snapshots::{attested, keyed};
use crate::Project;

/// The base64 body lines of a PEM file (what must never appear in any output).
fn pem_body_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_owned)
        .collect()
}

/// A PEM's DER, base64 on one line (what a CI secret often holds).
fn pem_to_b64_der(pem: &str) -> String {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(der)
}

/// Every flag that takes a key, in the command it belongs to (`{}` is the key value).
const KEY_FLAG_COMMANDS: &[&[&str]] = &[
    &["attest", "--key", "{}", "--subject", "dist/*"],
    &["run", "--key", "{}", "--subject", "dist/*", "--", "true"],
    &["sign-blob", "dist/tool-1.0.whl", "--key", "{}"],
    &[
        "verify",
        "dist/tool-1.0.whl",
        "--attestation",
        "a.jsonl",
        "--key",
        "{}",
    ],
    &[
        "verify",
        "dist/tool-1.0.whl",
        "--attestation",
        "a.jsonl",
        "--key",
        "ci.pub",
        "--vsa-out",
        "v.jsonl",
        "--resource-uri",
        "x",
        "--vsa-key",
        "{}",
    ],
    &[
        "verify-bundle",
        "--bundle",
        "b.json",
        "--key",
        "{}",
        "dist/tool-1.0.whl",
    ],
    &[
        "verify-blob",
        "dist/tool-1.0.whl",
        "--signature",
        "s.minisig",
        "--key",
        "{}",
    ],
    &["key", "export", "{}", "--format", "minisign"],
    // a clap parse error after the key: clap must never get to echo it
    &["attest", "--key", "{}", "--no-such-flag"],
    &["verify", "--key", "{}"],
];

#[test]
fn issue_13_no_code_path_echoes_key_material() {
    let prj = keyed();
    prj.keygen("p256", "ecdsa-p256");
    let mut materials = Vec::new();
    for name in ["ci.key", "ci.pub", "p256.key", "p256.pub"] {
        let pem = std::fs::read_to_string(prj.file(name)).unwrap();
        let mut secret_lines = pem_body_lines(&pem);
        let b64 = pem_to_b64_der(&pem);
        secret_lines.push(b64[..32].to_owned());
        materials.push((pem, secret_lines.clone()));
        materials.push((b64, secret_lines));
    }
    let mut runs = 0;
    for (material, secret_lines) in &materials {
        for template in KEY_FLAG_COMMANDS {
            let separate: Vec<String> =
                template.iter().map(|a| a.replace("{}", material)).collect();
            // `--key=VALUE` as well as `--key VALUE`
            let mut joined = Vec::new();
            let mut it = template.iter().peekable();
            while let Some(a) = it.next() {
                if a.starts_with("--") && it.peek() == Some(&&"{}") {
                    it.next();
                    joined.push(format!("{a}={material}"));
                } else {
                    joined.push(a.replace("{}", material));
                }
            }
            for args in [separate, joined] {
                let argv: Vec<&str> = args.iter().map(String::as_str).collect();
                let (code, out, err) = prj.run(&argv);
                runs += 1;
                assert_eq!(code, 2, "{template:?}: {err}");
                for line in secret_lines {
                    assert!(
                        !out.contains(line.as_str()) && !err.contains(line.as_str()),
                        "{template:?} echoed key material:\n{out}\n{err}"
                    );
                }
                assert!(err.contains("env://VAR"), "{template:?}: {err}");
            }
        }
        // through the environment, as the wrong kind of key: the error names the variable only
        for template in &KEY_FLAG_COMMANDS[..3] {
            let args: Vec<&str> = template
                .iter()
                .map(|a| if *a == "{}" { "env://PROVSEAL_KEY" } else { a })
                .collect();
            let out = prj
                .cmd(&args)
                .env("PROVSEAL_KEY", material)
                .output()
                .unwrap();
            let (out, err) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            for line in secret_lines {
                assert!(
                    !out.contains(line.as_str()) && !err.contains(line.as_str()),
                    "{template:?} via env:// echoed key material:\n{out}\n{err}"
                );
            }
        }
    }
    assert_eq!(runs, materials.len() * KEY_FLAG_COMMANDS.len() * 2);
}

#[test]
fn issue_13_inline_key_and_env_typos_get_the_env_hint() {
    let prj = keyed();
    let pem = std::fs::read_to_string(prj.file("ci.key")).unwrap();
    provseal_snapshot!(
        "key_inline_pem",
        prj,
        ["attest", "--key", &pem, "--subject", "dist/*"]
    );
    provseal_snapshot!(
        "key_inline_pem_equals",
        prj,
        ["attest", &format!("--key={pem}"), "--subject", "dist/*"]
    );
    provseal_snapshot!(
        "key_inline_b64_der_positional",
        prj,
        [
            "key",
            "export",
            &pem_to_b64_der(&pem),
            "--format",
            "minisign"
        ]
    );
    provseal_snapshot!(
        "key_env_colon_typo",
        prj,
        ["attest", "--key", "env:PROVSEAL_KEY", "--subject", "dist/*"]
    );
    provseal_snapshot!(
        "key_dollar_typo",
        prj,
        ["sign-blob", "dist/tool-1.0.whl", "--key", "$PROVSEAL_KEY"]
    );
    provseal_snapshot!(
        "key_dollar_brace_typo",
        prj,
        [
            "verify",
            "dist/tool-1.0.whl",
            "--attestation",
            "a",
            "--vsa-key=${SIGNING_KEY}"
        ]
    );
}

/// A Cargo.lock with `n` packages: enough `materials` output to outgrow a pipe's buffer.
fn big_cargo_lock(n: usize) -> String {
    let mut s = String::from("version = 3\n");
    for i in 0..n {
        s.push_str(&format!(
            "\n[[package]]\nname = \"crate-{i}\"\nversion = \"1.0.{i}\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
             checksum = \"{i:064x}\"\n"
        ));
    }
    s
}

#[test]
fn issue_13_materials_survives_a_closed_stdout_100_of_100() {
    let prj = Project::with_git();
    std::fs::write(prj.file("Cargo.lock"), big_cargo_lock(2000)).unwrap();
    let full = prj.cmd(&["materials"]).output().unwrap();
    assert!(full.status.success());
    assert!(
        full.stdout.len() > 65536,
        "the output must outgrow a pipe buffer: {} bytes",
        full.stdout.len()
    );
    for run in 0..100 {
        // `provseal materials | head -1`: read one line, then close the pipe
        let mut child = prj
            .cmd(&["materials"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(first.starts_with("source:"), "run {run}: {first}");
        assert_eq!(
            out.status.code(),
            Some(0),
            "run {run}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "run {run}");
    }
}

#[test]
fn issue_13_every_printing_command_survives_a_closed_stdout() {
    let prj = keyed();
    prj.attest("ci.key", "a.intoto.jsonl");
    for args in [
        &["--help"][..],
        &["verify", "--help"],
        &["materials", "--json"],
        &["inspect", "a.intoto.jsonl"],
        &["inspect", "a.intoto.jsonl", "--json"],
        &verify_args("dist/tool-1.0.whl", "a.intoto.jsonl", "ci.pub", &[]),
        &verify_args("dist/tool-1.0.whl", "a.intoto.jsonl", "ci.pub", &["--json"]),
        &["key", "export", "ci.pub", "--format", "minisign"],
    ] {
        // stdout closed before provseal writes a byte
        let mut child = prj
            .cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn issue_13_run_json_stdout_is_only_the_report() {
    let prj = keyed();
    let script = format!(
        "{} run --key ci.key --subject 'dist/*' --json -- sh -c 'echo building...; echo {{not json; echo done >&2' \
         | python3 -m json.tool",
        provseal_testsupport::provseal_bin().display()
    );
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", &script]).current_dir(prj.path());
    let out = sh.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["output"], "provenance.intoto.jsonl");
    assert!(
        stderr.contains("building...") && stderr.contains("{not json"),
        "{stderr}"
    );
}

#[test]
fn issue_13_outputs_are_checked_before_the_build() {
    let prj = keyed();
    std::fs::write(prj.file("provenance.intoto.jsonl"), "old\n").unwrap();
    provseal_snapshot!(
        "run_default_output_exists_before_build",
        prj,
        [
            "run",
            "--key",
            "ci.key",
            "--subject",
            "dist/*",
            "--",
            "touch",
            "built"
        ]
    );
    assert!(!prj.file("built").exists(), "the build ran");
    std::fs::remove_file(prj.file("provenance.intoto.jsonl")).unwrap();
    std::fs::write(prj.file("dist/tool-1.0.whl.intoto.jsonl"), "old\n").unwrap();
    provseal_snapshot!(
        "run_per_subject_output_exists_before_build",
        prj,
        [
            "run",
            "--key",
            "ci.key",
            "--subject",
            "dist/*",
            "--per-subject",
            "--",
            "touch",
            "built"
        ]
    );
    assert!(!prj.file("built").exists(), "the build ran");
}

#[test]
fn issue_13_own_outputs_are_never_subjects_and_own_dirt_is_named() {
    let prj = keyed();
    let (code, _, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "dist/*",
        "--per-subject",
    ]);
    assert_eq!(code, 0, "{err}");
    provseal_snapshot!(
        "attest_force_rerun_skips_own_outputs",
        prj,
        [
            "attest",
            "--key",
            "ci.key",
            "--subject",
            "dist/*",
            "--per-subject",
            "--force",
            "--json"
        ]
    );
    let (code, _, err) = prj.run(&[
        "run",
        "--key",
        "ci.key",
        "--subject",
        "dist/*",
        "--",
        "true",
    ]);
    assert_eq!(code, 0, "{err}");
    provseal_snapshot!(
        "run_tree_dirty_only_from_own_output",
        prj,
        [
            "run",
            "--key",
            "ci.key",
            "--subject",
            "dist/*",
            "--force",
            "--",
            "true"
        ]
    );
}

#[test]
fn issue_13_errors_that_teach() {
    let prj = attested();
    let att = "dist/provenance.intoto.jsonl";
    provseal_snapshot!(
        "verify_source_uri_without_key_says_why_slsa_mode",
        prj,
        [
            "verify",
            "dist/tool-1.0.whl",
            "--attestation",
            att,
            "--source-uri",
            "github.com/example/tool"
        ]
    );
    provseal_snapshot!(
        "run_without_double_dash",
        prj,
        [
            "run",
            "--key",
            "ci.key",
            "--subject",
            "dist/*",
            "python",
            "-m",
            "build"
        ]
    );
    provseal_snapshot!(
        "verify_print_provenance_with_key",
        prj,
        verify_args("dist/tool-1.0.whl", att, "ci.pub", &["--print-provenance"])
    );
    std::fs::write(prj.file("extra.bin"), b"not attested").unwrap();
    provseal_snapshot!(
        "verify_many_summary_line",
        prj,
        [
            "verify",
            "dist/tool-1.0.whl",
            "dist/tool-1.0.tar.gz",
            "extra.bin",
            "--attestation",
            att,
            "--key",
            "ci.pub"
        ]
    );
}

#[test]
fn issue_13_verify_by_git_commit_id() {
    use provseal_crypto::{LoadContext, SignerRegistry};
    let prj = keyed();
    let commit = "7d3c1b4f0e5a9d2c8b6a4f1e0d9c8b7a6f5e4d3c";
    // the shape of a GitHub release attestation: the release's commit as a `sha1` subject
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"uri": "pkg:github/example/tool@v1.0", "digest": {"sha1": commit}}],
        "predicateType": "https://in-toto.io/attestation/release/v0.1",
        "predicate": {"purl": "pkg:github/example/tool@v1.0"}
    });
    let signer = SignerRegistry::builtin()
        .open(
            prj.file("ci.key").to_str().unwrap(),
            &LoadContext::default(),
        )
        .unwrap();
    let env = provseal_crypto::dsse::sign(
        "application/vnd.in-toto+json",
        serde_json::to_vec(&statement).unwrap(),
        signer.as_ref(),
    )
    .unwrap();
    std::fs::write(prj.file("release.intoto.jsonl"), env.to_json() + "\n").unwrap();
    for artifact in [format!("sha1:{commit}"), format!("gitCommit:{commit}")] {
        let (code, out, err) = prj.run(&[
            "verify",
            &artifact,
            "--attestation",
            "release.intoto.jsonl",
            "--key",
            "ci.pub",
        ]);
        assert_eq!(code, 0, "{artifact}: {out}{err}");
    }
    provseal_snapshot!(
        "verify_other_git_commit",
        prj,
        verify_args(
            "sha1:0000000000000000000000000000000000000000",
            "release.intoto.jsonl",
            "ci.pub",
            &[]
        )
    );
    provseal_snapshot!(
        "verify_short_git_commit",
        prj,
        verify_args("sha1:7d3c1b4f", "release.intoto.jsonl", "ci.pub", &[])
    );
}

#[test]
fn issue_13_inspect_views_quiet_and_policy_json() {
    let prj = keyed();
    std::fs::write(prj.file("Cargo.lock"), big_cargo_lock(3)).unwrap();
    let (code, _, err) = prj.run(&run_args(
        "ci.key",
        "dist/provenance.intoto.jsonl",
        &["--", "true"],
    ));
    assert_eq!(code, 0, "{err}");
    let att = "dist/provenance.intoto.jsonl";
    provseal_snapshot!("inspect_materials", prj, ["inspect", att, "--materials"]);
    provseal_snapshot!(
        "inspect_materials_json",
        prj,
        ["inspect", att, "--materials", "--json"]
    );
    let (code, out, _) = prj.run(&["inspect", att, "--statement"]);
    assert_eq!(code, 0);
    let statement: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["subject"].as_array().unwrap().len(), 2);
    let (code, out, _) = prj.run(&["inspect", att, "--json"]);
    assert_eq!(code, 0);
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        summary[0]["statement"], statement,
        "--json carries the whole statement"
    );

    provseal_snapshot!(
        "attest_quiet",
        prj,
        [
            "-q",
            "attest",
            "--key",
            "ci.key",
            "--subject",
            "dist/*",
            "--out",
            "q.intoto.jsonl"
        ]
    );
    std::fs::write(
        prj.file("bad.toml"),
        "version = 1\ncolour = \"red\"\n[[signers]]\nname = \"ci\"\nkey = \"ci.pub\"\nbuilders = 3\n",
    )
    .unwrap();
    provseal_snapshot!(
        "policy_check_all_errors",
        prj,
        ["policy", "check", "bad.toml"]
    );
    provseal_snapshot!(
        "policy_check_json",
        prj,
        ["policy", "check", "bad.toml", "--json"]
    );
}

#[test]
fn issue_13_completions_and_man_page() {
    let prj = Project::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, out, err) = prj.run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(
            out.contains("provseal") && out.contains("verify"),
            "{shell}"
        );
    }
    let (code, out, _) = prj.run(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--certificate-identity"),
        "completes verify's flags"
    );
    let (code, out, err) = prj.run(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(".ie") || out.contains(".TH provseal"),
        "{}",
        &out[..200]
    );
    assert!(out.contains("provseal verify") && out.contains("certificate\\-identity"));
    provseal_snapshot!(
        "usage_completions_unknown_shell",
        prj,
        ["completions", "tcsh"]
    );
}
