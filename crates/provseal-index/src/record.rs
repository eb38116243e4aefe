//! Turning one verified document into rows: the signer, the subjects, the build facts, the
//! dependency set (package descriptors only, content-addressed) and a "skeleton" — the
//! statement and provenance without the package descriptors, from which a
//! [`VerifiedStatement`] is rebuilt for policy sweeps.

use provseal_crypto::hash::HashAlgorithm;
use provseal_model::slsa::ProvenanceV1;
use provseal_model::{ResourceDescriptor, Statement};
use provseal_verify::{normalize_repo, recorded_sources, SignerIdentity, VerifiedStatement};
use serde::{Deserialize, Serialize};

use crate::IndexError;

/// A stable 63-bit id from a kind and content: the first 8 bytes of SHA-256. Content-derived ids
/// need no round trip to the database, so concurrent ingesters agree on them.
pub(crate) fn id_of(kind: &str, content: &str) -> i64 {
    let h = HashAlgorithm::Sha256.hex_digest(format!("{kind}\0{content}").as_bytes());
    i64::from_str_radix(h.get(..15).unwrap_or("0"), 16).unwrap_or(0)
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    HashAlgorithm::Sha256.hex_digest(data)
}

pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    // Level 3: zstd's default; compression of in-memory bytes cannot fail.
    zstd::bulk::compress(data, 3).unwrap_or_default()
}

pub(crate) fn decompress(data: &[u8], what: &str) -> Result<Vec<u8>, IndexError> {
    zstd::stream::decode_all(data).map_err(|e| IndexError::Damaged {
        what: what.to_string(),
        source: Box::new(e),
    })
}

/// The signer row.
#[derive(Debug, Clone)]
pub(crate) struct SignerRow {
    pub id: i64,
    pub kind: &'static str,
    pub key_id: Option<String>,
    pub san: Option<String>,
    pub issuer: Option<String>,
    pub repository: Option<String>,
    pub workflow: Option<String>,
    pub git_ref: Option<String>,
    pub extensions: Option<String>,
}

impl SignerRow {
    pub(crate) fn of(s: &SignerIdentity) -> SignerRow {
        match s {
            SignerIdentity::Key { key_id } => SignerRow {
                id: id_of("key", key_id),
                kind: "key",
                key_id: Some(key_id.clone()),
                san: None,
                issuer: None,
                repository: None,
                workflow: None,
                git_ref: None,
                extensions: None,
            },
            SignerIdentity::Certificate {
                identity,
                issuer,
                extensions,
            } => {
                let ext = serde_json::to_string(extensions).unwrap_or_default();
                SignerRow {
                    id: id_of("certificate", &format!("{identity}\0{issuer}\0{ext}")),
                    kind: "certificate",
                    key_id: None,
                    san: Some(identity.clone()),
                    issuer: Some(issuer.clone()),
                    repository: extensions.get("source-repository-uri").cloned(),
                    workflow: extensions.get("build-config-uri").cloned(),
                    git_ref: extensions.get("source-repository-ref").cloned(),
                    extensions: Some(ext),
                }
            }
        }
    }

    /// The signer as a hit shows it (`key 1a2b…`, `SAN (issuer ISSUER)`).
    pub(crate) fn described(&self) -> String {
        SignerRow::identity(
            self.kind,
            self.key_id.clone(),
            self.san.clone(),
            self.issuer.clone(),
            None,
        )
        .describe()
    }

    /// Rebuilds the identity from the stored columns.
    pub(crate) fn identity(
        kind: &str,
        key_id: Option<String>,
        san: Option<String>,
        issuer: Option<String>,
        extensions: Option<String>,
    ) -> SignerIdentity {
        if kind == "key" {
            SignerIdentity::Key {
                key_id: key_id.unwrap_or_default(),
            }
        } else {
            SignerIdentity::Certificate {
                identity: san.unwrap_or_default(),
                issuer: issuer.unwrap_or_default(),
                extensions: extensions
                    .and_then(|e| serde_json::from_str(&e).ok())
                    .unwrap_or_default(),
            }
        }
    }
}

/// One package of a dependency set.
#[derive(Debug, Clone)]
pub(crate) struct PackageRow {
    pub id: i64,
    pub purl: String,
    pub key: String,
    pub ty: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
}

/// `type/namespace/name` of a purl, normalised as the policy's package patterns do.
pub(crate) fn package_row(purl: &str) -> PackageRow {
    use std::str::FromStr;
    let parsed = packageurl::PackageUrl::from_str(purl).ok();
    let (ty, namespace, name, version) = match &parsed {
        Some(p) => (
            Some(p.ty().to_string()),
            p.namespace().map(str::to_string),
            Some(p.name().to_string()),
            p.version().map(str::to_string),
        ),
        None => (None, None, None, None),
    };
    // The identity the policy's package patterns compare (PyPI names per PEP 503).
    let key = provseal_model::purl::purl_identity(purl).unwrap_or_else(|| purl.to_string());
    PackageRow {
        id: id_of("package", purl),
        purl: purl.to_string(),
        key,
        ty,
        namespace,
        name,
        version,
    }
}

/// A content-addressed dependency set.
#[derive(Debug, Clone)]
pub(crate) struct DepSetRow {
    pub id: i64,
    pub digest: String,
    pub count: i64,
    /// The sorted descriptors as a JSON array (compressed by the writer, only when new).
    pub json: String,
    /// The purls (package rows are derived by the writer, only for new sets).
    pub purls: Vec<String>,
}

impl DepSetRow {
    /// The set's packages, one row per distinct purl.
    pub(crate) fn packages(&self) -> Vec<PackageRow> {
        let mut packages: Vec<PackageRow> = self.purls.iter().map(|p| package_row(p)).collect();
        packages.sort_by_key(|p| p.id);
        packages.dedup_by_key(|p| p.id);
        packages
    }
}

fn is_package(rd: &ResourceDescriptor) -> bool {
    rd.uri.as_deref().is_some_and(|u| u.starts_with("pkg:"))
}

/// The set of package descriptors, sorted by their JSON text (the set's identity).
fn depset(deps: &[ResourceDescriptor]) -> Option<DepSetRow> {
    // Each descriptor as JSON with sorted keys (the text provseal's own statements use, so the
    // set compresses the statements well as a zstd dictionary), in the statement's order.
    let mut seen = std::collections::HashSet::new();
    let lines: Vec<(String, &ResourceDescriptor)> = deps
        .iter()
        .filter(|d| is_package(d))
        .map(|d| (sorted_json(d), d))
        .filter(|(t, _)| seen.insert(t.clone()))
        .collect();
    if lines.is_empty() {
        return None;
    }
    let json = format!(
        "[{}]",
        lines
            .iter()
            .map(|(l, _)| l.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    // The set's identity does not depend on the order.
    let mut sorted: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
    sorted.sort_unstable();
    let digest = sha256_hex(sorted.join("\n").as_bytes());
    let purls: Vec<String> = lines.iter().filter_map(|(_, d)| d.uri.clone()).collect();
    Some(DepSetRow {
        id: id_of("depset", &digest),
        count: lines.len() as i64,
        json,
        digest,
        purls,
    })
}

/// A descriptor as JSON with its keys in sorted order, as `serde_json::Value` writes it (which
/// is how provseal's statements are written), without building a `Value` for the common case.
fn sorted_json(d: &ResourceDescriptor) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Sorted<'a> {
        #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
        annotations: &'a serde_json::Map<String, serde_json::Value>,
        #[serde(skip_serializing_if = "provseal_model::DigestSet::is_empty")]
        digest: &'a provseal_model::DigestSet,
        #[serde(skip_serializing_if = "Option::is_none")]
        download_location: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        media_type: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        uri: Option<&'a str>,
    }
    fn blank(v: &Option<String>) -> Option<&str> {
        v.as_deref().filter(|s| !s.is_empty())
    }
    let text = if d.content.as_deref().is_none_or(<[u8]>::is_empty) {
        serde_json::to_string(&Sorted {
            annotations: &d.annotations,
            digest: &d.digest,
            download_location: blank(&d.download_location),
            media_type: blank(&d.media_type),
            name: blank(&d.name),
            uri: blank(&d.uri),
        })
    } else {
        serde_json::to_value(d).and_then(|v| serde_json::to_string(&v))
    };
    text.unwrap_or_default()
}

/// Decodes a stored dependency set.
pub(crate) fn depset_descriptors(zstd: &[u8]) -> Result<Vec<ResourceDescriptor>, IndexError> {
    let json = decompress(zstd, "dependency set")?;
    serde_json::from_slice(&json).map_err(|e| IndexError::Damaged {
        what: "dependency set".into(),
        source: Box::new(e),
    })
}

/// The statement and provenance minus the package descriptors.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Skeleton {
    pub statement: Statement,
    pub provenance: Option<ProvenanceV1>,
}

/// zstd dictionaries prepared once per dependency set and shared by the verifying threads.
#[derive(Default)]
pub(crate) struct Dictionaries {
    prepared: std::sync::Mutex<
        std::collections::HashMap<i64, std::sync::Arc<zstd::dict::EncoderDictionary<'static>>>,
    >,
}

impl Dictionaries {
    fn get(&self, set: &DepSetRow) -> std::sync::Arc<zstd::dict::EncoderDictionary<'static>> {
        let mut map = self
            .prepared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(set.id)
            .or_insert_with(|| {
                std::sync::Arc::new(zstd::dict::EncoderDictionary::copy(set.json.as_bytes(), 3))
            })
            .clone()
    }
}

/// A raw document, content-addressed by the SHA-256 of its bytes, stored in two parts when
/// it carries its signed statement in standard base64 (DSSE envelopes, batch entries, Sigstore
/// bundles): the document without that base64 text (`doc`, zstd) and the statement bytes
/// (`payload`, zstd with the build's dependency set as dictionary — a statement mostly repeats
/// its set, so it shrinks to its own few bytes). [`BlobRow::restore`] gives back the exact bytes.
#[derive(Debug, Clone)]
pub(crate) struct BlobRow {
    pub digest: String,
    pub doc: Vec<u8>,
    pub payload: Option<Vec<u8>>,
    pub payload_at: Option<i64>,
    pub dict_id: Option<i64>,
}

impl BlobRow {
    fn of(
        raw: &[u8],
        digest: String,
        payload: Option<&[u8]>,
        set: Option<&DepSetRow>,
        dicts: &Dictionaries,
    ) -> BlobRow {
        use base64::Engine;
        let split = payload.and_then(|p| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(p);
            // Find the base64 text by its head, then compare the rest (a searcher built for the
            // whole 40 KB needle would cost more than the search).
            let head = b64.get(..b64.len().min(64))?;
            let at = memchr::memmem::find_iter(raw, head.as_bytes())
                .find(|&i| raw.get(i..i + b64.len()) == Some(b64.as_bytes()))?;
            let mut doc = Vec::with_capacity(raw.len() - b64.len());
            doc.extend_from_slice(raw.get(..at)?);
            doc.extend_from_slice(raw.get(at + b64.len()..)?);
            let z = match set {
                Some(set) => {
                    let dict = dicts.get(set);
                    zstd::bulk::Compressor::with_prepared_dictionary(&dict)
                        .and_then(|mut c| c.compress(p))
                        .ok()?
                }
                None => compress(p),
            };
            Some((doc, z, at))
        });
        match split {
            Some((doc, z, at)) => BlobRow {
                digest,
                doc: compress(&doc),
                payload: Some(z),
                payload_at: Some(at as i64),
                dict_id: set.map(|s| s.id),
            },
            None => BlobRow {
                digest,
                doc: compress(raw),
                payload: None,
                payload_at: None,
                dict_id: None,
            },
        }
    }

    /// The document's exact bytes from the stored parts (`dict`: the dependency set's JSON).
    pub(crate) fn restore(
        doc: &[u8],
        payload: Option<&[u8]>,
        payload_at: Option<i64>,
        dict: &[u8],
    ) -> Result<Vec<u8>, IndexError> {
        use base64::Engine;
        let mut raw = decompress(doc, "stored document")?;
        if let (Some(p), Some(at)) = (payload, payload_at) {
            let damaged = |e: std::io::Error| IndexError::Damaged {
                what: "stored statement".into(),
                source: Box::new(e),
            };
            let mut statement = Vec::new();
            let mut dec = zstd::stream::Decoder::with_dictionary(p, dict).map_err(damaged)?;
            std::io::Read::read_to_end(&mut dec, &mut statement).map_err(damaged)?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(&statement);
            let at = usize::try_from(at).unwrap_or(usize::MAX).min(raw.len());
            raw.splice(at..at, b64.into_bytes());
        }
        Ok(raw)
    }
}

/// Build facts.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildRow {
    pub builder: Option<String>,
    pub build_type: Option<String>,
    pub repository: Option<String>,
    pub commit: Option<String>,
    pub git_ref: Option<String>,
    pub dirty: Option<i64>,
    pub started_on: Option<String>,
    pub finished_on: Option<String>,
}

fn build_row(v: &VerifiedStatement, p: &ProvenanceV1) -> BuildRow {
    let git = p
        .build_definition
        .resolved_dependencies
        .iter()
        .find(|d| d.uri.as_deref().is_some_and(|u| u.starts_with("git+")));
    let commit = git.and_then(|g| {
        ["gitCommit", "sha1", "sha256"]
            .iter()
            .find_map(|a| g.digest.get(a).map(|h| h.to_ascii_lowercase()))
    });
    let dirty = git
        .and_then(|g| g.annotations.get("treeState"))
        .and_then(|t| t.as_str())
        .map(|t| i64::from(t == "dirty"));
    let repository = recorded_sources(p)
        .into_iter()
        .next()
        .or_else(|| match &v.signer {
            SignerIdentity::Certificate { extensions, .. } => extensions
                .get("source-repository-uri")
                .map(|r| normalize_repo(r)),
            SignerIdentity::Key { .. } => None,
        });
    let ext = &p.build_definition.external_parameters;
    let git_ref = ["source", "workflow"]
        .iter()
        .find_map(|k| {
            ext.get(k)
                .and_then(|s| s.get("ref"))
                .and_then(|r| r.as_str())
        })
        .map(str::to_string)
        .or_else(|| {
            git.and_then(|g| g.uri.as_deref())
                .and_then(|u| u.rsplit_once('@'))
                .map(|(_, r)| r.to_string())
        });
    let meta = &p.run_details.metadata;
    BuildRow {
        builder: Some(p.run_details.builder.id.clone()).filter(|b| !b.is_empty()),
        build_type: Some(p.build_definition.build_type.clone()).filter(|b| !b.is_empty()),
        repository,
        commit,
        git_ref,
        dirty,
        started_on: meta.as_ref().and_then(|m| m.started_on.clone()),
        finished_on: meta.as_ref().and_then(|m| m.finished_on.clone()),
    }
}

/// Everything one verified document contributes.
#[derive(Debug, Clone)]
pub(crate) struct EnvelopeRecord {
    pub id: i64,
    pub payload_digest: String,
    pub blob: BlobRow,
    pub format: &'static str,
    pub origin: String,
    pub signer: SignerRow,
    pub verified_by: String,
    pub predicate_type: String,
    pub subjects: Vec<(String, String, Option<String>)>,
    pub build: Option<BuildRow>,
    pub depset: Option<DepSetRow>,
    pub skeleton: Vec<u8>,
    /// sha256 of (signer, dependency set, skeleton): what a policy evaluation depends on.
    pub eval_key: String,
}

/// One document as read: its bytes as stored (and exported) and their SHA-256, the signed
/// statement bytes inside it (when it has one), and the digest that makes ingestion idempotent.
pub(crate) struct RawDoc<'a> {
    pub raw: &'a [u8],
    pub raw_digest: String,
    pub payload: Option<&'a [u8]>,
    pub payload_digest: String,
    pub format: &'static str,
}

/// Builds the rows of one verified document.
pub(crate) fn record(
    v: &VerifiedStatement,
    doc: RawDoc<'_>,
    verified_by: &str,
    dicts: &Dictionaries,
) -> Result<EnvelopeRecord, IndexError> {
    let RawDoc {
        raw,
        raw_digest,
        payload,
        payload_digest,
        format,
    } = doc;
    let mut subjects = Vec::new();
    for s in &v.statement.subject {
        for (alg, hex) in s.digest.iter() {
            subjects.push((alg.to_string(), hex.to_ascii_lowercase(), s.name.clone()));
        }
    }
    subjects.sort();
    subjects.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    // The provenance (mapped to v1) carries everything a policy reads; the raw predicate is
    // in the blob, and the subjects are in their table.
    let statement = Statement {
        type_: v.statement.type_.clone(),
        subject: Vec::new(),
        predicate_type: v.statement.predicate_type.clone(),
        predicate: None,
    };
    let (build, depset, provenance) = match &v.provenance {
        Some(p) => {
            let set = depset(&p.build_definition.resolved_dependencies);
            // Field by field: cloning the whole definition would copy every package descriptor
            // only to drop it.
            let d = &p.build_definition;
            let p = ProvenanceV1 {
                build_definition: provseal_model::slsa::BuildDefinition {
                    build_type: d.build_type.clone(),
                    external_parameters: d.external_parameters.clone(),
                    internal_parameters: d.internal_parameters.clone(),
                    resolved_dependencies: d
                        .resolved_dependencies
                        .iter()
                        .filter(|d| !is_package(d))
                        .cloned()
                        .collect(),
                },
                run_details: p.run_details.clone(),
            };
            (Some(build_row(v, &p)), set, Some(p))
        }
        None => (None, None, None),
    };
    let skeleton = serde_json::to_vec(&Skeleton {
        statement,
        provenance,
    })
    .map_err(|e| IndexError::Damaged {
        what: format!("statement of `{}`", v.origin),
        source: Box::new(e),
    })?;
    let signer = SignerRow::of(&v.signer);
    // Statements that differ only in their subjects get one policy evaluation per sweep.
    let eval_key = sha256_hex(
        format!(
            "{}\0{}\0{}",
            signer.id,
            depset.as_ref().map(|d| d.digest.as_str()).unwrap_or(""),
            String::from_utf8_lossy(&skeleton)
        )
        .as_bytes(),
    );
    Ok(EnvelopeRecord {
        id: id_of("envelope", &payload_digest),
        eval_key,
        payload_digest,
        blob: BlobRow::of(raw, raw_digest, payload, depset.as_ref(), dicts),
        format,
        origin: v.origin.to_string(),
        signer,
        verified_by: match &v.signer {
            // The one key that verified, not the whole list of trusted keys.
            SignerIdentity::Key { key_id } if verified_by.is_empty() => format!("key:{key_id}"),
            SignerIdentity::Key { key_id } => format!("key:{key_id} {verified_by}"),
            SignerIdentity::Certificate { .. } => verified_by.to_string(),
        },
        predicate_type: v.statement.predicate_type.clone(),
        subjects,
        build,
        depset,
        skeleton: compress(&skeleton),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_keys_follow_the_policy_normalisation() {
        let p = package_row("pkg:pypi/Zope.Interface@5.0?x=1");
        assert_eq!(p.key, "pypi/zope-interface");
        assert_eq!(p.version.as_deref(), Some("5.0"));
        let n = package_row("pkg:npm/%40scope/left-pad@1.0.0");
        assert_eq!(n.ty.as_deref(), Some("npm"));
        assert_eq!(n.name.as_deref(), Some("left-pad"));
    }

    #[test]
    fn sorted_json_matches_value_order() {
        let rd = ResourceDescriptor {
            uri: Some("pkg:pypi/xz@5.6.0".into()),
            name: Some("xz".into()),
            digest: [("sha256".to_string(), "ab".repeat(32))]
                .into_iter()
                .collect(),
            annotations: serde_json::json!({"lockfile": "requirements.txt", "a": 1})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            ..Default::default()
        };
        let via_value = serde_json::to_value(&rd)
            .and_then(|v| serde_json::to_string(&v))
            .unwrap_or_default();
        assert_eq!(sorted_json(&rd), via_value);
    }

    #[test]
    fn ids_are_stable_and_positive() {
        assert_eq!(id_of("a", "b"), id_of("a", "b"));
        assert_ne!(id_of("a", "b"), id_of("a", "c"));
        assert!(id_of("x", "y") >= 0);
    }
}
