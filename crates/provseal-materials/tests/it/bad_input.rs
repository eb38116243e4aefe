//! Bad input: every problem is a warning (or error) naming the file; never a panic, never a
//! silently empty snapshot.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use provseal_materials::python_env::{installed_distributions, locate};
use provseal_materials::LockfileCollector;
use provseal_materials::{CollectContext, Collector, Warning};

fn data(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/python")
            .join(rel),
    )
    .unwrap()
}

fn codes(w: &[Warning]) -> Vec<(String, String)> {
    let mut v: Vec<_> = w
        .iter()
        .map(|w| (w.code.to_string(), w.subject.clone()))
        .collect();
    v.sort();
    v
}

#[test]
fn truncated_and_malformed_lockfiles_are_errors_naming_the_file() {
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    for (file, src) in [
        ("uv/uv.lock", "uv/uv.lock"),
        ("poetry/poetry.lock", "poetry/poetry.lock"),
        ("pdm/pdm.lock", "pdm/pdm.lock"),
        ("pipenv/Pipfile.lock", "pipenv/Pipfile.lock"),
        ("pylock/pylock.toml", "uv/pylock.toml"),
    ] {
        let bytes = data(src);
        // Cut in the middle of a line (inside a string or a table header).
        let cut = bytes.len() / 3;
        let cut = bytes[cut..]
            .iter()
            .position(|b| *b == b'"')
            .map_or(cut, |p| cut + p + 3);
        cases.push((file, bytes[..cut].to_vec()));
    }
    cases.push((
        "req/requirements-bin.txt",
        b"flask==3.0.0\n\xff\xfe\n".to_vec(),
    ));
    let errs = crate::each_fails_naming_the_file(&cases);
    assert_eq!(errs.len(), cases.len());
    let more = crate::each_fails_naming_the_file(&[
        (
            "req/requirements.txt",
            b"flask==3.0.0\n<<<garbage>>>\n".to_vec(),
        ),
        (
            "req/requirements-inc.txt",
            b"-r missing.txt\nattrs==1\n".to_vec(),
        ),
    ]);
    assert_eq!(
        more,
        [
            "`req/requirements.txt:2`: `requirement`: not a requirement: `<<<garbage>>>`",
            "`req/requirements-inc.txt:1`: include `missing.txt` refused: no such file",
        ]
    );
}

#[test]
fn directory_lockfile_symlink_loop_and_non_utf8_names() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir(d.join("poetry.lock")).unwrap();
    std::fs::create_dir(d.join("a")).unwrap();
    std::os::unix::fs::symlink("..", d.join("a/up")).unwrap();
    std::os::unix::fs::symlink(d.join("loop2"), d.join("loop1")).unwrap();
    std::os::unix::fs::symlink(d.join("loop1"), d.join("loop2")).unwrap();
    std::os::unix::fs::symlink("nowhere", d.join("uv.lock")).unwrap();
    let bad = std::ffi::OsStr::from_bytes(b"requirements-\xff.txt");
    std::fs::write(d.join(bad), "attrs==1\n").unwrap();
    std::fs::write(d.join("a/requirements.txt"), "attrs==2\n").unwrap();
    let ctx = CollectContext {
        root: d.into(),
        discovery: crate::whole_tree(),
        ..Default::default()
    };
    let got = LockfileCollector.collect(&ctx).unwrap();
    let w = codes(&got.warnings);
    assert_eq!(
        w,
        [
            ("lockfile-not-a-file".to_string(), "poetry.lock".to_string()),
            ("lockfile-not-a-file".into(), "uv.lock".into()),
            ("non-utf8-path".into(), "requirements-\u{fffd}.txt".into()),
        ]
    );
    // Named explicitly, a directory is an error.
    let named = CollectContext {
        root: d.into(),
        discovery: provseal_materials::DiscoveryOptions {
            lockfiles: vec!["poetry.lock".into()],
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        LockfileCollector.collect(&named).unwrap_err().to_string(),
        "invalid lockfile selection `poetry.lock`: not a regular file"
    );
    let uris: Vec<_> = got
        .materials
        .iter()
        .filter_map(|m| m.uri.as_deref())
        .collect();
    assert_eq!(
        uris,
        ["pkg:pypi/attrs@2"],
        "the symlinked `a/up` is not followed"
    );
}

#[test]
fn unreadable_dist_info_is_a_named_warning() {
    let t = tempfile::tempdir().unwrap();
    let sp = t.path().join("site-packages");
    for (dir, files) in [
        (
            "good-1.0.dist-info",
            vec![("METADATA", "Name: good\nVersion: 1.0\n")],
        ),
        ("nometa-1.0.dist-info", vec![("RECORD", "")]),
        (
            "noversion-1.0.dist-info",
            vec![("METADATA", "Name: noversion\n")],
        ),
        (
            "old.egg-info",
            vec![(
                "PKG-INFO",
                "Metadata-Version: 1.0\nName: Old\nVersion: 0.1\n",
            )],
        ),
    ] {
        std::fs::create_dir_all(sp.join(dir)).unwrap();
        for (f, c) in files {
            std::fs::write(sp.join(dir).join(f), c).unwrap();
        }
    }
    std::fs::create_dir_all(sp.join("dirmeta-1.0.dist-info/METADATA")).unwrap();
    std::fs::write(
        sp.join("single-2.0.egg-info"),
        "Name: single\nVersion: 2.0\n",
    )
    .unwrap();
    let ctx = CollectContext {
        root: t.path().into(),
        python: Some(sp.clone()),
        ..Default::default()
    };
    let env = locate(&ctx).unwrap().unwrap();
    let (dists, warnings) = installed_distributions(&env);
    let names: Vec<_> = dists
        .iter()
        .map(|d| (d.name.as_str(), d.version.as_str()))
        .collect();
    assert_eq!(names, [("good", "1.0"), ("old", "0.1"), ("single", "2.0")]);
    let mut subjects: Vec<_> = warnings
        .iter()
        .map(|w| {
            assert_eq!(w.code, "python-dist-unreadable");
            Path::new(&w.subject)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "dirmeta-1.0.dist-info",
            "nometa-1.0.dist-info",
            "noversion-1.0.dist-info"
        ]
    );
}

#[test]
fn explicit_lockfiles_must_exist_and_any_txt_is_requirements() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir(d.join("deps")).unwrap();
    std::fs::write(d.join("deps/pins.txt"), "attrs==1\n").unwrap();
    let ctx = CollectContext {
        root: d.into(),
        discovery: provseal_materials::DiscoveryOptions {
            lockfiles: vec!["deps/pins.txt".into()],
            ..Default::default()
        },
        ..Default::default()
    };
    let got = LockfileCollector.collect(&ctx).unwrap();
    let names: Vec<_> = got
        .materials
        .iter()
        .filter_map(|m| m.name.as_deref())
        .collect();
    assert_eq!(names, ["deps/pins.txt"]);
    let missing = CollectContext {
        root: d.into(),
        discovery: provseal_materials::DiscoveryOptions {
            lockfiles: vec!["gone/uv.lock".into()],
            ..Default::default()
        },
        ..Default::default()
    };
    let err = LockfileCollector.collect(&missing).unwrap_err();
    assert!(err.to_string().contains("gone/uv.lock"), "{err}");
}

/// Every prefix cut and many single-byte corruptions of every fixture parse to `Ok` or a named
/// error — never a panic (a cheap stand-in for the fuzz target).
#[test]
fn mutated_lockfiles_never_panic() {
    use provseal_materials::python_lock::{parse_lockfile, LockFormat};
    let t = tempfile::tempdir().unwrap();
    for (src, file, format) in [
        ("uv/uv.lock", "uv.lock", LockFormat::Uv),
        ("uv/pylock.toml", "pylock.toml", LockFormat::Pylock),
        ("poetry/poetry.lock", "poetry.lock", LockFormat::Poetry),
        ("pdm/pdm.lock", "pdm.lock", LockFormat::Pdm),
        ("pipenv/Pipfile.lock", "Pipfile.lock", LockFormat::Pipfile),
        (
            "pip-tools/requirements.txt",
            "requirements.txt",
            LockFormat::Requirements,
        ),
    ] {
        let bytes = data(src);
        let path = t.path().join(file);
        let step = (bytes.len() / 60).max(1);
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in (0..bytes.len()).step_by(step) {
            std::fs::write(&path, &bytes[..i]).unwrap();
            if let Err(e) = parse_lockfile(t.path(), &path, format) {
                assert!(e.to_string().contains(file), "{e}");
            }
            let mut m = bytes.clone();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % m.len();
            m[at] = [b'"', b'[', b'\\', b'\n', 0xff, b'=', b'{'][(seed >> 32) as usize % 7];
            std::fs::write(&path, &m).unwrap();
            if let Err(e) = parse_lockfile(t.path(), &path, format) {
                assert!(e.to_string().contains(file), "{e}");
            }
        }
    }
}
