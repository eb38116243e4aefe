//! Bad input never panics: mutated and truncated keys, public keys, envelopes and signatures.

use provseal_crypto::{generate_key, load_signer, KeyAlgorithm, PublicKey, Signer};
use provseal_model::dsse::{Envelope, Signature};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    match rng.below(4) {
        0 => {
            let cut = rng.below(v.len() + 1);
            v.truncate(cut);
        }
        1 => {
            for _ in 0..=rng.below(4) {
                let i = rng.below(v.len());
                if let Some(b) = v.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
        }
        2 => {
            let i = rng.below(v.len());
            v.insert(i.min(v.len()), rng.next() as u8);
        }
        _ => {
            let i = rng.below(v.len());
            if i < v.len() {
                v.remove(i);
            }
        }
    }
    v
}

#[test]
fn mutated_inputs_give_errors_not_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let mut publics: Vec<Vec<u8>> = Vec::new();
    for alg in [
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
    ] {
        let key = generate_key(alg, None).unwrap();
        let signer = load_signer(key.private_pem.as_bytes(), None, "seed").unwrap();
        let body: String = key
            .private_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        seeds.push(key.private_pem.as_bytes().to_vec());
        seeds.push(body.clone().into_bytes());
        use base64::Engine as _;
        seeds.push(
            base64::engine::general_purpose::STANDARD
                .decode(&body)
                .unwrap(),
        );
        publics.push(key.public_pem.clone().into_bytes());
        publics.push(signer.public_key().spki_der().to_vec());
    }
    for round in 0..3000 {
        let seed = &seeds[round % seeds.len()];
        let input = mutate(&mut rng, seed);
        // Either loads (a harmless mutation) or fails with an error; never panics.
        let _ = load_signer(&input, Some(b"pass"), "fuzz");
        let public = &publics[round % publics.len()];
        let input = mutate(&mut rng, public);
        let _ = PublicKey::from_pem(&input);
        let _ = PublicKey::from_spki_der(&input);
    }

    // Signatures of every shape against every key type.
    let signer = load_signer(&seeds[0], None, "k").unwrap();
    let keys: Vec<PublicKey> = publics
        .iter()
        .filter_map(|p| PublicKey::from_pem(p).ok())
        .collect();
    let env = provseal_crypto::dsse::sign("t", b"p".to_vec(), &signer).unwrap();
    for round in 0..500 {
        let sig = mutate(&mut rng, &env.signatures[0].sig);
        let mut e = Envelope::new("t", b"p".to_vec());
        e.signatures.push(Signature {
            keyid: if round % 2 == 0 {
                Some(signer.key_id())
            } else {
                None
            },
            sig,
        });
        let _ = provseal_crypto::dsse::verify(&e, &keys);
    }
}
