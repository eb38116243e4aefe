//! The schema and its versioned migrations.
//!
//! `provseal_meta` holds `application = provseal-index` and `schema_version = N`. Opening an
//! index applies the migrations above its version in one transaction; a database with tables
//! but no `provseal_meta` is foreign, and a version above [`SCHEMA_VERSION`] is newer than this
//! provseal — both are errors, never guessed at.

use crate::db::{Db, Val};
use crate::IndexError;

/// The schema version this provseal writes.
pub const SCHEMA_VERSION: i64 = 3;

const APPLICATION: &str = "provseal-index";

/// Migration `n` (1-based) takes the schema from version `n - 1` to `n`. `BLOB` is spelled
/// `{blob}` and replaced per backend (`BYTEA` in PostgreSQL); text compared by prefix is
/// `{c}` (`COLLATE "C"` in PostgreSQL, so `>=`/`<` ranges use the index).
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    zstd {blob} NOT NULL,
    payload {blob},
    payload_at BIGINT,
    dict_id BIGINT
);
CREATE TABLE signers (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    key_id TEXT,
    san TEXT,
    issuer TEXT,
    repository TEXT,
    workflow TEXT,
    git_ref TEXT,
    extensions TEXT
);
CREATE INDEX signers_key ON signers (key_id);
CREATE INDEX signers_san ON signers (san, issuer);
CREATE TABLE envelopes (
    id BIGINT PRIMARY KEY,
    payload_digest TEXT NOT NULL UNIQUE,
    blob_digest TEXT NOT NULL,
    format TEXT NOT NULL,
    origin TEXT NOT NULL,
    signer_id BIGINT NOT NULL,
    verified_by TEXT NOT NULL,
    predicate_type TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    skeleton {blob} NOT NULL,
    eval_key TEXT NOT NULL
);
CREATE INDEX envelopes_signer ON envelopes (signer_id);
CREATE TABLE subjects (
    digest TEXT {c} NOT NULL,
    algorithm TEXT NOT NULL,
    envelope_id BIGINT NOT NULL,
    name TEXT,
    PRIMARY KEY (digest, algorithm, envelope_id)
);
CREATE INDEX subjects_envelope ON subjects (envelope_id);
CREATE TABLE depsets (
    id BIGINT PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    count BIGINT NOT NULL,
    zstd {blob} NOT NULL
);
CREATE TABLE packages (
    id BIGINT PRIMARY KEY,
    purl TEXT NOT NULL UNIQUE,
    pkg_key TEXT NOT NULL,
    type TEXT,
    namespace TEXT,
    name TEXT,
    version TEXT
);
CREATE INDEX packages_key ON packages (pkg_key);
CREATE TABLE depset_members (
    package_id BIGINT NOT NULL,
    depset_id BIGINT NOT NULL,
    PRIMARY KEY (package_id, depset_id)
);
CREATE TABLE builds (
    envelope_id BIGINT PRIMARY KEY,
    builder TEXT,
    build_type TEXT,
    repository TEXT,
    commit_sha TEXT {c},
    git_ref TEXT,
    dirty BIGINT,
    started_on TEXT,
    finished_on TEXT,
    depset_id BIGINT
);
CREATE INDEX builds_commit ON builds (commit_sha);
CREATE INDEX builds_depset ON builds (depset_id);
CREATE TABLE files (
    path TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    envelopes BIGINT NOT NULL
);
"#,
    // 2: covering indexes, so each lookup a query makes is answered from one index without
    // visiting the table rows (which hold the compressed skeletons): the hit columns by
    // envelope id, subjects by envelope, builds by dependency set and by commit, envelopes by
    // signer and by policy-evaluation key, packages by name.
    r#"
DROP INDEX subjects_envelope;
CREATE INDEX subjects_envelope ON subjects (envelope_id, algorithm, digest, name);
CREATE INDEX envelopes_hit ON envelopes (id, signer_id, payload_digest, origin, verified_by);
DROP INDEX envelopes_signer;
CREATE INDEX envelopes_signer ON envelopes (signer_id, id);
CREATE INDEX envelopes_eval ON envelopes (eval_key, id);
CREATE INDEX builds_hit ON builds (envelope_id, builder, repository, commit_sha, git_ref, finished_on);
DROP INDEX builds_depset;
CREATE INDEX builds_depset ON builds (depset_id, envelope_id);
DROP INDEX builds_commit;
CREATE INDEX builds_commit ON builds (commit_sha, envelope_id);
DROP INDEX packages_key;
CREATE INDEX packages_key ON packages (pkg_key, id, purl);
ANALYZE;
"#,
    // 3: each envelope's hit, assembled once at ingestion (crate::hit): a query reads one row
    // per hit. Keyed by signer, then in the order hits are answered in (`finished_key`: `''`
    // without a finish time, else `+` and the time, so that a missing one sorts first;
    // byte order on both backends), so a signer's hits are one range scan already in order
    // (clustered in SQLite); by envelope id through `hits_envelope`. `hit_lines` holds each
    // hit's JSON line under the same key, apart (a `hits` row with it would overflow SQLite's
    // page), for a signer's hits as JSON lines: a copy per hit, not a serialisation. Both
    // filled from the other tables on upgrade.
    r#"
CREATE TABLE hits (
    signer_id BIGINT NOT NULL,
    envelope_id BIGINT NOT NULL,
    payload_digest TEXT {c} NOT NULL,
    origin TEXT NOT NULL,
    signer TEXT NOT NULL,
    verified_by TEXT NOT NULL,
    subjects TEXT NOT NULL,
    builder TEXT,
    repository TEXT,
    commit_sha TEXT,
    git_ref TEXT,
    finished_on TEXT,
    finished_key TEXT {c} NOT NULL,
    PRIMARY KEY (signer_id, finished_key, payload_digest)
){without_rowid};
CREATE UNIQUE INDEX hits_envelope ON hits (envelope_id);
CREATE TABLE hit_lines (
    signer_id BIGINT NOT NULL,
    finished_key TEXT {c} NOT NULL,
    payload_digest TEXT {c} NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (signer_id, finished_key, payload_digest)
){without_rowid};
"#,
];

fn ddl(db: &Db, sql: &str) -> String {
    if db.is_postgres() {
        sql.replace("{blob}", "BYTEA")
            .replace("{c}", "COLLATE \"C\"")
            .replace("{without_rowid}", "")
    } else {
        sql.replace("{blob}", "BLOB")
            .replace("{c}", "")
            .replace("{without_rowid}", " WITHOUT ROWID")
    }
}

fn table_exists(db: &mut Db, name: &str) -> Result<bool, IndexError> {
    let rows = if db.is_postgres() {
        // The catalog itself: information_schema's views cost milliseconds per query opening.
        db.query(
            "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?",
            &[name.into()],
        )?
    } else {
        db.query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            &[name.into()],
        )?
    };
    Ok(!rows.is_empty())
}

fn any_table(db: &mut Db) -> Result<bool, IndexError> {
    let rows = if db.is_postgres() {
        db.query(
            "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() LIMIT 1",
            &[],
        )?
    } else {
        db.query("SELECT 1 FROM sqlite_master LIMIT 1", &[])?
    };
    Ok(!rows.is_empty())
}

fn meta(db: &mut Db, key: &str) -> Result<Option<String>, IndexError> {
    Ok(db
        .query(
            "SELECT value FROM provseal_meta WHERE key = ?",
            &[key.into()],
        )?
        .first()
        .and_then(|r| r.first())
        .and_then(Val::opt_string))
}

/// Creates or upgrades the schema; refuses foreign and newer databases. An index that is
/// already current is only read (no write lock, so queries run beside an ingestion).
pub(crate) fn migrate(db: &mut Db, location: &str) -> Result<(), IndexError> {
    // The common case, an index already current, in one statement (each costs a round trip
    // on PostgreSQL). Any failure here (no such table, …) is looked at closely below.
    if let Ok(rows) = db.query("SELECT key, value FROM provseal_meta", &[]) {
        let get = |k: &str| {
            rows.iter()
                .find(|r| r.first().and_then(Val::text) == Some(k))
                .and_then(|r| r.get(1))
                .and_then(Val::text)
        };
        if get("application") == Some(APPLICATION)
            && get("schema_version") == Some(SCHEMA_VERSION.to_string().as_str())
        {
            return Ok(());
        }
    }
    if db.is_postgres() {
        // Many runners may open a fresh database at once: one migrates, the others wait.
        db.batch("BEGIN; SELECT pg_advisory_xact_lock(7215036142)")?;
    } else {
        db.batch("BEGIN IMMEDIATE")?;
    }
    let result = migrate_locked(db, location);
    match &result {
        Ok(()) => db.batch("COMMIT")?,
        Err(_) => {
            let _ = db.batch("ROLLBACK");
        }
    }
    result
}

fn migrate_locked(db: &mut Db, location: &str) -> Result<(), IndexError> {
    let current = if table_exists(db, "provseal_meta")? {
        let app = meta(db, "application")?;
        if app.as_deref() != Some(APPLICATION) {
            return Err(IndexError::Foreign {
                location: location.to_string(),
                found: app.unwrap_or_else(|| "no application marker".into()),
            });
        }
        let v = meta(db, "schema_version")?.unwrap_or_default();
        v.parse::<i64>().map_err(|_| IndexError::UnknownSchema {
            location: location.to_string(),
            version: v.clone(),
        })?
    } else if any_table(db)? {
        return Err(IndexError::Foreign {
            location: location.to_string(),
            found: "tables that provseal did not create".into(),
        });
    } else {
        db.batch("CREATE TABLE provseal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")?;
        db.exec(
            "INSERT INTO provseal_meta (key, value) VALUES ('application', ?)",
            &[APPLICATION.into()],
        )?;
        db.exec(
            "INSERT INTO provseal_meta (key, value) VALUES ('schema_version', '0')",
            &[],
        )?;
        0
    };
    if current > SCHEMA_VERSION {
        return Err(IndexError::NewerSchema {
            location: location.to_string(),
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    if current < 0 {
        return Err(IndexError::UnknownSchema {
            location: location.to_string(),
            version: current.to_string(),
        });
    }
    for (i, m) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version > current {
            let sql = ddl(db, m);
            db.batch(&sql)?;
            if version == 3 {
                crate::hit::backfill(db)?;
            }
            db.exec(
                "UPDATE provseal_meta SET value = ? WHERE key = 'schema_version'",
                &[version.to_string().into()],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_migration_per_version() {
        assert_eq!(MIGRATIONS.len() as i64, SCHEMA_VERSION);
    }

    fn indexes(db: &mut Db) -> Vec<String> {
        db.query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            &[],
        )
        .expect("indexes")
        .iter()
        .filter_map(|r| r.first().and_then(Val::opt_string))
        .collect()
    }

    /// An index written by schema 1 is upgraded in place to the covering indexes of schema 2
    /// and the hit rows of schema 3.
    #[test]
    fn a_version_1_index_is_upgraded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let loc = crate::Location::Sqlite(dir.path().join("v1.db"));
        let mut db = Db::open(&loc).expect("open");
        db.batch("CREATE TABLE provseal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO provseal_meta VALUES ('application', 'provseal-index'), ('schema_version', '1')")
            .expect("meta");
        db.batch(&ddl(&db, MIGRATIONS[0])).expect("schema 1");
        assert!(!indexes(&mut db).contains(&"envelopes_hit".to_string()));
        migrate(&mut db, "v1.db").expect("migrate");
        assert_eq!(
            meta(&mut db, "schema_version").expect("meta").as_deref(),
            Some(SCHEMA_VERSION.to_string().as_str())
        );
        let ix = indexes(&mut db);
        for name in [
            "envelopes_hit",
            "envelopes_eval",
            "builds_hit",
            "subjects_envelope",
            "hits_envelope",
        ] {
            assert!(ix.contains(&name.to_string()), "{name} missing from {ix:?}");
        }
        // Opening it again changes nothing.
        migrate(&mut db, "v1.db").expect("again");
        assert_eq!(indexes(&mut db), ix);
    }
}
