//! What a query answers with ([`Hit`]), and the `hits` table that holds each envelope's hit
//! already assembled (schema 3): written once at ingestion, so a query reads one row per hit
//! instead of joining envelopes, builds, subjects and signers for each.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

use crate::db::{Cell, Db, Val};
use crate::record::{EnvelopeRecord, SignerRow};
use crate::IndexError;

/// One subject of a hit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SubjectOut {
    /// The subject name.
    pub name: Option<String>,
    /// `alg:hex`.
    pub digest: String,
}

impl Serialize for SubjectOut {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SubjectRef {
            name: self.name.as_deref().map(Cow::Borrowed),
            digest: Cow::Borrowed(&self.digest),
        }
        .serialize(s)
    }
}

/// A subject as [`HitRef`] reads it: borrowed from the row unless its stored text was escaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectRef<'a> {
    /// The subject name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Cow<'a, str>>,
    /// `alg:hex`.
    pub digest: Cow<'a, str>,
}

/// One indexed attestation that answers a query (owned; [`HitRef`] is the same hit borrowed
/// from the row being read, and the one place a hit is rendered).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    pub builder: Option<String>,
    /// The source repository (normalised).
    pub repository: Option<String>,
    /// The source commit.
    pub commit: Option<String>,
    /// The source ref.
    pub git_ref: Option<String>,
    /// `runDetails.metadata.finishedOn`.
    pub finished_on: Option<String>,
    /// The packages that matched a package query.
    pub matched: Vec<String>,
}

impl Serialize for Hit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_ref().serialize(s)
    }
}

impl Hit {
    /// The same hit, borrowed (how it is rendered).
    pub fn as_ref(&self) -> HitRef<'_> {
        HitRef {
            payload_digest: &self.payload_digest,
            origin: &self.origin,
            signer: &self.signer,
            verified_by: &self.verified_by,
            subjects: Subjects::Decoded(&self.subjects),
            builder: self.builder.as_deref(),
            repository: self.repository.as_deref(),
            commit: self.commit.as_deref(),
            git_ref: self.git_ref.as_deref(),
            finished_on: self.finished_on.as_deref(),
            matched: &self.matched,
        }
    }

    /// One human line.
    pub fn line(&self) -> String {
        let mut l = String::with_capacity(160);
        self.write_line(&mut l);
        l
    }

    /// Appends [`Hit::line`] to `out` (no intermediate strings: thousands of hits go out in
    /// one buffer).
    pub fn write_line(&self, out: &mut String) {
        self.as_ref().write_line(out);
    }
}

/// A hit's subjects: decoded ([`Hit`]) or still in their stored text (a row being read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subjects<'a> {
    /// Already decoded.
    Decoded(&'a [SubjectOut]),
    /// The `hits.subjects` text (see `encode_subjects`).
    Stored(&'a str),
}

impl<'a> Subjects<'a> {
    /// Each subject, in order.
    pub fn iter(&self) -> impl Iterator<Item = SubjectRef<'a>> + 'a {
        let (decoded, stored): (&'a [SubjectOut], &'a str) = match *self {
            Subjects::Decoded(d) => (d, ""),
            Subjects::Stored(t) => (&[], t),
        };
        let stored = (!stored.is_empty()).then(|| stored.split('\n'));
        decoded
            .iter()
            .map(|s| SubjectRef {
                name: s.name.as_deref().map(Cow::Borrowed),
                digest: Cow::Borrowed(s.digest.as_str()),
            })
            .chain(stored.into_iter().flatten().map(decode_subject))
    }
}

impl Serialize for Subjects<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// A hit borrowed from where it is read: what [`Hit`] serialises and prints through, and what
/// a streamed query hands out row by row without an owned copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HitRef<'a> {
    /// See [`Hit::payload_digest`].
    pub payload_digest: &'a str,
    /// See [`Hit::origin`].
    pub origin: &'a str,
    /// See [`Hit::signer`].
    pub signer: &'a str,
    /// See [`Hit::verified_by`].
    pub verified_by: &'a str,
    /// See [`Hit::subjects`].
    pub subjects: Subjects<'a>,
    /// See [`Hit::builder`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builder: Option<&'a str>,
    /// See [`Hit::repository`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<&'a str>,
    /// See [`Hit::commit`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<&'a str>,
    /// See [`Hit::git_ref`].
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<&'a str>,
    /// See [`Hit::finished_on`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<&'a str>,
    /// See [`Hit::matched`].
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub matched: &'a [String],
}

impl HitRef<'_> {
    /// The owned hit.
    pub fn to_hit(&self) -> Hit {
        Hit {
            payload_digest: self.payload_digest.to_string(),
            origin: self.origin.to_string(),
            signer: self.signer.to_string(),
            verified_by: self.verified_by.to_string(),
            subjects: self
                .subjects
                .iter()
                .map(|s| SubjectOut {
                    name: s.name.map(Cow::into_owned),
                    digest: s.digest.into_owned(),
                })
                .collect(),
            builder: self.builder.map(str::to_string),
            repository: self.repository.map(str::to_string),
            commit: self.commit.map(str::to_string),
            git_ref: self.git_ref.map(str::to_string),
            finished_on: self.finished_on.map(str::to_string),
            matched: self.matched.to_vec(),
        }
    }

    /// Appends the hit's human line to `out`.
    pub fn write_line(&self, out: &mut String) {
        use std::fmt::Write as _;
        let mut subjects = self.subjects.iter().take(3).peekable();
        if subjects.peek().is_none() {
            out.push_str(self.payload_digest);
        }
        for (i, s) in subjects.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(s.name.as_deref().unwrap_or(&s.digest));
        }
        out.push_str(" signed by ");
        out.push_str(self.signer);
        if let Some(c) = self.commit {
            out.push_str(", commit ");
            out.push_str(c.get(..12).unwrap_or(c));
        }
        if let Some(r) = self.git_ref {
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

/// The `hits` columns, in the order [`hit_row`] writes them; a query selects all but the last
/// ([`hit_select`]), in the order [`hit_of_cells`] reads them.
pub(crate) const HIT_COLUMNS: [&str; 13] = [
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
    "finished_key",
];

/// The columns a query reads a hit from: [`HIT_COLUMNS`] but the last (`finished_key` is only
/// its order).
pub(crate) fn hit_select() -> String {
    HIT_COLUMNS[..HIT_COLUMNS.len() - 1].join(", ")
}

/// The key of `hits` and `hit_lines` (their primary key): a signer's hits in answer order.
pub(crate) const HIT_KEY: &str = "signer_id, finished_key, payload_digest";

/// Inserts `hits` rows ([`hit_row`]) and `hit_lines` rows ([`line_row`]), in key order
/// ([`Db::insert_rows_in_order`]: a signer's hits are read as one key range).
pub(crate) fn insert(
    db: &mut Db,
    on_conflict: &str,
    hits: Vec<Vec<Val>>,
    lines: Vec<Vec<Val>>,
) -> Result<(), IndexError> {
    db.insert_rows_in_order("hits", &HIT_COLUMNS, HIT_KEY, on_conflict, hits)?;
    db.insert_rows_in_order("hit_lines", &LINE_COLUMNS, HIT_KEY, on_conflict, lines)
}

/// The `hit_lines` columns, in the order [`line_row`] writes them.
pub(crate) const LINE_COLUMNS: [&str; 4] = ["signer_id", "finished_key", "payload_digest", "line"];

/// A `hit_lines` row: the hit's JSON line as `--jsonl` prints it (the one serialisation of a
/// hit, [`HitRef`]'s). `h` is a hit as stored ([`hit_of_record`], [`assemble`]): `matched` is
/// per query, empty here, so absent from the line.
pub(crate) fn line_row(signer_id: i64, h: &Hit) -> Result<Vec<Val>, IndexError> {
    debug_assert!(h.matched.is_empty(), "a stored hit has no matched purls");
    let line = serde_json::to_string(h).map_err(|e| IndexError::Damaged {
        what: format!("hit {}", h.payload_digest),
        source: Box::new(e),
    })?;
    Ok(vec![
        signer_id.into(),
        finished_key(h.finished_on.as_deref()).into(),
        h.payload_digest.clone().into(),
        line.into(),
    ])
}

/// The `finished_key` of a finish time: `None` sorts before every `Some` (as in Rust).
fn finished_key(finished_on: Option<&str>) -> String {
    finished_on.map(|f| format!("+{f}")).unwrap_or_default()
}

/// A `hits` row: the signer and envelope ids, then the hit's fields (`matched` is per query,
/// not stored).
pub(crate) fn hit_row(signer_id: i64, envelope_id: i64, h: Hit) -> Vec<Val> {
    let key = finished_key(h.finished_on.as_deref());
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
        key.into(),
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

/// A `hits` row (selected as [`HIT_COLUMNS`]) as its hit, borrowed from the row, with the
/// purls a package query matched for that envelope.
pub(crate) fn hit_of_cells<'r>(
    row: &'r [Cell<'_>],
    matched: &'r HashMap<i64, Vec<String>>,
) -> Result<HitRef<'r>, IndexError> {
    let [_, id, pd, origin, signer, vb, subjects, builder, repo, commit, git_ref, fin] = row else {
        return Err(IndexError::Damaged {
            what: "hit row".into(),
            source: "wrong column count".into(),
        });
    };
    Ok(HitRef {
        matched: id
            .int()
            .and_then(|id| matched.get(&id))
            .map(Vec::as_slice)
            .unwrap_or_default(),
        payload_digest: pd.text().unwrap_or_default(),
        origin: origin.text().unwrap_or_default(),
        signer: signer.text().unwrap_or_default(),
        verified_by: vb.text().unwrap_or_default(),
        subjects: Subjects::Stored(subjects.text().unwrap_or_default()),
        builder: builder.text(),
        repository: repo.text(),
        commit: commit.text(),
        git_ref: git_ref.text(),
        finished_on: fin.text(),
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

fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
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
    Cow::Owned(out)
}

/// One line of [`encode_subjects`]' text back into its subject (a digest is `alg:hex`, never
/// empty, so an empty text is no subjects: [`Subjects::iter`] does not split it).
fn decode_subject(line: &str) -> SubjectRef<'_> {
    match line.split_once('\t') {
        Some((d, n)) => SubjectRef {
            digest: unescape(d),
            name: Some(unescape(n)),
        },
        None => SubjectRef {
            digest: unescape(line),
            name: None,
        },
    }
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

/// Fills `hits` and `hit_lines` for every envelope (the schema 2 → 3 upgrade), in chunks.
pub(crate) fn backfill(db: &mut Db) -> Result<(), IndexError> {
    let ids: Vec<i64> = db
        .query("SELECT id FROM envelopes", &[])?
        .iter()
        .filter_map(|r| r.first().and_then(Val::int))
        .collect();
    for chunk in ids.chunks(5000) {
        let assembled = assemble(db, chunk)?;
        let lines = assembled
            .iter()
            .map(|(signer, _, h)| line_row(*signer, h))
            .collect::<Result<_, _>>()?;
        let rows = assembled
            .into_iter()
            .map(|(signer, id, h)| hit_row(signer, id, h))
            .collect();
        insert(db, "ON CONFLICT DO NOTHING", rows, lines)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `hits` key orders finish times as `sort_hits` does: a missing one first (even
    /// before an empty one), then byte order.
    #[test]
    fn finished_key_orders_as_the_hits_are_sorted() {
        let times = [
            Some("2026-01-01T00:00:10Z"),
            None,
            Some(""),
            Some("2026-01-01T00:00:09Z"),
            Some("+"),
            Some("2025-12-31T23:59:59.5Z"),
        ];
        let mut by_option = times.to_vec();
        by_option.sort();
        let mut by_key = times.to_vec();
        by_key.sort_by_key(|t| finished_key(*t));
        assert_eq!(by_key, by_option);
    }

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
            let text = encode_subjects(&subjects);
            let back: Vec<SubjectOut> = HitRef {
                subjects: Subjects::Stored(&text),
                ..Hit::default().as_ref()
            }
            .to_hit()
            .subjects;
            assert_eq!(back, subjects);
        }
    }
}
