//! Policy rule ids: every rule `provseal verify --policy` reports, as one enum (stable kebab-case
//! ids in the report, documented in `docs/policy.md`; a test keeps the two in step).

crate::diag::stable_ids! {
    /// The id of one policy rule.
    RuleId {
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
}

#[cfg(test)]
provseal_testsupport::documented_ids_test!(RuleId, "docs/policy.md");
