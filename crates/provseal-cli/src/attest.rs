//! `provseal attest`: settings in, [`provseal_attest::pipeline::attest`], summary out.

use crate::exit::ExitStatus;
use anyhow::anyhow;
use provseal_attest::AttestRequest;
use provseal_crypto::hash::HashAlgorithm;

use crate::args::AttestArgs;
use crate::{emit, output, Failure};

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

/// `--subject`, `--builder-id` and `--follow-symlinks` as the library's request, for subjects
/// relative to `cwd`, hashed with `digests` (`--digest`, parsed first).
pub fn request(
    args: &crate::args::SubjectArgs,
    cwd: std::path::PathBuf,
    digests: Vec<HashAlgorithm>,
) -> AttestRequest {
    let mut req = AttestRequest::new(cwd, args.subjects.clone());
    req.digests = digests;
    req.builder_id = args.builder_id.clone();
    req.subject_options = subject_options(args);
    req
}

/// Runs `provseal attest`.
pub fn run(args: AttestArgs) -> Result<ExitStatus, Failure> {
    let digests = digest_algorithms(&args.subject.digest)?;
    let opened = emit::open_producer(&args.signing, &args.subject.subjects, &args.output)?;
    let req = request(&args.subject, std::env::current_dir()?, digests);
    let out = emit::output_settings(&args.output);
    let mut notes = emit::Notes::new(args.output.json);
    let emitted = provseal_attest::pipeline::attest(&req, &out, &opened.producer, &mut notes)
        .map_err(|e| emit::failure(e, &opened))?;
    if args.output.json {
        output::print_json(&emitted.to_json())?;
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
