//! String `reason` fields, and the doc line that says why each is a string.
//!
//! An error keeps its cause as a typed `#[source]`; a string `reason` field is allowed only for
//! a fact with no underlying cause ("attribute `x` is given twice"), and its doc comment says so
//! in its first line, which starts with [`NO_CAUSE`]. Run over every crate by this crate's own
//! test `every_reason_string_is_a_fact_without_a_cause`.

use std::path::Path;

/// The start of the first doc line of every string `reason` field.
pub const NO_CAUSE: &str = "/// No underlying cause:";

/// The [`FIELD`] declarations in the `.rs` files under `dir` whose doc comment does not start
/// with [`NO_CAUSE`], each as `path:line`.
pub fn undocumented_reason_fields(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for path in crate::rust_files(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            if is_reason_field(line) && !first_doc_line(&lines[..i]).starts_with(NO_CAUSE) {
                found.push(format!("{}:{}", path.display(), i + 1));
            }
        }
    }
    found
}

/// The field declaration looked for (spelt in two parts so that this file is no hit of a search
/// for it).
pub const FIELD: &str = concat!("reason", ": String");

/// [`FIELD`] as a field declaration (any visibility), not a parameter or a literal.
fn is_reason_field(line: &str) -> bool {
    let mut rest = line;
    if let Some(after) = rest.strip_prefix("pub") {
        rest = after.trim_start();
        if rest.starts_with('(') {
            rest = rest.split_once(')').map_or(rest, |(_, r)| r.trim_start());
        }
    }
    rest.strip_prefix(FIELD)
        .is_some_and(|r| matches!(r.trim(), "" | ","))
}

/// The first line of the doc comment that ends just above a field (attributes skipped), or `""`.
fn first_doc_line<'a>(above: &[&'a str]) -> &'a str {
    let mut first = "";
    for line in above.iter().rev() {
        if line.starts_with("///") {
            first = line;
        } else if !line.starts_with("#[") {
            break;
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_reason_field_without_the_doc_line() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path();
        let text = "enum E {\n    A {\n        /// No underlying cause: the attribute given twice.\n        \
             /// More.\n        #[allow(dead_code)]\n        FIELD,\n    },\n}\n\
             fn f(FIELD) {}\nfn g() { let bad = |FIELD| reason; }\n";
        std::fs::write(src.join("lib.rs"), text.replace("FIELD", FIELD)).unwrap();
        assert!(undocumented_reason_fields(src).is_empty());
        std::fs::create_dir(src.join("m")).unwrap();
        let text = "struct S {\n    /// Why.\n    /// No underlying cause: too late.\n    pub(crate) FIELD,\n    \
             pub FIELD,\n}\n";
        std::fs::write(src.join("m/x.rs"), text.replace("FIELD", FIELD)).unwrap();
        let found = undocumented_reason_fields(src);
        let shown = |line: usize| format!("{}:{line}", src.join("m/x.rs").display());
        assert_eq!(found, vec![shown(4), shown(5)]);
    }

    #[test]
    fn every_reason_string_is_a_fact_without_a_cause() {
        let crates = crate::workspace_root().join("crates");
        let mut all = Vec::new();
        for entry in std::fs::read_dir(&crates).unwrap().flatten() {
            all.extend(undocumented_reason_fields(&entry.path().join("src")));
        }
        assert!(
            all.is_empty(),
            "`{FIELD}` fields whose doc comment does not start with `{NO_CAUSE}` \
             (keep the underlying error as a typed `#[source]` instead, or say why there is none):\n{}",
            all.join("\n")
        );
    }
}
