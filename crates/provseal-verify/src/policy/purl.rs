//! Package patterns: a purl without a version, or with an exact version or a version range.
//!
//! Syntax (documented in `docs/policy.md`): `pkg:TYPE/[NAMESPACE/]NAME[@VERSIONS]` where
//! `VERSIONS` is
//! - absent or `*`: every version;
//! - a bare version (`5.6.0`): exactly that version (compared with the ecosystem's ordering, so
//!   `pkg:pypi/x@5.6` equals `5.6.0`);
//! - a range: comparators `<V`, `<=V`, `>V`, `>=V`, `=V`/`==V`, `!=V` joined by `,` (all must
//!   hold), e.g. `>=3.3.6,<4`.
//!
//! Ordering: PyPI versions by PEP 440 (`pep440_rs`), npm and Cargo versions by SemVer 2.0
//! (`semver`), everything else by a generic rule (dot/dash separated segments, numeric ones
//! compared as numbers, a leading `v` ignored).

use std::cmp::Ordering;
use std::str::FromStr;

/// The ordering family of a package type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Pep440,
    Semver,
    Generic,
}

fn scheme_of(ty: &str) -> Scheme {
    match ty {
        "pypi" => Scheme::Pep440,
        "npm" | "cargo" => Scheme::Semver,
        _ => Scheme::Generic,
    }
}

/// A version parsed in its ecosystem's scheme.
#[derive(Debug, Clone)]
enum Version {
    Pep440(pep440_rs::Version),
    Semver(semver::Version),
    Generic(Vec<Segment>),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    Num(u64),
    Text(String),
}

fn generic(v: &str) -> Vec<Segment> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let mut segs: Vec<Segment> = v
        .split(['.', '-', '+', '_'])
        .map(|s| match s.parse::<u64>() {
            Ok(n) => Segment::Num(n),
            Err(_) => Segment::Text(s.to_ascii_lowercase()),
        })
        .collect();
    // `1.0` == `1.0.0`: drop trailing zero segments.
    while segs.len() > 1 && segs.last() == Some(&Segment::Num(0)) {
        segs.pop();
    }
    segs
}

fn parse_version(scheme: Scheme, v: &str) -> Result<Version, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("empty version".into());
    }
    match scheme {
        Scheme::Pep440 => pep440_rs::Version::from_str(v)
            .map(Version::Pep440)
            .map_err(|e| format!("`{v}` is not a PEP 440 version: {e}")),
        Scheme::Semver => semver::Version::parse(&pad_semver(v.strip_prefix('v').unwrap_or(v)))
            .map(Version::Semver)
            .map_err(|e| format!("`{v}` is not a SemVer version: {e}")),
        Scheme::Generic => Ok(Version::Generic(generic(v))),
    }
}

/// `4` → `4.0.0`, `1.2` → `1.2.0` (a partial version in a range); anything else unchanged.
fn pad_semver(v: &str) -> String {
    let numeric = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = v.split('.').collect();
    if parts.iter().all(|p| numeric(p)) && parts.len() < 3 {
        let mut out = parts.join(".");
        for _ in parts.len()..3 {
            out.push_str(".0");
        }
        out
    } else {
        v.to_string()
    }
}

fn compare(a: &Version, b: &Version) -> Option<Ordering> {
    match (a, b) {
        (Version::Pep440(x), Version::Pep440(y)) => Some(x.cmp(y)),
        (Version::Semver(x), Version::Semver(y)) => Some(x.cmp(y)),
        (Version::Generic(x), Version::Generic(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug, Clone)]
struct Comparator {
    op: Op,
    version: Version,
}

/// Which versions a pattern covers.
#[derive(Debug, Clone)]
enum Versions {
    Any,
    /// All comparators must hold (a bare version is one `Eq`).
    All(Vec<Comparator>),
}

/// A package pattern from the policy (`pkg:pypi/xz-utils@5.6.0`).
#[derive(Debug, Clone)]
pub struct PackagePattern {
    text: String,
    ty: String,
    key: String,
    versions: Versions,
}

/// The identity of a purl: the shared [`provseal_model::purl::purl_identity`] (PyPI names per
/// PEP 503, as materials records them).
fn identity_key(p: &packageurl::PackageUrl<'_>) -> String {
    provseal_model::purl::purl_identity(&p.to_string()).unwrap_or_default()
}

/// Splits `pkg:…/name@version?q#s` into (purl without version, version text).
fn split_version(purl: &str) -> (String, Option<String>) {
    let (head, tail) = match purl.find(['?', '#']) {
        Some(i) => purl.split_at(i),
        None => (purl, ""),
    };
    let last_slash = head.rfind('/').unwrap_or(0);
    match head.get(last_slash..).and_then(|n| n.find('@')) {
        Some(at) => {
            let at = last_slash + at;
            let base = head.get(..at).unwrap_or(head);
            let version = head.get(at + 1..).unwrap_or("");
            (format!("{base}{tail}"), Some(version.to_string()))
        }
        None => (purl.to_string(), None),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) == Some(&b'%') {
            if let Some(h) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(h);
                i += 3;
                continue;
            }
        }
        if let Some(b) = bytes.get(i) {
            out.push(*b);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Which part of a pattern is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// The purl itself.
    Purl(String),
    /// The version or range.
    Range(String),
}

impl PackagePattern {
    /// Parses a pattern.
    pub fn parse(text: &str) -> Result<PackagePattern, PatternError> {
        let (base, version) = split_version(text.trim());
        let purl = packageurl::PackageUrl::from_str(&base)
            .map_err(|e| PatternError::Purl(format!("`{text}` is not a package URL: {e}")))?;
        if !purl.qualifiers().is_empty() || purl.subpath().is_some() {
            return Err(PatternError::Purl(format!(
                "`{text}`: qualifiers and subpaths are not allowed in a policy purl"
            )));
        }
        let ty = purl.ty().to_ascii_lowercase();
        let scheme = scheme_of(&ty);
        let versions = match version.as_deref().map(percent_decode) {
            None => Versions::Any,
            Some(v) if v.trim() == "*" => Versions::Any,
            Some(v) if v.trim().is_empty() => {
                return Err(PatternError::Range(format!(
                    "`{text}`: empty version after `@`"
                )))
            }
            Some(v) => parse_range(scheme, &v).map_err(|e| {
                PatternError::Range(format!("`{text}`: bad version range `{v}`: {e}"))
            })?,
        };
        Ok(PackagePattern {
            text: text.to_string(),
            key: identity_key(&purl),
            ty,
            versions,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `type/namespace/name` (normalised).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether every version is covered.
    pub fn covers_all_versions(&self) -> bool {
        matches!(self.versions, Versions::Any)
    }

    /// Whether the pattern covers version `v` of its package.
    pub fn covers_version(&self, v: &str) -> bool {
        match &self.versions {
            Versions::Any => true,
            Versions::All(cs) => {
                let Ok(version) = parse_version(scheme_of(&self.ty), v) else {
                    // Not comparable in the ecosystem's scheme: try the generic order, so an
                    // odd version string is still caught by an exact deny entry.
                    let g = Version::Generic(generic(v));
                    return cs.iter().all(|c| holds(c, &g, true));
                };
                cs.iter().all(|c| holds(c, &version, false))
            }
        }
    }

    /// Whether a recorded purl (with its version) is covered by the pattern.
    pub fn matches_purl(&self, purl: &str) -> bool {
        let (base, version) = split_version(purl);
        let Ok(p) = packageurl::PackageUrl::from_str(&base) else {
            return false;
        };
        if identity_key(&p) != self.key {
            return false;
        }
        match version {
            Some(v) => self.covers_version(&percent_decode(&v)),
            None => self.covers_all_versions(),
        }
    }

    /// The exact version, when the pattern is one `=V`.
    pub fn exact_version(&self) -> Option<String> {
        match &self.versions {
            Versions::All(cs) if cs.len() == 1 => cs.first().and_then(|c| {
                (c.op == Op::Eq).then(|| match &c.version {
                    Version::Pep440(v) => v.to_string(),
                    Version::Semver(v) => v.to_string(),
                    Version::Generic(_) => String::new(),
                })
            }),
            _ => None,
        }
    }
}

fn holds(c: &Comparator, v: &Version, generic_fallback: bool) -> bool {
    let ord = if generic_fallback {
        let cv = match &c.version {
            Version::Pep440(x) => Version::Generic(generic(&x.to_string())),
            Version::Semver(x) => Version::Generic(generic(&x.to_string())),
            g => g.clone(),
        };
        compare(v, &cv)
    } else {
        compare(v, &c.version)
    };
    let Some(ord) = ord else { return false };
    match c.op {
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        Op::Eq => ord == Ordering::Equal,
        Op::Ne => ord != Ordering::Equal,
    }
}

fn parse_range(scheme: Scheme, text: &str) -> Result<Versions, String> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err("empty comparator".into());
        }
        let (op, rest) = if let Some(r) = part.strip_prefix(">=") {
            (Op::Ge, r)
        } else if let Some(r) = part.strip_prefix("<=") {
            (Op::Le, r)
        } else if let Some(r) = part.strip_prefix("==") {
            (Op::Eq, r)
        } else if let Some(r) = part.strip_prefix("!=") {
            (Op::Ne, r)
        } else if let Some(r) = part.strip_prefix('>') {
            (Op::Gt, r)
        } else if let Some(r) = part.strip_prefix('<') {
            (Op::Lt, r)
        } else if let Some(r) = part.strip_prefix('=') {
            (Op::Eq, r)
        } else {
            (Op::Eq, part)
        };
        let rest = rest.trim();
        if rest.contains(['*', '^', '~', '<', '>', '=', '!', ' ', '|']) {
            return Err(format!(
                "`{part}`: only <, <=, >, >=, =, != followed by one version are allowed"
            ));
        }
        out.push(Comparator {
            op,
            version: parse_version(scheme, rest)?,
        });
    }
    Ok(Versions::All(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_ranges() {
        let p = PackagePattern::parse("pkg:pypi/xz-utils@5.6.0").unwrap();
        assert!(p.matches_purl("pkg:pypi/xz-utils@5.6.0"));
        assert!(p.matches_purl("pkg:pypi/XZ_Utils@5.6"));
        // PEP 503: runs of `-`, `_`, `.` are one separator, as materials normalises them.
        assert!(p.matches_purl("pkg:pypi/xz__utils@5.6.0"));
        assert!(PackagePattern::parse("pkg:pypi/foo__bar")
            .unwrap()
            .matches_purl("pkg:pypi/foo-bar@1.0"));
        assert!(!p.matches_purl("pkg:pypi/xz-utils@5.6.1"));
        let r = PackagePattern::parse("pkg:npm/event-stream@>=3.3.6,<4").unwrap();
        assert!(r.matches_purl("pkg:npm/event-stream@3.3.6"));
        assert!(r.matches_purl("pkg:npm/event-stream@3.9.0"));
        assert!(!r.matches_purl("pkg:npm/event-stream@4.0.0"));
        assert!(!r.matches_purl("pkg:npm/event-stream@3.3.5"));
        assert!(!r.matches_purl("pkg:npm/other@3.3.6"));
        let any = PackagePattern::parse("pkg:npm/%40scope/x").unwrap();
        assert!(any.matches_purl("pkg:npm/%40scope/x@1.0.0"));
        let pre = PackagePattern::parse("pkg:pypi/a@<2.0").unwrap();
        assert!(pre.matches_purl("pkg:pypi/a@2.0rc1"));
        let g = PackagePattern::parse("pkg:deb/debian/xz-utils@>=5.6.0,<5.6.2").unwrap();
        assert!(g.matches_purl("pkg:deb/debian/xz-utils@5.6.1"));
        assert!(!g.matches_purl("pkg:deb/debian/xz-utils@5.8"));
    }

    #[test]
    fn bad_patterns() {
        assert!(matches!(
            PackagePattern::parse("pypi/xz"),
            Err(PatternError::Purl(_))
        ));
        assert!(matches!(
            PackagePattern::parse("pkg:npm/x@>=3.x"),
            Err(PatternError::Range(_))
        ));
        assert!(matches!(
            PackagePattern::parse("pkg:npm/x@^1.2.3"),
            Err(PatternError::Range(_))
        ));
        assert!(matches!(
            PackagePattern::parse("pkg:pypi/x@>=1.0,"),
            Err(PatternError::Range(_))
        ));
    }
}
