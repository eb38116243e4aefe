//! Rough throughput of strict parsing, statement parsing and canonicalization on a generated
//! statement with many subjects. Run with `cargo run --release -p provseal-model --example
//! parse_speed [SUBJECTS]`.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use provseal_model::{json, DigestSet, ResourceDescriptor, Statement, SLSA_PROVENANCE_V1};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let subjects = (0..n)
        .map(|i| {
            let d: DigestSet = [
                ("sha256", format!("{i:064x}")),
                ("sha512", format!("{i:0128x}")),
            ]
            .into_iter()
            .collect();
            ResourceDescriptor::named(format!("dist/artifact-{i}.tar.gz"), d)
        })
        .collect();
    let predicate = serde_json::json!({
        "buildDefinition": {"buildType": "https://example.com/b/v1", "externalParameters": {"x": [1, 2.5, "s"]}},
        "runDetails": {"builder": {"id": "https://example.com/builder"}}
    });
    let bytes = Statement::new(subjects, SLSA_PROVENANCE_V1, predicate)
        .to_json_vec()
        .unwrap();
    let mib = bytes.len() as f64 / (1024.0 * 1024.0);
    let rounds = 20;
    let time = |label: &str, f: &dyn Fn()| {
        f();
        let t = Instant::now();
        for _ in 0..rounds {
            f();
        }
        let s = t.elapsed().as_secs_f64() / f64::from(rounds);
        println!("{label:<36} {:>8.2} ms  {:>7.1} MiB/s", s * 1e3, mib / s);
    };
    println!("statement: {n} subjects, {mib:.2} MiB");
    time("serde_json::from_slice::<Value>", &|| {
        let _: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    });
    time("json::parse_strict", &|| {
        json::parse_strict(&bytes).unwrap();
    });
    time("serde_json::from_slice::<Statement>", &|| {
        let _: Statement = serde_json::from_slice(&bytes).unwrap();
    });
    time("parse_strict + from_value::<Statement>", &|| {
        let v = json::parse_strict(&bytes).unwrap();
        let _: Statement = serde_json::from_value(v).unwrap();
    });
    time("Statement::parse (strict + validate)", &|| {
        Statement::parse(&bytes).unwrap();
    });
    time("json::canonicalize_bytes", &|| {
        json::canonicalize_bytes(&bytes).unwrap();
    });
}
