//! minisign and raw detached signatures, checked against the real `minisign` (Debian package)
//! and `openssl` in both directions.

use std::path::Path;
use std::process::{Command, Output};

use provseal_crypto::minisign::{
    self, default_trusted_comment, keynum_for, sign, sign_raw, verify, verify_raw, MinisignError,
    MinisignMode, MinisignPublicKey,
};
use provseal_crypto::{generate_key, load_signer, KeyAlgorithm, PublicKey};

fn have_minisign(test: &str) -> bool {
    provseal_testsupport::require_tool(test, "minisign", &["-v"])
}

fn minisign_cmd(dir: &Path, args: &[&str]) -> Output {
    Command::new("minisign")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

const DATA: &[u8] = b"release-1.2.3.tar.gz contents\n\x00\x01\x02 binary too\n";

#[test]
fn real_minisign_verifies_our_signatures() {
    if !have_minisign("real_minisign_verifies_our_signatures") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let key = generate_key(KeyAlgorithm::Ed25519, None).unwrap();
    let signer = load_signer(key.private_pem.as_bytes(), None, "ed.key").unwrap();
    let keynum = keynum_for(signer.public_key());
    assert_eq!(
        &keynum[..],
        &hex::decode(&signer.key_id()[..16]).unwrap()[..]
    );
    let pub_text = minisign::export(signer.public_key(), keynum).unwrap();
    assert!(pub_text.starts_with(&format!(
        "untrusted comment: minisign public key {}\n",
        minisign::keynum_hex(keynum)
    )));
    std::fs::write(dir.join("key.pub"), &pub_text).unwrap();
    std::fs::write(dir.join("file"), DATA).unwrap();
    std::fs::write(dir.join("other"), b"something else").unwrap();

    for mode in [MinisignMode::Prehashed, MinisignMode::Legacy] {
        let tc = default_trusted_comment(1_700_000_000, "file", mode);
        let sig = sign(DATA, &signer, keynum, &tc, "signature from provseal", mode).unwrap();
        std::fs::write(dir.join("file.minisig"), &sig).unwrap();
        let out = minisign_cmd(dir, &["-Vm", "file", "-p", "key.pub"]);
        assert!(
            out.status.success(),
            "{mode:?}: minisign -V rejected our signature: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("Trusted comment: {tc}")),
            "{stdout}"
        );
        // `-H` demands a prehashed signature: accepted for ED, refused for Ed.
        let h = minisign_cmd(dir, &["-VHm", "file", "-p", "key.pub"]);
        assert_eq!(
            h.status.success(),
            mode == MinisignMode::Prehashed,
            "{mode:?} with -H"
        );
        // Our own verifier agrees.
        let pk = MinisignPublicKey::parse(&pub_text).unwrap();
        let ok = verify(DATA, &sig, &pk).unwrap();
        assert_eq!(ok.mode, mode);
        assert_eq!(ok.trusted_comment, tc);

        // Tampered data: minisign and provseal both refuse.
        std::fs::write(dir.join("other.minisig"), &sig).unwrap();
        let out = minisign_cmd(dir, &["-Vm", "other", "-p", "key.pub"]);
        assert!(
            !out.status.success(),
            "{mode:?}: minisign accepted tampered data"
        );
        assert!(matches!(
            verify(&b"something else"[..], &sig, &pk),
            Err(MinisignError::BadSignature { .. })
        ));
        // Tampered trusted comment: both refuse.
        let forged = sig.replace("timestamp:1700000000", "timestamp:1800000000");
        assert_ne!(forged, sig);
        std::fs::write(dir.join("file.minisig"), &forged).unwrap();
        let out = minisign_cmd(dir, &["-Vm", "file", "-p", "key.pub"]);
        assert!(
            !out.status.success(),
            "{mode:?}: minisign accepted a changed trusted comment"
        );
        assert!(matches!(
            verify(DATA, &forged, &pk),
            Err(MinisignError::BadCommentSignature { .. })
        ));
    }
}

#[test]
fn we_verify_real_minisign_signatures() {
    if !have_minisign("we_verify_real_minisign_signatures") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = minisign_cmd(dir, &["-G", "-W", "-p", "mk.pub", "-s", "mk.key"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.join("file"), DATA).unwrap();
    let pk_text = std::fs::read_to_string(dir.join("mk.pub")).unwrap();
    let pk = MinisignPublicKey::parse(&pk_text).unwrap();
    // Our export of the parsed key reproduces minisign's file byte for byte.
    assert_eq!(pk.export().unwrap(), pk_text);

    for (flags, mode) in [
        (&["-S"][..], MinisignMode::Prehashed),
        (&["-S", "-l"][..], MinisignMode::Legacy),
    ] {
        let mut args = flags.to_vec();
        args.extend(["-s", "mk.key", "-m", "file", "-t", "made by minisign"]);
        let out = minisign_cmd(dir, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sig = std::fs::read_to_string(dir.join("file.minisig")).unwrap();
        let ok = verify(DATA, &sig, &pk).unwrap();
        assert_eq!(ok.mode, mode);
        assert_eq!(ok.trusted_comment, "made by minisign");
        assert_eq!(ok.keynum, pk.keynum);
        // Tampered file and tampered comment fail.
        assert!(matches!(
            verify(&DATA[1..], &sig, &pk),
            Err(MinisignError::BadSignature { .. })
        ));
        let forged = sig.replace("made by minisign", "made by someone");
        assert!(matches!(
            verify(DATA, &forged, &pk),
            Err(MinisignError::BadCommentSignature { .. })
        ));
        // Another key (another key number) is refused before any crypto.
        let other = generate_key(KeyAlgorithm::Ed25519, None).unwrap();
        let other =
            MinisignPublicKey::from_public_key(&PublicKey::from_pem(&other.public_pem).unwrap())
                .unwrap();
        assert!(matches!(
            verify(DATA, &sig, &other),
            Err(MinisignError::KeyMismatch { .. })
        ));
    }
}

#[test]
fn minisign_needs_ed25519() {
    let key = generate_key(KeyAlgorithm::EcdsaP256, None).unwrap();
    let signer = load_signer(key.private_pem.as_bytes(), None, "p256.key").unwrap();
    let err = sign(DATA, &signer, [0; 8], "t", "u", MinisignMode::Prehashed).unwrap_err();
    assert!(matches!(err, MinisignError::NotEd25519 { .. }), "{err}");
    assert!(matches!(
        minisign::export(signer.public_key(), [0; 8]),
        Err(MinisignError::NotEd25519 { .. })
    ));
    let ed = generate_key(KeyAlgorithm::Ed25519, None).unwrap();
    let ed = load_signer(ed.private_pem.as_bytes(), None, "ed.key").unwrap();
    assert!(matches!(
        sign(
            DATA,
            &ed,
            [0; 8],
            "two\nlines",
            "u",
            MinisignMode::Prehashed
        ),
        Err(MinisignError::MultilineComment { which: "trusted" })
    ));
}

#[test]
fn openssl_accepts_raw_signatures_and_we_accept_openssls() {
    if !crate::common::have_openssl("openssl_accepts_raw_signatures_and_we_accept_openssls") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("file"), DATA).unwrap();
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
        let key = generate_key(alg, None).unwrap();
        let signer = load_signer(key.private_pem.as_bytes(), None, "k").unwrap();
        std::fs::write(dir.join("pub.pem"), &key.public_pem).unwrap();
        std::fs::write(dir.join("priv.pem"), key.private_pem.as_bytes()).unwrap();
        let sig = sign_raw(DATA, &signer).unwrap();
        std::fs::write(dir.join("file.sig"), &sig).unwrap();
        let accept: Vec<&str> = match alg {
            KeyAlgorithm::Ed25519 => vec![
                "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "file",
                "-sigfile", "file.sig",
            ],
            _ => vec![
                "dgst",
                "-sha256",
                "-verify",
                "pub.pem",
                "-signature",
                "file.sig",
                "file",
            ],
        };
        crate::common::openssl(dir, &accept);
        // openssl refuses our signature for other data.
        std::fs::write(dir.join("file2"), b"other").unwrap();
        let other: Vec<&str> = accept
            .iter()
            .map(|a| if *a == "file" { "file2" } else { a })
            .collect();
        assert!(
            !crate::common::openssl_ok(dir, &other),
            "{alg}: openssl accepted other data"
        );

        // The other direction: openssl signs, provseal verifies.
        let make: Vec<&str> = match alg {
            KeyAlgorithm::Ed25519 => vec![
                "pkeyutl", "-sign", "-inkey", "priv.pem", "-rawin", "-in", "file", "-out",
                "ossl.sig",
            ],
            _ => vec![
                "dgst", "-sha256", "-sign", "priv.pem", "-out", "ossl.sig", "file",
            ],
        };
        crate::common::openssl(dir, &make);
        let ossl = std::fs::read(dir.join("ossl.sig")).unwrap();
        let pk = PublicKey::from_pem(&key.public_pem).unwrap();
        verify_raw(DATA, &ossl, &pk).unwrap();
        assert!(verify_raw(&b"other"[..], &ossl, &pk).is_err());
    }
}
