//! In-library query latency: opens the index once, then runs one query N times and prints the
//! p50 and p95 of each run's wall time and the hit count (no process start, no output
//! formatting). `bench/index.sh` runs it beside the whole-process figures.
//!
//! `cargo run --release -p provseal-index --example query_latency -- DB RUNS KIND ARG [ARG2]`
//!
//! KIND: `package PURL[@RANGE]`, `artifact sha256:HEX`, `commit PREFIX`, `signer PUB.pem`
//! (owned hits), `signer-lines PUB.pem` (the stored JSON lines, as `--jsonl` reads them),
//! `policy POLICY.toml`. Prints `p50_ms p95_ms hits`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use provseal_index::{Index, Location, SignerQuery};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, runs, kind, arg, ..] = args.as_slice() else {
        return Err("usage: query_latency DB RUNS KIND ARG".into());
    };
    let runs: usize = runs.parse()?;
    let mut index = Index::open_existing(&Location::parse(db))?;
    let policy = if kind == "policy" {
        Some(
            provseal_verify::policy::Policy::load(std::path::Path::new(arg))
                .map_err(|d| format!("{d:?}"))?,
        )
    } else {
        None
    };
    let key_id = if kind.starts_with("signer") {
        provseal_crypto::PublicKey::from_pem(std::fs::read(arg)?)?.key_id()
    } else {
        String::new()
    };
    let mut times = Vec::with_capacity(runs);
    let mut hits = 0;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        hits = match kind.as_str() {
            "package" => index.query_package(arg)?.len(),
            "artifact" => index.query_artifact(arg)?.len(),
            "commit" => index.query_commit(arg)?.len(),
            "signer" => index.query_signer(SignerQuery::Key(&key_id))?.len(),
            "signer-lines" => {
                let mut bytes = 0;
                let n =
                    index.each_signer_line(SignerQuery::Key(&key_id), |l| bytes += l.len() + 1)?;
                std::hint::black_box(bytes);
                n
            }
            "policy" => index
                .query_policy(policy.as_ref().ok_or("no policy")?, jiff::Timestamp::now())?
                .len(),
            other => return Err(format!("unknown query kind `{other}`").into()),
        };
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        let i = ((q * times.len() as f64).round() as usize).clamp(1, times.len()) - 1;
        times.get(i).copied().unwrap_or_default()
    };
    println!("{:.2} {:.2} {hits}", pick(0.5), pick(0.95));
    Ok(())
}
