//! provseal-index integration tests: one query suite run against SQLite and against a real
//! PostgreSQL server (`PROVSEAL_TEST_POSTGRES`, started by `scripts/postgres-test`; skipped with
//! a notice without it, a failure under `CI=true`), tampered input, concurrent ingesters, and
//! a process killed with SIGKILL mid-ingestion.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use provseal_crypto::{KeyAlgorithm, PublicKey, Signer};
use provseal_index::{Hit, Index, IngestOptions, Location, SignerQuery, Trust};
use provseal_model::{DigestSet, ResourceDescriptor};

struct Keys {
    signer: Box<dyn Signer>,
    public: PublicKey,
}

fn keys() -> Keys {
    let g = provseal_crypto::generate_key(KeyAlgorithm::Ed25519, None).expect("generate");
    Keys {
        signer: provseal_crypto::load_signer(g.private_pem.as_bytes(), None, "test key")
            .expect("signer"),
        public: PublicKey::from_pem(g.public_pem.as_bytes()).expect("public"),
    }
}

fn digest(alg: &str, hex: &str) -> DigestSet {
    let mut d = DigestSet::new();
    d.insert(alg.to_string(), hex.to_string());
    d
}

fn sha(s: &str) -> String {
    provseal_crypto::hash::HashAlgorithm::Sha256.hex_digest(s.as_bytes())
}

fn package(purl: &str) -> ResourceDescriptor {
    ResourceDescriptor {
        uri: Some(purl.to_string()),
        digest: digest("sha256", &sha(purl)),
        ..Default::default()
    }
}

/// One signed release: DSSE JSON line of a SLSA v1 statement with a git source and packages.
fn release(
    signer: &dyn Signer,
    subject: &str,
    commit: &str,
    git_ref: &str,
    deps: &[&str],
) -> String {
    let mut materials = vec![ResourceDescriptor {
        uri: Some(format!("git+https://github.com/org/app@{git_ref}")),
        digest: digest("gitCommit", commit),
        annotations: serde_json::json!({"treeState": "clean"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        ..Default::default()
    }];
    materials.extend(deps.iter().map(|d| package(d)));
    let input = provseal_attest::ProvenanceInput {
        build_type: provseal_attest::BUILD_TYPE_ATTEST.to_string(),
        builder_id: provseal_attest::DEFAULT_BUILDER_ID.to_string(),
        subjects: vec![(subject.to_string(), digest("sha256", &sha(subject)))],
        source: None,
        external: serde_json::Map::new(),
        internal: serde_json::Map::new(),
        materials,
        byproducts: Vec::new(),
        invocation_id: format!("inv-{subject}"),
        started_on: "2026-01-01T00:00:00Z".into(),
        finished_on: format!("2026-01-01T00:00:{:02}Z", subject.len() % 60),
    };
    let statement = provseal_attest::build_statement(&input).expect("statement");
    provseal_attest::sign_statement(&statement, signer)
        .expect("sign")
        .to_json()
}

const C1: &str = "aaaa111122223333444455556666777788889999";
const C2: &str = "bbbb111122223333444455556666777788889999";
const C3: &str = "cccc111122223333444455556666777788889999";

/// The corpus: three releases, a fourth with release 1's dependency set, a JSON Lines file with
/// two envelopes, a tampered envelope and one signed by another key.
fn corpus(dir: &Path, k: &Keys, other: &Keys) -> PathBuf {
    let att = dir.join("att");
    std::fs::create_dir_all(&att).expect("mkdir");
    let deps1 = [
        "pkg:pypi/xz@5.6.0",
        "pkg:pypi/requests@2.31.0",
        "pkg:npm/left-pad@1.3.0",
    ];
    let deps2 = [
        "pkg:pypi/xz@5.6.1",
        "pkg:pypi/requests@2.31.0",
        "pkg:npm/lodash@4.17.21",
    ];
    let deps3 = ["pkg:pypi/xz@5.4.6", "pkg:pypi/Requests@2.32.0"];
    let s = k.signer.as_ref();
    let write =
        |name: &str, text: String| std::fs::write(att.join(name), text + "\n").expect("write");
    write(
        "app-1.intoto.jsonl",
        release(s, "app-1.tar.gz", C1, "refs/tags/v1", &deps1),
    );
    write(
        "app-2.intoto.jsonl",
        release(s, "app-2.tar.gz", C2, "refs/tags/v2", &deps2),
    );
    write(
        "pair.intoto.jsonl",
        release(s, "app-3.tar.gz", C3, "refs/tags/v3", &deps3)
            + "\n"
            + &release(s, "app-1-docs.tar.gz", C1, "refs/tags/v1", &deps1),
    );
    // Tampered: one byte of the payload changed after signing.
    let good = release(s, "evil.tar.gz", C3, "refs/tags/v3", &deps1);
    let mut env: serde_json::Value = serde_json::from_str(&good).expect("json");
    let payload = env["payload"].as_str().expect("payload").to_string();
    let flipped = if payload.starts_with('e') { "f" } else { "e" };
    env["payload"] = serde_json::Value::String(format!("{flipped}{}", &payload[1..]));
    write("tampered.intoto.jsonl", env.to_string());
    write(
        "other.intoto.jsonl",
        release(
            other.signer.as_ref(),
            "other.tar.gz",
            C3,
            "refs/tags/v3",
            &deps3,
        ),
    );
    std::fs::write(att.join("README.txt"), "not an attestation").expect("write");
    att
}

/// A fresh index on each backend: SQLite in `dir`, or a new schema in the test PostgreSQL.
fn sqlite(dir: &Path, name: &str) -> Location {
    Location::Sqlite(dir.join(format!("{name}.db")))
}

fn postgres(url: &str, name: &str) -> Location {
    let schema = format!(
        "t_{name}_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let mut c =
        postgres::Client::connect(url, postgres::NoTls).expect("connect to the test PostgreSQL");
    c.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    Location::Postgres(format!("{url}{sep}options=-csearch_path%3D{schema}"))
}

/// Runs every query; returns the answers in a comparable form.
fn suite(
    loc: &Location,
    att: &Path,
    k: &Keys,
    other: &Keys,
) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    let mut index = Index::open(loc).expect("open");
    let trust = Trust::keys(vec![k.public.clone()]);
    let report = index
        .add(
            &[att.to_path_buf()],
            &trust,
            &IngestOptions { batch_files: 2 },
        )
        .expect("add");
    assert_eq!(report.envelopes_new, 4, "{report:?}");
    let mut codes: Vec<&str> = report.rejected.iter().map(|r| r.code.as_str()).collect();
    codes.sort();
    assert_eq!(
        codes,
        ["signature-invalid", "signature-invalid"],
        "{report:?}"
    );
    let counts = index.counts().expect("counts");
    assert_eq!(counts["envelopes"], 4);
    assert_eq!(
        counts["depsets"], 3,
        "release 1's dependency set is stored once"
    );
    assert_eq!(counts["builds"], 4);
    out.insert("counts".into(), serde_json::json!(counts));

    // Never indexed: the tampered envelope and the one by an untrusted key.
    assert!(index
        .query_artifact(&format!("sha256:{}", sha("evil.tar.gz")))
        .expect("q")
        .is_empty());
    assert!(index
        .query_artifact(&format!("sha256:{}", sha("other.tar.gz")))
        .expect("q")
        .is_empty());

    let names = |hits: &[provseal_index::Hit]| -> Vec<String> {
        let mut v: Vec<String> = hits
            .iter()
            .flat_map(|h| h.subjects.iter().filter_map(|s| s.name.clone()))
            .collect();
        v.sort();
        v
    };
    let range = index
        .query_package("pkg:pypi/xz@>=5.6.0,<5.6.2")
        .expect("range");
    assert_eq!(
        names(&range),
        ["app-1-docs.tar.gz", "app-1.tar.gz", "app-2.tar.gz"]
    );
    let exact = index.query_package("pkg:pypi/xz@5.6.1").expect("exact");
    assert_eq!(names(&exact), ["app-2.tar.gz"]);
    assert_eq!(exact[0].matched, ["pkg:pypi/xz@5.6.1"]);
    // PEP 503 normalisation, and every version.
    let req = index
        .query_package("pkg:pypi/requests")
        .expect("any version");
    assert_eq!(req.len(), 4);
    let newer = index
        .query_package("pkg:pypi/requests@>=2.32")
        .expect("pep440");
    assert_eq!(names(&newer), ["app-3.tar.gz"]);
    assert!(index
        .query_package("pkg:npm/nothing")
        .expect("none")
        .is_empty());
    assert!(index.query_package("not a purl").is_err());
    out.insert("range".into(), serde_json::json!(range));
    out.insert("exact".into(), serde_json::json!(exact));

    let art = index
        .query_artifact(&format!("sha256:{}", sha("app-2.tar.gz")))
        .expect("artifact");
    assert_eq!(names(&art), ["app-2.tar.gz"]);
    assert_eq!(art[0].commit.as_deref(), Some(C2));
    assert_eq!(art[0].git_ref.as_deref(), Some("refs/tags/v2"));
    assert_eq!(art[0].repository.as_deref(), Some("github.com/org/app"));
    assert_eq!(art[0].verified_by, format!("key:{}", k.public.key_id()));
    out.insert("artifact".into(), serde_json::json!(art));
    assert!(index.query_artifact("sha256:xyz").is_err());

    let by_commit = index.query_commit("AAAA1111").expect("commit");
    assert_eq!(names(&by_commit), ["app-1-docs.tar.gz", "app-1.tar.gz"]);
    assert!(index.query_commit("dddd").expect("commit").is_empty());
    out.insert("commit".into(), serde_json::json!(by_commit));

    let signed = index
        .query_signer(SignerQuery::Key(&k.public.key_id()))
        .expect("signer");
    assert_eq!(signed.len(), 4);
    // The backend's order (`ORDER BY` in SQL) is the order every other query sorts its hits
    // in; the package query reads the same four hits by envelope id and sorts them in Rust.
    let by_package: Vec<Hit> = req
        .iter()
        .map(|h| Hit {
            matched: Vec::new(),
            ..h.clone()
        })
        .collect();
    assert_eq!(signed, by_package);
    // Streamed hits (borrowed from the rows, subjects still in their stored text) render as
    // the owned hits do, JSON and human lines alike.
    let mut streamed = Vec::new();
    let n = index
        .each_signer_hit(SignerQuery::Key(&k.public.key_id()), |h| {
            let mut line = String::new();
            h.write_line(&mut line);
            streamed.push((serde_json::to_string(&h).expect("json"), line));
        })
        .expect("streamed");
    assert_eq!(n, 4);
    let owned: Vec<(String, String)> = signed
        .iter()
        .map(|h| (serde_json::to_string(h).expect("json"), h.line()))
        .collect();
    assert_eq!(streamed, owned);
    // The JSON lines stored at ingestion are the owned hits' serialisation.
    let mut stored = Vec::new();
    index
        .each_signer_line(SignerQuery::Key(&k.public.key_id()), |l| {
            stored.push(l.to_string())
        })
        .expect("lines");
    let json: Vec<String> = owned.into_iter().map(|(j, _)| j).collect();
    assert_eq!(stored, json);
    assert!(index
        .query_signer(SignerQuery::Key(&other.public.key_id()))
        .expect("signer")
        .is_empty());
    assert!(index
        .query_signer(SignerQuery::Identity {
            identity: "https://x",
            issuer: "https://y"
        })
        .expect("id")
        .is_empty());

    // Today's policy denies xz 5.6.0–5.6.1 and requires requests >= 2.31.
    let dir = att.parent().expect("parent");
    std::fs::write(dir.join("k.pub"), k.public.to_pem()).expect("write");
    std::fs::write(
        dir.join("policy.toml"),
        "version = 1\n[[signers]]\nkey = \"k.pub\"\n[packages]\ndeny = [\"pkg:pypi/xz@>=5.6.0,<5.6.2\"]\n",
    )
    .expect("write");
    let policy = provseal_verify::policy::Policy::load(&dir.join("policy.toml")).expect("policy");
    let failing = index
        .query_policy(&policy, jiff::Timestamp::now())
        .expect("sweep");
    let failing_names = names(&failing.iter().map(|f| f.hit.clone()).collect::<Vec<_>>());
    assert_eq!(
        failing_names,
        ["app-1-docs.tar.gz", "app-1.tar.gz", "app-2.tar.gz"]
    );
    assert!(
        failing
            .iter()
            .all(|f| f.failures.iter().any(|l| l.starts_with("package-denied"))),
        "{failing:?}"
    );

    let d = index
        .diff(
            &format!("sha256:{}", sha("app-1.tar.gz")),
            &format!("sha256:{}", sha("app-2.tar.gz")),
        )
        .expect("diff");
    assert_eq!(d.added, ["pkg:npm/lodash@4.17.21"]);
    assert_eq!(d.removed, ["pkg:npm/left-pad@1.3.0"]);
    assert_eq!(d.changed.len(), 1);
    assert_eq!(d.changed[0].package, "pypi/xz");
    assert_eq!(
        (d.changed[0].from.clone(), d.changed[0].to.clone()),
        (vec!["5.6.0".to_string()], vec!["5.6.1".to_string()])
    );
    assert!(matches!(
        index.diff("aaaa", "bbbb"),
        Err(provseal_index::IndexError::Ambiguous { found: 2, .. })
    ));
    out.insert(
        "diff".into(),
        serde_json::json!({"added": d.added, "removed": d.removed, "changed": d.changed}),
    );

    // A schema 2 index (the same tables without `hits`) is upgraded in place, its hits
    // assembled from the other tables, and answers every query as the rows written at
    // ingestion did.
    let before = answers(&mut index, k, &policy);
    drop(index);
    downgrade_to_schema_2(loc);
    let mut index = Index::open(loc).expect("upgrade from schema 2");
    assert_eq!(answers(&mut index, k, &policy), before);
    let counts = index.counts().expect("counts");
    assert_eq!((counts["hits"], counts["hit_lines"]), (4, 4));

    // Incremental: nothing changed, nothing read.
    let again = index
        .add(&[att.to_path_buf()], &trust, &IngestOptions::default())
        .expect("rerun");
    assert_eq!(again.envelopes_new, 0);
    assert_eq!(
        again.files_verified, 2,
        "only the two rejected files are verified again: {again:?}"
    );
    assert_eq!(again.files_unchanged, 3);

    // Reverify with a rotated key: nothing verifies; export gives the envelopes back.
    let rot = index
        .reverify(&Trust::keys(vec![other.public.clone()]))
        .expect("reverify");
    assert_eq!(rot.len(), 4);
    assert!(rot
        .iter()
        .all(|r| r.code.map(|c| c.as_str()) == Some("signature-invalid")));
    let ok = index.reverify(&trust).expect("reverify");
    assert!(ok.iter().all(|r| r.code.is_none()), "{ok:?}");
    let exported = dir.join(format!("export-{}", loc.display().len()));
    assert_eq!(index.export(&exported).expect("export"), 4);
    // The stored parts give back the exact bytes.
    let original = std::fs::read(att.join("app-2.intoto.jsonl")).expect("read");
    let found = std::fs::read_dir(&exported)
        .expect("dir")
        .filter_map(Result::ok)
        .any(|e| std::fs::read(e.path()).ok() == Some(original.clone()));
    assert!(found, "app-2's envelope is not exported byte for byte");
    let fresh = dir.join(format!("fresh-{}.db", loc.display().len()));
    let mut again = Index::open(&Location::Sqlite(fresh)).expect("open");
    let r = again
        .add(&[exported], &trust, &IngestOptions::default())
        .expect("re-add");
    assert_eq!((r.envelopes_new, r.rejected.len()), (4, 0));

    // Prune the key: everything it signed goes.
    assert_eq!(index.prune_key(&k.public.key_id()).expect("prune"), 4);
    let after = index.counts().expect("counts");
    assert_eq!(
        (
            after["envelopes"],
            after["subjects"],
            after["builds"],
            after["blobs"],
            after["hits"],
            after["hit_lines"]
        ),
        (0, 0, 0, 0, 0, 0)
    );
    out
}

/// Every query's answer, for comparison before and after an upgrade.
fn answers(
    index: &mut Index,
    k: &Keys,
    policy: &provseal_verify::policy::Policy,
) -> serde_json::Value {
    let failing: Vec<_> = index
        .query_policy(policy, jiff::Timestamp::now())
        .expect("sweep")
        .into_iter()
        .map(|f| (f.hit, f.failures))
        .collect();
    let mut lines = Vec::new();
    index
        .each_signer_line(SignerQuery::Key(&k.public.key_id()), |l| {
            lines.push(l.to_string())
        })
        .expect("signer lines");
    serde_json::json!({
        "signer lines": lines,
        "range": index.query_package("pkg:pypi/xz@>=5.6.0,<5.6.2").expect("range"),
        "any": index.query_package("pkg:pypi/requests").expect("any"),
        "artifact": index.query_artifact(&format!("sha256:{}", sha("app-2.tar.gz"))).expect("artifact"),
        "commit": index.query_commit("aaaa").expect("commit"),
        "signer": index.query_signer(SignerQuery::Key(&k.public.key_id())).expect("signer"),
        "policy": failing,
    })
}

/// Turns a schema 3 index back into the schema 2 it extends (drops `hits` and `hit_lines`).
fn downgrade_to_schema_2(loc: &Location) {
    let sql = "DROP TABLE hits; DROP TABLE hit_lines; UPDATE provseal_meta SET value = '2' WHERE key = 'schema_version'";
    match loc {
        Location::Sqlite(p) => rusqlite_open(p).execute_batch(sql).expect("downgrade"),
        Location::Postgres(url) => postgres::Client::connect(url, postgres::NoTls)
            .and_then(|mut c| c.batch_execute(sql))
            .expect("downgrade"),
    }
}

#[test]
fn query_suite_sqlite_and_postgres_answer_the_same() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (k, other) = (keys(), keys());
    let att = corpus(tmp.path(), &k, &other);
    let lite = suite(&sqlite(tmp.path(), "suite"), &att, &k, &other);
    if let Some(url) = provseal_testsupport::postgres_url("query_suite") {
        let pg = suite(&postgres(&url, "suite"), &att, &k, &other);
        assert_eq!(lite, pg, "the backends answer differently");
    }
}

#[test]
fn foreign_corrupt_and_newer_databases_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let junk = tmp.path().join("junk.db");
    std::fs::write(&junk, "this is not a database at all, just text").expect("write");
    let e = Index::open(&Location::Sqlite(junk)).expect_err("junk");
    assert!(e.to_string().contains("not a provseal index"), "{e}");

    let foreign = tmp.path().join("foreign.db");
    let c = rusqlite_open(&foreign);
    c.execute_batch("CREATE TABLE users (id INTEGER)")
        .expect("ddl");
    drop(c);
    let e = Index::open(&Location::Sqlite(foreign)).expect_err("foreign");
    assert!(
        matches!(e, provseal_index::IndexError::Foreign { .. }),
        "{e}"
    );

    let newer = tmp.path().join("newer.db");
    drop(Index::open(&Location::Sqlite(newer.clone())).expect("create"));
    let c = rusqlite_open(&newer);
    c.execute_batch("UPDATE provseal_meta SET value = '99' WHERE key = 'schema_version'")
        .expect("bump");
    drop(c);
    let e = Index::open(&Location::Sqlite(newer)).expect_err("newer");
    assert!(
        matches!(e, provseal_index::IndexError::NewerSchema { found: 99, .. }),
        "{e}"
    );
}

fn rusqlite_open(p: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(p).expect("sqlite")
}

/// `n` single-envelope files in `dir` (dependency sets cycle over 7).
fn many(dir: &Path, k: &Keys, n: usize) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("mkdir");
    (0..n)
        .map(|i| {
            let deps: Vec<String> = (0..20)
                .map(|j| format!("pkg:pypi/p{j}@1.{}", (i % 7) + j))
                .collect();
            let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
            let commit = format!("{:040x}", i + 1);
            let p = dir.join(format!("r{i:05}.intoto.jsonl"));
            std::fs::write(
                &p,
                release(
                    k.signer.as_ref(),
                    &format!("r{i}.tgz"),
                    &commit,
                    "refs/heads/main",
                    &deps,
                ) + "\n",
            )
            .expect("write");
            p
        })
        .collect()
}

#[test]
fn four_postgres_ingesters_on_overlapping_input_match_one() {
    let Some(url) = provseal_testsupport::postgres_url("four_postgres_ingesters") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let k = keys();
    let files = many(&tmp.path().join("att"), &k, 200);
    let trust = Trust::keys(vec![k.public.clone()]);
    let one = postgres(&url, "one");
    let mut single = Index::open(&one).expect("open");
    single
        .add(&files, &trust, &IngestOptions { batch_files: 25 })
        .expect("add");
    let expected = single.counts().expect("counts");
    assert_eq!(expected["envelopes"], 200);

    let shared = postgres(&url, "four");
    std::thread::scope(|s| {
        for i in 0..4 {
            // Overlapping slices: 0..110, 30..140, 60..170, 90..200 — and together all 200.
            let part: Vec<PathBuf> = files[i * 30..(i * 30 + 110).min(200)].to_vec();
            let (shared, trust) = (&shared, &trust);
            s.spawn(move || {
                let mut idx = Index::open(shared).expect("open");
                idx.add(&part, trust, &IngestOptions { batch_files: 10 })
                    .expect("add");
            });
        }
    });
    let mut idx = Index::open(&shared).expect("open");
    let mut got = idx.counts().expect("counts");
    let mut want = expected.clone();
    // Each ingester records its own file rows; all other tables must match exactly.
    got.remove("files");
    want.remove("files");
    assert_eq!(got, want, "four ingesters: lost or duplicated rows");
}

#[test]
fn kill_9_during_ingestion_leaves_a_consistent_index_and_a_rerun_completes_it() {
    // The child: ingest slowly (small batches) until killed.
    if let Ok(spec) = std::env::var("PROVSEAL_INDEX_KILL_CHILD") {
        let (db, dir, key) = {
            let mut it = spec.splitn(3, '\n');
            (
                it.next().unwrap_or_default().to_string(),
                it.next().unwrap_or_default().to_string(),
                it.next().unwrap_or_default().to_string(),
            )
        };
        let public = PublicKey::from_pem(key.as_bytes()).expect("key");
        let mut idx = Index::open(&Location::Sqlite(PathBuf::from(db))).expect("open");
        idx.add(
            &[PathBuf::from(dir)],
            &Trust::keys(vec![public]),
            &IngestOptions { batch_files: 5 },
        )
        .expect("add");
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let k = keys();
    let n = 600;
    let dir = tmp.path().join("att");
    many(&dir, &k, n);
    let db = tmp.path().join("kill.db");
    let spec = format!("{}\n{}\n{}", db.display(), dir.display(), k.public.to_pem());
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "kill_9_during_ingestion_leaves_a_consistent_index_and_a_rerun_completes_it",
            "--nocapture",
        ])
        .env("PROVSEAL_INDEX_KILL_CHILD", spec)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until some batches are committed, then SIGKILL.
    let start = std::time::Instant::now();
    let mut committed = 0;
    while start.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        if db.exists() {
            if let Ok(c) = rusqlite::Connection::open(&db) {
                committed = c
                    .query_row("SELECT COUNT(*) FROM files", [], |r| r.get::<_, i64>(0))
                    .unwrap_or(0);
                if committed >= 20 {
                    break;
                }
            }
        }
    }
    std::process::Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .expect("kill");
    let _ = child.wait();
    assert!(committed > 0, "the child committed nothing in time");

    let mut idx = Index::open(&Location::Sqlite(db.clone())).expect("reopen after kill -9");
    let c = idx.counts().expect("counts");
    // Consistent: every recorded file's envelope is there with its subject and build.
    assert!(
        c["files"] < n as i64,
        "the child finished before the kill: {c:?}"
    );
    assert_eq!(c["envelopes"], c["files"], "{c:?}");
    assert_eq!(c["subjects"], c["envelopes"], "{c:?}");
    assert_eq!(c["builds"], c["envelopes"], "{c:?}");
    let r = idx
        .add(
            &[dir],
            &Trust::keys(vec![k.public.clone()]),
            &IngestOptions::default(),
        )
        .expect("rerun");
    assert_eq!(r.envelopes_new as i64, n as i64 - c["envelopes"]);
    let done = idx.counts().expect("counts");
    assert_eq!(
        (done["envelopes"], done["files"], done["depsets"]),
        (n as i64, n as i64, 7)
    );
}

/// A real Sigstore bundle (sigstore-conformance) and the same bundle wrapped as npm publishes
/// it: verified with the identity, stored once (same signed payload), found by identity; the
/// wrong identity is rejected with `identity-mismatch`.
#[test]
fn sigstore_bundles_enter_by_identity_and_are_found_by_it() {
    let Some(data) = provseal_testsupport::testdata_dir("sigstore_bundles_enter_by_identity")
    else {
        return;
    };
    const ID: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    const ISSUER: &str = "https://token.actions.githubusercontent.com";
    let src = data.join(
        "sigstore-conformance/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("att");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let bundle = std::fs::read(&src).expect("bundle");
    std::fs::write(dir.join("a.txt.sigstore.json"), &bundle).expect("write");
    let value: serde_json::Value = serde_json::from_slice(&bundle).expect("json");
    std::fs::write(
        dir.join("a.txt.npm.json"),
        serde_json::json!({"attestations": [{"predicateType": "https://slsa.dev/provenance/v1", "bundle": value}]}).to_string(),
    )
    .expect("write");
    let trust = |identity: &str| Trust {
        options: provseal_verify::VerifyOptions {
            sigstore: Some(provseal_verify::SigstoreTrust {
                trusted_root: std::sync::Arc::new(
                    provseal_sigstore::TrustedRoot::production().expect("root"),
                ),
                identity: Some(provseal_sigstore::IdentityPolicy::exact(identity, ISSUER)),
                options: provseal_sigstore::VerifyOptions::default(),
            }),
            ..Default::default()
        },
        policy: None,
        verified_by: format!("identity:{identity}"),
    };
    let mut index = Index::open(&sqlite(tmp.path(), "bundles")).expect("open");
    let wrong = index
        .add(
            std::slice::from_ref(&dir),
            &trust("https://example.com/someone-else"),
            &IngestOptions::default(),
        )
        .expect("add");
    assert_eq!(wrong.envelopes_new, 0);
    assert_eq!(
        wrong.rejected.iter().map(|r| r.code).collect::<Vec<_>>(),
        ["identity-mismatch", "identity-mismatch"],
        "{wrong:?}"
    );
    let ok = index
        .add(&[dir], &trust(ID), &IngestOptions::default())
        .expect("add");
    assert!(ok.rejected.is_empty(), "{ok:?}");
    assert_eq!(
        index.counts().expect("counts")["envelopes"],
        1,
        "one signed payload, stored once"
    );
    let hits = index
        .query_signer(SignerQuery::Identity {
            identity: ID,
            issuer: ISSUER,
        })
        .expect("query");
    assert_eq!(hits.len(), 1);
    assert!(hits[0].signer.contains(ID), "{:?}", hits[0]);
    assert_eq!(hits[0].verified_by, format!("identity:{ID}"));
    assert!(index
        .query_signer(SignerQuery::Identity {
            identity: ID,
            issuer: "https://other"
        })
        .expect("query")
        .is_empty());
}

/// With a policy, a verified attestation that fails it is rejected with `policy-failed`.
#[test]
fn a_policy_gates_ingestion() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (k, other) = (keys(), keys());
    let att = corpus(tmp.path(), &k, &other);
    std::fs::write(tmp.path().join("k.pub"), k.public.to_pem()).expect("write");
    std::fs::write(
        tmp.path().join("policy.toml"),
        "version = 1\n[[signers]]\nkey = \"k.pub\"\n[packages]\ndeny = [\"pkg:pypi/xz@>=5.6.0,<5.6.2\"]\n",
    )
    .expect("write");
    let policy =
        provseal_verify::policy::Policy::load(&tmp.path().join("policy.toml")).expect("policy");
    let mut trust = Trust::keys(policy.trusted_keys());
    trust.policy = Some(policy);
    let mut index = Index::open(&sqlite(tmp.path(), "gate")).expect("open");
    let r = index
        .add(&[att], &trust, &IngestOptions::default())
        .expect("add");
    let mut codes: Vec<&str> = r.rejected.iter().map(|r| r.code.as_str()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "policy-failed",
            "policy-failed",
            "policy-failed",
            "signature-invalid",
            "signature-invalid"
        ],
        "{r:?}"
    );
    assert_eq!(r.envelopes_new, 1);
    let hits = index.query_package("pkg:pypi/xz").expect("query");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].matched, ["pkg:pypi/xz@5.4.6"]);
}
