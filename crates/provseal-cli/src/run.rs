//! `provseal run`: snapshot, build, snapshot again, hash, sign — one payload, one signature.

use crate::exit::ExitStatus;
use anyhow::anyhow;
use provseal_attest::run::{run_input, RunRecord};
use provseal_attest::{Overwrite, DEFAULT_BUILDER_ID};
use provseal_crypto::hash::HashAlgorithm;
use provseal_materials::sbom::SbomMetadata;
use provseal_materials::snapshot::{diff, snapshot_default, Drift};

use crate::args::RunArgs;
use crate::attest::digest_algorithms;
use crate::materials::{collect_context, print_warnings};
use crate::{emit, keys, output, Failure};

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

/// Says so when the work tree is dirty only because of provseal's own earlier outputs (the
/// provenance records the tree as dirty either way).
fn note_own_dirt(before: &provseal_materials::snapshot::Snapshot, planned: &[std::path::PathBuf]) {
    let Some(source) = &before.source else { return };
    let provseal_materials::git::TreeState::Dirty { paths } = &source.tree_state else {
        return;
    };
    if !paths.is_empty()
        && paths
            .iter()
            .all(|p| emit::is_own_output(std::path::Path::new(p), planned))
    {
        note!(
            "note: the work tree is dirty only because of provseal's own output(s) `{}`; it is \
             recorded as dirty: add them to `.gitignore` or write them outside the tree",
            paths.join("`, `")
        );
    }
}

fn sbom_bytes(
    ctx: &provseal_materials::CollectContext,
    snap: &provseal_materials::snapshot::Snapshot,
    timestamp: &str,
) -> Result<Vec<u8>, Failure> {
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

/// Runs `provseal run`.
pub fn run(args: RunArgs) -> Result<ExitStatus, Failure> {
    // 1. Settings and key first: a bad key or an existing output costs no build.
    let digests: Vec<HashAlgorithm> = digest_algorithms(&args.subject.digest)?;
    let signer = keys::open_producer(&args.signing, &args.subject.subjects, &args.output)?;
    let cwd = std::env::current_dir()?;
    // Every output path, for the products a previous build left (per-subject and batch outputs
    // are named after them), checked before the build.
    let planned_for = |files: &[provseal_attest::SubjectFile]| {
        let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
        let mut planned =
            emit::planned_outputs(&names, &args.output, signer.format(args.output.format));
        planned.extend(args.sbom.iter().cloned());
        planned
    };
    let existing =
        provseal_attest::resolve_subjects(&cwd, &args.subject.subjects).unwrap_or_default();
    emit::check_outputs_free(&planned_for(&existing), &args.output)?;
    let ctx = collect_context(&cwd, &args.snapshot)?;

    // 2. Snapshot before the build can alter anything.
    let before = snapshot_default(&ctx)?;
    print_warnings(&before);
    note_own_dirt(&before, &planned_for(&existing));
    note!(
        "recorded {} materials before the build; running `{}`",
        before.materials.len(),
        args.command.join(" ")
    );

    // 3. The build, with inherited stdio, in its own process group; under --json its stdout
    // goes to stderr, so that stdout is only the report.
    let started_on = provseal_attest::now_rfc3339();
    let (status, interrupted) = run_build(&args.command, args.output.json)?;
    let finished_on = provseal_attest::now_rfc3339();
    if let Some(signal) = interrupted {
        eprintln!(
            "error: interrupted by {}; the build was stopped and no attestation was written",
            signal_name(signal)
        );
        return Ok(ExitStatus::Build(128 + signal));
    }
    if !status.success() {
        let code = status.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        });
        eprintln!("error: the build failed (exit {code}); no attestation was written");
        return Ok(ExitStatus::Build(code));
    }

    // 4. Snapshot again: drift.
    let after = snapshot_default(&ctx)?;
    let drift = diff(&before, &after);
    print_drift(&drift);
    if args.fail_on_drift && !drift.is_empty() {
        eprintln!("error: the build changed its dependencies or source (--fail-on-drift); no attestation was written");
        return Ok(ExitStatus::Failure);
    }

    // 5. Products, hashed after the build.
    let files = provseal_attest::resolve_subjects_with(
        &cwd,
        &args.subject.subjects,
        crate::attest::subject_options(&args.subject),
    )?;
    let planned = planned_for(&files);
    emit::check_outputs_free(&planned, &args.output)?;
    let files = emit::drop_own_outputs(files, &args.subject.subjects, &planned);
    if files.is_empty() {
        return Err(provseal_attest::AttestError::NoSubjects.into());
    }
    let subjects = {
        let progress =
            crate::progress::hashing(files.len(), crate::progress::Stdout::of(args.output.json));
        provseal_attest::hash_subjects_observed(&files, &digests, &|e| progress.observe(e))?
    };

    // 6. SBOM (its digest goes into the signed payload).
    let sbom = match &args.sbom {
        Some(path) => {
            let bytes = sbom_bytes(&ctx, &before, &started_on)?;
            let digest = provseal_crypto::hash::hash_reader(&bytes[..], &[HashAlgorithm::Sha256])?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some((path.clone(), bytes, name, digest))
        }
        None => None,
    };

    let working_directory = match &before.source {
        Some(s) => match cwd.strip_prefix(&s.root) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => ".".to_string(),
        },
        None => ".".to_string(),
    };
    let record = RunRecord {
        command: args.command.clone(),
        working_directory,
        exit_code: 0,
        started_on,
        finished_on,
        before,
        drift,
        sbom: sbom.as_ref().map(|(_, _, n, d)| (n.clone(), d.clone())),
    };
    let builder_id = if args.subject.builder_id.is_empty() {
        DEFAULT_BUILDER_ID
    } else {
        &args.subject.builder_id
    };
    let input = run_input(
        builder_id,
        &digests,
        subjects,
        &record,
        provseal_attest::new_invocation_id(),
    )?;

    // 7. Write atomically: the SBOM, then the attestation(s); on failure remove the SBOM.
    let overwrite = if args.output.force {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    };
    if let Some((path, bytes, _, _)) = &sbom {
        provseal_attest::write_atomic(path, bytes, overwrite)?;
    }
    let mut summary = match emit::emit(&input, &signer, &args.output) {
        Ok(s) => s,
        Err(e) => {
            if let Some((path, _, _, _)) = &sbom {
                let _ = fs_err::remove_file(path);
            }
            return Err(e);
        }
    };
    note!(
        "recorded {} materials; drift {}",
        record.before.materials.len(),
        if record.drift.is_empty() {
            "none"
        } else {
            "recorded"
        }
    );
    if args.output.json {
        summary["sbom"] = serde_json::json!(sbom.as_ref().map(|s| &s.0));
        summary["materials"] = serde_json::json!(record.before.materials.len());
        summary["driftEmpty"] = serde_json::json!(record.drift.is_empty());
        output::print_json(&summary)?;
    }
    Ok(ExitStatus::Success)
}

/// Runs the build in its own process group. SIGINT and SIGTERM sent to provseal are forwarded to
/// that whole group (a build's compilers and scripts too); provseal waits for the build to end
/// and reports the first signal it received.
#[cfg(unix)]
fn run_build(
    command: &[String],
    json: bool,
) -> Result<(std::process::ExitStatus, Option<i32>), Failure> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::os::unix::process::CommandExt as _;
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| anyhow!("cannot watch for SIGINT/SIGTERM: {e}"))?;
    let mut build = std::process::Command::new(&command[0]);
    build.args(&command[1..]).process_group(0);
    if json {
        build.stdout(std::io::stderr());
    }
    let mut child = build
        .spawn()
        .map_err(|e| anyhow!("cannot start the build command `{}`: {e}", command[0]))?;
    let group = rustix::process::Pid::from_raw(child.id() as i32);
    let handle = signals.handle();
    let forwarder = std::thread::spawn(move || {
        let mut first = None;
        for signal in signals.forever() {
            first.get_or_insert(signal);
            let sig = if signal == SIGINT {
                rustix::process::Signal::INT
            } else {
                rustix::process::Signal::TERM
            };
            if let Some(group) = group {
                // The group may be gone already; nothing else to do then.
                let _ = rustix::process::kill_process_group(group, sig);
            }
        }
        first
    });
    let status = child.wait();
    handle.close();
    let interrupted = forwarder.join().unwrap_or(None);
    let status = status.map_err(|e| anyhow!("cannot wait for the build command: {e}"))?;
    Ok((status, interrupted))
}

#[cfg(not(unix))]
fn run_build(
    command: &[String],
    json: bool,
) -> Result<(std::process::ExitStatus, Option<i32>), Failure> {
    let mut build = std::process::Command::new(&command[0]);
    build.args(&command[1..]);
    if json {
        build.stdout(std::io::stderr());
    }
    let status = build
        .status()
        .map_err(|e| anyhow!("cannot start the build command `{}`: {e}", command[0]))?;
    Ok((status, None))
}

fn signal_name(signal: i32) -> String {
    match signal {
        2 => "SIGINT".into(),
        15 => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}
