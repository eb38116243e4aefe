//! The signer loader registry: turns a key reference (`--key`) into a [`Signer`].
//!
//! A signer backend is one [`Signer`] implementation plus one [`SignerLoader`] entry in
//! [`SignerRegistry::builtin`] (or, for a backend that lives outside this crate, one
//! [`SignerRegistry::with`] call by the program that wants it).
//!
//! ```
//! use provseal_crypto::{LoadContext, SignerRegistry};
//!
//! let err = SignerRegistry::builtin()
//!     .open("env://PROVSEAL_KEY", &LoadContext::default())
//!     .unwrap_err();
//! assert_eq!(err.to_string(), "key variable `PROVSEAL_KEY` is not set");
//! ```

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::keyref::{redact_pin, KeyRef};
use crate::signer::{load_signer, Signer};

/// Looks up a variable of the caller's environment (the library never reads the process
/// environment itself; the CLI hands it this).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<Zeroizing<Vec<u8>>>;

/// What a loader may need besides the reference: secrets and settings the caller resolved.
#[derive(Default)]
pub struct LoadContext<'a> {
    /// The passphrase of an encrypted key.
    pub passphrase: Option<&'a [u8]>,
    /// The passphrase for a cosign key when `passphrase` is not given (cosign's own variable).
    pub cosign_passphrase: Option<&'a [u8]>,
    /// A PKCS#11 user PIN (wins over the URI's `pin-value`).
    pub pin: Option<Zeroizing<String>>,
    /// The PKCS#11 module used when the URI names none.
    pub pkcs11_module: Option<&'a Path>,
    /// Environment lookup for `env://VAR`; without it, `env://` references fail as unset.
    pub env: Option<EnvLookup<'a>>,
}

/// Never prints secrets.
impl fmt::Debug for LoadContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadContext")
            .field("passphrase", &self.passphrase.map(|_| "[redacted]"))
            .field(
                "cosign_passphrase",
                &self.cosign_passphrase.map(|_| "[redacted]"),
            )
            .field("pin", &self.pin.as_ref().map(|_| "[redacted]"))
            .field("pkcs11_module", &self.pkcs11_module)
            .finish_non_exhaustive()
    }
}

/// Opens signers for the references that start with one prefix (`env://`, `pkcs11:`, …).
pub trait SignerLoader: Send + Sync {
    /// The reference prefix this loader claims, scheme included (`env://`, `pkcs11:`).
    fn prefix(&self) -> &'static str;

    /// Opens the signer for `reference` (given whole, prefix included).
    fn load(&self, reference: &str, ctx: &LoadContext<'_>) -> Result<Box<dyn Signer>, CryptoError>;
}

/// The signer backends a program knows, by reference prefix. A reference no loader claims is a
/// key file path (unless it looks like another `scheme://`, which is refused).
pub struct SignerRegistry {
    loaders: Vec<Box<dyn SignerLoader>>,
}

impl fmt::Debug for SignerRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.loaders.iter().map(|l| l.prefix()))
            .finish()
    }
}

impl SignerRegistry {
    /// The backends built into provseal-crypto: key files, `env://VAR`, `pkcs11:` URIs.
    pub fn builtin() -> Self {
        SignerRegistry {
            loaders: vec![
                Box::new(FileLoader),
                Box::new(EnvLoader),
                Box::new(Pkcs11Loader),
            ],
        }
    }

    /// Adds (or, for a prefix already known, replaces) a loader.
    #[must_use]
    pub fn with(mut self, loader: impl SignerLoader + 'static) -> Self {
        self.loaders.retain(|l| l.prefix() != loader.prefix());
        self.loaders.push(Box::new(loader));
        self
    }

    /// Opens the signer that `reference` names.
    pub fn open(
        &self,
        reference: &str,
        ctx: &LoadContext<'_>,
    ) -> Result<Box<dyn Signer>, CryptoError> {
        if let Some(loader) = self
            .loaders
            .iter()
            .find(|l| reference.starts_with(l.prefix()))
        {
            return loader.load(reference, ctx);
        }
        // Not claimed: a plain path, or a scheme nobody registered (refused, not read as a path).
        KeyRef::from_str(reference)?;
        FileLoader.load(reference, ctx)
    }
}

/// The passphrase for `bytes`: the caller's, or cosign's own for a cosign key.
fn passphrase_for<'a>(bytes: &[u8], ctx: &LoadContext<'a>) -> Option<&'a [u8]> {
    ctx.passphrase.or_else(|| {
        crate::cosign::is_cosign_key(bytes)
            .then_some(ctx.cosign_passphrase)
            .flatten()
    })
}

/// Key files (PEM or DER, encrypted or not, cosign keys): `file://PATH` or a bare path.
struct FileLoader;

impl SignerLoader for FileLoader {
    fn prefix(&self) -> &'static str {
        "file://"
    }

    fn load(&self, reference: &str, ctx: &LoadContext<'_>) -> Result<Box<dyn Signer>, CryptoError> {
        let KeyRef::File(path) = KeyRef::from_str(reference)? else {
            return Err(CryptoError::InvalidKeyRef {
                reference: reference.to_owned(),
                reason: "not a key file path",
            });
        };
        let bytes =
            Zeroizing::new(
                fs_err::read(&path).map_err(|source| CryptoError::KeyUnreadable {
                    path: path.clone(),
                    source,
                })?,
            );
        load_signer(
            &bytes,
            passphrase_for(&bytes, ctx),
            &path.display().to_string(),
        )
    }
}

/// A key held in an environment variable (`env://VAR`), PEM or base64 DER.
struct EnvLoader;

impl SignerLoader for EnvLoader {
    fn prefix(&self) -> &'static str {
        "env://"
    }

    fn load(&self, reference: &str, ctx: &LoadContext<'_>) -> Result<Box<dyn Signer>, CryptoError> {
        let KeyRef::Env(var) = KeyRef::from_str(reference)? else {
            return Err(CryptoError::InvalidKeyRef {
                reference: reference.to_owned(),
                reason: "not an `env://VAR` reference",
            });
        };
        let bytes = ctx
            .env
            .and_then(|lookup| lookup(&var))
            .ok_or_else(|| CryptoError::KeyVariableUnset { var: var.clone() })?;
        load_signer(&bytes, passphrase_for(&bytes, ctx), &format!("env://{var}"))
    }
}

/// A key on a PKCS#11 token (`pkcs11:` URI, RFC 7512).
struct Pkcs11Loader;

impl SignerLoader for Pkcs11Loader {
    fn prefix(&self) -> &'static str {
        "pkcs11:"
    }

    fn load(&self, reference: &str, ctx: &LoadContext<'_>) -> Result<Box<dyn Signer>, CryptoError> {
        let KeyRef::Pkcs11(uri) = KeyRef::from_str(reference)? else {
            return Err(CryptoError::InvalidKeyRef {
                reference: redact_pin(reference),
                reason: "not a `pkcs11:` URI",
            });
        };
        let signer = crate::pkcs11::Pkcs11Signer::open(&uri, ctx.pin.clone(), ctx.pkcs11_module)
            .map_err(|e| CryptoError::SigningDevice(std::sync::Arc::new(e)))?;
        Ok(Box::new(signer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{generate_key, KeyAlgorithm, KeyPairSigner, PublicKey};

    /// A signer that lives only in this test: a stand-in "key service" that holds its keys by
    /// name and counts its signing operations. It plugs in through the trait and one loader.
    #[derive(Debug)]
    struct ServiceSigner {
        key: KeyPairSigner,
        calls: std::sync::atomic::AtomicUsize,
    }

    impl Signer for ServiceSigner {
        fn public_key(&self) -> &PublicKey {
            self.key.public_key()
        }
        fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.key.sign(msg)
        }
    }

    struct ServiceLoader {
        pem: String,
    }

    impl SignerLoader for ServiceLoader {
        fn prefix(&self) -> &'static str {
            "testkms://"
        }
        fn load(
            &self,
            reference: &str,
            _ctx: &LoadContext<'_>,
        ) -> Result<Box<dyn Signer>, CryptoError> {
            if reference != "testkms://release" {
                return Err(CryptoError::InvalidKeyRef {
                    reference: reference.to_owned(),
                    reason: "no such key in the test service",
                });
            }
            Ok(Box::new(ServiceSigner {
                key: crate::load_key_pair(self.pem.as_bytes(), None, reference)?,
                calls: std::sync::atomic::AtomicUsize::new(0),
            }))
        }
    }

    #[test]
    fn a_signer_defined_here_plugs_in_through_one_loader() {
        let key = generate_key(KeyAlgorithm::EcdsaP256, None).unwrap();
        let public = PublicKey::from_pem(&key.public_pem).unwrap();
        let ctx = LoadContext::default();

        // Unknown to the built-in registry: refused, not read as a file path.
        let err = SignerRegistry::builtin()
            .open("testkms://release", &ctx)
            .unwrap_err();
        assert!(matches!(err, CryptoError::InvalidKeyRef { .. }), "{err}");

        let registry = SignerRegistry::builtin().with(ServiceLoader {
            pem: key.private_pem.to_string(),
        });
        let signer = registry.open("testkms://release", &ctx).unwrap();
        assert_eq!(signer.key_id(), public.key_id());
        let sig = signer.sign(b"payload").unwrap();
        public.verify(b"payload", &sig).unwrap();
        assert!(public.verify(b"other", &sig).is_err());
        assert!(matches!(
            registry.open("testkms://other", &ctx),
            Err(CryptoError::InvalidKeyRef { .. })
        ));
        // the built-in backends still answer
        assert!(matches!(
            registry.open("env://NOT_GIVEN", &ctx),
            Err(CryptoError::KeyVariableUnset { .. })
        ));
    }

    #[test]
    fn env_and_file_keys_load_through_the_registry() {
        let key = generate_key(KeyAlgorithm::Ed25519, None).unwrap();
        let pem = key.private_pem.to_string();
        let lookup = |var: &str| (var == "K").then(|| Zeroizing::new(pem.clone().into_bytes()));
        let ctx = LoadContext {
            env: Some(&lookup),
            ..LoadContext::default()
        };
        let registry = SignerRegistry::builtin();
        let signer = registry.open("env://K", &ctx).unwrap();
        assert_eq!(
            signer.key_id(),
            PublicKey::from_pem(&key.public_pem).unwrap().key_id()
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        std::fs::write(&path, &pem).unwrap();
        let from_file = registry
            .open(&format!("file://{}", path.display()), &ctx)
            .unwrap();
        assert_eq!(from_file.key_id(), signer.key_id());
        let missing = dir.path().join("missing.pem");
        assert!(matches!(
            registry.open(&missing.display().to_string(), &ctx),
            Err(CryptoError::KeyUnreadable { .. })
        ));
        assert!(format!("{ctx:?}").contains("LoadContext"));
    }
}
