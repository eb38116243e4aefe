//! `provseal materials` and the snapshot of `run`: the hint for lockfiles below the working
//! directory, strict parsing before the build, and planted secrets that reach no output.

use crate::Project;
use provseal_testsupport::run_args;
use provseal_testsupport::secrets::{plant, ENV, MARK, RECORDED};

fn commit(prj: &Project) {
    for args in [vec!["add", "-A"], vec!["commit", "-qm", "lockfiles"]] {
        let st = std::process::Command::new("git")
            .args(&args)
            .current_dir(prj.path())
            .env("HOME", prj.path())
            .output()
            .unwrap();
        assert!(st.status.success(), "{st:?}");
    }
}

#[test]
fn deeper_lockfiles_are_a_hint_with_the_flag_that_adds_them() {
    let prj = Project::with_git();
    std::fs::create_dir_all(prj.file("app/tools")).unwrap();
    std::fs::write(prj.file("requirements.txt"), "attrs==23.2.0\n").unwrap();
    std::fs::write(prj.file("app/tools/requirements.txt"), "idna==3.7\n").unwrap();
    commit(&prj);
    let (code, out, err) = prj.run(&["materials"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pkg:pypi/attrs@23.2.0"), "{out}");
    assert!(!out.contains("idna"), "{out}");
    assert_eq!(
        err,
        "hint: 1 lockfile(s) below the working directory were not recorded: `app/tools/requirements.txt`; add one with `--lockfile app/tools/requirements.txt`, or all with `--lockfile '**'`\n"
    );
    let (code, out, err) = prj.run(&["materials", "--lockfile", "**"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pkg:pypi/idna@3.7"), "{out}");
    assert_eq!(err, "");
}

#[test]
fn a_malformed_lockfile_stops_run_before_the_build() {
    let prj = Project::with_git();
    prj.keygen("ci", "ed25519");
    std::fs::write(
        prj.file("package-lock.json"),
        "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/a\": {\"version\": 3}}}\n",
    )
    .unwrap();
    let (code, _, err) = prj.run(&run_args("ci.key", "out.jsonl", &["--", "touch", "built"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("package-lock.json:1:67`: `packages.node_modules/a.version`\n  Caused by: invalid type: integer `3`, expected a string\n"),
        "{err}"
    );
    assert!(!prj.file("built").exists(), "the build ran");
    assert!(!prj.file("out.jsonl").exists());
}

#[test]
fn planted_secrets_reach_no_output_of_materials_or_run() {
    let prj = Project::with_git();
    prj.keygen("ci", "ed25519");
    plant(prj.path());
    commit(&prj);
    let remote = std::process::Command::new("git")
        .args(["remote", "set-url", "origin"])
        .arg("https://x-access-token:PLANTED_REMOTE@github.com/o/r.git")
        .current_dir(prj.path())
        .output()
        .unwrap();
    assert!(remote.status.success(), "{remote:?}");
    let mut outputs = Vec::new();
    let mut c = prj.cmd(&[
        "materials",
        "--json",
        "--lockfile",
        "**",
        "--env",
        "GOPROXY",
    ]);
    c.envs(ENV.iter().copied());
    let o = c.output().unwrap();
    assert!(o.status.success(), "{o:?}");
    outputs.push(String::from_utf8_lossy(&o.stdout).into_owned());
    outputs.push(String::from_utf8_lossy(&o.stderr).into_owned());
    for recorded in RECORDED {
        assert!(outputs[0].contains(recorded), "{recorded}: {}", outputs[0]);
    }
    let mut c = prj.cmd(&[
        "run",
        "--lockfile",
        "**",
        "--env",
        "GOPROXY",
        "--key",
        "ci.key",
        "--subject",
        "dist/*",
        "--out",
        "out.jsonl",
        "--sbom",
        "sbom.json",
        "--",
        "true",
    ]);
    c.envs(ENV.iter().copied());
    let o = c.output().unwrap();
    assert!(o.status.success(), "{o:?}");
    outputs.push(String::from_utf8_lossy(&o.stdout).into_owned());
    outputs.push(String::from_utf8_lossy(&o.stderr).into_owned());
    let statement = std::fs::read_to_string(prj.file("out.jsonl")).unwrap();
    let payload: serde_json::Value =
        serde_json::from_str(statement.lines().next().unwrap()).unwrap();
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(payload["payload"].as_str().unwrap())
        .unwrap();
    outputs.push(String::from_utf8(decoded).unwrap());
    outputs.push(std::fs::read_to_string(prj.file("sbom.json")).unwrap());
    for recorded in RECORDED {
        assert!(outputs[4].contains(recorded), "{recorded}: {}", outputs[4]);
    }
    for (i, o) in outputs.iter().enumerate() {
        assert!(!o.contains(MARK), "output {i} leaks a planted secret:\n{o}");
    }
}
