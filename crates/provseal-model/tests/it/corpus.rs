//! Every provenance file of the slsa-verifier corpus: envelopes, statements, provenance mapping.

use std::collections::BTreeMap;
use std::path::Path;

use provseal_model::dsse::Envelope;
use provseal_model::slsa::provenance_v1_from;
use provseal_model::{
    json, Statement, IN_TOTO_PAYLOAD_TYPE, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1,
};
use provseal_testsupport::{cases_of_kind, testdata_dir};
use serde_json::Value;

use crate::read;

/// Every DSSE envelope object inside a parsed document (bare, in a Sigstore bundle, in npm's
/// attestation list).
fn envelopes_in(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            if m.contains_key("payloadType") && m.contains_key("payload") {
                out.push(v.clone());
                return;
            }
            for child in m.values() {
                envelopes_in(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| envelopes_in(i, out)),
        _ => {}
    }
}

/// Reads a provenance file (JSON, or JSON Lines) down to its statements; the first error, as
/// text, on failure.
fn read_provenance(path: &Path, tally: &mut BTreeMap<&'static str, usize>) -> Result<(), String> {
    let bytes = read(path);
    let text = String::from_utf8_lossy(&bytes);
    let docs: Vec<Value> = match json::parse_strict(&bytes) {
        Ok(v) => vec![v],
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| json::parse_strict(l.as_bytes()).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?,
    };
    let mut envs = Vec::new();
    docs.iter().for_each(|d| envelopes_in(d, &mut envs));
    if envs.is_empty() {
        return Err("no DSSE envelope".into());
    }
    for env in &envs {
        let env = Envelope::from_value(env).map_err(|e| e.to_string())?;
        *tally.entry("envelopes").or_default() += 1;
        if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(format!("payload type {}", env.payload_type));
        }
        let st = Statement::parse(&env.payload).map_err(|e| e.to_string())?;
        *tally.entry("statements").or_default() += 1;
        if st.predicate_type == SLSA_PROVENANCE_V1 || st.predicate_type == SLSA_PROVENANCE_V02 {
            let predicate = st.predicate.as_ref().ok_or("no predicate")?;
            provenance_v1_from(&st.predicate_type, predicate).map_err(|e| e.to_string())?;
            *tally.entry("provenances").or_default() += 1;
        }
    }
    Ok(())
}

#[test]
fn slsa_verifier_corpus_reads() {
    let Some(dir) = testdata_dir("slsa_verifier_corpus_reads") else {
        return;
    };
    let cases = cases_of_kind(&dir, "slsa-provenance");
    let mut files: BTreeMap<String, bool> = BTreeMap::new();
    for case in &cases {
        let p = case.inputs["provenance"].as_str().unwrap().to_string();
        // A file is expected to read fully when some passing case uses it.
        *files.entry(p).or_default() |= case.expects_pass();
    }
    // Plus every other provenance-looking file of the corpus (negative fixtures included).
    let mut stack = vec![dir.join("slsa-verifier")];
    while let Some(d) = stack.pop() {
        for entry in fs_err::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let wanted = [
                ".jsonl",
                ".slsa",
                ".sigstore",
                ".sigstore.json",
                ".dsse.json",
                ".tgz.json",
            ]
            .iter()
            .any(|s| name.ends_with(s));
            if wanted {
                let rel = p.strip_prefix(&dir).unwrap().to_string_lossy().to_string();
                files.entry(rel).or_default();
            }
        }
    }
    let mut tally = BTreeMap::new();
    let (mut ok, mut failed) = (0, BTreeMap::<String, usize>::new());
    for (file, must_read) in &files {
        match read_provenance(&dir.join(file), &mut tally) {
            Ok(()) => ok += 1,
            Err(e) => {
                assert!(!must_read, "{file}: used by a passing case, but: {e}");
                eprintln!("not read: {file}: {e}");
                let class = e.split(':').next().unwrap_or_default().to_string();
                *failed.entry(class).or_default() += 1;
            }
        }
    }
    // What stays unread is known and wrong in the file itself: a payload with a `|` after the
    // JSON, a statement with an empty predicateType (the Go reference rejects both), and the
    // `invalid-dsse-sig` fixture whose signature base64 has non-zero trailing bits.
    let want_unread: BTreeMap<String, usize> = [
        ("invalid JSON at line 1 column 2025".to_string(), 1),
        ("invalid base64 in $.signatures[0].sig".to_string(), 1),
        ("missing required field $.predicateType".to_string(), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(failed, want_unread);
    assert!(files.len() >= 200, "corpus shrank: {} files", files.len());
    eprintln!(
        "slsa-verifier corpus: {} files ({} cases): {ok} read fully, {tally:?}; not read: {failed:?}",
        files.len(),
        cases.len()
    );
}

#[test]
fn sigstore_bundle_envelopes_read() {
    let Some(dir) = testdata_dir("sigstore_bundle_envelopes_read") else {
        return;
    };
    let mut stack = vec![
        dir.join("sigstore-conformance"),
        dir.join("sigstore-python"),
    ];
    let (mut bundles, mut envelopes, mut statements) = (0, 0, 0);
    let mut unread = Vec::new();
    while let Some(d) = stack.pop() {
        for entry in fs_err::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if !p.to_string_lossy().ends_with(".sigstore.json") {
                continue;
            }
            bundles += 1;
            let doc = match json::parse_strict(&read(&p)) {
                Ok(v) => v,
                Err(e) => {
                    unread.push(format!("{}: {e}", p.display()));
                    continue;
                }
            };
            let Some(env) = doc.get("dsseEnvelope") else {
                continue;
            };
            let env = match Envelope::from_value(env) {
                Ok(env) => env,
                Err(e) => {
                    unread.push(format!("{}: {e}", p.display()));
                    continue;
                }
            };
            envelopes += 1;
            if env.payload_type == IN_TOTO_PAYLOAD_TYPE {
                match Statement::parse(&env.payload) {
                    Ok(_) => statements += 1,
                    Err(e) => unread.push(format!("{}: statement: {e}", p.display())),
                }
            }
        }
    }
    eprintln!(
        "sigstore bundles: {bundles} files, {envelopes} DSSE envelopes, {statements} statements; unread: {unread:#?}"
    );
    assert!(envelopes >= 15, "corpus shrank: {envelopes} envelopes");
    assert_eq!(
        statements, envelopes,
        "every in-toto DSSE payload is a valid statement"
    );
    // Only a case built to fail (named `*_fail`, the conformance convention) may be unreadable.
    for u in &unread {
        assert!(u.contains("_fail/"), "{u}");
    }
}
