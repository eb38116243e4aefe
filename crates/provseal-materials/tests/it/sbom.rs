//! CycloneDX 1.6 SBOM of real lockfiles, validated by the official JSON schema through
//! cyclonedx-python-lib (`tests/data/sbom/validate.py`); the validator is also shown to reject
//! invalid SBOMs, so the test can fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use provseal_materials::discover::collect_lockfiles;
use provseal_materials::lockfile::DependencyGraph;
use provseal_materials::sbom::{cyclonedx_json, SbomMetadata, ROOT_REF};
use provseal_materials::CollectContext;
use serde_json::Value;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn have_validator() -> bool {
    provseal_testsupport::require_tool(
        "sbom",
        "python3",
        &["-c", "import cyclonedx.validation.json, jsonschema"],
    )
}

/// Runs the validator; `Ok(stdout)` when valid, `Err(stderr)` when not.
fn validate(path: &Path) -> Result<String, String> {
    let out = Command::new("python3")
        .arg(data("sbom/validate.py"))
        .arg(path)
        .output()
        .unwrap();
    match out.status.code() {
        Some(0) => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        Some(1) => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        other => panic!(
            "validator failed to run ({other:?}): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn meta() -> SbomMetadata {
    SbomMetadata {
        component_name: "fixture".into(),
        component_version: Some("1.0.0".into()),
        tool_name: "provseal".into(),
        tool_version: "0.1.0".into(),
        timestamp: "2026-11-25T12:00:00Z".into(),
        serial_number: None,
    }
}

/// A project with an npm workspace lockfile, a Cargo.lock and a Go module.
fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::copy(
        data("node/npm-v3/package-lock.json"),
        root.join("package-lock.json"),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("rust")).unwrap();
    std::fs::copy(data("cargo/v4/Cargo.lock"), root.join("rust/Cargo.lock")).unwrap();
    std::fs::create_dir_all(root.join("go")).unwrap();
    std::fs::copy(data("golang/app/go.sum"), root.join("go/go.sum")).unwrap();
    std::fs::copy(data("golang/app/go.mod"), root.join("go/go.mod")).unwrap();
    tmp
}

/// Every lockfile of the tree, and their graph, from one walk.
fn collect(root: &Path) -> (DependencyGraph, Vec<provseal_model::ResourceDescriptor>) {
    let ctx = CollectContext {
        root: root.to_path_buf(),
        discovery: provseal_materials::DiscoveryOptions {
            lockfiles: vec!["**".into()],
            ..Default::default()
        },
        ..CollectContext::default()
    };
    let set = collect_lockfiles(&ctx).unwrap();
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
    assert_eq!(set.stats.walks, 1);
    (set.graph, set.materials)
}

#[test]
fn sbom_of_real_lockfiles_is_valid_cyclonedx_1_6() {
    let tmp = project();
    let (graph, materials) = collect(tmp.path());
    let bytes = cyclonedx_json(&materials, Some(&graph), &meta()).unwrap();
    let bom: Value = serde_json::from_slice(&bytes).unwrap();

    // Content: 38 npm + 12 cargo + 7 go packages (the build list), 4 lockfile files.
    let comps = bom["components"].as_array().unwrap();
    let libs = comps.iter().filter(|c| c["type"] == "library").count();
    let files = comps.iter().filter(|c| c["type"] == "file").count();
    assert_eq!((libs, files), (57, 4));
    let scoped = comps
        .iter()
        .find(|c| c["purl"] == "pkg:npm/%40sindresorhus/is@4.6.0")
        .unwrap();
    assert_eq!(scoped["group"], "@sindresorhus");
    assert_eq!(scoped["name"], "is");
    assert_eq!(scoped["version"], "4.6.0");
    assert_eq!(scoped["bom-ref"], scoped["purl"]);
    assert_eq!(scoped["scope"], "required");
    assert_eq!(scoped["hashes"][0]["alg"], "SHA-512");
    let rimraf = comps
        .iter()
        .find(|c| c["purl"] == "pkg:npm/rimraf@3.0.2")
        .unwrap();
    assert_eq!(rimraf["scope"], "excluded");
    let is_number = comps
        .iter()
        .find(|c| c["purl"] == "pkg:npm/is-number@7.0.0")
        .unwrap();
    assert_eq!(is_number["scope"], "optional");
    let serde = comps
        .iter()
        .find(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:cargo/serde@"))
        })
        .unwrap();
    assert_eq!(serde["hashes"][0]["alg"], "SHA-256");
    let testify = comps
        .iter()
        .find(|c| c["purl"] == "pkg:golang/github.com/stretchr/testify@v1.8.4")
        .unwrap();
    assert_eq!(testify["name"], "github.com/stretchr/testify");
    // Go's dirhash is not a CycloneDX hash algorithm: kept as a property.
    assert!(testify.get("hashes").is_none());
    assert_eq!(testify["properties"][0]["name"], "provseal:dirHash");

    // Graph: npm (root → 9 direct incl. the workspace member's deps) and Cargo edges.
    let deps = bom["dependencies"].as_array().unwrap();
    let root = deps.iter().find(|d| d["ref"] == ROOT_REF).unwrap();
    let root_deps: Vec<&str> = root["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(root_deps.contains(&"pkg:npm/chalk@4.1.2"));
    assert!(root_deps.contains(&"pkg:npm/left-pad@1.3.0"));
    assert!(root_deps.contains(&"pkg:cargo/anyhow@1.0.105"));
    let chalk = deps
        .iter()
        .find(|d| d["ref"] == "pkg:npm/chalk@4.1.2")
        .unwrap();
    assert_eq!(
        chalk["dependsOn"],
        serde_json::json!(["pkg:npm/ansi-styles@4.3.0", "pkg:npm/supports-color@7.2.0"])
    );
    assert_eq!(bom["metadata"]["component"]["bom-ref"], ROOT_REF);
    assert_eq!(bom["specVersion"], "1.6");

    // Deterministic: same input → same bytes (serial number derived from content).
    assert_eq!(
        cyclonedx_json(&materials, Some(&graph), &meta()).unwrap(),
        bytes
    );

    if !have_validator() {
        return;
    }
    let out = tmp.path().join("sbom.cdx.json");
    std::fs::write(&out, &bytes).unwrap();
    let msg = validate(&out).unwrap_or_else(|e| panic!("SBOM rejected: {e}"));
    assert!(msg.contains("61 components"), "{msg}");
}

#[test]
fn validator_rejects_invalid_sboms() {
    if !have_validator() {
        return;
    }
    let tmp = project();
    let (_, materials) = collect(tmp.path());
    let bytes = cyclonedx_json(&materials, None, &meta()).unwrap();
    let good: Value = serde_json::from_slice(&bytes).unwrap();
    let path = tmp.path().join("x.json");
    std::fs::write(&path, &bytes).unwrap();
    validate(&path).unwrap();

    let mut bad_alg = good.clone();
    bad_alg["components"][0]["hashes"][0]["alg"] = "SHA256".into();
    let mut no_format = good.clone();
    no_format.as_object_mut().unwrap().remove("bomFormat");
    let mut bad_serial = good.clone();
    bad_serial["serialNumber"] = "not-a-uuid".into();
    let mut dangling = good.clone();
    dangling["dependencies"] =
        serde_json::json!([{"ref": "pkg:npm/nowhere@1.0.0", "dependsOn": []}]);
    for (what, v) in [
        ("alg", bad_alg),
        ("bomFormat", no_format),
        ("serialNumber", bad_serial),
        ("dangling ref", dangling),
    ] {
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        assert!(validate(&path).is_err(), "{what}: accepted");
    }
}
