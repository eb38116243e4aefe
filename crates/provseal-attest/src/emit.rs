//! Signing and writing attestations in the three shapes: one multi-subject statement (the GitHub
//! / slsa-github-generator shape), one statement per artifact (the PEP 740 shape), or a batch (one
//! signature over a Merkle tree of per-artifact statements).
//!
//! Every output is staged beside its target and renamed into place only when every file of the
//! run is signed and staged ([`StagedOutputs`]); a batch directory is swapped in whole by
//! provseal-batch. Nothing is written when signing fails.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use provseal_crypto::Signer;

use crate::observer::{Event, Observer};
use crate::output::{Overwrite, StagedOutputs};
use crate::summary::{Emitted, SignedBy, Written};
use crate::{AttestError, ProvenanceInput, SubjectFile};

/// The attestation file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// DSSE envelopes, one per line (`.intoto.jsonl`).
    #[default]
    IntotoJsonl,
    /// A Sigstore bundle v0.3 (`.sigstore.json`).
    SigstoreBundle,
}

impl OutputFormat {
    /// The file-name ending of this format.
    pub fn suffix(self) -> &'static str {
        match self {
            OutputFormat::IntotoJsonl => ".intoto.jsonl",
            OutputFormat::SigstoreBundle => ".sigstore.json",
        }
    }

    /// Where the single-file shape writes by default, whatever the number of subjects:
    /// `provenance.intoto.jsonl` (or `provenance.sigstore.json`) in the working directory.
    pub fn default_out(self) -> PathBuf {
        PathBuf::from(format!("provenance{}", self.suffix()))
    }
}

/// Which files are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// One statement listing every subject, in one file (default: [`OutputFormat::default_out`]).
    Single {
        /// The output file, if one was named.
        out: Option<PathBuf>,
    },
    /// One statement per subject, written beside it as `SUBJECT.intoto.jsonl` (or
    /// `.sigstore.json`).
    PerSubject,
    /// One statement per subject, one signature over their Merkle root; one entry file per
    /// subject in the directory.
    Batch {
        /// The batch directory.
        dir: PathBuf,
    },
}

/// Where and how attestations are written.
#[derive(Debug, Clone)]
pub struct OutputSettings {
    /// The shape.
    pub shape: Shape,
    /// The format asked for (a keyless producer always writes a bundle: [`Producer::format`]).
    pub format: OutputFormat,
    /// Whether existing outputs are replaced.
    pub overwrite: Overwrite,
}

/// A signer whose signature is usable only with what is made around it (a certificate and a log
/// entry: keyless signing), so it turns statement bytes into a whole Sigstore bundle. The CLI's
/// keyless signer implements it; this crate has no HTTP.
pub trait BundleSigner {
    /// Signs `statement` (in-toto, DSSE payload type [`provseal_model::IN_TOTO_PAYLOAD_TYPE`])
    /// and returns the Sigstore bundle JSON. Its error is returned as
    /// [`AttestError::Keyless`], unchanged.
    fn sign_statement(
        &self,
        statement: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;

    /// Called once the subjects are known and every output is free, before they are hashed
    /// (for `run`, after a successful build): work that does not depend on the statement (a
    /// keyless signer's certificate) may start here and overlap the hashing. Nothing by default.
    fn prepare(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }
}

/// What signs the attestations.
pub enum Producer {
    /// A key (file, environment, PKCS#11): DSSE envelopes, or key-signed bundles.
    Key(Box<dyn Signer>),
    /// The CI's identity (keyless): Sigstore bundles only.
    Keyless(Box<dyn BundleSigner>),
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Producer::Key(k) => f.debug_tuple("Key").field(k).finish(),
            Producer::Keyless(_) => f.write_str("Keyless"),
        }
    }
}

impl Producer {
    /// The format this producer writes when `asked` was asked for (keyless: always a bundle).
    pub fn format(&self, asked: OutputFormat) -> OutputFormat {
        match self {
            Producer::Key(_) => asked,
            Producer::Keyless(_) => OutputFormat::SigstoreBundle,
        }
    }

    /// Who signs.
    pub fn signed_by(&self) -> SignedBy {
        match self {
            Producer::Key(k) => SignedBy::Key(k.key_id()),
            Producer::Keyless(_) => SignedBy::Keyless,
        }
    }

    /// Signs one statement: the bytes of its attestation file (newline-terminated).
    /// Lets the signer start what does not depend on the statement (see
    /// [`BundleSigner::prepare`]).
    pub(crate) fn prepare(&self) -> Result<(), AttestError> {
        match self {
            Producer::Key(_) => Ok(()),
            Producer::Keyless(b) => b.prepare().map_err(AttestError::Keyless),
        }
    }

    fn sign_file(&self, statement: &[u8], format: OutputFormat) -> Result<Vec<u8>, AttestError> {
        let mut bytes = match self {
            Producer::Key(k) => {
                let envelope = crate::sign_statement(statement, k.as_ref())?;
                match format {
                    OutputFormat::IntotoJsonl => envelope.to_json().into_bytes(),
                    OutputFormat::SigstoreBundle => {
                        provseal_sigstore::key_signed_bundle(&envelope, k.public_key())?
                    }
                }
            }
            Producer::Keyless(b) => b.sign_statement(statement).map_err(AttestError::Keyless)?,
        };
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Signs a batch's root statement (one signing operation either way).
    fn sign_batch(
        &self,
        unsigned: provseal_batch::UnsignedBatch,
    ) -> Result<provseal_batch::Batch, AttestError> {
        Ok(match self {
            Producer::Key(k) => unsigned.sign(k.as_ref())?,
            Producer::Keyless(b) => {
                let bundle = b
                    .sign_statement(unsigned.root_statement())
                    .map_err(AttestError::Keyless)?;
                unsigned.with_root_bundle(&bundle)?
            }
        })
    }
}

/// The file-name endings of provseal's own outputs (attestations and batch entries).
const OWN_SUFFIXES: &[&str] = &[
    ".intoto.jsonl",
    ".sigstore.json",
    provseal_batch::ENTRY_FILE_SUFFIX,
];

/// provseal's own outputs for one run: the planned output paths (as written, relative to `cwd`,
/// and resolved where they exist) and the file-name endings of its attestations. Built once, so
/// that testing 10,000 subjects against 10,000 planned batch entries is 10,000 lookups, not
/// 10^8 path resolutions.
pub struct OwnOutputs<'a> {
    cwd: &'a Path,
    lexical: HashSet<PathBuf>,
    resolved: HashSet<PathBuf>,
}

impl<'a> OwnOutputs<'a> {
    /// The own outputs among `planned` (relative paths are relative to `cwd`).
    pub fn new(cwd: &'a Path, planned: &[PathBuf]) -> Self {
        let lexical: HashSet<PathBuf> = planned.iter().map(|p| cwd.join(p)).collect();
        let resolved = lexical
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .collect();
        OwnOutputs {
            cwd,
            lexical,
            resolved,
        }
    }

    /// Whether `path` is one of provseal's own outputs: a planned output (the same path as
    /// written, or the same file once resolved), or a file named as provseal names its
    /// attestations.
    pub fn contains(&self, path: &Path) -> bool {
        let name = path.to_string_lossy();
        if OWN_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            return true;
        }
        let joined = self.cwd.join(path);
        self.lexical.contains(&joined)
            || (!self.resolved.is_empty()
                && joined
                    .canonicalize()
                    .is_ok_and(|c| self.resolved.contains(&c)))
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    a.components().eq(b.components())
        || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// Every file `shape` writes in `format` for subjects named `names` (relative to the working
/// directory), so that all of them are checked before any work.
pub fn planned_outputs(names: &[String], shape: &Shape, format: OutputFormat) -> Vec<PathBuf> {
    match shape {
        Shape::Batch { dir } => provseal_batch::entry_file_names(names)
            .map(|files| files.iter().map(|f| dir.join(f)).collect())
            .unwrap_or_default(),
        Shape::PerSubject => names
            .iter()
            .map(|n| PathBuf::from(format!("{n}{}", format.suffix())))
            .collect(),
        Shape::Single { out } => vec![out.clone().unwrap_or_else(|| format.default_out())],
    }
}

/// Refuses when a path in `paths` (relative to `cwd`) exists and replacing was not asked for.
pub fn check_outputs_free(
    cwd: &Path,
    paths: &[PathBuf],
    overwrite: Overwrite,
) -> Result<(), AttestError> {
    if overwrite == Overwrite::Allow {
        return Ok(());
    }
    match paths
        .iter()
        .find(|p| std::fs::symlink_metadata(cwd.join(p)).is_ok())
    {
        Some(p) => Err(AttestError::OutputExists { path: p.clone() }),
        None => Ok(()),
    }
}

/// Drops provseal's own outputs from the subjects (a `--force` rerun must not attest the
/// previous provenance), unless a subject argument names the file literally; reports what it
/// dropped as [`Event::OwnOutputsSkipped`]. Subject names and planned paths are relative to
/// `cwd`.
pub fn drop_own_outputs(
    cwd: &Path,
    files: Vec<SubjectFile>,
    subject_args: &[String],
    planned: &[PathBuf],
    observer: &mut dyn Observer,
) -> Vec<SubjectFile> {
    let own_outputs = OwnOutputs::new(cwd, planned);
    let (own, kept): (Vec<_>, Vec<_>) = files.into_iter().partition(|f| {
        own_outputs.contains(Path::new(&f.name))
            && !subject_args
                .iter()
                .any(|a| same_path(Path::new(a), Path::new(&f.name)))
    });
    if !own.is_empty() {
        let names: Vec<String> = own.into_iter().map(|f| f.name).collect();
        observer.event(Event::OwnOutputsSkipped { names: &names });
    }
    kept
}

/// A file written with the attestations, all or nothing (the SBOM of `run`).
#[derive(Debug, Clone)]
pub struct ExtraOutput {
    /// Where.
    pub path: PathBuf,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Signs `input` in the shape `out` asks for and writes it, with `extra` files, atomically: every
/// statement is signed before any file is put in place, and a failure leaves no output.
/// Relative output paths (and the per-subject outputs beside their subjects) are relative to
/// `cwd`; the summary names them as given.
pub fn emit(
    input: &ProvenanceInput,
    producer: &Producer,
    out: &OutputSettings,
    cwd: &Path,
    extra: &[ExtraOutput],
    observer: &mut dyn Observer,
) -> Result<Emitted, AttestError> {
    let format = producer.format(out.format);
    let mut staged = StagedOutputs::in_dir(out.overwrite, cwd.to_path_buf());
    let written = match &out.shape {
        Shape::Batch { dir } => {
            let statements = crate::build_statements_per_subject(input)?;
            let names: Vec<String> = input.subjects.iter().map(|(n, _)| n.clone()).collect();
            let unsigned = provseal_batch::prepare_batch(
                statements,
                provseal_model::IN_TOTO_PAYLOAD_TYPE,
                &provseal_batch::BatchOptions {
                    created_on: input.finished_on.clone(),
                    builder_id: Some(input.builder_id.clone()),
                },
            )?;
            let batch = producer.sign_batch(unsigned)?;
            // The extra files first (staged, then renamed), the batch directory swapped in
            // after; a batch that cannot be written takes them away again.
            stage_all(&mut staged, extra.iter().map(|e| (&e.path, &e.bytes[..])))?;
            commit(staged, observer)?;
            let ow = match out.overwrite {
                Overwrite::Allow => provseal_batch::Overwrite::Allow,
                Overwrite::Refuse => provseal_batch::Overwrite::Refuse,
            };
            let result = provseal_batch::write_batch_with(&cwd.join(dir), &batch, &names, ow);
            let written = match result {
                Ok(w) => w,
                Err(e) => {
                    for x in extra {
                        // Best effort: the error that matters is the batch's.
                        let _ = std::fs::remove_file(cwd.join(&x.path));
                    }
                    return Err(e.into());
                }
            };
            for left in &written.removed_staging {
                observer.event(Event::LeftoverRemoved {
                    path: left.strip_prefix(cwd).unwrap_or(left),
                });
            }
            // Entry files are flat in the directory: named here under the directory as given.
            let entries = written
                .paths
                .iter()
                .map(|p| match p.file_name() {
                    Some(f) => dir.join(f),
                    None => p.clone(),
                })
                .collect();
            Written::Batch {
                dir: dir.clone(),
                root_hex: batch.root_hex(),
                entries,
                signing_operations: batch.signing_operations,
            }
        }
        Shape::PerSubject => {
            let statements = crate::build_statements_per_subject(input)?;
            let paths = planned_outputs(
                &input
                    .subjects
                    .iter()
                    .map(|(n, _)| n.clone())
                    .collect::<Vec<_>>(),
                &out.shape,
                format,
            );
            check_outputs_free(cwd, &paths, out.overwrite)?;
            // Every statement signed before any file is staged.
            let files = statements
                .iter()
                .map(|s| producer.sign_file(s, format))
                .collect::<Result<Vec<_>, _>>()?;
            stage_all(&mut staged, extra.iter().map(|e| (&e.path, &e.bytes[..])))?;
            stage_all(&mut staged, paths.iter().zip(files.iter().map(|f| &f[..])))?;
            commit(staged, observer)?;
            Written::PerSubject { paths }
        }
        Shape::Single { .. } => {
            let statement = crate::build_statement(input)?;
            let [path]: [PathBuf; 1] = planned_outputs(&[], &out.shape, format)
                .try_into()
                .map_err(|_| AttestError::Internal {
                    what: "the single shape plans one file",
                    source: None,
                })?;
            // Before signing: a keyless signature is a public log entry.
            check_outputs_free(cwd, std::slice::from_ref(&path), out.overwrite)?;
            let bytes = producer.sign_file(&statement, format)?;
            stage_all(&mut staged, extra.iter().map(|e| (&e.path, &e.bytes[..])))?;
            staged.stage(&path, &bytes)?;
            commit(staged, observer)?;
            Written::Single { path }
        }
    };
    let emitted = Emitted {
        written,
        signed_by: producer.signed_by(),
        subjects: input.subjects.clone(),
    };
    observer.event(Event::Written { emitted: &emitted });
    Ok(emitted)
}

fn stage_all<'a>(
    staged: &mut StagedOutputs,
    files: impl IntoIterator<Item = (&'a PathBuf, &'a [u8])>,
) -> Result<(), AttestError> {
    for (path, bytes) in files {
        staged.stage(path, bytes)?;
    }
    Ok(())
}

/// Reports what killed runs left (staging files removed, outputs completed), then renames
/// everything in.
fn commit(staged: StagedOutputs, observer: &mut dyn Observer) -> Result<(), AttestError> {
    for left in staged.removed_leftovers() {
        observer.event(Event::LeftoverRemoved { path: left });
    }
    for done in staged.completed_leftovers() {
        observer.event(Event::LeftoverCompleted { path: done });
    }
    staged.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_outputs_match_as_written_resolved_and_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        std::fs::create_dir(cwd.join("out")).unwrap();
        std::fs::write(cwd.join("out/report.txt"), b"x").unwrap();
        std::os::unix::fs::symlink(cwd.join("out"), cwd.join("link")).unwrap();
        std::fs::write(cwd.join("other.txt"), b"y").unwrap();
        let planned = [
            PathBuf::from("out/report.txt"),
            PathBuf::from("new/entry.bin"),
        ];
        let own = OwnOutputs::new(cwd, &planned);
        // as written, relative or absolute; a planned file that does not exist yet
        assert!(own.contains(Path::new("out/report.txt")));
        assert!(own.contains(&cwd.join("out/report.txt")));
        assert!(own.contains(Path::new("new/entry.bin")));
        // the same file through a symlinked directory
        assert!(own.contains(Path::new("link/report.txt")));
        // named as provseal names its attestations
        assert!(own.contains(Path::new("dist/app.intoto.jsonl")));
        // anything else
        assert!(!own.contains(Path::new("other.txt")));
        assert!(!own.contains(Path::new("out/report.txt.bak")));
        assert!(!own.contains(Path::new("link/missing.txt")));
    }
}
