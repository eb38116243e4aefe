//! PKCS#11 against a real SoftHSM2 token (Debian `softhsm2`; keys made in the token with
//! OpenSC's `pkcs11-tool`). The token is created in a temporary directory by the test.
//!
//! Everything runs in ONE test, in order: PKCS#11 login state is per process and token, so a
//! wrong-PIN check must run before any session has logged in, and SoftHSM2 reads
//! `SOFTHSM2_CONF` once, when the module is initialised in this process.

use std::path::{Path, PathBuf};
use std::process::Command;

use provseal_crypto::minisign::{self, MinisignMode};
use provseal_crypto::pkcs11::{Pkcs11Error, Pkcs11Signer};
use provseal_crypto::{KeyAlgorithm, PublicKey, Signer};
use zeroize::Zeroizing;

use crate::signer_suite::suite;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const LABEL: &str = "provseal-it";
const PIN: &str = "2468-pin";
const SO_PIN: &str = "13579-so-pin";

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn tool(conf: &Path, program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("SOFTHSM2_CONF", conf);
    c
}

fn pkcs11_tool(conf: &Path, args: &[&str]) -> String {
    run(tool(conf, "pkcs11-tool")
        .args(["--module", MODULE, "--token-label", LABEL])
        .args(args))
}

/// Exports the token's public key with pkcs11-tool and converts it to PEM with openssl.
fn export_public_pem(conf: &Path, dir: &Path, id: &str) -> String {
    let der = dir.join(format!("pub-{id}.der"));
    pkcs11_tool(
        conf,
        &[
            "--read-object",
            "--type",
            "pubkey",
            "--id",
            id,
            "--output-file",
            der.to_str().unwrap(),
        ],
    );
    // pkcs11-tool writes SPKI DER for EC keys and PEM for Ed25519 keys; openssl normalises.
    let inform = if std::fs::read(&der).unwrap().starts_with(b"-----BEGIN") {
        "PEM"
    } else {
        "DER"
    };
    run(Command::new("openssl").args([
        "pkey",
        "-pubin",
        "-inform",
        inform,
        "-in",
        der.to_str().unwrap(),
    ]))
}

fn openssl_verifies(dir: &Path, alg: KeyAlgorithm, pub_pem: &str, data: &[u8], sig: &[u8]) -> bool {
    std::fs::write(dir.join("v.pub.pem"), pub_pem).unwrap();
    std::fs::write(dir.join("v.data"), data).unwrap();
    std::fs::write(dir.join("v.sig"), sig).unwrap();
    let args: &[&str] = match alg {
        KeyAlgorithm::Ed25519 => &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "v.pub.pem",
            "-rawin",
            "-in",
            "v.data",
            "-sigfile",
            "v.sig",
        ],
        _ => &[
            "dgst",
            "-sha256",
            "-verify",
            "v.pub.pem",
            "-signature",
            "v.sig",
            "v.data",
        ],
    };
    crate::common::openssl_ok(dir, args)
}

fn softhsm_version() -> String {
    Command::new("softhsm2-util")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

#[test]
fn softhsm2_token_signers() {
    let test = "softhsm2_token_signers";
    if !provseal_testsupport::require_tool(test, "softhsm2-util", &["--version"])
        || !provseal_testsupport::require_tool(
            test,
            "pkcs11-tool",
            &["--module", MODULE, "--show-info"],
        )
        || !crate::common::have_openssl(test)
    {
        return;
    }
    if !Path::new(MODULE).is_file() {
        assert!(!provseal_testsupport::in_ci(), "{MODULE} missing");
        eprintln!("{test}: skipped: {MODULE} missing");
        return;
    }
    eprintln!("{test}: SoftHSM2 {}", softhsm_version());

    // A private SoftHSM2 configuration and token directory.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let tokens = dir.join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf: PathBuf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
            tokens.display()
        ),
    )
    .unwrap();
    // The module is loaded into this process and reads its configuration from the environment
    // when initialised; this test is the only user of SoftHSM2 in the test binary.
    std::env::set_var("SOFTHSM2_CONF", &conf);

    run(tool(&conf, "softhsm2-util").args([
        "--init-token",
        "--free",
        "--label",
        LABEL,
        "--so-pin",
        SO_PIN,
        "--pin",
        PIN,
    ]));
    // Keys are generated INSIDE the token; the private halves are never exported.
    pkcs11_tool(
        &conf,
        &[
            "--login",
            "--pin",
            PIN,
            "--keypairgen",
            "--key-type",
            "EC:prime256v1",
            "--label",
            "p256-key",
            "--id",
            "01",
        ],
    );
    let mechanisms = pkcs11_tool(&conf, &["--list-mechanisms"]);
    let ed25519_supported = mechanisms.contains("EDDSA");
    if ed25519_supported {
        pkcs11_tool(
            &conf,
            &[
                "--login",
                "--pin",
                PIN,
                "--keypairgen",
                "--key-type",
                "EC:edwards25519",
                "--label",
                "ed-key",
                "--id",
                "02",
            ],
        );
    } else {
        eprintln!("{test}: this SoftHSM2 has no CKM_EDDSA; Ed25519 not tested");
    }
    let objects = pkcs11_tool(&conf, &["--login", "--pin", PIN, "--list-objects"]);
    assert!(
        objects.contains("never extractable"),
        "private keys must be non-extractable: {objects}"
    );

    let module = Path::new(MODULE);
    let p256_uri = format!("pkcs11:token={LABEL};object=p256-key");

    // Failures first, before any session of this process has logged in.
    let err = Pkcs11Signer::open(&p256_uri, Some(Zeroizing::new("0000".into())), Some(module))
        .unwrap_err();
    assert!(matches!(err, Pkcs11Error::WrongPin { .. }), "{err}");
    let err = Pkcs11Signer::open(&p256_uri, None, Some(module)).unwrap_err();
    assert!(matches!(err, Pkcs11Error::PinRequired { .. }), "{err}");
    let err = Pkcs11Signer::open(&p256_uri, None, None).unwrap_err();
    assert!(matches!(err, Pkcs11Error::NoModule { .. }), "{err}");
    let err = Pkcs11Signer::open(
        "pkcs11:token=no-such-token;object=p256-key",
        Some(Zeroizing::new(PIN.into())),
        Some(module),
    )
    .unwrap_err();
    assert!(matches!(err, Pkcs11Error::NoToken { .. }), "{err}");
    assert!(err.to_string().contains(LABEL), "{err}");
    let err = Pkcs11Signer::open(
        &format!("pkcs11:token={LABEL};object=missing?pin-value={PIN}"),
        None,
        Some(module),
    )
    .unwrap_err();
    assert!(matches!(err, Pkcs11Error::NoKey { .. }), "{err}");
    assert!(!err.to_string().contains(PIN), "{err}");

    let mut keys = vec![("p256-key", "01", KeyAlgorithm::EcdsaP256)];
    if ed25519_supported {
        keys.push(("ed-key", "02", KeyAlgorithm::Ed25519));
    }
    for (label, id, alg) in keys {
        // Three ways to give the PIN and to name the key: --pin-env (the `pin` argument) with
        // the label, `pin-source` with the percent-encoded CKA_ID, `pin-value` with both; the
        // module from the URI or from the caller.
        let pin_file = dir.join("pin.txt");
        std::fs::write(&pin_file, format!("{PIN}\n")).unwrap();
        let signer = Pkcs11Signer::open(
            &format!("pkcs11:token={LABEL};object={label}"),
            Some(Zeroizing::new(PIN.into())),
            Some(module),
        )
        .unwrap();
        let by_id = Pkcs11Signer::open(
            &format!(
                "pkcs11:token={LABEL};id=%{id}?pin-source=file:{}&module-path={MODULE}",
                pin_file.display()
            ),
            None,
            None,
        )
        .unwrap();
        let by_value = Pkcs11Signer::open(
            &format!("pkcs11:token={LABEL};object={label};id=%{id};type=private?pin-value={PIN}"),
            None,
            Some(module),
        )
        .unwrap();
        assert_eq!(signer.public_key().algorithm(), alg);
        assert_eq!(by_id.key_id(), signer.key_id());
        assert_eq!(by_value.key_id(), signer.key_id());
        assert_eq!(signer.label(), Some(label));
        assert!(!format!("{by_value:?}").contains(PIN));
        assert!(!by_value.uri().contains(PIN));

        // The public key read from CKA_EC_POINT / CKA_EC_PARAMS is the one pkcs11-tool exports.
        let exported = export_public_pem(&conf, dir, id);
        assert_eq!(
            signer.public_key().to_pem(),
            exported,
            "{alg}: public key differs"
        );
        assert_eq!(
            PublicKey::from_pem(&exported).unwrap().key_id(),
            signer.key_id()
        );

        // The signer suite; the token's C_Sign count must equal the suite's sign calls.
        let before = signer.sign_operations();
        assert_eq!(before, 0);
        let run = suite(&format!("PKCS#11 {alg}"), &signer, &[PIN]);
        assert_eq!(
            signer.sign_operations() - before,
            run.sign_calls,
            "{alg}: C_Sign count"
        );
        assert_eq!(signer.sign_operations(), 5);

        // openssl verifies a signature the token made, with the key pkcs11-tool exported.
        let data = b"artifact signed inside the token\n";
        let sig = minisign::sign_raw(&data[..], &signer).unwrap();
        assert_eq!(signer.sign_operations(), 6);
        assert!(
            openssl_verifies(dir, alg, &exported, data, &sig),
            "{alg}: openssl rejected"
        );
        assert!(!openssl_verifies(dir, alg, &exported, b"other", &sig));

        // A minisign signature from the HSM (Ed25519): exactly two C_Sign calls.
        if alg == KeyAlgorithm::Ed25519 {
            let keynum = minisign::keynum_for(signer.public_key());
            let text = minisign::sign(
                &data[..],
                &signer,
                keynum,
                "signed by a PKCS#11 token",
                "provseal",
                MinisignMode::Prehashed,
            )
            .unwrap();
            assert_eq!(signer.sign_operations(), 8);
            let pk = minisign::MinisignPublicKey::new(signer.public_key().clone(), keynum).unwrap();
            minisign::verify(&data[..], &text, &pk).unwrap();
            if provseal_testsupport::require_tool(test, "minisign", &["-v"]) {
                std::fs::write(dir.join("m.pub"), pk.export().unwrap()).unwrap();
                std::fs::write(dir.join("m"), data).unwrap();
                std::fs::write(dir.join("m.minisig"), &text).unwrap();
                let out = Command::new("minisign")
                    .args(["-Vm", "m", "-p", "m.pub"])
                    .current_dir(dir)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        eprintln!(
            "{test}: {alg}: suite + openssl + minisign passed, C_Sign calls = {}",
            signer.sign_operations()
        );
        // Throughput (printed, not asserted) and the counter once more: 50 signs, 50 calls.
        let before = signer.sign_operations();
        let start = std::time::Instant::now();
        for i in 0..50u32 {
            signer.sign(&i.to_be_bytes()).unwrap();
        }
        let per_sign = start.elapsed() / 50;
        assert_eq!(signer.sign_operations() - before, 50);
        eprintln!("{test}: {alg}: {per_sign:?} per signature (C_Sign + host-side check)");
        // One signer shared by threads (the Signer is Send + Sync; calls are serialised on
        // the session): 4 threads x 10 signatures, all valid, 40 more C_Sign calls.
        let before = signer.sign_operations();
        std::thread::scope(|scope| {
            for t in 0..4u8 {
                let signer = &signer;
                scope.spawn(move || {
                    for i in 0..10u8 {
                        let msg = [t, i];
                        let sig = signer.sign(&msg).unwrap();
                        signer.public_key().verify(&msg, &sig).unwrap();
                    }
                });
            }
        });
        assert_eq!(signer.sign_operations() - before, 40);
        // The other signers made no signatures.
        assert_eq!(by_id.sign_operations(), 0);
        assert_eq!(by_value.sign_operations(), 0);
    }
}
