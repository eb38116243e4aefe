//! A progress indicator on stderr while artifacts are hashed: shown when hashing takes over a
//! second or covers over 1,000 files, and only on a terminal; never under `--quiet`, `--json`
//! or `NO_COLOR`. The hashing API reports no position, so it is a spinner with the file count,
//! the total size and the elapsed time.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Over this many files, the indicator shows at once.
const MANY_FILES: usize = 1_000;
/// Hashing that takes longer than this shows the indicator.
const SLOW: Duration = Duration::from_secs(1);

/// Whether an indicator may be drawn at all.
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
    pub fn current(json: bool) -> Self {
        Conditions {
            terminal: std::io::stderr().is_terminal(),
            quiet: crate::output::quiet(),
            json,
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }

    fn allowed(self) -> bool {
        self.terminal && !self.quiet && !self.json && !self.no_color
    }
}

/// When to show the indicator for `files` files: never, at once, or after [`SLOW`].
fn delay(conditions: Conditions, files: usize) -> Option<Duration> {
    if !conditions.allowed() {
        None
    } else if files > MANY_FILES {
        Some(Duration::ZERO)
    } else {
        Some(SLOW)
    }
}

/// The indicator while it runs; dropping it clears it.
pub struct Hashing {
    done: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the indicator for hashing `files` (shown only under the conditions above).
pub fn hashing<P: AsRef<Path>>(files: &[P], json: bool) -> Hashing {
    let Some(delay) = delay(Conditions::current(json), files.len()) else {
        return Hashing {
            done: None,
            thread: None,
        };
    };
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let message = format!(
        "hashing {} file(s), {}",
        files.len(),
        indicatif::HumanBytes(bytes)
    );
    let (tx, rx) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        if rx.recv_timeout(delay) != Err(mpsc::RecvTimeoutError::Timeout) {
            return; // done (or gone) before it was worth showing
        }
        let bar =
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_elapsed(delay);
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        let _ = rx.recv();
        bar.finish_and_clear();
    });
    Hashing {
        done: Some(tx),
        thread: Some(thread),
    }
}

impl Drop for Hashing {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
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
}
