//! Issue 14 through the binary: signals during `run`, `--force` over special files, output
//! modes, private key modes, bounded key reads, globs and a FAILED VSA.

use crate::Project;
use provseal_testsupport::{attest_args, run_args, verify_args, verify_blob_args};

/// Waits for `child` and reads what it wrote on its (piped) stderr.
fn wait_with_stderr(child: &mut std::process::Child) -> (std::process::ExitStatus, String) {
    use std::io::Read as _;
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status, err)
}

/// Issue 14: SIGTERM (and SIGINT) to `provseal run` reach the build's whole process group;
/// provseal waits for it, writes nothing and exits 128 + the signal.
#[cfg(unix)]
#[test]
fn issue_14_signals_are_forwarded_to_the_build() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let prj = Project::new();
        prj.keygen("ci", "ed25519");
        // The build starts a grandchild (sleep) and would write dist/late.bin after it.
        let mut child = prj
            .cmd(&run_args(
                "ci.key",
                "att.intoto.jsonl",
                &[
                    "--",
                    "sh",
                    "-c",
                    "touch started; sleep 5; touch dist/late.bin",
                ],
            ))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while !prj.file("started").exists() {
            assert!(started.elapsed().as_secs() < 60, "the build never started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let st = std::process::Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let (status, err) = wait_with_stderr(&mut child);
        assert_eq!(status.code(), Some(code), "{err}");
        assert!(
            err.contains(&format!(
                "error: interrupted by SIG{signal}; the build was stopped and no attestation was written"
            )),
            "{err}"
        );
        // The build (and its sleep) got the signal: nothing appears after its 5 seconds.
        std::thread::sleep(std::time::Duration::from_secs(6));
        assert!(
            !prj.file("dist/late.bin").exists(),
            "the build went on running"
        );
        assert!(!prj.file("att.intoto.jsonl").exists());
    }
}

/// Issue 14: `--force` replaces a regular file but refuses a FIFO or a directory (exit 2,
/// nothing replaced, nothing left behind); attestations are public files (mode 0666 less the
/// umask, 0644 under 022).
#[cfg(unix)]
#[test]
fn issue_14_force_refuses_special_files_and_outputs_follow_the_umask() {
    use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
    let prj = Project::new();
    prj.keygen("ci", "ed25519");
    let st = std::process::Command::new("mkfifo")
        .arg(prj.file("fifo.jsonl"))
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::create_dir(prj.file("dir.jsonl")).unwrap();
    for (out, kind) in [("fifo.jsonl", "a FIFO"), ("dir.jsonl", "a directory")] {
        let (c, _, err) = prj.run(&attest_args("ci.key", out, &["--force"]));
        assert_eq!(c, 2, "{err}");
        assert!(
            err.contains(&format!("refusing to replace `{out}`: it is {kind}")),
            "{err}"
        );
    }
    assert!(std::fs::symlink_metadata(prj.file("fifo.jsonl"))
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(prj.file("dir.jsonl").is_dir());
    let (c, _, err) = prj.run(&attest_args("ci.key", "a.jsonl", &[]));
    assert_eq!(c, 0, "{err}");
    let mode = std::fs::metadata(prj.file("a.jsonl"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    let key_mode = std::fs::metadata(prj.file("ci.key"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(key_mode, 0o600);
    assert_eq!(mode & 0o600, 0o600);
    assert_ne!(
        mode, 0o600,
        "an attestation is public: not 0600 under the test's umask"
    );
}

/// Issue 14: a group/world-readable private key gets a warning naming it and its mode; an
/// endless key or signature file is refused at its limit (exit 2).
#[cfg(unix)]
#[test]
fn issue_14_key_modes_and_bounded_key_reads() {
    use std::os::unix::fs::PermissionsExt as _;
    let prj = Project::new();
    prj.keygen("ci", "ed25519");
    std::fs::set_permissions(prj.file("ci.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let (c, _, err) = prj.run(&attest_args("ci.key", "a.jsonl", &[]));
    assert_eq!(c, 0, "{err}");
    assert!(
        err.contains("warning: private key `ci.key` has mode 0644: group or others can read it (expected 0600)"),
        "{err}"
    );
    let (c, _, err) = prj.run(&attest_args("/dev/zero", "b.jsonl", &[]));
    assert_eq!(c, 2, "{err}");
    assert!(
        err.contains("private key `/dev/zero` is larger than the limit of 65536 bytes"),
        "{err}"
    );
    assert!(!prj.file("b.jsonl").exists());
    let (c, _, err) = prj.run(&verify_blob_args(
        "dist/tool-1.0.whl",
        "/dev/zero",
        "ci.pub",
        &[],
    ));
    assert_eq!(c, 2, "{err}");
    assert!(
        err.contains("signature `/dev/zero` is larger than the limit of 67108864 bytes"),
        "{err}"
    );
}

/// Issue 14: `--per-subject` writes every file or none: with one output in the way (and no
/// `--force`) nothing at all is written, and no staging file is left.
#[test]
fn issue_14_per_subject_is_all_or_nothing() {
    let prj = Project::new();
    prj.keygen("ci", "ed25519");
    std::fs::write(prj.file("dist/tool-1.0.whl.intoto.jsonl"), b"in the way").unwrap();
    let before = prj.listing();
    let (c, _, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "dist/*",
        "--per-subject",
    ]);
    assert_eq!(c, 2, "{err}");
    assert_eq!(prj.listing(), before);
    let (c, _, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "dist/*.gz",
        "--subject",
        "dist/*.whl",
        "--per-subject",
        "--force",
    ]);
    assert_eq!(c, 0, "{err}");
    for f in [
        "dist/tool-1.0.tar.gz.intoto.jsonl",
        "dist/tool-1.0.whl.intoto.jsonl",
    ] {
        let (c, out, err) = prj.run(&[
            "verify",
            f.trim_end_matches(".intoto.jsonl"),
            "--attestation",
            f,
            "--key",
            "ci.pub",
        ]);
        assert_eq!(c, 0, "{out}{err}");
    }
    // A run killed while renaming its outputs into place (pid above Linux's pid_max) left a
    // decided journal and one staged file: the next run into `dist` completes that set first.
    let dist = prj.file("dist");
    let target = dist.join("tool-1.0.whl.intoto.jsonl");
    let staged = dist.join(".tool-1.0.whl.intoto.jsonl.provseal-staging-4194305-Ss");
    std::fs::write(&staged, b"completed\n").unwrap();
    let journal = serde_json::json!({"dirs": [dist], "files": [[staged, target]]});
    std::fs::write(
        dist.join(".provseal-outputs-4194305-Jj.commit"),
        journal.to_string(),
    )
    .unwrap();
    let (c, _, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "dist/*.gz",
        "--per-subject",
        "--force",
    ]);
    assert_eq!(c, 0, "{err}");
    assert!(
        err.contains(
            "note: completed `dist/tool-1.0.whl.intoto.jsonl`: an earlier run was killed while \
             moving its outputs into place"
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"completed\n");
    assert!(prj.listing().iter().all(|f| !f.contains(".provseal-")));
}

/// Issue 14: `--follow-symlinks` is what lets `**` into a symlinked directory; a loop is an
/// error (exit 2) instead of a walk that never ends.
#[cfg(unix)]
#[test]
fn issue_14_globs_and_symlinked_directories() {
    let prj = Project::new();
    prj.keygen("ci", "ed25519");
    std::fs::create_dir_all(prj.file("other")).unwrap();
    std::fs::write(prj.file("other/o.bin"), b"o").unwrap();
    std::os::unix::fs::symlink("../other", prj.file("dist/ext")).unwrap();
    let attest = |out: &str, extra: &[&str]| {
        let head = [
            "attest",
            "--key",
            "ci.key",
            "--subject",
            "dist/**/*.bin",
            "--out",
            out,
        ];
        prj.run(&[&head[..], extra].concat())
    };
    let (c, _, err) = attest("a.jsonl", &[]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("matched no file"), "{err}");
    let (c, _, err) = attest("a.jsonl", &["--follow-symlinks"]);
    assert_eq!(c, 0, "{err}");
    std::os::unix::fs::symlink("..", prj.file("other/up")).unwrap();
    let (c, _, err) = attest("b.jsonl", &["--follow-symlinks"]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("symlink loop"), "{err}");
    assert!(!prj.file("b.jsonl").exists());
}

/// Issue 14: a name with a newline or an ANSI escape is printed escaped (one verdict line, no
/// terminal control), in `verify` and in `inspect`.
#[cfg(unix)]
#[test]
fn issue_14_control_characters_in_names_are_escaped() {
    let prj = Project::new();
    prj.keygen("ci", "ed25519");
    let evil = "dist/x\n\u{1b}[31mred.whl";
    std::fs::write(prj.file(evil), b"evil").unwrap();
    let (c, _, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "dist/*red.whl",
        "--out",
        "e.jsonl",
    ]);
    assert_eq!(c, 0, "{err}");
    let (c, out, err) = prj.run(&verify_args(evil, "e.jsonl", "ci.pub", &[]));
    assert_eq!(c, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("dist/x\\n\\u{1b}[31mred.whl: verified"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'));
    let (c, out, err) = prj.run(&["inspect", "e.jsonl"]);
    assert_eq!(c, 0, "{err}");
    assert!(out.contains("dist/x\\n\\u{1b}[31mred.whl"), "{out}");
    assert!(!out.contains('\u{1b}'));
}

/// Issue 14: `verify` shows each verdict as it is decided, not after every artifact is read.
/// The first verdict lines fill the stdout pipe (each names a ~2 KB path) while the test does
/// not read it, so provseal blocks before it reaches the last artifacts; the test then removes
/// the last file and reads on. Had every artifact been read before the first line was printed,
/// the removed file would still verify.
#[test]
fn issue_14_verify_streams_its_verdicts() {
    use std::io::Read as _;
    let prj = Project::new();
    prj.keygen("ci", "ed25519");
    let mut dir = std::path::PathBuf::from("dist");
    for i in 0..8 {
        dir.push(format!("{i}{}", "d".repeat(240)));
    }
    std::fs::create_dir_all(prj.path().join(&dir)).unwrap();
    let names: Vec<String> = (0..100)
        .map(|i| {
            let name = dir.join(format!("a{i:03}.bin"));
            std::fs::write(prj.path().join(&name), format!("artifact {i}")).unwrap();
            name.to_str().unwrap().to_owned()
        })
        .collect();
    let (c, _, err) = prj.run(&[
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "dist/**/*.bin",
        "--out",
        "all.intoto.jsonl",
    ]);
    assert_eq!(c, 0, "{err}");
    let mut args = vec![
        "verify",
        "--attestation",
        "all.intoto.jsonl",
        "--key",
        "ci.pub",
    ];
    args.extend(names.iter().map(String::as_str));
    let mut child = prj
        .cmd(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // The first line: provseal has started printing (and will block on the full pipe).
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    std::fs::remove_file(prj.path().join(names.last().unwrap())).unwrap();
    let mut out = String::from_utf8(first.to_vec()).unwrap();
    stdout.read_to_string(&mut out).unwrap();
    let (status, err) = wait_with_stderr(&mut child);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 100, "{err}");
    for (line, name) in lines.iter().zip(&names).take(99) {
        assert!(line.starts_with(&format!("{name}: verified: ")), "{line}");
    }
    let last = names.last().unwrap();
    assert_eq!(
        lines[99],
        format!("{last}: cannot read artifact: `{last}`: no such file")
    );
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("99 verified, 1 failed"), "{err}");
}
