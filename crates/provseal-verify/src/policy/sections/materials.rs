//! `[materials]`: the dependency snapshot, the lockfiles it must record and their digests.

use std::collections::BTreeMap;

use provseal_crypto::hash::HashAlgorithm;

use super::super::raw::RawMaterials;
use super::super::{is_hex64, Code, Ctx, LockfileDigest, Policy};
use super::Section;

impl Section for RawMaterials {
    fn validate(&self, cx: &mut Ctx<'_>, policy: &mut Policy) {
        policy.require_snapshot = self.require_snapshot.as_ref().is_some_and(|b| *b.get_ref());
        policy.lockfiles = self.lockfiles.iter().map(|l| l.get_ref().clone()).collect();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for d in &self.lockfile_digests {
            let d = d.get_ref();
            let (sha, from) = match (&d.file, &d.sha256) {
                (Some(_), Some(s)) => {
                    cx.err(
                        Code::PolicyConflict,
                        s,
                        "`file` and `sha256` are both set; give one".into(),
                    );
                    continue;
                }
                (None, None) => {
                    cx.err(
                        Code::PolicyMissingField,
                        &d.name,
                        "a lockfile digest needs `file` or `sha256`".into(),
                    );
                    continue;
                }
                (None, Some(s)) => {
                    let v = s.get_ref().to_ascii_lowercase();
                    if !is_hex64(&v) {
                        cx.err(
                            Code::PolicyBadValue,
                            s,
                            format!("`{}` is not a sha256 (64 hex digits)", s.get_ref()),
                        );
                        continue;
                    }
                    (v, "sha256".to_string())
                }
                (Some(f), None) => {
                    let p = cx.resolve(f.get_ref());
                    match provseal_crypto::hash::hash_file(&p, &[HashAlgorithm::Sha256]) {
                        Ok(ds) => match ds.get("sha256") {
                            Some(h) => (h.to_string(), format!("file `{}`", f.get_ref())),
                            None => continue,
                        },
                        Err(e) => {
                            cx.err(
                                Code::PolicyFileUnreadable,
                                f,
                                format!("cannot hash `{}`: {e}", p.display()),
                            );
                            continue;
                        }
                    }
                }
            };
            if let Some(prev) = seen.get(d.name.get_ref()) {
                if *prev != sha {
                    cx.err(
                        Code::PolicyConflict,
                        &d.name,
                        format!(
                            "lockfile `{}` is given two different digests",
                            d.name.get_ref()
                        ),
                    );
                }
            }
            seen.insert(d.name.get_ref().clone(), sha.clone());
            policy.lockfile_digests.push(LockfileDigest {
                name: d.name.get_ref().clone(),
                sha256: sha,
                from,
            });
        }
    }
}
