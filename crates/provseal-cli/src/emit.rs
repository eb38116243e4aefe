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

/// What signs: a key, or the CI's identity (keyless).
pub enum Producer {
    /// A key (file, env, PKCS#11).
    Key(Box<dyn Signer>),
    /// The CI's identity; `resign` is the command that signs the same products again.
    Keyless {
        /// The signer.
        signer: Box<provseal_keyless::KeylessSigner>,
        /// `provseal attest --keyless …` for the same subjects and output.
        resign: String,
    },
}

impl Producer {
    /// Who signs, for messages.
    fn who(&self) -> String {
        match self {
            Producer::Key(k) => format!("key {}", k.key_id()),
            Producer::Keyless { .. } => "the CI identity (keyless)".to_owned(),
        }
    }

    /// The summary's signer fields.
    fn summary(&self, v: &mut Value) {
        match self {
            Producer::Key(k) => v["keyId"] = json!(k.key_id()),
            Producer::Keyless { .. } => v["keyless"] = json!(true),
        }
    }

    /// The file format this producer writes when `format` was asked for (keyless: a bundle).
    pub fn format(&self, format: OutputFormat) -> OutputFormat {
        match self {
            Producer::Key(_) => format,
            Producer::Keyless { .. } => OutputFormat::SigstoreBundle,
        }
    }

    /// Signs one statement: the bytes of its attestation file (newline-terminated).
    fn sign_file(&self, statement: &[u8], format: OutputFormat) -> Result<Vec<u8>, Failure> {
        match self {
            Producer::Key(k) => {
                let envelope = provseal_attest::sign_statement(statement, k.as_ref())?;
                file_bytes(&envelope, k.as_ref(), format)
            }
            Producer::Keyless { signer, .. } => {
                let mut bytes = self.keyless(statement, signer)?;
                bytes.push(b'\n');
                Ok(bytes)
            }
        }
    }

    /// A keyless bundle over `statement`; the identity is printed.
    fn keyless(
        &self,
        statement: &[u8],
        signer: &provseal_keyless::KeylessSigner,
    ) -> Result<Vec<u8>, Failure> {
        let signed = signer
            .sign_statement(statement, jiff::Timestamp::now())
            .map_err(|e| match self {
                Producer::Keyless { resign, .. } => crate::keyless::failure_after_build(e, resign),
                Producer::Key(_) => crate::keyless::failure(e),
            })?;
        crate::keyless::print_identity(&signed, signer);
        Ok(signed.json)
    }
}

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

/// Every file the chosen shape writes in `format` for subjects named `names` (relative to the
/// working directory), so that all of them are checked before any work.
pub fn planned_outputs(names: &[String], out: &OutputArgs, format: OutputFormat) -> Vec<PathBuf> {
    if let Some(dir) = &out.batch {
        return provseal_batch::entry_file_names(names)
            .map(|files| files.iter().map(|f| dir.join(f)).collect())
            .unwrap_or_default();
    }
    if out.per_subject {
        return names
            .iter()
            .map(|n| PathBuf::from(format!("{n}{}", suffix(format))))
            .collect();
    }
    vec![out.out.clone().unwrap_or_else(|| default_out(format))]
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
    signer: &Producer,
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
        let unsigned = provseal_batch::prepare_batch(
            statements,
            provseal_model::IN_TOTO_PAYLOAD_TYPE,
            &provseal_batch::BatchOptions {
                created_on: input.finished_on.clone(),
                builder_id: Some(input.builder_id.clone()),
            },
        )?;
        let batch = match signer {
            Producer::Key(k) => unsigned.sign(k.as_ref())?,
            Producer::Keyless { signer: ks, .. } => {
                let bundle = signer.keyless(unsigned.root_statement(), ks)?;
                unsigned.with_root_bundle(&bundle)?
            }
        };
        let ow = if out.force {
            provseal_batch::Overwrite::Allow
        } else {
            provseal_batch::Overwrite::Refuse
        };
        let written = provseal_batch::write_batch_with(dir, &batch, &names, ow)?;
        for left in &written.removed_staging {
            note!(
                "note: removed `{}`, left by an earlier run that was killed before it finished",
                left.display()
            );
        }
        let files = written.paths;
        note!(
            "batch of {} statement(s) signed with one signature by {} (root {}); wrote {} entries to `{}`",
            batch.len(),
            signer.who(),
            batch.root_hex(),
            files.len(),
            dir.display()
        );
        let mut summary = json!({
            "shape": "batch",
            "directory": dir,
            "root": batch.root_hex(),
            "treeSize": batch.len(),
            "signingOperations": batch.signing_operations,
            "entries": files,
            "subjects": subjects,
        });
        signer.summary(&mut summary);
        return Ok(summary);
    }
    let format = signer.format(out.format);
    if out.per_subject {
        let statements = provseal_attest::build_statements_per_subject(input)?;
        let paths: Vec<PathBuf> = input
            .subjects
            .iter()
            .map(|(n, _)| PathBuf::from(format!("{n}{}", suffix(format))))
            .collect();
        check_outputs_free(&paths, out)?;
        let mut signing_operations = 0usize;
        // All or nothing: every file is staged before any is renamed into place.
        let mut staged = provseal_attest::StagedOutputs::new(overwrite(out));
        for (statement, path) in statements.iter().zip(&paths) {
            let bytes = signer.sign_file(statement, format)?;
            signing_operations += 1;
            staged.stage(path, &bytes)?;
        }
        for left in staged.removed_leftovers() {
            note!(
                "note: removed `{}`, left by an earlier run that was killed before it finished",
                left.display()
            );
        }
        staged.commit()?;
        note!(
            "attested {} artifact(s) one statement each, signed by {}",
            paths.len(),
            signer.who()
        );
        let mut summary = json!({
            "shape": "per-subject",
            "outputs": paths,
            "signingOperations": signing_operations,
            "subjects": subjects,
        });
        signer.summary(&mut summary);
        return Ok(summary);
    }
    let statement = provseal_attest::build_statement(input)?;
    let path = out.out.clone().unwrap_or_else(|| default_out(format));
    // Before signing: a keyless signature is a public log entry.
    check_outputs_free(std::slice::from_ref(&path), out)?;
    let bytes = signer.sign_file(&statement, format)?;
    provseal_attest::write_atomic(&path, &bytes, overwrite(out))?;
    note!(
        "attested {} subject(s) in one statement, signed by {}, wrote `{}`",
        input.subjects.len(),
        signer.who(),
        path.display()
    );
    let mut summary = json!({
        "shape": "multi-subject",
        "output": path,
        "signingOperations": 1,
        "subjects": subjects,
    });
    signer.summary(&mut summary);
    Ok(summary)
}
