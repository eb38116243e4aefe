//! Diagnostic codes of provseal-crypto: one stable kebab-case code per kind of [`CryptoError`]
//! (for `--json` output and `error[CODE]` lines), each documented in `docs/diagnostics.md`.
//!
//! [`CryptoError`]: crate::CryptoError

provseal_model::stable_ids! {
    /// A stable diagnostic code of provseal-crypto ([`crate::CryptoError::code`]).
    Code {
        /// A file could not be read or written.
        Io = "io-error",
        /// A path that must be a regular file is something else.
        NotAFile = "not-a-file",
        /// An input is larger than the limit for its kind.
        TooLarge = "input-too-large",
        /// A file to create exists already.
        FileExists = "file-exists",
        /// A public key could not be parsed.
        PublicKeyInvalid = "public-key-invalid",
        /// An algorithm or curve provseal does not support for the operation.
        KeyAlgorithmUnsupported = "key-algorithm-unsupported",
        /// An encrypted private key and no passphrase.
        KeyPassphraseRequired = "key-passphrase-required",
        /// The passphrase does not decrypt the key.
        KeyPassphraseWrong = "key-passphrase-wrong",
        /// A public key or certificate where a private key is needed.
        KeyNotPrivate = "key-not-private",
        /// A key of a known format with malformed content.
        KeyMalformed = "key-malformed",
        /// Not a key format provseal recognises.
        KeyFormatUnrecognized = "key-format-unrecognized",
        /// A recognised key format provseal does not read.
        KeyFormatUnsupported = "key-format-unsupported",
        /// A key reference (`env://`, `pkcs11:`, path) that is malformed.
        KeyRefInvalid = "key-ref-invalid",
        /// A key reference that cannot be read.
        KeyUnreadable = "key-unreadable",
        /// An `env://VAR` key whose variable is not set.
        KeyVariableUnset = "key-variable-unset",
        /// A signing device (PKCS#11 token) failed.
        SigningDeviceError = "signing-device-error",
        /// No signature verifies with a trusted key.
        SignatureInvalid = "signature-invalid",
        /// No key to verify with.
        KeyMissing = "key-missing",
        /// Signing failed in the backend or the device.
        SigningFailed = "signing-failed",
        /// Key generation or encoding failed.
        KeyGenerationFailed = "key-generation-failed",
        /// An unknown hash algorithm name.
        HashAlgorithmUnknown = "hash-algorithm-unknown",
        /// A hash operation with no algorithm.
        HashAlgorithmMissing = "hash-algorithm-missing",
    }
}

#[cfg(test)]
provseal_testsupport::documented_ids_test!(Code, "docs/diagnostics.md");
