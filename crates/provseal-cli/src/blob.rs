//! Detached signatures: `sign-blob`, `verify-blob`, `key export` (minisign and raw). Signing and
//! key export are glue over `provseal-crypto`; verification is decided in `provseal-verify`.

use crate::exit::ExitStatus;
use std::path::Path;

use anyhow::{anyhow, Context};
use provseal_attest::Overwrite;
use provseal_crypto::minisign::{self, MinisignMode};
use provseal_crypto::PublicKey;

use crate::args::{BlobFormat, ExportFormat, KeyExportArgs, SignBlobArgs, VerifyBlobArgs};
use crate::{keys, Failure, WithHint};
use provseal_verify::blob::{verify_blob, BlobError, BlobSignature, BlobVerified};

fn open_data(path: &Path) -> Result<fs_err::File, Failure> {
    let meta = fs_err::metadata(path).context("cannot read the file to sign or verify")?;
    if !meta.is_file() {
        return Err(anyhow!("`{}` is not a file", path.display()).into());
    }
    Ok(fs_err::File::open(path)?)
}

/// `provseal sign-blob --keyless`: a message signature in a Sigstore bundle v0.3, as
/// `cosign sign-blob --bundle` writes it.
#[cfg(feature = "keyless")]
fn sign_keyless(args: &SignBlobArgs) -> Result<ExitStatus, Failure> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| crate::output::with_suffix(&args.file, ".sigstore.json"));
    if !args.force && fs_err::symlink_metadata(&out).is_ok() {
        return Err(anyhow!(
            "`{}` exists already (pass --force to replace it)",
            out.display()
        )
        .into());
    }
    let signer = crate::keyless::open(&args.signing.keyless)?;
    let data = open_data(&args.file)?;
    // The certificate does not depend on the file: fetch it while the file is hashed.
    signer
        .prefetch_certificate(jiff::Timestamp::now())
        .map_err(crate::keyless::failure)?;
    let digests =
        provseal_crypto::hash::hash_reader(data, &[provseal_crypto::hash::HashAlgorithm::Sha256])
            .with_context(|| format!("cannot read `{}`", args.file.display()))?;
    let mut sha256 = [0u8; 32];
    hex::decode_to_slice(digests.get("sha256").unwrap_or_default(), &mut sha256)
        .context("internal: SHA-256 digest")?;
    let signed = signer
        .sign_digest(sha256, jiff::Timestamp::now())
        .map_err(crate::keyless::failure)?;
    crate::keyless::print_identity(&signed, &signer);
    let mut bytes = signed.json;
    bytes.push(b'\n');
    write_signature(args, &out, &bytes, "keyless")
}

/// Writes a signature file atomically (refusing to replace one unless `--force`).
fn write_signature(
    args: &SignBlobArgs,
    out: &Path,
    bytes: &[u8],
    who: &str,
) -> Result<ExitStatus, Failure> {
    let overwrite = if args.force {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    };
    provseal_attest::write_atomic(out, bytes, overwrite)?;
    eprintln!(
        "signed `{}` {who}, wrote `{}`",
        args.file.display(),
        out.display()
    );
    Ok(ExitStatus::Success)
}

/// `provseal sign-blob`.
pub fn sign(args: SignBlobArgs) -> Result<ExitStatus, Failure> {
    #[cfg(feature = "keyless")]
    if args.signing.keyless.keyless {
        return sign_keyless(&args);
    }
    let signer = keys::open_signer(&args.signing)?;
    let data = open_data(&args.file)?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (bytes, default_out) = match args.format {
        BlobFormat::Minisign | BlobFormat::MinisignLegacy => {
            let mode = if matches!(args.format, BlobFormat::Minisign) {
                MinisignMode::Prehashed
            } else {
                MinisignMode::Legacy
            };
            let keynum = minisign::keynum_for(signer.public_key());
            let now = jiff::Timestamp::now().as_second().max(0) as u64;
            let trusted = args
                .trusted_comment
                .clone()
                .unwrap_or_else(|| minisign::default_trusted_comment(now, &name, mode));
            let untrusted = format!(
                "signature from provseal key {}",
                minisign::keynum_hex(keynum)
            );
            let text = minisign::sign(data, signer.as_ref(), keynum, &trusted, &untrusted, mode)?;
            (
                text.into_bytes(),
                crate::output::with_suffix(&args.file, ".minisig"),
            )
        }
        BlobFormat::Raw => (
            minisign::sign_raw(data, signer.as_ref())?,
            crate::output::with_suffix(&args.file, ".sig"),
        ),
    };
    let out = args.out.clone().unwrap_or(default_out);
    write_signature(
        &args,
        &out,
        &bytes,
        &format!("with key {}", signer.key_id()),
    )
}

/// `provseal verify-blob`: the key, signature or bundle and trust resolved here, the decision
/// made by [`provseal_verify::blob::verify_blob`], one line printed.
pub fn verify(args: VerifyBlobArgs) -> Result<ExitStatus, Failure> {
    if let Some(bundle) = &args.bundle {
        let raw = crate::verify::read_attestation(bundle)?;
        let trust = crate::verify::sigstore_trust(&args.identity)?;
        let key = match &args.key {
            Some(k) => Some(keys::read_public_key(k)?.0),
            None => None,
        };
        let signature = BlobSignature::Bundle {
            bytes: &raw,
            path: bundle,
            trust: &trust,
            key: key.as_ref(),
        };
        return report(&args.file, None, verify_blob(&args.file, &signature));
    }
    let (Some(key_path), Some(signature)) = (&args.key, &args.signature) else {
        return Err(anyhow!("verify-blob needs --signature and --key, or --bundle").into());
    };
    let (key, minisign_key) = keys::read_public_key(key_path)?;
    let sig = keys::read_small(signature, provseal_crypto::read::InputKind::Signature)
        .context("cannot read the signature")?;
    let detached = BlobSignature::Detached {
        bytes: &sig,
        path: signature,
        key: &key,
        minisign_key: minisign_key.as_ref(),
    };
    report(&args.file, Some(&key), verify_blob(&args.file, &detached))
}

/// The one line `verify-blob` prints: the signer, or why not (a definite "no" is a line and
/// exit 1; bad input is an error, exit 2).
fn report(
    file: &Path,
    key: Option<&PublicKey>,
    result: Result<BlobVerified, BlobError>,
) -> Result<ExitStatus, Failure> {
    let detail = match result {
        Ok(BlobVerified::Bundle { identity }) => {
            let who = identity
                .map(|(san, issuer)| {
                    format!(
                        "{} (issuer {})",
                        san.as_deref().unwrap_or("?"),
                        issuer.as_deref().unwrap_or("?")
                    )
                })
                .unwrap_or_else(|| "key".into());
            println!("{}: verified: signed by {who}", file.display());
            return Ok(ExitStatus::Success);
        }
        Ok(BlobVerified::Minisign { trusted_comment }) => {
            format!("trusted comment: {trusted_comment}")
        }
        Ok(BlobVerified::Raw) => "raw signature".to_string(),
        Ok(BlobVerified::KeySignedBundle { bundle }) => format!("Sigstore bundle `{bundle}`"),
        Ok(_) => String::new(),
        Err(BlobError::NoSigner) => {
            return Err(anyhow::Error::new(BlobError::NoSigner)).hint(
                "pass --certificate-identity and --certificate-oidc-issuer (keyless), or --key",
            )
        }
        Err(BlobError::BundleRejected(e)) => {
            println!(
                "{}: error[{}]: {}",
                file.display(),
                e.code(),
                provseal_model::one_line(&e)
            );
            return Ok(ExitStatus::Failure);
        }
        Err(e) if e.is_input_error() => return Err(Failure::from(anyhow::Error::new(e))),
        Err(e) => {
            outln!("{}: {}", file.display(), provseal_model::one_line(&e));
            return Ok(ExitStatus::Failure);
        }
    };
    outln!(
        "{}: verified: signed by key {} ({detail})",
        file.display(),
        key.map(|k| k.key_id())
            .unwrap_or_default()
            .get(..16)
            .unwrap_or_default()
    );
    Ok(ExitStatus::Success)
}

/// `provseal key export`.
pub fn export(args: KeyExportArgs) -> Result<ExitStatus, Failure> {
    let (key, minisign_key) = keys::read_public_key(&args.key)?;
    let text = match args.format {
        ExportFormat::Minisign => match minisign_key {
            Some(k) => k.export()?,
            None => minisign::export(&key, minisign::keynum_for(&key))?,
        },
    };
    match &args.out {
        Some(out) => provseal_attest::write_atomic(out, text.as_bytes(), Overwrite::Refuse)?,
        None => out!("{text}"),
    }
    Ok(ExitStatus::Success)
}
