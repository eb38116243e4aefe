//! Detached signatures: `sign-blob`, `verify-blob`, `key export` (minisign and raw).

use crate::exit::{Classify, ExitStatus};
use std::path::Path;

use anyhow::{anyhow, Context};
use provseal_attest::Overwrite;
use provseal_crypto::minisign::{self, MinisignMode, MinisignPublicKey};
use provseal_crypto::PublicKey;

use crate::args::{BlobFormat, ExportFormat, KeyExportArgs, SignBlobArgs, VerifyBlobArgs};
use crate::{keys, Failure, WithHint};
use provseal_crypto::hash::HashAlgorithm;

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
    let digests = provseal_crypto::hash::hash_reader(data, &[HashAlgorithm::Sha256])
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

/// `provseal verify-blob --bundle`: a Sigstore message-signature bundle over the file.
fn verify_bundle(args: &VerifyBlobArgs, bundle: &Path) -> Result<ExitStatus, Failure> {
    use provseal_sigstore::{ArtifactInput, BundleSigner, ParsedBundle};
    let raw = crate::verify::read_attestation(bundle)?;
    let name = bundle.display().to_string();
    let trust = crate::verify::sigstore_trust(&args.identity)?;
    let key = match &args.key {
        Some(k) => Some(keys::read_public_key(k)?.0),
        None => None,
    };
    let data = open_data(&args.file)?;
    let digests = provseal_crypto::hash::hash_reader(data, &[HashAlgorithm::Sha256])
        .with_context(|| format!("cannot read `{}`", args.file.display()))?;
    let hex = digests.get("sha256").unwrap_or_default().to_owned();
    let artifact = ArtifactInput::Digest {
        alg: "sha256",
        hex: &hex,
    };
    let signer = match (&key, &trust.identity) {
        (Some(k), _) => BundleSigner::Key(k),
        (None, Some(policy)) => BundleSigner::Identity(policy),
        (None, None) => {
            return Err(anyhow!("no signer to check the bundle against")).hint(
                "pass --certificate-identity and --certificate-oidc-issuer (keyless), or --key",
            )
        }
    };
    let result = ParsedBundle::parse(&raw, &name).and_then(|parsed| {
        provseal_sigstore::verify_parsed(
            &parsed,
            Some(&artifact),
            &trust.trusted_root,
            signer,
            &trust.options,
        )
    });
    match result {
        Ok(v) => {
            let who = v
                .identity()
                .map(|i| {
                    format!(
                        "{} (issuer {})",
                        i.san.as_deref().unwrap_or("?"),
                        i.issuer.as_deref().unwrap_or("?")
                    )
                })
                .unwrap_or_else(|| "key".into());
            println!("{}: verified: signed by {who}", args.file.display());
            Ok(ExitStatus::Success)
        }
        Err(e) if e.is_input_error() => Err(Failure::from(
            anyhow::Error::new(e).context(format!("`{name}` cannot be checked")),
        )),
        Err(e) => {
            println!(
                "{}: error[{}]: {}",
                args.file.display(),
                e.code(),
                provseal_model::one_line(&e)
            );
            Ok(ExitStatus::Failure)
        }
    }
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

/// `provseal verify-blob`.
pub fn verify(args: VerifyBlobArgs) -> Result<ExitStatus, Failure> {
    if let Some(bundle) = &args.bundle {
        return verify_bundle(&args, bundle);
    }
    let (Some(key_path), Some(signature)) = (&args.key, &args.signature) else {
        return Err(anyhow!("verify-blob needs --signature and --key, or --bundle").into());
    };
    let (key, minisign_key) = keys::read_public_key(key_path)?;
    let sig = keys::read_small(signature, provseal_crypto::read::InputKind::Signature)
        .context("cannot read the signature")?;
    if sig.first() == Some(&b'{') && std::str::from_utf8(&sig).is_ok() {
        // JSON text is never a raw signature: a Sigstore bundle, or an error.
        let value: serde_json::Value = serde_json::from_slice(&sig)
            .with_context(|| format!("`{}` is not valid JSON", signature.display()))?;
        if !provseal_sigstore::looks_like_bundle(&value) {
            return Err(anyhow!(
                "`{}` is JSON but not a Sigstore bundle (no bundle `mediaType`)",
                signature.display()
            )
            .into());
        }
        return verify_key_signed_bundle(&args, signature, &sig, &value, &key);
    }
    let data = open_data(&args.file)?;
    let result = if minisign::is_minisig(&sig) {
        let text = String::from_utf8(sig)
            .map_err(|_| anyhow!("`{}` is not valid UTF-8", signature.display()))?;
        let pk = match minisign_key {
            Some(k) => k,
            None => MinisignPublicKey::from_public_key(&key)?,
        };
        minisign::verify(data, &text, &pk)
            .map(|v| format!("trusted comment: {}", v.trusted_comment))
    } else {
        minisign::verify_raw(data, &cosign_base64_or_raw(sig), &key)
            .map(|()| "raw signature".to_string())
    };
    match result {
        Ok(detail) => verified(&args.file, &key, &detail),
        Err(minisign::MinisignError::Read(e)) => Err(anyhow::Error::new(e)
            .context(format!("cannot read `{}`", args.file.display()))
            .into()),
        Err(e) if e.exit_status() == ExitStatus::Error => Err(Failure::from(
            anyhow::Error::new(e).context(format!("`{}` is malformed", signature.display())),
        )),
        Err(e) => {
            outln!("{}: {}", args.file.display(), provseal_model::one_line(&e));
            Ok(e.exit_status())
        }
    }
}

/// The one line `verify-blob` prints for a verified file.
fn verified(file: &Path, key: &PublicKey, detail: &str) -> Result<ExitStatus, Failure> {
    outln!(
        "{}: verified: signed by key {} ({detail})",
        file.display(),
        key.key_id().get(..16).unwrap_or_default()
    );
    Ok(ExitStatus::Success)
}

/// cosign's `--output-signature` file is the DER signature in base64 text; a raw signature file
/// holds the bytes themselves (a binary DER or Ed25519 signature is never all base64 text).
fn cosign_base64_or_raw(sig: Vec<u8>) -> Vec<u8> {
    use base64::Engine as _;
    let text = sig.trim_ascii();
    match base64::engine::general_purpose::STANDARD.decode(text) {
        Ok(decoded) if !text.is_empty() => decoded,
        _ => sig,
    }
}

/// `verify-blob` with a key-signed Sigstore bundle as the signature (a message signature over
/// the file, or a DSSE envelope whose statement names the file), checked with `key`. The key
/// alone decides: no log entry or timestamp is needed or trusted. A DSSE bundle needs only the
/// file's digest (hashed streaming, any size); a message signature is over the bytes themselves.
fn verify_key_signed_bundle(
    args: &VerifyBlobArgs,
    signature: &Path,
    bundle: &[u8],
    value: &serde_json::Value,
    key: &PublicKey,
) -> Result<ExitStatus, Failure> {
    use provseal_sigstore::{ArtifactInput, BundleSigner, TrustedRoot, VerifyOptions};
    open_data(&args.file)?;
    let (digest, data);
    let artifact = if value.get("dsseEnvelope").is_some() {
        let set = provseal_crypto::hash::hash_file(
            &args.file,
            &[provseal_crypto::hash::HashAlgorithm::Sha256],
        )
        .with_context(|| format!("cannot read `{}`", args.file.display()))?;
        digest = set.get("sha256").unwrap_or_default().to_string();
        ArtifactInput::Digest {
            alg: "sha256",
            hex: &digest,
        }
    } else {
        data = fs_err::read(&args.file).context("cannot read the file to sign or verify")?;
        ArtifactInput::Bytes(&data)
    };
    let name = signature.display().to_string();
    let trust = TrustedRoot::production().map_err(anyhow::Error::new)?;
    let result = provseal_sigstore::verify_bundle(
        bundle,
        &name,
        &artifact,
        &trust,
        BundleSigner::Key(key),
        &VerifyOptions::default(),
    );
    match result {
        Ok(_) => verified(&args.file, key, &format!("Sigstore bundle `{name}`")),
        Err(e) if e.exit_status() == ExitStatus::Error => Err(Failure::from(anyhow::Error::new(e))),
        Err(e) => {
            outln!("{}: {}", args.file.display(), provseal_model::one_line(&e));
            Ok(e.exit_status())
        }
    }
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
