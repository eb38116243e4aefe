//! What the pipeline tells its caller while it works. The library prints nothing: the CLI
//! implements [`Observer`] and turns each [`Event`] into its notes, warnings and progress.

use std::path::{Path, PathBuf};

use provseal_crypto::hash::HashProgress;
use provseal_materials::snapshot::{Drift, Snapshot};

use crate::summary::Emitted;

/// One thing that happened, in the order it happened.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// `run`: the snapshot taken before the build (its warnings and unrecorded lockfiles are for
    /// the user).
    SnapshotTaken {
        /// The snapshot.
        snapshot: &'a Snapshot,
    },
    /// `run`: the work tree is dirty only because of provseal's own earlier outputs (it is
    /// recorded as dirty all the same).
    TreeDirtyFromOwnOutputs {
        /// The dirty paths, relative to the work-tree root.
        paths: &'a [String],
    },
    /// `run`: the build is about to start.
    BuildStarting {
        /// How many materials the snapshot recorded.
        materials: usize,
        /// The build command.
        command: &'a [String],
    },
    /// `run`: the drift between the snapshots before and after the build (possibly empty).
    Drift {
        /// The drift.
        drift: &'a Drift,
    },
    /// Subject patterns matched provseal's own outputs, which are not attested.
    OwnOutputsSkipped {
        /// Their subject names.
        names: &'a [String],
    },
    /// The subjects are about to be hashed.
    HashingStarted {
        /// The files.
        files: &'a [PathBuf],
    },
    /// Hashing is over (successfully or not). Meanwhile [`Observer::hash_progress`] was told
    /// the total, then bytes and files as they were done.
    HashingFinished,
    /// `attest`: the working directory is not in a git work tree; the source is recorded as
    /// absent.
    SourceAbsent,
    /// A staging file that a killed earlier run left was removed.
    LeftoverRemoved {
        /// The file.
        path: &'a Path,
    },
    /// An output of a killed earlier run was completed: the run was killed while renaming its
    /// staged files into place, and its journal said to finish.
    LeftoverCompleted {
        /// The output.
        path: &'a Path,
    },
    /// The attestations are signed and in place.
    Written {
        /// What was written.
        emitted: &'a Emitted,
    },
}

/// Receives the pipeline's [`Event`]s, and the hashing's progress.
pub trait Observer: Sync {
    /// Called once per event, on the pipeline's thread.
    fn event(&mut self, event: Event<'_>);

    /// Called from the hashing threads between [`Event::HashingStarted`] and
    /// [`Event::HashingFinished`] (the total first, then bytes and files as they are done).
    fn hash_progress(&self, progress: HashProgress) {
        let _ = progress;
    }
}

/// An observer that ignores every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {
    fn event(&mut self, _: Event<'_>) {}
}

/// An observer that keeps a one-line description of each event, and counts the bytes the
/// hashing reported (tests, logs).
#[derive(Debug, Default)]
pub struct Recorded {
    /// One line per event, in order.
    pub events: Vec<String>,
    /// The bytes reported hashed through [`Observer::hash_progress`].
    pub hashed_bytes: std::sync::atomic::AtomicU64,
}

impl Observer for Recorded {
    fn event(&mut self, event: Event<'_>) {
        let line = match event {
            Event::SnapshotTaken { snapshot } => {
                format!("snapshot: {} materials", snapshot.materials.len())
            }
            Event::TreeDirtyFromOwnOutputs { paths } => format!("dirty from own: {paths:?}"),
            Event::BuildStarting { materials, command } => {
                format!("build: {command:?} after {materials} materials")
            }
            Event::Drift { drift } => format!("drift: empty={}", drift.is_empty()),
            Event::OwnOutputsSkipped { names } => format!("own outputs skipped: {names:?}"),
            Event::HashingStarted { files } => format!("hashing {} file(s)", files.len()),
            Event::HashingFinished => "hashed".into(),
            Event::SourceAbsent => "source absent".into(),
            Event::LeftoverRemoved { path } => format!("leftover removed: {}", path.display()),
            Event::LeftoverCompleted { path } => {
                format!("leftover completed: {}", path.display())
            }
            Event::Written { emitted } => format!("written: {:?}", emitted.written),
        };
        self.events.push(line);
    }

    fn hash_progress(&self, progress: HashProgress) {
        if let HashProgress::Bytes(n) = progress {
            self.hashed_bytes
                .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        }
    }
}
