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
    if let Some(out) = &args.output.out {
        emit::check_outputs_free(std::slice::from_ref(out), &args.output)?;
    }
    let cwd = std::env::current_dir()?;
    let mut req = AttestRequest::new(cwd, args.subject.subjects.clone());
    req.digests = digests;
    req.builder_id = args.subject.builder_id.clone();
    let input = provseal_attest::attest_input(&req)?;
    if input.source.is_none() {
        eprintln!("note: not in a git work tree: the source is recorded as absent");
    }
    let summary = emit::emit(&input, &signer, &args.output)?;
    if args.output.json {
        output::print_json(&summary)?;
    }
    Ok(ExitStatus::Success)
}
