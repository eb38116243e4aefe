//! Hashing: known answers, agreement with `openssl dgst`, order, errors.

use std::path::{Path, PathBuf};

use provseal_crypto::hash::{
    hash_each_observed, hash_file, hash_files, hash_reader, HashAlgorithm, HashProgress,
};
use provseal_crypto::CryptoError;

use crate::common::{have_openssl, openssl};

const ALL: [HashAlgorithm; 3] = [
    HashAlgorithm::Sha256,
    HashAlgorithm::Sha384,
    HashAlgorithm::Sha512,
];

/// FIPS 180-2 / NIST example values.
const KAT: [(&[u8], &str, &str); 2] = [
    (
        b"",
        "sha256",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    (
        b"abc",
        "sha256",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ),
];
const ABC_SHA384: &str = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
                          8086072ba1e7cc2358baeca134c825a7";
const ABC_SHA512: &str = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                          2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
const EMPTY_SHA512: &str = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
                            47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn known_answers() {
    for (data, alg, want) in KAT {
        let set = hash_reader(data, &[alg.parse().unwrap()]).unwrap();
        assert_eq!(set.get(alg), Some(want));
        assert_eq!(set.len(), 1);
    }
    let abc = hash_reader(&b"abc"[..], &ALL).unwrap();
    assert_eq!(abc.get("sha384"), Some(ABC_SHA384));
    assert_eq!(abc.get("sha512"), Some(ABC_SHA512));
    let empty = hash_reader(&b""[..], &[HashAlgorithm::Sha512]).unwrap();
    assert_eq!(empty.get("sha512"), Some(EMPTY_SHA512));
}

fn openssl_dgst(dir: &Path, alg: &str, file: &Path) -> String {
    let out = openssl(
        dir,
        &["dgst", &format!("-{alg}"), "-r", file.to_str().unwrap()],
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn files_match_openssl_dgst() {
    if !have_openssl("files_match_openssl_dgst") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Empty, tiny, just over one 256 KiB chunk, several chunks plus a tail, and one large enough
    // (> 8 MiB) for the one-thread-per-algorithm path.
    let sizes = [
        0usize,
        3,
        256 * 1024 + 1,
        3 * 256 * 1024 + 12_345,
        9 * 1024 * 1024 + 7,
    ];
    let paths: Vec<PathBuf> = sizes
        .iter()
        .map(|&n| {
            let p = dir.join(format!("f{n}"));
            let data = if n == 3 { b"abc".to_vec() } else { pattern(n) };
            std::fs::write(&p, data).unwrap();
            p
        })
        .collect();
    let all = hash_files(&paths, &ALL).unwrap();
    assert_eq!(all.len(), paths.len());
    for (p, set) in paths.iter().zip(&all) {
        for alg in ALL {
            let want = openssl_dgst(dir, alg.name(), p);
            assert_eq!(set.get(alg.name()), Some(want.as_str()), "{p:?} {alg}");
        }
        assert_eq!(set.len(), 3);
        // One algorithm at a time gives the same values as all at once.
        let single = hash_file(p, &[HashAlgorithm::Sha512]).unwrap();
        assert_eq!(single.get("sha512"), set.get("sha512"));
        assert_eq!(single.len(), 1);
        // Duplicates in the request are harmless.
        let two = hash_file(p, &[HashAlgorithm::Sha256, HashAlgorithm::Sha256]).unwrap();
        assert_eq!(two.len(), 1);
    }
}

#[test]
fn hash_files_keeps_input_order() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 64;
    let paths: Vec<PathBuf> = (0..n)
        .map(|i| {
            let p = tmp.path().join(format!("{i:03}"));
            // Different sizes so that files finish out of order.
            std::fs::write(&p, pattern((n - i) * 9_000 + i)).unwrap();
            p
        })
        .collect();
    let got = hash_files(&paths, &[HashAlgorithm::Sha256]).unwrap();
    for (p, set) in paths.iter().zip(&got) {
        let want = HashAlgorithm::Sha256.hex_digest(&std::fs::read(p).unwrap());
        assert_eq!(set.get("sha256"), Some(want.as_str()), "{p:?}");
    }
}

#[test]
fn errors_name_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.bin");
    match hash_file(&missing, &[HashAlgorithm::Sha256]) {
        Err(e @ CryptoError::Io { .. }) => {
            assert!(e.to_string().contains("missing.bin"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    match hash_file(tmp.path(), &[HashAlgorithm::Sha256]) {
        Err(CryptoError::NotAFile { path }) => assert_eq!(path, tmp.path()),
        other => panic!("{other:?}"),
    }
    let ok = tmp.path().join("ok");
    std::fs::write(&ok, b"x").unwrap();
    match hash_files(&[ok.clone(), missing.clone()], &[HashAlgorithm::Sha256]) {
        Err(CryptoError::Io { path, .. }) => assert_eq!(path, missing),
        other => panic!("{other:?}"),
    }
    // One result per file: the error stays with the missing file, the others are hashed, and
    // every file that was hashed is reported done.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let each = hash_each_observed(
        &[ok.clone(), missing.clone(), ok.clone()],
        &[HashAlgorithm::Sha256],
        &|p| {
            if matches!(p, HashProgress::FileDone) {
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        },
    );
    let x_sha256 = hash_file(&ok, &[HashAlgorithm::Sha256]).unwrap();
    match each.as_slice() {
        [Ok(a), Err(CryptoError::Io { path, .. }), Ok(b)] => {
            assert_eq!(path, &missing);
            assert_eq!((a, b), (&x_sha256, &x_sha256));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(done.into_inner(), 2);
    assert!(matches!(
        hash_file(&ok, &[]),
        Err(CryptoError::NoHashAlgorithm)
    ));
    assert!(matches!(
        hash_files(&[ok], &[]),
        Err(CryptoError::NoHashAlgorithm)
    ));
}
