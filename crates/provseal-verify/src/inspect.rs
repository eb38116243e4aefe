//! What an attestation says, without verifying it (`provseal inspect`): each document's
//! payload, its unverified key ids and certificate identity, and a summary of its statement.
//! Nothing here is authenticated; the summary says `signatureVerified: false`.

use serde_json::{json, Value};

use provseal_model::StatementOutline;

use crate::{AttestationDoc, LoadedDoc};

/// Why a document's statement payload cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// A batch entry that does not parse.
    #[error(transparent)]
    Batch(provseal_batch::BatchError),
    /// A bundle or envelope that is not strict JSON or not an envelope.
    #[error(transparent)]
    Json(provseal_model::ModelError),
    /// A Sigstore bundle over a message, with no statement in it.
    #[error("this bundle holds a message signature, not a statement")]
    MessageSignature,
}

/// A document's statement payload (not verified).
#[derive(Debug, Clone)]
pub struct Payload {
    /// The envelope's payload type (empty for a bare statement).
    pub payload_type: String,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// The key id hints of its signatures (unauthenticated).
    pub key_ids: Vec<String>,
}

/// The (unauthenticated) key id hints of an envelope's signatures.
fn key_ids(env: &provseal_model::dsse::Envelope) -> Vec<String> {
    env.signatures
        .iter()
        .filter_map(|s| s.keyid.clone())
        .collect()
}

/// The statement payload carried by a document, and its signatures' key ids (unverified).
pub fn payload_of(doc: &AttestationDoc) -> Result<Payload, InspectError> {
    match doc {
        AttestationDoc::Dsse(env) => Ok(Payload {
            payload_type: env.payload_type.clone(),
            payload: env.payload.clone(),
            key_ids: key_ids(env),
        }),
        AttestationDoc::BatchEntry(raw) => {
            let entry = provseal_batch::BatchEntry::from_json(raw).map_err(InspectError::Batch)?;
            let ids = key_ids(&entry.root_envelope);
            Ok(Payload {
                payload_type: entry.payload_type,
                payload: entry.statement,
                key_ids: ids,
            })
        }
        AttestationDoc::SigstoreBundle(raw) => {
            let v = provseal_model::json::parse_strict(raw).map_err(InspectError::Json)?;
            let env_value = v
                .get("dsseEnvelope")
                .ok_or(InspectError::MessageSignature)?;
            let env = provseal_model::dsse::Envelope::from_value(env_value)
                .map_err(InspectError::Json)?;
            let mut ids = key_ids(&env);
            // A key-signed bundle names its key by the public-key hint (cosign and provseal
            // leave the envelope's keyid out).
            if let Some(hint) = v
                .pointer("/verificationMaterial/publicKey/hint")
                .and_then(Value::as_str)
                .filter(|h| !ids.iter().any(|id| id == h))
            {
                ids.push(hint.to_string());
            }
            Ok(Payload {
                payload_type: env.payload_type,
                payload: env.payload,
                key_ids: ids,
            })
        }
        AttestationDoc::UnsignedStatement(raw) => Ok(Payload {
            payload_type: String::new(),
            payload: raw.clone(),
            key_ids: Vec::new(),
        }),
    }
}

/// How many subjects the human view lists (the rest are counted).
pub const HUMAN_SUBJECTS: usize = 20;

/// The signing certificate of a bundle value (v0.3 `certificate`, or the first of an older
/// bundle's chain), DER.
fn bundle_certificate(bundle: &Value) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let vm = bundle.get("verificationMaterial")?;
    let raw = vm
        .pointer("/certificate/rawBytes")
        .or_else(|| vm.pointer("/x509CertificateChain/certificates/0/rawBytes"))?
        .as_str()?;
    base64::engine::general_purpose::STANDARD.decode(raw).ok()
}

/// The certificate identity of a keyless document (a bundle, or a batch entry whose root is a
/// bundle): SAN, issuer and every Fulcio extension by name. Not verified.
fn certificate_of(doc: &AttestationDoc) -> Option<Value> {
    let bundle = match doc {
        AttestationDoc::SigstoreBundle(raw) => provseal_model::json::parse_strict(raw).ok()?,
        AttestationDoc::BatchEntry(raw) => {
            let entry = provseal_batch::BatchEntry::from_json(raw).ok()?;
            serde_json::from_str(entry.root_bundle.as_deref()?).ok()?
        }
        AttestationDoc::Dsse(_) | AttestationDoc::UnsignedStatement(_) => return None,
    };
    let der = bundle_certificate(&bundle)?;
    Some(
        match provseal_sigstore::SignerIdentity::from_certificate_der(&der) {
            Ok(id) => {
                let extensions: serde_json::Map<String, Value> = id
                    .extensions
                    .iter()
                    .map(|(f, v)| (f.name().to_owned(), json!(v)))
                    .collect();
                json!({
                    "san": id.san,
                    "issuer": id.issuer,
                    "notBefore": id.not_before,
                    "notAfter": id.not_after,
                    "extensions": extensions,
                })
            }
            Err(e) => json!({"error": provseal_model::one_line(&e)}),
        },
    )
}

/// The digest a message-signature bundle signs (`alg:hex`), if it is one.
fn message_digest(doc: &AttestationDoc) -> Option<String> {
    use base64::Engine as _;
    let AttestationDoc::SigstoreBundle(raw) = doc else {
        return None;
    };
    let v = provseal_model::json::parse_strict(raw).ok()?;
    let md = v.pointer("/messageSignature/messageDigest")?;
    let alg = md.get("algorithm")?.as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(md.get("digest")?.as_str()?)
        .ok()?;
    let alg = match alg {
        "SHA2_256" => "sha256",
        "SHA2_384" => "sha384",
        "SHA2_512" => "sha512",
        other => other,
    };
    Some(format!("{alg}:{}", hex::encode(bytes)))
}

/// A document's summary: its fields and, for `--json`, the statement it carries, which is
/// serialized straight from its payload (whole, and each subject) instead of as JSON values.
pub struct Summary {
    /// The summary's fields (a JSON object), without `statement` and `subjects` when
    /// `statement` is set.
    pub fields: Value,
    /// `--json`: the payload, a valid statement.
    statement: Option<Vec<u8>>,
}

/// Which view a summary is for.
#[derive(Clone, Copy)]
pub enum Listing {
    /// The human view: this many subjects are built as values and `subjectCount` holds the total.
    First(usize),
    /// `--json`: every subject and the whole statement, serialized from the payload.
    Whole,
}

impl Summary {
    /// Whether the document could not be summarized (its payload or statement is unreadable).
    pub fn has_error(&self) -> bool {
        self.fields.get("error").is_some()
    }
}

/// One subject as `--json` shows it: `{"digest": …, "name": …}`, and its `uri` when it has one
/// (a GitHub release names its commit by a purl, with no file name).
struct SubjectView<'a>(&'a provseal_model::ResourceDescriptor);

impl serde::Serialize for SubjectView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("digest", &self.0.digest)?;
        m.serialize_entry("name", &self.0.name)?;
        if let Some(uri) = &self.0.uri {
            m.serialize_entry("uri", uri)?;
        }
        m.end()
    }
}

/// The subjects of a valid statement's text, as `--json` lists them: read one at a time.
struct PayloadSubjects<'a>(&'a str);

impl serde::Serialize for PayloadSubjects<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq as _};
        use serde_json::value::RawValue;
        #[derive(serde::Deserialize)]
        struct Subjects<'a> {
            #[serde(borrow)]
            subject: &'a RawValue,
        }
        let raw: Subjects<'_> = serde_json::from_str(self.0).map_err(S::Error::custom)?;
        let items: Vec<&RawValue> =
            serde_json::from_str(raw.subject.get()).map_err(S::Error::custom)?;
        let mut seq = s.serialize_seq(Some(items.len()))?;
        for item in items {
            let rd: provseal_model::ResourceDescriptor =
                serde_json::from_str(item.get()).map_err(S::Error::custom)?;
            seq.serialize_element(&SubjectView(&rd))?;
        }
        seq.end()
    }
}

impl serde::Serialize for Summary {
    /// The fields with `statement` and `subjects` in their sorted places: the same bytes as one
    /// JSON object holding them all, without building the statement twice as values.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeMap as _};
        let (Value::Object(fields), Some(payload)) = (&self.fields, &self.statement) else {
            return self.fields.serialize(s);
        };
        let text = std::str::from_utf8(payload).map_err(S::Error::custom)?;
        let mut keys: Vec<&str> = fields
            .keys()
            .map(String::as_str)
            .chain(["statement", "subjects"])
            .collect();
        keys.sort_unstable();
        let mut m = s.serialize_map(Some(keys.len()))?;
        for key in keys {
            match key {
                "statement" => m.serialize_entry(key, &provseal_model::json::SortedJson(text))?,
                "subjects" => m.serialize_entry(key, &PayloadSubjects(text))?,
                _ => m.serialize_entry(key, &fields[key])?,
            }
        }
        m.end()
    }
}

/// A sequence serialized from a fresh iterator.
pub struct SerializeIter<F>(pub F);

impl<F, I> serde::Serialize for SerializeIter<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

/// The document's summary. With [`Listing::First`], only that many subjects are built as values
/// (the human view) and `subjectCount` holds the total: a million subjects cost their statement,
/// not a million JSON objects more. With [`Listing::Whole`] nothing of the statement is built as
/// values: [`Summary`]'s serialization writes it from the payload.
pub fn summarize(doc: &LoadedDoc, listing: Listing) -> Summary {
    let mut out =
        json!({"origin": doc.origin, "format": doc.doc.format(), "signatureVerified": false});
    if let Some(cert) = certificate_of(&doc.doc) {
        out["certificate"] = cert;
    }
    if let Some(digest) = message_digest(&doc.doc) {
        out["messageDigest"] = json!(digest);
        return Summary {
            fields: out,
            statement: None,
        };
    }
    let Payload {
        payload_type,
        payload,
        key_ids,
    } = match payload_of(&doc.doc) {
        Ok(p) => p,
        Err(e) => {
            out["error"] = json!(e.to_string());
            return Summary {
                fields: out,
                statement: None,
            };
        }
    };
    if matches!(doc.doc, AttestationDoc::UnsignedStatement(_)) {
        out["signed"] = json!(false);
    } else {
        out["keyIds"] = json!(key_ids);
        out["payloadType"] = json!(payload_type);
    }
    let keep = match listing {
        Listing::First(n) => n,
        Listing::Whole => 0,
    };
    let statement = match StatementOutline::parse(&payload, keep) {
        Ok(s) => s,
        Err(e) => {
            out["error"] = json!(format!(
                "the payload is not a valid in-toto statement: {}",
                provseal_model::one_line(&e)
            ));
            return Summary {
                fields: out,
                statement: None,
            };
        }
    };
    out["statementType"] = json!(statement.type_);
    out["predicateType"] = json!(statement.predicate_type);
    if let Listing::First(_) = listing {
        out["subjects"] = json!(statement
            .first_subjects
            .iter()
            .map(|s| serde_json::to_value(SubjectView(s)).unwrap_or_default())
            .collect::<Vec<_>>());
        out["subjectCount"] = json!(statement.subject_count);
    }
    if let Some(pred) = &statement.predicate {
        if let Ok(p) = provseal_model::slsa::provenance_v1_from(&statement.predicate_type, pred) {
            out["buildType"] = json!(p.build_definition.build_type);
            out["builderId"] = json!(p.run_details.builder.id);
            out["sources"] = json!(crate::recorded_sources(&p));
            out["materials"] = json!(p.build_definition.resolved_dependencies.len());
            if let Some(m) = &p.run_details.metadata {
                out["invocationId"] = json!(m.invocation_id);
                out["startedOn"] = json!(m.started_on);
                out["finishedOn"] = json!(m.finished_on);
            }
            let git = p
                .build_definition
                .resolved_dependencies
                .iter()
                .find(|rd| rd.uri.as_deref().is_some_and(|u| u.starts_with("git+")));
            if let Some(rd) = git {
                out["source"] = json!({
                    "uri": rd.uri,
                    "digest": rd.digest,
                    "treeState": rd.annotations.get("treeState"),
                });
            }
        }
    }
    Summary {
        fields: out,
        statement: matches!(listing, Listing::Whole).then_some(payload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> LoadedDoc {
        crate::load_attestations(text.as_bytes(), "x.json")
            .unwrap()
            .remove(0)
    }

    const STATEMENT: &str = concat!(
        r#"{"_type":"https://in-toto.io/Statement/v1","subject":["#,
        r#"{"name":"a","digest":{"sha256":"1111111111111111111111111111111111111111111111111111111111111111"}},"#,
        r#"{"name":"b","digest":{"sha256":"2222222222222222222222222222222222222222222222222222222222222222"}}],"#,
        r#""predicateType":"https://example.com/p","predicate":{}}"#
    );

    #[test]
    fn an_envelope_is_summarized_unverified_with_its_key_ids() {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::STANDARD.encode(STATEMENT);
        let env = format!(
            r#"{{"payloadType":"application/vnd.in-toto+json","payload":"{payload}","signatures":[{{"keyid":"k1","sig":"AAAA"}}]}}"#
        );
        let s = summarize(&doc(&env), Listing::First(1));
        assert!(!s.has_error(), "{}", s.fields);
        assert_eq!(s.fields["signatureVerified"], json!(false));
        assert_eq!(s.fields["keyIds"], json!(["k1"]));
        assert_eq!(s.fields["subjectCount"], json!(2));
        assert_eq!(s.fields["subjects"].as_array().map(Vec::len), Some(1));
        let whole = serde_json::to_value(summarize(&doc(&env), Listing::Whole)).unwrap();
        assert_eq!(whole["subjects"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            whole["statement"]["predicateType"],
            json!("https://example.com/p")
        );
    }

    #[test]
    fn a_bare_statement_is_marked_unsigned() {
        let s = summarize(&doc(STATEMENT), Listing::First(HUMAN_SUBJECTS));
        assert_eq!(s.fields["signed"], json!(false));
        assert!(s.fields.get("keyIds").is_none());
        assert!(payload_of(&doc(STATEMENT).doc).unwrap().key_ids.is_empty());
    }
}
