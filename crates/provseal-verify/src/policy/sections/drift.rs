//! `[drift]`: the drift kinds that fail verification.

use super::super::raw::RawDrift;
use super::super::{Code, Ctx, DriftKind, Policy};
use super::Section;

impl Section for RawDrift {
    fn validate(&self, cx: &mut Ctx<'_>, policy: &mut Policy) {
        for k in &self.forbid {
            match DriftKind::ALL.iter().find(|(n, _)| *n == k.get_ref()) {
                Some((_, kind)) => {
                    if !policy.forbid_drift.contains(kind) {
                        policy.forbid_drift.push(*kind);
                    }
                }
                None => cx.err(
                    Code::PolicyBadValue,
                    k,
                    format!(
                        "`{}` is not a drift kind (use one of: {})",
                        k.get_ref(),
                        DriftKind::ALL
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }
        }
    }
}
