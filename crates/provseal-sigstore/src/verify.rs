//! Bundle parsing and offline verification.

use std::collections::BTreeMap;

use base64::Engine as _;
use der::Decode;
use sigstore_verify::types as st;

use crate::artifact::{match_subjects, ArtifactInput, SignedSubject};
use crate::error::{from_upstream, Check};
use crate::identity::{IdentityPolicy, SignerIdentity};
use crate::trust::TrustedRoot;
use crate::SigstoreError;

/// Bundle media types this crate reads.
pub const BUNDLE_MEDIA_TYPES: [&str; 5] = [
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.dev.sigstore.bundle.v0.3.1+json",
];

/// The in-toto DSSE payload type.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// At most this many RFC 3161 timestamps in one bundle (sigstore-python's limit).
pub const MAX_TIMESTAMPS: usize = 32;

const BUNDLE: &str = "bundle";

/// Whether the transparency-log entry must be verified for keyless bundles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlogRequirement {
    /// Inclusion proof + checkpoint (or SET for v0.1) must verify (default).
    #[default]
    Require,
    /// Do not verify log inclusion (GitHub's private-repository attestations have no public
    /// log). SETs present are still verified before their time is used, and entries present
    /// must still describe this bundle.
    Skip,
}

/// Whether the certificate's embedded SCT must verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SctRequirement {
    /// The SCT must verify against a CT log of the trusted root (default).
    #[default]
    Require,
    /// Skip the SCT (GitHub's instance issues certificates without public CT).
    Skip,
}

/// Whether a key-signed bundle must carry a verified log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyTlog {
    /// Log entries present are verified; a bundle with none (provseal's own key-signed
    /// bundles, `tlogEntries: []`) is accepted on the key alone (default).
    #[default]
    IfPresent,
    /// At least one verified log entry is required.
    Require,
}

/// Options for [`verify_bundle`].
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Log-inclusion requirement for keyless bundles.
    pub tlog: TlogRequirement,
    /// SCT requirement for keyless bundles.
    pub sct: SctRequirement,
    /// Log requirement for key-signed bundles.
    pub key_tlog: KeyTlog,
}

impl VerifyOptions {
    /// The options GitHub's artifact-attestation trust root needs (no public log, no SCT).
    pub fn github() -> VerifyOptions {
        VerifyOptions {
            tlog: TlogRequirement::Skip,
            sct: SctRequirement::Skip,
            key_tlog: KeyTlog::IfPresent,
        }
    }
}

/// Who must have signed: a keyless identity policy, or a public key (SPKI DER).
#[derive(Debug, Clone, Copy)]
pub enum BundleSigner<'a> {
    /// A Fulcio certificate whose identity satisfies the policy.
    Identity(&'a IdentityPolicy),
    /// A key-signed bundle (`verificationMaterial.publicKey`) verified with this key.
    Key(&'a provseal_crypto::PublicKey),
    /// Same as [`BundleSigner::Key`], with the key as SPKI DER.
    KeyDer(&'a [u8]),
}

/// A bundle that parsed and passed the structural checks, not yet verified.
#[derive(Debug)]
pub struct ParsedBundle {
    source_name: String,
    media_type: String,
    bundle: st::Bundle,
    subjects: Option<Vec<SignedSubject>>,
}

impl ParsedBundle {
    /// Parses a bundle (any of [`BUNDLE_MEDIA_TYPES`]); `source_name` names it in errors.
    pub fn parse(bytes: &[u8], source_name: &str) -> Result<ParsedBundle, SigstoreError> {
        let value = crate::trust::strict_json(bytes, BUNDLE, source_name)?;
        ParsedBundle::from_value(&value, source_name)
    }

    /// Parses an already-parsed JSON value (e.g. one element of npm's attestations array).
    pub fn from_value(
        value: &serde_json::Value,
        source_name: &str,
    ) -> Result<ParsedBundle, SigstoreError> {
        let media_type = value
            .get("mediaType")
            .and_then(|v| v.as_str())
            .ok_or_else(|| SigstoreError::malformed(BUNDLE, source_name, "missing `mediaType`"))?;
        if !BUNDLE_MEDIA_TYPES.contains(&media_type) {
            return Err(SigstoreError::UnsupportedMediaType {
                what: BUNDLE,
                source_name: source_name.to_string(),
                media_type: media_type.to_string(),
            });
        }
        preflight(value, media_type, source_name)?;
        let mut normalized = value.clone();
        if media_type == "application/vnd.dev.sigstore.bundle.v0.3.1+json" {
            if let Some(m) = normalized.get_mut("mediaType") {
                *m = serde_json::Value::String(BUNDLE_MEDIA_TYPES[3].to_string());
            }
        }
        let bundle: st::Bundle = serde_json::from_value(normalized)
            .map_err(|e| SigstoreError::malformed_because(BUNDLE, source_name, "", e))?;
        let subjects = match &bundle.content {
            st::SignatureContent::DsseEnvelope(env) if env.payload_type == IN_TOTO_PAYLOAD_TYPE => {
                Some(statement_subjects(env.payload.as_bytes(), source_name)?)
            }
            _ => None,
        };
        Ok(ParsedBundle {
            source_name: source_name.to_string(),
            media_type: media_type.to_string(),
            bundle,
            subjects,
        })
    }

    /// The bundle's media type.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// Whether the verification material is a public-key hint (a key-signed bundle).
    pub fn is_key_signed(&self) -> bool {
        matches!(
            self.bundle.verification_material.content,
            st::bundle::VerificationMaterialContent::PublicKey(_)
        )
    }
}

/// Structural checks the wrapped crate does not make.
fn preflight(
    v: &serde_json::Value,
    media_type: &str,
    source_name: &str,
) -> Result<(), SigstoreError> {
    let vm = v.get("verificationMaterial").ok_or_else(|| {
        SigstoreError::malformed(BUNDLE, source_name, "missing `verificationMaterial`")
    })?;
    if let Some(chain) = vm.get("x509CertificateChain") {
        let certs = chain
            .get("certificates")
            .and_then(|c| c.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if certs.is_empty() {
            return Err(SigstoreError::malformed(
                BUNDLE,
                source_name,
                "empty certificate chain",
            ));
        }
        for (i, c) in certs.iter().enumerate() {
            let der = decode_b64_field(c.get("rawBytes"), source_name, "certificate")?;
            x509_cert::Certificate::from_der(&der).map_err(|e| {
                SigstoreError::malformed_by(BUNDLE, source_name, format!("certificate {i}"), e)
            })?;
        }
    }
    let v03 = media_type.ends_with("v0.3+json") || media_type.ends_with("version=0.3");
    if v03 && vm.get("x509CertificateChain").is_some() {
        return Err(SigstoreError::malformed(
            BUNDLE,
            source_name,
            "a v0.3 bundle carries a single `certificate`, not `x509CertificateChain`",
        ));
    }
    let stamps = vm
        .pointer("/timestampVerificationData/rfc3161Timestamps")
        .and_then(|t| t.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    if stamps.len() > MAX_TIMESTAMPS {
        return Err(SigstoreError::verification(
            source_name,
            Check::Timestamp,
            format!(
                "{} RFC 3161 timestamps; at most {MAX_TIMESTAMPS} are accepted",
                stamps.len()
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for s in stamps {
        let der = decode_b64_field(s.get("signedTimestamp"), source_name, "signedTimestamp")?;
        if !seen.insert(der) {
            return Err(SigstoreError::verification(
                source_name,
                Check::Timestamp,
                "duplicate RFC 3161 timestamps",
            ));
        }
    }
    if let Some(entries) = vm.get("tlogEntries").and_then(|t| t.as_array()) {
        for e in entries {
            if let Some(ix) = e.get("logIndex") {
                let ok = match ix {
                    serde_json::Value::String(s) => s.parse::<u64>().is_ok(),
                    serde_json::Value::Number(n) => n.as_u64().is_some(),
                    _ => false,
                };
                if !ok {
                    return Err(SigstoreError::malformed(
                        BUNDLE,
                        source_name,
                        format!("invalid log index {ix}"),
                    ));
                }
            }
        }
    }
    if let Some(env) = v.get("dsseEnvelope") {
        let n = env
            .get("signatures")
            .and_then(|s| s.as_array())
            .map_or(0, Vec::len);
        if n != 1 {
            return Err(SigstoreError::malformed(
                BUNDLE,
                source_name,
                format!("the DSSE envelope in a bundle must have exactly one signature, found {n}"),
            ));
        }
    }
    Ok(())
}

fn decode_b64_field(
    v: Option<&serde_json::Value>,
    source_name: &str,
    what: &str,
) -> Result<Vec<u8>, SigstoreError> {
    v.and_then(|r| r.as_str())
        .and_then(|r| base64::engine::general_purpose::STANDARD.decode(r).ok())
        .ok_or_else(|| {
            SigstoreError::malformed(
                BUNDLE,
                source_name,
                format!("missing or invalid base64 `{what}`"),
            )
        })
}

/// Subjects of an in-toto statement (parsed strictly).
pub(crate) fn statement_subjects(
    payload: &[u8],
    source_name: &str,
) -> Result<Vec<SignedSubject>, SigstoreError> {
    let v = crate::json::parse_strict(payload)
        .map_err(|e| SigstoreError::malformed_because("in-toto statement", source_name, "", e))?;
    let subjects = v.get("subject").and_then(|s| s.as_array()).ok_or_else(|| {
        SigstoreError::malformed("in-toto statement", source_name, "no `subject` array")
    })?;
    let mut out = Vec::new();
    for s in subjects {
        let digest: BTreeMap<String, String> = s
            .get("digest")
            .and_then(|d| d.as_object())
            .map(|d| {
                d.iter()
                    .filter_map(|(k, v)| v.as_str().map(|h| (k.clone(), h.to_ascii_lowercase())))
                    .collect()
            })
            .unwrap_or_default();
        out.push(SignedSubject {
            name: s
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_string(),
            digest,
        });
    }
    if out.is_empty() {
        return Err(SigstoreError::malformed(
            "in-toto statement",
            source_name,
            "the statement has no subjects",
        ));
    }
    Ok(out)
}

/// How the signer was established.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum VerifiedSigner {
    /// A Fulcio certificate (keyless).
    Certificate(SignerIdentity),
    /// A public key given by the caller; `key_id` = lowercase hex SHA-256 of its SPKI DER.
    Key {
        /// The provseal key id.
        key_id: String,
        /// The bundle's (unauthenticated) `publicKey.hint`.
        hint: String,
    },
}

/// What the bundle signs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SignedContent {
    /// A message signature over one artifact digest.
    MessageSignature {
        /// The signed subject: the artifact digest (`sha256` → hex).
        subject: SignedSubject,
    },
    /// A DSSE envelope.
    Dsse {
        /// The payload type.
        payload_type: String,
        /// The exact signed payload bytes (base64 when serialized).
        #[serde(serialize_with = "b64")]
        payload: Vec<u8>,
        /// The statement's subjects (in-toto payloads only; empty otherwise).
        subjects: Vec<SignedSubject>,
    },
}

/// A bundle whose signature, certificate, log entry and times verified (serializes to the
/// JSON a `--json` report can embed).
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifiedBundle {
    /// The input's name.
    pub source_name: String,
    /// The bundle's media type.
    pub media_type: String,
    /// Who signed.
    pub signer: VerifiedSigner,
    /// The verified signing time (Unix seconds): the log's integrated time if verified, else the
    /// earliest verified RFC 3161 time; `None` for a key-signed bundle without either.
    pub signing_time: Option<i64>,
    /// Every verified time (integrated time and RFC 3161 times), Unix seconds.
    pub verified_times: Vec<i64>,
    /// The log index of the first transparency-log entry, if any.
    pub log_index: Option<u64>,
    /// Whether log inclusion was verified.
    pub tlog_verified: bool,
    /// What was signed.
    pub content: SignedContent,
}

impl VerifiedBundle {
    /// The signer identity of a keyless bundle.
    pub fn identity(&self) -> Option<&SignerIdentity> {
        match &self.signer {
            VerifiedSigner::Certificate(c) => Some(c),
            VerifiedSigner::Key { .. } => None,
        }
    }

    /// The DSSE payload bytes (the statement), if the bundle holds a DSSE envelope.
    pub fn dsse_payload(&self) -> Option<&[u8]> {
        match &self.content {
            SignedContent::Dsse { payload, .. } => Some(payload),
            SignedContent::MessageSignature { .. } => None,
        }
    }

    /// The signed subjects (the message digest, or the statement's subjects).
    pub fn subjects(&self) -> &[SignedSubject] {
        match &self.content {
            SignedContent::MessageSignature { subject } => std::slice::from_ref(subject),
            SignedContent::Dsse { subjects, .. } => subjects,
        }
    }

    /// Checks that `artifact` is what this bundle signs (a subject of the statement, or the
    /// message digest); returns the matching subject. Verify once, match many.
    pub fn match_artifact(
        &self,
        artifact: &ArtifactInput<'_>,
    ) -> Result<&SignedSubject, SigstoreError> {
        match_subjects(self.subjects(), artifact)
    }
}

/// Verifies a bundle offline and checks that `artifact` is what it signs.
///
/// Checks: structure for the bundle's version; the certificate chain to a Fulcio CA of
/// `trust` valid at the signing time, its SCT, and `policy` — or the signature with `key`;
/// the signing time from the verified log entry (SET, or inclusion proof + signed checkpoint)
/// or an RFC 3161 timestamp; the log entry's body against this bundle; the signature over the
/// artifact digest or the DSSE PAE; for DSSE, the artifact is a subject of the statement.
pub fn verify_bundle(
    bundle_bytes: &[u8],
    source_name: &str,
    artifact: &ArtifactInput<'_>,
    trust: &TrustedRoot,
    signer: BundleSigner<'_>,
    options: &VerifyOptions,
) -> Result<VerifiedBundle, SigstoreError> {
    let parsed = ParsedBundle::parse(bundle_bytes, source_name)?;
    verify_parsed(&parsed, Some(artifact), trust, signer, options)
}

/// Verifies a parsed bundle. With `artifact: None` the bundle is verified against what it
/// says it signs (its message digest, or its statement's subjects): match artifacts
/// afterwards with [`VerifiedBundle::match_artifact`]. (An Ed25519 message signature needs
/// the artifact bytes.)
pub fn verify_parsed(
    parsed: &ParsedBundle,
    artifact: Option<&ArtifactInput<'_>>,
    trust: &TrustedRoot,
    signer: BundleSigner<'_>,
    options: &VerifyOptions,
) -> Result<VerifiedBundle, SigstoreError> {
    let name = parsed.source_name.as_str();
    reject_foreign_roots(&parsed.bundle, trust, name)?;
    check_checkpoints(&parsed.bundle, trust, name)?;
    let bundle = &parsed.bundle;

    // What the wrapped crate verifies against.
    let owned_digest;
    let upstream_artifact: st::Artifact<'_> = match (&bundle.content, artifact) {
        (_, Some(ArtifactInput::Bytes(b))) => st::Artifact::Blob(b),
        (st::SignatureContent::MessageSignature(_), Some(ArtifactInput::Digest { alg, hex })) => {
            owned_digest =
                typed_digest(alg, hex).ok_or_else(|| SigstoreError::ArtifactMismatch {
                    artifact: format!("{alg}:{hex}"),
                    signed: vec!["a SHA-2 digest of the artifact".to_string()],
                })?;
            st::Artifact::Digest(owned_digest)
        }
        (st::SignatureContent::MessageSignature(ms), None) => {
            let md = ms.message_digest.as_ref().ok_or_else(|| {
                SigstoreError::malformed(BUNDLE, name, "no `messageDigest`: the artifact is needed")
            })?;
            owned_digest = st::ArtifactDigest::new(md.algorithm, md.digest.clone())
                .map_err(|e| SigstoreError::malformed_because(BUNDLE, name, "", e))?;
            st::Artifact::Digest(owned_digest)
        }
        (st::SignatureContent::DsseEnvelope(_), _) => {
            let subjects = parsed.subjects.as_deref().unwrap_or_default();
            owned_digest = subjects
                .iter()
                .find_map(|s| {
                    ["sha256", "sha512", "sha384"]
                        .iter()
                        .find_map(|alg| s.digest.get(*alg).and_then(|h| typed_digest(alg, h)))
                })
                .ok_or_else(|| {
                    SigstoreError::verification(
                        name,
                        Check::Artifact,
                        "the statement has no SHA-2 subject digest to bind the envelope to",
                    )
                })?;
            st::Artifact::Digest(owned_digest)
        }
        _ => {
            return Err(SigstoreError::malformed(
                BUNDLE,
                name,
                "unsupported bundle content",
            ));
        }
    };

    let result = match signer {
        BundleSigner::Identity(_) => {
            let mut policy = sigstore_verify::VerificationPolicy::any_identity();
            if options.tlog == TlogRequirement::Skip {
                policy = policy.skip_tlog_unsafe();
            }
            if options.sct == SctRequirement::Skip {
                policy = policy.skip_sct();
            }
            if parsed.is_key_signed() {
                return Err(SigstoreError::WrongVerificationMaterial {
                    source_name: name.to_string(),
                    reason: "the bundle is key-signed (publicKey hint) but a certificate identity was given; pass the key".into(),
                });
            }
            trust.verifier.verify(upstream_artifact, bundle, &policy)
        }
        BundleSigner::Key(_) | BundleSigner::KeyDer(_) => {
            let der = match signer {
                BundleSigner::Key(k) => k.spki_der().to_vec(),
                BundleSigner::KeyDer(d) => d.to_vec(),
                BundleSigner::Identity(_) => Vec::new(),
            };
            if !parsed.is_key_signed() {
                return Err(SigstoreError::WrongVerificationMaterial {
                    source_name: name.to_string(),
                    reason: "the bundle carries a certificate but a public key was given; pass the certificate identity and issuer".into(),
                });
            }
            let mut policy = sigstore_verify::PublicKeyVerificationPolicy::new(st::DerPublicKey::new(der.clone()));
            let no_entries = bundle.verification_material.tlog_entries.is_empty();
            if no_entries {
                if options.key_tlog == KeyTlog::Require {
                    return Err(SigstoreError::verification(
                        name,
                        Check::TransparencyLog,
                        "no transparency-log entry, and one is required",
                    ));
                }
                let no_stamps = bundle
                    .verification_material
                    .timestamp_verification_data
                    .rfc3161_timestamps
                    .is_empty();
                if no_stamps {
                    // Nothing but the key: the wrapped crate insists on a log entry or a
                    // timestamp, so the signature is checked here.
                    return verify_key_only(parsed, &der, artifact);
                }
                policy = policy.skip_tlog_unsafe();
            }
            trust.verifier.verify(upstream_artifact, bundle, &policy)
        }
    }
    .map_err(|e| from_upstream(name, e))?;

    let signer_out = match signer {
        BundleSigner::Identity(policy) => {
            let cert = bundle
                .signing_certificate()
                .ok_or_else(|| SigstoreError::malformed(BUNDLE, name, "no signing certificate"))?;
            let id = SignerIdentity::from_certificate_der(cert.as_bytes())
                .map_err(|e| SigstoreError::malformed_because(BUNDLE, name, "", e))?;
            policy.check(&id)?;
            VerifiedSigner::Certificate(id)
        }
        BundleSigner::Key(_) | BundleSigner::KeyDer(_) => {
            let der: &[u8] = match signer {
                BundleSigner::Key(k) => k.spki_der(),
                BundleSigner::KeyDer(d) => d,
                BundleSigner::Identity(_) => &[],
            };
            let hint = match &bundle.verification_material.content {
                st::bundle::VerificationMaterialContent::PublicKey(p) => p.hint.clone(),
                _ => String::new(),
            };
            VerifiedSigner::Key {
                key_id: crate::artifact::hash_hex("sha256", der).unwrap_or_default(),
                hint,
            }
        }
    };

    let content = match &bundle.content {
        st::SignatureContent::MessageSignature(ms) => {
            let mut digest = BTreeMap::new();
            if let Some(md) = &ms.message_digest {
                digest.insert(
                    alg_name(md.algorithm).to_string(),
                    hex::encode(md.digest.as_bytes()),
                );
            } else if let Some(ArtifactInput::Bytes(b)) = artifact {
                digest.insert(
                    "sha256".to_string(),
                    crate::artifact::hash_hex("sha256", b).unwrap_or_default(),
                );
            }
            SignedContent::MessageSignature {
                subject: SignedSubject {
                    name: String::new(),
                    digest,
                },
            }
        }
        st::SignatureContent::DsseEnvelope(env) => SignedContent::Dsse {
            payload_type: env.payload_type.clone(),
            payload: env.payload.as_bytes().to_vec(),
            subjects: parsed.subjects.clone().unwrap_or_default(),
        },
        _ => {
            return Err(SigstoreError::malformed(
                BUNDLE,
                name,
                "unsupported bundle content",
            ))
        }
    };

    let verified_times: Vec<i64> = result
        .verified_timestamps()
        .iter()
        .map(|t| t.as_second())
        .collect();
    let signing_time = result
        .integrated_time()
        .map(|t| t.as_second())
        .or_else(|| verified_times.iter().min().copied());
    let verified = VerifiedBundle {
        source_name: name.to_string(),
        media_type: parsed.media_type.clone(),
        signer: signer_out,
        signing_time,
        verified_times,
        log_index: bundle
            .verification_material
            .tlog_entries
            .first()
            .map(|e| e.log_index.get()),
        tlog_verified: result.tlog_verified(),
        content,
    };
    if let Some(a) = artifact {
        verified.match_artifact(a)?;
    }
    Ok(verified)
}

fn alg_name(a: st::HashAlgorithm) -> &'static str {
    match a {
        st::HashAlgorithm::Sha2384 => "sha384",
        st::HashAlgorithm::Sha2512 => "sha512",
        _ => "sha256",
    }
}

fn typed_digest(alg: &str, hex_value: &str) -> Option<st::ArtifactDigest> {
    let a = match alg {
        "sha256" => st::HashAlgorithm::Sha2256,
        "sha384" => st::HashAlgorithm::Sha2384,
        "sha512" => st::HashAlgorithm::Sha2512,
        _ => return None,
    };
    let bytes = hex::decode(hex_value).ok()?;
    st::ArtifactDigest::new(a, st::DigestBytes::new(bytes)).ok()
}

/// A self-signed (root) certificate inside the bundle's chain is rejected unless it is
/// byte-identical to a CA certificate of the trusted root: roots come from the trusted root
/// only (sigstore-conformance `bundle-with-root-cert_fail`), while old bundles that append the
/// real Fulcio root to their chain (slsa-github-generator v0.1) still verify.
fn reject_foreign_roots(
    bundle: &st::Bundle,
    trust: &TrustedRoot,
    name: &str,
) -> Result<(), SigstoreError> {
    let st::bundle::VerificationMaterialContent::X509CertificateChain { certificates } =
        &bundle.verification_material.content
    else {
        return Ok(());
    };
    for (i, c) in certificates.iter().enumerate().skip(1) {
        let der = c.raw_bytes.as_bytes();
        let Ok(cert) = x509_cert::Certificate::from_der(der) else {
            return Err(SigstoreError::malformed(
                BUNDLE,
                name,
                format!("certificate {i} is not X.509"),
            ));
        };
        if cert.tbs_certificate.subject != cert.tbs_certificate.issuer {
            continue;
        }
        let trusted = trust.inner.certificate_authorities.iter().any(|ca| {
            ca.cert_chain
                .certificates
                .iter()
                .any(|t| t.raw_bytes.as_bytes() == der)
        });
        if !trusted {
            return Err(SigstoreError::verification(
                name,
                Check::Certificate,
                format!("certificate {i} of the chain is a self-signed root that is not in the trusted root"),
            ));
        }
    }
    Ok(())
}

/// Checks on each entry's signed checkpoint that the wrapped crate leaves out: the note ends
/// with a newline; the inclusion proof's `rootHash` and `treeSize` are the checkpoint's; and a
/// signature line carrying the key hint of a trusted log names that log (its name is the
/// checkpoint origin, or the origin's prefix before ` - ` as Rekor v1 writes it) — the key
/// hint alone does not bind the name.
fn check_checkpoints(
    bundle: &st::Bundle,
    trust: &TrustedRoot,
    name: &str,
) -> Result<(), SigstoreError> {
    let fail = |why: String| SigstoreError::verification(name, Check::TransparencyLog, why);
    let hints: Vec<&[u8]> = trust
        .inner
        .tlogs
        .iter()
        .filter_map(|t| t.log_id.key_id.as_bytes().get(..4))
        .collect();
    for (i, entry) in bundle.verification_material.tlog_entries.iter().enumerate() {
        let Some(proof) = &entry.inclusion_proof else {
            continue;
        };
        let text = proof.checkpoint.envelope();
        if text.is_empty() {
            continue;
        }
        if !text.ends_with('\n') {
            return Err(fail(format!(
                "entry {i}: checkpoint does not end with a newline"
            )));
        }
        let Some((body, sigs)) = text.split_once("\n\n") else {
            return Err(fail(format!(
                "entry {i}: checkpoint has no signature block"
            )));
        };
        let mut lines = body.lines();
        let origin = lines.next().unwrap_or_default();
        let size = lines.next().unwrap_or_default();
        let root = lines.next().unwrap_or_default();
        if size != proof.tree_size.to_string() {
            return Err(fail(format!(
                "entry {i}: inclusion proof tree size {} differs from the checkpoint's {size}",
                proof.tree_size
            )));
        }
        let root_bytes = base64::engine::general_purpose::STANDARD
            .decode(root)
            .map_err(|_| fail(format!("entry {i}: checkpoint root hash is not base64")))?;
        if root_bytes.as_slice() != proof.root_hash.as_bytes().as_slice() {
            return Err(fail(format!(
                "entry {i}: inclusion proof root hash differs from the checkpoint's"
            )));
        }
        for line in sigs.lines() {
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return Err(fail(format!(
                    "entry {i}: malformed checkpoint signature line"
                )));
            };
            if rest.chars().any(char::is_control) || rest.matches(' ').count() != 1 {
                return Err(fail(format!(
                    "entry {i}: malformed checkpoint signature line"
                )));
            }
            let Some((signer, b64)) = rest.rsplit_once(' ') else {
                return Err(fail(format!(
                    "entry {i}: malformed checkpoint signature line"
                )));
            };
            let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64) else {
                return Err(fail(format!(
                    "entry {i}: checkpoint signature is not base64"
                )));
            };
            let trusted_hint = raw.get(..4).is_some_and(|h| hints.contains(&h));
            let names_origin = signer == origin
                || origin
                    .strip_prefix(signer)
                    .is_some_and(|r| r.starts_with(" - "));
            if trusted_hint && !names_origin {
                return Err(fail(format!(
                    "entry {i}: checkpoint signature by `{signer}` carries a trusted log's key hint but the checkpoint origin is `{origin}`"
                )));
            }
        }
    }
    Ok(())
}

/// A key-signed bundle with neither log entries nor timestamps (what provseal writes): the
/// signature over the DSSE PAE (or the artifact bytes, for a message signature) with the key.
fn verify_key_only(
    parsed: &ParsedBundle,
    spki_der: &[u8],
    artifact: Option<&ArtifactInput<'_>>,
) -> Result<VerifiedBundle, SigstoreError> {
    let name = parsed.source_name.as_str();
    let key = provseal_crypto::PublicKey::from_spki_der_named(spki_der, "public key")
        .map_err(|e| SigstoreError::malformed_because("public key", name, "", e))?;
    let bad_sig = |e: provseal_crypto::CryptoError| {
        SigstoreError::verification_because(
            name,
            Check::Signature,
            format!("signature does not verify with key {}", key.key_id()),
            e,
        )
    };
    let content = match &parsed.bundle.content {
        st::SignatureContent::DsseEnvelope(env) => {
            key.verify(&env.pae(), env.signature.sig.as_bytes())
                .map_err(bad_sig)?;
            SignedContent::Dsse {
                payload_type: env.payload_type.clone(),
                payload: env.payload.as_bytes().to_vec(),
                subjects: parsed.subjects.clone().unwrap_or_default(),
            }
        }
        st::SignatureContent::MessageSignature(ms) => {
            let Some(ArtifactInput::Bytes(blob)) = artifact else {
                return Err(SigstoreError::verification(
                    name,
                    Check::Artifact,
                    "a key-signed message signature without log entry needs the artifact bytes",
                ));
            };
            // The bundle's `messageDigest` is outside the signature, but a bundle that names
            // another artifact than the one signed is refused, as cosign refuses it.
            if let Some(md) = &ms.message_digest {
                let alg = alg_name(md.algorithm);
                let actual = crate::artifact::hash_hex(alg, blob).unwrap_or_default();
                let claimed = hex::encode(md.digest.as_bytes());
                if actual != claimed {
                    return Err(SigstoreError::ArtifactMismatch {
                        artifact: format!("{alg}:{actual}"),
                        signed: vec![format!("{alg}:{claimed}")],
                    });
                }
            }
            key.verify(blob, ms.signature.as_bytes()).map_err(bad_sig)?;
            let digest = [(
                "sha256".to_string(),
                crate::artifact::hash_hex("sha256", blob).unwrap_or_default(),
            )]
            .into_iter()
            .collect();
            SignedContent::MessageSignature {
                subject: SignedSubject {
                    name: String::new(),
                    digest,
                },
            }
        }
        _ => {
            return Err(SigstoreError::malformed(
                BUNDLE,
                name,
                "unsupported bundle content",
            ))
        }
    };
    let hint = match &parsed.bundle.verification_material.content {
        st::bundle::VerificationMaterialContent::PublicKey(p) => p.hint.clone(),
        _ => String::new(),
    };
    let verified = VerifiedBundle {
        source_name: name.to_string(),
        media_type: parsed.media_type.clone(),
        signer: VerifiedSigner::Key {
            key_id: key.key_id(),
            hint,
        },
        signing_time: None,
        verified_times: Vec::new(),
        log_index: None,
        tlog_verified: false,
        content,
    };
    if let Some(a) = artifact {
        verified.match_artifact(a)?;
    }
    Ok(verified)
}

/// One bundle to verify in [`verify_many`].
#[derive(Debug, Clone, Copy)]
pub struct BundleJob<'a> {
    /// The bundle JSON.
    pub bundle: &'a [u8],
    /// Its name in errors (a path).
    pub source_name: &'a str,
    /// The artifact it must sign, or `None` to verify the bundle alone (then match artifacts
    /// with [`VerifiedBundle::match_artifact`]).
    pub artifact: Option<ArtifactInput<'a>>,
}

/// Verifies many bundles against one trusted root in parallel (rayon); one result per job,
/// in order. The trusted root's keys and anchors are prepared once.
pub fn verify_many(
    jobs: &[BundleJob<'_>],
    trust: &TrustedRoot,
    signer: BundleSigner<'_>,
    options: &VerifyOptions,
) -> Vec<Result<VerifiedBundle, SigstoreError>> {
    use rayon::prelude::*;
    jobs.par_iter()
        .map(|job| {
            let parsed = ParsedBundle::parse(job.bundle, job.source_name)?;
            verify_parsed(&parsed, job.artifact.as_ref(), trust, signer, options)
        })
        .collect()
}

/// Whether a JSON value looks like a Sigstore bundle (its `mediaType` is a bundle media type,
/// known or not) — for format detection, e.g. lines of an `.intoto.jsonl` file.
pub fn looks_like_bundle(value: &serde_json::Value) -> bool {
    value
        .get("mediaType")
        .and_then(|m| m.as_str())
        .is_some_and(|m| m.starts_with("application/vnd.dev.sigstore.bundle"))
}

fn b64<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
}
