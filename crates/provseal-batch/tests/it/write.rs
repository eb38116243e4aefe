//! Writing entry files: names, atomicity, overwrite policy.

use provseal_batch::{sign_batch, verify_entry, write_batch, BatchEntry, BatchError, Overwrite};
use provseal_crypto::{KeyAlgorithm, KeyPairSigner, Signer};

use crate::support::{statement, statements, CREATED_ON, INTOTO};

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn writes_one_verifiable_file_per_artifact() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let batch = sign_batch(statements(4), INTOTO, &signer, CREATED_ON).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out/attestations");
    let n = names(&["out/pkg-a.whl", "linux/lib.so", "mac/lib.so", "README"]);
    let paths = write_batch(&dir, &batch, &n, Overwrite::Refuse).unwrap();
    let files: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        files,
        [
            "pkg-a.whl.provseal.json",
            "linux%2Flib.so.provseal.json",
            "mac%2Flib.so.provseal.json",
            "README.provseal.json"
        ]
    );
    for (i, p) in paths.iter().enumerate() {
        assert_eq!(p.parent().unwrap(), dir);
        let bytes = std::fs::read(p).unwrap();
        assert_eq!(bytes, batch.entry(i).unwrap().to_json().unwrap());
        let entry = BatchEntry::from_json(&bytes).unwrap();
        let v = verify_entry(&entry, &[signer.public_key().clone()]).unwrap();
        assert_eq!(v.payload, statement(i));
    }
    // Nothing else (no temporary files) is left in the directory.
    let mut listed: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    listed.sort();
    let mut expected = files.clone();
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn refuses_to_overwrite_unless_allowed() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let a = sign_batch(statements(2), INTOTO, &signer, CREATED_ON).unwrap();
    let b = sign_batch(statements(3)[1..].to_vec(), INTOTO, &signer, CREATED_ON).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let n = names(&["a.bin", "b.bin"]);
    let paths = write_batch(tmp.path(), &a, &n, Overwrite::Refuse).unwrap();
    let before: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();

    match write_batch(tmp.path(), &b, &n, Overwrite::Refuse) {
        Err(BatchError::Exists { path }) => assert_eq!(path, paths[0]),
        other => panic!("{other:?}"),
    }
    let after: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(before, after, "nothing was replaced");

    write_batch(tmp.path(), &b, &n, Overwrite::Allow).unwrap();
    let replaced = std::fs::read(&paths[1]).unwrap();
    assert_eq!(replaced, b.entry(1).unwrap().to_json().unwrap());
    assert_ne!(replaced, before[1]);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2);
}

#[test]
fn name_problems_are_reported() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let batch = sign_batch(statements(2), INTOTO, &signer, CREATED_ON).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    assert!(matches!(
        write_batch(tmp.path(), &batch, &names(&["a"]), Overwrite::Refuse),
        Err(BatchError::NameCount {
            expected: 2,
            actual: 1
        })
    ));
    assert!(matches!(
        write_batch(tmp.path(), &batch, &names(&["a", "a"]), Overwrite::Refuse),
        Err(BatchError::DuplicateName { .. })
    ));
    match write_batch(
        tmp.path(),
        &batch,
        &names(&["a", "../b"]),
        Overwrite::Refuse,
    ) {
        Err(e @ BatchError::InvalidName { .. }) => assert!(e.to_string().contains("`../b`")),
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn unwritable_directory_names_the_path() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let batch = sign_batch(statements(1), INTOTO, &signer, CREATED_ON).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let dir = file.join("sub");
    match write_batch(&dir, &batch, &names(&["a"]), Overwrite::Refuse) {
        Err(BatchError::Io { path, .. }) => assert_eq!(path, dir),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_fresh_directory_appears_whole_with_no_staging_left() {
    let signer = KeyPairSigner::generate(KeyAlgorithm::Ed25519).unwrap();
    let batch = sign_batch(statements(50), INTOTO, &signer, CREATED_ON).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out/attestations");
    let n: Vec<String> = (0..50).map(|i| format!("pkg-{i}.whl")).collect();
    let written = write_batch(&dir, &batch, &n, Overwrite::Refuse).unwrap();
    assert_eq!(written.len(), 50);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 50);
    let siblings: Vec<_> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        siblings,
        vec![std::ffi::OsString::from("attestations")],
        "no staging directory left"
    );
    for p in &written {
        let entry = provseal_batch::BatchEntry::from_json(&std::fs::read(p).unwrap()).unwrap();
        provseal_batch::verify_entry(&entry, &[signer.public_key().clone()]).unwrap();
    }
    // the directory exists now: the same names are refused, nothing is replaced
    let again = write_batch(&dir, &batch, &n, Overwrite::Refuse);
    assert!(matches!(again, Err(BatchError::Exists { .. })), "{again:?}");
}
