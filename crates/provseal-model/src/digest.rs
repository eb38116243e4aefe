//! `DigestSet`: the algorithm → hex map used for every artifact and material.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::excerpt;
use crate::ModelError;

/// Algorithms whose values are fixed-size hex, with their size in bytes (the set the in-toto Go
/// reference checks; `gitCommit`, `gitTree`, `gitBlob` and `gitTag` are 20 or 32 bytes).
fn fixed_size(alg: &str) -> Option<(&'static [usize], &'static str)> {
    Some(match alg {
        "md5" => (&[16], "16"),
        "sha1" => (&[20], "20"),
        "sha224" | "sha512_224" | "sha3_224" => (&[28], "28"),
        "sha256" | "sha512_256" | "sha3_256" | "dirHash" => (&[32], "32"),
        "sha384" | "sha3_384" => (&[48], "48"),
        "sha512" | "sha3_512" => (&[64], "64"),
        "gitCommit" | "gitTree" | "gitBlob" | "gitTag" => (&[20, 32], "20 or 32"),
        _ => return None,
    })
}

/// Algorithms accepted for a match by [`DigestSet::matches`]: collision-resistant and hex.
fn is_strong(alg: &str, value: &str) -> bool {
    match alg {
        "sha224" | "sha256" | "sha384" | "sha512" | "sha512_224" | "sha512_256" | "sha3_224"
        | "sha3_256" | "sha3_384" | "sha3_512" | "shake128" | "shake256" | "blake2b"
        | "blake2s" | "sm3" | "dirHash" => true,
        // Git object names are SHA-1 unless the repository uses SHA-256 (64 hex digits).
        "gitCommit" | "gitTree" | "gitBlob" | "gitTag" => value.len() == 64,
        _ => false,
    }
}

/// Algorithms that are only compared when the caller opts in ([`DigestSet::matches_including_weak`]).
fn is_weak(alg: &str, value: &str) -> bool {
    match alg {
        "md5" | "sha1" => true,
        "gitCommit" | "gitTree" | "gitBlob" | "gitTag" => value.len() == 40,
        _ => false,
    }
}

/// Whether two values of the same algorithm are equal (hex compared case-insensitively).
fn same_value(a: &str, b: &str) -> bool {
    !a.is_empty() && a.eq_ignore_ascii_case(b)
}

/// A digest problem found before its place in the document is known.
pub(crate) enum DigestProblem {
    Encoding {
        algorithm: String,
        value: String,
    },
    Length {
        algorithm: String,
        expected: &'static str,
        actual: usize,
    },
}

impl DigestProblem {
    /// The error, placed at `path`.
    pub(crate) fn at(self, path: String) -> ModelError {
        match self {
            Self::Encoding { algorithm, value } => ModelError::DigestEncoding {
                path,
                algorithm,
                value,
            },
            Self::Length {
                algorithm,
                expected,
                actual,
            } => ModelError::DigestLength {
                path,
                algorithm,
                expected,
                actual,
            },
        }
    }
}

/// A set of digests of one artifact: algorithm name → lowercase hex value
/// (`{"sha256": "…", "sha512": "…"}`), ordered by algorithm name.
///
/// ```
/// use provseal_model::DigestSet;
/// let mut a = DigestSet::new();
/// a.insert("sha256", "ab".repeat(32));
/// let b: DigestSet = [("sha256", "AB".repeat(32)), ("sha512", "cd".repeat(64))].into_iter().collect();
/// assert!(a.matches(&b));
/// ```
///
/// Held as a vector sorted by algorithm (one allocation for the usual one or two digests, where a
/// map would allocate a node sized for eleven): a statement with a million subjects holds a
/// million of these.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DigestSet(Vec<(String, String)>);

impl Serialize for DigestSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for DigestSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DigestSet;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of algorithm to digest")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<DigestSet, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(1).min(16));
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(DigestSet::from_pairs(pairs))
            }
        }
        d.deserialize_map(V)
    }
}

impl DigestSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sorts by algorithm; of two values for one algorithm, the last wins (as a map's insert).
    fn from_pairs(mut pairs: Vec<(String, String)>) -> Self {
        pairs.reverse();
        pairs.sort_by(|a, b| a.0.cmp(&b.0)); // stable: the last given comes first
        pairs.dedup_by(|later, first| later.0 == first.0);
        pairs.shrink_to_fit();
        Self(pairs)
    }

    fn position(&self, algorithm: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(algorithm))
    }

    /// Adds (or replaces) the digest of `algorithm`; returns the previous value.
    pub fn insert(
        &mut self,
        algorithm: impl Into<String>,
        value: impl Into<String>,
    ) -> Option<String> {
        let algorithm = algorithm.into();
        match self.position(&algorithm) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value.into())),
            Err(i) => {
                self.0.insert(i, (algorithm, value.into()));
                None
            }
        }
    }

    /// The digest of `algorithm`, if present.
    pub fn get(&self, algorithm: &str) -> Option<&str> {
        let i = self.position(algorithm).ok()?;
        Some(self.0[i].1.as_str())
    }

    /// Removes the digest of `algorithm`; returns it.
    pub fn remove(&mut self, algorithm: &str) -> Option<String> {
        let i = self.position(algorithm).ok()?;
        Some(self.0.remove(i).1)
    }

    /// `(algorithm, value)` pairs in algorithm order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of digests.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set holds no digest.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The digests as a map.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.0.iter().cloned().collect()
    }

    /// Checks every digest of a known algorithm as the in-toto Go reference
    /// (`ResourceDescriptor.Validate`) does: hex, and the algorithm's length. Digests of other
    /// algorithms are allowed as they are. `path` names the set in errors.
    pub fn validate_at(&self, path: &str) -> Result<(), ModelError> {
        self.check().map_err(|p| p.at(path.to_string()))
    }

    /// The checks of [`DigestSet::validate_at`], without a path (built only for an error).
    pub(crate) fn check(&self) -> Result<(), DigestProblem> {
        for (alg, value) in &self.0 {
            let Some((sizes, expected)) = fixed_size(alg) else {
                continue;
            };
            // Go's hex.DecodeString: an even number of hex digits, either case.
            let hex_ok = value.len() % 2 == 0 && value.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex_ok {
                return Err(DigestProblem::Encoding {
                    algorithm: alg.clone(),
                    value: excerpt(value),
                });
            }
            let actual = value.len() / 2;
            if !sizes.contains(&actual) {
                return Err(DigestProblem::Length {
                    algorithm: alg.clone(),
                    expected,
                    actual,
                });
            }
        }
        Ok(())
    }

    /// [`DigestSet::validate_at`] for a set that stands alone (`$`).
    pub fn validate(&self) -> Result<(), ModelError> {
        self.validate_at("$")
    }

    /// Whether both sets name the same artifact: at least one collision-resistant algorithm
    /// (SHA-2, SHA-3, SHAKE, BLAKE2, SM3, dirHash, SHA-256 git names) present in both with equal
    /// values, and no such common algorithm with different values (a conflict means the sets do
    /// not describe the same bytes). md5, sha1, SHA-1 git names and unknown algorithms are
    /// ignored, as the in-toto spec asks of consumers. Hex is compared case-insensitively.
    pub fn matches(&self, other: &DigestSet) -> bool {
        self.compare(other, is_strong)
    }

    /// Like [`DigestSet::matches`], but md5, sha1 and SHA-1 git names count as well. Only for
    /// callers that have decided weak digests are good enough (never for a signature decision).
    pub fn matches_including_weak(&self, other: &DigestSet) -> bool {
        self.compare(other, |alg, v| is_strong(alg, v) || is_weak(alg, v))
    }

    /// The algorithms that [`DigestSet::matches`] compared and found equal.
    pub fn matching_algorithms<'a>(&'a self, other: &DigestSet) -> Vec<&'a str> {
        self.0
            .iter()
            .filter(|(alg, v)| is_strong(alg, v))
            .filter(|(alg, v)| other.get(alg).is_some_and(|o| same_value(v, o)))
            .map(|(alg, _)| alg.as_str())
            .collect()
    }

    fn compare(&self, other: &DigestSet, accepted: impl Fn(&str, &str) -> bool) -> bool {
        let mut any = false;
        for (alg, value) in &self.0 {
            if !accepted(alg, value) {
                continue;
            }
            if let Some(theirs) = other.get(alg) {
                if !accepted(alg, theirs) {
                    continue;
                }
                if same_value(value, theirs) {
                    any = true;
                } else {
                    return false;
                }
            }
        }
        any
    }
}

impl From<BTreeMap<String, String>> for DigestSet {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(map.into_iter().collect())
    }
}

impl From<DigestSet> for BTreeMap<String, String> {
    fn from(set: DigestSet) -> Self {
        set.0.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for DigestSet {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::from_pairs(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// Borrowing iterator of a [`DigestSet`]: `(&algorithm, &value)` in algorithm order.
pub type DigestIter<'a> = std::iter::Map<
    std::slice::Iter<'a, (String, String)>,
    fn(&(String, String)) -> (&String, &String),
>;

impl<'a> IntoIterator for &'a DigestSet {
    type Item = (&'a String, &'a String);
    type IntoIter = DigestIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        fn pair(p: &(String, String)) -> (&String, &String) {
            (&p.0, &p.1)
        }
        self.0
            .iter()
            .map(pair as fn(&(String, String)) -> (&String, &String))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, &str)]) -> DigestSet {
        pairs.iter().copied().collect()
    }

    /// Issue 14: the set is a sorted vector (one small allocation per subject); it behaves as
    /// the map it replaced: sorted, the last of two values for one algorithm wins, JSON round
    /// trip unchanged.
    #[test]
    fn issue_14_vector_set_behaves_as_a_map() {
        let mut d = set(&[("sha512", "b"), ("sha256", "a"), ("sha512", "c")]);
        assert_eq!(
            d.iter().collect::<Vec<_>>(),
            [("sha256", "a"), ("sha512", "c")]
        );
        assert_eq!(d.insert("md5", "m"), None);
        assert_eq!(d.insert("sha256", "z"), Some("a".into()));
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"md5":"m","sha256":"z","sha512":"c"}"#
        );
        let back: DigestSet =
            serde_json::from_str(r#"{"sha512":"c","md5":"m","sha256":"z"}"#).unwrap();
        assert_eq!(back, d);
        assert_eq!(d.remove("md5"), Some("m".into()));
        assert_eq!(d.get("md5"), None);
        assert_eq!((&d).into_iter().count(), 2);
        assert_eq!(BTreeMap::from(d.clone()), d.to_map());
        assert_eq!(DigestSet::from(d.to_map()), d);
    }

    #[test]
    fn validation_follows_the_go_reference() {
        let h64 = "a1234567b1234567c1234567d1234567e1234567f1234567a1234567b1234567";
        assert!(set(&[("sha256", h64), ("custom", "anything")])
            .validate()
            .is_ok());
        assert!(set(&[("gitCommit", &h64[..40])]).validate().is_ok());
        assert!(set(&[("gitCommit", h64)]).validate().is_ok());
        assert_eq!(
            set(&[("sha256", "badDigest")]).validate(),
            Err(ModelError::DigestEncoding {
                path: "$".into(),
                algorithm: "sha256".into(),
                value: "badDigest".into()
            })
        );
        assert_eq!(
            set(&[("sha256", "abc123")]).validate(),
            Err(ModelError::DigestLength {
                path: "$".into(),
                algorithm: "sha256".into(),
                expected: "32",
                actual: 3
            })
        );
        assert!(matches!(
            set(&[("gitCommit", "abc123")]).validate(),
            Err(ModelError::DigestLength {
                expected: "20 or 32",
                actual: 3,
                ..
            })
        ));
        assert!(matches!(
            set(&[("sha512", "abc")]).validate(),
            Err(ModelError::DigestEncoding { .. })
        ));
    }

    #[test]
    fn matching_rules() {
        let a = "ab".repeat(32);
        let b = "cd".repeat(32);
        let s1 = "12".repeat(20);
        // The spec examples.
        assert!(set(&[("sha256", &a), ("sha512", &b)]).matches(&set(&[("sha256", &a)])));
        assert!(!set(&[("sha256", &a)]).matches(&set(&[("sha256", &b), ("sha512", &a)])));
        // Weak algorithms only on request.
        assert!(!set(&[("sha1", &s1)]).matches(&set(&[("sha1", &s1)])));
        assert!(set(&[("sha1", &s1)]).matches_including_weak(&set(&[("sha1", &s1)])));
        assert!(!set(&[("md5", "00")]).matches(&set(&[("md5", "00")])));
        // Unknown algorithms never match.
        assert!(!set(&[("alg1", "abc")]).matches(&set(&[("alg1", "abc")])));
        // Case-insensitive hex.
        assert!(set(&[("sha256", &a)]).matches(&set(&[("sha256", &a.to_uppercase())])));
        // A conflict on a common strong algorithm is not a match.
        assert!(!set(&[("sha256", &a), ("sha512", &b)])
            .matches(&set(&[("sha256", &a), ("sha512", &a)])));
        // Empty values never match.
        assert!(!set(&[("sha256", "")]).matches(&set(&[("sha256", "")])));
        assert_eq!(
            set(&[("sha256", &a), ("sha1", &s1)])
                .matching_algorithms(&set(&[("sha256", &a), ("sha1", &s1)])),
            vec!["sha256"]
        );
    }

    #[test]
    fn serde_is_transparent() {
        let d = set(&[("sha512", "00"), ("sha256", "11")]);
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"sha256":"11","sha512":"00"}"#
        );
        let back: DigestSet = serde_json::from_str(r#"{"sha256":"11"}"#).unwrap();
        assert_eq!(back.get("sha256"), Some("11"));
    }
}
