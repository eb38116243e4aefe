//! A progress bar on stderr while artifacts are hashed: bytes done against the total, the rate
//! and the time left, then one closing line. Shown when hashing takes over a second or covers
//! over 1,000 files, and only on a terminal; never under `--quiet`, `--json` or `NO_COLOR`.
//! The hashing library reports its progress ([`HashProgress`]); this module only draws it.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use provseal_crypto::hash::HashProgress;

/// Over this many files, the bar shows at once.
const MANY_FILES: usize = 1_000;
/// Hashing that takes longer than this shows the bar.
const SLOW: Duration = Duration::from_secs(1);
/// How the bar looks while it runs.
const TEMPLATE: &str =
    "hashing [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}";

/// What the command prints on stdout: a JSON report turns the bar off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdout {
    /// Human output.
    Human,
    /// A JSON report (`--json`).
    Json,
}

impl Stdout {
    /// [`Stdout::Json`] when `--json` was given.
    pub fn of(json: bool) -> Self {
        if json {
            Stdout::Json
        } else {
            Stdout::Human
        }
    }
}

/// Whether a bar may be drawn at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conditions {
    /// stderr is a terminal.
    pub terminal: bool,
    /// `-q/--quiet`.
    pub quiet: bool,
    /// `--json` output.
    pub json: bool,
    /// `NO_COLOR` is set.
    pub no_color: bool,
}

impl Conditions {
    /// The conditions of this process.
    pub fn current(stdout: Stdout) -> Self {
        Conditions {
            terminal: std::io::stderr().is_terminal(),
            quiet: crate::output::quiet(),
            json: stdout == Stdout::Json,
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }

    fn allowed(self) -> bool {
        self.terminal && !self.quiet && !self.json && !self.no_color
    }
}

/// When to show the bar for `files` files: never, at once, or after [`SLOW`].
fn delay(conditions: Conditions, files: usize) -> Option<Duration> {
    if !conditions.allowed() {
        None
    } else if files > MANY_FILES {
        Some(Duration::ZERO)
    } else {
        Some(SLOW)
    }
}

/// The closing line once every file is hashed: count, size, time and rate.
fn summary(files: u64, bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    // Under a millisecond, a rate means nothing.
    let rate = if secs >= 0.001 {
        format!(", {}/s", HumanBytes((bytes as f64 / secs) as u64))
    } else {
        String::new()
    };
    format!(
        "hashed {files} file(s), {} in {secs:.1}s{rate}",
        HumanBytes(bytes)
    )
}

/// Counters the bar's thread and the hashing threads share.
#[derive(Default)]
struct Counts {
    files: AtomicU64,
    files_done: AtomicU64,
    bytes: AtomicU64,
    shown: AtomicBool,
}

/// The bar while hashing runs: feed it [`Hashing::observe`]; dropping it ends the bar, with a
/// closing line when it was shown and every file was hashed.
pub struct Hashing {
    bar: Option<ProgressBar>,
    counts: Arc<Counts>,
    started: Instant,
    done: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Prepares the bar for hashing `files` files (drawn only under the conditions above).
pub fn hashing(files: usize, stdout: Stdout) -> Hashing {
    hashing_under(Conditions::current(stdout), files)
}

fn hashing_under(conditions: Conditions, files: usize) -> Hashing {
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let Some(delay) = delay(conditions, files) else {
        return Hashing {
            bar: None,
            counts,
            started,
            done: None,
            thread: None,
        };
    };
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
        bar.set_style(style.progress_chars("=> "));
    }
    let (tx, rx) = mpsc::channel::<()>();
    let thread = {
        let bar = bar.clone();
        let counts = Arc::clone(&counts);
        std::thread::spawn(move || {
            if rx.recv_timeout(delay) != Err(mpsc::RecvTimeoutError::Timeout) {
                return; // done (or gone) before it was worth showing
            }
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
            counts.shown.store(true, Ordering::Relaxed);
            let _ = rx.recv();
        })
    };
    Hashing {
        bar: Some(bar),
        counts,
        started,
        done: Some(tx),
        thread: Some(thread),
    }
}

impl Hashing {
    /// Whether a bar may be drawn (on a terminal, not turned off).
    pub fn active(&self) -> bool {
        self.bar.is_some()
    }

    /// Runs `f` with the bar hidden, so that a line it prints does not tangle with the bar.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Takes one event from the hashing library (called from its threads).
    pub fn observe(&self, event: HashProgress) {
        let Some(bar) = &self.bar else { return };
        match event {
            // A later pass (a digest algorithm a statement needs, computed afterwards) adds its
            // files to the total.
            HashProgress::Started { files, bytes } => {
                let total = self.counts.files.fetch_add(files, Ordering::Relaxed) + files;
                let done = self.counts.files_done.load(Ordering::Relaxed);
                bar.inc_length(bytes);
                bar.set_message(format!("{done}/{total} files"));
            }
            HashProgress::Bytes(n) => {
                self.counts.bytes.fetch_add(n, Ordering::Relaxed);
                bar.inc(n);
            }
            HashProgress::FileDone => {
                let done = self.counts.files_done.fetch_add(1, Ordering::Relaxed) + 1;
                let files = self.counts.files.load(Ordering::Relaxed);
                bar.set_message(format!("{done}/{files} files"));
            }
            _ => {}
        }
    }
}

impl Drop for Hashing {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let Some(bar) = self.bar.take() else { return };
        bar.finish_and_clear();
        let c = &self.counts;
        let files = c.files.load(Ordering::Relaxed);
        if c.shown.load(Ordering::Relaxed) && c.files_done.load(Ordering::Relaxed) == files {
            // a terminal that went away is no reason to fail (or to panic, as eprintln! would)
            let line = summary(
                files,
                c.bytes.load(Ordering::Relaxed),
                self.started.elapsed(),
            );
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_only_on_a_terminal_and_never_when_asked_not_to() {
        let tty = Conditions {
            terminal: true,
            quiet: false,
            json: false,
            no_color: false,
        };
        assert_eq!(delay(tty, 1), Some(SLOW));
        assert_eq!(delay(tty, 1_000), Some(SLOW));
        assert_eq!(delay(tty, 1_001), Some(Duration::ZERO));
        for off in [
            Conditions {
                terminal: false,
                ..tty
            },
            Conditions { quiet: true, ..tty },
            Conditions { json: true, ..tty },
            Conditions {
                no_color: true,
                ..tty
            },
        ] {
            assert_eq!(delay(off, 5_000), None, "{off:?}");
        }
    }

    #[test]
    fn the_closing_line_gives_count_size_time_and_rate() {
        assert_eq!(
            summary(1_001, 3 * 1024 * 1024, Duration::from_millis(1_500)),
            "hashed 1001 file(s), 3.00 MiB in 1.5s, 2.00 MiB/s"
        );
        assert_eq!(
            summary(1, 10, Duration::ZERO),
            "hashed 1 file(s), 10 B in 0.0s"
        );
    }

    /// A second hashing pass (`verify` computing a digest algorithm a statement needs) adds its
    /// file to the total, so that the closing line still counts every file.
    #[test]
    fn a_later_start_adds_to_the_total() {
        let tty = Conditions {
            terminal: true,
            quiet: false,
            json: false,
            no_color: false,
        };
        let h = hashing_under(tty, 2);
        h.observe(HashProgress::Started {
            files: 2,
            bytes: 10,
        });
        h.observe(HashProgress::FileDone);
        h.observe(HashProgress::Started { files: 1, bytes: 5 });
        assert_eq!(h.counts.files.load(Ordering::Relaxed), 3);
        assert_eq!(h.bar.as_ref().and_then(|b| b.length()), Some(15));
        assert_eq!(
            h.bar.as_ref().map(|b| b.message()).as_deref(),
            Some("1/3 files")
        );
    }

    /// Off the terminal, events are taken and nothing is drawn.
    #[test]
    fn off_the_terminal_events_are_ignored() {
        let off = Conditions {
            terminal: false,
            quiet: false,
            json: false,
            no_color: false,
        };
        let h = hashing_under(off, 5_000);
        assert!(h.bar.is_none());
        h.observe(HashProgress::Started { files: 1, bytes: 1 });
        h.observe(HashProgress::Bytes(1));
        h.observe(HashProgress::FileDone);
        assert_eq!(h.counts.files_done.load(Ordering::Relaxed), 0);
    }
}
