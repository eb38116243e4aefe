//! `provseal run`: settings in, [`provseal_attest::pipeline::run`] (snapshot, build, snapshot
//! again, hash, sign — one payload, one signature), outcome out.

use crate::exit::ExitStatus;
use provseal_attest::{BuildStdout, DriftPolicy, RunOutcome, RunRequest};

use crate::args::RunArgs;
use crate::attest::{digest_algorithms, request};
use crate::materials::collect_context;
use crate::{emit, output, Failure};

/// Runs `provseal run`.
pub fn run(args: RunArgs) -> Result<ExitStatus, Failure> {
    // Settings and key first: a bad key or an existing output costs no build.
    let digests = digest_algorithms(&args.subject.digest)?;
    let opened = emit::open_producer(&args.signing, &args.subject.subjects, &args.output)?;
    let cwd = std::env::current_dir()?;
    let req = RunRequest {
        products: request(&args.subject, cwd.clone(), digests),
        snapshot: collect_context(&cwd, &args.snapshot)?,
        command: args.command.clone(),
        // Under --json the build's stdout goes to stderr, so that stdout is only the report.
        build_stdout: if args.output.json {
            BuildStdout::Stderr
        } else {
            BuildStdout::Inherit
        },
        drift: if args.fail_on_drift {
            DriftPolicy::Fail
        } else {
            DriftPolicy::Record
        },
        sbom: args.sbom.clone(),
    };
    let out = emit::output_settings(&args.output);
    let mut notes = emit::Notes::new(args.output.json);
    let outcome = provseal_attest::pipeline::run(&req, &out, &opened.producer, &mut notes)
        .map_err(|e| emit::failure(e, &opened))?;
    let report = match outcome {
        RunOutcome::Attested(report) => report,
        RunOutcome::BuildFailed { code } => {
            eprintln!("error: the build failed (exit {code}); no attestation was written");
            return Ok(ExitStatus::Build(code));
        }
        RunOutcome::Interrupted { signal } => {
            eprintln!(
                "error: interrupted by {}; the build was stopped and no attestation was written",
                signal_name(signal)
            );
            return Ok(ExitStatus::Build(128 + signal));
        }
        RunOutcome::Drifted => {
            eprintln!("error: the build changed its dependencies or source (--fail-on-drift); no attestation was written");
            return Ok(ExitStatus::Failure);
        }
    };
    note!(
        "recorded {} materials; drift {}",
        report.materials,
        if report.drift_empty {
            "none"
        } else {
            "recorded"
        }
    );
    if args.output.json {
        output::print_json(&report.to_json())?;
    }
    Ok(ExitStatus::Success)
}

fn signal_name(signal: i32) -> String {
    match signal {
        2 => "SIGINT".into(),
        15 => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}
