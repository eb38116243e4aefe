//! `provseal attest`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use provseal_attest::{AttestRequest, Overwrite};
use provseal_crypto::hash::HashAlgorithm;

use crate::args::AttestArgs;
use crate::{keys, output, Failure};

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

/// The default output file: `SUBJECT.intoto.jsonl` for one subject, else `multiple.intoto.jsonl`.
pub fn default_out(subjects: &[(String, provseal_model::DigestSet)]) -> PathBuf {
    match subjects {
        [(name, _)] => PathBuf::from(format!("{name}.intoto.jsonl")),
        _ => PathBuf::from("multiple.intoto.jsonl"),
    }
}

/// Runs `provseal attest`.
pub fn run(args: AttestArgs) -> Result<ExitCode, Failure> {
    let digests = digest_algorithms(&args.digest)?;
    let signer = keys::open_signer(&args.signing)?;
    let cwd = std::env::current_dir()?;
    let mut req = AttestRequest::new(cwd, args.subjects.clone());
    req.digests = digests;
    req.builder_id = args.builder_id.clone();
    let att = provseal_attest::attest(&req, signer.as_ref())?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&att.subjects));
    let mut line = att.envelope.to_json();
    line.push('\n');
    let overwrite = if args.force {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    };
    provseal_attest::write_atomic(&out, line.as_bytes(), overwrite)?;
    if !att.source_recorded {
        eprintln!("note: not in a git work tree: the source is recorded as absent");
    }
    eprintln!(
        "attested {} subject(s), signed by key {}, wrote `{}`",
        att.subjects.len(),
        signer.key_id(),
        out.display()
    );
    if args.json {
        output::print_json(&serde_json::json!({
            "output": out,
            "keyId": signer.key_id(),
            "subjects": att.subjects.iter().map(|(n, d)| serde_json::json!({"name": n, "digest": d})).collect::<Vec<_>>(),
            "signingOperations": 1,
        }))?;
    }
    Ok(ExitCode::SUCCESS)
}
