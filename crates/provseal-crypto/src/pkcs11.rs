//! PKCS#11 signing: keys that live in an HSM, a smart card or SoftHSM2.
//!
//! A key is named by an RFC 7512 `pkcs11:` URI, for example
//! `pkcs11:token=ci;object=release-key?module-path=/usr/lib/softhsm/libsofthsm2.so`.
//! [`Pkcs11Signer::open`] loads the module, finds the token and the private key, logs in and
//! reads the public key from the token (`CKA_EC_POINT` and `CKA_EC_PARAMS`). The private key
//! never leaves the token: every signature is one `C_Sign` call, and
//! [`Pkcs11Signer::sign_operations`] counts them.
//!
//! Algorithms: ECDSA P-256 and P-384 (`CKM_ECDSA` over a SHA-256 / SHA-384 digest computed on the
//! host; the token's raw `r‖s` is returned as ASN.1 DER like every other [`Signer`]) and Ed25519
//! (`CKM_EDDSA`) where the token supports it.
//!
//! The library never reads the environment: the module path comes from the URI's
//! `module-path` query attribute or from the caller (the CLI passes its default), and the PIN
//! from the caller, the URI's `pin-value` or the file named by `pin-source`.
//!
//! This is the one module of the crate that talks to C code, through the `cryptoki` crate; it
//! needs no `unsafe` of its own.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use crate::keyref::redact_pin;
use crate::keys::{KeyAlgorithm, PublicKey};
use crate::{CryptoError, Signer};

/// DER of the P-256 curve OID (`CKA_EC_PARAMS` of a P-256 key).
const EC_PARAMS_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of the P-384 curve OID.
const EC_PARAMS_P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
/// DER of the Ed25519 OID (RFC 8410), one of the two encodings PKCS#11 3.0 allows.
const EC_PARAMS_ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// DER PrintableString `edwards25519`, the other encoding (SoftHSM2, OpenSC).
const EC_PARAMS_ED25519_NAME: &[u8] = b"\x13\x0cedwards25519";

/// The largest PIN file read through `pin-source`.
const MAX_PIN_FILE: u64 = 4096;

/// Errors of the PKCS#11 backend.
///
/// Kept beside [`CryptoError`] (which has no variant for device errors); errors of key
/// handling inside the crate are wrapped in [`Pkcs11Error::Crypto`]. No variant carries a PIN.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The `pkcs11:` URI is malformed or uses an attribute provseal does not support.
    #[error("invalid PKCS#11 URI `{uri}`: {reason}")]
    InvalidUri {
        /// The URI with any `pin-value` replaced by `[redacted]`.
        uri: String,
        /// No underlying cause: the attribute at fault and the RFC 7512 rule it breaks.
        reason: String,
    },
    /// Neither the URI (`module-path`) nor the caller named a PKCS#11 module.
    #[error("no PKCS#11 module for `{uri}`: add `?module-path=/path/to/module.so` to the URI")]
    NoModule {
        /// The URI (PIN redacted).
        uri: String,
    },
    /// The PKCS#11 module could not be loaded or initialised.
    #[error("cannot load the PKCS#11 module `{module}`")]
    Module {
        /// The module path.
        module: PathBuf,
        /// The underlying error.
        #[source]
        source: CkError,
    },
    /// A PKCS#11 call failed.
    #[error("PKCS#11 {operation} failed for `{uri}`")]
    Device {
        /// What was being done (`C_GetSlotList`, `C_Login`, …).
        operation: &'static str,
        /// The URI (PIN redacted).
        uri: String,
        /// The underlying error.
        #[source]
        source: CkError,
    },
    /// No token matches the URI's token attributes.
    #[error("no PKCS#11 token matches `{uri}` (tokens present: {available})")]
    NoToken {
        /// The URI (PIN redacted).
        uri: String,
        /// The labels of the tokens that are present, or `none`.
        available: String,
    },
    /// More than one token matches and the URI does not say which.
    #[error("{count} PKCS#11 tokens match `{uri}`; add `token=` or `slot-id=` to the URI")]
    AmbiguousToken {
        /// The URI (PIN redacted).
        uri: String,
        /// How many matched.
        count: usize,
    },
    /// No private key on the token matches the URI's object attributes.
    #[error("no private key on the token matches `{uri}`")]
    NoKey {
        /// The URI (PIN redacted).
        uri: String,
    },
    /// More than one private key matches.
    #[error("{count} private keys match `{uri}`; add `object=` or `id=` to the URI")]
    AmbiguousKey {
        /// The URI (PIN redacted).
        uri: String,
        /// How many matched.
        count: usize,
    },
    /// The token needs a login and no PIN was given.
    #[error(
        "the token of `{uri}` needs a PIN (give one with the signer's PIN variable, or `pin-source` or `pin-value` in the URI)"
    )]
    PinRequired {
        /// The URI (PIN redacted).
        uri: String,
    },
    /// The token rejected the PIN.
    #[error("the token of `{uri}` rejected the PIN")]
    WrongPin {
        /// The URI (PIN redacted).
        uri: String,
    },
    /// The PIN file named by `pin-source` could not be read.
    #[error("cannot read the PIN file `{path}`")]
    PinFile {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The token's public key could not be turned into a key provseal uses.
    #[error("unusable public key for `{uri}`: {reason}")]
    PublicKey {
        /// The URI (PIN redacted).
        uri: String,
        /// No underlying cause: what the token lacks or holds twice (a point of the wrong
        /// size, no public key object with the private key's id).
        reason: String,
    },
    /// The key type or curve is not one provseal signs with.
    #[error("unsupported key for `{uri}`: {found}")]
    UnsupportedKey {
        /// The URI (PIN redacted).
        uri: String,
        /// What the token holds.
        found: String,
    },
    /// An error of provseal's key handling.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// A parsed RFC 7512 `pkcs11:` URI (the attributes provseal uses).
///
/// Path attributes select the token (`token`, `manufacturer`, `serial`, `model`, `slot-id`) and
/// the key (`object` = `CKA_LABEL`, `id` = `CKA_ID`, `type`); query attributes give the PIN
/// (`pin-value`, `pin-source`) and the module (`module-path`). Vendor attributes (`x-…`) and
/// the informational `library-*`, `slot-description`, `slot-manufacturer` and `module-name`
/// attributes are accepted and ignored.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `token=`: the token label.
    pub token: Option<String>,
    /// `manufacturer=`: the token manufacturer.
    pub manufacturer: Option<String>,
    /// `serial=`: the token serial number.
    pub serial: Option<String>,
    /// `model=`: the token model.
    pub model: Option<String>,
    /// `slot-id=`: the slot number.
    pub slot_id: Option<u64>,
    /// `object=`: the key label (`CKA_LABEL`).
    pub object: Option<String>,
    /// `id=`: the key id (`CKA_ID`), percent-decoded bytes.
    pub id: Option<Vec<u8>>,
    /// `pin-value=`: the PIN (discouraged; prefer `pin-source` or `--pin-env`).
    pub pin_value: Option<Zeroizing<String>>,
    /// `pin-source=`: a file holding the PIN (`file:/path` or an absolute path).
    pub pin_source: Option<PathBuf>,
    /// `module-path=`: the PKCS#11 module (shared library) to load.
    pub module_path: Option<PathBuf>,
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Uri")
            .field("token", &self.token)
            .field("manufacturer", &self.manufacturer)
            .field("serial", &self.serial)
            .field("model", &self.model)
            .field("slot_id", &self.slot_id)
            .field("object", &self.object)
            .field("id", &self.id.as_ref().map(hex::encode))
            .field("pin_value", &self.pin_value.as_ref().map(|_| "[redacted]"))
            .field("pin_source", &self.pin_source)
            .field("module_path", &self.module_path)
            .finish()
    }
}

fn percent_decode(value: &str, uri: &str, attr: &str) -> Result<Vec<u8>, Pkcs11Error> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex_pair = bytes
                .get(i + 1..i + 3)
                .ok_or_else(|| Pkcs11Error::InvalidUri {
                    uri: redact_pin(uri),
                    reason: format!("`{attr}`: `%` must be followed by two hex digits"),
                })?;
            let decoded = std::str::from_utf8(hex_pair)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Pkcs11Error::InvalidUri {
                    uri: redact_pin(uri),
                    reason: format!("`{attr}`: invalid percent-encoding"),
                })?;
            out.push(decoded);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Ok(out)
}

fn decode_text(value: &str, uri: &str, attr: &str) -> Result<String, Pkcs11Error> {
    String::from_utf8(percent_decode(value, uri, attr)?).map_err(|_| Pkcs11Error::InvalidUri {
        uri: redact_pin(uri),
        reason: format!("`{attr}` is not UTF-8 after percent-decoding"),
    })
}

impl Pkcs11Uri {
    /// Parses a `pkcs11:` URI (RFC 7512). Values are percent-decoded; an attribute given twice,
    /// an unknown standard attribute or a `pin-source` that is not a file is an error.
    pub fn parse(uri: &str) -> Result<Self, Pkcs11Error> {
        let bad = |why: String| Pkcs11Error::InvalidUri {
            uri: redact_pin(uri),
            reason: why,
        };
        let body = uri
            .strip_prefix("pkcs11:")
            .ok_or_else(|| bad("must start with `pkcs11:`".to_owned()))?;
        let (path, query) = match body.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (body, None),
        };
        let mut out = Pkcs11Uri::default();
        let mut seen: Vec<String> = Vec::new();
        let mut check_dup = |name: &str| {
            if seen.iter().any(|s| s == name) {
                Err(bad(format!("attribute `{name}` is given twice")))
            } else {
                seen.push(name.to_owned());
                Ok(())
            }
        };
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| bad(format!("path attribute `{attr}` has no `=`")))?;
            check_dup(name)?;
            match name {
                "token" => out.token = Some(decode_text(value, uri, name)?),
                "manufacturer" => out.manufacturer = Some(decode_text(value, uri, name)?),
                "serial" => out.serial = Some(decode_text(value, uri, name)?),
                "model" => out.model = Some(decode_text(value, uri, name)?),
                "object" => out.object = Some(decode_text(value, uri, name)?),
                "id" => out.id = Some(percent_decode(value, uri, name)?),
                "slot-id" => {
                    let text = decode_text(value, uri, name)?;
                    out.slot_id = Some(text.parse::<u64>().map_err(|_| {
                        bad(format!("`slot-id` must be a decimal number, got `{text}`"))
                    })?);
                }
                "type" => {
                    let text = decode_text(value, uri, name)?;
                    if text != "private" {
                        return Err(bad(format!(
                            "`type={text}`: provseal signs with a private key (`type=private`)"
                        )));
                    }
                }
                "library-manufacturer"
                | "library-description"
                | "library-version"
                | "slot-description"
                | "slot-manufacturer" => {}
                other if other.starts_with("x-") => {}
                other => return Err(bad(format!("unknown path attribute `{other}`"))),
            }
        }
        for attr in query.into_iter().flat_map(|q| q.split('&')) {
            if attr.is_empty() {
                continue;
            }
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| bad(format!("query attribute `{attr}` has no `=`")))?;
            check_dup(name)?;
            match name {
                "pin-value" => {
                    let pin = Zeroizing::new(percent_decode(value, uri, name)?);
                    let pin = std::str::from_utf8(&pin)
                        .map_err(|_| bad("`pin-value` is not UTF-8".to_owned()))?;
                    out.pin_value = Some(Zeroizing::new(pin.to_owned()));
                }
                "pin-source" => {
                    let text = decode_text(value, uri, name)?;
                    let path = match text.strip_prefix("file:") {
                        Some(rest) => rest.strip_prefix("//").unwrap_or(rest).to_owned(),
                        None => text,
                    };
                    if path.starts_with('|') || !path.starts_with('/') {
                        return Err(bad(
                            "`pin-source` must be `file:/absolute/path` or an absolute path"
                                .to_owned(),
                        ));
                    }
                    out.pin_source = Some(PathBuf::from(path));
                }
                "module-path" => {
                    out.module_path = Some(PathBuf::from(decode_text(value, uri, name)?));
                }
                "module-name" => {}
                other if other.starts_with("x-") => {}
                other => return Err(bad(format!("unknown query attribute `{other}`"))),
            }
        }
        Ok(out)
    }
}

impl FromStr for Pkcs11Uri {
    type Err = Pkcs11Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pkcs11Uri::parse(s)
    }
}

/// How the token signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// `CKM_ECDSA` over a host-computed digest; the token returns raw `r‖s`.
    Ecdsa {
        digest: &'static aws_lc_rs::digest::Algorithm,
        field_len: usize,
    },
    /// `CKM_EDDSA` (pure Ed25519).
    Ed25519,
}

/// A [`Signer`] whose private key stays inside a PKCS#11 token.
pub struct Pkcs11Signer {
    uri: String,
    label: Option<String>,
    public_key: PublicKey,
    key_id: String,
    scheme: Scheme,
    key: ObjectHandle,
    session: Mutex<Session>,
    sign_calls: AtomicU64,
    // Keeps the module loaded for as long as the session lives.
    _context: Pkcs11,
}

impl fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("uri", &self.uri)
            .field("label", &self.label)
            .field("algorithm", &self.public_key.algorithm())
            .field("key_id", &self.key_id)
            .field("private_key", &"[in token]")
            .finish()
    }
}

fn device<'a>(operation: &'static str, uri: &'a str) -> impl FnOnce(CkError) -> Pkcs11Error + 'a {
    move |source| Pkcs11Error::Device {
        operation,
        uri: uri.to_owned(),
        source,
    }
}

fn read_pin_file(path: &Path) -> Result<Zeroizing<String>, Pkcs11Error> {
    use std::io::Read as _;
    let pin_err = |source| Pkcs11Error::PinFile {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(pin_err)?;
    // Room for the whole file up front, so no reallocation leaves a PIN copy behind.
    let mut text = Zeroizing::new(String::with_capacity(MAX_PIN_FILE as usize + 1));
    file.take(MAX_PIN_FILE)
        .read_to_string(&mut text)
        .map_err(pin_err)?;
    let trimmed = text.trim_end_matches(['\r', '\n']);
    Ok(Zeroizing::new(trimmed.to_owned()))
}

fn token_matches(ctx: &Pkcs11, slot: Slot, uri: &Pkcs11Uri) -> Result<bool, CkError> {
    if let Some(id) = uri.slot_id {
        if slot.id() != id {
            return Ok(false);
        }
    }
    if uri.token.is_none()
        && uri.manufacturer.is_none()
        && uri.serial.is_none()
        && uri.model.is_none()
    {
        return Ok(true);
    }
    let info = ctx.get_token_info(slot)?;
    let eq =
        |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have.trim_end());
    Ok(eq(&uri.token, info.label())
        && eq(&uri.manufacturer, info.manufacturer_id())
        && eq(&uri.serial, info.serial_number())
        && eq(&uri.model, info.model()))
}

/// Strips the DER OCTET STRING around an EC point when there is one (PKCS#11 says there is;
/// some tokens return the bare point).
fn unwrap_ec_point(value: &[u8], expected_len: usize) -> Option<&[u8]> {
    if value.len() == expected_len {
        return Some(value);
    }
    match value {
        [0x04, len, rest @ ..]
            if usize::from(*len) == expected_len && rest.len() == expected_len =>
        {
            Some(rest)
        }
        [0x04, 0x81, len, rest @ ..]
            if usize::from(*len) == expected_len && rest.len() == expected_len =>
        {
            Some(rest)
        }
        _ => None,
    }
}

/// Encodes one big-endian unsigned integer as DER INTEGER content (minimal, positive).
fn der_uint(bytes: &[u8], out: &mut Vec<u8>) {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let trimmed = bytes.get(start..).unwrap_or(&[]);
    let pad = trimmed.first().is_none_or(|&b| b & 0x80 != 0);
    let len = trimmed.len() + usize::from(pad);
    out.push(0x02);
    push_der_len(len, out);
    if pad {
        out.push(0x00);
    }
    out.extend_from_slice(trimmed);
}

fn push_der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.push(0x81);
        out.push((len & 0xff) as u8);
    }
}

/// Converts a raw `r‖s` ECDSA signature (as PKCS#11 returns it) to ASN.1 DER
/// `SEQUENCE { r INTEGER, s INTEGER }`.
pub fn ecdsa_raw_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) || raw.len() > 132 {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut body = Vec::with_capacity(raw.len() + 8);
    der_uint(r, &mut body);
    der_uint(s, &mut body);
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x30);
    push_der_len(body.len(), &mut out);
    out.extend_from_slice(&body);
    Some(out)
}

impl Pkcs11Signer {
    /// Opens the key named by `uri`.
    ///
    /// `pin` (from `--pin-env`) wins over the URI's `pin-value`, which wins over `pin-source`.
    /// `default_module` is used when the URI has no `module-path` (the CLI passes
    /// `/usr/lib/softhsm/libsofthsm2.so` or its configured module).
    pub fn open(
        uri: &str,
        pin: Option<Zeroizing<String>>,
        default_module: Option<&Path>,
    ) -> Result<Pkcs11Signer, Pkcs11Error> {
        let parsed = Pkcs11Uri::parse(uri)?;
        let shown = redact_pin(uri);
        let module = parsed
            .module_path
            .clone()
            .or_else(|| default_module.map(Path::to_path_buf))
            .ok_or_else(|| Pkcs11Error::NoModule { uri: shown.clone() })?;
        let module_err = |source| Pkcs11Error::Module {
            module: module.clone(),
            source,
        };
        let ctx = Pkcs11::new(&module).map_err(module_err)?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) => {}
            // Another signer in this process initialised the module already.
            Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(module_err(e)),
        }

        let slots = ctx
            .get_slots_with_initialized_token()
            .map_err(device("C_GetSlotList", &shown))?;
        let mut matching = Vec::new();
        for slot in &slots {
            if token_matches(&ctx, *slot, &parsed).map_err(device("C_GetTokenInfo", &shown))? {
                matching.push(*slot);
            }
        }
        let slot = match matching.as_slice() {
            [one] => *one,
            [] => {
                let labels: Vec<String> = slots
                    .iter()
                    .filter_map(|s| ctx.get_token_info(*s).ok())
                    .map(|t| format!("`{}`", t.label().trim_end()))
                    .collect();
                return Err(Pkcs11Error::NoToken {
                    uri: shown,
                    available: if labels.is_empty() {
                        "none".to_owned()
                    } else {
                        labels.join(", ")
                    },
                });
            }
            many => {
                return Err(Pkcs11Error::AmbiguousToken {
                    uri: shown,
                    count: many.len(),
                })
            }
        };
        let token = ctx
            .get_token_info(slot)
            .map_err(device("C_GetTokenInfo", &shown))?;
        let session = ctx
            .open_ro_session(slot)
            .map_err(device("C_OpenSession", &shown))?;

        let pin = match (pin, &parsed.pin_value, &parsed.pin_source) {
            (Some(p), _, _) => Some(p),
            (None, Some(p), _) => Some(p.clone()),
            (None, None, Some(path)) => Some(read_pin_file(path)?),
            (None, None, None) => None,
        };
        if token.login_required() {
            let pin = pin.ok_or_else(|| Pkcs11Error::PinRequired { uri: shown.clone() })?;
            let auth = AuthPin::from(pin.as_str());
            match session.login(UserType::User, Some(&auth)) {
                Ok(()) => {}
                // Login state is per application and token: another session logged in already.
                Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
                Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinInvalid, _)) => {
                    return Err(Pkcs11Error::WrongPin { uri: shown });
                }
                Err(e) => return Err(device("C_Login", &shown)(e)),
            }
        }

        let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
        if let Some(label) = &parsed.object {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        if let Some(id) = &parsed.id {
            template.push(Attribute::Id(id.clone()));
        }
        let keys = session
            .find_objects(&template)
            .map_err(device("C_FindObjects", &shown))?;
        let key = match keys.as_slice() {
            [one] => *one,
            [] => return Err(Pkcs11Error::NoKey { uri: shown }),
            many => {
                return Err(Pkcs11Error::AmbiguousKey {
                    uri: shown,
                    count: many.len(),
                })
            }
        };
        let attrs = session
            .get_attributes(
                key,
                &[
                    AttributeType::KeyType,
                    AttributeType::Id,
                    AttributeType::Label,
                    AttributeType::AlwaysAuthenticate,
                ],
            )
            .map_err(device("C_GetAttributeValue", &shown))?;
        let mut key_type = None;
        let mut key_ckaid = None;
        let mut label = None;
        let mut always_authenticate = false;
        for a in attrs {
            match a {
                Attribute::AlwaysAuthenticate(b) => always_authenticate = b,
                Attribute::KeyType(t) => key_type = Some(t),
                Attribute::Id(id) => key_ckaid = Some(id),
                Attribute::Label(l) => label = Some(String::from_utf8_lossy(&l).into_owned()),
                _ => {}
            }
        }
        let key_type = key_type.ok_or_else(|| Pkcs11Error::UnsupportedKey {
            uri: shown.clone(),
            found: "a key without CKA_KEY_TYPE".to_owned(),
        })?;
        if always_authenticate {
            return Err(Pkcs11Error::UnsupportedKey {
                uri: shown,
                found:
                    "a key that needs the PIN again for every signature (CKA_ALWAYS_AUTHENTICATE)"
                        .to_owned(),
            });
        }
        if key_type != KeyType::EC && key_type != KeyType::EC_EDWARDS {
            return Err(Pkcs11Error::UnsupportedKey {
                uri: shown,
                found: format!("key type {key_type}"),
            });
        }

        let (params, point) =
            Self::public_key_attributes(&session, key, key_ckaid, &label, &shown)?;
        let (algorithm, scheme, point_len) = if params == EC_PARAMS_P256 {
            let scheme = Scheme::Ecdsa {
                digest: &aws_lc_rs::digest::SHA256,
                field_len: 32,
            };
            (KeyAlgorithm::EcdsaP256, scheme, 65)
        } else if params == EC_PARAMS_P384 {
            let scheme = Scheme::Ecdsa {
                digest: &aws_lc_rs::digest::SHA384,
                field_len: 48,
            };
            (KeyAlgorithm::EcdsaP384, scheme, 97)
        } else if params == EC_PARAMS_ED25519_OID || params == EC_PARAMS_ED25519_NAME {
            (KeyAlgorithm::Ed25519, Scheme::Ed25519, 32)
        } else {
            return Err(Pkcs11Error::UnsupportedKey {
                uri: shown,
                found: format!("curve with CKA_EC_PARAMS {}", hex::encode(&params)),
            });
        };
        let raw = unwrap_ec_point(&point, point_len).ok_or_else(|| Pkcs11Error::PublicKey {
            uri: shown.clone(),
            reason: format!(
                "CKA_EC_POINT is {} bytes, expected a {point_len}-byte {algorithm} point",
                point.len()
            ),
        })?;
        let public_key = PublicKey::from_raw(algorithm, raw)?;
        let key_id = public_key.key_id();
        Ok(Pkcs11Signer {
            uri: shown,
            label,
            public_key,
            key_id,
            scheme,
            key,
            session: Mutex::new(session),
            sign_calls: AtomicU64::new(0),
            _context: ctx,
        })
    }

    /// Reads `CKA_EC_PARAMS` and `CKA_EC_POINT` from the public key object that belongs to the
    /// private key (same `CKA_ID`, else same label).
    fn public_key_attributes(
        session: &Session,
        private: ObjectHandle,
        id: Option<Vec<u8>>,
        label: &Option<String>,
        shown: &str,
    ) -> Result<(Vec<u8>, Vec<u8>), Pkcs11Error> {
        let mut template = vec![Attribute::Class(ObjectClass::PUBLIC_KEY)];
        match (id, label) {
            (Some(id), _) if !id.is_empty() => template.push(Attribute::Id(id)),
            (_, Some(label)) => template.push(Attribute::Label(label.as_bytes().to_vec())),
            _ => {
                return Err(Pkcs11Error::PublicKey {
                    uri: shown.to_owned(),
                    reason:
                        "the private key has neither CKA_ID nor CKA_LABEL to find its public key by"
                            .to_owned(),
                })
            }
        }
        let publics = session
            .find_objects(&template)
            .map_err(device("C_FindObjects", shown))?;
        let public = match publics.as_slice() {
            [one] => *one,
            [] => {
                return Err(Pkcs11Error::PublicKey {
                    uri: shown.to_owned(),
                    reason: "no public key object with the private key's CKA_ID / label".to_owned(),
                })
            }
            many => {
                return Err(Pkcs11Error::PublicKey {
                    uri: shown.to_owned(),
                    reason: format!(
                        "{} public key objects share the private key's CKA_ID / label",
                        many.len()
                    ),
                })
            }
        };
        let mut params = None;
        let mut point = None;
        let attrs = session
            .get_attributes(public, &[AttributeType::EcParams, AttributeType::EcPoint])
            .map_err(device("C_GetAttributeValue", shown))?;
        for a in attrs {
            match a {
                Attribute::EcParams(p) => params = Some(p),
                Attribute::EcPoint(p) => point = Some(p),
                _ => {}
            }
        }
        if params.is_none() {
            // Some tokens keep the curve on the private key only.
            let attrs = session
                .get_attributes(private, &[AttributeType::EcParams])
                .map_err(device("C_GetAttributeValue", shown))?;
            params = attrs.into_iter().find_map(|a| match a {
                Attribute::EcParams(p) => Some(p),
                _ => None,
            });
        }
        match (params, point) {
            (Some(params), Some(point)) => Ok((params, point)),
            _ => Err(Pkcs11Error::PublicKey {
                uri: shown.to_owned(),
                reason: "the public key object lacks CKA_EC_PARAMS or CKA_EC_POINT".to_owned(),
            }),
        }
    }

    /// How many signing operations (`C_Sign` calls) this signer has made.
    pub fn sign_operations(&self) -> u64 {
        self.sign_calls.load(Ordering::SeqCst)
    }

    /// The key's label on the token (`CKA_LABEL`), if it has one.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// The URI this signer was opened from, with any PIN redacted.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    fn failed(&self, why: String) -> CryptoError {
        CryptoError::SigningFailed {
            key_id: self.key_id.clone(),
            reason: why,
            source: None,
        }
    }

    /// A `C_Sign` call that the token refused, with the token's error as the cause.
    fn sign_refused(&self, mechanism: &str, source: CkError) -> CryptoError {
        CryptoError::SigningFailed {
            key_id: self.key_id.clone(),
            reason: format!("C_Sign ({mechanism}) failed"),
            source: Some(provseal_model::Cause::new(source)),
        }
    }
}

impl Signer for Pkcs11Signer {
    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn key_id(&self) -> String {
        self.key_id.clone()
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let session = self
            .session
            .lock()
            .map_err(|_| self.failed("the PKCS#11 session lock is poisoned".to_owned()))?;
        let signature = match self.scheme {
            Scheme::Ecdsa { digest, field_len } => {
                let digest = aws_lc_rs::digest::digest(digest, msg);
                self.sign_calls.fetch_add(1, Ordering::SeqCst);
                let raw = session
                    .sign(&Mechanism::Ecdsa, self.key, digest.as_ref())
                    .map_err(|e| self.sign_refused("CKM_ECDSA", e))?;
                if raw.len() != 2 * field_len {
                    return Err(self.failed(format!(
                        "the token returned a {}-byte ECDSA signature, expected {}",
                        raw.len(),
                        2 * field_len
                    )));
                }
                ecdsa_raw_to_der(&raw)
                    .ok_or_else(|| self.failed("cannot DER-encode the signature".to_owned()))?
            }
            Scheme::Ed25519 => {
                self.sign_calls.fetch_add(1, Ordering::SeqCst);
                let mechanism = Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure));
                session
                    .sign(&mechanism, self.key, msg)
                    .map_err(|e| self.sign_refused("CKM_EDDSA", e))?
            }
        };
        drop(session);
        // A token that returns a wrong signature is caught here, not by a verifier later.
        self.public_key.verify(msg, &signature).map_err(|_| {
            self.failed("the token's signature does not verify with its public key".to_owned())
        })?;
        Ok(signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc7512_examples() {
        let u = Pkcs11Uri::parse(
            "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;object=my-key;id=%01%02;slot-id=7?pin-source=file:/etc/token_pin&module-path=/usr/lib/softhsm/libsofthsm2.so",
        )
        .unwrap();
        assert_eq!(u.token.as_deref(), Some("The Software PKCS#11 Softtoken"));
        assert_eq!(u.object.as_deref(), Some("my-key"));
        assert_eq!(u.id.as_deref(), Some(&[1u8, 2][..]));
        assert_eq!(u.slot_id, Some(7));
        assert_eq!(u.pin_source.as_deref(), Some(Path::new("/etc/token_pin")));
        assert_eq!(
            u.module_path.as_deref(),
            Some(Path::new("/usr/lib/softhsm/libsofthsm2.so"))
        );
        assert!(u.pin_value.is_none());
        let v =
            Pkcs11Uri::parse("pkcs11:object=a;type=private;x-vendor=1?pin-value=12%334").unwrap();
        assert_eq!(v.pin_value.as_deref().map(String::as_str), Some("1234"));
        assert_eq!(Pkcs11Uri::parse("pkcs11:").unwrap(), Pkcs11Uri::default());
    }

    #[test]
    fn rejects_bad_uris_without_leaking_the_pin() {
        for bad in [
            "pkcs12:token=a",
            "pkcs11:token",
            "pkcs11:token=a;token=b",
            "pkcs11:bogus=1",
            "pkcs11:id=%zz",
            "pkcs11:id=%1",
            "pkcs11:slot-id=x",
            "pkcs11:type=public",
            "pkcs11:?pin-source=|/bin/echo",
            "pkcs11:?pin-source=relative",
            "pkcs11:object=k?pin-value=s3cret&what=1",
        ] {
            let err = Pkcs11Uri::parse(bad).unwrap_err();
            let text = err.to_string();
            assert!(
                matches!(err, Pkcs11Error::InvalidUri { .. }),
                "{bad}: {text}"
            );
            assert!(!text.contains("s3cret"), "{text}");
        }
        let u = Pkcs11Uri::parse("pkcs11:object=k?pin-value=s3cret").unwrap();
        assert!(!format!("{u:?}").contains("s3cret"));
        assert_eq!(
            redact_pin("pkcs11:object=k?pin-value=s3cret&module-path=/m.so"),
            "pkcs11:object=k?pin-value=[redacted]&module-path=/m.so"
        );
    }

    #[test]
    fn raw_to_der_matches_the_minimal_encoding() {
        let mut raw = [0u8; 64];
        raw[0] = 0x80; // r needs a 0x00 pad
        raw[63] = 0x01; // s is 1
        let der = ecdsa_raw_to_der(&raw).unwrap();
        let mut expect = vec![0x30, 0x26, 0x02, 0x21, 0x00, 0x80];
        expect.extend_from_slice(&[0u8; 31]);
        expect.extend_from_slice(&[0x02, 0x01, 0x01]);
        assert_eq!(der, expect);
        assert_eq!(
            ecdsa_raw_to_der(&[0u8; 4]).unwrap(),
            [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]
        );
        assert!(ecdsa_raw_to_der(&[1, 2, 3]).is_none());
    }

    #[test]
    fn raw_to_der_verifies_with_aws_lc() {
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let kp =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let pk = PublicKey::from_raw(KeyAlgorithm::EcdsaP256, kp.public_key().as_ref()).unwrap();
        for i in 0..32u8 {
            let msg = [i; 5];
            let raw = kp.sign(&rng, &msg).unwrap();
            let der = ecdsa_raw_to_der(raw.as_ref()).unwrap();
            pk.verify(&msg, &der).unwrap();
            assert_eq!(der.first(), Some(&0x30));
        }
    }

    #[test]
    fn ec_point_unwrapping() {
        let point = [0x04u8; 65];
        let mut wrapped = vec![0x04, 65];
        wrapped.extend_from_slice(&point);
        assert_eq!(unwrap_ec_point(&wrapped, 65), Some(&point[..]));
        assert_eq!(unwrap_ec_point(&point, 65), Some(&point[..]));
        let mut wrapped97 = vec![0x04, 0x81, 97];
        wrapped97.extend_from_slice(&[0x04u8; 97]);
        assert_eq!(unwrap_ec_point(&wrapped97, 97).map(<[u8]>::len), Some(97));
        assert_eq!(unwrap_ec_point(&[0x04, 0x20, 1], 32), None);
    }
}
