//! RFC 8785: the cyberphone vectors and the ES6 number corpora.

use provseal_model::json::{canonical_number, canonicalize, canonicalize_bytes};
use provseal_testsupport::{cases_of_kind, testdata_dir};

use crate::read;

#[test]
fn jcs_vectors_byte_for_byte_and_idempotent() {
    let Some(dir) = testdata_dir("jcs_vectors_byte_for_byte_and_idempotent") else {
        return;
    };
    let cases = cases_of_kind(&dir, "jcs");
    assert_eq!(cases.len(), 6);
    for case in &cases {
        let input = read(&case.input(&dir, "input").unwrap());
        let want = read(&case.input(&dir, "expected_output").unwrap());
        let outhex =
            String::from_utf8(read(&case.input(&dir, "expected_outhex").unwrap())).unwrap();
        let want_hex: Vec<u8> = hex::decode(outhex.split_whitespace().collect::<String>()).unwrap();
        assert_eq!(want, want_hex, "{}: output and outhex disagree", case.id);
        let got = canonicalize_bytes(&input).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{}",
            case.id
        );
        assert_eq!(got, want, "{}", case.id);
        assert_eq!(
            canonicalize_bytes(&got).unwrap(),
            want,
            "{}: not idempotent",
            case.id
        );
    }
    eprintln!("jcs: {} vectors byte-for-byte and idempotent", cases.len());
}

/// Checks one `hex-ieee754,expected` line; returns whether it was a must-fail (`null`) line.
fn check_line(line: &str, source: &str) -> bool {
    let (hex_bits, expected) = line
        .split_once(',')
        .unwrap_or_else(|| panic!("{source}: bad line {line:?}"));
    let bits = u64::from_str_radix(hex_bits, 16).unwrap();
    let value = f64::from_bits(bits);
    let got = canonical_number(value);
    if expected == "null" {
        assert!(got.is_err(), "{source}: {hex_bits} must fail, got {got:?}");
        assert!(serde_json::Number::from_f64(value).is_none());
        return true;
    }
    assert_eq!(got.as_deref(), Ok(expected), "{source}: {hex_bits}");
    // The same number inside a document takes the same path.
    let doc = serde_json::Value::Array(vec![serde_json::Number::from_f64(value).unwrap().into()]);
    assert_eq!(
        canonicalize(&doc).unwrap(),
        format!("[{expected}]").into_bytes(),
        "{source}: {hex_bits}"
    );
    false
}

#[test]
fn jcs_number_corpora() {
    let Some(dir) = testdata_dir("jcs_number_corpora") else {
        return;
    };
    let cases = cases_of_kind(&dir, "jcs-number");
    assert_eq!(cases.len(), 2);
    for case in &cases {
        let text = String::from_utf8(read(&case.input(&dir, "vectors").unwrap())).unwrap();
        let (mut lines, mut must_fail) = (0usize, 0usize);
        for line in text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            lines += 1;
            if check_line(line, &case.id) {
                must_fail += 1;
            }
        }
        if let Some(n) = case.params.get("lines").and_then(|v| v.as_u64()) {
            assert_eq!(lines as u64, n, "{}", case.id);
        }
        assert!(lines > 0);
        eprintln!("{}: {lines} numbers ({must_fail} must-fail) ok", case.id);
    }
}
