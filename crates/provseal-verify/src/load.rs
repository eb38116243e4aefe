//! Reading attestation files: format detection for `.intoto.jsonl`, bare DSSE envelopes,
//! Sigstore bundles (also inside npm's attestations JSON and PyPI's PEP 740 objects) and
//! provseal batch entries.

use provseal_model::dsse::Envelope;
use serde_json::Value;

use crate::VerifyError;

/// One attestation document found in a file.
#[derive(Debug, Clone)]
pub enum AttestationDoc {
    /// A DSSE envelope (bare, or one line of a `.intoto.jsonl`).
    Dsse(Envelope),
    /// A Sigstore bundle (raw JSON bytes, verified by `provseal-sigstore`).
    SigstoreBundle(Vec<u8>),
    /// A provseal batch entry (raw JSON bytes, verified by `provseal-batch`).
    BatchEntry(Vec<u8>),
}

impl AttestationDoc {
    /// A short name of the document's format.
    pub fn format(&self) -> &'static str {
        match self {
            AttestationDoc::Dsse(_) => "dsse",
            AttestationDoc::SigstoreBundle(_) => "sigstore-bundle",
            AttestationDoc::BatchEntry(_) => "provseal-batch-entry",
        }
    }
}

/// A document with where it came from (`file` or `file:line`).
#[derive(Debug, Clone)]
pub struct LoadedDoc {
    /// `path` or `path:line` for JSON Lines files.
    pub origin: String,
    /// The document.
    pub doc: AttestationDoc,
}

/// Largest attestation file provseal reads (64 MiB): larger input is refused, not buffered.
pub const MAX_ATTESTATION_BYTES: u64 = 64 * 1024 * 1024;

fn bundle_doc(value: &Value, origin: &str) -> Result<(String, AttestationDoc), VerifyError> {
    let bytes = serde_json::to_vec(value).map_err(|e| VerifyError::Malformed {
        origin: origin.to_string(),
        reason: e.to_string(),
    })?;
    Ok((origin.to_string(), AttestationDoc::SigstoreBundle(bytes)))
}

fn pep740_doc(value: &Value, origin: &str) -> Result<(String, AttestationDoc), VerifyError> {
    let bundle = provseal_sigstore::pep740_to_bundle_json(value, origin).map_err(|e| {
        VerifyError::Malformed {
            origin: origin.to_string(),
            reason: e.to_string(),
        }
    })?;
    bundle_doc(&bundle, origin)
}

/// The documents one JSON value holds: a DSSE envelope, a Sigstore bundle, a provseal batch
/// entry, a PEP 740 attestation, PyPI's provenance object (many PEP 740 attestations), or npm's
/// attestations JSON (many bundles). Other shapes hold none.
fn classify(
    value: &Value,
    raw: &[u8],
    origin: &str,
) -> Result<Vec<(String, AttestationDoc)>, VerifyError> {
    let Some(obj) = value.as_object() else {
        return Ok(Vec::new());
    };
    if let Some(mt) = obj.get("mediaType").and_then(Value::as_str) {
        if mt.starts_with("application/vnd.dev.sigstore.bundle") {
            return Ok(vec![(
                origin.to_string(),
                AttestationDoc::SigstoreBundle(raw.to_vec()),
            )]);
        }
        if mt.starts_with("application/vnd.provseal.batch-entry") {
            return Ok(vec![(
                origin.to_string(),
                AttestationDoc::BatchEntry(raw.to_vec()),
            )]);
        }
    }
    if obj.contains_key("verification_material") && obj.contains_key("envelope") {
        return Ok(vec![pep740_doc(value, origin)?]);
    }
    if let Some(groups) = obj.get("attestation_bundles").and_then(Value::as_array) {
        let mut out = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            let atts = group
                .get("attestations")
                .and_then(Value::as_array)
                .ok_or_else(|| VerifyError::Malformed {
                    origin: origin.to_string(),
                    reason: format!("attestation_bundles[{g}] has no `attestations`"),
                })?;
            for (i, a) in atts.iter().enumerate() {
                let o = format!("{origin}#attestation_bundles[{g}].attestations[{i}]");
                out.push(pep740_doc(a, &o)?);
            }
        }
        return Ok(out);
    }
    if let Some(atts) = obj.get("attestations").and_then(Value::as_array) {
        let mut out = Vec::new();
        for (i, a) in atts.iter().enumerate() {
            if let Some(b) = a.get("bundle") {
                out.push(bundle_doc(b, &format!("{origin}#attestations[{i}]"))?);
            }
        }
        return Ok(out);
    }
    if obj.contains_key("payloadType")
        || obj.contains_key("payload")
        || obj.contains_key("signatures")
    {
        let env = Envelope::from_json(raw).map_err(|e| VerifyError::Malformed {
            origin: origin.to_string(),
            reason: e.to_string(),
        })?;
        return Ok(vec![(origin.to_string(), AttestationDoc::Dsse(env))]);
    }
    Ok(Vec::new())
}

/// Splits an attestation file into documents.
///
/// A file that is one JSON value is one document; otherwise every non-empty line must be JSON
/// (JSON Lines). Lines of an unknown shape are passed over (the in-toto bundle rules); a line
/// that is not JSON, or a file with no attestation at all, is an error naming the file and line.
pub fn load_attestations(bytes: &[u8], source: &str) -> Result<Vec<LoadedDoc>, VerifyError> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Err(VerifyError::Malformed {
            origin: source.to_string(),
            reason: "the file is empty".into(),
        });
    }
    let mut docs = Vec::new();
    let whole = if trimmed.contains(&b'\n') {
        // Multi-line: a pretty-printed single document, or JSON Lines.
        provseal_model::json::parse_strict(trimmed).ok()
    } else {
        None
    };
    if let Some(value) = whole {
        for (origin, doc) in classify(&value, trimmed, source)? {
            docs.push(LoadedDoc { origin, doc });
        }
    } else {
        for (i, line) in trimmed.split(|b| *b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            let origin = if trimmed.contains(&b'\n') {
                format!("{source}:{}", i + 1)
            } else {
                source.to_string()
            };
            let value =
                provseal_model::json::parse_strict(line).map_err(|e| VerifyError::Malformed {
                    origin: origin.clone(),
                    reason: e.to_string(),
                })?;
            for (origin, doc) in classify(&value, line, &origin)? {
                docs.push(LoadedDoc { origin, doc });
            }
        }
    }
    if docs.is_empty() {
        return Err(VerifyError::Malformed {
            origin: source.to_string(),
            reason: "no attestation found (expected a DSSE envelope, a Sigstore bundle or a provseal batch entry)".into(),
        });
    }
    Ok(docs)
}
