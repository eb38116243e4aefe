//! Key settings: resolving key references (`env://VAR`, files) and passphrases from the
//! environment, and `provseal key generate`.

use crate::exit::ExitStatus;
use std::path::PathBuf;

use anyhow::{anyhow, Context};
use provseal_crypto::{KeyAlgorithm, LoadContext, PublicKey, Signer, SignerRegistry};
use zeroize::Zeroizing;

use crate::args::{Algorithm, KeyGenerateArgs, SigningArgs};
use crate::{Failure, WithHint};

/// Reads a passphrase from the named environment variable.
pub fn passphrase_from_env(var: Option<&str>) -> Result<Option<Zeroizing<Vec<u8>>>, Failure> {
    let Some(var) = var else { return Ok(None) };
    match std::env::var_os(var) {
        Some(v) => Ok(Some(Zeroizing::new(v.into_encoded_bytes()))),
        None => Err(anyhow!("passphrase variable `{var}` is not set")).hint(format!(
            "export {var} with the key's passphrase, or drop --passphrase-env"
        )),
    }
}

/// Opens the signing key named by `--key` before any work is done (a bad key costs no build).
/// The backends are provseal-crypto's [`SignerRegistry`]; this only resolves the secrets and the
/// environment lookup they may need.
pub fn open_signer(args: &SigningArgs) -> Result<Box<dyn Signer>, Failure> {
    let Some(key) = args.key.as_deref() else {
        return Err(anyhow!("no signing key")).hint("pass --key KEYREF, or --keyless");
    };
    let passphrase = passphrase_from_env(args.passphrase_env.as_deref())?;
    // cosign's own variable, as cosign reads it (used for cosign keys only)
    let cosign_passphrase =
        std::env::var_os("COSIGN_PASSWORD").map(|v| Zeroizing::new(v.into_encoded_bytes()));
    let pin = match &args.pin_env {
        Some(var) => match std::env::var(var) {
            Ok(v) => Some(Zeroizing::new(v)),
            Err(_) => {
                return Err(anyhow!("PIN variable `{var}` is not set"))
                    .hint(format!("export {var} with the token's user PIN"))
            }
        },
        None => None,
    };
    let env = |var: &str| std::env::var_os(var).map(|v| Zeroizing::new(v.into_encoded_bytes()));
    let ctx = LoadContext {
        passphrase: passphrase.as_deref().map(|p| &p[..]),
        cosign_passphrase: cosign_passphrase.as_deref().map(|p| &p[..]),
        pin,
        pkcs11_module: Some(args.pkcs11_module.as_path()),
        env: Some(&env),
    };
    let signer = SignerRegistry::builtin()
        .open(key, &ctx)
        .map_err(Failure::from)?;
    // A key file that others may read: said once it is known to hold a private key.
    if let Ok(provseal_crypto::KeyRef::File(path)) = key.parse() {
        if let Some(exposed) = provseal_crypto::read::exposed_key_file(&path) {
            crate::output::errln!("warning: {exposed}");
        }
    }
    Ok(signer)
}

/// Reads a public key file: SPKI PEM, or a minisign public key (with its key number).
pub fn read_public_key(
    path: &std::path::Path,
) -> Result<
    (
        PublicKey,
        Option<provseal_crypto::minisign::MinisignPublicKey>,
    ),
    Failure,
> {
    let bytes = read_small(path, provseal_crypto::read::InputKind::PublicKey)
        .with_context(|| format!("cannot read key `{}`", path.display()))?;
    Ok(provseal_verify::detached::parse_public_key(
        &bytes,
        &path.display().to_string(),
    )?)
}

/// Loads trusted public keys (SPKI PEM or minisign public key files).
pub fn load_public_keys(paths: &[PathBuf]) -> Result<Vec<PublicKey>, Failure> {
    paths
        .iter()
        .map(|p| read_public_key(p).map(|(key, _)| key))
        .collect()
}

/// `provseal key generate`.
pub fn generate(args: KeyGenerateArgs) -> Result<ExitStatus, Failure> {
    let alg = match args.algorithm {
        Algorithm::Ed25519 => KeyAlgorithm::Ed25519,
        Algorithm::EcdsaP256 => KeyAlgorithm::EcdsaP256,
    };
    let passphrase = passphrase_from_env(args.passphrase_env.as_deref())?;
    if let Some(p) = &passphrase {
        if p.is_empty() {
            return Err(anyhow!(
                "passphrase variable `{}` is empty",
                args.passphrase_env.as_deref().unwrap_or_default()
            )
            .into());
        }
    }
    let key_path = crate::output::with_suffix(&args.out, ".key");
    let pub_path = crate::output::with_suffix(&args.out, ".pub");
    for p in [&key_path, &pub_path] {
        if fs_err::symlink_metadata(p).is_ok() {
            return Err(anyhow!(
                "`{}` exists already; provseal never overwrites a key",
                p.display()
            )
            .into());
        }
    }
    let generated = provseal_crypto::generate_key(alg, passphrase.as_deref().map(|p| &p[..]))?;
    provseal_crypto::write_private_key_file(&key_path, &generated.private_pem)?;
    if let Err(e) = provseal_crypto::write_public_key_file(&pub_path, &generated.public_pem) {
        let _ = fs_err::remove_file(&key_path);
        return Err(e.into());
    }
    note!(
        "wrote `{}` (private, mode 0600{}) and `{}`; key id {}",
        key_path.display(),
        if passphrase.is_some() {
            ", encrypted"
        } else {
            ""
        },
        pub_path.display(),
        generated.key_id
    );
    Ok(ExitStatus::Success)
}

/// A bounded read of a small input (key, signature) for the CLI's messages: an I/O error is the
/// file system's own (which names the path), a size over the limit names the limit.
pub fn read_small(
    path: &std::path::Path,
    kind: provseal_crypto::read::InputKind,
) -> anyhow::Result<Vec<u8>> {
    provseal_crypto::read::read_bounded(path, kind).map_err(|e| match e {
        provseal_crypto::CryptoError::Io { source, .. } => anyhow::Error::new(source),
        e => anyhow::Error::new(e),
    })
}
