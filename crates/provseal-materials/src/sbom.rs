//! The CycloneDX 1.6 JSON SBOM writer ([`cyclonedx_json`]). It reads the snapshot only: the
//! materials and the dependency graph the snapshot recorded from the same lockfile bytes
//! ([`crate::Snapshot::graph`]), so the components and the graph cannot disagree.
//!
//! ```
//! use provseal_materials::sbom::{cyclonedx_json, SbomMetadata};
//! use provseal_model::{DigestSet, ResourceDescriptor};
//!
//! let rd = ResourceDescriptor {
//!     uri: Some("pkg:npm/%40scope/name@1.0.0".to_string()),
//!     digest: DigestSet::from_iter([("sha256", "ab".repeat(32))]),
//!     ..ResourceDescriptor::default()
//! };
//! let meta = SbomMetadata {
//!     component_name: "my-app".into(),
//!     component_version: Some("1.2.3".into()),
//!     tool_name: "provseal".into(),
//!     tool_version: "0.1.0".into(),
//!     timestamp: "2026-01-01T00:00:00Z".into(),
//!     serial_number: None,
//! };
//! let json = cyclonedx_json(&[rd], None, &meta).unwrap();
//! let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
//! assert_eq!(v["specVersion"], "1.6");
//! assert_eq!(v["components"][0]["name"], "name");
//! assert_eq!(v["components"][0]["group"], "@scope");
//! ```
//!
//! SBOM mapping decisions: every material with a `pkg:` purl becomes a `library` component whose
//! `bom-ref` is its purl (the same purl from several lockfiles is one component, hashes merged);
//! a lockfile file descriptor becomes a `file` component; other materials (git source, environment
//! variables) are not components. `scope` is `excluded` for a dev dependency, `optional` for an
//! optional one, `required` when the lockfile says it is neither, and absent when unknown. In
//! the dependency graph, the project itself and its local members (npm workspaces, Cargo
//! workspace and path members) are folded into one root node: `metadata.component`.

use std::collections::{BTreeMap, BTreeSet};

use provseal_model::ResourceDescriptor;
use serde::Serialize;
use serde_json::Value;

use crate::lockfile::DependencyGraph;
pub use crate::lockfile::ROOT_REF;
use crate::MaterialsError;

// ---------------------------------------------------------------------------------------------
// CycloneDX 1.6 JSON
// ---------------------------------------------------------------------------------------------

/// What the SBOM says about itself and the project it describes.
#[derive(Debug, Clone)]
pub struct SbomMetadata {
    /// The project (`metadata.component.name`).
    pub component_name: String,
    /// The project's version, if known.
    pub component_version: Option<String>,
    /// The tool that wrote the SBOM (`provseal`).
    pub tool_name: String,
    /// Its version.
    pub tool_version: String,
    /// RFC 3339 UTC time of the snapshot (`2026-01-01T00:00:00Z`).
    pub timestamp: String,
    /// `urn:uuid:…` serial number; `None` derives a name-based (v5) UUID from the SBOM content,
    /// so the same snapshot gives the same serial number.
    pub serial_number: Option<String>,
}

#[derive(Serialize)]
struct Bom<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber")]
    serial_number: String,
    version: u32,
    metadata: BomMetadata<'a>,
    components: Vec<Component>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct BomMetadata<'a> {
    timestamp: &'a str,
    tools: Tools<'a>,
    component: RootComponent<'a>,
}

#[derive(Serialize)]
struct Tools<'a> {
    components: Vec<ToolComponent<'a>>,
}

#[derive(Serialize)]
struct ToolComponent<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct RootComponent<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
}

#[derive(Serialize, Clone)]
struct Component {
    #[serde(rename = "type")]
    type_: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Property {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct Dependency {
    #[serde(rename = "ref")]
    ref_: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

/// The CycloneDX name of a DigestSet algorithm, and the hex length the schema allows.
fn cdx_alg(alg: &str) -> Option<&'static str> {
    Some(match alg {
        "md5" => "MD5",
        "sha1" => "SHA-1",
        "sha256" => "SHA-256",
        "sha384" => "SHA-384",
        "sha512" => "SHA-512",
        "sha3_256" => "SHA3-256",
        "sha3_384" => "SHA3-384",
        "sha3_512" => "SHA3-512",
        _ => return None,
    })
}

fn is_hex_len_ok(s: &str) -> bool {
    matches!(s.len(), 32 | 40 | 64 | 96 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A decoded purl: type, namespace, name, version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlParts {
    /// `npm`, `cargo`, `golang`, `pypi`, …
    pub ptype: String,
    /// The decoded namespace (`@scope`, `github.com/org`), if any.
    pub namespace: Option<String>,
    /// The decoded name.
    pub name: String,
    /// The decoded version, if any.
    pub version: Option<String>,
}

/// Splits a purl (`pkg:type/namespace/name@version?qualifiers#subpath`) into its decoded parts.
/// `None` when it is not a purl.
pub fn parse_purl(purl: &str) -> Option<PurlParts> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split('#').next().unwrap_or_default();
    let rest = rest.split('?').next().unwrap_or_default();
    let (ptype, path) = rest.trim_start_matches('/').split_once('/')?;
    let (path, version) = match path.rfind('@') {
        Some(i) => (
            path.get(..i).unwrap_or_default(),
            Some(percent_decode(path.get(i + 1..).unwrap_or_default())),
        ),
        None => (path, None),
    };
    let path = path.trim_end_matches('/');
    let (namespace, name) = match path.rfind('/') {
        Some(i) => (
            Some(
                path.get(..i)
                    .unwrap_or_default()
                    .split('/')
                    .map(percent_decode)
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
            percent_decode(path.get(i + 1..).unwrap_or_default()),
        ),
        None => (None, percent_decode(path)),
    };
    if ptype.is_empty() || name.is_empty() {
        return None;
    }
    Some(PurlParts {
        ptype: ptype.to_ascii_lowercase(),
        namespace,
        name,
        version,
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn digest_hashes(rd: &ResourceDescriptor) -> Vec<Hash> {
    let mut out = Vec::new();
    {
        for (alg, value) in rd.digest.iter() {
            if let Some(cdx) = cdx_alg(alg) {
                let v = value.to_ascii_lowercase();
                if is_hex_len_ok(&v) {
                    out.push(Hash {
                        alg: cdx,
                        content: v,
                    });
                }
            }
        }
    }
    out
}

fn annotation<'a>(rd: &'a ResourceDescriptor, key: &str) -> Option<&'a Value> {
    rd.annotations.get(key)
}

/// Writes a CycloneDX 1.6 JSON SBOM of `materials` (see the module docs for the mapping), with
/// the `dependencies` section from `graph` when given (edges whose ends are not components are
/// left out). The output is deterministic for the same input.
pub fn cyclonedx_json(
    materials: &[ResourceDescriptor],
    graph: Option<&DependencyGraph>,
    metadata: &SbomMetadata,
) -> Result<Vec<u8>, MaterialsError> {
    // Components keyed by bom-ref, merged.
    let mut comps: BTreeMap<String, Component> = BTreeMap::new();
    let mut scopes: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for rd in materials {
        let hashes = digest_hashes(rd);
        if let Some(parts) = rd.uri.as_deref().and_then(parse_purl) {
            let Some(purl) = rd.uri.clone() else {
                continue;
            };
            let dev = annotation(rd, "dev").and_then(Value::as_bool);
            let optional = annotation(rd, "optional").and_then(Value::as_bool);
            let scope = match (dev, optional) {
                (Some(true), _) => Some("excluded"),
                (_, Some(true)) => Some("optional"),
                (Some(false), _) | (_, Some(false)) => Some("required"),
                _ => None,
            };
            if let Some(s) = scope {
                scopes.entry(purl.clone()).or_default().insert(s);
            }
            let mut props = Vec::new();
            if let Some(Value::String(l)) = annotation(rd, "lockfile") {
                props.push(Property {
                    name: "provseal:lockfile".into(),
                    value: l.clone(),
                });
            }
            if let Some(dh) = rd.digest.get("dirHash") {
                props.push(Property {
                    name: "provseal:dirHash".into(),
                    value: dh.to_string(),
                });
            }
            let group = parts
                .namespace
                .clone()
                .filter(|_| !matches!(parts.ptype.as_str(), "golang"));
            let name = if parts.ptype == "golang" {
                match &parts.namespace {
                    Some(ns) => format!("{ns}/{}", parts.name),
                    None => parts.name.clone(),
                }
            } else {
                parts.name.clone()
            };
            let entry = comps.entry(purl.clone()).or_insert_with(|| Component {
                type_: "library",
                bom_ref: purl.clone(),
                group,
                name,
                version: parts.version.clone(),
                scope: None,
                hashes: Vec::new(),
                purl: Some(purl.clone()),
                properties: Vec::new(),
            });
            merge_hashes(&mut entry.hashes, hashes);
            for p in props {
                if !entry.properties.contains(&p) {
                    entry.properties.push(p);
                }
            }
        } else if rd.uri.is_none() {
            let Some(name) = rd.name.clone() else {
                continue;
            };
            if hashes.is_empty() {
                continue;
            }
            let bom_ref = format!("file:{name}");
            let entry = comps.entry(bom_ref.clone()).or_insert_with(|| Component {
                type_: "file",
                bom_ref,
                group: None,
                name,
                version: None,
                scope: None,
                hashes: Vec::new(),
                purl: None,
                properties: Vec::new(),
            });
            merge_hashes(&mut entry.hashes, hashes);
        }
    }
    for (purl, set) in scopes {
        if let Some(c) = comps.get_mut(&purl) {
            // Required anywhere wins over optional, which wins over excluded (dev).
            c.scope = if set.contains("required") {
                Some("required")
            } else if set.contains("optional") {
                Some("optional")
            } else {
                Some("excluded")
            };
        }
    }
    for c in comps.values_mut() {
        c.hashes.sort();
        c.properties.sort();
    }
    let mut dependencies = Vec::new();
    if let Some(g) = graph {
        let known = |r: &str| r == ROOT_REF || comps.contains_key(r);
        for (from, tos) in &g.edges {
            if !known(from) {
                continue;
            }
            let depends_on: Vec<String> = tos.iter().filter(|t| known(t)).cloned().collect();
            dependencies.push(Dependency {
                ref_: from.clone(),
                depends_on,
            });
        }
    }
    let mut bom = Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: String::new(),
        version: 1,
        metadata: BomMetadata {
            timestamp: &metadata.timestamp,
            tools: Tools {
                components: vec![ToolComponent {
                    type_: "application",
                    name: &metadata.tool_name,
                    version: &metadata.tool_version,
                }],
            },
            component: RootComponent {
                type_: "application",
                bom_ref: ROOT_REF,
                name: &metadata.component_name,
                version: metadata.component_version.as_deref(),
            },
        },
        components: comps.into_values().collect(),
        dependencies,
    };
    let serial = match &metadata.serial_number {
        Some(s) => s.clone(),
        None => {
            let body = serde_json::to_vec(&bom).map_err(|source| MaterialsError::Serialize {
                what: "the SBOM",
                source,
            })?;
            format!(
                "urn:uuid:{}",
                uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, &body)
            )
        }
    };
    bom.serial_number = serial;
    let mut out = serde_json::to_vec_pretty(&bom).map_err(|source| MaterialsError::Serialize {
        what: "the SBOM",
        source,
    })?;
    out.push(b'\n');
    Ok(out)
}

fn merge_hashes(into: &mut Vec<Hash>, new: Vec<Hash>) {
    for h in new {
        if !into.iter().any(|x| x.alg == h.alg) {
            into.push(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_are_split_and_decoded() {
        let p = parse_purl("pkg:npm/%40scope/name@1.0.0?x=1#sub").unwrap();
        assert_eq!(p.ptype, "npm");
        assert_eq!(p.namespace.as_deref(), Some("@scope"));
        assert_eq!(p.name, "name");
        assert_eq!(p.version.as_deref(), Some("1.0.0"));
        let g = parse_purl("pkg:golang/github.com/pkg/errors@v0.9.1").unwrap();
        assert_eq!(g.namespace.as_deref(), Some("github.com/pkg"));
        assert_eq!(g.name, "errors");
        assert_eq!(parse_purl("git+https://x/y"), None);
        assert_eq!(parse_purl("pkg:"), None);
    }
}
