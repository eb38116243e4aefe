//! `verify` as one call: the attestations loaded and authenticated once, the artifacts resolved
//! and hashed a chunk at a time, each verdict decided (subject, builder, source, policy) and
//! handed to a [`VerifyObserver`] as soon as it is known, and a [`VerifyOutcome`] at the end.
//!
//! The caller resolves its settings (keys, trust root, policy, flags) into a [`VerifyRequest`];
//! the session prints nothing. Where the verdicts go, and how the hashing is shown, is the
//! observer's business.
//!
//! ```no_run
//! use std::ops::ControlFlow;
//! use provseal_verify::session::{self, Attestations, Check, VerifyObserver, VerifyRequest};
//! use provseal_verify::{report::KeepResults, ArtifactVerdict, VerifyOptions};
//!
//! struct Lines;
//! impl VerifyObserver for Lines {
//!     fn verdict(&mut self, v: &ArtifactVerdict, _: Option<&[u8]>) -> ControlFlow<()> {
//!         println!("{}", v.line());
//!         ControlFlow::Continue(())
//!     }
//! }
//! # fn demo(key: provseal_crypto::PublicKey) -> Result<(), provseal_verify::VerifyError> {
//! let options = VerifyOptions { keys: vec![key], ..Default::default() };
//! let outcome = session::verify(
//!     &VerifyRequest {
//!         artifacts: &["dist/a.tgz".to_string()],
//!         attestations: &Attestations::File {
//!             path: "dist/a.tgz.intoto.jsonl".into(),
//!             signature: None,
//!         },
//!         check: Check::Documents {
//!             options: &options,
//!             policy: None,
//!             now: jiff::Timestamp::now(),
//!         },
//!         keep_results: KeepResults::No,
//!         record_vsa: false,
//!     },
//!     &mut Lines,
//! )?;
//! assert_eq!(outcome.tally.failed(), 0);
//! # Ok(()) }
//! ```

mod artifacts;
mod vsa_record;

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use provseal_crypto::hash::HashProgress;
use provseal_model::Cause;

use crate::policy::Policy;
use crate::report::{KeepResults, Tally};
use crate::slsa_verifier::{self, SlsaVerifierOptions};
use crate::{
    detached, ArtifactError, ArtifactVerdict, AttestationDoc, DocResult, InputError, InputKind,
    LoadedDoc, SubjectLookup, VerifyError, VerifyOptions,
};

pub use vsa_record::{VsaRecord, VsaSettings};

/// Where the attestations are.
#[derive(Debug, Clone)]
pub enum Attestations {
    /// One file for every artifact.
    File {
        /// The attestation (or a bare statement).
        path: PathBuf,
        /// Its detached signature; `None`: the one found beside it, if any
        /// ([`detached::signature_for`]).
        signature: Option<PathBuf>,
    },
    /// Each artifact's own attestation, found by name or digest in this directory
    /// ([`crate::attestation_candidates`]).
    Dir(PathBuf),
}

/// What the artifacts are checked against.
#[derive(Debug, Clone, Copy)]
pub enum Check<'a> {
    /// provseal's checks: the signature with the keys or Sigstore trust of `options`, the
    /// subject, builder and source, then the policy.
    Documents {
        /// Keys, trust root, identity, builder and source.
        options: &'a VerifyOptions,
        /// The policy every verified artifact must pass.
        policy: Option<&'a Policy>,
        /// The time the policy's age rules are evaluated at.
        now: jiff::Timestamp,
    },
    /// slsa-verifier's checks (GitHub-built provenance; the builder from the certificate).
    SlsaVerifier(&'a SlsaVerifierOptions<'a>),
}

/// One verification: the artifacts, the attestations, the checks.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRequest<'a> {
    /// The artifacts, in order: files, or digests given as `alg:hex` when no such file exists.
    pub artifacts: &'a [String],
    /// Where their attestations are.
    pub attestations: &'a Attestations,
    /// What they are checked against.
    pub check: Check<'a>,
    /// Whether the outcome keeps every verdict's report entry ([`Tally::into_report`]).
    pub keep_results: KeepResults,
    /// Whether the outcome keeps what a Verification Summary Attestation records of the
    /// verdicts ([`VerifyOutcome::vsa`]; [`Check::Documents`] only).
    pub record_vsa: bool,
}

/// What a verification tells its caller while it works. Every method but
/// [`VerifyObserver::verdict`] has a default that ignores the event.
pub trait VerifyObserver: Sync {
    /// Hashing of `artifacts` artifacts is about to start. Return `true` to be told the total
    /// of every file first (the session then reads every file's size up front).
    fn hashing_starts(&mut self, artifacts: usize) -> bool {
        let _ = artifacts;
        false
    }

    /// Hashing progress, possibly from the hashing threads: the total (when asked for; a later
    /// second pass that computes a missing digest algorithm announces its own file as another
    /// [`HashProgress::Started`], to add to the total), then bytes and files as they are done.
    fn hash_progress(&self, progress: HashProgress) {
        let _ = progress;
    }

    /// One artifact's verdict, in the order of the artifacts, as soon as it is decided (with the
    /// policy applied). `statement_bytes`: in slsa-verifier mode, the exact bytes of the signed
    /// statement that verified it. [`ControlFlow::Break`] ends the verification (the caller
    /// keeps its own reason); the outcome then holds the verdicts so far.
    fn verdict(
        &mut self,
        verdict: &ArtifactVerdict,
        statement_bytes: Option<&[u8]>,
    ) -> ControlFlow<()>;
}

/// What a verification ends with.
#[derive(Debug)]
pub struct VerifyOutcome {
    /// The counts, the worst failure class and (when kept) the report entries.
    pub tally: Tally,
    /// What a VSA records of the verdicts ([`VerifyRequest::record_vsa`]).
    pub vsa: Option<VsaRecord>,
}

/// Verifies every artifact of `request`, handing each verdict to `observer` as it is decided.
///
/// `Err` only when nothing could be decided: the attestation file (or its signature, or the
/// directory) cannot be read, the file is malformed, or it is a bare statement with no
/// signature. A failure of one artifact is its verdict.
pub fn verify(
    request: &VerifyRequest<'_>,
    observer: &mut dyn VerifyObserver,
) -> Result<VerifyOutcome, VerifyError> {
    let mut stream = Stream {
        tally: Tally::new(request.keep_results),
        vsa: None,
        policy: None,
    };
    match request.check {
        Check::Documents {
            options,
            policy,
            now,
        } => {
            stream.policy = policy.map(|p| (p, now));
            stream.vsa = request.record_vsa.then(VsaRecord::default);
            match request.attestations {
                Attestations::File { path, signature } => one_file(
                    request,
                    path,
                    signature.as_deref(),
                    options,
                    observer,
                    &mut stream,
                )?,
                Attestations::Dir(dir) => directory(request, dir, options, observer, &mut stream)?,
            }
        }
        Check::SlsaVerifier(options) => slsa(request, options, observer, &mut stream),
    }
    Ok(VerifyOutcome {
        tally: stream.tally,
        vsa: stream.vsa,
    })
}

/// The verdicts so far, and what is applied to each.
struct Stream<'a> {
    tally: Tally,
    vsa: Option<VsaRecord>,
    policy: Option<(&'a Policy, jiff::Timestamp)>,
}

impl Stream<'_> {
    /// Applies the policy to `v`, hands it to the observer and counts it.
    fn show(
        &mut self,
        mut v: ArtifactVerdict,
        statement_bytes: Option<&[u8]>,
        observer: &mut dyn VerifyObserver,
    ) -> ControlFlow<()> {
        if let Some((p, now)) = self.policy {
            v.apply_policy(p, now);
        }
        let flow = observer.verdict(&v, statement_bytes);
        self.tally.add(&v);
        if let Some(record) = &mut self.vsa {
            record.add(v);
        }
        flow
    }
}

/// `Attestations::File`: the file's documents are verified once, every artifact is checked
/// against them.
fn one_file(
    request: &VerifyRequest<'_>,
    path: &Path,
    signature: Option<&Path>,
    options: &VerifyOptions,
    observer: &mut dyn VerifyObserver,
    stream: &mut Stream<'_>,
) -> Result<(), VerifyError> {
    let bytes = crate::read_input(path, InputKind::Attestation)?;
    let signature = signature
        .map(Path::to_path_buf)
        .or_else(|| detached::signature_for(path, &bytes));
    let results = match signature {
        Some(sig) => {
            let signature = crate::read_input(&sig, InputKind::Signature)?;
            vec![detached::verify_detached(
                &detached::DetachedInput {
                    statement: &bytes,
                    statement_origin: &path.display().to_string(),
                    signature: &signature,
                    signature_origin: &sig.display().to_string(),
                },
                options,
            )]
        }
        None => {
            let docs = crate::load_attestations(&bytes, &path.display().to_string())?;
            refuse_unsigned(path, &docs)?;
            crate::verify_documents(&docs, options)
        }
    };
    drop(bytes);
    // Every artifact is checked against the same statements: index their subjects once.
    let lookup = SubjectLookup::new(&results);
    let algs = artifacts::needed_algorithms(&results);
    for chunk in artifacts::artifacts(request.artifacts, algs, observer) {
        for (name, a) in chunk.hash(observer) {
            let v = match a {
                Ok(artifact) => {
                    crate::verify_artifact_indexed(&artifact, &results, &lookup, options)
                }
                Err(e) => artifacts::unreadable(name, e),
            };
            if stream.show(v, None, observer).is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A bare statement with no signature found beside it: nothing vouches for it.
fn refuse_unsigned(file: &Path, docs: &[LoadedDoc]) -> Result<(), VerifyError> {
    if docs
        .iter()
        .all(|d| matches!(d.doc, AttestationDoc::UnsignedStatement(_)))
    {
        return Err(VerifyError::Unsigned {
            path: file.to_path_buf(),
        });
    }
    Ok(())
}

/// `Attestations::Dir`: each artifact's attestation files found in the directory, each file
/// verified once however many artifacts it names.
fn directory(
    request: &VerifyRequest<'_>,
    dir: &Path,
    options: &VerifyOptions,
    observer: &mut dyn VerifyObserver,
    stream: &mut Stream<'_>,
) -> Result<(), VerifyError> {
    if !dir.is_dir() {
        return Err(VerifyError::Input(InputError::NotADirectory {
            path: dir.to_path_buf(),
        }));
    }
    let mut cache = DocCache::new();
    // sha256 first (it also names `sha256:HEX.jsonl` files); other algorithms only when an
    // artifact's statements use them.
    let algs = artifacts::needed_algorithms(&[]);
    for chunk in artifacts::artifacts(request.artifacts, algs, observer) {
        for (name, a) in chunk.hash(observer) {
            let v = match a {
                Ok(artifact) => in_directory(artifact, name, dir, &mut cache, options, observer),
                Err(e) => artifacts::unreadable(name, e),
            };
            if stream.show(v, None, observer).is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// One artifact against the attestation files `dir` holds for it.
fn in_directory(
    artifact: crate::Artifact,
    name: &str,
    dir: &Path,
    cache: &mut DocCache,
    options: &VerifyOptions,
    observer: &dyn VerifyObserver,
) -> ArtifactVerdict {
    let files = crate::attestation_candidates(dir, name, &artifact.digests);
    if files.is_empty() {
        let none = ArtifactError::NoAttestation {
            name: name.to_string(),
            dir: dir.to_path_buf(),
        };
        return ArtifactVerdict::new(artifact, Err(none.into()));
    }
    let mut results: Vec<DocResult> = Vec::new();
    for f in &files {
        results.extend(cache.docs_of(f, options).iter().cloned());
    }
    let artifact = artifacts::complete_digests(artifact, &results, observer);
    crate::verify_artifact(&artifact, &results, options)
}

/// Verified documents per attestation file, computed once per file.
#[derive(Default)]
struct DocCache(HashMap<PathBuf, Rc<Vec<DocResult>>>);

impl DocCache {
    fn new() -> Self {
        DocCache::default()
    }

    fn docs_of(&mut self, path: &Path, options: &VerifyOptions) -> Rc<Vec<DocResult>> {
        if let Some(d) = self.0.get(path) {
            return Rc::clone(d);
        }
        let origin = path.display().to_string();
        let results = match read_attestation(path, &origin) {
            Ok(bytes) => match crate::load_attestations(&bytes, &origin) {
                Ok(docs) => crate::verify_documents(&docs, options),
                Err(e) => vec![Err(e)],
            },
            Err(e) => vec![Err(e)],
        };
        let rc = Rc::new(results);
        self.0.insert(path.to_path_buf(), Rc::clone(&rc));
        rc
    }
}

/// An artifact's attestation file read; a file that cannot be read is that artifact's
/// malformed attestation (the verdict of the artifact, not the end of the verification).
fn read_attestation(path: &Path, origin: &str) -> Result<Vec<u8>, VerifyError> {
    crate::read_input(path, InputKind::Attestation).map_err(|e| VerifyError::Malformed {
        origin: origin.to_string(),
        reason: Default::default(),
        source: Some(Cause::new(e)),
    })
}

/// [`Check::SlsaVerifier`]: each artifact against its provenance file, with slsa-verifier's
/// rules.
fn slsa(
    request: &VerifyRequest<'_>,
    options: &SlsaVerifierOptions<'_>,
    observer: &mut dyn VerifyObserver,
    stream: &mut Stream<'_>,
) {
    let algs = artifacts::needed_algorithms(&[]);
    // Each provenance file is read once (artifacts share one with `--attestation`, and often
    // one file of a directory); it is checked again for each artifact, whose digest it must
    // name.
    let mut read: HashMap<PathBuf, Vec<u8>> = HashMap::new();
    for chunk in artifacts::artifacts(request.artifacts, algs, observer) {
        for (name, a) in chunk.hash(observer) {
            let artifact = match a {
                Ok(a) => a,
                Err(e) => {
                    if stream
                        .show(artifacts::unreadable(name, e), None, observer)
                        .is_break()
                    {
                        return;
                    }
                    continue;
                }
            };
            let files = match request.attestations {
                Attestations::File { path, .. } => vec![path.clone()],
                Attestations::Dir(dir) => {
                    crate::attestation_candidates(dir, name, &artifact.digests)
                }
            };
            let Some(file) = files.first() else {
                let v = ArtifactError::NoProvenance { name: name.clone() };
                let v = ArtifactVerdict::new(artifact, Err(v.into()));
                if stream.show(v, None, observer).is_break() {
                    return;
                }
                continue;
            };
            let origin = file.display().to_string();
            let bytes = match read.entry(file.clone()) {
                std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
                std::collections::hash_map::Entry::Vacant(e) => {
                    read_attestation(file, &origin).map(|b| e.insert(b))
                }
            };
            let verified = bytes.and_then(|bytes| {
                slsa_verifier::verify(
                    bytes,
                    &origin,
                    std::slice::from_ref(&artifact.digests),
                    options,
                )
                .map_err(|e| VerifyError::slsa_verifier(&origin, e))
            });
            let flow = match verified {
                Ok(v) => {
                    let statement = Arc::new(v.to_verified_statement(&origin));
                    let verdict = ArtifactVerdict::new(artifact, Ok(statement));
                    stream.show(verdict, Some(&v.statement_bytes), observer)
                }
                Err(e) => stream.show(ArtifactVerdict::new(artifact, Err(e)), None, observer),
            };
            if flow.is_break() {
                return;
            }
        }
    }
}
