//! Source refs: globs over full refs, branch names and tag names, and SemVer ranges over
//! versioned tags.

use globset::{GlobBuilder, GlobMatcher};

/// A glob; `*` does not cross `/`, `**` does.
#[derive(Debug, Clone)]
pub struct Glob {
    text: String,
    matcher: GlobMatcher,
}

impl Glob {
    /// Compiles a glob.
    pub fn new(text: &str) -> Result<Glob, String> {
        GlobBuilder::new(text)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map(|g| Glob {
                text: text.to_string(),
                matcher: g.compile_matcher(),
            })
            .map_err(|e| format!("`{text}` is not a valid glob: {}", e.kind()))
    }

    /// Whether `value` matches.
    pub fn is_match(&self, value: &str) -> bool {
        self.matcher.is_match(value)
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A versioned-tag constraint: `v1.2.x`, `>=1.2, <2`, `v1` (a bare version is a prefix:
/// `v1.2` accepts every `v1.2.*`).
#[derive(Debug, Clone)]
pub struct VersionedTag {
    text: String,
    req: semver::VersionReq,
}

impl VersionedTag {
    /// Parses a constraint.
    pub fn new(text: &str) -> Result<VersionedTag, String> {
        let t = text.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let starts_with_digit = t.chars().next().is_some_and(|c| c.is_ascii_digit());
        // A bare version or wildcard form is a prefix (`=1.2` accepts 1.2.*), never a caret.
        let req_text = if starts_with_digit && !t.contains(',') {
            format!("={t}")
        } else {
            t.to_string()
        };
        let req_text = req_text
            .split(',')
            .map(|c| {
                let c = c.trim();
                // Allow `>=v1.2`.
                let ops = c.trim_start_matches(['<', '>', '=', '~', '^']);
                let op = c.get(..c.len() - ops.len()).unwrap_or("");
                format!("{op}{}", ops.trim().strip_prefix('v').unwrap_or(ops.trim()))
            })
            .collect::<Vec<_>>()
            .join(", ");
        semver::VersionReq::parse(&req_text)
            .map(|req| VersionedTag {
                text: text.to_string(),
                req,
            })
            .map_err(|e| format!("`{text}` is not a SemVer range: {e}"))
    }

    /// Whether tag `tag` (`v1.2.3` or `1.2.3`) is a version the constraint accepts.
    pub fn accepts(&self, tag: &str) -> bool {
        let t = tag.strip_prefix('v').unwrap_or(tag);
        semver::Version::parse(t).is_ok_and(|v| self.req.matches(&v))
    }

    /// The constraint as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// What refs a signer may attest; empty = any.
#[derive(Debug, Clone, Default)]
pub struct RefRules {
    /// Globs over the full ref (`refs/heads/main`).
    pub refs: Vec<Glob>,
    /// Globs over branch names.
    pub branches: Vec<Glob>,
    /// Globs over tag names.
    pub tags: Vec<Glob>,
    /// SemVer ranges over tag names.
    pub versioned_tags: Vec<VersionedTag>,
}

impl RefRules {
    /// Whether any rule is set.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
            && self.branches.is_empty()
            && self.tags.is_empty()
            && self.versioned_tags.is_empty()
    }

    /// Whether `git_ref` (full, `refs/heads/x` / `refs/tags/y`) is allowed.
    pub fn allows(&self, git_ref: &str) -> bool {
        if self.is_empty() {
            return true;
        }
        if self.refs.iter().any(|g| g.is_match(git_ref)) {
            return true;
        }
        if let Some(b) = git_ref.strip_prefix("refs/heads/") {
            if self.branches.iter().any(|g| g.is_match(b)) {
                return true;
            }
        }
        if let Some(t) = git_ref.strip_prefix("refs/tags/") {
            if self.tags.iter().any(|g| g.is_match(t)) {
                return true;
            }
            if self.versioned_tags.iter().any(|v| v.accepts(t)) {
                return true;
            }
        }
        false
    }

    /// A description of what is allowed.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for g in &self.refs {
            parts.push(g.as_str().to_string());
        }
        for g in &self.branches {
            parts.push(format!("branch {}", g.as_str()));
        }
        for g in &self.tags {
            parts.push(format!("tag {}", g.as_str()));
        }
        for v in &self.versioned_tags {
            parts.push(format!("versioned tag {}", v.as_str()));
        }
        if parts.is_empty() {
            "any ref".into()
        } else {
            parts.join(" | ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_tags() {
        let v = VersionedTag::new("v1.2.x").unwrap();
        assert!(v.accepts("v1.2.0") && v.accepts("1.2.9") && !v.accepts("v1.3.0"));
        let v = VersionedTag::new(">=1.2, <2").unwrap();
        assert!(v.accepts("v1.2.0") && v.accepts("v1.9.3") && !v.accepts("v2.0.0"));
        assert!(!v.accepts("v1.1.9") && !v.accepts("main"));
        let v = VersionedTag::new("v1.2").unwrap();
        assert!(v.accepts("v1.2.7") && !v.accepts("v1.20.0"));
        let v = VersionedTag::new("v1").unwrap();
        assert!(v.accepts("v1.9.0") && !v.accepts("v2.0.0"));
        assert!(VersionedTag::new(">=1.2.x.y").is_err());
        assert!(VersionedTag::new("banana").is_err());
    }

    #[test]
    fn ref_rules() {
        let r = RefRules {
            branches: vec![Glob::new("release/*").unwrap()],
            tags: vec![Glob::new("v*").unwrap()],
            ..Default::default()
        };
        assert!(r.allows("refs/heads/release/1.0"));
        assert!(!r.allows("refs/heads/release/1.0/x"));
        assert!(r.allows("refs/tags/v1"));
        assert!(!r.allows("refs/heads/main"));
        assert!(RefRules::default().allows("refs/heads/anything"));
    }
}
