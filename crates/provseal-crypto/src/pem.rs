//! A small, lenient PEM (RFC 7468) reader and writer for key files.
//!
//! Lenient on purpose: text before, between and after blocks is ignored (openssl writes
//! `EC PARAMETERS` before `EC PRIVATE KEY`; people paste keys with comments around them), line
//! lengths are not checked, and CRLF line ends are accepted.

use base64::Engine as _;
use zeroize::Zeroizing;

/// One PEM block: its label and its decoded body.
pub(crate) struct PemBlock {
    /// The label, e.g. `PRIVATE KEY`.
    pub(crate) label: String,
    /// Whether the block carries RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`, …).
    pub(crate) has_headers: bool,
    /// The decoded body (zeroized on drop: it may be a private key).
    pub(crate) der: Zeroizing<Vec<u8>>,
}

/// Why PEM text could not be read.
#[derive(Debug)]
pub(crate) enum PemError {
    /// No `-----BEGIN ...-----` line at all.
    NoBlock,
    /// A block was opened and not closed, or closed with another label.
    Unterminated(String),
    /// The body of the named block is not valid base64.
    BadBase64(String),
}

impl std::fmt::Display for PemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PemError::NoBlock => f.write_str("no PEM block found"),
            PemError::Unterminated(label) => {
                write!(f, "the `{label}` block has no matching END line")
            }
            PemError::BadBase64(label) => write!(f, "the `{label}` block is not valid base64"),
        }
    }
}

/// Whether `bytes` look like PEM text (contain a BEGIN line).
pub(crate) fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Parses every PEM block in `text`.
pub(crate) fn parse_blocks(text: &str) -> Result<Vec<PemBlock>, PemError> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = Zeroizing::new(String::new());
        let mut has_headers = false;
        let mut closed = false;
        for inner in lines.by_ref() {
            if inner == end {
                closed = true;
                break;
            }
            if inner.starts_with("-----") {
                break;
            }
            if inner.contains(':') {
                has_headers = true;
                continue;
            }
            body.push_str(inner);
        }
        if !closed {
            return Err(PemError::Unterminated(label.to_owned()));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| PemError::BadBase64(label.to_owned()))?;
        blocks.push(PemBlock {
            label: label.to_owned(),
            has_headers,
            der: Zeroizing::new(der),
        });
    }
    if blocks.is_empty() {
        return Err(PemError::NoBlock);
    }
    Ok(blocks)
}

/// Encodes `der` as one PEM block with 64-column lines and a trailing newline.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_surrounding_text() {
        let der: Vec<u8> = (0u8..=200).collect();
        let pem = encode("PUBLIC KEY", &der);
        assert!(pem.lines().all(|l| l.len() <= 64 || l.starts_with("-----")));
        let text = format!("comment\r\n{}\r\ntrailing", pem.replace('\n', "\r\n"));
        let blocks = parse_blocks(&text).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "PUBLIC KEY");
        assert_eq!(blocks[0].der.as_slice(), der.as_slice());
    }

    #[test]
    fn errors() {
        assert!(matches!(parse_blocks("nothing"), Err(PemError::NoBlock)));
        assert!(matches!(
            parse_blocks("-----BEGIN X-----\nAAAA\n"),
            Err(PemError::Unterminated(_))
        ));
        assert!(matches!(
            parse_blocks("-----BEGIN X-----\n!!!!\n-----END X-----\n"),
            Err(PemError::BadBase64(_))
        ));
    }
}
