//! Real-world statements and the spec examples.

use provseal_model::slsa::provenance_v1_from;
use provseal_model::{
    DigestSet, ModelError, ResourceDescriptor, Statement, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1,
};
use provseal_testsupport::testdata_dir;
use serde_json::json;

use crate::{read, read_json};

#[test]
fn real_world_statements_parse_and_map() {
    let Some(dir) = testdata_dir("real_world_statements_parse_and_map") else {
        return;
    };
    let base = dir.join("in-toto-attestation/real-world-statements");
    let index = read_json(&base.join("index.json"));
    let (mut parsed, mut provenances) = (0, 0);
    for entry in index.as_array().unwrap() {
        let file = entry["file"].as_str().unwrap();
        let bytes = read(&base.join(file));
        let st = Statement::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(st.type_, entry["_type"].as_str().unwrap(), "{file}");
        assert_eq!(
            st.predicate_type,
            entry["predicateType"].as_str().unwrap(),
            "{file}"
        );
        // Our writer's output reads back to the same statement.
        assert_eq!(
            Statement::parse(&st.to_json_vec().unwrap()).unwrap(),
            st,
            "{file}"
        );
        parsed += 1;
        if st.predicate_type == SLSA_PROVENANCE_V1 || st.predicate_type == SLSA_PROVENANCE_V02 {
            let p = provenance_v1_from(&st.predicate_type, st.predicate.as_ref().unwrap())
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(!p.run_details.builder.id.is_empty());
            provenances += 1;
        }
    }
    assert_eq!(parsed, 9);
    assert_eq!(provenances, 7);
    eprintln!(
        "real-world statements: {parsed} parsed, {provenances} SLSA provenances mapped to v1"
    );
}

fn load(dir: &std::path::Path, file: &str) -> (Statement, provseal_model::slsa::ProvenanceV1) {
    let bytes = read(
        &dir.join("in-toto-attestation/real-world-statements")
            .join(file),
    );
    let st = Statement::parse(&bytes).unwrap();
    let p = provenance_v1_from(&st.predicate_type, st.predicate.as_ref().unwrap()).unwrap();
    (st, p)
}

#[test]
fn v02_generic_generator_maps_exactly() {
    let Some(dir) = testdata_dir("v02_generic_generator_maps_exactly") else {
        return;
    };
    let (st, p) = load(
        &dir,
        "slsa-provenance-v0.2_gha_generic_v1.2.2_bare-dsse.json",
    );
    let want: DigestSet = [(
        "sha256",
        "ec8ff1bb40da2a36e3e9113dd7a5dd452c5125f7013e849519c0754b3c9fda89",
    )]
    .into_iter()
    .collect();
    assert!(st.subject[0].digest.matches(&want));
    assert_eq!(
        p.run_details.builder.id,
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v1.2.2"
    );
    assert_eq!(
        p.build_definition.build_type,
        "https://github.com/slsa-framework/slsa-github-generator/generic@v1"
    );
    assert_eq!(
        p.build_definition.external_parameters,
        json!({
            "entryPoint": ".github/workflows/verifier-e2e.generic.workflow_dispatch.main.all.slsa3.yml",
            "source": "git+https://github.com/slsa-framework/example-package@refs/heads/main"
        })
    );
    // configSource and the identical material collapse into one dependency.
    assert_eq!(
        p.build_definition.resolved_dependencies,
        vec![ResourceDescriptor::with_uri(
            "git+https://github.com/slsa-framework/example-package@refs/heads/main",
            [("sha1", "5a2e2926e30c40a35e0102cebe293987fb1922b0")]
                .into_iter()
                .collect()
        )]
    );
    let internal = p.build_definition.internal_parameters.as_ref().unwrap();
    assert_eq!(internal["github_actor"], "ianlewis");
    let md = p.run_details.metadata.as_ref().unwrap();
    assert_eq!(md.invocation_id.as_deref(), Some("3442004105-1"));
    assert!(p.run_details.byproducts.is_empty());
}

#[test]
fn v02_go_builder_maps_exactly() {
    let Some(dir) = testdata_dir("v02_go_builder_maps_exactly") else {
        return;
    };
    let (_, p) = load(&dir, "slsa-provenance-v0.2_gha_go_v2.1.0.json");
    let deps = &p.build_definition.resolved_dependencies;
    assert_eq!(deps.len(), 2);
    assert_eq!(
        deps[0].digest.get("sha1"),
        Some("4d329c75e7ec1725f7c9ce917a8799d408d06be3")
    );
    assert_eq!(
        deps[1].uri.as_deref(),
        Some("https://github.com/actions/virtual-environments/releases/tag/ubuntu24/20250223.1.0")
    );
    assert!(deps[1].digest.is_empty());
    assert_eq!(
        p.run_details
            .metadata
            .as_ref()
            .unwrap()
            .invocation_id
            .as_deref(),
        Some("13531731005-1")
    );
    // buildConfig is kept as a canonical-JSON byproduct.
    let bc = &p.run_details.byproducts[0];
    assert_eq!(bc.name.as_deref(), Some("buildConfig"));
    let content: serde_json::Value = serde_json::from_slice(bc.content.as_ref().unwrap()).unwrap();
    assert_eq!(
        content["steps"][0]["command"][1], "mod",
        "first buildConfig step is `go mod vendor`"
    );
}

#[test]
fn v1_statements_read_exactly() {
    let Some(dir) = testdata_dir("v1_statements_read_exactly") else {
        return;
    };
    let (st, p) = load(
        &dir,
        "slsa-provenance-v1_github-artifact-attestation_bcr.json",
    );
    assert!(st.is_v1());
    assert_eq!(st.subject[0].name(), Some("MODULE.bazel"));
    assert_eq!(
        p.run_details.builder.id,
        "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml@refs/tags/v0.0.1"
    );
    assert_eq!(
        p.build_definition.build_type,
        "https://actions.github.io/buildtypes/workflow/v1"
    );
    assert_eq!(
        p.build_definition.external_parameters["workflow"]["repository"],
        "https://github.com/aspect-build/rules_lint"
    );
    assert_eq!(
        p.run_details
            .metadata
            .as_ref()
            .unwrap()
            .invocation_id
            .as_deref(),
        Some("https://github.com/aspect-build/rules_lint/actions/runs/14095611671/attempts/1")
    );
    assert_eq!(
        p.build_definition.resolved_dependencies[0].uri.as_deref(),
        Some("git+https://github.com/aspect-build/rules_lint@refs/heads/publish-to-bcr")
    );
    // A v0.1 statement carrying a v1 predicate (slsa-github-generator BYOB).
    let (st, p) = load(&dir, "slsa-provenance-v1_gha_delegator_byob_v2.1.0.json");
    assert!(!st.is_v1());
    assert_eq!(
        p.build_definition.build_type,
        "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0"
    );
    assert_eq!(
        p.build_definition.external_parameters["inputs"]["content"],
        "hello"
    );
}

#[test]
fn spec_examples() {
    let Some(dir) = testdata_dir("spec_examples") else {
        return;
    };
    let base = dir.join("in-toto-attestation/spec-examples");
    let index = read_json(&base.join("index.json"));
    let (mut statements, mut rds, mut schematic) = (0, 0, 0);
    for entry in index.as_array().unwrap() {
        let Some(file) = entry["file"].as_str() else {
            continue;
        };
        let bytes = read(&base.join(file));
        let raw: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        // The spec's examples abbreviate digests with "..."; those are invalid hex, as the Go
        // reference also says.
        let abbreviated = raw.to_string().contains("...");
        if entry["_type"].is_string() {
            let result = Statement::parse(&bytes);
            if abbreviated {
                assert!(
                    matches!(result, Err(ModelError::DigestEncoding { .. })),
                    "{file}: {result:?}"
                );
                schematic += 1;
            } else {
                let st = result.unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(st.predicate_type, entry["predicateType"].as_str().unwrap());
            }
            statements += 1;
        } else if file.starts_with("v1_resource_descriptor") {
            let result = ResourceDescriptor::parse(&bytes);
            if abbreviated {
                assert!(
                    matches!(result, Err(ModelError::DigestEncoding { .. })),
                    "{file}: {result:?}"
                );
                schematic += 1;
            } else {
                result.unwrap_or_else(|e| panic!("{file}: {e}"));
            }
            rds += 1;
        } else {
            // The v0.1 README's envelope with placeholder base64.
            assert!(matches!(
                provseal_model::dsse::Envelope::from_json(&bytes),
                Err(ModelError::Base64 { .. })
            ));
        }
    }
    assert_eq!((statements, rds), (9, 5));
    eprintln!("spec examples: {statements} statements, {rds} descriptors ({schematic} schematic, rejected)");
}

#[test]
fn duplicate_keys_in_a_real_statement_are_named() {
    let Some(dir) = testdata_dir("duplicate_keys_in_a_real_statement_are_named") else {
        return;
    };
    let file = dir.join(
        "in-toto-attestation/real-world-statements/slsa-provenance-v1_github-artifact-attestation_bcr.json",
    );
    let text = String::from_utf8(read(&file)).unwrap();
    assert!(Statement::parse(text.as_bytes()).is_ok());
    // A second buildType inside buildDefinition: a reader keeping the last one would see another
    // build; we refuse the document.
    let needle = "\"buildDefinition\"";
    let at = text.find(needle).unwrap() + needle.len();
    let brace = at + text[at..].find('{').unwrap() + 1;
    let doctored = format!(
        "{}\"buildType\":\"https://evil.example/bt\",{}",
        &text[..brace],
        &text[brace..]
    );
    assert_eq!(
        Statement::parse(doctored.as_bytes()),
        Err(ModelError::DuplicateKey {
            key: "buildType".into(),
            path: "$.predicate.buildDefinition".into()
        })
    );
    // Trailing data after the statement is refused too.
    let trailing = format!("{}\n{{}}", text.trim_end());
    assert!(matches!(
        Statement::parse(trailing.as_bytes()),
        Err(ModelError::Syntax { .. })
    ));
}
