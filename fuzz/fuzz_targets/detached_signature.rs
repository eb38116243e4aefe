//! A statement file and a detached signature (split from the input at the first NUL byte):
//! classification, key parsing and verification error out or verify, never panic.
#![no_main]

use provseal_verify::detached::{parse_public_key, signature_kind, verify_detached, DetachedInput};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (statement, signature) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let _ = signature_kind(signature, "fuzz.sig");
    let _ = parse_public_key(signature, "fuzz.pub");
    let input = DetachedInput {
        statement,
        statement_origin: "fuzz.json",
        signature,
        signature_origin: "fuzz.sig",
    };
    let _ = verify_detached(&input, &provseal_verify::VerifyOptions::default());
});
