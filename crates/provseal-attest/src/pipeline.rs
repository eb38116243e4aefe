//! The two producer commands end to end: [`attest`] (hash existing products, sign, write) and
//! [`run`] (snapshot, build, snapshot again, hash, SBOM, sign, write). The caller resolves its
//! settings first and opens the [`Producer`] (a bad key costs no build); progress and notes reach
//! it through an [`Observer`].

use std::path::{Path, PathBuf};

use provseal_crypto::hash::{HashAlgorithm, HashProgress};
use provseal_materials::sbom::SbomMetadata;
use provseal_materials::snapshot::{diff, snapshot_default, Snapshot};
use provseal_materials::CollectContext;
use serde_json::{json, Value};

use crate::build::{run_build, BuildEnd, BuildStdout};
use crate::emit::{
    check_outputs_free, drop_own_outputs, emit, planned_outputs, ExtraOutput, OutputSettings,
    OwnOutputs, Producer,
};
use crate::observer::{Event, Observer};
use crate::run::{run_input, RunRecord};
use crate::summary::Emitted;
use crate::{
    attest_input_for, hash_subjects_observed, new_invocation_id, now_rfc3339, resolve_subjects,
    resolve_subjects_with, AttestError, AttestRequest, SubjectFile, DEFAULT_BUILDER_ID,
};

/// The planned outputs for `files` (and `also`, the SBOM), checked before any work.
fn planned_for(
    files: &[SubjectFile],
    out: &OutputSettings,
    producer: &Producer,
    also: Option<&PathBuf>,
) -> Vec<PathBuf> {
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let mut planned = planned_outputs(&names, &out.shape, producer.format(out.format));
    planned.extend(also.cloned());
    planned
}

/// Resolves the subjects after any build, refuses existing outputs, and drops provseal's own
/// outputs from them.
fn products(
    req: &AttestRequest,
    out: &OutputSettings,
    producer: &Producer,
    also: Option<&PathBuf>,
    observer: &mut dyn Observer,
) -> Result<Vec<SubjectFile>, AttestError> {
    let files = resolve_subjects_with(&req.cwd, &req.subjects, req.subject_options)?;
    let planned = planned_for(&files, out, producer, also);
    check_outputs_free(&req.cwd, &planned, out.overwrite)?;
    let files = drop_own_outputs(&req.cwd, files, &req.subjects, &planned, observer);
    if files.is_empty() {
        return Err(AttestError::NoSubjects);
    }
    producer.prepare()?;
    Ok(files)
}

/// Runs `f` between [`Event::HashingStarted`] and [`Event::HashingFinished`], with the
/// observer's [`Observer::hash_progress`] as its progress callback.
fn hashing<T>(
    files: &[SubjectFile],
    observer: &mut dyn Observer,
    f: impl FnOnce(&(dyn Fn(HashProgress) + Sync)) -> Result<T, AttestError>,
) -> Result<T, AttestError> {
    let paths: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
    observer.event(Event::HashingStarted { files: &paths });
    let result = {
        let progress: &dyn Observer = observer;
        f(&|p| progress.hash_progress(p))
    };
    observer.event(Event::HashingFinished);
    result
}

/// `provseal attest`: resolve the subjects, refuse existing outputs before any work, hash them,
/// record the git source, then sign and write in the shape `out` asks for.
pub fn attest(
    req: &AttestRequest,
    out: &OutputSettings,
    producer: &Producer,
    observer: &mut dyn Observer,
) -> Result<Emitted, AttestError> {
    let files = products(req, out, producer, None, observer)?;
    let input = hashing(&files, observer, |progress| {
        attest_input_for(req, &files, progress)
    })?;
    if input.source.is_none() {
        observer.event(Event::SourceAbsent);
    }
    emit(&input, producer, out, &req.cwd, &[], observer)
}

/// What a drift between the snapshots means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DriftPolicy {
    /// Record it in the provenance.
    #[default]
    Record,
    /// Write nothing: [`RunOutcome::Drifted`].
    Fail,
}

/// What `provseal run` is asked to do.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The products: working directory, subject patterns (matched after the build), digests,
    /// builder id (empty: [`DEFAULT_BUILDER_ID`]).
    pub products: AttestRequest,
    /// Where the dependency snapshot looks.
    pub snapshot: CollectContext,
    /// The build command (argv), run in `products.cwd`.
    pub command: Vec<String>,
    /// Where the build's stdout goes.
    pub build_stdout: BuildStdout,
    /// What drift means.
    pub drift: DriftPolicy,
    /// Also write a CycloneDX 1.6 JSON SBOM of the snapshot here (its digest is signed).
    pub sbom: Option<PathBuf>,
}

/// How `run` ended.
#[derive(Debug)]
pub enum RunOutcome {
    /// The build succeeded; the attestation(s) are written.
    Attested(Box<RunReport>),
    /// The build exited non-zero (killed by signal `n`: `128 + n`); nothing was written.
    BuildFailed {
        /// Its exit code.
        code: i32,
    },
    /// This process received a signal during the build and forwarded it; nothing was written.
    Interrupted {
        /// The signal number.
        signal: i32,
    },
    /// The dependencies or the source changed during the build under [`DriftPolicy::Fail`];
    /// nothing was written.
    Drifted,
}

/// What a successful `run` recorded and wrote.
#[derive(Debug)]
pub struct RunReport {
    /// The attestations.
    pub emitted: Emitted,
    /// The SBOM file, if one was written.
    pub sbom: Option<PathBuf>,
    /// How many materials the snapshot before the build recorded.
    pub materials: usize,
    /// Whether the build left the dependencies and the source unchanged.
    pub drift_empty: bool,
}

impl RunReport {
    /// The JSON summary that `run --json` prints: [`Emitted::to_json`] plus the run's fields.
    pub fn to_json(&self) -> Value {
        let mut v = self.emitted.to_json();
        v["sbom"] = json!(self.sbom);
        v["materials"] = json!(self.materials);
        v["driftEmpty"] = json!(self.drift_empty);
        v
    }
}

/// `provseal run`: refuse existing outputs, snapshot the dependencies, run the build, snapshot
/// again (drift), hash the products, serialise the SBOM, and sign and write one payload binding
/// them all. A failed or interrupted build writes nothing.
pub fn run(
    req: &RunRequest,
    out: &OutputSettings,
    producer: &Producer,
    observer: &mut dyn Observer,
) -> Result<RunOutcome, AttestError> {
    let p = &req.products;
    // Every output path, for the products a previous build left (per-subject and batch outputs
    // are named after them), checked before the build.
    let existing = resolve_subjects(&p.cwd, &p.subjects).unwrap_or_default();
    let planned = planned_for(&existing, out, producer, req.sbom.as_ref());
    check_outputs_free(&p.cwd, &planned, out.overwrite)?;

    // Snapshot before the build can alter anything.
    let before = snapshot_default(&req.snapshot)?;
    observer.event(Event::SnapshotTaken { snapshot: &before });
    if let Some(paths) = dirty_only_from(&p.cwd, &before, &planned) {
        observer.event(Event::TreeDirtyFromOwnOutputs { paths });
    }
    observer.event(Event::BuildStarting {
        materials: before.materials.len(),
        command: &req.command,
    });

    let started_on = now_rfc3339();
    let end = run_build(&req.command, &p.cwd, req.build_stdout)?;
    let finished_on = now_rfc3339();
    match end {
        BuildEnd::Success => {}
        BuildEnd::Failed(code) => return Ok(RunOutcome::BuildFailed { code }),
        BuildEnd::Interrupted(signal) => return Ok(RunOutcome::Interrupted { signal }),
    }

    let after = snapshot_default(&req.snapshot)?;
    let drift = diff(&before, &after);
    observer.event(Event::Drift { drift: &drift });
    if req.drift == DriftPolicy::Fail && !drift.is_empty() {
        return Ok(RunOutcome::Drifted);
    }

    let files = products(p, out, producer, req.sbom.as_ref(), observer)?;
    let subjects = hashing(&files, observer, |progress| {
        hash_subjects_observed(&files, &p.digests, progress)
    })?;

    let sbom = match &req.sbom {
        Some(path) => {
            let bytes = sbom_bytes(&req.snapshot, &before, &started_on)?;
            let digest = provseal_crypto::hash::hash_bytes(&bytes, &[HashAlgorithm::Sha256]);
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some((path.clone(), bytes, name, digest))
        }
        None => None,
    };
    let materials = before.materials.len();
    let record = RunRecord {
        command: req.command.clone(),
        working_directory: working_directory(&p.cwd, &before),
        exit_code: 0,
        started_on,
        finished_on,
        before,
        drift,
        sbom: sbom.as_ref().map(|(_, _, n, d)| (n.clone(), d.clone())),
    };
    let builder_id = if p.builder_id.is_empty() {
        DEFAULT_BUILDER_ID
    } else {
        &p.builder_id
    };
    let input = run_input(
        builder_id,
        &p.digests,
        subjects,
        &record,
        new_invocation_id(),
    )?;
    let extra: Vec<ExtraOutput> = sbom
        .iter()
        .map(|(path, bytes, _, _)| ExtraOutput {
            path: path.clone(),
            bytes: bytes.clone(),
        })
        .collect();
    let emitted = emit(&input, producer, out, &p.cwd, &extra, observer)?;
    Ok(RunOutcome::Attested(Box::new(RunReport {
        emitted,
        sbom: sbom.map(|(path, ..)| path),
        materials,
        drift_empty: record.drift.is_empty(),
    })))
}

/// The paths that make the tree dirty (relative to the work-tree root), when all of them are
/// provseal's own outputs (`planned`: relative to `cwd`).
fn dirty_only_from<'a>(
    cwd: &Path,
    before: &'a Snapshot,
    planned: &[PathBuf],
) -> Option<&'a [String]> {
    let source = before.source.as_ref()?;
    let provseal_materials::git::TreeState::Dirty { paths } = &source.tree_state else {
        return None;
    };
    let planned: Vec<PathBuf> = planned.iter().map(|p| cwd.join(p)).collect();
    let own_outputs = OwnOutputs::new(&source.root, &planned);
    let own = !paths.is_empty() && paths.iter().all(|p| own_outputs.contains(Path::new(p)));
    own.then_some(paths.as_slice())
}

/// The working directory relative to the source root (`.` at the root or outside git).
fn working_directory(cwd: &Path, before: &Snapshot) -> String {
    match &before.source {
        Some(s) => match cwd.strip_prefix(&s.root) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => ".".to_string(),
        },
        None => ".".to_string(),
    }
}

/// The CycloneDX SBOM of the snapshot, named after the source root's directory.
fn sbom_bytes(
    ctx: &CollectContext,
    snap: &Snapshot,
    timestamp: &str,
) -> Result<Vec<u8>, AttestError> {
    let name = ctx
        .root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".into());
    let meta = SbomMetadata {
        component_name: name,
        component_version: None,
        tool_name: "provseal".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        timestamp: timestamp.to_string(),
        serial_number: None,
    };
    Ok(provseal_materials::sbom::cyclonedx_json(
        &snap.materials,
        Some(&snap.graph),
        &meta,
    )?)
}
