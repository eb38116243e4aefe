//! The batch formats: the root statement (what is signed) and the entry file (what ships beside
//! each artifact). Field by field in `docs/batch.md`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use provseal_model::dsse::Envelope;

use crate::RootBundleError;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::merkle::Hash;
use crate::BatchError;

/// Media type of an entry file (`mediaType` of the entry object).
pub const ENTRY_MEDIA_TYPE_V1: &str = "application/vnd.provseal.batch-entry.v1+json";

/// `predicateType` of the root statement.
pub const ROOT_PREDICATE_TYPE_V1: &str = "https://provseal.dev/batch/v1";

/// The leaf scheme: leaf = `SHA-256(0x00 || PAE(payloadType, payload))`, tree = RFC 9162 §2.1
/// Merkle Tree Hash over SHA-256 (interior node = `SHA-256(0x01 || left || right)`).
pub const LEAF_SCHEME_V1: &str = "https://provseal.dev/batch/leaf/sha256-dsse-pae-rfc9162/v1";

/// The `name` of the root statement's one subject.
pub const ROOT_SUBJECT_NAME: &str = "provseal-batch-root";

/// The largest tree size accepted when reading (2^53, the largest integer every JSON reader
/// holds exactly).
pub const MAX_TREE_SIZE: u64 = 1 << 53;

/// An inclusion proof as carried in an entry file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// 0-based position of the leaf in the batch.
    pub leaf_index: u64,
    /// Number of leaves in the tree the proof is for.
    pub tree_size: u64,
    /// Sibling hashes from the leaf level upwards (RFC 9162 §2.1.3.1 `PATH`).
    pub hashes: Vec<Hash>,
}

/// One artifact's entry: its statement, the statement's inclusion proof and the signed root
/// envelope. It verifies alone with [`crate::verify_entry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    /// The statement's payload type (bound into its leaf by PAE).
    pub payload_type: String,
    /// The exact statement bytes (the leaf's payload).
    pub statement: Vec<u8>,
    /// The statement's inclusion proof.
    pub proof: InclusionProof,
    /// The DSSE envelope over the root statement, shared by the whole batch (for a keyless
    /// batch, the envelope inside `root_bundle`).
    pub root_envelope: Envelope,
    /// The Sigstore bundle (compact JSON) that signs the root statement, for a keyless batch
    /// (`rootBundle` in the file, in place of `rootEnvelope`).
    pub root_bundle: Option<String>,
}

/// The parts of an entry file shared by every entry of a batch, serialized once.
pub(crate) struct EntryPrefix {
    /// `{"mediaType":…,"statement":{"payloadType":<type>,"payload":"`
    head: String,
    /// `,"rootEnvelope":<envelope JSON>}` and a newline.
    tail: String,
}

impl EntryPrefix {
    pub(crate) fn new(
        payload_type: &str,
        root_envelope: &Envelope,
        root_bundle: Option<&str>,
    ) -> Result<Self, BatchError> {
        let media = serde_json::to_string(ENTRY_MEDIA_TYPE_V1);
        let ptype = serde_json::to_string(payload_type);
        let (media, ptype) = match (media, ptype) {
            (Ok(m), Ok(p)) => (m, p),
            (Err(e), _) | (_, Err(e)) => {
                return Err(BatchError::Serialize {
                    what: "batch entry",
                    source: e,
                })
            }
        };
        Ok(Self {
            head: format!(
                r#"{{"mediaType":{media},"statement":{{"payloadType":{ptype},"payload":""#
            ),
            tail: match root_bundle {
                Some(bundle) => format!(r#","rootBundle":{bundle}}}"#),
                None => format!(r#","rootEnvelope":{}}}"#, root_envelope.to_json()),
            } + "\n",
        })
    }

    /// One entry file: compact JSON (keys in the documented order) and a trailing newline.
    /// Base64, hex and integers need no JSON escaping; the strings that might are escaped by
    /// `serde_json` in [`EntryPrefix::new`].
    pub(crate) fn entry_json(&self, statement: &[u8], proof: &InclusionProof) -> Vec<u8> {
        let b64_len = statement.len().div_ceil(3) * 4;
        let mut out = Vec::with_capacity(
            self.head.len() + b64_len + 64 + proof.hashes.len() * 67 + self.tail.len(),
        );
        out.extend_from_slice(self.head.as_bytes());
        let mut b64 = String::with_capacity(b64_len);
        STANDARD.encode_string(statement, &mut b64);
        out.extend_from_slice(b64.as_bytes());
        out.extend_from_slice(
            format!(
                r#""}},"proof":{{"leafIndex":{},"treeSize":{},"hashes":["#,
                proof.leaf_index, proof.tree_size
            )
            .as_bytes(),
        );
        let mut hex_buf = [0u8; 64];
        for (i, h) in proof.hashes.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            if hex::encode_to_slice(h, &mut hex_buf).is_ok() {
                out.extend_from_slice(&hex_buf);
            }
            out.push(b'"');
        }
        out.extend_from_slice(b"]}");
        out.extend_from_slice(self.tail.as_bytes());
        out
    }
}

impl BatchEntry {
    /// The entry file's content: one line of compact JSON and a trailing newline.
    ///
    /// # Errors
    /// [`BatchError::Serialize`] (not expected in practice).
    pub fn to_json(&self) -> Result<Vec<u8>, BatchError> {
        Ok(EntryPrefix::new(
            &self.payload_type,
            &self.root_envelope,
            self.root_bundle.as_deref(),
        )?
        .entry_json(&self.statement, &self.proof))
    }

    /// Parses an entry file strictly: UTF-8 JSON, no duplicate keys, no trailing data, no unknown
    /// fields, every required field present with its type, standard padded base64 and lowercase
    /// hex. Nothing is verified here; see [`crate::verify_entry`].
    ///
    /// # Errors
    /// [`BatchError::Json`] when the bytes are not strict JSON, [`BatchError::EntryField`] naming
    /// the JSON path of a missing or malformed field, [`BatchError::EntryMediaType`] for another
    /// media type.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BatchError> {
        let value =
            provseal_model::json::parse_strict(bytes).map_err(|source| BatchError::Json {
                what: "batch entry",
                source,
            })?;
        Self::from_value(&value)
    }

    /// Whether an already strictly parsed document claims to be a batch entry (its `mediaType`
    /// is [`ENTRY_MEDIA_TYPE_V1`]); for format detection, nothing is validated.
    pub fn is_entry(value: &Value) -> bool {
        value.get("mediaType").and_then(Value::as_str) == Some(ENTRY_MEDIA_TYPE_V1)
    }

    /// Reads an entry from a document already parsed with
    /// [`provseal_model::json::parse_strict`] (which rejects duplicate keys); otherwise as
    /// strict as [`BatchEntry::from_json`].
    ///
    /// # Errors
    /// As [`BatchEntry::from_json`].
    pub fn from_value(value: &Value) -> Result<Self, BatchError> {
        let top = object(value, "$")?;
        only_keys(
            top,
            "$",
            &[
                "mediaType",
                "statement",
                "proof",
                "rootEnvelope",
                "rootBundle",
            ],
        )?;
        let media_type = string(top, "$", "mediaType")?;
        if media_type != ENTRY_MEDIA_TYPE_V1 {
            return Err(BatchError::EntryMediaType {
                expected: ENTRY_MEDIA_TYPE_V1,
                actual: media_type.to_owned(),
            });
        }

        let st = object(field(top, "$", "statement")?, "$.statement")?;
        only_keys(st, "$.statement", &["payloadType", "payload"])?;
        let payload_type = string(st, "$.statement", "payloadType")?;
        if payload_type.is_empty() {
            return Err(field_error("$.statement.payloadType", "it is empty"));
        }
        let payload_b64 = string(st, "$.statement", "payload")?;
        let statement = STANDARD
            .decode(payload_b64)
            .map_err(|e| BatchError::EntryField {
                path: "$.statement.payload".to_owned(),
                reason: "not standard padded base64".to_owned(),
                source: Some(provseal_model::Cause::new(e)),
            })?;

        let pr = object(field(top, "$", "proof")?, "$.proof")?;
        only_keys(pr, "$.proof", &["leafIndex", "treeSize", "hashes"])?;
        let leaf_index = uint(pr, "$.proof", "leafIndex")?;
        let tree_size = uint(pr, "$.proof", "treeSize")?;
        if tree_size == 0 || tree_size > MAX_TREE_SIZE {
            return Err(field_error(
                "$.proof.treeSize",
                &format!("{tree_size} is not between 1 and 2^53"),
            ));
        }
        let hashes_value = field(pr, "$.proof", "hashes")?;
        let Value::Array(items) = hashes_value else {
            return Err(field_error(
                "$.proof.hashes",
                &format!("expected an array, found {}", kind(hashes_value)),
            ));
        };
        // A tree of at most 2^53 leaves has proofs of at most 53 hashes.
        if items.len() > 64 {
            return Err(field_error(
                "$.proof.hashes",
                &format!("{} hashes is more than any proof holds", items.len()),
            ));
        }
        let mut hashes = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("$.proof.hashes[{i}]");
            let Value::String(s) = item else {
                return Err(field_error(
                    &path,
                    &format!("expected a string, found {}", kind(item)),
                ));
            };
            hashes.push(parse_hash(s).ok_or_else(|| {
                field_error(&path, "expected 64 lowercase hex digits (a SHA-256 hash)")
            })?);
        }

        let (root_envelope, root_bundle) =
            match (top.get("rootEnvelope"), top.get("rootBundle")) {
                (Some(env_value), None) => (
                    Envelope::from_value(env_value).map_err(|source| BatchError::Json {
                        what: "root envelope ($.rootEnvelope)",
                        source,
                    })?,
                    None,
                ),
                (None, Some(bundle)) => (root_bundle_envelope(bundle)?, Some(bundle.to_string())),
                (Some(_), Some(_)) => return Err(field_error(
                    "$",
                    "holds both `rootEnvelope` and `rootBundle`; an entry has one root signature",
                )),
                (None, None) => {
                    return Err(field_error("$", "missing `rootEnvelope` (or `rootBundle`)"))
                }
            };

        Ok(Self {
            payload_type: payload_type.to_owned(),
            statement,
            proof: InclusionProof {
                leaf_index,
                tree_size,
                hashes,
            },
            root_envelope,
            root_bundle,
        })
    }
}

/// The root statement's predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootPredicate {
    /// Number of leaves (statements) in the batch.
    pub tree_size: u64,
    /// [`LEAF_SCHEME_V1`].
    pub leaf_scheme: String,
    /// The payload type every leaf statement carries.
    pub leaf_payload_type: String,
    /// When the batch was made (RFC 3339).
    pub created_on: String,
    /// The builder that made the batch, when given.
    pub builder_id: Option<String>,
}

#[derive(Serialize)]
struct RootSubjectDigest<'a> {
    sha256: &'a str,
}

#[derive(Serialize)]
struct RootSubject<'a> {
    name: &'a str,
    digest: RootSubjectDigest<'a>,
}

#[derive(Serialize)]
struct Builder<'a> {
    id: &'a str,
}

#[derive(Serialize)]
struct RootPredicateJson<'a> {
    #[serde(rename = "treeSize")]
    tree_size: u64,
    #[serde(rename = "leafScheme")]
    leaf_scheme: &'a str,
    #[serde(rename = "leafPayloadType")]
    leaf_payload_type: &'a str,
    #[serde(rename = "createdOn")]
    created_on: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    builder: Option<Builder<'a>>,
}

#[derive(Serialize)]
struct RootStatementJson<'a> {
    #[serde(rename = "_type")]
    type_: &'a str,
    subject: [RootSubject<'a>; 1],
    #[serde(rename = "predicateType")]
    predicate_type: &'a str,
    predicate: RootPredicateJson<'a>,
}

/// The root statement's bytes: compact JSON, keys in the documented order.
pub(crate) fn root_statement_json(root: &Hash, p: &RootPredicate) -> Result<Vec<u8>, BatchError> {
    let root_hex = hex::encode(root);
    let json = RootStatementJson {
        type_: provseal_model::STATEMENT_V1,
        subject: [RootSubject {
            name: ROOT_SUBJECT_NAME,
            digest: RootSubjectDigest { sha256: &root_hex },
        }],
        predicate_type: ROOT_PREDICATE_TYPE_V1,
        predicate: RootPredicateJson {
            tree_size: p.tree_size,
            leaf_scheme: &p.leaf_scheme,
            leaf_payload_type: &p.leaf_payload_type,
            created_on: &p.created_on,
            builder: p.builder_id.as_deref().map(|id| Builder { id }),
        },
    };
    serde_json::to_vec(&json).map_err(|e| BatchError::Serialize {
        what: "root statement",
        source: e,
    })
}

/// Parses the (already signature-verified) root statement strictly: a valid in-toto Statement
/// v1 with exactly the documented fields, one subject named [`ROOT_SUBJECT_NAME`] with exactly a
/// `sha256` digest, the batch predicate type and a predicate with exactly the documented fields.
pub(crate) fn parse_root_statement(bytes: &[u8]) -> Result<(Hash, RootPredicate), BatchError> {
    let value = provseal_model::json::parse_strict(bytes).map_err(|source| BatchError::Json {
        what: "root statement",
        source,
    })?;
    // The generic in-toto validation first (v1 `_type`, subject digests, predicate object).
    let statement = provseal_model::Statement::from_value(value.clone()).map_err(|source| {
        BatchError::Json {
            what: "root statement",
            source,
        }
    })?;
    if !statement.is_v1() {
        return Err(root_error(
            "$._type",
            &format!(
                "expected {:?}, found {:?}",
                provseal_model::STATEMENT_V1,
                statement.type_
            ),
        ));
    }
    if statement.predicate_type != ROOT_PREDICATE_TYPE_V1 {
        return Err(BatchError::RootPredicateType {
            expected: ROOT_PREDICATE_TYPE_V1,
            actual: statement.predicate_type,
        });
    }
    let top = value
        .as_object()
        .ok_or_else(|| root_error("$", "expected an object"))?;
    only_keys_root(
        top,
        "$",
        &["_type", "subject", "predicateType", "predicate"],
    )?;

    let subjects = match top.get("subject") {
        Some(Value::Array(items)) => items,
        _ => return Err(root_error("$.subject", "expected an array")),
    };
    let [subject] = subjects.as_slice() else {
        return Err(root_error(
            "$.subject",
            &format!("expected exactly one subject, found {}", subjects.len()),
        ));
    };
    let subject = subject
        .as_object()
        .ok_or_else(|| root_error("$.subject[0]", "expected an object"))?;
    only_keys_root(subject, "$.subject[0]", &["name", "digest"])?;
    match subject.get("name") {
        Some(Value::String(n)) if n == ROOT_SUBJECT_NAME => {}
        other => {
            return Err(root_error(
                "$.subject[0].name",
                &format!("expected {ROOT_SUBJECT_NAME:?}, found {}", show(other)),
            ))
        }
    }
    let digest = subject
        .get("digest")
        .and_then(Value::as_object)
        .ok_or_else(|| root_error("$.subject[0].digest", "expected an object"))?;
    only_keys_root(digest, "$.subject[0].digest", &["sha256"])?;
    let root = match digest.get("sha256") {
        Some(Value::String(s)) => parse_hash(s),
        _ => None,
    }
    .ok_or_else(|| {
        root_error(
            "$.subject[0].digest.sha256",
            "expected 64 lowercase hex digits",
        )
    })?;

    let pred = top
        .get("predicate")
        .and_then(Value::as_object)
        .ok_or_else(|| root_error("$.predicate", "expected an object"))?;
    only_keys_root(
        pred,
        "$.predicate",
        &[
            "treeSize",
            "leafScheme",
            "leafPayloadType",
            "createdOn",
            "builder",
        ],
    )?;
    let tree_size = match pred.get("treeSize").and_then(Value::as_u64) {
        Some(n) if (1..=MAX_TREE_SIZE).contains(&n) => n,
        other => {
            return Err(root_error(
                "$.predicate.treeSize",
                &format!(
                    "expected an integer between 1 and 2^53, found {}",
                    other.map_or_else(|| show(pred.get("treeSize")), |n| n.to_string())
                ),
            ))
        }
    };
    let text = |key: &str| -> Result<String, BatchError> {
        match pred.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            other => Err(root_error(
                &format!("$.predicate.{key}"),
                &format!("expected a non-empty string, found {}", show(other)),
            )),
        }
    };
    let leaf_scheme = text("leafScheme")?;
    let leaf_payload_type = text("leafPayloadType")?;
    let created_on = text("createdOn")?;
    validate_created_on(&created_on).map_err(|e| BatchError::RootStatement {
        path: "$.predicate.createdOn".to_owned(),
        reason: format!("{created_on:?} is not an RFC 3339 date-time"),
        source: Some(provseal_model::Cause::new(e)),
    })?;
    let builder_id = match pred.get("builder") {
        None => None,
        Some(Value::Object(b)) => {
            only_keys_root(b, "$.predicate.builder", &["id"])?;
            match b.get("id") {
                Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
                other => {
                    return Err(root_error(
                        "$.predicate.builder.id",
                        &format!("expected a non-empty string, found {}", show(other)),
                    ))
                }
            }
        }
        Some(other) => {
            return Err(root_error(
                "$.predicate.builder",
                &format!("expected an object, found {}", kind(other)),
            ))
        }
    };
    Ok((
        root,
        RootPredicate {
            tree_size,
            leaf_scheme,
            leaf_payload_type,
            created_on,
            builder_id,
        },
    ))
}

/// Checks an RFC 3339 date-time (`2026-11-25T22:00:00Z`, offsets allowed).
pub(crate) fn validate_created_on(s: &str) -> Result<(), jiff::Error> {
    s.parse::<jiff::Timestamp>().map(|_| ())
}

/// 64 lowercase hex digits → a hash.
pub(crate) fn parse_hash(s: &str) -> Option<Hash> {
    if s.len() != 64
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "nothing (missing)".to_owned(),
        Some(Value::String(s)) => {
            let short: String = s.chars().take(80).collect();
            format!("{short:?}")
        }
        Some(other) => kind(other).to_owned(),
    }
}

fn field_error(path: &str, reason: &str) -> BatchError {
    BatchError::EntryField {
        path: path.to_owned(),
        reason: reason.to_owned(),
        source: None,
    }
}

fn root_error(path: &str, reason: &str) -> BatchError {
    BatchError::RootStatement {
        path: path.to_owned(),
        reason: reason.to_owned(),
        source: None,
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, BatchError> {
    v.as_object()
        .ok_or_else(|| field_error(path, &format!("expected an object, found {}", kind(v))))
}

fn field<'a>(obj: &'a Map<String, Value>, path: &str, key: &str) -> Result<&'a Value, BatchError> {
    match obj.get(key) {
        Some(Value::Null) | None => Err(field_error(
            &format!("{path}.{key}"),
            "missing required field",
        )),
        Some(v) => Ok(v),
    }
}

fn string<'a>(obj: &'a Map<String, Value>, path: &str, key: &str) -> Result<&'a str, BatchError> {
    match field(obj, path, key)? {
        Value::String(s) => Ok(s),
        other => Err(field_error(
            &format!("{path}.{key}"),
            &format!("expected a string, found {}", kind(other)),
        )),
    }
}

fn uint(obj: &Map<String, Value>, path: &str, key: &str) -> Result<u64, BatchError> {
    let v = field(obj, path, key)?;
    v.as_u64().ok_or_else(|| {
        field_error(
            &format!("{path}.{key}"),
            &format!("expected a non-negative integer, found {}", json_text(v)),
        )
    })
}

fn json_text(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => kind(other).to_owned(),
    }
}

fn only_keys(obj: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<(), BatchError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(field_error(
            &format!("{path}.{k}"),
            &format!("unknown field (allowed: {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

fn only_keys_root(
    obj: &Map<String, Value>,
    path: &str,
    allowed: &[&str],
) -> Result<(), BatchError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(root_error(
            &format!("{path}.{k}"),
            &format!("unknown field (allowed: {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// A root bundle as compact JSON and the DSSE envelope inside it.
pub(crate) fn parse_root_bundle(bytes: &[u8]) -> Result<(String, Envelope), BatchError> {
    let value = provseal_model::json::parse_strict(bytes).map_err(|e| BatchError::RootBundle {
        source: RootBundleError::NotJson(e),
    })?;
    let envelope = root_bundle_envelope(&value)?;
    Ok((value.to_string(), envelope))
}

/// The DSSE envelope of a bundle value.
pub(crate) fn root_bundle_envelope(value: &serde_json::Value) -> Result<Envelope, BatchError> {
    let env = value.get("dsseEnvelope").ok_or(BatchError::RootBundle {
        source: RootBundleError::NoEnvelope,
    })?;
    Envelope::from_value(env).map_err(|e| BatchError::RootBundle {
        source: RootBundleError::Envelope(e),
    })
}
