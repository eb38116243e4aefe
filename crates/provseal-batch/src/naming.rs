//! Entry file names: `<artifact file name>.provseal.json`, flat in one directory.
//!
//! An artifact is named by its subject name, a relative path with `/` separators
//! (`out/pkg-a.whl`). Its entry file is named after the last path component when no other
//! artifact of the batch shares that component (`pkg-a.whl.provseal.json`), and after the whole
//! path with `/` written as `%2F` when it does (`linux%2Flib.so.provseal.json` beside
//! `mac%2Flib.so.provseal.json`). In both forms `%` is written as `%25`, so distinct names always
//! give distinct file names and a name never escapes the directory.

use std::collections::{HashMap, HashSet};

use crate::{BatchError, NameFault};

/// The suffix of every entry file.
pub const ENTRY_FILE_SUFFIX: &str = ".provseal.json";

/// Percent-encodes the two characters that matter for a flat file name: `%` and `/`.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    out
}

/// The last `/`-separated component of a subject name.
pub fn basename(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Checks that `name` can name an entry file: non-empty, relative, no empty, `.` or `..`
/// components, no backslash or control characters, and a last component short enough for a
/// file name.
pub fn validate_name(name: &str) -> Result<(), BatchError> {
    let bad = |fault| {
        Err(BatchError::InvalidName {
            name: name.to_owned(),
            fault,
        })
    };
    if name.is_empty() {
        return bad(NameFault::Empty);
    }
    if name.starts_with('/') {
        return bad(NameFault::Absolute);
    }
    if name.contains('\\') {
        return bad(NameFault::Backslash);
    }
    if name.chars().any(char::is_control) {
        return bad(NameFault::ControlCharacter);
    }
    for component in name.split('/') {
        match component {
            "" => return bad(NameFault::EmptyComponent),
            "." | ".." => return bad(NameFault::DotComponent),
            _ => {}
        }
    }
    // Most file systems cap a file name at 255 bytes.
    if encode(basename(name)).len() + ENTRY_FILE_SUFFIX.len() > 255 {
        return bad(NameFault::TooLong);
    }
    Ok(())
}

/// The entry file name of each artifact, in order (see the module documentation).
///
/// # Errors
/// [`BatchError::InvalidName`] for a name [`validate_name`] rejects, [`BatchError::DuplicateName`]
/// when the same name appears twice.
pub fn entry_file_names(names: &[String]) -> Result<Vec<String>, BatchError> {
    let mut seen = HashSet::with_capacity(names.len());
    let mut base_count: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for name in names {
        validate_name(name)?;
        if !seen.insert(name.as_str()) {
            return Err(BatchError::DuplicateName { name: name.clone() });
        }
        *base_count.entry(basename(name)).or_insert(0) += 1;
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let base = basename(name);
        let stem = if base_count.get(base).copied().unwrap_or(0) > 1 {
            encode(name)
        } else {
            encode(base)
        };
        let file = format!("{stem}{ENTRY_FILE_SUFFIX}");
        if file.len() > 255 {
            return Err(BatchError::InvalidName {
                name: name.clone(),
                fault: NameFault::WholePathTooLong,
            });
        }
        out.push(file);
    }
    Ok(out)
}

/// The file names under which a verifier looks for the entry of the artifact at `path` (as given
/// on its command line, relative to the build directory) in an attestation directory, most
/// likely first: the last component's form, then the whole path's form.
pub fn entry_file_candidates(path: &str) -> Vec<String> {
    let normalized = path.trim_start_matches("./").replace('\\', "/");
    let mut out = vec![format!(
        "{}{ENTRY_FILE_SUFFIX}",
        encode(basename(&normalized))
    )];
    if normalized.contains('/') {
        out.push(format!("{}{ENTRY_FILE_SUFFIX}", encode(&normalized)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn unique_basenames_use_the_file_name() {
        let got = entry_file_names(&names(&["out/pkg-a.whl", "out/sub/pkg-b.whl", "c.tar.gz"]))
            .expect("valid");
        assert_eq!(
            got,
            [
                "pkg-a.whl.provseal.json",
                "pkg-b.whl.provseal.json",
                "c.tar.gz.provseal.json"
            ]
        );
    }

    #[test]
    fn shared_basenames_use_the_encoded_path() {
        let got = entry_file_names(&names(&["linux/lib.so", "mac/lib.so", "lib.so", "x%y"]))
            .expect("valid");
        assert_eq!(
            got,
            [
                "linux%2Flib.so.provseal.json",
                "mac%2Flib.so.provseal.json",
                "lib.so.provseal.json",
                "x%25y.provseal.json"
            ]
        );
    }

    #[test]
    fn encoding_is_injective() {
        // A literal `%2F` in a unique name cannot collide with an encoded `/`.
        let got = entry_file_names(&names(&["a%2Fb", "a/b", "c/b"])).expect("valid");
        assert_eq!(
            got,
            [
                "a%252Fb.provseal.json",
                "a%2Fb.provseal.json",
                "c%2Fb.provseal.json"
            ]
        );
    }

    #[test]
    fn bad_names_are_rejected_with_the_name() {
        for bad in ["", "/abs", "a//b", "a/../b", "./a", "a/", "a\\b", "a\nb"] {
            match entry_file_names(&names(&[bad])) {
                Err(BatchError::InvalidName { name, .. }) => assert_eq!(name, bad),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert!(matches!(
            entry_file_names(&names(&["a", "b", "a"])),
            Err(BatchError::DuplicateName { name }) if name == "a"
        ));
        let long = "x".repeat(250);
        assert!(matches!(
            entry_file_names(&[long]),
            Err(BatchError::InvalidName { .. })
        ));
    }

    #[test]
    fn candidates() {
        assert_eq!(entry_file_candidates("pkg.whl"), ["pkg.whl.provseal.json"]);
        assert_eq!(
            entry_file_candidates("./out/linux/lib.so"),
            ["lib.so.provseal.json", "out%2Flinux%2Flib.so.provseal.json"]
        );
    }
}
