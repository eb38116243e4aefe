//! The producer settings shared by `attest` and `run` (output shape and format, the producer),
//! and the notes the pipeline's events become. The work is provseal-attest's
//! (`provseal_attest::pipeline`).

use provseal_attest::{
    AttestError, Emitted, Event, Observer, OutputSettings, Overwrite, Producer, Shape, SignedBy,
    Written,
};
use provseal_materials::snapshot::Drift;

use crate::args::{OutputArgs, OutputFormat, SigningArgs};
use crate::Failure;

/// What signs, and the `provseal attest --keyless …` command that signs the same products
/// again when keyless signing fails after a build.
pub struct OpenedProducer {
    /// The producer.
    pub producer: Producer,
    /// The re-sign command (keyless only).
    pub resign: Option<String>,
}

/// Opens what signs — the key named by `--key`, or the CI identity with `--keyless` (token
/// fetched and checked) — before any work is done (a bad key or token costs no build).
pub fn open_producer(
    args: &SigningArgs,
    subjects: &[String],
    output: &OutputArgs,
) -> Result<OpenedProducer, Failure> {
    if args.keyless.keyless {
        #[cfg(feature = "keyless")]
        {
            let (producer, resign) =
                crate::keyless::open_producer(&args.keyless, subjects, output)?;
            return Ok(OpenedProducer {
                producer,
                resign: Some(resign),
            });
        }
        #[cfg(not(feature = "keyless"))]
        {
            let _ = (subjects, output);
            return Err(crate::keyless_unavailable());
        }
    }
    Ok(OpenedProducer {
        producer: Producer::Key(crate::keys::open_signer(args)?),
        resign: None,
    })
}

/// `--out`, `--batch`, `--per-subject`, `--format` and `--force` as the library's settings.
pub fn output_settings(out: &OutputArgs) -> OutputSettings {
    let shape = if let Some(dir) = &out.batch {
        Shape::Batch { dir: dir.clone() }
    } else if out.per_subject {
        Shape::PerSubject
    } else {
        Shape::Single {
            out: out.out.clone(),
        }
    };
    OutputSettings {
        shape,
        format: match out.format {
            OutputFormat::IntotoJsonl => provseal_attest::OutputFormat::IntotoJsonl,
            OutputFormat::SigstoreBundle => provseal_attest::OutputFormat::SigstoreBundle,
        },
        overwrite: if out.force {
            Overwrite::Allow
        } else {
            Overwrite::Refuse
        },
    }
}

/// A pipeline error as a failure; a keyless signing failure (always after the products exist)
/// says that nothing was written and how to sign again.
pub fn failure(e: AttestError, opened: &OpenedProducer) -> Failure {
    match (e, &opened.resign) {
        #[cfg(feature = "keyless")]
        (AttestError::Keyless(e), Some(resign)) => crate::keyless::failure_after_build(e, resign),
        (e, _) => e.into(),
    }
}

/// Prints the pipeline's events as notes on stderr, and shows the hashing progress.
pub struct Notes {
    json: bool,
    progress: Option<crate::progress::Hashing>,
}

impl Notes {
    /// Notes for a command whose stdout is a JSON report when `json`.
    pub fn new(json: bool) -> Self {
        Notes {
            json,
            progress: None,
        }
    }
}

impl Observer for Notes {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::SnapshotTaken { snapshot } => crate::materials::print_warnings(snapshot),
            Event::TreeDirtyFromOwnOutputs { paths } => note!(
                "note: the work tree is dirty only because of provseal's own output(s) `{}`; it is \
                 recorded as dirty: add them to `.gitignore` or write them outside the tree",
                paths.join("`, `")
            ),
            Event::BuildStarting { materials, command } => note!(
                "recorded {} materials before the build; running `{}`",
                materials,
                command.join(" ")
            ),
            Event::Drift { drift } => print_drift(drift),
            Event::OwnOutputsSkipped { names } => note!(
                "note: not attesting provseal's own output(s) matched by --subject: `{}`",
                names.join("`, `")
            ),
            Event::HashingStarted { files } => {
                self.progress = Some(crate::progress::hashing(
                    files.len(),
                    crate::progress::Stdout::of(self.json),
                ));
            }
            Event::HashingFinished => self.progress = None,
            Event::SourceAbsent => {
                note!("note: not in a git work tree: the source is recorded as absent")
            }
            Event::LeftoverRemoved { path } => note!(
                "note: removed `{}`, left by an earlier run that was killed before it finished",
                path.display()
            ),
            Event::LeftoverCompleted { path } => note!(
                "note: completed `{}`: an earlier run was killed while moving its outputs into place",
                path.display()
            ),
            Event::Written { emitted } => print_written(emitted),
            _ => {}
        }
    }

    fn hash_progress(&self, progress: provseal_crypto::hash::HashProgress) {
        if let Some(bar) = &self.progress {
            bar.observe(progress);
        }
    }
}

/// Who signed, for messages.
fn who(signed_by: &SignedBy) -> String {
    match signed_by {
        SignedBy::Key(id) => format!("key {id}"),
        SignedBy::Keyless => "the CI identity (keyless)".to_owned(),
    }
}

fn print_written(emitted: &Emitted) {
    let who = who(&emitted.signed_by);
    match &emitted.written {
        Written::Single { path } => note!(
            "attested {} subject(s) in one statement, signed by {who}, wrote `{}`",
            emitted.subjects.len(),
            path.display()
        ),
        Written::PerSubject { paths } => note!(
            "attested {} artifact(s) one statement each, signed by {who}",
            paths.len()
        ),
        Written::Batch {
            dir,
            root_hex,
            entries,
            ..
        } => note!(
            "batch of {} statement(s) signed with one signature by {who} (root {root_hex}); wrote {} entries to `{}`",
            entries.len(),
            entries.len(),
            dir.display()
        ),
    }
}

fn print_drift(drift: &Drift) {
    if drift.is_empty() {
        note!("drift: none (dependencies and source unchanged by the build)");
        return;
    }
    note!(
        "drift: {} added, {} removed, {} changed, {} lockfile(s) changed{}{}",
        drift.added.len(),
        drift.removed.len(),
        drift.changed.len(),
        drift.lockfiles_changed.len(),
        if drift.source_became_dirty || !drift.new_dirty_paths.is_empty() {
            ", source tree dirtied"
        } else {
            ""
        },
        if drift.source_commit_changed {
            ", HEAD moved"
        } else {
            ""
        }
    );
    for a in drift.added.iter().take(20) {
        note!("  + {}", a.id);
    }
    for r in drift.removed.iter().take(20) {
        note!("  - {}", r.id);
    }
    for c in drift
        .changed
        .iter()
        .chain(&drift.lockfiles_changed)
        .take(20)
    {
        note!("  ~ {}: {} → {}", c.key, c.old.id, c.new.id);
    }
    for p in drift.new_dirty_paths.iter().take(20) {
        note!("  dirty: {p}");
    }
}
