//! What a query answers with ([`Hit`]), and the `hits` table that holds each envelope's hit
//! already assembled (schema 3): written once at ingestion, so a query reads one row per hit
//! instead of joining envelopes, builds, subjects and signers for each.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::db::{Db, Val};
use crate::record::{EnvelopeRecord, SignerRow};
use crate::IndexError;

/// One subject of a hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct SubjectOut {
    /// The subject name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `alg:hex`.
    pub digest: String,
}

/// One indexed attestation that answers a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hit {
    /// sha256 of the signed payload (the envelope's identity in the index).
    pub payload_digest: String,
    /// Where it was ingested from (`file` or `file:line`).
    pub origin: String,
    /// The signer, described (`key 1a2b…`, or `SAN (issuer ISSUER)`).
    pub signer: String,
    /// What verified it at ingestion.
    pub verified_by: String,
    /// The subjects.
    pub subjects: Vec<SubjectOut>,
    /// `runDetails.builder.id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builder: Option<String>,
    /// The source repository (normalised).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The source commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The source ref.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// `runDetails.metadata.finishedOn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<String>,
    /// The packages that matched a package query.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<String>,
}

impl Hit {
    /// One human line.
    pub fn line(&self) -> String {
        let mut l = String::with_capacity(160);
        self.write_line(&mut l);
        l
    }

    /// Appends [`Hit::line`] to `out` (no intermediate strings: thousands of hits go out in
    /// one buffer).
    pub fn write_line(&self, out: &mut String) {
        use std::fmt::Write as _;
        if self.subjects.is_empty() {
            out.push_str(&self.payload_digest);
        }
        for (i, s) in self.subjects.iter().take(3).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(s.name.as_deref().unwrap_or(&s.digest));
        }
        out.push_str(" signed by ");
        out.push_str(&self.signer);
        if let Some(c) = &self.commit {
            out.push_str(", commit ");
            out.push_str(c.get(..12).unwrap_or(c));
        }
        if let Some(r) = &self.git_ref {
            let _ = write!(out, ", ref {r}");
        }
        if !self.matched.is_empty() {
            out.push_str(": ");
            for (i, m) in self.matched.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(m);
            }
        }
    }
}

/// The `hits` columns, in the order [`hit_row`] writes them and [`hit_of_row`] reads them.
pub(crate) const HIT_COLUMNS: [&str; 12] = [
    "signer_id",
    "envelope_id",
    "payload_digest",
    "origin",
    "signer",
    "verified_by",
    "subjects",
    "builder",
    "repository",
    "commit_sha",
    "git_ref",
    "finished_on",
];

/// A `hits` row: the signer and envelope ids, then the hit's fields (`matched` is per query,
/// not stored).
pub(crate) fn hit_row(signer_id: i64, envelope_id: i64, h: Hit) -> Vec<Val> {
    vec![
        signer_id.into(),
        envelope_id.into(),
        h.payload_digest.into(),
        h.origin.into(),
        h.signer.into(),
        h.verified_by.into(),
        encode_subjects(&h.subjects).into(),
        h.builder.into(),
        h.repository.into(),
        h.commit.into(),
        h.git_ref.into(),
        h.finished_on.into(),
    ]
}

/// The hit an ingested record answers with (what assembling it from the other tables gives).
pub(crate) fn hit_of_record(r: &EnvelopeRecord) -> Hit {
    let mut subjects: Vec<SubjectOut> = r
        .subjects
        .iter()
        .map(|(alg, hex, name)| SubjectOut {
            name: name.clone(),
            digest: format!("{alg}:{hex}"),
        })
        .collect();
    subjects.sort();
    let b = r.build.clone().unwrap_or_default();
    Hit {
        payload_digest: r.payload_digest.clone(),
        origin: r.origin.clone(),
        signer: r.signer.described(),
        verified_by: r.verified_by.clone(),
        subjects,
        builder: b.builder,
        repository: b.repository,
        commit: b.commit,
        git_ref: b.git_ref,
        finished_on: b.finished_on,
        matched: Vec::new(),
    }
}

/// A `hits` row (selected as [`HIT_COLUMNS`]) back into its hit, with the purls a package
/// query matched for that envelope.
pub(crate) fn hit_of_row(
    row: Vec<Val>,
    matched: &HashMap<i64, BTreeSet<String>>,
) -> Result<Hit, IndexError> {
    let cols: [Val; 12] = row.try_into().map_err(|_| IndexError::Damaged {
        what: "hit row".into(),
        source: "wrong column count".into(),
    })?;
    let [_, id, pd, origin, signer, vb, subjects, builder, repo, commit, git_ref, fin] = cols;
    let text = |v: Val| match v {
        Val::Text(s) => Some(s),
        _ => None,
    };
    let subjects = text(subjects).unwrap_or_default();
    Ok(Hit {
        matched: id
            .int()
            .and_then(|id| matched.get(&id))
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default(),
        payload_digest: text(pd).unwrap_or_default(),
        origin: text(origin).unwrap_or_default(),
        signer: text(signer).unwrap_or_default(),
        verified_by: text(vb).unwrap_or_default(),
        subjects: decode_subjects(&subjects),
        builder: text(builder),
        repository: text(repo),
        commit: text(commit),
        git_ref: text(git_ref),
        finished_on: text(fin),
    })
}

/// Subjects as text: one per line, `digest` or `digest<TAB>name`, with `\`, tab and newline
/// escaped in both (a name may hold anything; an absent name has no tab).
fn encode_subjects(subjects: &[SubjectOut]) -> String {
    let mut out = String::new();
    for (i, s) in subjects.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        escape(&mut out, &s.digest);
        if let Some(n) = &s.name {
            out.push('\t');
            escape(&mut out, n);
        }
    }
    out
}

fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The inverse of [`encode_subjects`]. A digest is `alg:hex`, never empty, so an empty text
/// is no subjects.
fn decode_subjects(text: &str) -> Vec<SubjectOut> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n')
        .map(|line| match line.split_once('\t') {
            Some((d, n)) => SubjectOut {
                digest: unescape(d),
                name: Some(unescape(n)),
            },
            None => SubjectOut {
                digest: unescape(line),
                name: None,
            },
        })
        .collect()
}

/// Hits in their stable order: finish time, then payload digest.
pub(crate) fn sort_hits(hits: &mut [Hit]) {
    hits.sort_unstable_by(|a, b| {
        (&a.finished_on, &a.payload_digest).cmp(&(&b.finished_on, &b.payload_digest))
    });
}

/// Assembles the hits of envelope ids from the envelopes, builds, subjects and signers tables
/// (how every query answered before schema 3). Used once, to fill `hits` when a schema 2 index
/// is upgraded, and by the test that the stored rows answer the same. Returns (signer id,
/// envelope id, hit); an envelope without its signer row is not a hit.
pub(crate) fn assemble(db: &mut Db, ids: &[i64]) -> Result<Vec<(i64, i64, Hit)>, IndexError> {
    let mut out = Vec::new();
    let mut sorted: Vec<i64> = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut signers: HashMap<i64, Option<String>> = HashMap::new();
    for chunk in sorted.chunks(500) {
        let mut subjects: HashMap<i64, Vec<SubjectOut>> = HashMap::new();
        let (cond, params) = db.id_filter("envelope_id", chunk);
        for r in db.query(
            &format!("SELECT envelope_id, algorithm, digest, name FROM subjects WHERE {cond}"),
            &params,
        )? {
            if let [id, alg, hex, name] = r.as_slice() {
                subjects
                    .entry(id.int().unwrap_or(0))
                    .or_default()
                    .push(SubjectOut {
                        name: name.opt_string(),
                        digest: format!("{}:{}", alg.string(), hex.string()),
                    });
            }
        }
        let (cond, params) = db.id_filter("e.id", chunk);
        let rows = db.query(
            &format!(
                "SELECT e.id, e.payload_digest, e.origin, e.verified_by, e.signer_id, \
                 b.builder, b.repository, b.commit_sha, b.git_ref, b.finished_on \
                 FROM envelopes e LEFT JOIN builds b ON b.envelope_id = e.id WHERE {cond}"
            ),
            &params,
        )?;
        for r in rows {
            let [id, pd, origin, vb, signer_id, builder, repo, commit, git_ref, fin] = r.as_slice()
            else {
                continue;
            };
            let id = id.int().unwrap_or(0);
            let signer_id = signer_id.int().unwrap_or(0);
            let signer = match signers.entry(signer_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(signer_described(db, signer_id)?)
                }
            };
            let Some(signer) = signer else {
                continue;
            };
            let mut subs = subjects.remove(&id).unwrap_or_default();
            subs.sort();
            out.push((
                signer_id,
                id,
                Hit {
                    payload_digest: pd.string(),
                    origin: origin.string(),
                    signer: signer.clone(),
                    verified_by: vb.string(),
                    subjects: subs,
                    builder: builder.opt_string(),
                    repository: repo.opt_string(),
                    commit: commit.opt_string(),
                    git_ref: git_ref.opt_string(),
                    finished_on: fin.opt_string(),
                    matched: Vec::new(),
                },
            ));
        }
    }
    Ok(out)
}

/// The signer row `id`, described; `None` when absent.
fn signer_described(db: &mut Db, id: i64) -> Result<Option<String>, IndexError> {
    let rows = db.query(
        "SELECT kind, key_id, san, issuer FROM signers WHERE id = ?",
        &[id.into()],
    )?;
    Ok(rows.first().and_then(|r| match r.as_slice() {
        [kind, key_id, san, issuer] => Some(
            SignerRow::identity(
                &kind.string(),
                key_id.opt_string(),
                san.opt_string(),
                issuer.opt_string(),
                None,
            )
            .describe(),
        ),
        _ => None,
    }))
}

/// Fills `hits` for every envelope (the schema 2 → 3 upgrade), in chunks.
pub(crate) fn backfill(db: &mut Db) -> Result<(), IndexError> {
    let ids: Vec<i64> = db
        .query("SELECT id FROM envelopes", &[])?
        .iter()
        .filter_map(|r| r.first().and_then(Val::int))
        .collect();
    for chunk in ids.chunks(5000) {
        let rows = assemble(db, chunk)?
            .into_iter()
            .map(|(signer, id, h)| hit_row(signer, id, h))
            .collect();
        db.insert_rows("hits", &HIT_COLUMNS, "ON CONFLICT DO NOTHING", rows)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_round_trip_through_their_text() {
        let cases = vec![
            vec![],
            vec![SubjectOut {
                name: None,
                digest: "sha256:ab".into(),
            }],
            vec![
                SubjectOut {
                    name: Some(String::new()),
                    digest: "sha256:cd".into(),
                },
                SubjectOut {
                    name: Some("a\tb\nc\\d\\t".into()),
                    digest: "we\\ird\t:alg\n".into(),
                },
                SubjectOut {
                    name: Some("dist/app-1.tar.gz".into()),
                    digest: "sha512:ef".into(),
                },
            ],
        ];
        for subjects in cases {
            assert_eq!(decode_subjects(&encode_subjects(&subjects)), subjects);
        }
    }
}
