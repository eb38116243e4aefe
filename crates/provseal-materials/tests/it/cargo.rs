//! `Cargo.lock` v4 and v3 made by the real `cargo generate-lockfile`, compared with
//! `cargo metadata --format-version 1` (package set and resolve graph) and with the SHA-256 of
//! the downloaded `.crate` files (`crate-sha256sums.txt`), all saved when the fixtures were made.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use provseal_materials::cargo::parse_cargo_lock;
use provseal_materials::sbom::ROOT_REF;
use provseal_materials::{CollectContext, Collector, LockfileCollector};
use serde_json::Value;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cargo")
        .join(rel)
}

fn check(dir: &str, kind: &str) {
    let lock = parse_cargo_lock(&data(&format!("{dir}/Cargo.lock")), "Cargo.lock").unwrap();
    assert_eq!(lock.kind, kind);
    let meta: Value = serde_json::from_slice(
        &std::fs::read(data(&format!("{dir}/cargo-metadata.json"))).unwrap(),
    )
    .unwrap();
    // id → (purl or root)
    let mut by_id: BTreeMap<String, String> = BTreeMap::new();
    let mut want = BTreeSet::new();
    for p in meta["packages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let version = p["version"].as_str().unwrap();
        let id = p["id"].as_str().unwrap().to_string();
        if p["source"].is_null() {
            by_id.insert(id, ROOT_REF.to_string());
        } else {
            want.insert((name.to_string(), version.to_string()));
            by_id.insert(id, format!("pkg:cargo/{name}@{version}"));
        }
    }
    let got: BTreeSet<(String, String)> = lock
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(want.len(), 12);

    // checksums = sha256 of the .crate files
    let sums = std::fs::read_to_string(data(&format!("{dir}/crate-sha256sums.txt"))).unwrap();
    let sums: BTreeMap<String, String> = sums
        .lines()
        .map(|l| {
            let (h, f) = l.split_once("  ").unwrap();
            (f.trim_end_matches(".crate").to_string(), h.to_string())
        })
        .collect();
    assert_eq!(sums.len(), lock.packages.len());
    for p in &lock.packages {
        assert_eq!(
            p.digest.get("sha256"),
            sums.get(&format!("{}-{}", p.name, p.version)),
            "{}",
            p.name
        );
        assert_eq!(p.purl, format!("pkg:cargo/{}@{}", p.name, p.version));
    }

    // graph = cargo metadata's resolve (workspace members folded into the root)
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry(ROOT_REF.to_string()).or_default();
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let from = by_id[node["id"].as_str().unwrap()].clone();
        let set = edges.entry(from.clone()).or_default();
        for d in node["deps"].as_array().unwrap() {
            let to = by_id[d["pkg"].as_str().unwrap()].clone();
            if to != from {
                set.insert(to);
            }
        }
    }
    assert_eq!(lock.graph.unwrap().edges, edges);
}

#[test]
fn cargo_lock_v4_matches_cargo_metadata() {
    check("v4", "Cargo.lock v4");
}

#[test]
fn cargo_lock_v3_matches_cargo_metadata() {
    check("v3", "Cargo.lock v3");
}

#[test]
fn collector_records_file_and_packages_and_skips_target() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::copy(data("v4/Cargo.lock"), root.join("Cargo.lock")).unwrap();
    std::fs::create_dir_all(root.join("target/package/x")).unwrap();
    std::fs::write(root.join("target/package/x/Cargo.lock"), "garbage").unwrap();
    let out = LockfileCollector
        .collect(&CollectContext {
            root: root.to_path_buf(),
            ..CollectContext::default()
        })
        .unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(out.materials.len(), 13);
    let file = &out.materials[0];
    assert_eq!(file.name.as_deref(), Some("Cargo.lock"));
    assert_eq!(
        file.digest.get("sha256").unwrap(),
        provseal_crypto::hash::HashAlgorithm::Sha256
            .hex_digest(&std::fs::read(root.join("Cargo.lock")).unwrap())
    );
    let serde = out
        .materials
        .iter()
        .find(|m| {
            m.uri
                .as_deref()
                .is_some_and(|u| u.starts_with("pkg:cargo/serde@"))
        })
        .unwrap();
    assert_eq!(serde.annotations["lockfile"], "Cargo.lock");
    assert_eq!(serde.digest.get("sha256").unwrap().len(), 64);
}

#[test]
fn bad_cargo_locks_are_errors_naming_the_file() {
    let text = std::fs::read_to_string(data("v4/Cargo.lock")).unwrap();
    let errs = crate::each_fails_naming_the_file(&[
        ("a/Cargo.lock", text.as_bytes()[..text.len() / 2].to_vec()),
        (
            "b/Cargo.lock",
            b"version = 4\n[[package]]\nname = 3\n".to_vec(),
        ),
        (
            "c/Cargo.lock",
            text.replace("version = \"1.0.105\"", "version = \"one\"")
                .into_bytes(),
        ),
    ]);
    assert_eq!(errs.len(), 3);
}
