//! Issue 13: the hashing progress bar, drawn on a real pseudo-terminal (`script` from
//! util-linux): over 1,000 files it shows at once and ends with its closing line on the
//! terminal; with stderr a pipe, or under `--quiet`, `--json` or `NO_COLOR`, nothing is drawn.

use std::path::Path;
use std::process::Command;

use provseal_testsupport::{provseal_bin, require_tool};

use crate::Project;

/// The closing line's start for the 1,001 files of [`many_files`].
const CLOSING: &str = "hashed 1001 file(s), ";

/// A keyed project with 1,001 files under `many/`.
fn many_files() -> Project {
    let prj = Project::new();
    prj.keygen("ci", "ed25519");
    std::fs::create_dir(prj.file("many")).unwrap();
    for i in 0..1_001 {
        std::fs::write(
            prj.file(&format!("many/f{i:04}.bin")),
            format!("file {i}\n"),
        )
        .unwrap();
    }
    prj
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs `provseal ARGS` (then `SUFFIX`, a shell redirection) on a pseudo-terminal with `env`
/// added; returns its exit code and everything the terminal showed.
fn on_a_terminal(
    prj: &Project,
    args: &[&str],
    suffix: &str,
    env: &[(&str, &str)],
) -> (i32, String) {
    let mut line = quote(&provseal_bin().display().to_string());
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    line.push_str(suffix);
    let mut c = Command::new("script");
    c.args(["-qec", &line, "/dev/null"])
        .current_dir(prj.path())
        .env_remove("NO_COLOR")
        .env_remove("PROVSEAL_KEY")
        .env("TERM", "xterm")
        .env("SHELL", "/bin/sh");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn attest<'a>(out: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "attest",
        "--key",
        "ci.key",
        "--subject",
        "many/*",
        "--out",
        out,
    ];
    v.extend_from_slice(more);
    v
}

#[test]
fn issue_13_progress_bar_on_a_terminal_only() {
    if !require_tool(
        "issue_13_progress_bar_on_a_terminal_only",
        "script",
        &["--version"],
    ) {
        return;
    }
    let prj = many_files();

    // On a terminal: the bar, then its closing line with size, time and rate.
    let (code, tty) = on_a_terminal(&prj, &attest("a.intoto.jsonl", &[]), "", &[]);
    assert_eq!(code, 0, "{tty}");
    assert!(
        tty.contains(CLOSING),
        "no closing line on the terminal:\n{tty}"
    );
    assert!(tty.contains("hashing ["), "no bar on the terminal:\n{tty}");

    // `verify` of the 1,001 artifacts draws the same bar.
    let mut verify = vec!["verify"];
    let names: Vec<String> = (0..1_001).map(|i| format!("many/f{i:04}.bin")).collect();
    verify.extend(names.iter().map(String::as_str));
    verify.extend(["--attestation", "a.intoto.jsonl", "--key", "ci.pub"]);
    let (code, tty) = on_a_terminal(&prj, &verify, "", &[]);
    assert_eq!(code, 0, "{tty}");
    assert!(tty.contains(CLOSING), "verify drew no bar:\n{tty}");
    assert!(tty.contains("1001 verified, 0 failed"), "{tty}");

    // stderr a pipe (a file here): nothing drawn, neither on the terminal nor in the file.
    let (code, tty) = on_a_terminal(&prj, &attest("b.intoto.jsonl", &[]), " 2>err.txt", &[]);
    assert_eq!(code, 0, "{tty}");
    let err = std::fs::read_to_string(prj.file("err.txt")).unwrap();
    assert!(
        !tty.contains("hashed ") && !tty.contains("hashing ["),
        "{tty}"
    );
    assert!(
        !err.contains("hashed ") && !err.contains("hashing ["),
        "{err}"
    );
    assert!(Path::new(&prj.file("b.intoto.jsonl")).is_file());

    // --quiet, --json and NO_COLOR: nothing drawn, the command still works.
    for (out, more, env) in [
        ("c.intoto.jsonl", &["--quiet"][..], &[][..]),
        ("d.intoto.jsonl", &["--json"][..], &[][..]),
        ("e.intoto.jsonl", &[][..], &[("NO_COLOR", "1")][..]),
    ] {
        let (code, tty) = on_a_terminal(&prj, &attest(out, more), "", env);
        assert_eq!(code, 0, "{more:?} {env:?}: {tty}");
        assert!(
            !tty.contains("hashed ") && !tty.contains("hashing ["),
            "{more:?} {env:?} drew a bar:\n{tty}"
        );
        assert!(prj.file(out).is_file(), "{more:?} {env:?}");
    }
}
