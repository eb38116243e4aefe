//! One validator per section of the policy schema (`raw`): each `[section]` struct checks its own
//! values and fills its part of the compiled [`Policy`]. `compile` drives them in schema order;
//! the unknown-key check reads the same structs (`raw::fields_of`).

use super::raw::RawPolicy;
use super::{Ctx, Policy};

mod drift;
mod materials;
mod packages;
mod signers;
mod statement;

/// One section of the policy file, validated into the compiled policy (diagnostics go to `cx`).
pub(super) trait Section {
    /// Checks the section's values, reports what is wrong, and fills `policy`.
    fn validate(&self, cx: &mut Ctx<'_>, policy: &mut Policy);
}

impl RawPolicy {
    /// Every section of the schema with its key, in the schema's order (`None`: absent from the
    /// file). `version` is not a section: `compile` checks it first.
    pub(super) fn sections(&self) -> [(&'static str, Option<&dyn Section>); 5] {
        [
            ("signers", Some(&self.signers)),
            (
                "statement",
                self.statement.as_ref().map(|s| s.get_ref() as _),
            ),
            (
                "materials",
                self.materials.as_ref().map(|s| s.get_ref() as _),
            ),
            ("packages", self.packages.as_ref().map(|s| s.get_ref() as _)),
            ("drift", self.drift.as_ref().map(|s| s.get_ref() as _)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::raw::fields_of;
    use super::*;

    /// A new table in the schema gets a validator, or this fails.
    #[test]
    fn every_schema_section_has_a_validator() {
        let raw: RawPolicy = toml::from_str("").unwrap();
        let validated: Vec<&str> = raw.sections().iter().map(|(k, _)| *k).collect();
        let schema: Vec<&str> = fields_of::<RawPolicy>()
            .iter()
            .copied()
            .filter(|k| *k != "version")
            .collect();
        assert_eq!(validated, schema);
    }
}
