//! Diagnostic codes: every stable kebab-case code provseal-verify reports (verification
//! failures, VSA checks, slsa-verifier mode, policy-file diagnostics), as one enum. Each code is
//! documented in `docs/diagnostics.md`; a test below keeps the two in step.

pub(crate) use provseal_model::stable_ids;

stable_ids! {
    /// A stable diagnostic code (kebab-case in output: [`Code::as_str`]).
    Code {
        /// `attestation-malformed` (see `docs/diagnostics.md`).
        AttestationMalformed = "attestation-malformed",
        /// `signature-invalid` (see `docs/diagnostics.md`).
        SignatureInvalid = "signature-invalid",
        /// `payload-type-unsupported` (see `docs/diagnostics.md`).
        PayloadTypeUnsupported = "payload-type-unsupported",
        /// `statement-invalid` (see `docs/diagnostics.md`).
        StatementInvalid = "statement-invalid",
        /// `attestation-unsupported` (see `docs/diagnostics.md`).
        AttestationUnsupported = "attestation-unsupported",
        /// `subject-not-found` (see `docs/diagnostics.md`).
        SubjectNotFound = "subject-not-found",
        /// `subject-digest-mismatch` (see `docs/diagnostics.md`).
        SubjectDigestMismatch = "subject-digest-mismatch",
        /// `builder-mismatch` (see `docs/diagnostics.md`).
        BuilderMismatch = "builder-mismatch",
        /// `source-mismatch` (see `docs/diagnostics.md`).
        SourceMismatch = "source-mismatch",
        /// `artifact-unreadable` (see `docs/diagnostics.md`).
        ArtifactUnreadable = "artifact-unreadable",
        /// `input-unreadable` (see `docs/diagnostics.md`).
        InputUnreadable = "input-unreadable",
        /// `attestation-unsigned` (see `docs/diagnostics.md`).
        AttestationUnsigned = "attestation-unsigned",
        /// `identity-mismatch` (see `docs/diagnostics.md`).
        IdentityMismatch = "identity-mismatch",
        /// `policy-failed` (see `docs/diagnostics.md`).
        PolicyFailed = "policy-failed",
        /// `vsa-failed` (see `docs/diagnostics.md`).
        VsaFailed = "vsa-failed",
        /// `vsa-malformed` (see `docs/diagnostics.md`).
        VsaMalformed = "vsa-malformed",
        /// `vsa-no-valid-signature` (see `docs/diagnostics.md`).
        VsaNoValidSignature = "vsa-no-valid-signature",
        /// `vsa-predicate-type` (see `docs/diagnostics.md`).
        VsaPredicateType = "vsa-predicate-type",
        /// `vsa-empty-required-field` (see `docs/diagnostics.md`).
        VsaEmptyRequiredField = "vsa-empty-required-field",
        /// `vsa-missing-subject-digest` (see `docs/diagnostics.md`).
        VsaMissingSubjectDigest = "vsa-missing-subject-digest",
        /// `vsa-verifier-id-mismatch` (see `docs/diagnostics.md`).
        VsaVerifierIdMismatch = "vsa-verifier-id-mismatch",
        /// `vsa-resource-uri-mismatch` (see `docs/diagnostics.md`).
        VsaResourceUriMismatch = "vsa-resource-uri-mismatch",
        /// `vsa-verification-result` (see `docs/diagnostics.md`).
        VsaVerificationResult = "vsa-verification-result",
        /// `vsa-verified-levels-mismatch` (see `docs/diagnostics.md`).
        VsaVerifiedLevelsMismatch = "vsa-verified-levels-mismatch",
        /// `vsa-invalid-slsa-level` (see `docs/diagnostics.md`).
        VsaInvalidSlsaLevel = "vsa-invalid-slsa-level",
        /// `vsa-build` (see `docs/diagnostics.md`).
        VsaBuild = "vsa-build",
        /// `slsa-provenance-malformed` (see `docs/diagnostics.md`).
        SlsaProvenanceMalformed = "slsa-provenance-malformed",
        /// `slsa-needs-network` (see `docs/diagnostics.md`).
        SlsaNeedsNetwork = "slsa-needs-network",
        /// `slsa-signature` (see `docs/diagnostics.md`).
        SlsaSignature = "slsa-signature",
        /// `slsa-certificate-invalid` (see `docs/diagnostics.md`).
        SlsaCertificateInvalid = "slsa-certificate-invalid",
        /// `slsa-oidc-issuer` (see `docs/diagnostics.md`).
        SlsaOidcIssuer = "slsa-oidc-issuer",
        /// `slsa-untrusted-builder` (see `docs/diagnostics.md`).
        SlsaUntrustedBuilder = "slsa-untrusted-builder",
        /// `slsa-invalid-ref` (see `docs/diagnostics.md`).
        SlsaInvalidRef = "slsa-invalid-ref",
        /// `slsa-invalid-builder-id` (see `docs/diagnostics.md`).
        SlsaInvalidBuilderId = "slsa-invalid-builder-id",
        /// `slsa-builder-mismatch` (see `docs/diagnostics.md`).
        SlsaBuilderMismatch = "slsa-builder-mismatch",
        /// `slsa-source-mismatch` (see `docs/diagnostics.md`).
        SlsaSourceMismatch = "slsa-source-mismatch",
        /// `slsa-malformed-uri` (see `docs/diagnostics.md`).
        SlsaMalformedUri = "slsa-malformed-uri",
        /// `slsa-provenance-field` (see `docs/diagnostics.md`).
        SlsaProvenanceField = "slsa-provenance-field",
        /// `slsa-subject-not-found` (see `docs/diagnostics.md`).
        SlsaSubjectNotFound = "slsa-subject-not-found",
        /// `slsa-branch-mismatch` (see `docs/diagnostics.md`).
        SlsaBranchMismatch = "slsa-branch-mismatch",
        /// `slsa-tag-mismatch` (see `docs/diagnostics.md`).
        SlsaTagMismatch = "slsa-tag-mismatch",
        /// `slsa-versioned-tag-mismatch` (see `docs/diagnostics.md`).
        SlsaVersionedTagMismatch = "slsa-versioned-tag-mismatch",
        /// `slsa-invalid-semver` (see `docs/diagnostics.md`).
        SlsaInvalidSemver = "slsa-invalid-semver",
        /// `slsa-workflow-input-mismatch` (see `docs/diagnostics.md`).
        SlsaWorkflowInputMismatch = "slsa-workflow-input-mismatch",
        /// `policy-bad-glob` (see `docs/diagnostics.md`).
        PolicyBadGlob = "policy-bad-glob",
        /// `policy-unreadable` (see `docs/diagnostics.md`).
        PolicyUnreadable = "policy-unreadable",
        /// `policy-unknown-key` (see `docs/diagnostics.md`).
        PolicyUnknownKey = "policy-unknown-key",
        /// `policy-type` (see `docs/diagnostics.md`).
        PolicyType = "policy-type",
        /// `policy-syntax` (see `docs/diagnostics.md`).
        PolicySyntax = "policy-syntax",
        /// `policy-conflict` (see `docs/diagnostics.md`).
        PolicyConflict = "policy-conflict",
        /// `policy-bad-regexp` (see `docs/diagnostics.md`).
        PolicyBadRegexp = "policy-bad-regexp",
        /// `policy-unsupported-version` (see `docs/diagnostics.md`).
        PolicyUnsupportedVersion = "policy-unsupported-version",
        /// `policy-no-signers` (see `docs/diagnostics.md`).
        PolicyNoSigners = "policy-no-signers",
        /// `policy-bad-value` (see `docs/diagnostics.md`).
        PolicyBadValue = "policy-bad-value",
        /// `policy-bad-duration` (see `docs/diagnostics.md`).
        PolicyBadDuration = "policy-bad-duration",
        /// `policy-missing-field` (see `docs/diagnostics.md`).
        PolicyMissingField = "policy-missing-field",
        /// `policy-file-unreadable` (see `docs/diagnostics.md`).
        PolicyFileUnreadable = "policy-file-unreadable",
        /// `policy-bad-purl` (see `docs/diagnostics.md`).
        PolicyBadPurl = "policy-bad-purl",
        /// `policy-bad-range` (see `docs/diagnostics.md`).
        PolicyBadRange = "policy-bad-range",
        /// `policy-key-unreadable` (see `docs/diagnostics.md`).
        PolicyKeyUnreadable = "policy-key-unreadable",
    }
}

#[cfg(test)]
provseal_testsupport::documented_ids_test!(Code, "docs/diagnostics.md");
