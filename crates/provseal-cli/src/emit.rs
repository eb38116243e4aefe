//! Writing attestations in the three shapes: one multi-subject statement (the GitHub /
//! slsa-github-generator shape), one statement per artifact (the PEP 740 shape), or a batch (one
//! signature over a Merkle tree of per-artifact statements).

use std::path::{Path, PathBuf};

use provseal_attest::{Overwrite, ProvenanceInput};
use provseal_crypto::Signer;
use provseal_model::dsse::Envelope;
use serde_json::{json, Value};

use crate::args::{OutputArgs, OutputFormat};
use crate::Failure;

fn overwrite(out: &OutputArgs) -> Overwrite {
    if out.force {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    }
}

fn suffix(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::IntotoJsonl => ".intoto.jsonl",
        OutputFormat::SigstoreBundle => ".sigstore.json",
    }
}

/// Where the single-file shape writes by default, whatever the number of subjects:
/// `provenance.intoto.jsonl` (or `provenance.sigstore.json`) in the working directory.
pub fn default_out(format: OutputFormat) -> PathBuf {
    PathBuf::from(format!("provenance{}", suffix(format)))
}

/// The file-name endings of provseal's own outputs (attestations and batch entries).
const OWN_SUFFIXES: &[&str] = &[
    ".intoto.jsonl",
    ".sigstore.json",
    provseal_batch::ENTRY_FILE_SUFFIX,
];

/// Whether `path` is one of provseal's own outputs: a planned output, or a file named as
/// provseal names its attestations.
pub fn is_own_output(path: &Path, planned: &[PathBuf]) -> bool {
    let name = path.to_string_lossy();
    planned.iter().any(|p| same_path(p, path)) || OWN_SUFFIXES.iter().any(|s| name.ends_with(s))
}

fn same_path(a: &Path, b: &Path) -> bool {
    a.components().eq(b.components())
        || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// Every file the chosen shape writes for subjects named `names` (relative to the working
/// directory), so that all of them are checked before any work.
pub fn planned_outputs(names: &[String], out: &OutputArgs) -> Vec<PathBuf> {
    if let Some(dir) = &out.batch {
        return provseal_batch::entry_file_names(names)
            .map(|files| files.iter().map(|f| dir.join(f)).collect())
            .unwrap_or_default();
    }
    if out.per_subject {
        return names
            .iter()
            .map(|n| PathBuf::from(format!("{n}{}", suffix(out.format))))
            .collect();
    }
    vec![out.out.clone().unwrap_or_else(|| default_out(out.format))]
}

/// Drops provseal's own outputs from the subjects (a `--force` rerun must not attest the
/// previous provenance), unless a subject argument names the file literally; says what it
/// dropped.
pub fn drop_own_outputs(
    files: Vec<provseal_attest::SubjectFile>,
    subject_args: &[String],
    planned: &[PathBuf],
) -> Vec<provseal_attest::SubjectFile> {
    let (own, kept): (Vec<_>, Vec<_>) = files.into_iter().partition(|f| {
        is_own_output(Path::new(&f.name), planned)
            && !subject_args
                .iter()
                .any(|a| same_path(Path::new(a), Path::new(&f.name)))
    });
    if !own.is_empty() {
        let names: Vec<&str> = own.iter().map(|f| f.name.as_str()).collect();
        note!(
            "note: not attesting provseal's own output(s) matched by --subject: `{}`",
            names.join("`, `")
        );
    }
    kept
}

/// The bytes of one attestation file holding `envelope`.
fn file_bytes(
    envelope: &Envelope,
    signer: &dyn Signer,
    format: OutputFormat,
) -> Result<Vec<u8>, Failure> {
    let mut bytes = match format {
        OutputFormat::IntotoJsonl => envelope.to_json().into_bytes(),
        OutputFormat::SigstoreBundle => {
            provseal_sigstore::key_signed_bundle(envelope, signer.public_key())?
        }
    };
    bytes.push(b'\n');
    Ok(bytes)
}

/// Refuses before any work when a planned output exists and `--force` is not given.
pub fn check_outputs_free(paths: &[PathBuf], out: &OutputArgs) -> Result<(), Failure> {
    if out.force {
        return Ok(());
    }
    for p in paths {
        if fs_err::symlink_metadata(p).is_ok() {
            return Err(provseal_attest::AttestError::OutputExists { path: p.clone() }.into());
        }
    }
    Ok(())
}

/// Signs and writes `input` in the shape `out` asks for; returns the JSON summary.
pub fn emit(
    input: &ProvenanceInput,
    signer: &dyn Signer,
    out: &OutputArgs,
) -> Result<Value, Failure> {
    // The summary lists the subjects only when it is printed (`--json`).
    let subjects: Vec<Value> = if out.json {
        input
            .subjects
            .iter()
            .map(|(n, d)| json!({"name": n, "digest": d}))
            .collect()
    } else {
        Vec::new()
    };
    if let Some(dir) = &out.batch {
        let statements = provseal_attest::build_statements_per_subject(input)?;
        let names: Vec<String> = input.subjects.iter().map(|(n, _)| n.clone()).collect();
        let batch = provseal_batch::sign_batch_with(
            statements,
            provseal_model::IN_TOTO_PAYLOAD_TYPE,
            signer,
            &provseal_batch::BatchOptions {
                created_on: input.finished_on.clone(),
                builder_id: Some(input.builder_id.clone()),
            },
        )?;
        let ow = if out.force {
            provseal_batch::Overwrite::Allow
        } else {
            provseal_batch::Overwrite::Refuse
        };
        let files = provseal_batch::write_batch(dir, &batch, &names, ow)?;
        note!(
            "batch of {} statement(s) signed with one signature by key {} (root {}); wrote {} entries to `{}`",
            batch.len(),
            signer.key_id(),
            batch.root_hex(),
            files.len(),
            dir.display()
        );
        return Ok(json!({
            "shape": "batch",
            "directory": dir,
            "root": batch.root_hex(),
            "treeSize": batch.len(),
            "signingOperations": batch.signing_operations,
            "keyId": signer.key_id(),
            "entries": files,
            "subjects": subjects,
        }));
    }
    if out.per_subject {
        let statements = provseal_attest::build_statements_per_subject(input)?;
        let paths: Vec<PathBuf> = input
            .subjects
            .iter()
            .map(|(n, _)| PathBuf::from(format!("{n}{}", suffix(out.format))))
            .collect();
        check_outputs_free(&paths, out)?;
        let mut signing_operations = 0usize;
        for (statement, path) in statements.iter().zip(&paths) {
            let envelope = provseal_attest::sign_statement(statement, signer)?;
            signing_operations += 1;
            provseal_attest::write_atomic(
                path,
                &file_bytes(&envelope, signer, out.format)?,
                overwrite(out),
            )?;
        }
        note!(
            "attested {} artifact(s) one statement each, signed by key {}",
            paths.len(),
            signer.key_id()
        );
        return Ok(json!({
            "shape": "per-subject",
            "outputs": paths,
            "signingOperations": signing_operations,
            "keyId": signer.key_id(),
            "subjects": subjects,
        }));
    }
    let statement = provseal_attest::build_statement(input)?;
    let envelope = provseal_attest::sign_statement(&statement, signer)?;
    let path = out.out.clone().unwrap_or_else(|| default_out(out.format));
    provseal_attest::write_atomic(
        &path,
        &file_bytes(&envelope, signer, out.format)?,
        overwrite(out),
    )?;
    note!(
        "attested {} subject(s) in one statement, signed by key {}, wrote `{}`",
        input.subjects.len(),
        signer.key_id(),
        path.display()
    );
    Ok(json!({
        "shape": "multi-subject",
        "output": path,
        "signingOperations": 1,
        "keyId": signer.key_id(),
        "subjects": subjects,
    }))
}
