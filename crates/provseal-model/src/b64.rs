//! Lenient base64 decoding (standard or URL-safe alphabet, padded or not) and standard output.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serializer};

/// Padding optional (DSSE verifiers must accept padded and unpadded, standard and URL-safe
/// base64). Non-zero trailing bits are rejected: every encoder writes them as zero, and
/// accepting them would let a flipped character in a signature or payload go unnoticed.
const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(false);
const STD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes standard or URL-safe base64, with or without padding. Mixing both alphabets in one
/// value is rejected; the error text says why.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, crate::error::Base64Error> {
    let url = text.contains(['-', '_']);
    if url && text.contains(['+', '/']) {
        return Err(crate::error::Base64Error::MixedAlphabets);
    }
    let engine = if url { &URL_LENIENT } else { &STD_LENIENT };
    Ok(engine.decode(text)?)
}

/// Standard, padded base64.
pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// serde `with` module for `Vec<u8>` as base64 (lenient in, standard out).
pub(crate) mod bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(v))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(&text).map_err(|e| serde::de::Error::custom(format!("invalid base64: {e}")))
    }
}

/// serde `with` module for `Option<Vec<u8>>` as base64; null and absent are `None`.
pub(crate) mod opt_bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => decode(&text)
                .map(Some)
                .map_err(|e| serde::de::Error::custom(format!("invalid base64: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_variant() {
        let want = vec![0xfbu8, 0xff, 0xbf];
        for text in ["+/+/", "-_-_", "+/+/", "-_-_"] {
            assert_eq!(decode(text).unwrap(), want, "{text}");
        }
        assert_eq!(decode("aGk=").unwrap(), b"hi");
        assert_eq!(decode("aGk").unwrap(), b"hi");
        assert_eq!(decode("aGk-").unwrap(), b"hi>");
        assert!(decode("+_").is_err());
        assert!(decode("a").is_err());
        assert!(decode("aGk==").is_err());
        assert!(decode("a b=").is_err());
        assert_eq!(encode(b"hi"), "aGk=");
        // Non-zero trailing bits (as in slsa-verifier's invalid-dsse-sig fixture) are rejected:
        // "aGl=" would otherwise decode to the same bytes as "aGk=".
        assert!(decode("aGl=").is_err());
        assert!(decode("aGl").is_err());
    }
}
