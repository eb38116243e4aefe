//! `index add`: find attestation files, skip unchanged ones, verify the rest in parallel, and
//! commit the verified documents in batches from one writer.
//!
//! A file's row in `files` is written in the same transaction as its envelopes, so a process
//! killed mid-ingestion leaves whole files or nothing; a rerun picks up the rest.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use provseal_crypto::PublicKey;
use provseal_verify::diag::Code;
use provseal_verify::policy::Policy;
use provseal_verify::{AttestationDoc, LoadedDoc, VerifyError, VerifyOptions};
use rayon::prelude::*;

use crate::db::{is_retryable, Db, Val};
use crate::hit::{hit_of_record, hit_row, line_row};
use crate::record::{record, sha256_hex, Dictionaries, EnvelopeRecord, RawDoc};
use crate::{Index, IndexError};

/// What an attestation must verify against to enter the index.
#[derive(Debug, Clone)]
pub struct Trust {
    /// Keys, Sigstore trust and identity (the same options as `provseal verify`).
    pub options: VerifyOptions,
    /// A policy every document must also pass, if any.
    pub policy: Option<Policy>,
    /// What verified it besides a key, recorded on every row (`identity:… issuer:…`,
    /// `policy:PATH sha256:…`); a key-signed row also records `key:ID` of the key that verified.
    pub verified_by: String,
}

impl Trust {
    /// Trust these public keys.
    pub fn keys(keys: Vec<PublicKey>) -> Trust {
        Trust {
            options: VerifyOptions {
                keys,
                ..Default::default()
            },
            policy: None,
            verified_by: String::new(),
        }
    }
}

/// Ingestion settings.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Files per transaction.
    pub batch_files: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { batch_files: 1000 }
    }
}

/// A document that did not verify (never indexed).
#[derive(Debug, Clone)]
pub struct Rejection {
    /// The file.
    pub path: PathBuf,
    /// The diagnostic code (`signature-invalid`, `policy-failed`, …).
    pub code: Code,
    /// The full message (names the file and line).
    pub message: String,
}

/// What `add` did.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    /// Attestation files considered.
    pub files_seen: usize,
    /// Skipped: unchanged since the last run (size and mtime, or digest).
    pub files_unchanged: usize,
    /// Read and verified.
    pub files_verified: usize,
    /// Envelopes added.
    pub envelopes_new: usize,
    /// Verified envelopes already in the index (same payload digest).
    pub envelopes_known: usize,
    /// Rejected documents.
    pub rejected: Vec<Rejection>,
}

/// Names that are attestation files when found in a directory.
fn looks_like_attestation(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [
        ".jsonl",
        ".json",
        ".sigstore",
        ".attestation",
        ".intoto",
        ".slsa",
        ".dsse",
    ]
    .iter()
    .any(|s| name.ends_with(s))
}

/// Files named on the command line are taken as given; directories are walked for
/// attestation-looking names (sorted, so runs are reproducible).
fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IndexError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = fs_err::metadata(p).map_err(|e| IndexError::Io {
            path: p.clone(),
            source: e,
        })?;
        if meta.is_dir() {
            for entry in walkdir::WalkDir::new(p).sort_by_file_name() {
                let entry = entry.map_err(|e| IndexError::Io {
                    path: p.clone(),
                    source: e.into(),
                })?;
                if entry.file_type().is_file() && looks_like_attestation(entry.path()) {
                    out.push(entry.into_path());
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    size: i64,
    mtime_ns: i64,
    sha256: String,
}

fn stamp_of(meta: &std::fs::Metadata) -> (i64, i64) {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    (meta.len() as i64, mtime)
}

/// The outcome of reading one file.
enum FileOutcome {
    /// Same size and mtime as recorded: not even read.
    Skipped,
    /// Same digest as recorded: only the stamp is refreshed.
    Unchanged { key: String, stamp: FileStamp },
    /// Verified documents (and rejections).
    Read {
        key: String,
        stamp: FileStamp,
        records: Vec<EnvelopeRecord>,
        rejected: Vec<Rejection>,
    },
    /// The file itself could not be read or parsed.
    Failed(Rejection),
}

fn reject(path: &Path, e: &VerifyError) -> Rejection {
    Rejection {
        path: path.to_path_buf(),
        code: e.code(),
        message: provseal_model::one_line(e),
    }
}

/// The signed statement bytes a document carries: a DSSE envelope's payload, a batch entry's
/// statement, a Sigstore bundle's `dsseEnvelope.payload` (none for a message signature).
/// Ingestion is idempotent on their SHA-256 (on the document's, when there are none).
fn signed_payload(doc: &LoadedDoc) -> Option<Vec<u8>> {
    use base64::Engine;
    match &doc.doc {
        AttestationDoc::Dsse(env) => Some(env.payload.clone()),
        AttestationDoc::BatchEntry(bytes) => provseal_batch::BatchEntry::from_json(bytes)
            .ok()
            .map(|e| e.statement),
        AttestationDoc::SigstoreBundle(bytes) => serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| {
                v.pointer("/dsseEnvelope/payload")
                    .and_then(|p| p.as_str())
                    .and_then(|p| base64::engine::general_purpose::STANDARD.decode(p).ok())
            }),
        // Nothing vouches for it; verification refuses it before anything is stored.
        AttestationDoc::UnsignedStatement(_) => None,
    }
}

fn raw_bytes(doc: &LoadedDoc) -> Vec<u8> {
    match &doc.doc {
        AttestationDoc::Dsse(env) => env.to_json().into_bytes(),
        AttestationDoc::BatchEntry(b)
        | AttestationDoc::SigstoreBundle(b)
        | AttestationDoc::UnsignedStatement(b) => b.clone(),
    }
}

/// Verifies one document exactly as `provseal verify` does, then the policy if one is given.
pub(crate) fn verify_doc(
    doc: &LoadedDoc,
    trust: &Trust,
    now: jiff::Timestamp,
) -> provseal_verify::DocResult {
    let v = provseal_verify::verify_document(doc, &trust.options)?;
    match &trust.policy {
        None => Ok(v),
        Some(policy) => {
            // The same policy step as `provseal verify --policy`, with the document as artifact.
            let artifact = provseal_verify::Artifact {
                name: doc.origin.to_string(),
                digests: Default::default(),
            };
            let mut verdict = provseal_verify::ArtifactVerdict::new(artifact, Ok(v));
            verdict.apply_policy(policy, now);
            verdict.result
        }
    }
}

fn read_file(
    path: &Path,
    known: &HashMap<String, FileStamp>,
    trust: &Trust,
    now: jiff::Timestamp,
    dicts: &Dictionaries,
) -> FileOutcome {
    let key = std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string();
    let origin = path.display().to_string();
    // Unreadable and oversized files are malformed input, as `provseal verify` reports them.
    let fail = |fact: String, source: Option<std::io::Error>| {
        FileOutcome::Failed(reject(
            path,
            &VerifyError::Malformed {
                origin: origin.clone(),
                reason: fact,
                source: source.map(provseal_model::Cause::new),
            },
        ))
    };
    let meta = match fs_err::metadata(path) {
        Ok(m) => m,
        Err(e) => return fail(String::new(), Some(e)),
    };
    let (size, mtime_ns) = stamp_of(&meta);
    let prior = known.get(&key);
    if prior.is_some_and(|p| p.size == size && p.mtime_ns == mtime_ns) {
        return FileOutcome::Skipped;
    }
    if meta.len() > provseal_verify::MAX_ATTESTATION_BYTES {
        let fact = format!(
            "the file is {} bytes, over the {} byte limit",
            meta.len(),
            provseal_verify::MAX_ATTESTATION_BYTES
        );
        return fail(fact, None);
    }
    let bytes = match fs_err::read(path) {
        Ok(b) => b,
        Err(e) => return fail(String::new(), Some(e)),
    };
    let stamp = FileStamp {
        size,
        mtime_ns,
        sha256: sha256_hex(&bytes),
    };
    if prior.is_some_and(|p| p.sha256 == stamp.sha256) {
        return FileOutcome::Unchanged { key, stamp };
    }
    let docs = match provseal_verify::load_attestations(&bytes, &origin) {
        Ok(d) => d,
        Err(e) => return FileOutcome::Failed(reject(path, &e)),
    };
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    for doc in &docs {
        match verify_doc(doc, trust, now) {
            Ok(v) => {
                let raw = raw_bytes(doc);
                let payload = signed_payload(doc);
                let payload_digest = sha256_hex(payload.as_deref().unwrap_or(&raw));
                // A one-document file is stored as it is: its digest is already known.
                let raw_digest = if raw == bytes {
                    stamp.sha256.clone()
                } else {
                    sha256_hex(&raw)
                };
                let raw_doc = RawDoc {
                    raw: &raw,
                    raw_digest,
                    payload: payload.as_deref(),
                    payload_digest,
                    format: doc.doc.format(),
                };
                match record(&v, raw_doc, &trust.verified_by, dicts) {
                    Ok(r) => records.push(r),
                    Err(e) => rejected.push(Rejection {
                        path: path.to_path_buf(),
                        code: Code::AttestationMalformed,
                        message: provseal_model::one_line(&e),
                    }),
                }
            }
            Err(e) => rejected.push(reject(path, &e)),
        }
    }
    FileOutcome::Read {
        key,
        stamp,
        records,
        rejected,
    }
}

/// What the writer already knows is stored (so it skips re-inserting big shared rows).
#[derive(Default)]
struct Known {
    depsets: HashSet<i64>,
    packages: HashSet<i64>,
    signers: HashSet<i64>,
}

fn load_known(db: &mut Db) -> Result<(HashMap<String, FileStamp>, Known), IndexError> {
    let mut files = HashMap::new();
    for r in db.query("SELECT path, size, mtime_ns, sha256 FROM files", &[])? {
        if let [p, s, m, h] = r.as_slice() {
            files.insert(
                p.string(),
                FileStamp {
                    size: s.int().unwrap_or(-1),
                    mtime_ns: m.int().unwrap_or(-1),
                    sha256: h.string(),
                },
            );
        }
    }
    let ids = |db: &mut Db, sql: &str| -> Result<HashSet<i64>, IndexError> {
        Ok(db
            .query(sql, &[])?
            .iter()
            .filter_map(|r| r.first().and_then(Val::int))
            .collect())
    };
    let known = Known {
        depsets: ids(db, "SELECT id FROM depsets")?,
        packages: ids(db, "SELECT id FROM packages")?,
        signers: ids(db, "SELECT id FROM signers")?,
    };
    Ok((files, known))
}

const UPSERT_FILE: &str = "ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, envelopes = excluded.envelopes";

/// Writes one batch in one transaction. Returns (new, known) envelope counts.
fn write_batch(
    db: &mut Db,
    outcomes: &[FileOutcome],
    known: &mut Known,
    now: &str,
) -> Result<(usize, usize), IndexError> {
    let mut blobs = Vec::new();
    let mut signers = Vec::new();
    let mut envelopes = Vec::new();
    let mut subjects = Vec::new();
    let mut builds = Vec::new();
    let mut hits = Vec::new();
    let mut lines = Vec::new();
    let mut depsets = Vec::new();
    let mut packages = Vec::new();
    let mut members = Vec::new();
    let mut files = Vec::new();
    let mut new_sets = HashSet::new();
    let mut new_pkgs = HashSet::new();
    let mut new_signers = HashSet::new();
    let mut env_ids = HashSet::new();
    for o in outcomes {
        let (key, stamp, records, complete) = match o {
            FileOutcome::Unchanged { key, stamp } => (key, stamp, &[][..], true),
            FileOutcome::Read {
                key,
                stamp,
                records,
                rejected,
            } => (key, stamp, records.as_slice(), rejected.is_empty()),
            FileOutcome::Failed(_) | FileOutcome::Skipped => continue,
        };
        for r in records {
            if !env_ids.insert(r.id) {
                continue;
            }
            let b = &r.blob;
            blobs.push(vec![
                b.digest.clone().into(),
                b.doc.clone().into(),
                b.payload.clone().into(),
                b.payload_at.into(),
                b.dict_id.into(),
            ]);
            if !known.signers.contains(&r.signer.id) && new_signers.insert(r.signer.id) {
                let s = &r.signer;
                signers.push(vec![
                    s.id.into(),
                    s.kind.into(),
                    s.key_id.clone().into(),
                    s.san.clone().into(),
                    s.issuer.clone().into(),
                    s.repository.clone().into(),
                    s.workflow.clone().into(),
                    s.git_ref.clone().into(),
                    s.extensions.clone().into(),
                ]);
            }
            envelopes.push(vec![
                r.id.into(),
                r.payload_digest.clone().into(),
                r.blob.digest.clone().into(),
                r.format.into(),
                r.origin.clone().into(),
                r.signer.id.into(),
                r.verified_by.clone().into(),
                r.predicate_type.clone().into(),
                now.into(),
                r.skeleton.clone().into(),
                r.eval_key.clone().into(),
            ]);
            let hit = hit_of_record(r);
            lines.push(line_row(r.signer.id, &hit)?);
            hits.push(hit_row(r.signer.id, r.id, hit));
            for (alg, hex, name) in &r.subjects {
                subjects.push(vec![
                    hex.clone().into(),
                    alg.clone().into(),
                    r.id.into(),
                    name.clone().into(),
                ]);
            }
            if let Some(set) = &r.depset {
                if !known.depsets.contains(&set.id) && new_sets.insert(set.id) {
                    depsets.push(vec![
                        set.id.into(),
                        set.digest.clone().into(),
                        set.count.into(),
                        crate::record::compress(set.json.as_bytes()).into(),
                    ]);
                    for p in &set.packages() {
                        members.push(vec![p.id.into(), set.id.into()]);
                        if !known.packages.contains(&p.id) && new_pkgs.insert(p.id) {
                            packages.push(vec![
                                p.id.into(),
                                p.purl.clone().into(),
                                p.key.clone().into(),
                                p.ty.clone().into(),
                                p.namespace.clone().into(),
                                p.name.clone().into(),
                                p.version.clone().into(),
                            ]);
                        }
                    }
                }
            }
            if let Some(b) = &r.build {
                builds.push(vec![
                    r.id.into(),
                    b.builder.clone().into(),
                    b.build_type.clone().into(),
                    b.repository.clone().into(),
                    b.commit.clone().into(),
                    b.git_ref.clone().into(),
                    b.dirty.into(),
                    b.started_on.clone().into(),
                    b.finished_on.clone().into(),
                    r.depset.as_ref().map(|d| d.id).into(),
                ]);
            }
        }
        // A file with a rejected document is not recorded, so it is verified again next time.
        if complete {
            files.push(vec![
                key.clone().into(),
                stamp.size.into(),
                stamp.mtime_ns.into(),
                stamp.sha256.clone().into(),
                (records.len() as i64).into(),
            ]);
        }
    }
    let ids: Vec<i64> = env_ids.iter().copied().collect();
    let before = count_existing(db, &ids)?;
    const NOTHING: &str = "ON CONFLICT DO NOTHING";
    db.insert_rows(
        "blobs",
        &["digest", "zstd", "payload", "payload_at", "dict_id"],
        NOTHING,
        blobs,
    )?;
    db.insert_rows(
        "signers",
        &[
            "id",
            "kind",
            "key_id",
            "san",
            "issuer",
            "repository",
            "workflow",
            "git_ref",
            "extensions",
        ],
        NOTHING,
        signers,
    )?;
    db.insert_rows(
        "packages",
        &[
            "id",
            "purl",
            "pkg_key",
            "type",
            "namespace",
            "name",
            "version",
        ],
        NOTHING,
        packages,
    )?;
    db.insert_rows(
        "depsets",
        &["id", "digest", "count", "zstd"],
        NOTHING,
        depsets,
    )?;
    db.insert_rows(
        "depset_members",
        &["package_id", "depset_id"],
        NOTHING,
        members,
    )?;
    db.insert_rows(
        "envelopes",
        &[
            "id",
            "payload_digest",
            "blob_digest",
            "format",
            "origin",
            "signer_id",
            "verified_by",
            "predicate_type",
            "ingested_at",
            "skeleton",
            "eval_key",
        ],
        NOTHING,
        envelopes,
    )?;
    db.insert_rows(
        "subjects",
        &["digest", "algorithm", "envelope_id", "name"],
        NOTHING,
        subjects,
    )?;
    db.insert_rows(
        "builds",
        &[
            "envelope_id",
            "builder",
            "build_type",
            "repository",
            "commit_sha",
            "git_ref",
            "dirty",
            "started_on",
            "finished_on",
            "depset_id",
        ],
        NOTHING,
        builds,
    )?;
    crate::hit::insert(db, NOTHING, hits, lines)?;
    db.insert_rows(
        "files",
        &["path", "size", "mtime_ns", "sha256", "envelopes"],
        UPSERT_FILE,
        files,
    )?;
    known.depsets.extend(new_sets);
    known.packages.extend(new_pkgs);
    known.signers.extend(new_signers);
    Ok((ids.len() - before, before))
}

/// How many of `ids` are already stored.
fn count_existing(db: &mut Db, ids: &[i64]) -> Result<usize, IndexError> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        let (cond, params) = db.id_filter("id", chunk);
        n += db
            .query(
                &format!("SELECT COUNT(*) FROM envelopes WHERE {cond}"),
                &params,
            )?
            .first()
            .and_then(|r| r.first())
            .and_then(Val::int)
            .unwrap_or(0) as usize;
    }
    Ok(n)
}

/// Runs `f` in a transaction; on PostgreSQL a deadlock or serialization failure (concurrent
/// ingesters on overlapping input) rolls back and retries.
pub(crate) fn in_transaction<T>(
    db: &mut Db,
    mut f: impl FnMut(&mut Db) -> Result<T, IndexError>,
) -> Result<T, IndexError> {
    let mut attempt = 0;
    loop {
        db.batch(if db.is_postgres() {
            "BEGIN"
        } else {
            "BEGIN IMMEDIATE"
        })?;
        match f(db) {
            Ok(v) => {
                db.batch("COMMIT")?;
                return Ok(v);
            }
            Err(e) => {
                let _ = db.batch("ROLLBACK");
                attempt += 1;
                if attempt >= 8 || !is_retryable(&e) {
                    return Err(e);
                }
                std::thread::sleep(std::time::Duration::from_millis(20 * attempt));
            }
        }
    }
}

impl Index {
    /// Ingests attestation files and directories. Only documents that verify against
    /// `trust` enter; the others are listed in the report's `rejected` with their code.
    pub fn add(
        &mut self,
        paths: &[PathBuf],
        trust: &Trust,
        opts: &IngestOptions,
    ) -> Result<IngestReport, IndexError> {
        let files = collect_files(paths)?;
        let (stamps, mut known) = load_known(&mut self.db)?;
        let mut report = IngestReport {
            files_seen: files.len(),
            ..Default::default()
        };
        let now = jiff::Timestamp::now();
        let now_text = now.to_string();
        let batch = opts.batch_files.max(1);
        let (tx, rx) = mpsc::sync_channel::<Vec<FileOutcome>>(2);
        let db = &mut self.db;
        std::thread::scope(|scope| -> Result<(), IndexError> {
            let stamps = &stamps;
            let files = &files;
            scope.spawn(move || {
                let dicts = Dictionaries::default();
                for chunk in files.chunks(batch) {
                    let outcomes: Vec<FileOutcome> = chunk
                        .par_iter()
                        .map(|p| read_file(p, stamps, trust, now, &dicts))
                        .collect();
                    if tx.send(outcomes).is_err() {
                        return;
                    }
                }
            });
            let mut result = Ok(());
            for outcomes in rx {
                if result.is_err() {
                    continue; // drain so the reader finishes
                }
                for o in &outcomes {
                    match o {
                        FileOutcome::Unchanged { .. } | FileOutcome::Skipped => {
                            report.files_unchanged += 1
                        }
                        FileOutcome::Read { rejected, .. } => {
                            report.files_verified += 1;
                            report.rejected.extend(rejected.iter().cloned());
                        }
                        FileOutcome::Failed(r) => report.rejected.push(r.clone()),
                    }
                }
                if outcomes.iter().all(|o| matches!(o, FileOutcome::Skipped)) {
                    continue; // nothing to write
                }
                match in_transaction(db, |db| write_batch(db, &outcomes, &mut known, &now_text)) {
                    Ok((new, old)) => {
                        report.envelopes_new += new;
                        report.envelopes_known += old;
                    }
                    Err(e) => result = Err(e),
                }
            }
            result
        })?;
        if report.envelopes_new > 0 {
            // Fresh statistics, so the planners answer lookups from the covering indexes.
            self.db.batch("ANALYZE")?;
        }
        Ok(report)
    }
}
