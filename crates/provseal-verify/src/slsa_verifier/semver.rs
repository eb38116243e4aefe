//! Go `golang.org/x/mod/semver` rules, as slsa-verifier applies them to tags.
//!
//! A version is `v` MAJOR [`.` MINOR [`.` PATCH [`-` PRERELEASE] [`+` BUILD]]]; the short forms
//! `vMAJOR` and `vMAJOR.MINOR` take no prerelease or build. Numbers have no leading zeros.

/// A parsed Go semantic version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GoSemver {
    pub major: String,
    pub minor: Option<String>,
    pub patch: Option<String>,
    /// Including the leading `-`, or empty.
    pub prerelease: String,
    /// Including the leading `+`, or empty.
    pub build: String,
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

fn ident_ok(s: &str, numeric_no_leading_zero: bool) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !(numeric_no_leading_zero
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.len() > 1
            && s.starts_with('0'))
}

/// Parses `v` with Go's rules; `None` when invalid.
pub(crate) fn parse(v: &str) -> Option<GoSemver> {
    let rest = v.strip_prefix('v')?;
    // Split off build, then prerelease.
    let (rest, build) = match rest.find('+') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (core, pre) = match rest.find('-') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || !parts.iter().all(|p| is_num(p)) {
        return None;
    }
    if parts.len() < 3 && (!pre.is_empty() || !build.is_empty()) {
        return None;
    }
    if !pre.is_empty() && !pre[1..].split('.').all(|p| ident_ok(p, true)) {
        return None;
    }
    if !build.is_empty() && !build[1..].split('.').all(|p| ident_ok(p, false)) {
        return None;
    }
    Some(GoSemver {
        major: parts.first()?.to_string(),
        minor: parts.get(1).map(|s| s.to_string()),
        patch: parts.get(2).map(|s| s.to_string()),
        prerelease: pre.to_string(),
        build: build.to_string(),
    })
}

/// `semver.IsValid`.
pub(crate) fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

/// `semver.Canonical`: `vX.Y.Z[-pre]`, build dropped; empty when invalid.
pub(crate) fn canonical(v: &str) -> String {
    match parse(v) {
        Some(s) => format!(
            "v{}.{}.{}{}",
            s.major,
            s.minor.as_deref().unwrap_or("0"),
            s.patch.as_deref().unwrap_or("0"),
            s.prerelease
        ),
        None => String::new(),
    }
}

/// `semver.Major`: `vX`, empty when invalid.
pub(crate) fn major(v: &str) -> String {
    parse(v)
        .map(|s| format!("v{}", s.major))
        .unwrap_or_default()
}

/// `semver.Build`: `+build` or empty.
pub(crate) fn build(v: &str) -> String {
    parse(v).map(|s| s.build).unwrap_or_default()
}

/// `semver.Prerelease`: `-pre` or empty.
pub(crate) fn prerelease(v: &str) -> String {
    parse(v).map(|s| s.prerelease).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_semver_rules() {
        for ok in [
            "v1",
            "v1.2",
            "v1.2.3",
            "v1.2.3-alpha",
            "v1.2.3+123",
            "v1.2.3-alpha+1",
            "v0",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "1.2.3",
            "v01",
            "v1.2-pre",
            "v1+b",
            "v1.2.3.4",
            "v",
            "v1.2.3-",
            "v1.2.3-01",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
        assert_eq!(canonical("v14"), "v14.0.0");
        assert_eq!(canonical("v14.2"), "v14.2.0");
        assert_eq!(canonical("v1.2.3-rc.1+b"), "v1.2.3-rc.1");
        assert_eq!(major("v13.0.30"), "v13");
        assert_eq!(build("v1.2.3+123"), "+123");
        assert_eq!(prerelease("v1.2.3-alpha+1"), "-alpha");
    }
}
