//! Random and mutated inputs never panic (a deterministic mutation loop, no extra dependency).

use provseal_model::dsse::Envelope;
use provseal_model::{json, Statement};

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"null",
    b"1e999",
    b"-0",
    b"9007199254740993",
    b"\"_type\"",
    b"\"subject\"",
    b"\"digest\"",
    b"\"payload\"",
    b"\"sig\"",
    b"\xff",
    b"\xc3",
    b" ",
    b"\n",
    b"=",
    b"-",
    b"_",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(6) {
            0 => out.truncate(rng.below(out.len() + 1)),
            1 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(out.len() + 1);
                let t = TOKENS[rng.below(TOKENS.len())];
                out.splice(i..i, t.iter().copied());
            }
            3 if !out.is_empty() => {
                let i = rng.below(out.len());
                let j = (i + rng.below(16)).min(out.len());
                out.drain(i..j);
            }
            4 if !out.is_empty() => {
                // Duplicate a slice (creates repeated keys and deep nesting).
                let i = rng.below(out.len());
                let j = (i + rng.below(64)).min(out.len());
                let piece: Vec<u8> = out[i..j].to_vec();
                let k = rng.below(out.len() + 1);
                out.splice(k..k, piece);
            }
            _ => out = (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
        }
    }
    out
}

fn seeds() -> Vec<Vec<u8>> {
    let h = "ab".repeat(32);
    let statement = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a","digest":{{"sha256":"{h}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{{"buildDefinition":{{"buildType":"x","externalParameters":{{}}}},"runDetails":{{"builder":{{"id":"b"}}}}}}}}"#
    );
    let envelope = Envelope {
        payload: statement.clone().into_bytes(),
        payload_type: provseal_model::IN_TOTO_PAYLOAD_TYPE.into(),
        signatures: vec![provseal_model::dsse::Signature {
            keyid: Some("k".into()),
            sig: vec![7; 64],
        }],
    }
    .to_json();
    vec![
        statement.into_bytes(),
        envelope.into_bytes(),
        b"[[[[[[[[[[]]]]]]]]]]".to_vec(),
    ]
}

#[test]
fn mutated_inputs_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let seeds = seeds();
    let (mut accepted, mut rejected) = (0usize, 0usize);
    for round in 0..20_000 {
        let input = mutate(&mut rng, &seeds[round % seeds.len()]);
        let results = [
            json::parse_strict(&input).is_ok(),
            Statement::parse(&input).is_ok(),
            Envelope::from_json(&input).is_ok(),
            json::canonicalize_bytes(&input).is_ok(),
        ];
        // Whatever parses as a statement or envelope also parses as JSON.
        if results[1] || results[2] {
            assert!(results[0]);
        }
        if let Ok(env) = Envelope::from_json(&input) {
            // The payload of a surviving envelope is itself fuzz input.
            let _ = Statement::parse(&env.payload);
            assert_eq!(Envelope::from_json(env.to_json().as_bytes()), Ok(env));
        }
        if let Ok(st) = Statement::parse(&input) {
            if let Some(p) = &st.predicate {
                let _ = provseal_model::slsa::provenance_v1_from(&st.predicate_type, p);
            }
        }
        for r in results {
            if r {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
    }
    eprintln!(
        "mutation loop: 20000 inputs, {accepted} accepted / {rejected} rejected results, no panic"
    );
}

#[test]
fn every_prefix_of_a_statement_is_rejected_cleanly() {
    for seed in seeds() {
        for cut in 0..seed.len() {
            assert!(json::parse_strict(&seed[..cut]).is_err());
            assert!(Statement::parse(&seed[..cut]).is_err());
            assert!(Envelope::from_json(&seed[..cut]).is_err());
        }
    }
}
