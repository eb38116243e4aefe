//! PyPI PEP 740 attestation objects, converted to the bundle model.

use serde_json::{json, Value};

use crate::verify::{ParsedBundle, IN_TOTO_PAYLOAD_TYPE};
use crate::SigstoreError;

const WHAT: &str = "PEP 740 attestation";

/// Converts one PEP 740 attestation object
/// (`{"version":1,"verification_material":{"certificate","transparency_entries"},
/// "envelope":{"statement","signature"}}`) to a Sigstore bundle v0.3 (keyless: the
/// certificate; the log entries as they are; the DSSE envelope with the in-toto payload
/// type), the same mapping as pypi-attestations' `Attestation.to_bundle()`.
pub fn pep740_to_bundle_json(att: &Value, source_name: &str) -> Result<Value, SigstoreError> {
    let bad = |r: &str| SigstoreError::malformed(WHAT, source_name, r);
    if att.get("version").and_then(Value::as_u64) != Some(1) {
        return Err(bad("`version` must be 1"));
    }
    let vm = att
        .get("verification_material")
        .ok_or_else(|| bad("missing `verification_material`"))?;
    let cert = vm
        .get("certificate")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing `verification_material.certificate`"))?;
    let entries = vm
        .get("transparency_entries")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("missing `verification_material.transparency_entries`"))?;
    if entries.is_empty() {
        return Err(bad("no transparency entries"));
    }
    let env = att
        .get("envelope")
        .ok_or_else(|| bad("missing `envelope`"))?;
    let statement = env
        .get("statement")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing `envelope.statement`"))?;
    let signature = env
        .get("signature")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing `envelope.signature`"))?;
    Ok(json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": cert},
            "tlogEntries": entries,
        },
        "dsseEnvelope": {
            "payload": statement,
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": signature}],
        },
    }))
}

/// Parses a PEP 740 attestation object (strict JSON) into a bundle ready to verify.
pub fn parse_pep740_attestation(
    bytes: &[u8],
    source_name: &str,
) -> Result<ParsedBundle, SigstoreError> {
    let v = crate::trust::strict_json(bytes, WHAT, source_name)?;
    ParsedBundle::from_value(&pep740_to_bundle_json(&v, source_name)?, source_name)
}

/// One attestation bundle of a PyPI provenance file, with its (unverified) publisher claim.
#[derive(Debug)]
pub struct Pep740Entry {
    /// The `publisher` object as PyPI serves it (e.g. `{"kind":"GitHub","repository":…}`);
    /// informational only — check the certificate identity instead.
    pub publisher: Value,
    /// The attestation, as a bundle.
    pub bundle: ParsedBundle,
}

/// Parses PyPI's provenance object (`{"version":1,"attestation_bundles":[{"publisher",
/// "attestations":[…]}]}`) into bundles.
pub fn parse_pypi_provenance(
    bytes: &[u8],
    source_name: &str,
) -> Result<Vec<Pep740Entry>, SigstoreError> {
    let bad = |r: String| SigstoreError::malformed("PyPI provenance", source_name, r);
    let v = crate::trust::strict_json(bytes, "PyPI provenance", source_name)?;
    if v.get("version").and_then(Value::as_u64) != Some(1) {
        return Err(bad("`version` must be 1".into()));
    }
    let groups = v
        .get("attestation_bundles")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("missing `attestation_bundles`".into()))?;
    let mut out = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let publisher = group.get("publisher").cloned().unwrap_or(Value::Null);
        let atts = group
            .get("attestations")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(format!("attestation_bundles[{g}]: missing `attestations`")))?;
        for (i, a) in atts.iter().enumerate() {
            let name = format!("{source_name}#attestation_bundles[{g}].attestations[{i}]");
            let bundle = ParsedBundle::from_value(&pep740_to_bundle_json(a, &name)?, &name)?;
            out.push(Pep740Entry {
                publisher: publisher.clone(),
                bundle,
            });
        }
    }
    Ok(out)
}
