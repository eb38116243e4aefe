//! The policy file (`provseal-policy.toml`): who may attest what, built from which source, with
//! which dependencies. Reference: `docs/policy.md`.
//!
//! [`Policy::load`] (or [`Policy::parse`]) reads and lints the file; every problem is a
//! [`Diagnostic`] with the file, line and column. [`Policy::evaluate`] checks one verified
//! statement and returns a [`PolicyReport`] with every rule's result (not only the first
//! failure). [`Policy::trusted_keys`] and [`Policy::identity_policies`] give the signature step
//! the keys and keyless identities the policy trusts.
//!
//! ```no_run
//! use provseal_verify::policy::{Policy, PolicyInput};
//! # fn demo(verified: &provseal_verify::VerifiedStatement) {
//! let policy = match Policy::load("provseal-policy.toml".as_ref()) {
//!     Ok(p) => p,
//!     Err(diags) => {
//!         for d in &diags { eprintln!("{d}"); }
//!         return;
//!     }
//! };
//! let report = policy.evaluate(&PolicyInput {
//!     verified,
//!     artifact_name: "dist/app.tar.gz",
//!     now: jiff::Timestamp::now(),
//!     signed_at: None,
//! });
//! for line in report.failure_lines() { eprintln!("{line}"); }
//! # }
//! ```

use crate::diag::Code;
use std::path::{Path, PathBuf};

use provseal_crypto::hash::HashAlgorithm;
use provseal_crypto::PublicKey;
use provseal_model::DigestSet;
use provseal_sigstore::IdentityPolicy;
use serde::Serialize;

mod eval;
pub mod purl;
mod raw;
pub mod refs;
pub mod rules;
mod sections;

pub use eval::{PolicyInput, PolicyReport, RuleResult};
use purl::PackagePattern;
use raw::{RawPolicy, S};
use refs::{Glob, RefRules};

/// The policy file format version this build reads.
pub const POLICY_VERSION: i64 = 1;

/// Largest policy file read (1 MiB).
pub const MAX_POLICY_BYTES: u64 = 1 << 20;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// The policy cannot be used (`provseal policy check` exits 2).
    Error,
    /// Worth fixing; the policy still works.
    Warning,
}

/// A problem in a policy file, at a line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable kebab-case code (listed in `docs/policy.md`).
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// The policy file.
    pub path: String,
    /// 1-based line (0 when the problem has no position, e.g. an unreadable file).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{sev}[{}]: {}:{}:{}: {}",
            self.code, self.path, self.line, self.column, self.message
        )
    }
}

/// Whether any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

/// How a trusted signer is recognised.
#[derive(Debug, Clone)]
pub enum SignerMatch {
    /// A public key: the provseal key id (hex SHA-256 of the SPKI DER), and the key itself
    /// when the policy names its file.
    Key {
        /// The key id.
        key_id: String,
        /// The key, when given as a file.
        key: Option<PublicKey>,
    },
    /// A keyless (Fulcio certificate) identity.
    Keyless(IdentityPolicy),
}

/// One `[[signers]]` entry.
#[derive(Debug, Clone)]
pub struct TrustedSigner {
    /// `name`, or `signers[N]`.
    pub name: String,
    /// How the signer is recognised.
    pub matcher: SignerMatch,
    /// Builder ids it may attest (globs); empty = any.
    pub builders: Vec<Glob>,
    /// Source repositories (globs over normalised repositories); empty = any.
    pub repositories: Vec<Glob>,
    /// Refs.
    pub refs: RefRules,
}

/// A SLSA provenance version the policy accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlsaVersion {
    /// `https://slsa.dev/provenance/v0.1`.
    V0_1,
    /// `https://slsa.dev/provenance/v0.2`.
    V0_2,
    /// `https://slsa.dev/provenance/v1` (SLSA 1.0 and 1.1).
    V1,
}

impl SlsaVersion {
    fn parse(s: &str) -> Option<SlsaVersion> {
        match s {
            "0.1" => Some(SlsaVersion::V0_1),
            "0.2" => Some(SlsaVersion::V0_2),
            "1" | "1.0" | "1.1" => Some(SlsaVersion::V1),
            _ => None,
        }
    }

    /// The version of a predicate type, if it is a SLSA provenance.
    pub fn of_predicate_type(t: &str) -> Option<SlsaVersion> {
        match t {
            "https://slsa.dev/provenance/v0.1" => Some(SlsaVersion::V0_1),
            provseal_model::SLSA_PROVENANCE_V02 => Some(SlsaVersion::V0_2),
            provseal_model::SLSA_PROVENANCE_V1 => Some(SlsaVersion::V1),
            _ => None,
        }
    }

    /// `0.1`, `0.2` or `1.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            SlsaVersion::V0_1 => "0.1",
            SlsaVersion::V0_2 => "0.2",
            SlsaVersion::V1 => "1.0",
        }
    }
}

/// A drift kind the policy forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DriftKind {
    /// Any drift at all.
    Any,
    /// Packages present only after the build.
    PackagesAdded,
    /// Packages present only before the build.
    PackagesRemoved,
    /// Packages whose version or digest changed.
    PackagesChanged,
    /// A lockfile changed, appeared or disappeared.
    LockfileChanged,
    /// The work tree became dirty or got new dirty paths.
    SourceDirtied,
    /// `HEAD` moved.
    SourceCommitChanged,
}

impl DriftKind {
    const ALL: [(&'static str, DriftKind); 7] = [
        ("any", DriftKind::Any),
        ("packages-added", DriftKind::PackagesAdded),
        ("packages-removed", DriftKind::PackagesRemoved),
        ("packages-changed", DriftKind::PackagesChanged),
        ("lockfile-changed", DriftKind::LockfileChanged),
        ("source-dirtied", DriftKind::SourceDirtied),
        ("source-commit-changed", DriftKind::SourceCommitChanged),
    ];

    /// The policy-file name.
    pub fn name(self) -> &'static str {
        DriftKind::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("any")
    }
}

/// A recorded lockfile's required digest.
#[derive(Debug, Clone)]
pub struct LockfileDigest {
    /// The lockfile's recorded name (path relative to the build's working directory).
    pub name: String,
    /// The required sha256 (lowercase hex).
    pub sha256: String,
    /// Where the digest came from (`file PATH` or `sha256`).
    pub from: String,
}

/// A parsed, linted policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The file (as given), for messages and the VSA.
    pub source: String,
    /// sha256 of the file's bytes (the VSA's `policy.digest`).
    pub digest: DigestSet,
    /// Trusted signers.
    pub signers: Vec<TrustedSigner>,
    /// Accepted predicate types; empty = any.
    pub predicate_types: Vec<String>,
    /// Accepted SLSA provenance versions; empty = any.
    pub slsa_versions: Vec<SlsaVersion>,
    /// Maximum attestation age.
    pub max_age: Option<jiff::SignedDuration>,
    /// A dependency snapshot must be recorded.
    pub require_snapshot: bool,
    /// Lockfiles that must be recorded.
    pub lockfiles: Vec<String>,
    /// Recorded lockfiles' required digests.
    pub lockfile_digests: Vec<LockfileDigest>,
    /// Denied packages.
    pub deny: Vec<PackagePattern>,
    /// Required packages.
    pub require: Vec<PackagePattern>,
    /// Forbidden drift.
    pub forbid_drift: Vec<DriftKind>,
}

/// Line and column (1-based, column in characters) of byte offset `pos`.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = text.get(..pos).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

struct Ctx<'a> {
    text: &'a str,
    path: String,
    base: PathBuf,
    diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn at(&mut self, code: Code, sev: Severity, pos: usize, message: String) {
        let (line, column) = line_col(self.text, pos);
        self.diags.push(Diagnostic {
            code,
            severity: sev,
            message,
            path: self.path.clone(),
            line,
            column,
        });
    }

    fn err<T>(&mut self, code: Code, s: &S<T>, message: String) {
        self.at(code, Severity::Error, s.span().start, message);
    }

    fn resolve(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    fn glob(&mut self, s: &S<String>) -> Option<Glob> {
        match Glob::new(s.get_ref()) {
            Ok(g) => Some(g),
            Err(e) => {
                self.err(Code::PolicyBadGlob, s, e);
                None
            }
        }
    }
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses `30d`, `12h`, `1d12h`, `90m`, `2w`, `45s` (units s, m, h, d = 24 h, w = 7 d).
fn parse_duration(s: &str) -> Result<jiff::SignedDuration, String> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    if body.is_empty() {
        return Err(format!(
            "`{s}` is not a duration (e.g. `30d`, `12h`, `1d12h`)"
        ));
    }
    let mut secs: i64 = 0;
    let mut num = String::new();
    for c in body.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => {
                return Err(format!(
                    "`{s}` is not a duration: unknown unit `{c}` (use s, m, h, d, w)"
                ))
            }
        };
        let n: i64 = num
            .parse()
            .map_err(|_| format!("`{s}` is not a duration (e.g. `30d`, `12h`, `1d12h`)"))?;
        num.clear();
        secs = n
            .checked_mul(unit)
            .and_then(|v| secs.checked_add(v))
            .ok_or_else(|| format!("`{s}` is too long"))?;
    }
    if !num.is_empty() {
        return Err(format!(
            "`{s}` is not a duration: `{num}` has no unit (use s, m, h, d, w)"
        ));
    }
    Ok(jiff::SignedDuration::from_secs(if neg {
        -secs
    } else {
        secs
    }))
}

/// The byte offset where 1-based line `line` of `text` starts.
fn line_start(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

/// Blanks the line of `text` holding byte `pos` (spaces, same length); `false` when it is a
/// table header or already blank (blanking it would not make progress, or would move its keys
/// into another table).
fn blank_line_at(text: &mut String, pos: usize) -> bool {
    let pos = pos.min(text.len());
    let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    let line = &text[start..end];
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('[') {
        return false;
    }
    let blank = " ".repeat(line.len());
    text.replace_range(start..end, &blank);
    true
}

impl Policy {
    /// Reads and parses the policy file at `path`; relative paths inside it are resolved
    /// against its directory. Returns every error and warning on failure, or the policy
    /// (warnings are then available from [`Policy::check`]).
    pub fn load(path: &Path) -> Result<Policy, Vec<Diagnostic>> {
        let (policy, diags) = Policy::check(path);
        match policy {
            Some(p) if !has_errors(&diags) => Ok(p),
            _ => Err(diags),
        }
    }

    /// `provseal policy check`: reads, parses and lints; returns the policy when it has no
    /// errors, and every diagnostic (errors and warnings) in file order.
    pub fn check(path: &Path) -> (Option<Policy>, Vec<Diagnostic>) {
        let shown = path.display().to_string();
        let unreadable = |message: String| {
            (
                None,
                vec![Diagnostic {
                    code: Code::PolicyUnreadable,
                    severity: Severity::Error,
                    message,
                    path: shown.clone(),
                    line: 0,
                    column: 0,
                }],
            )
        };
        match fs_len(path) {
            Ok(n) if n > MAX_POLICY_BYTES => {
                return unreadable(format!(
                    "the policy is {n} bytes, more than the {MAX_POLICY_BYTES} allowed"
                ))
            }
            Ok(_) => {}
            Err(e) => return unreadable(e),
        }
        // Bounded: a FIFO or device reports no length above.
        let bytes = match provseal_crypto::read::read_bounded(
            path,
            provseal_crypto::read::InputKind::Policy,
        ) {
            Ok(b) => b,
            Err(e) => return unreadable(e.to_string()),
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => return unreadable(format!("`{shown}` is not UTF-8")),
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Policy::parse_with_diagnostics(&text, &shown, &base)
    }

    /// Parses policy text. `source` names the file in diagnostics; relative paths resolve
    /// against `base_dir`.
    pub fn parse(text: &str, source: &str, base_dir: &Path) -> Result<Policy, Vec<Diagnostic>> {
        let (policy, diags) = Policy::parse_with_diagnostics(text, source, base_dir);
        match policy {
            Some(p) if !has_errors(&diags) => Ok(p),
            _ => Err(diags),
        }
    }

    /// Parses policy text, returning the policy (when there are no errors) and every
    /// diagnostic.
    pub fn parse_with_diagnostics(
        text: &str,
        source: &str,
        base_dir: &Path,
    ) -> (Option<Policy>, Vec<Diagnostic>) {
        let mut cx = Ctx {
            text,
            path: source.to_string(),
            base: base_dir.to_path_buf(),
            diags: Vec::new(),
        };
        if !prepass(&mut cx) {
            cx.diags.sort_by_key(|d| (d.line, d.column));
            return (None, cx.diags);
        }
        // The TOML decoder stops at its first error. To report every error at once, the line
        // of an unknown key or a mistyped value is blanked (same length, so positions hold) and
        // the text decoded again; a syntax error, a missing field or a table header ends that.
        let mut masked = text.to_string();
        let mut decode_failed = false;
        // the unknown keys the prepass found: blanked, so that the decoder finds the rest
        let unknown: Vec<usize> = cx
            .diags
            .iter()
            .filter(|d| d.code == Code::PolicyUnknownKey)
            .map(|d| d.line)
            .collect();
        for line in unknown {
            decode_failed = true;
            let pos = line_start(&masked, line);
            if !blank_line_at(&mut masked, pos) {
                cx.diags.sort_by_key(|d| (d.line, d.column));
                return (None, cx.diags);
            }
        }
        let raw = loop {
            let e = match toml::from_str::<RawPolicy>(&masked) {
                Ok(r) => break Some(r),
                Err(e) => e,
            };
            let msg = e.message().trim().to_string();
            let code = if msg.starts_with("unknown field") {
                Code::PolicyUnknownKey
            } else if msg.starts_with("invalid type")
                || msg.starts_with("invalid value")
                || msg.starts_with("missing field")
            {
                Code::PolicyType
            } else {
                Code::PolicySyntax
            };
            if decode_failed && code == Code::PolicySyntax {
                // blanking a line broke the syntax: what follows would not be the user's error
                break None;
            }
            let pos = e.span().map(|s| s.start).unwrap_or(0);
            cx.at(code, Severity::Error, pos, msg.clone());
            decode_failed = true;
            let maskable = code != Code::PolicySyntax && !msg.starts_with("missing field");
            if !maskable || !blank_line_at(&mut masked, pos) {
                break None;
            }
        };
        let Some(raw) = raw else {
            cx.diags.sort_by_key(|d| (d.line, d.column));
            return (None, cx.diags);
        };
        let before_compile = cx.diags.len();
        let policy = compile(&mut cx, raw, &masked);
        if decode_failed {
            // a blanked line can leave a table without a field it needs: not the user's error
            let mut i = 0;
            cx.diags.retain(|d| {
                i += 1;
                i <= before_compile || d.code != Code::PolicyMissingField
            });
        }
        cx.diags.sort_by_key(|d| (d.line, d.column));
        (if decode_failed { None } else { Some(policy) }, cx.diags)
    }

    /// The public keys named by file in the policy (for the signature step).
    pub fn trusted_keys(&self) -> Vec<PublicKey> {
        self.signers
            .iter()
            .filter_map(|s| match &s.matcher {
                SignerMatch::Key { key: Some(k), .. } => Some(k.clone()),
                _ => None,
            })
            .collect()
    }

    /// The key ids the policy trusts (given by file or by id).
    pub fn trusted_key_ids(&self) -> Vec<String> {
        self.signers
            .iter()
            .filter_map(|s| match &s.matcher {
                SignerMatch::Key { key_id, .. } => Some(key_id.clone()),
                _ => None,
            })
            .collect()
    }

    /// The keyless identities the policy trusts (for Sigstore bundle verification).
    pub fn identity_policies(&self) -> Vec<IdentityPolicy> {
        self.signers
            .iter()
            .filter_map(|s| match &s.matcher {
                SignerMatch::Keyless(p) => Some(p.clone()),
                _ => None,
            })
            .collect()
    }
}

/// The keys each table may hold (`None`: free-form or left to the typed pass), read from the
/// schema structs in `raw` so that the list is never repeated.
fn known_keys(path: &[&str]) -> Option<&'static [&'static str]> {
    use raw::{fields_of, RawDrift, RawLockfileDigest, RawMaterials, RawPackages, RawPolicy};
    use raw::{RawSigner, RawStatement};
    Some(match path {
        [] => fields_of::<RawPolicy>(),
        ["signers"] => fields_of::<RawSigner>(),
        ["statement"] => fields_of::<RawStatement>(),
        ["materials"] => fields_of::<RawMaterials>(),
        ["materials", "lockfile_digests"] => fields_of::<RawLockfileDigest>(),
        ["packages"] => fields_of::<RawPackages>(),
        ["drift"] => fields_of::<RawDrift>(),
        _ => return None,
    })
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// Syntax errors (all of them, with recovery) and unknown keys (all of them) before the typed
/// pass. Returns whether the syntax is sound (the typed pass then runs with the unknown keys'
/// lines blanked).
fn prepass(cx: &mut Ctx<'_>) -> bool {
    let (doc, errors) = toml::de::DeTable::parse_recoverable(cx.text);
    if !errors.is_empty() {
        for e in errors {
            let pos = e.span().map(|s| s.start).unwrap_or(0);
            cx.at(
                Code::PolicySyntax,
                Severity::Error,
                pos,
                one_line(e.message()),
            );
        }
        return false;
    }
    walk(cx, doc.get_ref(), &mut Vec::new());
    true
}

fn walk<'a>(cx: &mut Ctx<'_>, table: &'a toml::de::DeTable<'a>, path: &mut Vec<&'a str>) {
    let Some(known) = known_keys(path) else {
        return;
    };
    for (k, v) in table {
        let key: &str = k.get_ref();
        if !known.contains(&key) {
            let place = if path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in `{}`", path.join("."))
            };
            let mut msg = format!("unknown key `{key}` {place}");
            if let Some(best) = known
                .iter()
                .filter(|c| edit_distance(key, c) <= 2)
                .min_by_key(|c| edit_distance(key, c))
            {
                msg.push_str(&format!(" (did you mean `{best}`?)"));
            } else {
                msg.push_str(&format!("; expected one of: {}", known.join(", ")));
            }
            cx.at(Code::PolicyUnknownKey, Severity::Error, k.span().start, msg);
            continue;
        }
        path.push(key);
        match v.get_ref() {
            toml::de::DeValue::Table(t) => walk(cx, t, path),
            toml::de::DeValue::Array(items) => {
                for item in items.iter() {
                    if let toml::de::DeValue::Table(t) = item.get_ref() {
                        walk(cx, t, path);
                    }
                }
            }
            _ => {}
        }
        path.pop();
    }
}

fn fs_len(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn compile(cx: &mut Ctx<'_>, raw: RawPolicy, text: &str) -> Policy {
    if let Some(v) = &raw.version {
        if *v.get_ref() != POLICY_VERSION {
            cx.err(
                Code::PolicyUnsupportedVersion,
                v,
                format!(
                    "policy version {} is not supported (this build reads version {POLICY_VERSION})",
                    v.get_ref()
                ),
            );
        }
    }
    let digest = provseal_crypto::hash::hash_bytes(text.as_bytes(), &[HashAlgorithm::Sha256]);
    let mut policy = Policy {
        source: cx.path.clone(),
        digest,
        signers: Vec::new(),
        predicate_types: Vec::new(),
        slsa_versions: Vec::new(),
        max_age: None,
        require_snapshot: false,
        lockfiles: Vec::new(),
        lockfile_digests: Vec::new(),
        deny: Vec::new(),
        require: Vec::new(),
        forbid_drift: Vec::new(),
    };
    for (_, section) in raw.sections() {
        if let Some(section) = section {
            section.validate(cx, &mut policy);
        }
    }
    policy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap().as_secs(), 30 * 86_400);
        assert_eq!(parse_duration("1d12h").unwrap().as_secs(), 36 * 3600);
        assert_eq!(parse_duration("-1h").unwrap().as_secs(), -3600);
        assert!(parse_duration("12").is_err());
        assert!(parse_duration("3y").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn positions() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 0), (1, 1));
    }
}
