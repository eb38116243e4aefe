//! `ResourceDescriptor`: a reference to an artifact, material or byproduct.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::{DigestSet, ModelError};

/// An in-toto ResourceDescriptor (spec v1): what a subject, a resolved dependency, a builder
/// dependency or a byproduct is.
///
/// Unknown fields are ignored on input; absent, null and empty fields are all `None`/empty and
/// are omitted on output. `content` is raw bytes (base64 in JSON; standard or URL-safe accepted).
///
/// ```
/// use provseal_model::{DigestSet, ResourceDescriptor};
/// let rd = ResourceDescriptor::named("app.tar.gz", [("sha256", "ab".repeat(32))].into_iter().collect());
/// assert!(rd.validate().is_ok());
/// let json = serde_json::to_string(&rd).unwrap();
/// assert_eq!(json, format!(r#"{{"name":"app.tar.gz","digest":{{"sha256":"{}"}}}}"#, "ab".repeat(32)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct ResourceDescriptor {
    /// Machine-readable identifier (a file name, for subjects).
    #[serde(default, skip_serializing_if = "is_blank")]
    pub name: Option<String>,
    /// A URI for the resource (purl, `git+https://…@ref`, …).
    #[serde(default, skip_serializing_if = "is_blank")]
    pub uri: Option<String>,
    /// Digests of the resource.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "DigestSet::is_empty"
    )]
    pub digest: DigestSet,
    /// The resource itself, when small.
    #[serde(
        default,
        with = "crate::b64::opt_bytes",
        skip_serializing_if = "is_blank_bytes"
    )]
    pub content: Option<Vec<u8>>,
    /// Where the resource can be downloaded.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub download_location: Option<String>,
    /// Media type of the resource.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub media_type: Option<String>,
    /// Further information (any JSON values).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Map::is_empty"
    )]
    pub annotations: Map<String, Value>,
}

object_only!(ResourceDescriptor, "resource descriptor");

fn is_blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(str::is_empty)
}

fn is_blank_bytes(v: &Option<Vec<u8>>) -> bool {
    v.as_deref().is_none_or(<[u8]>::is_empty)
}

/// Deserializes `null` as the type's default (proto3 JSON treats null as unset).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn present(v: &Option<String>) -> bool {
    !is_blank(v)
}

impl ResourceDescriptor {
    /// A descriptor with a name and digests (the shape of a statement subject).
    pub fn named(name: impl Into<String>, digest: DigestSet) -> Self {
        Self {
            name: Some(name.into()),
            digest,
            ..Self::default()
        }
    }

    /// A descriptor with a URI and digests (the shape of a material).
    pub fn with_uri(uri: impl Into<String>, digest: DigestSet) -> Self {
        Self {
            uri: Some(uri.into()),
            digest,
            ..Self::default()
        }
    }

    /// Whether every field is absent or empty (the descriptor `{}`).
    pub fn is_empty(&self) -> bool {
        is_blank(&self.name)
            && is_blank(&self.uri)
            && self.digest.is_empty()
            && is_blank_bytes(&self.content)
            && is_blank(&self.download_location)
            && is_blank(&self.media_type)
            && self.annotations.is_empty()
    }

    /// The name, if set and non-empty.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref().filter(|s| !s.is_empty())
    }

    /// The URI, if set and non-empty.
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref().filter(|s| !s.is_empty())
    }

    /// Validates as the in-toto Go reference (`ResourceDescriptor.Validate`): at least one of
    /// `name`, `uri`, `digest`; digests of known algorithms are hex of the right length.
    pub fn validate(&self) -> Result<(), ModelError> {
        self.validate_at("$")
    }

    /// [`ResourceDescriptor::validate`], naming the descriptor `path` in errors.
    pub fn validate_at(&self, path: &str) -> Result<(), ModelError> {
        self.validate_lazy(|| path.to_string())
    }

    /// [`ResourceDescriptor::validate_at`], building the path only for an error.
    pub(crate) fn validate_lazy(&self, path: impl Fn() -> String) -> Result<(), ModelError> {
        if !present(&self.name) && !present(&self.uri) && self.digest.is_empty() {
            return Err(ModelError::EmptyResourceDescriptor { path: path() });
        }
        self.digest
            .check()
            .map_err(|p| p.at(format!("{}.digest", path())))
    }

    /// Parses one descriptor strictly (duplicate keys rejected) and validates it.
    pub fn parse(bytes: &[u8]) -> Result<Self, ModelError> {
        let rd: Self = crate::json::typed_strict(bytes, "resource descriptor", "$")?;
        rd.validate()?;
        Ok(rd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_descriptor_roundtrip() {
        let text = r#"{"name":"theName","uri":"https://example.com","digest":{"alg1":"abc123"},"content":"Ynl0ZXNjb250ZW50","downloadLocation":"https://example.com/test.zip","mediaType":"theMediaType","annotations":{"a1":{"keyNum": 13,"keyStr":"value1"},"a2":{"keyObj":{"subKey":"subVal"}}},"unknown":1}"#;
        let rd = ResourceDescriptor::parse(text.as_bytes()).unwrap();
        assert_eq!(rd.content.as_deref(), Some(&b"bytescontent"[..]));
        assert_eq!(
            rd.download_location.as_deref(),
            Some("https://example.com/test.zip")
        );
        assert_eq!(rd.annotations["a1"]["keyNum"], 13);
        let out = serde_json::to_value(&rd).unwrap();
        assert_eq!(out["content"], "Ynl0ZXNjb250ZW50");
        assert!(out.get("unknown").is_none());
    }

    #[test]
    fn empty_fields_are_omitted_and_nulls_accepted() {
        let rd: ResourceDescriptor = serde_json::from_str(
            r#"{"name":"","uri":null,"digest":null,"annotations":null,"content":null}"#,
        )
        .unwrap();
        assert_eq!(serde_json::to_string(&rd).unwrap(), "{}");
        assert_eq!(
            rd.validate_at("$.subject[0]"),
            Err(ModelError::EmptyResourceDescriptor {
                path: "$.subject[0]".into()
            })
        );
    }

    #[test]
    fn content_accepts_url_safe_base64() {
        let rd: ResourceDescriptor =
            serde_json::from_str(r#"{"name":"x","content":"-_8"}"#).unwrap();
        assert_eq!(rd.content, Some(vec![0xfb, 0xff]));
        assert!(serde_json::from_str::<ResourceDescriptor>(r#"{"content":"!!"}"#).is_err());
    }
}
