//! Every `intoto-validate` case: the verdict (and the error class) of the in-toto Go reference.

use provseal_model::slsa::provenance_v1_from;
use provseal_model::{json, ModelError, ResourceDescriptor, Statement, SLSA_PROVENANCE_V1};
use provseal_testsupport::{cases_of_kind, testdata_dir};

use crate::read;

fn run(document_type: &str, bytes: &[u8]) -> Result<(), ModelError> {
    match document_type {
        "statement" => Statement::parse(bytes).map(|_| ()),
        "resource_descriptor" => ResourceDescriptor::parse(bytes).map(|_| ()),
        "slsa_provenance_v1_predicate" => {
            let v = json::parse_strict(bytes)?;
            provenance_v1_from(SLSA_PROVENANCE_V1, &v).map(|_| ())
        }
        other => panic!("unknown document_type {other}"),
    }
}

/// Whether our error is the counterpart of the Go reference's sentinel error.
fn same_class(go_error: &str, e: &ModelError) -> bool {
    let missing =
        |suffix: &str| matches!(e, ModelError::MissingField { path } if path.ends_with(suffix));
    match go_error {
        "ErrInvalidStatementType" => matches!(e, ModelError::UnsupportedStatementType { .. }),
        "ErrSubjectRequired" => matches!(e, ModelError::NoSubject),
        "ErrRDRequiredField" => matches!(e, ModelError::EmptyResourceDescriptor { .. }),
        "ErrDigestRequired" => missing(".digest"),
        "ErrPredicateTypeRequired" => missing("$.predicateType"),
        "ErrPredicateRequired" => missing("$.predicate"),
        "ErrInvalidDigestEncoding" => matches!(e, ModelError::DigestEncoding { .. }),
        "ErrIncorrectDigestLength" => matches!(e, ModelError::DigestLength { .. }),
        "ErrBuildDefinitionRequired" => missing(".buildDefinition"),
        "ErrBuildTypeRequired" => missing(".buildDefinition.buildType"),
        "ErrExternalParamsRequired" => missing(".buildDefinition.externalParameters"),
        "ErrRunDetailsRequired" => missing(".runDetails"),
        "ErrBuilderRequired" => missing(".runDetails.builder"),
        "ErrBuilderIdRequired" => missing(".runDetails.builder.id"),
        other => panic!("no mapping for Go error {other}"),
    }
}

#[test]
fn intoto_validate_cases_match_the_go_reference() {
    let Some(dir) = testdata_dir("intoto_validate_cases_match_the_go_reference") else {
        return;
    };
    let cases = cases_of_kind(&dir, "intoto-validate");
    assert_eq!(cases.len(), 26, "intoto-validate case count");
    let mut passed = 0;
    for case in &cases {
        let path = case.input(&dir, "document").unwrap();
        let doc_type = case.param_str("document_type").unwrap();
        let result = run(doc_type, &read(&path));
        if case.expects_pass() {
            assert!(
                result.is_ok(),
                "{}: expected pass, got {:?}",
                case.id,
                result
            );
        } else {
            let err = result.expect_err(&format!("{}: expected failure", case.id));
            let go_error = case
                .expected
                .reason
                .split([':', ' '])
                .next()
                .unwrap_or_default();
            assert!(
                same_class(go_error, &err),
                "{}: expected {go_error}, got {err:?} ({err})",
                case.id
            );
        }
        passed += 1;
    }
    eprintln!(
        "intoto-validate: {passed}/{} cases as the Go reference",
        cases.len()
    );
}
