//! `[packages]`: denied and required packages (purl patterns with version ranges).

use super::super::purl::{PackagePattern, PatternError};
use super::super::raw::{RawPackages, S};
use super::super::{Code, Ctx, Policy, Severity};
use super::Section;

impl Section for RawPackages {
    fn validate(&self, cx: &mut Ctx<'_>, policy: &mut Policy) {
        let parse = |cx: &mut Ctx<'_>, list: &[S<String>]| -> Vec<(PackagePattern, usize)> {
            let mut out = Vec::new();
            for s in list {
                match PackagePattern::parse(s.get_ref()) {
                    Ok(pat) => out.push((pat, s.span().start)),
                    Err(PatternError::Purl(m)) => cx.err(Code::PolicyBadPurl, s, m),
                    Err(PatternError::Range(m)) => cx.err(Code::PolicyBadRange, s, m),
                }
            }
            out
        };
        let deny = parse(cx, &self.deny);
        let require = parse(cx, &self.require);
        for (r, pos) in &require {
            for (d, _) in &deny {
                if r.key() != d.key() {
                    continue;
                }
                let conflict = d.covers_all_versions()
                    || r.exact_version().is_some_and(|v| d.covers_version(&v))
                    || r.as_str() == d.as_str();
                if conflict {
                    cx.at(
                        Code::PolicyConflict,
                        Severity::Error,
                        *pos,
                        format!(
                            "`{}` is required but `{}` denies it",
                            r.as_str(),
                            d.as_str()
                        ),
                    );
                }
            }
        }
        policy.deny = deny.into_iter().map(|(p, _)| p).collect();
        policy.require = require.into_iter().map(|(p, _)| p).collect();
    }
}
