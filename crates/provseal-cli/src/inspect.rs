//! `provseal inspect`: what an attestation says, without verifying it.

use crate::exit::ExitStatus;
use anyhow::anyhow;
use provseal_model::StatementOutline;
use provseal_verify::{AttestationDoc, LoadedDoc};
use serde_json::{json, Value};

use crate::args::InspectArgs;
use crate::{inspect_views, output, verify, Failure};

/// The (unauthenticated) key id hints of an envelope's signatures.
fn key_ids(env: &provseal_model::dsse::Envelope) -> Vec<String> {
    env.signatures
        .iter()
        .filter_map(|s| s.keyid.clone())
        .collect()
}

/// The statement payload carried by a document, and its signatures' key ids (unverified).
pub(crate) fn payload_of(doc: &AttestationDoc) -> Result<(String, Vec<u8>, Vec<String>), Failure> {
    match doc {
        AttestationDoc::Dsse(env) => {
            Ok((env.payload_type.clone(), env.payload.clone(), key_ids(env)))
        }
        AttestationDoc::BatchEntry(raw) => {
            let entry = provseal_batch::BatchEntry::from_json(raw)?;
            let ids = key_ids(&entry.root_envelope);
            Ok((entry.payload_type, entry.statement, ids))
        }
        AttestationDoc::SigstoreBundle(raw) => {
            let v = provseal_model::json::parse_strict(raw)?;
            let env_value = v
                .get("dsseEnvelope")
                .ok_or_else(|| anyhow!("this bundle holds a message signature, not a statement"))?;
            let env = provseal_model::dsse::Envelope::from_value(env_value)?;
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
            Ok((env.payload_type, env.payload, ids))
        }
        AttestationDoc::UnsignedStatement(raw) => Ok((String::new(), raw.clone(), Vec::new())),
    }
}

/// How many subjects the human view lists (the rest are counted).
const HUMAN_SUBJECTS: usize = 20;

/// What `inspect` says about a bare statement: nothing is signed, and how to verify it.
const UNSIGNED_NOTE: &str = "NOT SIGNED: nothing vouches for this statement; verify it with its detached signature: `provseal verify ARTIFACT --attestation FILE --signature SIG --key PUB` (or Sigstore identity flags)";

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
            Err(e) => json!({"error": e}),
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
struct Summary {
    /// The summary's fields (a JSON object), without `statement` and `subjects` when
    /// `statement` is set.
    fields: Value,
    /// `--json`: the payload, a valid statement.
    statement: Option<Vec<u8>>,
}

/// Which view a summary is for.
#[derive(Clone, Copy)]
enum Listing {
    /// The human view: this many subjects are built as values and `subjectCount` holds the total.
    First(usize),
    /// `--json`: every subject and the whole statement, serialized from the payload.
    Whole,
}

impl Summary {
    fn has_error(&self) -> bool {
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
struct SerializeIter<F>(F);

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
fn summarize(doc: &LoadedDoc, listing: Listing) -> Summary {
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
    let (payload_type, payload, key_ids) = match payload_of(&doc.doc) {
        Ok(p) => p,
        Err(e) => {
            out["error"] = json!(e.error.to_string());
            return Summary {
                fields: out,
                statement: None,
            };
        }
    };
    if matches!(doc.doc, AttestationDoc::UnsignedStatement(_)) {
        out["signed"] = json!(false);
        out["note"] = json!(UNSIGNED_NOTE);
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
            out["sources"] = json!(provseal_verify::recorded_sources(&p));
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

fn print_human(s: &Value) -> Result<(), Failure> {
    let str_of = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
    let unsigned = s.get("signed") == Some(&Value::Bool(false));
    if unsigned {
        outln!("{} (unsigned in-toto statement)", str_of("origin"));
        outln!("  {UNSIGNED_NOTE}");
    } else {
        outln!(
            "{} ({}; signature not verified: use `provseal verify`)",
            str_of("origin"),
            str_of("format")
        );
    }
    if let Some(cert) = s.get("certificate") {
        print_certificate(cert)?;
    }
    if let Some(e) = s.get("error").and_then(Value::as_str) {
        outln!("  error:          {e}");
        return Ok(());
    }
    if let Some(d) = s.get("messageDigest").and_then(Value::as_str) {
        outln!("  message signature over {d} (no statement)");
        return Ok(());
    }
    if !unsigned {
        let keys: Vec<&str> = s["keyIds"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        outln!(
            "  signer key id:  {}",
            if keys.is_empty() {
                "(none given)".to_string()
            } else {
                keys.join(", ")
            }
        );
        outln!("  payload type:   {}", str_of("payloadType"));
    }
    outln!("  statement type: {}", str_of("statementType"));
    outln!("  predicate type: {}", str_of("predicateType"));
    let subjects = s["subjects"].as_array().cloned().unwrap_or_default();
    let count = s["subjectCount"]
        .as_u64()
        .map_or(subjects.len(), |n| n as usize);
    outln!("  subjects:       {count}");
    for sub in subjects.iter().take(HUMAN_SUBJECTS) {
        let name = sub["name"]
            .as_str()
            .or_else(|| sub["uri"].as_str())
            .unwrap_or("_");
        let digest = sub["digest"]
            .as_object()
            .and_then(|d| {
                d.iter()
                    .next()
                    .map(|(a, h)| format!("{a}:{}", h.as_str().unwrap_or("")))
            })
            .unwrap_or_default();
        outln!("    {name}  {digest}");
    }
    if count > HUMAN_SUBJECTS {
        outln!("    … {} more", count - HUMAN_SUBJECTS);
    }
    if s.get("builderId").is_some() {
        outln!("  build type:     {}", str_of("buildType"));
        outln!("  builder:        {}", str_of("builderId"));
        match s.get("source") {
            Some(src) => outln!(
                "  source:         {} ({}, {})",
                src["uri"].as_str().unwrap_or("-"),
                src["digest"]
                    .as_object()
                    .and_then(|d| d
                        .iter()
                        .next()
                        .map(|(a, h)| format!("{a} {}", h.as_str().unwrap_or(""))))
                    .unwrap_or_default(),
                src["treeState"]
                    .as_str()
                    .unwrap_or("tree state not recorded")
            ),
            None => outln!("  source:         not recorded"),
        }
        outln!(
            "  materials:      {} resolved dependencies",
            s["materials"].as_u64().unwrap_or(0)
        );
        outln!(
            "  run:            {} → {} ({})",
            str_of("startedOn"),
            str_of("finishedOn"),
            str_of("invocationId")
        );
    }
    Ok(())
}

fn print_certificate(cert: &Value) -> Result<(), Failure> {
    let field = |k: &str| {
        cert.get(k)
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_owned()
    };
    if let Some(e) = cert.get("error").and_then(Value::as_str) {
        outln!("  certificate:    unreadable: {e}");
        return Ok(());
    }
    outln!("  certificate:    {}", field("san"));
    outln!("  issuer:         {}", field("issuer"));
    let when = |k: &str| {
        cert.get(k)
            .and_then(Value::as_i64)
            .and_then(|t| jiff::Timestamp::from_second(t).ok())
            .map(|t| t.to_string())
            .unwrap_or_else(|| "-".into())
    };
    outln!(
        "  valid:          {} → {}",
        when("notBefore"),
        when("notAfter")
    );
    if let Some(ext) = cert.get("extensions").and_then(Value::as_object) {
        for (name, v) in ext {
            outln!("    {name}: {}", v.as_str().unwrap_or("-"));
        }
    }
    Ok(())
}

/// Runs `provseal inspect`.
pub fn run(args: InspectArgs) -> Result<ExitStatus, Failure> {
    let bytes = verify::read_attestation(&args.file)?;
    let docs = provseal_verify::load_attestations(&bytes, &args.file.display().to_string())?;
    let view = match (args.statement, args.materials) {
        (true, _) => Some(inspect_views::View::Statement),
        (_, true) => Some(inspect_views::View::Materials),
        _ => None,
    };
    if let Some(view) = view {
        let ok = inspect_views::print(&docs, view, args.json)?;
        return Ok(if ok {
            ExitStatus::Success
        } else {
            ExitStatus::Error
        });
    }
    drop(bytes);
    // Each document is summarized, shown and dropped in turn: `--json` writes one array whose
    // elements are serialized as they are made.
    let any_error = std::cell::Cell::new(false);
    let summary = |d: &LoadedDoc, listing| {
        let s = summarize(d, listing);
        any_error.set(any_error.get() || s.has_error());
        s
    };
    if args.json {
        output::print_json(&SerializeIter(|| {
            docs.iter().map(|d| summary(d, Listing::Whole))
        }))?;
    } else {
        for d in &docs {
            print_human(&summary(d, Listing::First(HUMAN_SUBJECTS)).fields)?;
        }
    }
    Ok(if any_error.get() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    })
}
