//! Trust material: Sigstore `TrustedRoot` JSON (both media types), GitHub's
//! `trusted_root.jsonl`, and the other trust documents (client trust config, signing config,
//! a certificate authority) for validation.

use std::path::Path;

use base64::Engine as _;
use der::Decode;
use sigstore_verify::trust_root as upstream;

use crate::SigstoreError;

/// `application/vnd.dev.sigstore.trustedroot+json;version=0.1`
pub const TRUSTED_ROOT_V01: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
/// `application/vnd.dev.sigstore.trustedroot.v0.2+json`
pub const TRUSTED_ROOT_V02: &str = "application/vnd.dev.sigstore.trustedroot.v0.2+json";
/// `application/vnd.dev.sigstore.clienttrustconfig.v0.1+json`
pub const CLIENT_TRUST_CONFIG_V01: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";
/// `application/vnd.dev.sigstore.signingconfig.v0.2+json`
pub const SIGNING_CONFIG_V02: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/// Date of the public-good production trusted root shipped inside provseal (the snapshot
/// embedded by `sigstore-trust-root` 0.15.1, byte-identical in content to sigstore-python's
/// embedded `trusted_root.json`, last changed upstream on this date).
pub const PRODUCTION_SNAPSHOT_DATE: &str = "2025-10-21";

const TR: &str = "trusted root";

/// A parsed, validated trusted root, ready to verify bundles (its keys and anchors are
/// prepared once, so verifying many bundles against it costs no re-parsing).
pub struct TrustedRoot {
    pub(crate) inner: upstream::TrustedRoot,
    pub(crate) verifier: sigstore_verify::Verifier,
    source_name: String,
}

impl std::fmt::Debug for TrustedRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedRoot")
            .field("source", &self.source_name)
            .field("tlogs", &self.inner.tlogs.len())
            .field(
                "certificate_authorities",
                &self.inner.certificate_authorities.len(),
            )
            .field("ctlogs", &self.inner.ctlogs.len())
            .field(
                "timestamp_authorities",
                &self.inner.timestamp_authorities.len(),
            )
            .finish()
    }
}

/// Counts of the trust anchors in a root (for `--version -v` and reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustSummary {
    /// Transparency logs (Rekor).
    pub tlogs: usize,
    /// Certificate authorities (Fulcio).
    pub certificate_authorities: usize,
    /// Certificate Transparency logs.
    pub ctlogs: usize,
    /// Timestamp authorities.
    pub timestamp_authorities: usize,
}

impl TrustedRoot {
    /// Parses one `TrustedRoot` JSON document. `source_name` names it in errors.
    pub fn from_json(bytes: &[u8], source_name: &str) -> Result<TrustedRoot, SigstoreError> {
        let value = strict_json(bytes, TR, source_name)?;
        let root = parse_root_value(&value, source_name)?;
        TrustedRoot::from_upstream(root, source_name)
    }

    /// Parses GitHub's `trusted_root.jsonl` (one root per line; blank lines ignored) into one
    /// root holding the union of all lines' anchors.
    pub fn from_jsonl(bytes: &[u8], source_name: &str) -> Result<TrustedRoot, SigstoreError> {
        let mut merged: Option<upstream::TrustedRoot> = None;
        for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let name = format!("{source_name}:{}", i + 1);
            let value = strict_json(line, TR, &name)?;
            let root = parse_root_value(&value, &name)?;
            merged = Some(match merged {
                None => root,
                Some(m) => merge(m, root),
            });
        }
        let root = merged
            .ok_or_else(|| SigstoreError::malformed(TR, source_name, "no trusted root lines"))?;
        TrustedRoot::from_upstream(root, source_name)
    }

    /// Reads a trusted root file: JSONL when it holds more than one JSON line (GitHub's
    /// `trusted_root.jsonl`), otherwise one JSON document.
    pub fn load(path: &Path) -> Result<TrustedRoot, SigstoreError> {
        let bytes = provseal_crypto::read::read_bounded(
            path,
            provseal_crypto::read::InputKind::TrustedRoot,
        )
        .map_err(|e| match e {
            provseal_crypto::CryptoError::Io { path, source } => SigstoreError::Io { path, source },
            e => SigstoreError::Read(e),
        })?;
        let name = path.display().to_string();
        let lines = bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .count();
        let first_line_is_object = bytes
            .split(|b| *b == b'\n')
            .find(|l| !l.iter().all(u8::is_ascii_whitespace))
            .is_some_and(|l| serde_json::from_slice::<serde_json::Value>(l).is_ok());
        if lines > 1 && first_line_is_object {
            TrustedRoot::from_jsonl(&bytes, &name)
        } else {
            TrustedRoot::from_json(&bytes, &name)
        }
    }

    /// The Sigstore public-good production root shipped inside provseal (see
    /// [`PRODUCTION_SNAPSHOT_DATE`]).
    pub fn production() -> Result<TrustedRoot, SigstoreError> {
        TrustedRoot::from_json(
            upstream::SIGSTORE_PRODUCTION_TRUSTED_ROOT.as_bytes(),
            "<embedded production trusted root>",
        )
    }

    /// GitHub's artifact-attestation root shipped inside provseal (no Rekor, no CT: verify its
    /// bundles with [`crate::VerifyOptions::github`]).
    pub fn github() -> Result<TrustedRoot, SigstoreError> {
        TrustedRoot::from_json(
            upstream::SigstoreInstance::GitHub
                .embedded_trusted_root_json()
                .as_bytes(),
            "<embedded GitHub trusted root>",
        )
    }

    /// The name given when loading (a path or label).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// How many anchors of each kind this root holds.
    pub fn summary(&self) -> TrustSummary {
        TrustSummary {
            tlogs: self.inner.tlogs.len(),
            certificate_authorities: self.inner.certificate_authorities.len(),
            ctlogs: self.inner.ctlogs.len(),
            timestamp_authorities: self.inner.timestamp_authorities.len(),
        }
    }

    fn from_upstream(
        root: upstream::TrustedRoot,
        source_name: &str,
    ) -> Result<TrustedRoot, SigstoreError> {
        let verifier = sigstore_verify::Verifier::new(&root)
            .map_err(|e| SigstoreError::malformed_because(TR, source_name, "", e))?;
        Ok(TrustedRoot {
            inner: root,
            verifier,
            source_name: source_name.to_string(),
        })
    }
}

fn merge(mut a: upstream::TrustedRoot, b: upstream::TrustedRoot) -> upstream::TrustedRoot {
    for t in b.tlogs {
        if !a.tlogs.iter().any(|x| x.log_id.key_id == t.log_id.key_id) {
            a.tlogs.push(t);
        }
    }
    for t in b.ctlogs {
        if !a.ctlogs.iter().any(|x| x.log_id.key_id == t.log_id.key_id) {
            a.ctlogs.push(t);
        }
    }
    for c in b.certificate_authorities {
        let same = |x: &upstream::CertificateAuthority| {
            x.cert_chain
                .certificates
                .first()
                .map(|c| c.raw_bytes.as_bytes())
                == c.cert_chain
                    .certificates
                    .first()
                    .map(|c| c.raw_bytes.as_bytes())
        };
        if !a.certificate_authorities.iter().any(same) {
            a.certificate_authorities.push(c);
        }
    }
    for c in b.timestamp_authorities {
        let same = |x: &upstream::TimestampAuthority| {
            x.cert_chain
                .certificates
                .first()
                .map(|c| c.raw_bytes.as_bytes())
                == c.cert_chain
                    .certificates
                    .first()
                    .map(|c| c.raw_bytes.as_bytes())
        };
        if !a.timestamp_authorities.iter().any(same) {
            a.timestamp_authorities.push(c);
        }
    }
    a
}

/// Parse JSON strictly: duplicate keys rejected at any depth.
pub(crate) fn strict_json(
    bytes: &[u8],
    what: &'static str,
    source_name: &str,
) -> Result<serde_json::Value, SigstoreError> {
    crate::json::parse_strict(bytes)
        .map_err(|e| SigstoreError::malformed_because(what, source_name, "", e))
}

fn parse_root_value(
    value: &serde_json::Value,
    source_name: &str,
) -> Result<upstream::TrustedRoot, SigstoreError> {
    let media_type = value
        .get("mediaType")
        .and_then(|v| v.as_str())
        .ok_or_else(|| SigstoreError::malformed(TR, source_name, "missing `mediaType`"))?;
    if media_type != TRUSTED_ROOT_V01 && media_type != TRUSTED_ROOT_V02 {
        return Err(SigstoreError::UnsupportedMediaType {
            what: TR,
            source_name: source_name.to_string(),
            media_type: media_type.to_string(),
        });
    }
    check_validity_windows(value, source_name)?;
    serde_json::from_value::<upstream::TrustedRoot>(value.clone())
        .map_err(|e| SigstoreError::malformed_because(TR, source_name, "", e))
}

/// Every `validFor` present must have a `start` (TimeRange.start is required).
fn check_validity_windows(v: &serde_json::Value, source_name: &str) -> Result<(), SigstoreError> {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                if k == "validFor" {
                    let has_start = child
                        .get("start")
                        .and_then(|s| s.as_str())
                        .is_some_and(|s| !s.is_empty());
                    if !has_start {
                        return Err(SigstoreError::malformed(
                            TR,
                            source_name,
                            "a `validFor` time range has no `start`",
                        ));
                    }
                }
                check_validity_windows(child, source_name)?;
            }
            Ok(())
        }
        serde_json::Value::Array(a) => a
            .iter()
            .try_for_each(|c| check_validity_windows(c, source_name)),
        _ => Ok(()),
    }
}

/// A Sigstore trust document of any supported kind.
#[derive(Debug)]
#[non_exhaustive]
pub enum TrustMaterial {
    /// A `TrustedRoot`.
    TrustedRoot(Box<TrustedRoot>),
    /// A `ClientTrustConfig` (a trusted root plus a signing config).
    ClientTrustConfig(Box<TrustedRoot>),
    /// A `SigningConfig` v0.2 (service URLs only; nothing to verify with).
    SigningConfig,
    /// A bare `CertificateAuthority` object; the number of certificates in its chain.
    CertificateAuthority(usize),
}

/// Parses and validates any Sigstore trust document, detected by its `mediaType` (a bare
/// `CertificateAuthority` has none and is detected by `certChain`).
pub fn parse_trust_material(
    bytes: &[u8],
    source_name: &str,
) -> Result<TrustMaterial, SigstoreError> {
    let value = strict_json(bytes, "trust material", source_name)?;
    let media_type = value.get("mediaType").and_then(|v| v.as_str());
    match media_type {
        Some(TRUSTED_ROOT_V01) | Some(TRUSTED_ROOT_V02) => Ok(TrustMaterial::TrustedRoot(
            Box::new(TrustedRoot::from_json(bytes, source_name)?),
        )),
        Some(CLIENT_TRUST_CONFIG_V01) => {
            let root = value
                .get("trustedRoot")
                .or_else(|| value.get("trusted_root"))
                .ok_or_else(|| {
                    SigstoreError::malformed(
                        "client trust config",
                        source_name,
                        "missing `trustedRoot`",
                    )
                })?;
            let sc = value
                .get("signingConfig")
                .or_else(|| value.get("signing_config"))
                .ok_or_else(|| {
                    SigstoreError::malformed(
                        "client trust config",
                        source_name,
                        "missing `signingConfig`",
                    )
                })?;
            parse_signing_config(sc, source_name)?;
            let root = parse_root_value(root, source_name)?;
            Ok(TrustMaterial::ClientTrustConfig(Box::new(
                TrustedRoot::from_upstream(root, source_name)?,
            )))
        }
        Some(SIGNING_CONFIG_V02) => {
            parse_signing_config(&value, source_name)?;
            Ok(TrustMaterial::SigningConfig)
        }
        Some(other) => Err(SigstoreError::UnsupportedMediaType {
            what: "trust material",
            source_name: source_name.to_string(),
            media_type: other.to_string(),
        }),
        None if value.get("certChain").is_some() => {
            let certs = value
                .pointer("/certChain/certificates")
                .and_then(|c| c.as_array())
                .ok_or_else(|| {
                    SigstoreError::malformed(
                        "certificate authority",
                        source_name,
                        "missing `certChain.certificates`",
                    )
                })?;
            if certs.is_empty() {
                return Err(SigstoreError::malformed(
                    "certificate authority",
                    source_name,
                    "certificate chain is empty",
                ));
            }
            for (i, c) in certs.iter().enumerate() {
                let der = c
                    .get("rawBytes")
                    .and_then(|r| r.as_str())
                    .and_then(|r| base64::engine::general_purpose::STANDARD.decode(r).ok())
                    .ok_or_else(|| {
                        SigstoreError::malformed(
                            "certificate authority",
                            source_name,
                            format!("certificate {i}: missing or invalid base64 `rawBytes`"),
                        )
                    })?;
                x509_cert::Certificate::from_der(&der).map_err(|e| {
                    SigstoreError::malformed_by(
                        "certificate authority",
                        source_name,
                        format!("certificate {i}"),
                        e,
                    )
                })?;
            }
            Ok(TrustMaterial::CertificateAuthority(certs.len()))
        }
        None => Err(SigstoreError::malformed(
            "trust material",
            source_name,
            "missing `mediaType`",
        )),
    }
}

fn parse_signing_config(v: &serde_json::Value, source_name: &str) -> Result<(), SigstoreError> {
    let text = v.to_string();
    upstream::SigningConfig::from_json(&text)
        .map(|_| ())
        .map_err(|e| SigstoreError::malformed_because("signing config", source_name, "", e))
}
