//! Python lockfiles made by the real tools (fixtures under `tests/data/python`, see `regen.sh`),
//! each parsed to exactly the package set the tool itself reported when it made them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use provseal_materials::purl::normalize_pypi_name;
use provseal_materials::python_lock::{parse_lockfile, LockFormat, LockedPackage};
use provseal_materials::{CollectContext, Collector, LockfileCollector};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/python")
}

type Set = BTreeSet<(String, String)>;

fn parsed(rel: &str, format: LockFormat) -> Vec<LockedPackage> {
    let root = data();
    let p = parse_lockfile(&root, &root.join(rel), format).unwrap();
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    p.packages
}

fn set_of(pkgs: &[LockedPackage]) -> Set {
    pkgs.iter()
        .map(|p| (p.name.clone(), p.version.clone().unwrap_or_default()))
        .collect()
}

/// `name==version[; marker]` lines of a requirements-style report (comments, options skipped).
fn report_lines(rel: &str) -> Set {
    std::fs::read_to_string(data().join(rel))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with([' ', '#', '-']))
        .map(|l| {
            let req = l.split(';').next().unwrap().trim();
            let (n, v) = req.split_once("==").unwrap();
            (normalize_pypi_name(n), v.trim().to_string())
        })
        .collect()
}

fn get<'a>(pkgs: &'a [LockedPackage], name: &str) -> &'a LockedPackage {
    pkgs.iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[test]
fn pip_compile_requirements_with_includes_equal_pip_report() {
    let pkgs = parsed("pip-tools/requirements-all.txt", LockFormat::Requirements);
    let expected = report_lines("pip-tools/pip-report.txt");
    assert_eq!(expected.len(), 18);
    assert_eq!(set_of(&pkgs), expected);
    assert_eq!(pkgs.len(), 18, "no duplicates");
    // Every pip-compile pin carries --hash lines; single-hash packages get a digest.
    let certifi = get(&pkgs, "certifi");
    assert_eq!(
        certifi.digest.get("sha256").map(String::as_str),
        Some("1324c476b4811eff41a8bc2122cd0bbd4d9c7234c725446d99ab1612b3a7fdd2")
    );
    assert!(get(&pkgs, "charset-normalizer").digest.is_empty());
    assert_eq!(
        get(&pkgs, "pytest").lockfile,
        "pip-tools/requirements-dev.txt"
    );
    assert_eq!(get(&pkgs, "attrs").lockfile, "pip-tools/requirements.txt");
    let root = data();
    let files = parse_lockfile(
        &root,
        &root.join("pip-tools/requirements-all.txt"),
        LockFormat::Requirements,
    )
    .unwrap()
    .files;
    let names: Vec<_> = files.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(
        names,
        [
            "pip-tools/requirements-all.txt",
            "pip-tools/requirements.txt",
            "pip-tools/requirements-dev.txt"
        ]
    );
}

#[test]
fn uv_lock_equals_uv_export() {
    let pkgs = parsed("uv/uv.lock", LockFormat::Uv);
    let expected = report_lines("uv/uv-export.txt");
    assert_eq!(expected.len(), 19);
    assert_eq!(set_of(&pkgs), expected);
    assert_eq!(pkgs.len(), 19, "the project itself is not a dependency");
    let f = |n| {
        let p = get(&pkgs, n);
        (p.dev, p.optional)
    };
    assert_eq!(f("requests"), (Some(false), Some(false)));
    assert_eq!(f("urllib3"), (Some(false), Some(false)));
    assert_eq!(
        f("pygments"),
        (Some(false), Some(false)),
        "needed by rich too"
    );
    assert_eq!(f("pytest"), (Some(true), Some(false)));
    assert_eq!(f("iniconfig"), (Some(true), Some(false)));
    assert_eq!(f("pyyaml"), (Some(false), Some(true)));
    assert_eq!(
        get(&pkgs, "attrs").digest.get("sha256").map(String::as_str),
        Some("d03ceb89cb322a8fd706d4fb91940737b6642aa36998fe130a9bc96c985eff32"),
        "the sdist's hash"
    );
    assert_eq!(
        get(&pkgs, "certifi")
            .digest
            .get("sha256")
            .map(String::as_str),
        Some("1324c476b4811eff41a8bc2122cd0bbd4d9c7234c725446d99ab1612b3a7fdd2"),
        "the only wheel's hash"
    );
    assert_eq!(
        get(&pkgs, "zope-interface").purl().as_deref(),
        Some("pkg:pypi/zope-interface@8.7")
    );
}

#[test]
fn pylock_toml_equals_uv_export() {
    let pkgs = parsed("uv/pylock.toml", LockFormat::Pylock);
    assert_eq!(set_of(&pkgs), report_lines("uv/uv-export.txt"));
    assert_eq!(
        get(&pkgs, "colorama").marker.as_deref(),
        Some("sys_platform == 'win32'")
    );
    assert_eq!(
        get(&pkgs, "attrs").digest.get("sha256").map(String::as_str),
        Some("d03ceb89cb322a8fd706d4fb91940737b6642aa36998fe130a9bc96c985eff32")
    );
}

#[test]
fn poetry_lock_equals_poetry_show() {
    let pkgs = parsed("poetry/poetry.lock", LockFormat::Poetry);
    let show: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data().join("poetry/poetry-show.json")).unwrap(),
    )
    .unwrap();
    let expected: Set = show
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                normalize_pypi_name(p["name"].as_str().unwrap()),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(expected.len(), 19);
    assert_eq!(set_of(&pkgs), expected);
    assert_eq!(get(&pkgs, "pytest").dev, Some(true));
    assert_eq!(get(&pkgs, "pygments").dev, Some(false));
    assert_eq!(get(&pkgs, "pyyaml").optional, Some(true));
    assert_eq!(get(&pkgs, "requests").optional, Some(false));
    assert_eq!(
        get(&pkgs, "colorama")
            .digest
            .get("sha256")
            .map(String::as_str),
        Some("08695f5cb7ed6e0531a20572697297273c47b8cae5a63ffc6d6ed5c201be6e44")
    );
}

#[test]
fn pdm_lock_equals_pdm_export() {
    let pkgs = parsed("pdm/pdm.lock", LockFormat::Pdm);
    let expected = report_lines("pdm/pdm-export.txt");
    assert_eq!(expected.len(), 19);
    assert_eq!(set_of(&pkgs), expected);
    assert_eq!(
        (get(&pkgs, "pytest").dev, get(&pkgs, "pytest").optional),
        (Some(true), Some(false))
    );
    assert_eq!(
        (get(&pkgs, "pyyaml").dev, get(&pkgs, "pyyaml").optional),
        (Some(false), Some(true))
    );
    assert_eq!(get(&pkgs, "pygments").dev, Some(false));
}

#[test]
fn pipfile_lock_equals_pipenv_requirements() {
    let pkgs = parsed("pipenv/Pipfile.lock", LockFormat::Pipfile);
    let expected = report_lines("pipenv/pipenv-requirements.txt");
    assert_eq!(expected.len(), 18);
    assert_eq!(set_of(&pkgs), expected);
    assert_eq!(get(&pkgs, "pytest").dev, Some(true));
    assert_eq!(get(&pkgs, "pygments").dev, Some(false), "in both sections");
    assert_eq!(
        get(&pkgs, "click").marker.as_deref(),
        Some("python_version >= '3.10'")
    );
}

fn sha256_of(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn collector_records_every_lockfile_and_its_packages() {
    let ctx = CollectContext {
        root: data(),
        discovery: crate::whole_tree(),
        ..Default::default()
    };
    let got = LockfileCollector.collect(&ctx).unwrap();
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    let files: Vec<(&str, &str)> = got
        .materials
        .iter()
        .filter_map(|m| {
            Some((
                m.name.as_deref()?,
                m.annotations.get("lockfileFormat")?.as_str()?,
            ))
        })
        .collect();
    assert_eq!(
        files,
        [
            ("pdm/pdm.lock", "pdm.lock"),
            ("pip-tools/requirements-all.txt", "requirements.txt"),
            ("pip-tools/requirements.txt", "requirements.txt"),
            ("pip-tools/requirements-dev.txt", "requirements.txt"),
            ("pipenv/Pipfile.lock", "Pipfile.lock"),
            ("poetry/poetry.lock", "poetry.lock"),
            ("uv/pylock.toml", "pylock.toml"),
            ("uv/uv.lock", "uv.lock"),
        ]
    );
    for m in got.materials.iter().filter(|m| m.name.is_some()) {
        let name = m.name.as_deref().unwrap();
        assert_eq!(
            m.digest.get("sha256"),
            Some(sha256_of(&data().join(name)).as_str()),
            "{name}"
        );
    }
    // 19 (pdm) + 18 (requirements, no duplicates across includes) + 18 (pipenv) + 19 + 19 + 19.
    let pkgs: Vec<_> = got.materials.iter().filter(|m| m.name.is_none()).collect();
    assert_eq!(pkgs.len(), 19 + 18 + 18 + 19 + 19 + 19);
    let uv_pytest = pkgs
        .iter()
        .find(|m| {
            m.uri.as_deref() == Some("pkg:pypi/pytest@9.2.0")
                && m.annotations["lockfile"] == "uv/uv.lock"
        })
        .unwrap();
    assert_eq!(uv_pytest.annotations["dev"], true);
    assert_eq!(uv_pytest.annotations["optional"], false);
}

#[test]
fn requirements_includes_cycles_markers_and_vcs() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::write(
        d.join("requirements.txt"),
        "-r sub/base.txt\n--requirement=sub/other.txt\nflask==3.0.0 ; python_version >= \"3.8\" \\\n  --hash=sha256:0000000000000000000000000000000000000000000000000000000000000001\n",
    )
    .unwrap();
    // Includes are relative to the including file; a cycle back to the top is reported.
    std::fs::write(
        d.join("sub/base.txt"),
        "-r ../requirements.txt\n-c constraints.txt\nrequests==2.32.3\n",
    )
    .unwrap();
    std::fs::write(d.join("sub/constraints.txt"), "urllib3==2.2.0\n").unwrap();
    std::fs::write(
        d.join("sub/other.txt"),
        "git+https://user:secret@github.com/o/tool.git@0123abc#egg=My.Tool\n-e ./local\nhttps://example.com/a-1.0.tar.gz#sha256=".to_string() + &"f".repeat(64) + "\n",
    )
    .unwrap();
    let p = parse_lockfile(d, &d.join("requirements.txt"), LockFormat::Requirements).unwrap();
    let codes: Vec<_> = p
        .warnings
        .iter()
        .map(|w| (w.code.as_str(), w.subject.as_str()))
        .collect();
    assert_eq!(codes, [("requirements-include-cycle", "requirements.txt")]);
    let uris: Vec<_> = p
        .packages
        .iter()
        .map(|p| p.to_resource_descriptor().uri.unwrap_or_default())
        .collect();
    assert_eq!(
        uris,
        [
            "pkg:pypi/urllib3@2.2.0",
            "pkg:pypi/requests@2.32.3",
            "pkg:pypi/my-tool?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fo%2Ftool.git%400123abc",
            "./local",
            "https://example.com/a-1.0.tar.gz",
            "pkg:pypi/flask@3.0.0",
        ]
    );
    assert!(p.packages[0].constraint);
    assert!(!p.packages[1].constraint);
    assert_eq!(
        p.packages[5].marker.as_deref(),
        Some("python_version >= \"3.8\"")
    );
    assert_eq!(
        p.packages[5].digest.get("sha256").map(String::as_str),
        Some(&*format!("{:064x}", 1))
    );
    assert_eq!(
        p.packages[4].digest.get("sha256").map(String::as_str),
        Some("f".repeat(64).as_str())
    );
    assert!(p.packages[3].editable);
    let json = serde_json::to_string(
        &p.packages
            .iter()
            .map(|p| p.to_resource_descriptor())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(!json.contains("secret"), "{json}");
    assert_eq!(p.files.len(), 4);
}
