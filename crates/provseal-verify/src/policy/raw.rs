//! The policy file as written: serde structs with spans, unknown keys rejected.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub(crate) type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    pub version: Option<S<i64>>,
    #[serde(default)]
    pub signers: Vec<S<RawSigner>>,
    pub statement: Option<S<RawStatement>>,
    pub materials: Option<S<RawMaterials>>,
    pub packages: Option<S<RawPackages>>,
    pub drift: Option<S<RawDrift>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSigner {
    pub name: Option<S<String>>,
    pub key: Option<S<String>>,
    pub key_id: Option<S<String>>,
    pub issuer: Option<S<String>>,
    pub issuer_regexp: Option<S<String>>,
    pub identity: Option<S<String>>,
    pub identity_regexp: Option<S<String>>,
    #[serde(default)]
    pub extensions: BTreeMap<S<String>, S<String>>,
    #[serde(default)]
    pub extensions_regexp: BTreeMap<S<String>, S<String>>,
    #[serde(default)]
    pub builders: Vec<S<String>>,
    #[serde(default)]
    pub repositories: Vec<S<String>>,
    #[serde(default)]
    pub refs: Vec<S<String>>,
    #[serde(default)]
    pub branches: Vec<S<String>>,
    #[serde(default)]
    pub tags: Vec<S<String>>,
    #[serde(default)]
    pub versioned_tags: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStatement {
    #[serde(default)]
    pub predicate_types: Vec<S<String>>,
    #[serde(default)]
    pub slsa_versions: Vec<S<String>>,
    pub max_age: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMaterials {
    pub require_snapshot: Option<S<bool>>,
    #[serde(default)]
    pub lockfiles: Vec<S<String>>,
    #[serde(default)]
    pub lockfile_digests: Vec<S<RawLockfileDigest>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLockfileDigest {
    pub name: S<String>,
    pub file: Option<S<String>>,
    pub sha256: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPackages {
    #[serde(default)]
    pub deny: Vec<S<String>>,
    #[serde(default)]
    pub require: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDrift {
    #[serde(default)]
    pub forbid: Vec<S<String>>,
}
