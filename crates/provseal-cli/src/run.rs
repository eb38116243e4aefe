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
        eprintln!("drift: none (dependencies and source unchanged by the build)");
        return;
    }
    eprintln!(
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
        eprintln!("  + {}", a.id);
    }
    for r in drift.removed.iter().take(20) {
        eprintln!("  - {}", r.id);
    }
    for c in drift
        .changed
        .iter()
        .chain(&drift.lockfiles_changed)
        .take(20)
    {
        eprintln!("  ~ {}: {} → {}", c.key, c.old.id, c.new.id);
    }
    for p in drift.new_dirty_paths.iter().take(20) {
        eprintln!("  dirty: {p}");
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
    let planned: Vec<std::path::PathBuf> =
        args.output.out.iter().chain(&args.sbom).cloned().collect();
    emit::check_outputs_free(&planned, &args.output)?;
    let cwd = std::env::current_dir()?;
    let ctx = collect_context(&cwd, &args.snapshot)?;

    // 2. Snapshot before the build can alter anything.
    let before = snapshot_default(&ctx)?;
    print_warnings(&before);
    eprintln!(
        "recorded {} materials before the build; running `{}`",
        before.materials.len(),
        args.command.join(" ")
    );

    // 3. The build, with inherited stdio.
    let started_on = provseal_attest::now_rfc3339();
    let status = std::process::Command::new(&args.command[0])
        .args(&args.command[1..])
        .status()
        .map_err(|e| anyhow!("cannot start the build command `{}`: {e}", args.command[0]))?;
    let finished_on = provseal_attest::now_rfc3339();
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
    let files = provseal_attest::resolve_subjects(&cwd, &args.subject.subjects)?;
    let subjects = provseal_attest::hash_subjects(&files, &digests)?;

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
    eprintln!(
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
