//! The sigstore-conformance client protocol's `verify-bundle` command, as one call.

use std::path::Path;

use crate::artifact::ArtifactInput;
use crate::identity::IdentityPolicy;
use crate::trust::TrustedRoot;
use crate::verify::{verify_bundle, BundleSigner, VerifiedBundle, VerifyOptions};
use crate::SigstoreError;

/// Runs `verify-bundle --bundle B (--certificate-identity I --certificate-oidc-issuer U |
/// --key K) [--trusted-root F] FILE_OR_sha256:DIGEST` exactly as the sigstore-conformance
/// suite passes it. `args` may start with `verify-bundle` or directly with the flags; relative
/// paths resolve against the process's working directory. Without `--trusted-root` the
/// production root shipped inside provseal is used.
///
/// `Ok` means verified (exit 0); [`SigstoreError::is_input_error`] tells usage/malformed
/// (exit 2) from a failed verification (exit 1).
pub fn conformance_verify<S: AsRef<str>>(args: &[S]) -> Result<VerifiedBundle, SigstoreError> {
    let mut it = args.iter().map(AsRef::as_ref).peekable();
    if it.peek() == Some(&"verify-bundle") {
        it.next();
    }
    let (mut bundle, mut identity, mut issuer, mut key, mut root, mut input) =
        (None, None, None, None, None, None);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| {
            it.next()
                .map(str::to_string)
                .ok_or_else(|| SigstoreError::Usage(format!("{flag} needs a value")))
        };
        match a {
            "--bundle" => bundle = Some(value(a)?),
            "--certificate-identity" => identity = Some(value(a)?),
            "--certificate-oidc-issuer" => issuer = Some(value(a)?),
            "--key" => key = Some(value(a)?),
            "--trusted-root" => root = Some(value(a)?),
            s if s.starts_with("--") => {
                return Err(SigstoreError::Usage(format!("unknown option `{s}`")))
            }
            s => {
                if input.replace(s.to_string()).is_some() {
                    return Err(SigstoreError::Usage("more than one artifact given".into()));
                }
            }
        }
    }
    let bundle = bundle.ok_or_else(|| SigstoreError::Usage("--bundle is required".into()))?;
    let input = input.ok_or_else(|| SigstoreError::Usage("FILE_OR_DIGEST is required".into()))?;
    let trust = match &root {
        Some(p) => TrustedRoot::load(Path::new(p))?,
        None => TrustedRoot::production()?,
    };
    let bundle_bytes = fs_err::read(&bundle).map_err(|e| SigstoreError::io(&bundle, e))?;
    let file_bytes;
    let artifact = match ArtifactInput::parse_digest(&input) {
        Some(d) if !Path::new(&input).exists() => d,
        _ => {
            file_bytes = fs_err::read(&input).map_err(|e| SigstoreError::io(&input, e))?;
            ArtifactInput::Bytes(&file_bytes)
        }
    };
    let options = VerifyOptions::default();
    match (identity, issuer, key) {
        (Some(i), Some(u), None) => {
            let policy = IdentityPolicy::exact(&i, &u);
            verify_bundle(
                &bundle_bytes,
                &bundle,
                &artifact,
                &trust,
                BundleSigner::Identity(&policy),
                &options,
            )
        }
        (None, None, Some(k)) => {
            let pem = fs_err::read_to_string(&k).map_err(|e| SigstoreError::io(&k, e))?;
            let der = crate::spki_der_from_pem(&pem, &k)?;
            verify_bundle(
                &bundle_bytes,
                &bundle,
                &artifact,
                &trust,
                BundleSigner::KeyDer(&der),
                &options,
            )
        }
        _ => Err(SigstoreError::Usage(
            "give --certificate-identity and --certificate-oidc-issuer, or --key".into(),
        )),
    }
}
