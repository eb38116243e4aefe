//! Diagnostic codes of provseal-sigstore: one stable kebab-case code per kind of
//! [`SigstoreError`] and per failed [`Check`], each documented in `docs/diagnostics.md`.
//!
//! [`SigstoreError`]: crate::SigstoreError
//! [`Check`]: crate::Check

provseal_model::stable_ids! {
    /// A stable diagnostic code of provseal-sigstore ([`crate::SigstoreError::code`]).
    Code {
        /// A file could not be read or written.
        Io = "io",
        /// A file could not be read (an I/O error while reading it).
        ReadError = "io-error",
        /// A file is not a regular file.
        NotAFile = "not-a-file",
        /// A file is larger than the limit for its kind.
        InputTooLarge = "input-too-large",
        /// The input is not well-formed.
        Malformed = "sigstore-malformed",
        /// An unknown bundle or trusted-root media type.
        UnsupportedMediaType = "sigstore-unsupported-media-type",
        /// The signature check failed.
        Signature = "sigstore-signature",
        /// The certificate check failed.
        Certificate = "sigstore-certificate",
        /// The signed certificate timestamp check failed.
        Sct = "sigstore-sct",
        /// The transparency log check failed.
        Tlog = "sigstore-tlog",
        /// The timestamp check failed.
        Timestamp = "sigstore-timestamp",
        /// The artifact is not what the bundle signs.
        ArtifactMismatch = "sigstore-artifact-mismatch",
        /// The trusted root is unusable for the bundle.
        TrustRoot = "sigstore-trust-root",
        /// The bundle's structure fails its version's rules.
        Bundle = "sigstore-bundle",
        /// The certificate identity does not satisfy the identity policy.
        IdentityMismatch = "sigstore-identity-mismatch",
        /// A key bundle checked against an identity, or the reverse.
        WrongMaterial = "sigstore-wrong-material",
        /// A malformed regular expression in an identity policy.
        InvalidRegex = "sigstore-invalid-regex",
        /// An unknown Fulcio extension name.
        UnknownField = "sigstore-unknown-field",
        /// A usage error in the conformance-protocol arguments.
        Usage = "usage",
        /// An npm provenance check failed.
        NpmProvenanceMismatch = "npm-provenance-mismatch",
        /// A bundle could not be written.
        Output = "sigstore-output",
    }
}

#[cfg(test)]
provseal_testsupport::documented_ids_test!(Code, "docs/diagnostics.md");
