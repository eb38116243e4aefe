//! Parses one Node lockfile (`package-lock.json`, `yarn.lock`, `pnpm-lock.yaml`) and prints a
//! one-line summary: format, packages, packages with a digest, graph nodes and edges, and the
//! number of resource descriptors a snapshot would record. Used by `bench/materials-node.sh`.
//!
//! ```text
//! cargo run --release -p provseal-materials --example node_lock -- path/to/package-lock.json
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: node_lock LOCKFILE [REPEAT]");
        return ExitCode::from(2);
    };
    let repeat: usize = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let name = path.display().to_string();
    let start = std::time::Instant::now();
    let mut last = None;
    for _ in 0..repeat.max(1) {
        match provseal_materials::node::parse_lockfile(&path, &name) {
            Ok(lock) => last = Some(lock),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let elapsed = start.elapsed();
    let Some(lock) = last else {
        return ExitCode::from(2);
    };
    let rds = lock.package_descriptors();
    let with_digest = lock
        .packages
        .iter()
        .filter(|p| !p.digest.is_empty())
        .count();
    let (nodes, edges) = lock
        .graph
        .as_ref()
        .map(|g| {
            (
                g.edges.len(),
                g.edges.values().map(|s| s.len()).sum::<usize>(),
            )
        })
        .unwrap_or((0, 0));
    println!(
        "{}: {} packages ({} with digest), graph {} nodes / {} edges, {} descriptors; parse {:.2} ms per run ({} runs)",
        lock.kind,
        lock.packages.len(),
        with_digest,
        nodes,
        edges,
        rds.len(),
        elapsed.as_secs_f64() * 1000.0 / repeat.max(1) as f64,
        repeat.max(1)
    );
    ExitCode::SUCCESS
}
