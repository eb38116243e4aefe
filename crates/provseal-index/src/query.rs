//! Queries over the index, and the maintenance operations (`reverify`, `prune`, `export`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use provseal_model::ResourceDescriptor;
use provseal_verify::policy::purl::PackagePattern;
use provseal_verify::policy::{Policy, PolicyInput};
use provseal_verify::{LoadedDoc, VerifiedStatement};
use rayon::prelude::*;
use serde::Serialize;

use crate::db::{Cell, Db, Val};
use crate::hit::{hit_of_cells, hit_select, sort_hits, Hit, HitRef};
use crate::ingest::{in_transaction, verify_doc, Trust};
use crate::record::{decompress, depset_descriptors, package_row, BlobRow, SignerRow, Skeleton};
use crate::{Index, IndexError};

/// An evaluation key and its failed rules.
type Failing = (String, Vec<String>);

/// A build that fails the policy today.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyHit {
    /// The build.
    #[serde(flatten)]
    pub hit: Hit,
    /// `rule: expected …, found …` for each failed rule.
    pub failures: Vec<String>,
}

/// One package whose versions differ between two releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepChange {
    /// `type/namespace/name`.
    pub package: String,
    /// The versions in the first release.
    pub from: Vec<String>,
    /// The versions in the second.
    pub to: Vec<String>,
}

/// The dependency change between two releases.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// The first release.
    pub from: Hit,
    /// The second.
    pub to: Hit,
    /// purls only in the second.
    pub added: Vec<String>,
    /// purls only in the first.
    pub removed: Vec<String>,
    /// Packages in both with other versions.
    pub changed: Vec<DepChange>,
}

impl Diff {
    /// Whether anything changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// The result of re-verifying one stored envelope.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reverified {
    /// The envelope.
    pub payload_digest: String,
    /// Where it was ingested from.
    pub origin: String,
    /// `None` when it still verifies; otherwise the diagnostic code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<provseal_verify::diag::Code>,
    /// Why it no longer verifies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Whose attestations a signer query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerQuery<'a> {
    /// The key with this provseal key id.
    Key(&'a str),
    /// A certificate with this identity (SAN) and issuer.
    Identity {
        /// The certificate's identity (SAN).
        identity: &'a str,
        /// The OIDC issuer.
        issuer: &'a str,
    },
}

impl SignerQuery<'_> {
    /// The query of its signer rows' ids, with its parameters.
    fn signer_ids(self) -> (&'static str, Vec<Val>) {
        match self {
            SignerQuery::Key(key_id) => (
                "SELECT id FROM signers WHERE key_id = ?",
                vec![key_id.to_ascii_lowercase().into()],
            ),
            SignerQuery::Identity { identity, issuer } => (
                "SELECT id FROM signers WHERE san = ? AND issuer = ?",
                vec![identity.into(), issuer.into()],
            ),
        }
    }
}

/// The columns [`restore`] reads, in its order.
const BLOB_COLUMNS: &str = "b.zstd, b.payload, b.payload_at, b.dict_id";

/// A stored document's bytes from its [`BLOB_COLUMNS`].
fn restore(cols: &[Val], dicts: &HashMap<i64, Vec<u8>>) -> Result<Vec<u8>, IndexError> {
    let [doc, payload, at, dict] = cols else {
        return Err(IndexError::Damaged {
            what: "stored document row".into(),
            source: "wrong column count".into(),
        });
    };
    let dict = dict
        .int()
        .and_then(|d| dicts.get(&d))
        .map(Vec::as_slice)
        .unwrap_or_default();
    let payload = match payload {
        Val::Blob(b) => Some(b.as_slice()),
        _ => None,
    };
    BlobRow::restore(doc.blob(), payload, at.int(), dict)
}

fn one_int(rows: &[Vec<Val>]) -> Vec<i64> {
    rows.iter()
        .filter_map(|r| r.first().and_then(Val::int))
        .collect()
}

/// The hits of envelope ids, in their stable order (finish time, then digest), with the purls
/// a package query matched.
fn hits(
    db: &mut Db,
    ids: &[i64],
    matched: &HashMap<i64, Vec<String>>,
) -> Result<Vec<Hit>, IndexError> {
    let mut sorted: Vec<i64> = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::with_capacity(sorted.len());
    let mut push = |h: HitRef<'_>| out.push(h.to_hit());
    if db.is_postgres() {
        // One array parameter, joined row by row through `hits_envelope`: with `= ANY(…)` the
        // planner switches to a scan of the whole table above ~2,000 ids (3,300 ids: 21 ms
        // against 7–10 ms for the join, EXPLAIN ANALYZE on 100,000 attestations).
        each_hit(
            db,
            "unnest(?::int8[]) AS i(id) JOIN hits ON hits.envelope_id = i.id",
            &[Val::Ints(sorted)],
            matched,
            &mut push,
        )?;
    } else {
        for ids in sorted.chunks(500) {
            let (cond, params) = db.id_filter("envelope_id", ids);
            each_hit(
                db,
                &format!("hits WHERE {cond}"),
                &params,
                matched,
                &mut push,
            )?;
        }
    }
    sort_hits(&mut out);
    Ok(out)
}

/// Hands each stored hit `SELECT … FROM {from}` reads (`hits WHERE …`, or a join) to `each`,
/// borrowed from its row, in the order the statement gives. Returns the number of hits.
fn each_hit(
    db: &mut Db,
    from: &str,
    params: &[Val],
    matched: &HashMap<i64, Vec<String>>,
    mut each: impl FnMut(HitRef<'_>),
) -> Result<usize, IndexError> {
    let sql = format!("SELECT {} FROM {from}", hit_select());
    db.query_each(&sql, params, |row| {
        each(hit_of_cells(row, matched)?);
        Ok(())
    })
}

/// The rows of `signer`'s attestations in `table` (`hits` or `hit_lines`, which share their
/// key), in the stable order of hits, handed to `each` as they are read.
fn each_signer_row(
    db: &mut Db,
    signer: SignerQuery<'_>,
    select: &str,
    mut each: impl FnMut(&[Cell<'_>]) -> Result<(), IndexError>,
) -> Result<usize, IndexError> {
    let (signer_ids, params) = signer.signer_ids();
    let ids = one_int(&db.query(signer_ids, &params)?);
    // The order of `sort_hits` is the key's after the signer: for one signer (the usual case)
    // the rows are read in key order, with no sort. Several signer rows are sorted by the
    // backend (in byte order: the key columns are `COLLATE "C"` in PostgreSQL).
    let order = "ORDER BY finished_key, payload_digest";
    let (cond, params) = match ids.as_slice() {
        [] => return Ok(0),
        [one] => ("signer_id = ?".to_string(), vec![(*one).into()]),
        several => db.id_filter("signer_id", several),
    };
    let sql = format!("SELECT {select} WHERE {cond} {order}");
    if !db.is_postgres() {
        return db.query_each(&sql, &params, &mut each);
    }
    // PostgreSQL's planner prices reading 5,000 rows in key order (random heap reads) above
    // reading them in heap order and sorting them, which costs 3–4 ms more for a signer's
    // hits (EXPLAIN ANALYZE, 100,000 attestations); the sort is off for this one statement.
    db.batch("BEGIN; SET LOCAL enable_sort = off")?;
    let read = db.query_each(&sql, &params, &mut each);
    let end = db.batch(if read.is_ok() { "COMMIT" } else { "ROLLBACK" });
    let n = read?;
    end?;
    Ok(n)
}

/// `alg:hex` → (alg, lowercase hex), checked.
fn parse_digest(text: &str) -> Result<(String, String), IndexError> {
    let bad = |reason: &str| IndexError::BadQuery {
        query: text.to_string(),
        reason: reason.to_string(),
    };
    let (alg, hex) = text
        .split_once(':')
        .ok_or_else(|| bad("expected ALG:HEX (sha256:…)"))?;
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        "sha1" | "gitCommit" => 40,
        _ => return Err(bad("unknown digest algorithm")),
    };
    if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(&format!("{alg} needs {len} hex digits")));
    }
    Ok((alg.to_string(), hex.to_ascii_lowercase()))
}

/// Rebuilds one stored statement (its skeleton, signer and dependency set) and evaluates
/// `policy` on it; `Some` with the evaluation key and the failed rules when it fails.
/// `row`: origin, skeleton, signer kind, key id, SAN, issuer, extensions, eval key, set id.
fn evaluate_stored(
    row: &[Val],
    deps: Vec<ResourceDescriptor>,
    policy: &Policy,
    now: jiff::Timestamp,
) -> Result<Option<Failing>, IndexError> {
    let [origin, skel, kind, key_id, san, issuer, ext, key, _set] = row else {
        return Ok(None);
    };
    let json = decompress(skel.blob(), "statement skeleton")?;
    let sk: Skeleton = serde_json::from_slice(&json).map_err(|e| IndexError::Damaged {
        what: format!("statement of `{}`", origin.string()),
        source: Box::new(e),
    })?;
    let mut provenance = sk.provenance;
    if let Some(p) = provenance.as_mut() {
        p.build_definition.resolved_dependencies.extend(deps);
    }
    let v = VerifiedStatement {
        origin: provseal_verify::Origin::file(origin.string()),
        signer: SignerRow::identity(
            &kind.string(),
            key_id.opt_string(),
            san.opt_string(),
            issuer.opt_string(),
            ext.opt_string(),
        ),
        statement: sk.statement,
        provenance,
    };
    let report = policy.evaluate(&PolicyInput {
        verified: &v,
        artifact_name: &origin.string(),
        now,
        signed_at: None,
    });
    Ok((!report.passed).then(|| {
        (
            key.string(),
            report
                .failures()
                .map(|f| format!("{}: expected {}, found {}", f.rule, f.expected, f.actual))
                .collect(),
        )
    }))
}

impl Index {
    /// Builds whose dependency set holds a package matching `pattern`
    /// (`pkg:pypi/xz@>=5.6.0,<5.6.2`, `pkg:npm/left-pad@1.3.0`, `pkg:cargo/serde`), with the
    /// policy's version ordering (PEP 440 for PyPI, SemVer for npm and Cargo).
    pub fn query_package(&mut self, pattern: &str) -> Result<Vec<Hit>, IndexError> {
        let pat = PackagePattern::parse(pattern).map_err(|e| IndexError::BadQuery {
            query: pattern.to_string(),
            reason: match e {
                provseal_verify::policy::purl::PatternError::Purl(r)
                | provseal_verify::policy::purl::PatternError::Range(r) => r,
            },
        })?;
        let candidates = self.db.query(
            "SELECT id, purl FROM packages WHERE pkg_key = ?",
            &[pat.key().into()],
        )?;
        let mut purl_of: HashMap<i64, String> = HashMap::new();
        for r in candidates {
            if let [id, purl] = r.as_slice() {
                let purl = purl.string();
                if pat.matches_purl(&purl) {
                    purl_of.insert(id.int().unwrap_or(0), purl);
                }
            }
        }
        let pkg_ids: Vec<i64> = purl_of.keys().copied().collect();
        let mut matched: HashMap<i64, BTreeSet<String>> = HashMap::new();
        for chunk in pkg_ids.chunks(500) {
            let (cond, params) = self.db.id_filter("m.package_id", chunk);
            let rows = self.db.query(
                &format!(
                    "SELECT b.envelope_id, m.package_id FROM depset_members m \
                     JOIN builds b ON b.depset_id = m.depset_id WHERE {cond}"
                ),
                &params,
            )?;
            for r in rows {
                if let [e, p] = r.as_slice() {
                    if let Some(purl) = p.int().and_then(|p| purl_of.get(&p)) {
                        matched
                            .entry(e.int().unwrap_or(0))
                            .or_default()
                            .insert(purl.clone());
                    }
                }
            }
        }
        let ids: Vec<i64> = matched.keys().copied().collect();
        // Each envelope's purls, sorted and distinct, as the slice its hit borrows.
        let matched: HashMap<i64, Vec<String>> = matched
            .into_iter()
            .map(|(id, purls)| (id, purls.into_iter().collect()))
            .collect();
        hits(&mut self.db, &ids, &matched)
    }

    /// Attestations with a subject of this digest (`sha256:HEX`, …).
    pub fn query_artifact(&mut self, digest: &str) -> Result<Vec<Hit>, IndexError> {
        let (alg, hex) = parse_digest(digest)?;
        let ids = one_int(&self.db.query(
            "SELECT envelope_id FROM subjects WHERE digest = ? AND algorithm = ?",
            &[hex.into(), alg.into()],
        )?);
        hits(&mut self.db, &ids, &HashMap::new())
    }

    /// Builds from a commit (a hex prefix of at least 4 digits).
    pub fn query_commit(&mut self, prefix: &str) -> Result<Vec<Hit>, IndexError> {
        let p = prefix.to_ascii_lowercase();
        if p.len() < 4 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(IndexError::BadQuery {
                query: prefix.to_string(),
                reason: "a commit prefix is at least 4 hex digits".into(),
            });
        }
        // Hex digits sort below `g`: [p, p+"g") is exactly the prefix range (index-friendly).
        let ids = one_int(&self.db.query(
            "SELECT envelope_id FROM builds WHERE commit_sha >= ? AND commit_sha < ?",
            &[p.clone().into(), format!("{p}g").into()],
        )?);
        hits(&mut self.db, &ids, &HashMap::new())
    }

    /// Attestations signed by `signer`.
    pub fn query_signer(&mut self, signer: SignerQuery<'_>) -> Result<Vec<Hit>, IndexError> {
        let mut out = Vec::new();
        self.each_signer_hit(signer, |h| out.push(h.to_hit()))?;
        Ok(out)
    }

    /// [`Index::query_signer`] without an owned hit: each hit is handed to `each`, in the same
    /// order, borrowed from the row as it is read. Returns the number of hits.
    pub fn each_signer_hit(
        &mut self,
        signer: SignerQuery<'_>,
        mut each: impl FnMut(HitRef<'_>),
    ) -> Result<usize, IndexError> {
        let none = HashMap::new();
        let select = format!("{} FROM hits", hit_select());
        each_signer_row(&mut self.db, signer, &select, |row| {
            each(hit_of_cells(row, &none)?);
            Ok(())
        })
    }

    /// [`Index::query_signer`] as JSON lines, each handed to `each` (without its line break)
    /// as it is read: the line stored at ingestion, which is the hit's serialisation
    /// (`serde_json` of [`Hit`]). Returns the number of hits.
    pub fn each_signer_line(
        &mut self,
        signer: SignerQuery<'_>,
        mut each: impl FnMut(&str),
    ) -> Result<usize, IndexError> {
        each_signer_row(&mut self.db, signer, "line FROM hit_lines", |row| {
            each(row.first().and_then(Cell::text).unwrap_or_default());
            Ok(())
        })
    }

    /// Every indexed build that fails `policy` at time `now`, with the failed rules.
    ///
    /// Each statement is rebuilt from its stored skeleton and dependency set (decoded once per
    /// set) and evaluated by the same code as `provseal verify --policy`.
    pub fn query_policy(
        &mut self,
        policy: &Policy,
        now: jiff::Timestamp,
    ) -> Result<Vec<PolicyHit>, IndexError> {
        // One evaluation per distinct (signer, dependency set, skeleton): builds that differ
        // only in their subjects share a verdict.
        let mut groups: HashMap<String, Vec<i64>> = HashMap::new();
        for r in self.db.query("SELECT eval_key, id FROM envelopes", &[])? {
            if let [k, id] = r.as_slice() {
                groups
                    .entry(k.string())
                    .or_default()
                    .push(id.int().unwrap_or(0));
            }
        }
        let reps: Vec<i64> = groups
            .values()
            .filter_map(|ids| ids.iter().min().copied())
            .collect();
        // The representatives by dependency set: each set is decoded once, on a worker thread,
        // and handed to its builds (the last one takes it without a copy).
        let mut by_set: HashMap<Option<i64>, Vec<Vec<Val>>> = HashMap::new();
        for chunk in reps.chunks(500) {
            let (cond, params) = self.db.id_filter("e.id", chunk);
            for r in self.db.query(
                &format!(
                    "SELECT e.origin, e.skeleton, s.kind, s.key_id, s.san, s.issuer, s.extensions, e.eval_key, b.depset_id \
                     FROM envelopes e JOIN signers s ON s.id = e.signer_id LEFT JOIN builds b ON b.envelope_id = e.id \
                     WHERE {cond}"
                ),
                &params,
            )? {
                by_set
                    .entry(r.last().and_then(Val::int))
                    .or_default()
                    .push(r);
            }
        }
        let mut sets: HashMap<i64, Vec<u8>> = HashMap::new();
        let wanted: Vec<i64> = by_set.keys().flatten().copied().collect();
        for chunk in wanted.chunks(500) {
            let (cond, params) = self.db.id_filter("id", chunk);
            for r in self.db.query(
                &format!("SELECT id, zstd FROM depsets WHERE {cond}"),
                &params,
            )? {
                if let [id, Val::Blob(z)] = r.as_slice() {
                    sets.insert(id.int().unwrap_or(0), z.clone());
                }
            }
        }
        let failing: Vec<Result<Vec<Failing>, IndexError>> = by_set
            .into_par_iter()
            .map(|(set, rows)| {
                let mut deps = match set.and_then(|s| sets.get(&s)) {
                    Some(z) => depset_descriptors(z)?,
                    None => Vec::new(),
                };
                let mut out = Vec::new();
                let last = rows.len().saturating_sub(1);
                for (i, r) in rows.iter().enumerate() {
                    let deps = if i == last {
                        std::mem::take(&mut deps)
                    } else {
                        deps.clone()
                    };
                    out.extend(evaluate_stored(r, deps, policy, now)?);
                }
                Ok(out)
            })
            .collect();
        let mut fails: HashMap<i64, Vec<String>> = HashMap::new();
        for f in failing {
            for (key, why) in f? {
                for id in groups.get(&key).map(Vec::as_slice).unwrap_or_default() {
                    fails.insert(*id, why.clone());
                }
            }
        }
        let ids: Vec<i64> = fails.keys().copied().collect();
        Ok(hits(&mut self.db, &ids, &HashMap::new())?
            .into_iter()
            .filter_map(|h| {
                let id = crate::record::id_of("envelope", &h.payload_digest);
                fails
                    .remove(&id)
                    .map(|failures| PolicyHit { hit: h, failures })
            })
            .collect())
    }

    /// The one build a release argument names: an artifact or payload digest (`sha256:HEX`)
    /// or a commit prefix.
    fn resolve_release(&mut self, release: &str) -> Result<(i64, Hit), IndexError> {
        let ids: Vec<i64> = if release.contains(':') {
            let (alg, hex) = parse_digest(release)?;
            let mut ids = one_int(&self.db.query(
                "SELECT envelope_id FROM subjects WHERE digest = ? AND algorithm = ?",
                &[hex.clone().into(), alg.into()],
            )?);
            ids.extend(one_int(&self.db.query(
                "SELECT id FROM envelopes WHERE payload_digest = ?",
                &[hex.into()],
            )?));
            ids
        } else {
            self.query_commit(release)?
                .iter()
                .map(|h| crate::record::id_of("envelope", &h.payload_digest))
                .collect()
        };
        let mut ids = ids;
        ids.sort_unstable();
        ids.dedup();
        match ids.as_slice() {
            [one] => {
                let h = hits(&mut self.db, &[*one], &HashMap::new())?;
                match h.into_iter().next() {
                    Some(h) => Ok((*one, h)),
                    None => Err(IndexError::Ambiguous {
                        query: release.to_string(),
                        found: 0,
                    }),
                }
            }
            other => Err(IndexError::Ambiguous {
                query: release.to_string(),
                found: other.len(),
            }),
        }
    }

    fn purls_of(&mut self, envelope: i64) -> Result<Vec<String>, IndexError> {
        let rows = self.db.query(
            "SELECT d.zstd FROM builds b JOIN depsets d ON d.id = b.depset_id WHERE b.envelope_id = ?",
            &[envelope.into()],
        )?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(z) = r.first() {
                out.extend(
                    depset_descriptors(z.blob())?
                        .into_iter()
                        .filter_map(|d| d.uri),
                );
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Every dependency set's JSON (the dictionaries stored statements are compressed with).
    fn dictionaries(&mut self) -> Result<HashMap<i64, Vec<u8>>, IndexError> {
        let mut out = HashMap::new();
        for r in self.db.query("SELECT id, zstd FROM depsets", &[])? {
            if let [id, z] = r.as_slice() {
                out.insert(
                    id.int().unwrap_or(0),
                    decompress(z.blob(), "dependency set")?,
                );
            }
        }
        Ok(out)
    }

    /// The dependency change from release `a` to release `b`.
    pub fn diff(&mut self, a: &str, b: &str) -> Result<Diff, IndexError> {
        let (ia, ha) = self.resolve_release(a)?;
        let (ib, hb) = self.resolve_release(b)?;
        let pa = self.purls_of(ia)?;
        let pb = self.purls_of(ib)?;
        let by_key = |ps: &[String]| -> BTreeMap<String, BTreeSet<String>> {
            let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for p in ps {
                let row = package_row(p);
                m.entry(row.key)
                    .or_default()
                    .insert(row.version.unwrap_or_default());
            }
            m
        };
        let (ka, kb) = (by_key(&pa), by_key(&pb));
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let mut changed = Vec::new();
        for p in &pb {
            if !ka.contains_key(&package_row(p).key) {
                added.push(p.clone());
            }
        }
        for p in &pa {
            if !kb.contains_key(&package_row(p).key) {
                removed.push(p.clone());
            }
        }
        for (k, va) in &ka {
            if let Some(vb) = kb.get(k) {
                if va != vb {
                    changed.push(DepChange {
                        package: k.clone(),
                        from: va.iter().cloned().collect(),
                        to: vb.iter().cloned().collect(),
                    });
                }
            }
        }
        Ok(Diff {
            from: ha,
            to: hb,
            added,
            removed,
            changed,
        })
    }

    /// Verifies every stored envelope again against `trust` (a rotated or revoked key, a
    /// stricter policy); returns one result per envelope.
    pub fn reverify(&mut self, trust: &Trust) -> Result<Vec<Reverified>, IndexError> {
        let rows = self.db.query(
            &format!("SELECT e.payload_digest, e.origin, {BLOB_COLUMNS} FROM envelopes e JOIN blobs b ON b.digest = e.blob_digest ORDER BY e.payload_digest"),
            &[],
        )?;
        let dicts = self.dictionaries()?;
        let now = jiff::Timestamp::now();
        rows.par_iter()
            .map(|r| {
                let [pd, origin, blob @ ..] = r.as_slice() else {
                    return Err(IndexError::Damaged {
                        what: "envelope row".into(),
                        source: "wrong column count".into(),
                    });
                };
                let origin = origin.string();
                let raw = restore(blob, &dicts)?;
                let result = provseal_verify::load_attestations(&raw, &origin).and_then(|docs| {
                    let doc: &LoadedDoc =
                        docs.first()
                            .ok_or_else(|| provseal_verify::VerifyError::Malformed {
                                origin: origin.clone(),
                                reason: "no document".into(),
                                source: None,
                            })?;
                    verify_doc(doc, trust, now)
                });
                Ok(Reverified {
                    payload_digest: pd.string(),
                    origin: origin.clone(),
                    code: result.as_ref().err().map(|e| e.code()),
                    message: result.err().map(|e| provseal_model::one_line(&e)),
                })
            })
            .collect()
    }

    /// Removes every envelope signed by the key with this key id (and its subjects and build
    /// rows, and blobs no longer used). The record of ingested files is cleared, so the next
    /// `add` verifies every file again. Returns how many envelopes were removed.
    pub fn prune_key(&mut self, key_id: &str) -> Result<usize, IndexError> {
        let key_id = key_id.to_ascii_lowercase();
        in_transaction(&mut self.db, |db| {
            let sel = "SELECT e.id FROM envelopes e JOIN signers s ON s.id = e.signer_id WHERE s.key_id = ?";
            let ids = one_int(&db.query(sel, &[key_id.clone().into()])?);
            for chunk in ids.chunks(500) {
                for (table, column) in [
                    ("hits", "envelope_id"),
                    ("subjects", "envelope_id"),
                    ("builds", "envelope_id"),
                    ("envelopes", "id"),
                ] {
                    let (cond, params) = db.id_filter(column, chunk);
                    db.exec(&format!("DELETE FROM {table} WHERE {cond}"), &params)?;
                }
            }
            // Every hit line of those envelopes is one of the key's signer rows.
            db.exec(
                "DELETE FROM hit_lines WHERE signer_id IN (SELECT id FROM signers WHERE key_id = ?)",
                &[key_id.clone().into()],
            )?;
            db.exec(
                "DELETE FROM blobs WHERE digest NOT IN (SELECT blob_digest FROM envelopes)",
                &[],
            )?;
            db.exec("DELETE FROM files", &[])?;
            Ok(ids.len())
        })
    }

    /// Writes every stored envelope to `dir` as `PAYLOAD_DIGEST.EXT` (`.intoto.jsonl`,
    /// `.sigstore.json`, `.provseal.json`), each atomically. Returns how many were written.
    pub fn export(&mut self, dir: &Path) -> Result<usize, IndexError> {
        let io = |path: &Path, e: std::io::Error| IndexError::Io {
            path: path.to_path_buf(),
            source: e,
        };
        fs_err::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let rows = self.db.query(
            &format!("SELECT e.payload_digest, e.format, {BLOB_COLUMNS} FROM envelopes e JOIN blobs b ON b.digest = e.blob_digest"),
            &[],
        )?;
        let dicts = self.dictionaries()?;
        let mut n = 0;
        for r in rows {
            let [pd, format, blob @ ..] = r.as_slice() else {
                continue;
            };
            let ext = match format.text() {
                Some("dsse") => "intoto.jsonl",
                Some("provseal-batch-entry") => "provseal.json",
                _ => "sigstore.json",
            };
            let mut raw = restore(blob, &dicts)?;
            if raw.last() != Some(&b'\n') {
                raw.push(b'\n');
            }
            let name = format!("{}.{ext}", pd.string());
            let path = dir.join(&name);
            let tmp = dir.join(format!(".{name}.tmp"));
            fs_err::write(&tmp, &raw).map_err(|e| io(&tmp, e))?;
            fs_err::rename(&tmp, &path).map_err(|e| io(&path, e))?;
            n += 1;
        }
        Ok(n)
    }
}
