//! `[statement]`: accepted predicate types, SLSA versions and the maximum age.

use super::super::raw::RawStatement;
use super::super::{parse_duration, Code, Ctx, Policy, SlsaVersion};
use super::Section;

impl Section for RawStatement {
    fn validate(&self, cx: &mut Ctx<'_>, policy: &mut Policy) {
        policy.predicate_types = self
            .predicate_types
            .iter()
            .map(|p| p.get_ref().clone())
            .collect();
        for v in &self.slsa_versions {
            match SlsaVersion::parse(v.get_ref()) {
                Some(x) => policy.slsa_versions.push(x),
                None => cx.err(
                    Code::PolicyBadValue,
                    v,
                    format!(
                        "`{}` is not a SLSA version (use \"0.1\", \"0.2\" or \"1.0\")",
                        v.get_ref()
                    ),
                ),
            }
        }
        if let Some(a) = &self.max_age {
            match parse_duration(a.get_ref()) {
                Ok(d) if d.is_negative() || d.is_zero() => cx.err(
                    Code::PolicyConflict,
                    a,
                    format!(
                        "`max_age = \"{}\"` is not positive: no attestation could pass",
                        a.get_ref()
                    ),
                ),
                Ok(d) => policy.max_age = Some(d),
                Err(e) => cx.err(Code::PolicyBadDuration, a, e),
            }
        }
    }
}
