//! Integration tests of provseal-materials (one test binary; one module per area).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input;
mod cargo;
mod discovery;
mod git;
mod golang;
mod malformed;
mod node;
mod python_env;
mod python_lock;
mod sbom;
mod secrets;
mod snapshot;

use provseal_materials::{CollectContext, Collector, DiscoveryOptions, LockfileCollector};

/// Discovery of every lockfile in the tree (`--lockfile '**'`).
pub fn whole_tree() -> DiscoveryOptions {
    DiscoveryOptions {
        lockfiles: vec!["**".into()],
        ..Default::default()
    }
}

/// Writes each case into a fresh tree, collects it, and returns the error, which must name the
/// file (strict parsing: a malformed lockfile fails the snapshot; nothing is recorded from it).
pub fn each_fails_naming_the_file(cases: &[(&str, Vec<u8>)]) -> Vec<String> {
    let mut out = Vec::new();
    for (rel, bytes) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        let err = LockfileCollector
            .collect(&CollectContext {
                root: tmp.path().to_path_buf(),
                discovery: whole_tree(),
                ..CollectContext::default()
            })
            .expect_err(rel);
        let err = provseal_model::one_line(&err);
        assert!(err.contains(rel), "{rel}: {err}");
        out.push(err.replace(&format!("{}/", tmp.path().display()), ""));
    }
    out
}
