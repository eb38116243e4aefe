//! Key loading, signing, key generation and key files, with openssl as the peer.

use std::path::Path;

use base64::Engine as _;
use provseal_crypto::{
    generate_key, load_signer, write_private_key_file, write_public_key_file, CryptoError,
    KeyAlgorithm, PublicKey, Signer,
};

use crate::common::{have_openssl, openssl, openssl_ok, sha256_hex};

const MSG: &[u8] = b"provseal interop message\n";

/// Public key of a private key file, as openssl sees it (PEM and DER).
fn openssl_public(dir: &Path, key: &str, pass: Option<&str>) -> (String, Vec<u8>) {
    let mut args = vec!["pkey", "-in", key, "-pubout"];
    let passin = pass.map(|p| format!("pass:{p}"));
    if let Some(p) = &passin {
        args.extend(["-passin", p]);
    }
    let pem = String::from_utf8(openssl(dir, &args).stdout).unwrap();
    args.extend(["-outform", "DER"]);
    let der = openssl(dir, &args).stdout;
    (pem, der)
}

/// Checks with openssl that `sig` is a valid signature of MSG under `pub_pem`.
fn openssl_verifies(dir: &Path, alg: KeyAlgorithm, pub_pem: &str, sig: &[u8]) -> bool {
    std::fs::write(dir.join("msg"), MSG).unwrap();
    std::fs::write(dir.join("pub.pem"), pub_pem).unwrap();
    std::fs::write(dir.join("sig"), sig).unwrap();
    match alg {
        KeyAlgorithm::Ed25519 => openssl_ok(
            dir,
            &[
                "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg",
                "-sigfile", "sig",
            ],
        ),
        _ => openssl_ok(
            dir,
            &[
                "dgst",
                "-sha256",
                "-verify",
                "pub.pem",
                "-signature",
                "sig",
                "msg",
            ],
        ),
    }
}

/// Signs MSG with openssl using the private key file `key`.
fn openssl_sign(dir: &Path, alg: KeyAlgorithm, key: &str, pass: Option<&str>) -> Vec<u8> {
    std::fs::write(dir.join("msg"), MSG).unwrap();
    let passin = pass.map(|p| format!("pass:{p}"));
    let mut args: Vec<&str> = match alg {
        KeyAlgorithm::Ed25519 => vec![
            "pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", "msg", "-out", "osig",
        ],
        _ => vec!["dgst", "-sha256", "-sign", key, "-out", "osig"],
    };
    if let Some(p) = &passin {
        args.extend(["-passin", p.as_str()]);
    }
    if alg != KeyAlgorithm::Ed25519 {
        args.push("msg");
    }
    openssl(dir, &args);
    std::fs::read(dir.join("osig")).unwrap()
}

#[test]
fn openssl_generated_keys_load_and_sign() {
    if !have_openssl("openssl_generated_keys_load_and_sign") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    openssl(dir, &["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"]);
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "p256.pem",
        ],
    );
    // SEC1 `EC PRIVATE KEY` preceded by an `EC PARAMETERS` block.
    openssl(
        dir,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-out",
            "sec1.pem",
        ],
    );
    openssl(
        dir,
        &[
            "ecparam",
            "-genkey",
            "-noout",
            "-name",
            "prime256v1",
            "-out",
            "sec1-noparams.pem",
        ],
    );
    let sec1 = std::fs::read_to_string(dir.join("sec1.pem")).unwrap();
    assert!(sec1.contains("BEGIN EC PARAMETERS") && sec1.contains("BEGIN EC PRIVATE KEY"));
    // Encrypted PKCS#8: PBKDF2 + AES-256-CBC, and scrypt.
    for (out, extra) in [
        ("enc-pbkdf2.pem", vec!["-v2", "aes-256-cbc"]),
        ("enc-scrypt.pem", vec!["-scrypt"]),
    ] {
        let mut args = vec![
            "pkcs8",
            "-topk8",
            "-in",
            "p256.pem",
            "-out",
            out,
            "-passout",
            "pass:s3cret",
        ];
        args.extend(extra);
        openssl(dir, &args);
    }
    openssl(
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "ed.pem",
            "-out",
            "ed-enc.pem",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:s3cret",
        ],
    );
    // Raw DER and base64 DER (what a CI secret holds).
    openssl(
        dir,
        &[
            "pkey", "-in", "p256.pem", "-outform", "DER", "-out", "p256.der",
        ],
    );

    let cases: [(&str, Option<&str>, KeyAlgorithm); 8] = [
        ("ed.pem", None, KeyAlgorithm::Ed25519),
        ("sec1-noparams.pem", None, KeyAlgorithm::EcdsaP256),
        ("p256.pem", None, KeyAlgorithm::EcdsaP256),
        ("sec1.pem", None, KeyAlgorithm::EcdsaP256),
        ("enc-pbkdf2.pem", Some("s3cret"), KeyAlgorithm::EcdsaP256),
        ("enc-scrypt.pem", Some("s3cret"), KeyAlgorithm::EcdsaP256),
        ("ed-enc.pem", Some("s3cret"), KeyAlgorithm::Ed25519),
        ("p256.der", None, KeyAlgorithm::EcdsaP256),
    ];
    for (file, pass, alg) in cases {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let signer = load_signer(&bytes, pass.map(str::as_bytes), file)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(signer.public_key().algorithm(), alg, "{file}");
        let (pub_pem, pub_der) = openssl_public(dir, file, pass);
        assert_eq!(signer.public_key().to_pem(), pub_pem, "{file}");
        assert_eq!(signer.key_id(), sha256_hex(&pub_der), "{file}");

        let sig = signer.sign(MSG).unwrap();
        if alg == KeyAlgorithm::EcdsaP256 {
            assert_eq!(
                sig.first(),
                Some(&0x30),
                "{file}: ECDSA signature is ASN.1 DER"
            );
        } else {
            assert_eq!(sig.len(), 64);
        }
        assert!(openssl_verifies(dir, alg, &pub_pem, &sig), "{file}");
        assert!(!openssl_verifies(
            dir,
            alg,
            &pub_pem,
            &signer.sign(b"x").unwrap()
        ));
        signer.public_key().verify(MSG, &sig).unwrap();

        // openssl's own signature verifies with our PublicKey.
        let osig = openssl_sign(dir, alg, file, pass);
        let public = PublicKey::from_pem(&pub_pem).unwrap();
        public.verify(MSG, &osig).unwrap();
        assert!(matches!(
            public.verify(b"other", &osig),
            Err(CryptoError::BadSignature { .. })
        ));
    }

    // base64 of the DER, and base64 of the PEM, both load as the same key.
    let der = std::fs::read(dir.join("p256.der")).unwrap();
    let pem = std::fs::read(dir.join("p256.pem")).unwrap();
    let want = load_signer(&der, None, "p256.der").unwrap().key_id();
    for (name, text) in [
        (
            "b64-der",
            base64::engine::general_purpose::STANDARD.encode(&der),
        ),
        (
            "b64-der-wrapped",
            base64::engine::general_purpose::STANDARD
                .encode(&der)
                .as_bytes()
                .chunks(60)
                .map(|c| std::str::from_utf8(c).unwrap().to_owned() + "\n")
                .collect(),
        ),
        (
            "b64-pem",
            base64::engine::general_purpose::STANDARD.encode(&pem),
        ),
    ] {
        let s = load_signer(text.as_bytes(), None, "env://PROVSEAL_KEY")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.key_id(), want, "{name}");
    }
}

#[test]
fn generated_keys_work_in_openssl() {
    if !have_openssl("generated_keys_work_in_openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for alg in [
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
    ] {
        for pass in [None, Some("correct horse")] {
            if alg == KeyAlgorithm::EcdsaP384 && pass.is_some() {
                continue; // scrypt is slow in debug builds; two encrypted cases suffice
            }
            let key = generate_key(alg, pass.map(str::as_bytes)).unwrap();
            let label = if pass.is_some() {
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
            } else {
                "-----BEGIN PRIVATE KEY-----\n"
            };
            assert!(key.private_pem.starts_with(label), "{alg} {pass:?}");
            let name = format!("{alg}-{}.key", pass.is_some());
            std::fs::write(dir.join(&name), key.private_pem.as_bytes()).unwrap();

            let (pub_pem, pub_der) = openssl_public(dir, &name, pass);
            assert_eq!(key.public_pem, pub_pem, "{name}");
            assert_eq!(key.key_id, sha256_hex(&pub_der), "{name}");
            if pass.is_some() {
                // openssl refuses the wrong passphrase too.
                assert!(!openssl_ok(
                    dir,
                    &["pkey", "-in", &name, "-passin", "pass:wrong", "-noout"]
                ));
            }

            // We load our own file back, and openssl's signatures verify with our public key.
            let signer =
                load_signer(key.private_pem.as_bytes(), pass.map(str::as_bytes), &name).unwrap();
            assert_eq!(signer.key_id(), key.key_id);
            let public = PublicKey::from_pem(&key.public_pem).unwrap();
            if alg != KeyAlgorithm::EcdsaP384 {
                let osig = openssl_sign(dir, alg, &name, pass);
                public.verify(MSG, &osig).unwrap();
                assert!(openssl_verifies(
                    dir,
                    alg,
                    &key.public_pem,
                    &signer.sign(MSG).unwrap()
                ));
            }
        }
    }
}

#[test]
fn ecdsa_raw_and_der_signatures_both_verify() {
    let key = generate_key(KeyAlgorithm::EcdsaP256, None).unwrap();
    let signer = load_signer(key.private_pem.as_bytes(), None, "k").unwrap();
    let der_sig = signer.sign(MSG).unwrap();
    // Convert DER to fixed r‖s by hand.
    let raw = der_to_raw(&der_sig, 32);
    assert_eq!(raw.len(), 64);
    signer.public_key().verify(MSG, &der_sig).unwrap();
    signer.public_key().verify(MSG, &raw).unwrap();
    let mut bad = raw.clone();
    bad[10] ^= 1;
    assert!(signer.public_key().verify(MSG, &bad).is_err());
    assert!(signer.public_key().verify(MSG, &[]).is_err());
}

fn der_to_raw(der: &[u8], n: usize) -> Vec<u8> {
    // SEQUENCE { INTEGER r, INTEGER s } with short lengths (P-256).
    assert_eq!(der[0], 0x30);
    let mut i = 2;
    let mut out = Vec::new();
    for _ in 0..2 {
        assert_eq!(der[i], 0x02);
        let len = der[i + 1] as usize;
        let v = &der[i + 2..i + 2 + len];
        let v = if v.len() > n { &v[v.len() - n..] } else { v };
        out.extend(std::iter::repeat_n(0u8, n - v.len()));
        out.extend_from_slice(v);
        i += 2 + len;
    }
    out
}

fn err_of(bytes: &[u8], pass: Option<&[u8]>, input: &str) -> CryptoError {
    match load_signer(bytes, pass, input) {
        Ok(s) => panic!("{input}: loaded unexpectedly: {s:?}"),
        Err(e) => e,
    }
}

/// The key's base64 body lines (to check no error or Debug output leaks them).
fn body_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 8)
        .map(str::to_owned)
        .collect()
}

#[test]
fn load_errors_are_distinct_and_name_the_input() {
    let enc = generate_key(KeyAlgorithm::EcdsaP256, Some(b"right")).unwrap();
    let plain = generate_key(KeyAlgorithm::Ed25519, None).unwrap();
    let mut errors: Vec<(String, CryptoError)> = Vec::new();

    let e = err_of(enc.private_pem.as_bytes(), Some(b"wrong"), "wrong-pass.key");
    assert!(matches!(e, CryptoError::WrongPassphrase { .. }), "{e:?}");
    errors.push(("wrong-pass.key".into(), e));

    let e = err_of(enc.private_pem.as_bytes(), None, "no-pass.key");
    assert!(matches!(e, CryptoError::PassphraseRequired { .. }), "{e:?}");
    errors.push(("no-pass.key".into(), e));

    let e = err_of(plain.public_pem.as_bytes(), None, "public.pem");
    assert!(
        matches!(&e, CryptoError::NotAPrivateKey { found, .. } if found == "public key"),
        "{e:?}"
    );
    errors.push(("public.pem".into(), e));

    // Truncated PEM: the END line is lost.
    let cut = &plain.private_pem[..plain.private_pem.len() / 2];
    let e = err_of(cut.as_bytes(), None, "truncated.pem");
    assert!(
        matches!(e, CryptoError::MalformedKey { format: "PEM", .. }),
        "{e:?}"
    );
    errors.push(("truncated.pem".into(), e));

    let e = err_of(b"!!not base64 at all, nor a key!!", None, "env://GARBAGE");
    assert!(
        matches!(e, CryptoError::UnrecognizedKeyFormat { .. }),
        "{e:?}"
    );
    errors.push(("env://GARBAGE".into(), e));

    // cosign keys are recognized and handed to the cosign module.
    let cosign = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\ne30=\n\
                  -----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
    let e = err_of(cosign.as_bytes(), None, "cosign.key");
    assert!(matches!(e, CryptoError::PassphraseRequired { .. }), "{e:?}");
    let e = err_of(cosign.as_bytes(), Some(b"p"), "cosign.key");
    assert!(matches!(e, CryptoError::MalformedKey { .. }), "{e:?}");

    // Valid base64 whose content is not a key.
    let e = err_of(b"aGVsbG8gd29ybGQ=", None, "env://B64");
    assert!(
        matches!(e, CryptoError::UnrecognizedKeyFormat { .. }),
        "{e:?}"
    );

    for (input, e) in &errors {
        let msg = e.to_string();
        assert!(msg.contains(input.as_str()), "{msg}");
        for line in body_lines(&enc.private_pem)
            .iter()
            .chain(&body_lines(&plain.private_pem))
        {
            assert!(!msg.contains(line.as_str()), "{msg}");
            assert!(!format!("{e:?}").contains(line.as_str()));
        }
    }
    // Each failure class is its own variant, with its own diagnostic code.
    let mut kinds: Vec<_> = errors
        .iter()
        .map(|(_, e)| std::mem::discriminant(e))
        .collect();
    kinds.dedup();
    assert_eq!(kinds.len(), errors.len());
    let codes: Vec<&str> = errors.iter().map(|(_, e)| e.code().as_str()).collect();
    assert_eq!(
        codes,
        [
            "key-passphrase-wrong",
            "key-passphrase-required",
            "key-not-private",
            "key-malformed",
            "key-format-unrecognized"
        ]
    );
}

#[test]
fn rsa_and_p521_private_keys_are_unsupported() {
    if !have_openssl("rsa_and_p521_private_keys_are_unsupported") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.pem",
        ],
    );
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            "rsa.pem",
            "-traditional",
            "-out",
            "rsa-trad.pem",
        ],
    );
    openssl(
        dir,
        &[
            "pkey", "-in", "rsa.pem", "-outform", "DER", "-out", "rsa.der",
        ],
    );
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            "rsa.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "rsa-trad.der",
        ],
    );
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-521",
            "-out",
            "p521.pem",
        ],
    );
    openssl(
        dir,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "secp521r1",
            "-out",
            "p521-sec1.pem",
        ],
    );
    for (file, what) in [
        ("rsa.pem", "RSA"),
        ("rsa-trad.pem", "RSA"),
        ("rsa.der", "RSA"),
        ("rsa-trad.der", "RSA"),
        ("p521.pem", "P-521"),
        ("p521-sec1.pem", "P-521"),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let e = err_of(&bytes, None, file);
        match &e {
            CryptoError::UnsupportedAlgorithm { input, algorithm } => {
                assert_eq!(input, file);
                assert!(algorithm.contains(what), "{file}: {algorithm}");
            }
            other => panic!("{file}: {other:?}"),
        }
        assert!(e.to_string().contains(file));
    }
    // RSA public keys verify (PKCS#1 v1.5 and PSS, SHA-256).
    let (pub_pem, _) = openssl_public(dir, "rsa.pem", None);
    let public = PublicKey::from_pem(&pub_pem).unwrap();
    assert_eq!(public.algorithm(), KeyAlgorithm::Rsa);
    std::fs::write(dir.join("msg"), MSG).unwrap();
    openssl(
        dir,
        &[
            "dgst",
            "-sha256",
            "-sign",
            "rsa.pem",
            "-out",
            "pkcs1.sig",
            "msg",
        ],
    );
    openssl(
        dir,
        &[
            "dgst",
            "-sha256",
            "-sign",
            "rsa.pem",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
            "-out",
            "pss.sig",
            "msg",
        ],
    );
    for sig in ["pkcs1.sig", "pss.sig"] {
        let s = std::fs::read(dir.join(sig)).unwrap();
        public.verify(MSG, &s).unwrap();
        assert!(public.verify(b"tampered", &s).is_err());
    }
}

#[test]
fn signer_debug_shows_no_key_material() {
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
        let key = generate_key(alg, None).unwrap();
        let signer = load_signer(key.private_pem.as_bytes(), None, "k.pem").unwrap();
        let dbg = format!("{signer:?} {key:?}");
        assert!(dbg.contains("[redacted]"), "{dbg}");
        assert!(dbg.contains(&signer.key_id()));
        let body: String = key
            .private_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(&body)
            .unwrap();
        // Neither the PEM body lines, nor the DER in hex, nor the key's last 16 bytes (part of
        // the private scalar / seed in both formats), in any encoding.
        for line in body_lines(&key.private_pem) {
            assert!(!dbg.contains(&line), "{dbg}");
        }
        let tail = &der[der.len() - 16..];
        assert!(!dbg.contains(&hex::encode(tail)));
        assert!(!dbg.contains(&hex::encode(&der)));
        assert!(!dbg.contains(&format!("{tail:?}")[1..20]));
    }
}

#[test]
fn private_key_file_is_0600_and_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let key = generate_key(KeyAlgorithm::Ed25519, None).unwrap();
    let path = tmp.path().join("release.key");
    write_private_key_file(&path, &key.private_pem).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        key.private_pem.as_str()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let other = generate_key(KeyAlgorithm::Ed25519, None).unwrap();
    match write_private_key_file(&path, &other.private_pem) {
        Err(CryptoError::FileExists { path: p }) => assert_eq!(p, path),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        key.private_pem.as_str()
    );
    // A dangling symlink at the target is refused too.
    #[cfg(unix)]
    {
        let link = tmp.path().join("link.key");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &link).unwrap();
        assert!(matches!(
            write_private_key_file(&link, &other.private_pem),
            Err(CryptoError::FileExists { .. })
        ));
        assert!(!tmp.path().join("nowhere").exists());
    }
    let pub_path = tmp.path().join("release.pub");
    write_public_key_file(&pub_path, &key.public_pem).unwrap();
    write_public_key_file(&pub_path, &key.public_pem).unwrap();
    assert_eq!(std::fs::read_to_string(&pub_path).unwrap(), key.public_pem);
    // No temporary files left behind.
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["link.key", "release.key", "release.pub"]);
    // Missing directory: an I/O error naming a path inside it.
    let missing = tmp.path().join("no/such/dir/k.key");
    match write_private_key_file(&missing, &key.private_pem) {
        Err(CryptoError::Io { path, .. }) => assert_eq!(path, missing),
        other => panic!("{other:?}"),
    }
}
