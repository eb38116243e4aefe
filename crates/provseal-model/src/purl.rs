//! Package URLs (purl, <https://github.com/package-url/purl-spec>): the one purl module every
//! crate uses — materials builds them, drift and the policy compare them.
//!
//! Built on the `packageurl` crate, which applies the purl-spec type rules (lowercased `npm` and
//! `pypi` names, prohibited namespaces, percent-encoding of each component: an npm scope
//! `@scope` becomes `%40scope`, a `+` in a version becomes `%2B`).
//!
//! One deliberate strengthening: `pypi` names are normalised with PyPA's name normalisation
//! (PEP 503: lowercase, every run of `-`, `_`, `.` becomes one `-`), not only the purl spec's
//! "lowercase and `_` → `-`". PyPI treats all of these spellings as the same project, and lockfiles
//! disagree on spelling (`uv.lock` writes `zope-interface`, a `METADATA` file `zope.interface`);
//! normalising fully gives the same package the same purl from every lockfile and environment.
//!
//! ```
//! use provseal_model::purl::{package_url, purl_identity};
//! assert_eq!(package_url("pypi", None, "Zope.Interface", Some("7.0")), "pkg:pypi/zope-interface@7.0");
//! assert_eq!(package_url("npm", Some("@babel"), "core", Some("7.24.0")), "pkg:npm/%40babel/core@7.24.0");
//! // The identity compares names as the ecosystem does: `foo__bar` and `Foo.Bar` are one project.
//! assert_eq!(purl_identity("pkg:pypi/foo__bar@1.0").unwrap(), purl_identity("pkg:pypi/Foo.Bar").unwrap());
//! ```

use packageurl::PackageUrl;

/// PyPA name normalisation (PEP 503): lowercase, runs of `-`, `_` and `.` collapsed to one `-`.
pub fn normalize_pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

/// Builds a purl string. `namespace` may hold several `/`-separated segments (each is
/// percent-encoded). Never fails: input the purl rules reject (an empty name, a namespace on a type
/// that prohibits one) is still encoded component by component without the type rules — use
/// [`try_package_url`] to get the error instead.
pub fn package_url(
    ptype: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
) -> String {
    package_url_with_qualifiers(ptype, namespace, name, version, &[])
}

/// [`package_url`] with qualifiers (`vcs_url`, `download_url`, `checksum`, …), emitted sorted by
/// key as the spec requires.
pub fn package_url_with_qualifiers(
    ptype: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
    qualifiers: &[(&str, &str)],
) -> String {
    match try_package_url(ptype, namespace, name, version, qualifiers) {
        Ok(s) => s,
        Err(_) => fallback(ptype, namespace, name, version, qualifiers),
    }
}

/// Why the purl rules reject a package.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid package URL for {purl_type} package `{name}`")]
pub struct PurlError {
    /// The purl type (`pypi`, `npm`, …).
    pub purl_type: String,
    /// The package name as given.
    pub name: String,
    /// Why the purl rules reject it.
    #[source]
    pub source: packageurl::Error,
}

/// Builds a purl string, or explains why the purl rules reject the input.
pub fn try_package_url(
    ptype: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
    qualifiers: &[(&str, &str)],
) -> Result<String, PurlError> {
    let err = |e: packageurl::Error| PurlError {
        purl_type: ptype.to_string(),
        name: name.to_string(),
        source: e,
    };
    let ptype_l = ptype.to_ascii_lowercase();
    let name = if ptype_l == "pypi" {
        normalize_pypi_name(name)
    } else {
        name.to_string()
    };
    let mut purl = PackageUrl::new(ptype_l.as_str(), name.as_str()).map_err(err)?;
    if let Some(ns) = namespace.filter(|ns| !ns.is_empty()) {
        purl.with_namespace(ns).map_err(err)?;
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        purl.with_version(v).map_err(err)?;
    }
    for (k, v) in qualifiers {
        if !v.is_empty() {
            purl.add_qualifier(*k, *v).map_err(err)?;
        }
    }
    purl.validate().map_err(err)?;
    Ok(purl.to_string())
}

/// The identity of a package: `type/namespace/name` with the version, qualifiers and subpath
/// dropped, percent-decoding applied and names normalised as the ecosystem compares them (PyPI
/// per PEP 503, so `foo__bar`, `Foo.Bar` and `foo-bar` are one project). `None` when `purl` is
/// not a purl.
pub fn purl_identity(purl: &str) -> Option<String> {
    let p: PackageUrl<'_> = purl.parse().ok()?;
    let ty = p.ty().to_ascii_lowercase();
    let norm = |s: &str| -> String {
        if ty == "pypi" {
            normalize_pypi_name(s)
        } else {
            s.to_string()
        }
    };
    Some(match p.namespace() {
        Some(ns) if !ns.is_empty() => format!("{ty}/{}/{}", norm(ns), norm(p.name())),
        _ => format!("{ty}/{}", norm(p.name())),
    })
}

/// Component-wise encoding without type rules, for input `packageurl` rejects.
fn fallback(
    ptype: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
    qualifiers: &[(&str, &str)],
) -> String {
    let mut s = format!("pkg:{}/", ptype.to_ascii_lowercase());
    if let Some(ns) = namespace.filter(|ns| !ns.is_empty()) {
        for seg in ns.split('/') {
            s.push_str(&encode(seg, true));
            s.push('/');
        }
    }
    s.push_str(&encode(name, true));
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        s.push('@');
        s.push_str(&encode(v, false));
    }
    let mut q: Vec<_> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    q.sort();
    for (i, (k, v)) in q.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(&k.to_ascii_lowercase());
        s.push('=');
        s.push_str(&encode(v, true));
    }
    s
}

/// Percent-encodes everything but unreserved characters and `:` (and `/` unless `slash`).
fn encode(s: &str, slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b':')
            || (!slash && b == b'/');
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_are_normalised() {
        assert_eq!(normalize_pypi_name("Django_Package"), "django-package");
        assert_eq!(normalize_pypi_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_pypi_name("a-_.b"), "a-b");
        assert_eq!(
            package_url("pypi", None, "Django_package", Some("1.11.1.dev1")),
            "pkg:pypi/django-package@1.11.1.dev1"
        );
        assert_eq!(
            package_url("PyPI", None, "requests", Some("2.32.3")),
            "pkg:pypi/requests@2.32.3"
        );
    }

    #[test]
    fn npm_scope_is_encoded() {
        assert_eq!(
            package_url("npm", Some("@Babel"), "Core", Some("7.0.0")),
            "pkg:npm/%40Babel/core@7.0.0"
        );
        assert_eq!(
            package_url("npm", None, "left-pad", Some("1.3.0")),
            "pkg:npm/left-pad@1.3.0"
        );
    }

    #[test]
    fn versions_and_qualifiers_are_encoded() {
        assert_eq!(
            package_url("cargo", None, "serde", Some("1.0.200")),
            "pkg:cargo/serde@1.0.200"
        );
        assert_eq!(
            package_url("generic", None, "x", Some("1.0+local")),
            "pkg:generic/x@1.0%2Blocal"
        );
        assert_eq!(
            package_url_with_qualifiers(
                "pypi",
                None,
                "pkg",
                Some("1.0"),
                &[("vcs_url", "git+https://github.com/o/r@abc"), ("a", "1")]
            ),
            "pkg:pypi/pkg@1.0?a=1&vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fo%2Fr%40abc"
        );
        assert_eq!(
            package_url(
                "golang",
                Some("github.com/gorilla"),
                "context",
                Some("v1.1.1")
            ),
            "pkg:golang/github.com/gorilla/context@v1.1.1"
        );
    }

    #[test]
    fn identities_agree_on_pep_503() {
        let id = |p| purl_identity(p).unwrap();
        assert_eq!(id("pkg:pypi/foo__bar@1"), "pypi/foo-bar");
        assert_eq!(id("pkg:pypi/Foo.-Bar"), "pypi/foo-bar");
        assert_eq!(id("pkg:npm/%40s/n@1.0.0?x=1#p"), "npm/@s/n");
        assert_eq!(purl_identity("not a purl"), None);
    }

    #[test]
    fn rejected_input_still_encodes() {
        assert!(try_package_url("pypi", Some("ns"), "x", None, &[]).is_err());
        assert_eq!(package_url("pypi", Some("ns"), "x", None), "pkg:pypi/ns/x");
        assert!(try_package_url("npm", None, "", None, &[]).is_err());
        assert_eq!(package_url("npm", None, "a b", None), "pkg:npm/a%20b");
    }
}
