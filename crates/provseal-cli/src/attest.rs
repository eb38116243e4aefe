//! `provseal attest`.

use crate::exit::ExitStatus;
use anyhow::anyhow;
use provseal_attest::AttestRequest;
use provseal_crypto::hash::HashAlgorithm;

use crate::args::AttestArgs;
use crate::{emit, keys, output, Failure};

/// Parses `--digest` values.
pub fn digest_algorithms(names: &[String]) -> Result<Vec<HashAlgorithm>, Failure> {
    let mut out = Vec::new();
    for n in names {
        let alg: HashAlgorithm = n.trim().parse().map_err(|_| {
            anyhow!("unknown digest algorithm `{n}` (use sha256, sha384 or sha512)")
        })?;
        if !out.contains(&alg) {
            out.push(alg);
        }
    }
    Ok(out)
}

/// Runs `provseal attest`.
pub fn run(args: AttestArgs) -> Result<ExitStatus, Failure> {
    let digests = digest_algorithms(&args.subject.digest)?;
    let signer = keys::open_producer(&args.signing, &args.subject.subjects, &args.output)?;
    let cwd = std::env::current_dir()?;
    let files = provseal_attest::resolve_subjects_with(
        &cwd,
        &args.subject.subjects,
        subject_options(&args.subject),
    )?;
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let planned = emit::planned_outputs(&names, &args.output, signer.format(args.output.format));
    emit::check_outputs_free(&planned, &args.output)?;
    let files = emit::drop_own_outputs(files, &args.subject.subjects, &planned);
    let subjects = files.iter().map(|f| f.name.clone()).collect();
    let paths: Vec<std::path::PathBuf> = files.into_iter().map(|f| f.path).collect();
    let mut req = AttestRequest::new(cwd, subjects);
    req.digests = digests;
    req.builder_id = args.subject.builder_id.clone();
    req.subject_options = subject_options(&args.subject);
    let input = {
        let progress =
            crate::progress::hashing(paths.len(), crate::progress::Stdout::of(args.output.json));
        provseal_attest::attest_input_observed(&req, &|e| progress.observe(e))?
    };
    if input.source.is_none() {
        note!("note: not in a git work tree: the source is recorded as absent");
    }
    let summary = emit::emit(&input, &signer, &args.output)?;
    if args.output.json {
        output::print_json(&summary)?;
    }
    Ok(ExitStatus::Success)
}

/// `--follow-symlinks` as the library's option.
pub fn subject_options(args: &crate::args::SubjectArgs) -> provseal_attest::SubjectOptions {
    provseal_attest::SubjectOptions {
        follow_symlinks: if args.follow_symlinks {
            provseal_attest::FollowSymlinks::Yes
        } else {
            provseal_attest::FollowSymlinks::No
        },
    }
}
