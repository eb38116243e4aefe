//! Signs N small statements as one batch, writes the entry files, then reads and verifies one
//! entry. Prints wall times; run under `/usr/bin/time -v` for the peak RSS.
//!
//! `cargo run --example batch_bench -- N OUT_DIR`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use provseal_batch::{sign_batch, verify_entry, write_batch, BatchEntry, Overwrite};
use provseal_crypto::{KeyAlgorithm, KeyPairSigner, Signer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(100_000), |s| s.parse())?;
    let out = std::path::PathBuf::from(args.next().ok_or("usage: batch_bench N OUT_DIR")?);
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519)?;

    let t = Instant::now();
    let mut names = Vec::with_capacity(n);
    let statements: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let name = format!("out/pkg-{i:06}.whl");
            let digest = provseal_batch::merkle::leaf_hash(name.as_bytes());
            let st = format!(
                concat!(
                    r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"{}","#,
                    r#""digest":{{"sha256":"{}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","#,
                    r#""predicate":{{"buildDefinition":{{"buildType":"https://provseal.dev/buildtypes/run/v1","#,
                    r#""externalParameters":{{"command":["make","release"]}},"resolvedDependencies":[{{"uri":"git+https://example.com/repo@refs/heads/main","#,
                    r#""digest":{{"gitCommit":"0123456789abcdef0123456789abcdef01234567"}}}}]}},"#,
                    r#""runDetails":{{"builder":{{"id":"https://provseal.dev/builder/local"}},"metadata":{{"invocationId":"{}","#,
                    r#""startedOn":"2026-11-25T22:00:00Z","finishedOn":"2026-11-25T22:01:00Z"}}}}}}}}"#
                ),
                name,
                hex::encode(digest),
                i
            );
            names.push(name);
            let mut st = st.into_bytes();
            st.shrink_to_fit();
            st
        })
        .collect();
    let made = t.elapsed();
    let bytes: usize = statements.iter().map(Vec::len).sum();

    let hwm_made = peak_rss_kib();
    let t = Instant::now();
    let batch = sign_batch(
        statements,
        "application/vnd.in-toto+json",
        &signer,
        "2026-11-25T22:01:00Z",
    )?;
    let signed = t.elapsed();

    let hwm_signed = peak_rss_kib();
    let t = Instant::now();
    let paths = write_batch(&out, &batch, &names, Overwrite::Allow)?;
    let written = t.elapsed();

    let t = Instant::now();
    let pick = paths.get(n / 2).ok_or("empty")?;
    let entry = BatchEntry::from_json(&std::fs::read(pick)?)?;
    let v = verify_entry(&entry, &[signer.public_key().clone()])?;
    let verified = t.elapsed();

    println!(
        "peak RSS KiB: after making statements {hwm_made}, after signing {hwm_signed}, at end {}",
        peak_rss_kib()
    );
    println!(
        "n={n} statement_bytes={bytes} make={made:?} hash+tree+sign={signed:?} write={written:?} \
         verify_one={verified:?} signing_operations={} leaf={} proof_hashes={}",
        batch.signing_operations,
        v.leaf_index,
        entry.proof.hashes.len()
    );
    Ok(())
}

/// The process's peak resident set size so far (`VmHWM`), in KiB; 0 where unknown.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
