//! Installed-distribution collection against real venvs built from PyPI, compared with
//! `pip list --format=json` on the same environment.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use provseal_materials::purl::normalize_pypi_name;
use provseal_materials::python_env::{installed_distributions, locate, PythonEnvCollector};
use provseal_materials::{diff, snapshot, CollectContext, Collector};

/// ≥ 30 distributions with their dependencies (pure wheels and one compiled one).
pub const PACKAGES: &[&str] = &[
    "requests",
    "rich",
    "click",
    "attrs",
    "pytest",
    "jinja2",
    "pyyaml",
    "six",
    "python-dateutil",
    "tabulate",
    "docutils",
    "toml",
    "tomli",
    "cachetools",
    "pyparsing",
    "colorama",
    "wrapt",
    "more-itertools",
    "zipp",
    "importlib-metadata",
];

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn have_python() -> bool {
    provseal_testsupport::require_tool("python_env", "python3", &["-m", "pip", "--version"])
}

/// Creates a venv at `dir` with `packages` from PyPI and, when `editable`, an editable install
/// of a small local project (setuptools, PEP 660, no build isolation: no download needed).
pub fn make_venv(dir: &Path, packages: &[&str], editable: bool) -> PathBuf {
    let venv = dir.join("venv");
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    let pip = venv.join("bin/pip");
    let mut all: Vec<&str> = packages.to_vec();
    if editable {
        // setuptools 65 (bundled with Python 3.11's venv) builds wheels with `wheel`.
        all.push("wheel");
    }
    if !all.is_empty() {
        run(Command::new(&pip)
            .args([
                "install",
                "-q",
                "--no-compile",
                "--disable-pip-version-check",
            ])
            .args(&all));
    }
    if editable {
        let proj = dir.join("proj");
        std::fs::create_dir_all(proj.join("src/demo_editable")).unwrap();
        std::fs::write(proj.join("src/demo_editable/__init__.py"), "").unwrap();
        std::fs::write(
            proj.join("pyproject.toml"),
            "[build-system]\nrequires = [\"setuptools>=64\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"Demo_Editable\"\nversion = \"0.3.1\"\n",
        )
        .unwrap();
        run(Command::new(&pip)
            .args([
                "install",
                "-q",
                "--disable-pip-version-check",
                "--no-build-isolation",
                "-e",
            ])
            .arg(&proj));
    }
    venv
}

/// `pip list --format=json` (optionally with extra args) as a set of (normalised name, version).
pub fn pip_list(python: &Path, extra: &[&str]) -> BTreeSet<(String, String)> {
    let out = run(Command::new(python)
        .args([
            "-m",
            "pip",
            "list",
            "--format=json",
            "--disable-pip-version-check",
        ])
        .args(extra));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                normalize_pypi_name(d["name"].as_str().unwrap()),
                d["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn venv_with_editable_install_equals_pip_list() {
    if !have_python() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let venv = make_venv(t.path(), PACKAGES, true);
    let python = venv.join("bin/python");
    let expected = pip_list(&python, &[]);
    assert!(
        expected.len() >= 30,
        "only {} distributions",
        expected.len()
    );

    // Selected by --python (venv dir and its interpreter), VIRTUAL_ENV and <root>/.venv alike.
    let by_dir = CollectContext {
        root: t.path().into(),
        python: Some(venv.clone()),
        ..Default::default()
    };
    let by_exe = CollectContext {
        root: t.path().into(),
        python: Some(python.clone()),
        ..Default::default()
    };
    let mut by_env = CollectContext {
        root: t.path().into(),
        ..Default::default()
    };
    by_env
        .env
        .insert("VIRTUAL_ENV".into(), venv.to_string_lossy().into_owned());
    for ctx in [&by_dir, &by_exe, &by_env] {
        let env = locate(ctx).unwrap().unwrap();
        assert!(
            !env.ran_interpreter,
            "a venv is read without running python"
        );
        let (dists, warnings) = installed_distributions(&env);
        assert!(warnings.is_empty(), "{warnings:?}");
        let got: BTreeSet<_> = dists
            .iter()
            .map(|d| (d.name.clone(), d.version.clone()))
            .collect();
        assert_eq!(got, expected);
        assert_eq!(dists.len(), expected.len());
    }

    let env = locate(&by_dir).unwrap().unwrap();
    let (dists, _) = installed_distributions(&env);
    // Editable installs: exactly those pip lists with --editable.
    let editable: BTreeSet<_> = dists
        .iter()
        .filter(|d| d.editable)
        .map(|d| (d.name.clone(), d.version.clone()))
        .collect();
    assert_eq!(editable, pip_list(&python, &["--editable"]));
    assert_eq!(editable.len(), 1);
    let demo = dists.iter().find(|d| d.name == "demo-editable").unwrap();
    assert_eq!(demo.version, "0.3.1");
    assert!(
        demo.direct_url.as_deref().unwrap().starts_with("file://"),
        "{demo:?}"
    );
    let requests = dists.iter().find(|d| d.name == "requests").unwrap();
    assert_eq!(requests.installer.as_deref(), Some("pip"));
    // RECORD digest equals an independent sha256 of the file.
    let record = env.paths[0].join(&requests.metadata_dir).join("RECORD");
    let sum = run(Command::new("sha256sum").arg(&record));
    assert_eq!(
        requests.record_sha256.as_deref(),
        sum.split_whitespace().next()
    );

    // As ResourceDescriptors.
    let got = PythonEnvCollector.collect(&by_dir).unwrap();
    assert!(got.warnings.is_empty());
    assert_eq!(got.materials.len(), expected.len());
    let rd = got
        .materials
        .iter()
        .find(|m| {
            m.uri
                .as_deref()
                .is_some_and(|u| u.starts_with("pkg:pypi/requests@"))
        })
        .unwrap();
    assert_eq!(rd.digest.get("sha256"), requests.record_sha256.as_deref());
    assert_eq!(rd.annotations["installer"], "pip");
    assert_eq!(rd.annotations["pythonEnv"], "venv");
    let demo_rd = got
        .materials
        .iter()
        .find(|m| m.uri.as_deref() == Some("pkg:pypi/demo-editable@0.3.1"))
        .unwrap();
    assert_eq!(demo_rd.annotations["editable"], true);

    // Drift: a package pip-installed between two snapshots shows as added, nothing else moves.
    let collectors: [&dyn Collector; 1] = [&PythonEnvCollector];
    let before = snapshot(&by_dir, &collectors).unwrap();
    run(Command::new(venv.join("bin/pip")).args([
        "install",
        "-q",
        "--no-compile",
        "--disable-pip-version-check",
        "termcolor==2.4.0",
    ]));
    let after = snapshot(&by_dir, &collectors).unwrap();
    let drift = diff(&before, &after);
    assert_eq!(
        drift
            .added
            .iter()
            .map(|m| m.id.as_str())
            .collect::<Vec<_>>(),
        ["pkg:pypi/termcolor@2.4.0"]
    );
    assert_eq!(drift.added[0].scope.as_deref(), Some("venv"));
    assert!(
        drift.removed.is_empty() && drift.changed.is_empty() && drift.lockfiles_changed.is_empty()
    );
    assert!(!drift.is_empty());
    assert!(diff(&after, &after).is_empty());
}

#[test]
fn system_interpreter_equals_its_pip_list() {
    if !have_python() {
        return;
    }
    let exe = run(Command::new("python3").args(["-c", "import sys; print(sys.executable)"]));
    let exe = PathBuf::from(exe.trim());
    let ctx = CollectContext {
        root: std::env::temp_dir(),
        python: Some(exe.clone()),
        ..Default::default()
    };
    let env = locate(&ctx).unwrap().unwrap();
    let (dists, _warnings) = installed_distributions(&env);
    let got: BTreeSet<_> = dists
        .iter()
        .map(|d| (d.name.clone(), d.version.clone()))
        .collect();
    let expected = pip_list(&exe, &[]);
    assert_eq!(got, expected);
}

#[test]
fn no_environment_collects_nothing_and_a_bad_python_path_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let ctx = CollectContext {
        root: t.path().into(),
        ..Default::default()
    };
    assert_eq!(locate(&ctx).unwrap(), None);
    assert!(PythonEnvCollector
        .collect(&ctx)
        .unwrap()
        .materials
        .is_empty());
    let bad = CollectContext {
        root: t.path().into(),
        python: Some(t.path().join("nope")),
        ..Default::default()
    };
    let err = PythonEnvCollector.collect(&bad).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    // VIRTUAL_ENV pointing nowhere: a warning naming it, not a failure.
    let mut ve = CollectContext {
        root: t.path().into(),
        ..Default::default()
    };
    ve.env.insert(
        "VIRTUAL_ENV".into(),
        t.path().join("gone").to_string_lossy().into_owned(),
    );
    let got = PythonEnvCollector.collect(&ve).unwrap();
    assert_eq!(got.warnings.len(), 1);
    assert_eq!(got.warnings[0].code, "python-env-unreadable");
}

#[test]
fn venv_with_system_site_packages_equals_pip_list() {
    if !have_python() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let venv = t.path().join("venv");
    run(Command::new("python3")
        .args(["-m", "venv", "--system-site-packages"])
        .arg(&venv));
    let ctx = CollectContext {
        root: t.path().into(),
        python: Some(venv.clone()),
        ..Default::default()
    };
    let env = locate(&ctx).unwrap().unwrap();
    assert!(
        env.ran_interpreter,
        "system site-packages come from the interpreter's sys.path"
    );
    let (dists, _warnings) = installed_distributions(&env);
    let got: BTreeSet<_> = dists
        .iter()
        .map(|d| (d.name.clone(), d.version.clone()))
        .collect();
    assert_eq!(got, pip_list(&venv.join("bin/python"), &[]));
}
