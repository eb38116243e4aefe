//! kill -9 during the journaled commit of several outputs (`--per-subject`): whatever moment the
//! writer dies at, the next writer into any of the directories leaves every output of the old
//! run or every output of the new one, and nothing of provseal's own.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use provseal_attest::{Overwrite, StagedOutputs};

/// Output directories of one run, and outputs per directory.
const DIRS: usize = 3;
const PER_DIR: usize = 200;

fn target(dir: &Path, d: usize, i: usize) -> PathBuf {
    dir.join(format!("d{d}"))
        .join(format!("f{i:04}.intoto.jsonl"))
}

/// The writer that [`issue_14_kill_9_during_a_per_subject_commit`] runs as a child process and
/// kills: stages `DIRS × PER_DIR` outputs of run `PROVSEAL_TEST_RUN` under `PROVSEAL_TEST_DIR`,
/// says `committing`, and commits. Ignored in normal runs; run alone it fails.
#[test]
#[ignore = "the child process of issue_14_kill_9_during_a_per_subject_commit"]
fn issue_14_per_subject_kill_child() {
    let dir = PathBuf::from(std::env::var_os("PROVSEAL_TEST_DIR").expect("run by the kill test"));
    let run: usize = std::env::var("PROVSEAL_TEST_RUN").unwrap().parse().unwrap();
    let mut staged = StagedOutputs::new(Overwrite::Allow);
    for d in 0..DIRS {
        for i in 0..PER_DIR {
            staged
                .stage(&target(&dir, d, i), format!("run {run}\n").as_bytes())
                .unwrap();
        }
    }
    println!("committing");
    staged.commit().unwrap();
    println!("committed");
}

/// What a reader sees: the one run every output holds (panics on a mix, a missing output or a
/// leftover staging file or journal).
fn one_run(dir: &Path) -> usize {
    let mut runs = std::collections::BTreeMap::<String, usize>::new();
    for d in 0..DIRS {
        let sub = dir.join(format!("d{d}"));
        let mut names: Vec<String> = std::fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), PER_DIR, "{}: {:?}", sub.display(), &names[..3]);
        for i in 0..PER_DIR {
            let text = std::fs::read_to_string(target(dir, d, i)).unwrap();
            *runs.entry(text).or_default() += 1;
        }
    }
    assert_eq!(runs.len(), 1, "outputs of several runs: {runs:?}");
    let text = runs.into_keys().next().unwrap();
    text.trim_end()
        .strip_prefix("run ")
        .unwrap()
        .parse()
        .unwrap()
}

/// Issue 14: kill -9 at 12 moments (6 at once, 6 at random) of a 600-output commit over existing outputs in
/// three directories. After each kill, a writer that only stages into each directory (and then
/// gives up) resolves what the killed run left: every output then holds the killed run or the
/// one before it, never a mix, and no staging file or journal remains.
#[test]
fn issue_14_kill_9_during_a_per_subject_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    for d in 0..DIRS {
        std::fs::create_dir(dir.join(format!("d{d}"))).unwrap();
    }
    // Starts run `run`; returns the child once it is committing.
    let start = |run: usize| {
        let run = run.to_string();
        provseal_testsupport::start_child_test(
            "kill::issue_14_per_subject_kill_child",
            &[
                ("PROVSEAL_TEST_DIR", dir.as_os_str()),
                ("PROVSEAL_TEST_RUN", run.as_ref()),
            ],
            "committing",
        )
    };
    // Run 0 fills the directories; run 1, uninterrupted, tells how long a commit takes.
    let t0 = Instant::now();
    let mut t_commit = Duration::ZERO;
    for run in 0..2 {
        let (mut child, _out) = start(run);
        let began = Instant::now();
        assert!(child.wait().unwrap().success());
        t_commit = began.elapsed();
        assert_eq!(one_run(&dir), run);
    }
    let mut moments = provseal_testsupport::KillMoments::new(t_commit, 1200);
    let (mut last, mut forward, mut back) = (1, 0, 0);
    for run in 2..14 {
        // Every other kill at once (most often before the decision), the others at a moment in
        // [0, 1.2 × the commit time).
        let delay = match run % 2 {
            0 => Duration::ZERO,
            _ => moments.next_delay(),
        };
        let (mut child, _out) = start(run);
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        // The next writer resolves the leftovers when it first stages into a directory; the
        // directories are visited in a different order each time.
        let mut probe = StagedOutputs::new(Overwrite::Allow);
        for k in 0..DIRS {
            let d = (k + run) % DIRS;
            probe
                .stage(&dir.join(format!("d{d}")).join("probe"), b"probe")
                .unwrap();
        }
        drop(probe);
        let found = one_run(&dir);
        assert!(found == last || found == run, "run {run}: found {found}");
        if found == run {
            forward += 1;
        } else {
            back += 1;
        }
        last = found;
    }
    eprintln!(
        "per-subject kill test: commit time {t_commit:?}, after 12 kills: {forward} new sets, \
         {back} old sets, total {:?}",
        t0.elapsed()
    );
}
