//! Reading attestation files: format detection for `.intoto.jsonl`, bare DSSE envelopes,
//! Sigstore bundles and provseal batch entries.

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

fn classify(
    value: &Value,
    raw: &[u8],
    origin: &str,
) -> Result<Option<AttestationDoc>, VerifyError> {
    let Some(obj) = value.as_object() else {
        return Ok(None);
    };
    if let Some(mt) = obj.get("mediaType").and_then(Value::as_str) {
        if mt.starts_with("application/vnd.dev.sigstore.bundle") {
            return Ok(Some(AttestationDoc::SigstoreBundle(raw.to_vec())));
        }
        if mt.starts_with("application/vnd.provseal.batch-entry") {
            return Ok(Some(AttestationDoc::BatchEntry(raw.to_vec())));
        }
    }
    if obj.contains_key("payloadType")
        || obj.contains_key("payload")
        || obj.contains_key("signatures")
    {
        let env = Envelope::from_json(raw).map_err(|e| VerifyError::Malformed {
            origin: origin.to_string(),
            reason: e.to_string(),
        })?;
        return Ok(Some(AttestationDoc::Dsse(env)));
    }
    Ok(None)
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
        if let Some(doc) = classify(&value, trimmed, source)? {
            docs.push(LoadedDoc {
                origin: source.to_string(),
                doc,
            });
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
            if let Some(doc) = classify(&value, line, &origin)? {
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
