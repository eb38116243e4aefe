//! Policy rule ids: every rule `provseal verify --policy` reports, as one enum (stable kebab-case
//! ids in the report, documented in `docs/policy.md`; a test keeps the two in step).

use std::fmt;

macro_rules! rule_ids {
    ($($(#[doc = $doc:literal])* $variant:ident = $text:literal,)*) => {
        /// The id of one policy rule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum RuleId {
            $($(#[doc = $doc])* $variant,)*
        }

        impl RuleId {
            /// Every rule id, in evaluation order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant,)*];

            /// The kebab-case id as printed and serialized.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $text,)*
                }
            }
        }
    };
}

rule_ids! {
    /// `signer-trusted` (see `docs/policy.md`).
    SignerTrusted = "signer-trusted",
    /// `builder-allowed` (see `docs/policy.md`).
    BuilderAllowed = "builder-allowed",
    /// `source-repository-allowed` (see `docs/policy.md`).
    SourceRepositoryAllowed = "source-repository-allowed",
    /// `source-ref-allowed` (see `docs/policy.md`).
    SourceRefAllowed = "source-ref-allowed",
    /// `predicate-type-accepted` (see `docs/policy.md`).
    PredicateTypeAccepted = "predicate-type-accepted",
    /// `slsa-version-accepted` (see `docs/policy.md`).
    SlsaVersionAccepted = "slsa-version-accepted",
    /// `materials-snapshot-present` (see `docs/policy.md`).
    MaterialsSnapshotPresent = "materials-snapshot-present",
    /// `lockfile-recorded` (see `docs/policy.md`).
    LockfileRecorded = "lockfile-recorded",
    /// `lockfile-digest` (see `docs/policy.md`).
    LockfileDigest = "lockfile-digest",
    /// `package-denied` (see `docs/policy.md`).
    PackageDenied = "package-denied",
    /// `package-required` (see `docs/policy.md`).
    PackageRequired = "package-required",
    /// `drift-forbidden` (see `docs/policy.md`).
    DriftForbidden = "drift-forbidden",
    /// `max-age` (see `docs/policy.md`).
    MaxAge = "max-age",
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_documented() {
        let docs = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/policy.md"),
        )
        .unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for id in RuleId::ALL {
            assert!(seen.insert(id.as_str()), "`{id}` is used twice");
            assert!(
                docs.contains(&format!("`{id}`")),
                "`{id}` is not in docs/policy.md"
            );
        }
    }
}
