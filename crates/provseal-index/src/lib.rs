//! The provseal audit index: a database of **verified** attestations that answers an auditor's
//! questions — which builds contain `pkg:pypi/xz` in `>=5.6.0,<5.6.2`, what was built from
//! commit X, what identity I signed, which past builds fail today's policy.
//!
//! Only attestations that verify (with the same code path as `provseal verify`) enter; each row
//! records what verified it. Dependency sets are content-addressed and stored once; raw
//! envelopes are kept zstd-compressed and content-addressed. SQLite (one file, WAL) by default,
//! PostgreSQL by URL, with the same schema and queries.
//!
//! ```no_run
//! use provseal_index::{Index, Location, Trust, IngestOptions};
//! # fn demo(key: provseal_crypto::PublicKey) -> Result<(), provseal_index::IndexError> {
//! let mut index = Index::open(&Location::parse("provseal-index.db"))?;
//! let trust = Trust::keys(vec![key]);
//! let report = index.add(&["dist/".into()], &trust, &IngestOptions::default())?;
//! println!("{} new envelope(s)", report.envelopes_new);
//! let hits = index.query_package("pkg:pypi/xz@>=5.6.0,<5.6.2")?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;

mod db;
mod hit;
mod ingest;
mod query;
mod record;
mod schema;

pub use db::Location;
pub use hit::{Hit, HitRef, SubjectOut, SubjectRef, Subjects};
pub use ingest::{IngestOptions, IngestReport, Rejection, Trust};
pub use query::{DepChange, Diff, PolicyHit, Reverified, SignerQuery};
pub use schema::SCHEMA_VERSION;

/// Why an index operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// The database could not be opened or reached.
    #[error("cannot open the index `{location}`")]
    Connect {
        /// The file, or the URL without its password.
        location: String,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The file is not a database at all (or is corrupt).
    #[error("`{location}` is not a provseal index: {reason}")]
    NotADatabase {
        /// The file.
        location: String,
        /// No underlying cause: what the file is instead (`not a regular file`, a wrong
        /// header); SQLite's own refusal is [`IndexError::SqliteRefused`].
        reason: String,
    },
    /// SQLite refuses the file as a database (corrupt, or not a database past its header).
    #[error("`{location}` is not a provseal index: SQLite cannot read it")]
    SqliteRefused {
        /// The file.
        location: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// There is no index at this path.
    #[error("no index at `{location}`")]
    Missing {
        /// The file.
        location: String,
    },
    /// The database belongs to something else.
    #[error("`{location}` is not a provseal index (found {found})")]
    Foreign {
        /// The file or URL.
        location: String,
        /// What was found instead.
        found: String,
    },
    /// The schema version is newer than this provseal understands.
    #[error("the index `{location}` has schema version {found}; this provseal supports up to {supported}")]
    NewerSchema {
        /// The file or URL.
        location: String,
        /// The version in the database.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The schema version is not a version at all.
    #[error("the index `{location}` has an unknown schema version `{version}`")]
    UnknownSchema {
        /// The file or URL.
        location: String,
        /// What `schema_version` holds.
        version: String,
    },
    /// A statement failed.
    #[error("database error in `{statement}`")]
    Database {
        /// The start of the SQL statement.
        statement: String,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file could not be read or written.
    #[error("cannot access `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A query argument is malformed (bad purl, range, digest).
    #[error("bad query `{query}`: {reason}")]
    BadQuery {
        /// The argument as given.
        query: String,
        /// No underlying cause: what the argument breaks (`expected ALG:HEX`, the purl or
        /// version-range rule it does not follow).
        reason: String,
    },
    /// A stored row could not be decoded (the index is damaged).
    #[error("the index is damaged: {what}")]
    Damaged {
        /// Which row or blob.
        what: String,
        /// The decoding error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A release named in `diff` matches no build, or more than one.
    #[error("`{query}` names {found} indexed builds (expected exactly one)")]
    Ambiguous {
        /// The argument as given.
        query: String,
        /// How many builds matched.
        found: usize,
    },
}

/// An open index.
pub struct Index {
    db: db::Db,
    location: String,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("location", &self.location)
            .finish()
    }
}

impl Index {
    /// Opens (creating or migrating) the index at `location`.
    pub fn open(location: &Location) -> Result<Index, IndexError> {
        let mut db = db::Db::open(location)?;
        let shown = location.display();
        schema::migrate(&mut db, &shown)?;
        Ok(Index {
            db,
            location: shown,
        })
    }

    /// Opens an index that must already exist (for queries: a missing SQLite file is an
    /// error, not a new empty index).
    pub fn open_existing(location: &Location) -> Result<Index, IndexError> {
        if let Location::Sqlite(path) = location {
            if !path.exists() {
                return Err(IndexError::Missing {
                    location: path.display().to_string(),
                });
            }
        }
        Index::open(location)
    }

    /// Where the index lives (URL passwords redacted).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Row counts per table (`envelopes`, `subjects`, `builds`, `depsets`, `packages`,
    /// `signers`, `blobs`, `files`), for reports and tests.
    pub fn counts(&mut self) -> Result<std::collections::BTreeMap<String, i64>, IndexError> {
        let mut out = std::collections::BTreeMap::new();
        for t in [
            "envelopes",
            "subjects",
            "builds",
            "depsets",
            "depset_members",
            "packages",
            "signers",
            "blobs",
            "files",
            "hits",
            "hit_lines",
        ] {
            let n = self
                .db
                .query(&format!("SELECT COUNT(*) FROM {t}"), &[])?
                .first()
                .and_then(|r| r.first())
                .and_then(db::Val::int)
                .unwrap_or(0);
            out.insert(t.to_string(), n);
        }
        Ok(out)
    }
}
