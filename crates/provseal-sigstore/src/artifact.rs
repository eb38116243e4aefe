//! The artifact a bundle is checked against: its bytes, or a digest.

use std::collections::BTreeMap;

use crate::SigstoreError;

/// What to verify a bundle against.
#[derive(Debug, Clone, Copy)]
pub enum ArtifactInput<'a> {
    /// The artifact's bytes (every digest the bundle needs is computed from them).
    Bytes(&'a [u8]),
    /// A digest only: `alg` is the in-toto name (`sha256`, `sha384`, `sha512`, `sha1`, …),
    /// `hex` lowercase or uppercase hex.
    Digest {
        /// Algorithm name.
        alg: &'a str,
        /// Hex value.
        hex: &'a str,
    },
}

impl<'a> ArtifactInput<'a> {
    /// Parses `ALG:HEX` (as the CLI takes `sha256:…`); `None` if `s` has no such shape.
    pub fn parse_digest(s: &'a str) -> Option<ArtifactInput<'a>> {
        let (alg, hex) = s.split_once(':')?;
        let known = matches!(alg, "sha256" | "sha384" | "sha512" | "sha1");
        if !known || hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(ArtifactInput::Digest { alg, hex })
    }

    /// The artifact's digest with algorithm `alg`, if it can be known (bytes: computed;
    /// digest: only when the algorithm is the same). Lowercase hex.
    pub fn digest_hex(&self, alg: &str) -> Option<String> {
        match self {
            ArtifactInput::Bytes(b) => hash_hex(alg, b),
            ArtifactInput::Digest { alg: a, hex } => {
                (a.eq_ignore_ascii_case(alg)).then(|| hex.to_ascii_lowercase())
            }
        }
    }

    /// A short description for messages (`sha256:…` of the bytes, or the digest given).
    pub fn describe(&self) -> String {
        match self {
            ArtifactInput::Bytes(b) => {
                format!("sha256:{}", hash_hex("sha256", b).unwrap_or_default())
            }
            ArtifactInput::Digest { alg, hex } => format!("{alg}:{}", hex.to_ascii_lowercase()),
        }
    }
}

/// Hex digest of `data` with the in-toto algorithm name `alg` (`sha1`, `sha256`, `sha384`,
/// `sha512`); `None` for other algorithms.
pub fn hash_hex(alg: &str, data: &[u8]) -> Option<String> {
    hash(alg, data).map(hex::encode)
}

pub(crate) fn hash(alg: &str, data: &[u8]) -> Option<Vec<u8>> {
    use aws_lc_rs::digest;
    let a = match alg {
        "sha256" => &digest::SHA256,
        "sha384" => &digest::SHA384,
        "sha512" => &digest::SHA512,
        "sha1" => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        _ => return None,
    };
    Some(digest::digest(a, data).as_ref().to_vec())
}

/// One signed subject: its name (empty for a message signature) and digests (`alg → hex`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignedSubject {
    /// The subject name (`""` when the statement gives none, or for a message signature).
    pub name: String,
    /// Digests by in-toto algorithm name, lowercase hex.
    pub digest: BTreeMap<String, String>,
}

/// Finds the subject `artifact` matches. Every algorithm the subject and the artifact share
/// must agree, and at least one must be shared; sha1-only agreement is accepted only when the
/// subject lists nothing stronger (GitHub's git-commit subjects).
pub(crate) fn match_subjects<'s>(
    subjects: &'s [SignedSubject],
    artifact: &ArtifactInput<'_>,
) -> Result<&'s SignedSubject, SigstoreError> {
    let mut cache: BTreeMap<String, Option<String>> = BTreeMap::new();
    for s in subjects {
        let mut shared = 0usize;
        let mut ok = true;
        for (alg, want) in &s.digest {
            let got = cache
                .entry(alg.clone())
                .or_insert_with(|| artifact.digest_hex(alg))
                .clone();
            if let Some(got) = got {
                shared += 1;
                if !got.eq_ignore_ascii_case(want) {
                    ok = false;
                }
            }
        }
        if ok && shared > 0 {
            return Ok(s);
        }
    }
    Err(SigstoreError::ArtifactMismatch {
        artifact: artifact.describe(),
        signed: subjects
            .iter()
            .flat_map(|s| s.digest.iter().map(|(a, h)| format!("{a}:{h}")))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_parsing_and_matching() {
        assert!(ArtifactInput::parse_digest("sha256:zz").is_none());
        assert!(ArtifactInput::parse_digest("md5:00").is_none());
        let d = hash_hex("sha256", b"hello").unwrap_or_default();
        let s = vec![SignedSubject {
            name: "a".into(),
            digest: [("sha256".to_string(), d.clone())].into_iter().collect(),
        }];
        assert!(match_subjects(&s, &ArtifactInput::Bytes(b"hello")).is_ok());
        assert!(match_subjects(&s, &ArtifactInput::Bytes(b"other")).is_err());
        let up = d.to_ascii_uppercase();
        let input = format!("sha256:{up}");
        let a = ArtifactInput::parse_digest(&input);
        assert!(a.is_some_and(|a| match_subjects(&s, &a).is_ok()));
        // a digest of an algorithm the subject lacks does not match
        let sha1 = vec![SignedSubject {
            name: "c".into(),
            digest: [(
                "sha1".to_string(),
                hash_hex("sha1", b"hello").unwrap_or_default(),
            )]
            .into_iter()
            .collect(),
        }];
        assert!(match_subjects(&sha1, &ArtifactInput::Bytes(b"hello")).is_ok());
        assert!(match_subjects(
            &sha1,
            &ArtifactInput::Digest {
                alg: "sha256",
                hex: &d
            }
        )
        .is_err());
    }
}
