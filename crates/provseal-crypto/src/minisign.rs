//! Detached signatures the seed tools use: minisign `.minisig` files and raw signatures.
//!
//! **minisign** (Ed25519 only). A `.minisig` file has four lines:
//!
//! ```text
//! untrusted comment: <text>
//! base64(alg[2] ‖ keynum[8] ‖ signature[64])
//! trusted comment: <text>
//! base64(global_signature[64])
//! ```
//!
//! `alg` is `ED` for the default *prehashed* mode (Ed25519 over BLAKE2b-512 of the file) or `Ed`
//! for the *legacy* mode (Ed25519 over the whole file); the global signature is Ed25519 over
//! `signature ‖ trusted comment text`, so the trusted comment cannot be changed. A public key
//! file is `untrusted comment: minisign public key <KEYNUM>` and `base64("Ed" ‖ keynum[8] ‖
//! key[32])`, where `<KEYNUM>` is the key number read as a little-endian 64-bit integer in
//! uppercase hex (what `minisign` prints).
//!
//! provseal signs through any [`Signer`] (file key, `env://`, PKCS#11), so a minisign signature
//! can come from an HSM. A provseal key's minisign key number is the first 8 bytes of its key id
//! ([`keynum_for`]).
//!
//! **raw**: the signer's own signature over the file bytes ([`sign_raw`]): Ed25519 64 bytes,
//! ECDSA ASN.1 DER over SHA-256 — what `openssl pkeyutl -verify -rawin` (Ed25519) and
//! `openssl dgst -sha256 -verify` (ECDSA) check.
//!
//! ```
//! use provseal_crypto::minisign::{self, MinisignMode, MinisignPublicKey};
//! # fn demo(signer: &dyn provseal_crypto::Signer) -> Result<(), minisign::MinisignError> {
//! let keynum = minisign::keynum_for(signer.public_key());
//! let sig = minisign::sign(&b"hello\n"[..], signer, keynum, "timestamp:0\tfile:hello",
//!     "signature from provseal", MinisignMode::Prehashed)?;
//! let pk = MinisignPublicKey::new(signer.public_key().clone(), keynum)?;
//! let ok = minisign::verify(&b"hello\n"[..], &sig, &pk)?;
//! assert_eq!(ok.trusted_comment, "timestamp:0\tfile:hello");
//! # Ok(()) }
//! ```

use std::fmt;
use std::io::Read;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use blake2::{Blake2b512, Digest as _};
use der::Decode as _;

use crate::keys::{KeyAlgorithm, PublicKey};
use crate::{CryptoError, Signer};

const UNTRUSTED_PREFIX: &str = "untrusted comment: ";
const TRUSTED_PREFIX: &str = "trusted comment: ";
/// The largest `.minisig` / public key text accepted (minisign's own comment limit is 1 KiB).
const MAX_TEXT: usize = 64 * 1024;

/// Errors of the detached-signature formats.
///
/// Kept beside [`CryptoError`], which has no variants for these formats; key errors are wrapped
/// in [`MinisignError::Crypto`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MinisignError {
    /// The key is not Ed25519 (minisign signs with Ed25519 only).
    #[error("minisign needs an Ed25519 key; key {key_id} is {algorithm}")]
    NotEd25519 {
        /// The key id.
        key_id: String,
        /// Its algorithm.
        algorithm: KeyAlgorithm,
    },
    /// A `.minisig` file or minisign public key is malformed.
    #[error("malformed minisign {what}: {reason}")]
    Malformed {
        /// `signature` or `public key`.
        what: &'static str,
        /// No underlying cause: the line or field at fault (the base64 decoder's error, when
        /// it reported one, is `source`).
        reason: String,
        /// The base64 decoder's error, when it reported one.
        #[source]
        source: Option<base64::DecodeError>,
    },
    /// A comment contains a line break (it would break the file format).
    #[error("the {which} comment must be one line")]
    MultilineComment {
        /// `trusted` or `untrusted`.
        which: &'static str,
    },
    /// The signature was made by another key.
    #[error("the signature was made by minisign key {actual}, not by {expected}")]
    KeyMismatch {
        /// The key number of the key given (uppercase hex, as minisign prints it).
        expected: String,
        /// The key number in the signature.
        actual: String,
    },
    /// The signature over the data does not verify.
    #[error(
        "signature verification failed: the data does not match the signature of key {keynum}"
    )]
    BadSignature {
        /// The key number (uppercase hex).
        keynum: String,
    },
    /// The global signature over the trusted comment does not verify.
    #[error(
        "comment signature verification failed: the trusted comment was changed (key {keynum})"
    )]
    BadCommentSignature {
        /// The key number (uppercase hex).
        keynum: String,
    },
    /// The data could not be read.
    #[error("cannot read the data to sign or verify")]
    Read(#[source] std::io::Error),
    /// An error of provseal's key handling or of the signer.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl MinisignError {
    /// Whether this is a definite "no" about the signature (another key, a signature or
    /// trusted comment that does not verify, the key's own check); every other error is about
    /// the input.
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            MinisignError::BadSignature { .. }
                | MinisignError::BadCommentSignature { .. }
                | MinisignError::KeyMismatch { .. }
                | MinisignError::Crypto(_)
        )
    }
}

/// Whether `bytes` look like a `.minisig` file (start with `untrusted comment: `), for telling
/// minisign signatures from raw ones.
pub fn is_minisig(bytes: &[u8]) -> bool {
    bytes.starts_with(UNTRUSTED_PREFIX.as_bytes())
}

/// Which message minisign signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinisignMode {
    /// `ED`: Ed25519 over BLAKE2b-512 of the data (minisign's default; streams the data).
    Prehashed,
    /// `Ed`: Ed25519 over the whole data (minisign `-l`; the data is held in memory).
    Legacy,
}

impl MinisignMode {
    fn alg(self) -> &'static [u8; 2] {
        match self {
            MinisignMode::Prehashed => b"ED",
            MinisignMode::Legacy => b"Ed",
        }
    }
}

/// A minisign public key: its key number and the Ed25519 key.
#[derive(Clone, PartialEq, Eq)]
pub struct MinisignPublicKey {
    /// The 8-byte key number that ties signatures to the key.
    pub keynum: [u8; 8],
    /// The Ed25519 public key.
    pub key: PublicKey,
}

impl fmt::Debug for MinisignPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MinisignPublicKey")
            .field("keynum", &keynum_hex(self.keynum))
            .field("key", &self.key)
            .finish()
    }
}

/// The key number as minisign prints it: little-endian u64, uppercase hex, no padding.
pub fn keynum_hex(keynum: [u8; 8]) -> String {
    format!("{:X}", u64::from_le_bytes(keynum))
}

/// A provseal key's minisign key number: the first 8 bytes of its key id (SHA-256 of the SPKI).
pub fn keynum_for(key: &PublicKey) -> [u8; 8] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.spki_der());
    let mut keynum = [0u8; 8];
    for (dst, src) in keynum.iter_mut().zip(digest.as_ref()) {
        *dst = *src;
    }
    keynum
}

fn ed25519_raw(key: &PublicKey) -> Result<[u8; 32], MinisignError> {
    if key.algorithm() != KeyAlgorithm::Ed25519 {
        return Err(MinisignError::NotEd25519 {
            key_id: key.key_id(),
            algorithm: key.algorithm(),
        });
    }
    let info = spki::SubjectPublicKeyInfoRef::from_der(key.spki_der()).map_err(|e| {
        CryptoError::InvalidPublicKey {
            input: key.key_id(),
            reason: "not a SubjectPublicKeyInfo".to_owned(),
            source: Some(provseal_model::Cause::new(e)),
        }
    })?;
    info.subject_public_key
        .as_bytes()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| MinisignError::Malformed {
            what: "public key",
            reason: "Ed25519 key is not 32 bytes".to_owned(),
            source: None,
        })
}

fn ed25519_from_raw(raw: &[u8]) -> Result<PublicKey, CryptoError> {
    PublicKey::from_raw(KeyAlgorithm::Ed25519, raw)
}

impl MinisignPublicKey {
    /// Pairs an Ed25519 key with a key number.
    pub fn new(key: PublicKey, keynum: [u8; 8]) -> Result<Self, MinisignError> {
        ed25519_raw(&key)?;
        Ok(MinisignPublicKey { keynum, key })
    }

    /// A provseal key as a minisign key, with the key number [`keynum_for`] derives.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, MinisignError> {
        Self::new(key.clone(), keynum_for(key))
    }

    /// Parses a minisign public key: the file minisign writes (an `untrusted comment:` line
    /// and the base64 line) or the bare base64 string (`minisign -P`).
    pub fn parse(text: &str) -> Result<Self, MinisignError> {
        let bad = |reason: &str| MinisignError::Malformed {
            what: "public key",
            reason: reason.to_owned(),
            source: None,
        };
        if text.len() > MAX_TEXT {
            return Err(bad("longer than 64 KiB"));
        }
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
        let mut line = lines.next().ok_or_else(|| bad("empty"))?;
        if line.starts_with("untrusted comment:") {
            line = lines
                .next()
                .ok_or_else(|| bad("no key line after the comment"))?;
        }
        if lines.any(|l| !l.trim().is_empty()) {
            return Err(bad("unexpected text after the key line"));
        }
        let bytes = STANDARD
            .decode(line.trim())
            .map_err(|e| MinisignError::Malformed {
                what: "public key",
                reason: "key line is not base64".to_owned(),
                source: Some(e),
            })?;
        let (alg, rest) = bytes.split_at_checked(2).ok_or_else(|| bad("too short"))?;
        if alg != b"Ed" {
            return Err(bad("unsupported signature algorithm (expected `Ed`)"));
        }
        if rest.len() != 40 {
            return Err(bad(&format!(
                "expected 42 decoded bytes, got {}",
                bytes.len()
            )));
        }
        let (keynum, raw) = rest.split_at(8);
        let keynum = <[u8; 8]>::try_from(keynum).map_err(|_| bad("bad key number"))?;
        Ok(MinisignPublicKey {
            keynum,
            key: ed25519_from_raw(raw)?,
        })
    }

    /// The public key file exactly as minisign writes it.
    pub fn export(&self) -> Result<String, MinisignError> {
        export(&self.key, self.keynum)
    }
}

/// The minisign public key file for `key` (Ed25519) with `keynum`:
/// `untrusted comment: minisign public key <KEYNUM>\n<base64>\n`.
pub fn export(key: &PublicKey, keynum: [u8; 8]) -> Result<String, MinisignError> {
    let raw = ed25519_raw(key)?;
    let mut bytes = Vec::with_capacity(42);
    bytes.extend_from_slice(b"Ed");
    bytes.extend_from_slice(&keynum);
    bytes.extend_from_slice(&raw);
    Ok(format!(
        "{UNTRUSTED_PREFIX}minisign public key {}\n{}\n",
        keynum_hex(keynum),
        STANDARD.encode(bytes)
    ))
}

/// The trusted comment minisign writes by default: `timestamp:<unix>\tfile:<name>`, with
/// `\thashed` appended in prehashed mode.
pub fn default_trusted_comment(unix_time: u64, file_name: &str, mode: MinisignMode) -> String {
    match mode {
        MinisignMode::Prehashed => format!("timestamp:{unix_time}\tfile:{file_name}\thashed"),
        MinisignMode::Legacy => format!("timestamp:{unix_time}\tfile:{file_name}"),
    }
}

/// The message the data signature covers: BLAKE2b-512 of the data (prehashed) or the data.
fn signed_message(mut data: impl Read, mode: MinisignMode) -> Result<Vec<u8>, MinisignError> {
    match mode {
        MinisignMode::Prehashed => {
            let mut hasher = Blake2b512::new();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = data.read(&mut buf).map_err(MinisignError::Read)?;
                if n == 0 {
                    break;
                }
                hasher.update(buf.get(..n).unwrap_or(&[]));
            }
            Ok(hasher.finalize().to_vec())
        }
        MinisignMode::Legacy => {
            let mut all = Vec::new();
            data.read_to_end(&mut all).map_err(MinisignError::Read)?;
            Ok(all)
        }
    }
}

fn one_line(comment: &str, which: &'static str) -> Result<(), MinisignError> {
    if comment.contains(['\n', '\r']) {
        Err(MinisignError::MultilineComment { which })
    } else {
        Ok(())
    }
}

/// Signs `data` and returns the `.minisig` file text (four lines, trailing newline).
///
/// Two signing operations: the data signature and the global signature over it and the trusted
/// comment. `signer` must hold an Ed25519 key.
pub fn sign(
    data: impl Read,
    signer: &dyn Signer,
    keynum: [u8; 8],
    trusted_comment: &str,
    untrusted_comment: &str,
    mode: MinisignMode,
) -> Result<String, MinisignError> {
    ed25519_raw(signer.public_key())?;
    one_line(trusted_comment, "trusted")?;
    one_line(untrusted_comment, "untrusted")?;
    let message = signed_message(data, mode)?;
    let signature = signer.sign(&message)?;
    if signature.len() != 64 {
        return Err(MinisignError::Malformed {
            what: "signature",
            reason: format!("the signer returned {} bytes, not 64", signature.len()),
            source: None,
        });
    }
    let mut global_msg = Vec::with_capacity(64 + trusted_comment.len());
    global_msg.extend_from_slice(&signature);
    global_msg.extend_from_slice(trusted_comment.as_bytes());
    let global = signer.sign(&global_msg)?;
    let mut sig_line = Vec::with_capacity(74);
    sig_line.extend_from_slice(mode.alg());
    sig_line.extend_from_slice(&keynum);
    sig_line.extend_from_slice(&signature);
    Ok(format!(
        "{UNTRUSTED_PREFIX}{untrusted_comment}\n{}\n{TRUSTED_PREFIX}{trusted_comment}\n{}\n",
        STANDARD.encode(sig_line),
        STANDARD.encode(global)
    ))
}

/// A `.minisig` that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedMinisig {
    /// Prehashed or legacy.
    pub mode: MinisignMode,
    /// The key number in the signature (equal to the key's).
    pub keynum: [u8; 8],
    /// The trusted comment (authenticated).
    pub trusted_comment: String,
    /// The untrusted comment (not authenticated; never base a decision on it).
    pub untrusted_comment: String,
}

/// The parts of a `.minisig` file.
struct ParsedSig {
    mode: MinisignMode,
    keynum: [u8; 8],
    signature: Vec<u8>,
    trusted_comment: String,
    untrusted_comment: String,
    global: Vec<u8>,
}

fn parse_sig(text: &str) -> Result<ParsedSig, MinisignError> {
    let bad = |why: String| MinisignError::Malformed {
        what: "signature",
        reason: why,
        source: None,
    };
    let not_base64 = |line: &str, e: base64::DecodeError| MinisignError::Malformed {
        what: "signature",
        reason: format!("{line} is not base64"),
        source: Some(e),
    };
    if text.len() > MAX_TEXT {
        return Err(bad("longer than 64 KiB".to_owned()));
    }
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let (untrusted, sig_b64, trusted, global_b64) = match lines.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, c, d, rest @ ..] if rest.iter().all(|l| l.trim().is_empty()) => (*a, *b, *c, *d),
        other => {
            return Err(bad(format!(
                "expected 4 lines (untrusted comment, signature, trusted comment, global signature), got {}",
                other.len()
            )))
        }
    };
    let untrusted_comment = untrusted
        .strip_prefix(UNTRUSTED_PREFIX)
        .ok_or_else(|| bad("line 1 does not start with `untrusted comment: `".to_owned()))?;
    let trusted_comment = trusted
        .strip_prefix(TRUSTED_PREFIX)
        .ok_or_else(|| bad("line 3 does not start with `trusted comment: `".to_owned()))?;
    let sig = STANDARD
        .decode(sig_b64.trim())
        .map_err(|e| not_base64("line 2", e))?;
    if sig.len() != 74 {
        return Err(bad(format!(
            "line 2 decodes to {} bytes, expected 74",
            sig.len()
        )));
    }
    let (alg, rest) = sig.split_at(2);
    let mode = match alg {
        b"ED" => MinisignMode::Prehashed,
        b"Ed" => MinisignMode::Legacy,
        _ => {
            return Err(bad(format!(
                "unsupported signature algorithm `{}`",
                String::from_utf8_lossy(alg)
            )))
        }
    };
    let (keynum, signature) = rest.split_at(8);
    let keynum = <[u8; 8]>::try_from(keynum).map_err(|_| bad("bad key number".to_owned()))?;
    let global = STANDARD
        .decode(global_b64.trim())
        .map_err(|e| not_base64("line 4", e))?;
    if global.len() != 64 {
        return Err(bad(format!(
            "line 4 decodes to {} bytes, expected 64",
            global.len()
        )));
    }
    Ok(ParsedSig {
        mode,
        keynum,
        signature: signature.to_vec(),
        trusted_comment: trusted_comment.to_owned(),
        untrusted_comment: untrusted_comment.to_owned(),
        global,
    })
}

/// The key number a `.minisig` names (a hint for choosing the key; [`verify`] checks it).
pub fn signature_keynum(sig_text: &str) -> Result<[u8; 8], MinisignError> {
    Ok(parse_sig(sig_text)?.keynum)
}

/// Verifies a `.minisig` over `data` with `pk`: the key number, the data signature (prehashed
/// or legacy, as the file says) and the global signature over the trusted comment.
pub fn verify(
    data: impl Read,
    sig_text: &str,
    pk: &MinisignPublicKey,
) -> Result<VerifiedMinisig, MinisignError> {
    let parsed = parse_sig(sig_text)?;
    if parsed.keynum != pk.keynum {
        return Err(MinisignError::KeyMismatch {
            expected: keynum_hex(pk.keynum),
            actual: keynum_hex(parsed.keynum),
        });
    }
    let message = signed_message(data, parsed.mode)?;
    let keynum = keynum_hex(pk.keynum);
    pk.key
        .verify(&message, &parsed.signature)
        .map_err(|_| MinisignError::BadSignature {
            keynum: keynum.clone(),
        })?;
    let mut global_msg = parsed.signature.clone();
    global_msg.extend_from_slice(parsed.trusted_comment.as_bytes());
    pk.key
        .verify(&global_msg, &parsed.global)
        .map_err(|_| MinisignError::BadCommentSignature { keynum })?;
    Ok(VerifiedMinisig {
        mode: parsed.mode,
        keynum: parsed.keynum,
        trusted_comment: parsed.trusted_comment,
        untrusted_comment: parsed.untrusted_comment,
    })
}

/// A raw detached signature over `data`: `signer.sign(data)` (Ed25519 64 bytes; ECDSA ASN.1 DER
/// over SHA-256 / SHA-384). The data is read into memory.
pub fn sign_raw(mut data: impl Read, signer: &dyn Signer) -> Result<Vec<u8>, MinisignError> {
    let mut all = Vec::new();
    data.read_to_end(&mut all).map_err(MinisignError::Read)?;
    Ok(signer.sign(&all)?)
}

/// Verifies a raw detached signature (Ed25519 64 bytes; ECDSA DER or raw `r‖s`).
pub fn verify_raw(
    mut data: impl Read,
    signature: &[u8],
    key: &PublicKey,
) -> Result<(), MinisignError> {
    let mut all = Vec::new();
    data.read_to_end(&mut all).map_err(MinisignError::Read)?;
    Ok(key.verify(&all, signature)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A key pair and signatures made by minisign 0.11 (`minisign -G -W`, `-S -t "my tc"`, `-S -l`).
    const PUB: &str = "untrusted comment: minisign public key 3622BC9872246476\nRWR2ZCRymLwiNpwPCL4Epw9MOzXrE3mD1q/gisQQyAvgqe/B0HMFMceL\n";
    const SIG_PREHASHED: &str = "untrusted comment: signature from minisign secret key\nRUR2ZCRymLwiNlSy+eFSBKExk2Ye51uoOHMHGahG6niWgVOYW0D0vwFj76F+cvTLBUsgjp5Gq8LhbVP52X62miuEB0d9tevg9A4=\ntrusted comment: my tc\nEtDW7tg0z0H49uUTcwXklBZXwSr97UEf1Yo7Ehsrzq7kdV09Hc0NaGBH1zaJopXiAZgonE+Sflyo1Qz7J8ujDA==\n";
    const SIG_LEGACY: &str = "untrusted comment: signature from minisign secret key\nRWR2ZCRymLwiNlmX5J2C0peKaFx0MSYtIw/iDhgcdBx0rKJ+CXIG2AwNRnWILYErly29goXeb1Wm43H20oeu30+GTb+Uhl81eA0=\ntrusted comment: timestamp:1795644986\tfile:f\nvb+IvZ/qc27IcL1NlQogjsHd0Dp5lxJTmlOITpbj2rWGbulqNHBiY62P0oP14or4AUK7Sl1CMisabeeUb/8MBQ==\n";

    #[test]
    fn minisign_made_vectors_verify() {
        let pk = MinisignPublicKey::parse(PUB).unwrap();
        assert_eq!(keynum_hex(pk.keynum), "3622BC9872246476");
        assert_eq!(pk.export().unwrap(), PUB);
        let v = verify(&b"hello\n"[..], SIG_PREHASHED, &pk).unwrap();
        assert_eq!(v.mode, MinisignMode::Prehashed);
        assert_eq!(v.trusted_comment, "my tc");
        let v = verify(&b"hello\n"[..], SIG_LEGACY, &pk).unwrap();
        assert_eq!(v.mode, MinisignMode::Legacy);
        assert_eq!(v.trusted_comment, "timestamp:1795644986\tfile:f");
        // The bare base64 form (`minisign -P`).
        let bare = PUB.lines().nth(1).unwrap();
        assert_eq!(MinisignPublicKey::parse(bare).unwrap(), pk);
    }

    #[test]
    fn tampering_fails() {
        let pk = MinisignPublicKey::parse(PUB).unwrap();
        assert!(matches!(
            verify(&b"hello!\n"[..], SIG_PREHASHED, &pk),
            Err(MinisignError::BadSignature { .. })
        ));
        assert!(matches!(
            verify(&b"hello!\n"[..], SIG_LEGACY, &pk),
            Err(MinisignError::BadSignature { .. })
        ));
        let changed = SIG_PREHASHED.replace("my tc", "my tC");
        assert!(matches!(
            verify(&b"hello\n"[..], &changed, &pk),
            Err(MinisignError::BadCommentSignature { .. })
        ));
        // The untrusted comment is not authenticated.
        let changed = SIG_PREHASHED.replace("from minisign", "from someone");
        assert!(verify(&b"hello\n"[..], &changed, &pk).is_ok());
        let mut other = pk.clone();
        other.keynum = [0; 8];
        assert!(matches!(
            verify(&b"hello\n"[..], SIG_PREHASHED, &other),
            Err(MinisignError::KeyMismatch { .. })
        ));
        for bad in [
            "",
            "untrusted comment: x\n",
            "a\nb\nc\nd\n",
            &SIG_PREHASHED.replace("RUR2", "RXR2"),
        ] {
            assert!(matches!(
                verify(&b"hello\n"[..], bad, &pk),
                Err(MinisignError::Malformed { .. })
            ));
        }
    }

    #[test]
    fn detects_minisig_text() {
        assert!(is_minisig(SIG_PREHASHED.as_bytes()));
        assert!(!is_minisig(&[0x30, 0x45, 0x02]));
    }

    #[test]
    fn keynum_hex_drops_leading_zeros_like_minisign() {
        assert_eq!(
            keynum_hex([0x76, 0x64, 0x24, 0x72, 0x98, 0xbc, 0x22, 0x36]),
            "3622BC9872246476"
        );
        assert_eq!(keynum_hex([1, 0, 0, 0, 0, 0, 0, 0]), "1");
    }
}
