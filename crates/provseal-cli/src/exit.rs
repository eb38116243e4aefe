//! How the process ends: the one place where an outcome becomes a process exit code (uv's
//! `ExitStatus`). Every library error reaches it through [`Classify`]; nothing else in the binary
//! builds an [`ExitCode`].

use std::process::ExitCode;

pub use provseal_verify::FailureClass;

/// The outcome of one subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done; everything asked about verified.
    Success,
    /// 1: a definite "no" (authenticity or policy), or a build that drifted under `--fail-on-drift`.
    Failure,
    /// 2: bad input or usage; nothing was decided.
    Error,
    /// `run`: the build's own non-zero exit code, passed through (a signal `n` as `128 + n`).
    Build(i32),
}

impl ExitStatus {
    /// The status of a failure of class `class`: input → 2, authenticity and policy → 1.
    pub fn of(class: FailureClass) -> Self {
        match class {
            FailureClass::Input => ExitStatus::Error,
            FailureClass::Authenticity | FailureClass::Policy => ExitStatus::Failure,
        }
    }

    /// The worst of several outcomes: any input error → 2, else any "no" → 1, else 0.
    pub fn worst(classes: impl IntoIterator<Item = Option<FailureClass>>) -> Self {
        classes
            .into_iter()
            .flatten()
            .map(ExitStatus::of)
            .max_by_key(|s| match s {
                ExitStatus::Success => 0,
                ExitStatus::Failure => 1,
                ExitStatus::Error | ExitStatus::Build(_) => 2,
            })
            .unwrap_or(ExitStatus::Success)
    }
}

impl From<ExitStatus> for ExitCode {
    /// The one mapping from outcome to process exit code.
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
            ExitStatus::Build(code) => ExitCode::from(u8::try_from(code).unwrap_or(1).max(1)),
        }
    }
}

/// An error that knows which class of failure it is, and so which exit status it ends with.
pub trait Classify {
    /// Input, authenticity or policy.
    fn class(&self) -> FailureClass;

    /// The exit status this error ends the process with.
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::of(self.class())
    }
}

/// Errors whose crates say only "input or not": not-input is a definite "no" (authenticity).
fn input_or_authenticity(is_input: bool) -> FailureClass {
    if is_input {
        FailureClass::Input
    } else {
        FailureClass::Authenticity
    }
}

impl Classify for provseal_verify::VerifyError {
    fn class(&self) -> FailureClass {
        provseal_verify::VerifyError::class(self)
    }
}

impl Classify for provseal_verify::vsa::VsaError {
    fn class(&self) -> FailureClass {
        input_or_authenticity(self.is_input_error())
    }
}

impl Classify for provseal_sigstore::SigstoreError {
    fn class(&self) -> FailureClass {
        input_or_authenticity(self.is_input_error())
    }
}

/// What the user can do next about a crypto error, in terms of this CLI's flags (the library
/// names concepts; the flags are ours).
pub fn hint(e: &provseal_crypto::CryptoError) -> Option<String> {
    use provseal_crypto::CryptoError as E;
    match e {
        E::PassphraseRequired { .. } => Some(
            "the key is encrypted: pass --passphrase-env VAR (cosign keys also read COSIGN_PASSWORD)"
                .to_owned(),
        ),
        E::KeyVariableUnset { var } => {
            Some(format!("put the PEM (or base64 DER) private key in `{var}`"))
        }
        E::NoKeys => Some("pass --key PUB (the signer's public key)".to_owned()),
        E::SigningDevice(device) => match device.downcast_ref() {
            Some(provseal_crypto::pkcs11::Pkcs11Error::PinRequired { .. }) => Some(
                "pass --pin-env VAR (the variable that holds the PIN), or add `pin-source` to the URI"
                    .to_owned(),
            ),
            _ => None,
        },
        _ => None,
    }
}

/// What the user can do next about a verification failure, in this CLI's flags.
pub fn verify_hint(e: &provseal_verify::VerifyError) -> Option<&'static str> {
    match e {
        provseal_verify::VerifyError::Unsupported { .. } => Some(
            "pass --key PUB (the signer's public key), or --certificate-identity and \
             --certificate-oidc-issuer for Sigstore bundles",
        ),
        provseal_verify::VerifyError::SlsaVerifier {
            code: provseal_verify::diag::Code::SlsaUntrustedBuilder,
            ..
        } => Some("pass --builder-id (the builder you trust; required for GitHub attestations)"),
        _ => None,
    }
}

/// What the user can do next about a keyless signing error.
#[cfg(feature = "keyless")]
pub fn keyless_hint(e: &provseal_keyless::KeylessError) -> Option<String> {
    use provseal_keyless::KeylessError as E;
    match e {
        E::NoToken { .. } => Some(
            "in GitHub Actions grant `permissions: id-token: write`; in GitLab declare `id_tokens: SIGSTORE_ID_TOKEN: {aud: sigstore}`; elsewhere pass --identity-token"
                .to_owned(),
        ),
        E::TokenExpired { .. } => {
            Some("get a fresh token (CI tokens live minutes) and sign again".to_owned())
        }
        E::TokenAudience { .. } => Some("request the token with audience `sigstore`".to_owned()),
        E::SigningConfig { .. } => Some(
            "pass a signing config v0.2 (`cosign signing-config create`) with --signing-config"
                .to_owned(),
        ),
        _ => None,
    }
}

/// The hint for an error chain: from the first error in it whose type has one.
pub fn hint_of(error: &anyhow::Error) -> Option<String> {
    error.chain().find_map(|e| {
        if let Some(e) = e.downcast_ref::<provseal_crypto::CryptoError>() {
            return hint(e);
        }
        #[cfg(feature = "keyless")]
        if let Some(e) = e.downcast_ref::<provseal_keyless::KeylessError>() {
            return keyless_hint(e);
        }
        if let Some(provseal_verify::VerifyError::Unsigned { path }) = e.downcast_ref() {
            let name = path.display();
            return Some(format!(
                "pass its detached signature with --signature SIG (minisign, raw Ed25519/ECDSA, or a Sigstore bundle), or put it beside the statement as `{name}.minisig`, `.sig`, `.sigstore` or `.sigstore.json` (or with `.json` replaced by one of them)"
            ));
        }
        match e.downcast_ref::<provseal_attest::AttestError>() {
            Some(provseal_attest::AttestError::OutputExists { .. }) => {
                Some("pass --force to replace it".to_owned())
            }
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// slsa-verifier mode says "an expected builder id"; the hint names the flag.
    #[test]
    fn untrusted_builder_hint_names_the_flag() {
        let e = provseal_verify::VerifyError::slsa_verifier(
            "p.intoto.jsonl",
            provseal_verify::slsa_verifier::SlsaVerifierError::UntrustedReusableWorkflow {
                expected: "one of slsa-verifier's trusted builders (or an expected builder id)"
                    .into(),
                actual: "x".into(),
            },
        );
        assert_eq!(e.code(), provseal_verify::diag::Code::SlsaUntrustedBuilder);
        assert!(verify_hint(&e).is_some_and(|h| h.starts_with("pass --builder-id")));
    }

    /// The library says "a PIN"; the flag that gives one is the CLI's to name.
    #[test]
    fn pin_required_hint_names_the_flag() {
        let device = provseal_crypto::pkcs11::Pkcs11Error::PinRequired {
            uri: "pkcs11:token=t".into(),
        };
        assert!(!device.to_string().contains("--"), "{device}");
        let e = provseal_crypto::CryptoError::SigningDevice(std::sync::Arc::new(device));
        assert!(hint(&e).is_some_and(|h| h.starts_with("pass --pin-env VAR")));
    }

    #[test]
    fn classes_map_to_codes() {
        assert_eq!(ExitStatus::of(FailureClass::Input), ExitStatus::Error);
        assert_eq!(ExitStatus::of(FailureClass::Policy), ExitStatus::Failure);
        assert_eq!(
            ExitStatus::of(FailureClass::Authenticity),
            ExitStatus::Failure
        );
        assert_eq!(ExitStatus::worst([None, None]), ExitStatus::Success);
        assert_eq!(
            ExitStatus::worst([None, Some(FailureClass::Policy)]),
            ExitStatus::Failure
        );
        assert_eq!(
            ExitStatus::worst([Some(FailureClass::Input), Some(FailureClass::Policy)]),
            ExitStatus::Error
        );
    }
}
