//! Reading attestation files: format detection for `.intoto.jsonl`, bare DSSE envelopes,
//! Sigstore bundles (also inside npm's attestations JSON and PyPI's PEP 740 objects) and
//! provseal batch entries.

use std::path::{Path, PathBuf};

use provseal_model::dsse::Envelope;
use provseal_model::DigestSet;
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
    /// A bare in-toto statement (the file's exact bytes): nothing in it is signed; it verifies
    /// only with a detached signature over these bytes (see the `detached` module).
    UnsignedStatement(Vec<u8>),
}

impl AttestationDoc {
    /// A short name of the document's format.
    pub fn format(&self) -> &'static str {
        match self {
            AttestationDoc::Dsse(_) => "dsse",
            AttestationDoc::SigstoreBundle(_) => "sigstore-bundle",
            AttestationDoc::BatchEntry(_) => "provseal-batch-entry",
            AttestationDoc::UnsignedStatement(_) => "unsigned-statement",
        }
    }
}

/// Where a document came from: its file, its line in a JSON Lines file, and its place inside a
/// wrapper document. Displayed (and serialized) as `path`, `path:line`, `path#part`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file, as the caller named it.
    pub path: String,
    /// The 1-based line, for a document on one line of a multi-line JSON Lines file.
    pub line: Option<usize>,
    /// The place inside a wrapper (`attestations[2]`), for a document taken out of another.
    pub part: Option<String>,
}

impl Origin {
    /// The whole file `path`.
    pub fn file(path: impl Into<String>) -> Self {
        Origin {
            path: path.into(),
            line: None,
            part: None,
        }
    }

    fn at_line(&self, line: usize) -> Self {
        Origin {
            line: Some(line),
            ..self.clone()
        }
    }

    fn within(&self, part: String) -> Self {
        Origin {
            part: Some(part),
            ..self.clone()
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(part) = &self.part {
            write!(f, "#{part}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A document with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedDoc {
    /// The file, line and part it was read from.
    pub origin: Origin,
    /// The document.
    pub doc: AttestationDoc,
}

/// A malformed document, with the parser's error as the cause.
fn malformed_because(
    origin: &Origin,
    source: impl std::error::Error + Send + Sync + 'static,
) -> VerifyError {
    VerifyError::Malformed {
        origin: origin.to_string(),
        reason: Default::default(),
        source: Some(provseal_model::Cause::new(source)),
    }
}

/// Largest attestation file provseal reads (64 MiB): larger input is refused, not buffered.
pub const MAX_ATTESTATION_BYTES: u64 = 64 * 1024 * 1024;

fn bundle_doc(value: &Value, origin: &Origin) -> Result<(Origin, AttestationDoc), VerifyError> {
    let bytes = serde_json::to_vec(value).map_err(|e| malformed_because(origin, e))?;
    Ok((origin.clone(), AttestationDoc::SigstoreBundle(bytes)))
}

fn pep740_doc(value: &Value, origin: &Origin) -> Result<(Origin, AttestationDoc), VerifyError> {
    let bundle = provseal_sigstore::pep740_to_bundle_json(value, &origin.to_string())
        .map_err(|e| malformed_because(origin, e))?;
    bundle_doc(&bundle, origin)
}

/// The top-level keys of a document that decide its format, read in one typed pass that builds
/// nothing else (a 60 MB array under an unknown key costs no memory).
#[derive(Default)]
struct Shape {
    media_type: Option<String>,
    /// `_type`, when it is a string: a bare in-toto statement names its Statement type here.
    statement_type: Option<String>,
    keys: Vec<&'static str>,
}

/// The top-level keys [`classify`] looks at.
const SHAPE_KEYS: [&str; 7] = [
    "verification_material",
    "envelope",
    "attestation_bundles",
    "attestations",
    "payloadType",
    "payload",
    "signatures",
];

impl Shape {
    fn has(&self, key: &str) -> bool {
        self.keys.contains(&key)
    }
}

impl<'de> serde::Deserialize<'de> for Shape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
                Ok(Shape::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
                Ok(Shape::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
                Ok(Shape::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
                Ok(Shape::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
                Ok(Shape::default())
            }
            fn visit_unit<E>(self) -> Result<Shape, E> {
                Ok(Shape::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Shape, A::Error> {
                IgnoredAny.visit_seq(seq)?;
                Ok(Shape::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
                let mut shape = Shape::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "mediaType" {
                        shape.media_type = map
                            .next_value::<serde_json::Value>()?
                            .as_str()
                            .map(str::to_string);
                        continue;
                    }
                    if key == "_type" {
                        shape.statement_type = map
                            .next_value::<serde_json::Value>()?
                            .as_str()
                            .map(str::to_string);
                        continue;
                    }
                    if let Some(k) = SHAPE_KEYS.iter().find(|k| **k == key) {
                        shape.keys.push(k);
                    }
                    map.next_value::<IgnoredAny>()?;
                }
                Ok(shape)
            }
        }
        d.deserialize_any(V)
    }
}

/// Whether a JSON value is a Sigstore bundle (by its media type).
pub(crate) fn is_bundle(value: &Value) -> bool {
    value
        .get("mediaType")
        .and_then(Value::as_str)
        .is_some_and(is_bundle_media_type)
}

fn is_bundle_media_type(mt: &str) -> bool {
    mt.starts_with("application/vnd.dev.sigstore.bundle")
}

/// The documents one strictly checked JSON document holds: a DSSE envelope, a Sigstore bundle, a
/// provseal batch entry, a PEP 740 attestation, PyPI's provenance object (many PEP 740
/// attestations), or npm's attestations JSON (many bundles). Other shapes hold none.
///
/// Only the shapes that hold several documents are built as a JSON tree; an envelope is read by
/// its typed reader, which counts its signatures before building them.
fn classify(raw: &[u8], origin: &Origin) -> Result<Vec<(Origin, AttestationDoc)>, VerifyError> {
    let malformed = |why: String| VerifyError::Malformed {
        origin: origin.to_string(),
        reason: why,
        source: None,
    };
    let shape: Shape = serde_json::from_slice(raw).map_err(|e| malformed_because(origin, e))?;
    if let Some(mt) = &shape.media_type {
        if is_bundle_media_type(mt) {
            return Ok(vec![(
                origin.clone(),
                AttestationDoc::SigstoreBundle(raw.to_vec()),
            )]);
        }
        if mt.starts_with("application/vnd.provseal.batch-entry") {
            return Ok(vec![(
                origin.clone(),
                AttestationDoc::BatchEntry(raw.to_vec()),
            )]);
        }
    }
    let tree = || provseal_model::json::parse_strict(raw).map_err(|e| malformed_because(origin, e));
    if shape.has("verification_material") && shape.has("envelope") {
        return Ok(vec![pep740_doc(&tree()?, origin)?]);
    }
    if shape.has("attestation_bundles") {
        let value = tree()?;
        if let Some(groups) = value.get("attestation_bundles").and_then(Value::as_array) {
            let mut out = Vec::new();
            for (g, group) in groups.iter().enumerate() {
                let atts = group
                    .get("attestations")
                    .and_then(Value::as_array)
                    .ok_or_else(|| {
                        malformed(format!("attestation_bundles[{g}] has no `attestations`"))
                    })?;
                for (i, a) in atts.iter().enumerate() {
                    let o = origin.within(format!("attestation_bundles[{g}].attestations[{i}]"));
                    out.push(pep740_doc(a, &o)?);
                }
            }
            return Ok(out);
        }
    }
    if shape.has("attestations") {
        let value = tree()?;
        if let Some(atts) = value.get("attestations").and_then(Value::as_array) {
            let mut out = Vec::new();
            for (i, a) in atts.iter().enumerate() {
                if let Some(b) = a.get("bundle") {
                    out.push(bundle_doc(b, &origin.within(format!("attestations[{i}]")))?);
                }
            }
            return Ok(out);
        }
    }
    if shape.has("payloadType") || shape.has("payload") || shape.has("signatures") {
        let env = Envelope::from_json(raw).map_err(|e| malformed_because(origin, e))?;
        return Ok(vec![(origin.clone(), AttestationDoc::Dsse(env))]);
    }
    if shape
        .statement_type
        .is_some_and(|t| t.starts_with(STATEMENT_TYPE_PREFIX))
    {
        return Ok(vec![(
            origin.clone(),
            AttestationDoc::UnsignedStatement(raw.to_vec()),
        )]);
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
            source: None,
        });
    }
    let mut docs = Vec::new();
    // Multi-line: a pretty-printed single document, or JSON Lines.
    let multi = trimmed.contains(&b'\n');
    if multi && provseal_model::json::check_strict(trimmed).is_ok() {
        for (origin, doc) in classify(trimmed, &Origin::file(source))? {
            docs.push(LoadedDoc { origin, doc });
        }
    } else {
        for (i, line) in trimmed.split(|b| *b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            let origin = if multi {
                Origin::file(source).at_line(i + 1)
            } else {
                Origin::file(source)
            };
            provseal_model::json::check_strict(line).map_err(|e| malformed_because(&origin, e))?;
            for (origin, doc) in classify(line, &origin)? {
                docs.push(LoadedDoc { origin, doc });
            }
        }
    }
    if docs.is_empty() {
        return Err(VerifyError::Malformed {
            origin: source.to_string(),
            reason: "no attestation found (expected a DSSE envelope, a Sigstore bundle or a provseal batch entry)".into(),
            source: None,
        });
    }
    Ok(docs)
}

/// Attestation discovery: the files in `dir` that may attest `artifact` (named by its path, with
/// its digests), most specific first, existing ones only — batch entries, per-artifact files,
/// the digest-named file, then the multi-subject defaults.
pub fn attestation_candidates(dir: &Path, artifact: &str, digests: &DigestSet) -> Vec<PathBuf> {
    let base = Path::new(artifact)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| artifact.to_string());
    let mut names: Vec<String> = provseal_batch::entry_file_candidates(artifact);
    for suffix in [
        ".intoto.jsonl",
        ".sigstore.json",
        ".sigstore",
        ".intoto.sigstore",
        ".build.slsa",
        ".publish.attestation",
    ] {
        names.push(format!("{base}{suffix}"));
    }
    if let Some(h) = digests.get("sha256") {
        names.push(format!("sha256:{h}.jsonl"));
    }
    names.push("provenance.intoto.jsonl".into());
    names.push("provenance.sigstore.json".into());
    names.push("multiple.intoto.jsonl".into());
    names.push("multiple.sigstore.json".into());
    let mut out = Vec::new();
    for n in names {
        let p = dir.join(&n);
        if p.is_file() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

pub(crate) const STATEMENT_TYPE_PREFIX: &str = "https://in-toto.io/Statement/";

/// Whether a JSON value is a bare in-toto statement (an object whose `_type` is a Statement
/// type), as opposed to a signed envelope or bundle.
pub fn is_statement_object(value: &serde_json::Value) -> bool {
    value
        .get("_type")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|t| t.starts_with(STATEMENT_TYPE_PREFIX))
}

/// [`is_statement_object`] of strictly valid JSON text, decided without building it: the text
/// is checked ([`provseal_model::json::check_strict`]) and only `_type` is read, so an envelope
/// of 600,000 signatures costs a pass over its bytes, not 600,000 objects.
pub fn is_statement_json(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct TypeOnly {
        #[serde(rename = "_type")]
        type_: Option<String>,
    }
    // A struct also reads from a JSON array (by position): only an object qualifies.
    bytes.trim_ascii_start().first() == Some(&b'{')
        && provseal_model::json::check_strict(bytes).is_ok()
        && serde_json::from_slice::<TypeOnly>(bytes)
            .ok()
            .and_then(|t| t.type_)
            .is_some_and(|t| t.starts_with(STATEMENT_TYPE_PREFIX))
}

#[cfg(test)]
mod origin_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Issue 14: whether a file is a bare statement is decided without building its JSON (a
    /// 600,000-signature envelope cost 547 MiB that way), with the answer the tree gives.
    #[test]
    fn is_statement_json_agrees_with_the_tree() {
        let many = format!(
            r#"{{"payload":"","payloadType":"t","signatures":[{}]}}"#,
            vec![r#"{"sig":""}"#; 1000].join(",")
        );
        for text in [
            r#"{"_type":"https://in-toto.io/Statement/v1","subject":[]}"#,
            r#" {"subject":[],"_type":"https://in-toto.io/Statement/v0.1"}"#,
            r#"{"_type":"https://example.com/other"}"#,
            r#"{"_type":5}"#,
            r#"{"_type":null}"#,
            r#"["https://in-toto.io/Statement/v1"]"#,
            r#"{"_type":"https://in-toto.io/Statement/v1","_type":"x"}"#,
            r#"{"_type":"https://in-toto.io/Statement/v1"} trailing"#,
            "\"https://in-toto.io/Statement/v1\"",
            &many,
            "",
        ] {
            let tree = provseal_model::json::parse_strict(text.as_bytes())
                .is_ok_and(|v| is_statement_object(&v));
            assert_eq!(is_statement_json(text.as_bytes()), tree, "{text}");
        }
    }

    #[test]
    fn origins_are_typed_path_line_and_part() {
        let entry = r#"{"mediaType":"application/vnd.provseal.batch-entry+json"}"#;
        let jsonl = format!("{entry}\n\n{entry}\n");
        let docs = load_attestations(jsonl.as_bytes(), "dir:with:colons/a.jsonl").unwrap();
        let origins: Vec<_> = docs.iter().map(|d| d.origin.clone()).collect();
        assert_eq!(origins[0].path, "dir:with:colons/a.jsonl");
        assert_eq!(origins[0].line, Some(1));
        assert_eq!(origins[1].line, Some(3));
        assert_eq!(origins[1].to_string(), "dir:with:colons/a.jsonl:3");

        let npm = format!(r#"{{"attestations":[{{"bundle":{entry}}},{{"bundle":{entry}}}]}}"#);
        let docs = load_attestations(npm.as_bytes(), "npm.json").unwrap();
        assert_eq!(docs[1].origin.path, "npm.json");
        assert_eq!(docs[1].origin.line, None);
        assert_eq!(docs[1].origin.part.as_deref(), Some("attestations[1]"));
        assert_eq!(docs[1].origin.to_string(), "npm.json#attestations[1]");
    }
}
