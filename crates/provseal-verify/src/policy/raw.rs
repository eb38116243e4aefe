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

/// The keys a serde struct accepts, read from its own `Deserialize` impl: the one schema is
/// these structs, and the unknown-key check asks them rather than repeating their fields.
pub(crate) fn fields_of<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::Visitor;

    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field probe")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }

    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            *self.0 = fields;
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_from_the_structs() {
        assert_eq!(fields_of::<RawDrift>(), ["forbid"]);
        assert_eq!(
            fields_of::<RawPolicy>(),
            [
                "version",
                "signers",
                "statement",
                "materials",
                "packages",
                "drift"
            ]
        );
        assert!(fields_of::<RawSigner>().contains(&"identity_regexp"));
    }
}
