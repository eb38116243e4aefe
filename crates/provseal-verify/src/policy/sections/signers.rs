//! `[[signers]]`: who is trusted (a key, or a keyless identity) and what each may build.

use provseal_sigstore::{FulcioField, IdentityPolicy, Matcher};

use super::super::raw::{RawSigner, S};
use super::super::refs::{Glob, RefRules, VersionedTag};
use super::super::{is_hex64, one_line, Code, Ctx, Policy, Severity, SignerMatch, TrustedSigner};
use super::Section;

impl Section for Vec<S<RawSigner>> {
    fn validate(&self, cx: &mut Ctx<'_>, policy: &mut Policy) {
        let signers = self;
        if signers.is_empty() {
            cx.at(
                Code::PolicyNoSigners,
                Severity::Error,
                0,
                "the policy trusts no signer: add a `[[signers]]` table with a `key`, `key_id` or \
                 `issuer` + `identity`"
                    .into(),
            );
        }
        for (i, s) in signers.iter().enumerate() {
            if let Some(t) = compile_signer(cx, i, s) {
                policy.signers.push(t);
            }
        }
    }
}

fn compile_signer(cx: &mut Ctx<'_>, i: usize, s: &S<RawSigner>) -> Option<TrustedSigner> {
    let start = s.span().start;
    let s = s.get_ref();
    let name = s
        .name
        .as_ref()
        .map(|n| n.get_ref().clone())
        .unwrap_or_else(|| format!("signers[{i}]"));
    let keyless = s.issuer.is_some()
        || s.issuer_regexp.is_some()
        || s.identity.is_some()
        || s.identity_regexp.is_some()
        || !s.extensions.is_empty()
        || !s.extensions_regexp.is_empty();
    let keyed = s.key.is_some() || s.key_id.is_some();
    let mut ok = true;
    let matcher = if keyed && keyless {
        let at = s.key.as_ref().or(s.key_id.as_ref());
        let pos = at.map(|a| a.span().start).unwrap_or(start);
        cx.at(
            Code::PolicyConflict,
            Severity::Error,
            pos,
            format!("signer `{name}` has both a key and a keyless identity; split it in two"),
        );
        None
    } else if keyed {
        let mut key = None;
        let mut key_id = None;
        if let Some(k) = &s.key {
            let p = cx.resolve(k.get_ref());
            match provseal_crypto::read::read_bounded(
                &p,
                provseal_crypto::read::InputKind::PublicKey,
            ) {
                Ok(bytes) => {
                    match crate::detached::parse_public_key(&bytes, &p.display().to_string()) {
                        Ok((pk, _)) => {
                            key_id = Some(pk.key_id());
                            key = Some(pk);
                        }
                        Err(e) => {
                            cx.err(Code::PolicyKeyUnreadable, k, provseal_model::one_line(&e));
                            ok = false;
                        }
                    }
                }
                Err(e) => {
                    cx.err(
                        Code::PolicyKeyUnreadable,
                        k,
                        format!("cannot read `{}`: {e}", p.display()),
                    );
                    ok = false;
                }
            }
        }
        if let Some(id) = &s.key_id {
            let v = id.get_ref().to_ascii_lowercase();
            if !is_hex64(&v) {
                cx.err(
                    Code::PolicyBadValue,
                    id,
                    format!(
                        "`{}` is not a provseal key id (64 hex digits: the SHA-256 of the key's SubjectPublicKeyInfo)",
                        id.get_ref()
                    ),
                );
                ok = false;
            } else if let Some(file_id) = &key_id {
                if *file_id != v {
                    cx.err(
                        Code::PolicyConflict,
                        id,
                        format!("`key_id` {v} is not the id of `key` ({file_id})"),
                    );
                    ok = false;
                }
            } else {
                key_id = Some(v);
            }
        }
        key_id.map(|key_id| SignerMatch::Key { key_id, key })
    } else if keyless {
        let issuer = matcher(cx, "issuer", &s.issuer, &s.issuer_regexp);
        let identity = matcher(cx, "identity", &s.identity, &s.identity_regexp);
        if s.issuer.is_none() && s.issuer_regexp.is_none() {
            cx.at(
                Code::PolicyMissingField,
                Severity::Error,
                start,
                format!("keyless signer `{name}` needs `issuer` (or `issuer_regexp`)"),
            );
            ok = false;
        }
        if s.identity.is_none() && s.identity_regexp.is_none() {
            cx.at(
                Code::PolicyMissingField,
                Severity::Error,
                start,
                format!("keyless signer `{name}` needs `identity` (or `identity_regexp`)"),
            );
            ok = false;
        }
        let mut policy = IdentityPolicy {
            identity,
            issuer,
            extensions: Vec::new(),
        };
        for (table, is_re) in [(&s.extensions, false), (&s.extensions_regexp, true)] {
            for (k, v) in table {
                let field = match k.get_ref().parse::<FulcioField>() {
                    Ok(f) => f,
                    Err(_) => {
                        cx.err(
                            Code::PolicyBadValue,
                            k,
                            format!(
                                "`{}` is not a Fulcio extension name (e.g. `source-repository-uri`)",
                                k.get_ref()
                            ),
                        );
                        ok = false;
                        continue;
                    }
                };
                let m = if is_re {
                    match Matcher::regex(field.name(), v.get_ref()) {
                        Ok(m) => m,
                        Err(e) => {
                            cx.err(
                                Code::PolicyBadRegexp,
                                v,
                                format!(
                                    "`{}`: {}",
                                    k.get_ref(),
                                    one_line(&provseal_model::one_line(&e))
                                ),
                            );
                            ok = false;
                            continue;
                        }
                    }
                } else {
                    Matcher::Exact(v.get_ref().clone())
                };
                policy.extensions.push((field, m));
            }
        }
        if policy.identity.is_none() || policy.issuer.is_none() {
            ok = false;
        }
        Some(SignerMatch::Keyless(policy))
    } else {
        cx.at(
            Code::PolicyMissingField,
            Severity::Error,
            start,
            format!("signer `{name}` needs `key`, `key_id`, or `issuer` + `identity`"),
        );
        None
    };
    let builders: Vec<Glob> = s.builders.iter().filter_map(|b| cx.glob(b)).collect();
    let repositories: Vec<Glob> = s
        .repositories
        .iter()
        .filter_map(|r| {
            let norm = crate::normalize_repo(r.get_ref());
            match Glob::new(&norm) {
                Ok(g) => Some(g),
                Err(e) => {
                    cx.err(Code::PolicyBadGlob, r, e);
                    None
                }
            }
        })
        .collect();
    let refs = RefRules {
        refs: s.refs.iter().filter_map(|g| cx.glob(g)).collect(),
        branches: s.branches.iter().filter_map(|g| cx.glob(g)).collect(),
        tags: s.tags.iter().filter_map(|g| cx.glob(g)).collect(),
        versioned_tags: s
            .versioned_tags
            .iter()
            .filter_map(|v| match VersionedTag::new(v.get_ref()) {
                Ok(t) => Some(t),
                Err(e) => {
                    cx.err(Code::PolicyBadRange, v, e);
                    None
                }
            })
            .collect(),
    };
    let matcher = matcher?;
    ok.then_some(TrustedSigner {
        name,
        matcher,
        builders,
        repositories,
        refs,
    })
}

fn matcher(
    cx: &mut Ctx<'_>,
    field: &str,
    exact: &Option<S<String>>,
    regexp: &Option<S<String>>,
) -> Option<Matcher> {
    match (exact, regexp) {
        (Some(e), Some(r)) => {
            cx.err(
                Code::PolicyConflict,
                r,
                format!("`{field}` and `{field}_regexp` are both set; give one"),
            );
            let _ = e;
            None
        }
        (Some(e), None) => Some(Matcher::Exact(e.get_ref().clone())),
        (None, Some(r)) => match Matcher::regex(field, r.get_ref()) {
            Ok(m) => Some(m),
            Err(e) => {
                cx.err(
                    Code::PolicyBadRegexp,
                    r,
                    format!(
                        "`{field}_regexp`: {}",
                        one_line(&provseal_model::one_line(&e))
                    ),
                );
                None
            }
        },
        (None, None) => None,
    }
}
