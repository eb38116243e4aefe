//! Source capture from git: commit, tree state, remote, ref and submodules.
//!
//! Runs the `git` command (it matches `git status` exactly and costs no build time), always with
//! `-c core.fsmonitor=false` (no fsmonitor daemon or hook is started), `-c safe.directory=*` (a
//! checkout owned by another user, as in CI containers, is still read — we only read it),
//! `GIT_OPTIONAL_LOCKS=0` (`git status` does not write the index) and the `GIT_DIR`-style
//! variables removed, so the answer depends on the directory alone.
//!
//! Decisions:
//! - Outside a git work tree (or inside a `.git` directory or a bare repository) the source is
//!   absent: `Ok(None)`. When the `git` program is missing, the directory and its parents are
//!   searched for `.git`: none → `Ok(None)`, found → an error (git is needed to read it).
//! - A repository without any commit is an error ([`MaterialsError::GitNoCommit`]): there is no
//!   commit a provenance statement could name, and recording "no source" would hide that the build
//!   ran from a git checkout. Commit first.
//! - `ref_name` is the symbolic ref of `HEAD` (`refs/heads/main`); a detached `HEAD` has none, and
//!   then `describe` (`git describe --tags --always`) and `tags` (tags pointing at `HEAD`) say
//!   where it is.
//! - Remote: the current branch's upstream remote, else `origin`, else the first remote. Its URL
//!   loses any user information in `scheme://user:pass@host` (tokens often sit there); scp-like
//!   `git@host:path` keeps its ssh user name (not a secret).
//!
//! ```no_run
//! # fn main() -> Result<(), provseal_materials::MaterialsError> {
//! if let Some(src) = provseal_materials::git::source_info(std::path::Path::new("."))? {
//!     println!("{} clean={}", src.commit, src.tree_state.is_clean());
//! }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use provseal_model::{DigestSet, ResourceDescriptor};

use crate::{CollectContext, Collected, Collector, MaterialsError};

/// What the source tree is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    /// The work tree root (`git rev-parse --show-toplevel`).
    #[serde(with = "lossy_path")]
    pub root: PathBuf,
    /// The `HEAD` commit id (40 hex digits, or 64 in a SHA-256 repository).
    pub commit: String,
    /// Clean, or dirty with the changed paths.
    pub tree_state: TreeState,
    /// The remote URL with credentials stripped, when the repository has a remote.
    pub remote_url: Option<String>,
    /// The name of the remote `remote_url` came from.
    pub remote_name: Option<String>,
    /// The symbolic ref of `HEAD` (`refs/heads/main`); `None` when `HEAD` is detached.
    pub ref_name: Option<String>,
    /// `git describe --tags --always` of `HEAD`.
    pub describe: Option<String>,
    /// Tags pointing at `HEAD` (`refs/tags/v1.0`), sorted.
    pub tags: Vec<String>,
    /// Submodules (recursively), in `git submodule status` order.
    pub submodules: Vec<Submodule>,
}

/// Whether the work tree matches `HEAD`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum TreeState {
    /// No modified, staged or untracked (non-ignored) path.
    Clean,
    /// Modified, staged, deleted, renamed or untracked paths, relative to the root, sorted, as
    /// `git status` lists them (an untracked directory appears once, with a trailing `/`).
    Dirty {
        /// The paths.
        paths: Vec<String>,
    },
}

impl TreeState {
    /// `true` for [`TreeState::Clean`].
    pub fn is_clean(&self) -> bool {
        matches!(self, TreeState::Clean)
    }
}

/// One submodule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submodule {
    /// Path relative to the superproject root.
    pub path: String,
    /// The commit checked out in the submodule (the recorded one when not initialised).
    pub commit: String,
    /// `in-sync`, `modified` (checked-out commit differs from the superproject's), `uninitialized`
    /// or `conflict`.
    pub state: String,
}

impl SourceInfo {
    /// The source as a `ResourceDescriptor`:
    /// `{"uri": "git+<remote>@<ref>", "digest": {"gitCommit": "<sha>"}, "annotations": {...}}`.
    /// Without a ref, a single tag pointing at `HEAD` is used; without either, the uri has no
    /// `@…` part; without a remote there is no uri. Annotations: `treeState` (`clean`/`dirty`),
    /// `dirtyPaths` when dirty, `describe`, and `submodules` when there are any.
    pub fn to_resource_descriptor(&self) -> ResourceDescriptor {
        let git_ref = self.ref_name.clone().or_else(|| {
            if self.tags.len() == 1 {
                self.tags.first().cloned()
            } else {
                None
            }
        });
        let uri = self.remote_url.as_deref().map(|remote| {
            let base = uri_form(remote);
            match &git_ref {
                Some(r) => format!("git+{base}@{r}"),
                None => format!("git+{base}"),
            }
        });
        let mut digest = BTreeMap::new();
        let alg = "gitCommit";
        digest.insert(alg.to_string(), self.commit.clone());
        let mut ann = serde_json::Map::new();
        match &self.tree_state {
            TreeState::Clean => {
                ann.insert("treeState".into(), "clean".into());
            }
            TreeState::Dirty { paths } => {
                ann.insert("treeState".into(), "dirty".into());
                ann.insert("dirtyPaths".into(), serde_json::json!(paths));
            }
        }
        if let Some(d) = &self.describe {
            ann.insert("describe".into(), d.clone().into());
        }
        if !self.submodules.is_empty() {
            ann.insert(
                "submodules".into(),
                serde_json::to_value(&self.submodules).unwrap_or_default(),
            );
        }
        ResourceDescriptor {
            uri,
            digest: DigestSet::from(digest),
            annotations: ann,
            ..Default::default()
        }
    }
}

/// The git source as a [`Collector`]: one `ResourceDescriptor` for the source, none outside git.
#[derive(Debug, Clone, Copy, Default)]
pub struct GitCollector;

impl Collector for GitCollector {
    fn name(&self) -> &'static str {
        "git"
    }

    fn collect(&self, ctx: &CollectContext) -> Result<Collected, MaterialsError> {
        let mut out = Collected::default();
        if let Some(src) = source_info(&ctx.root)? {
            out.materials.push(src.to_resource_descriptor());
        }
        Ok(out)
    }
}

/// The root of the git work tree containing `dir` (`git rev-parse --show-toplevel`, no status
/// scan); `Ok(None)` outside a git work tree.
pub fn work_tree_root(dir: &Path) -> Result<Option<PathBuf>, MaterialsError> {
    let probe = match git(
        dir,
        &["rev-parse", "--is-inside-work-tree", "--show-toplevel"],
    ) {
        Ok(o) => o,
        Err(GitRunError::NotFound) => {
            return if dir.ancestors().any(|d| d.join(".git").exists()) {
                Err(git_err(
                    dir,
                    "the `git` program is not installed, but this is a git checkout".into(),
                ))
            } else {
                Ok(None)
            };
        }
        Err(e @ GitRunError::Spawn(_)) => return Err(e.into_error(dir)),
    };
    if !probe.status.success() {
        let stderr = String::from_utf8_lossy(&probe.stderr);
        if stderr.contains("not a git repository") || stderr.contains("must be run in a work tree")
        {
            return Ok(None);
        }
        return Err(git_err(dir, first_line(&stderr)));
    }
    let text = String::from_utf8_lossy(&probe.stdout);
    let mut lines = text.lines();
    if lines.next() != Some("true") {
        return Ok(None);
    }
    Ok(match lines.next() {
        Some(r) if !r.is_empty() => Some(PathBuf::from(r)),
        _ => None,
    })
}

/// Reads the git source of `dir`; `Ok(None)` outside a git work tree.
pub fn source_info(dir: &Path) -> Result<Option<SourceInfo>, MaterialsError> {
    let Some(root) = work_tree_root(dir)? else {
        return Ok(None);
    };

    let head = run_ok(&root, &["rev-parse", "--verify", "-q", "HEAD^{commit}"]);
    let commit = match head {
        Ok(c) if !c.is_empty() => c,
        _ => {
            let branch = run_ok(&root, &["symbolic-ref", "-q", "HEAD"]).ok();
            return Err(MaterialsError::GitNoCommit { root, branch });
        }
    };

    let status = git(
        &root,
        &[
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=normal",
            "--ignore-submodules=none",
        ],
    )
    .map_err(|e| e.into_error(&root))?;
    if !status.status.success() {
        return Err(git_err(
            &root,
            first_line(&String::from_utf8_lossy(&status.stderr)),
        ));
    }
    let paths = parse_porcelain_z(&status.stdout);
    let tree_state = if paths.is_empty() {
        TreeState::Clean
    } else {
        TreeState::Dirty { paths }
    };

    let ref_name = run_ok(&root, &["symbolic-ref", "-q", "HEAD"])
        .ok()
        .filter(|s| !s.is_empty());
    let describe = run_ok(&root, &["describe", "--tags", "--always"])
        .ok()
        .filter(|s| !s.is_empty());
    let mut tags: Vec<String> = run_ok(
        &root,
        &[
            "for-each-ref",
            "--points-at",
            "HEAD",
            "--format=%(refname)",
            "refs/tags",
        ],
    )
    .map(|s| s.lines().map(str::to_string).collect())
    .unwrap_or_default();
    tags.sort();

    let (remote_name, remote_url) = remote(&root);
    let submodules = submodules(&root)?;

    Ok(Some(SourceInfo {
        root,
        commit,
        tree_state,
        remote_url,
        remote_name,
        ref_name,
        describe,
        tags,
        submodules,
    }))
}

/// Removes user information (`user:password@`, `token@`) from a `scheme://` URL; scp-like
/// `user@host:path` and local paths are returned unchanged.
pub fn strip_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let after = scheme_end + 3;
    let rest = url.get(after..).unwrap_or("");
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_end).unwrap_or("");
    match authority.rfind('@') {
        Some(at) => {
            let host_and_path = rest.get(at + 1..).unwrap_or("");
            format!("{}{}", url.get(..after).unwrap_or(""), host_and_path)
        }
        None => url.to_string(),
    }
}

/// [`strip_credentials`] applied to every `scheme://` URL inside a text (an error message, a
/// warning), wherever it starts.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        // The URL starts after the last delimiter before the scheme separator.
        let start = rest
            .get(..i)
            .and_then(|h| h.rfind(|c: char| c.is_whitespace() || "\"'`<>([{,=".contains(c)))
            .map_or(0, |j| j + 1);
        let end = rest
            .get(i..)
            .and_then(|t| t.find(|c: char| c.is_whitespace() || "\"'`<>)]},".contains(c)))
            .map_or(rest.len(), |j| i + j);
        out.push_str(rest.get(..start).unwrap_or(""));
        out.push_str(&strip_credentials(rest.get(start..end).unwrap_or("")));
        rest = rest.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The remote as a URI: scp-like `user@host:path` becomes `ssh://user@host/path`.
fn uri_form(remote: &str) -> String {
    if remote.contains("://") {
        return remote.to_string();
    }
    // scp-like syntax: no slash before the first colon (git's own rule).
    if let Some(colon) = remote.find(':') {
        let (head, tail) = remote.split_at(colon);
        if !head.contains('/') && !head.is_empty() {
            let path = tail.get(1..).unwrap_or("");
            let path = path.strip_prefix('/').unwrap_or(path);
            return format!("ssh://{head}/{path}");
        }
    }
    // A local path.
    if remote.starts_with('/') {
        format!("file://{remote}")
    } else {
        remote.to_string()
    }
}

/// The remote as recorded: without user information, and an scp-like SSH remote
/// (`git@host:org/repo.git`) in its URL form (`ssh://host/org/repo.git`), so both SSH spellings
/// record the same repository.
fn recorded_remote(remote: &str) -> String {
    let remote = if !remote.contains("://") && uri_form(remote).starts_with("ssh://") {
        uri_form(remote)
    } else {
        remote.to_string()
    };
    strip_credentials(&remote)
}

fn remote(root: &Path) -> (Option<String>, Option<String>) {
    let upstream = run_ok(
        root,
        &["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}"],
    )
    .ok()
    .and_then(|u| u.split_once('/').map(|(r, _)| r.to_string()));
    let remotes: Vec<String> = run_ok(root, &["remote"])
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let name = upstream
        .filter(|u| remotes.contains(u))
        .or_else(|| remotes.iter().find(|r| *r == "origin").cloned())
        .or_else(|| remotes.first().cloned());
    match name {
        Some(n) => {
            let url = run_ok(root, &["remote", "get-url", &n])
                .ok()
                .filter(|u| !u.is_empty())
                .map(|u| recorded_remote(&u));
            (Some(n), url)
        }
        None => (None, None),
    }
}

fn submodules(root: &Path) -> Result<Vec<Submodule>, MaterialsError> {
    if !root.join(".gitmodules").exists() {
        return Ok(Vec::new());
    }
    let out = git(root, &["submodule", "status", "--recursive"]).map_err(|e| e.into_error(root))?;
    if !out.status.success() {
        return Err(git_err(
            root,
            format!(
                "`git submodule status` failed: {}",
                first_line(&String::from_utf8_lossy(&out.stderr))
            ),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(parse_submodule_line)
        .collect())
}

/// Parses one `git submodule status` line: `<flag><sha> <path>[ (<describe>)]`.
fn parse_submodule_line(line: &str) -> Option<Submodule> {
    let mut chars = line.chars();
    let flag = chars.next()?;
    let rest = chars.as_str();
    let (sha, path) = rest.split_once(' ')?;
    if sha.is_empty() || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let path = match path.rfind(" (") {
        Some(i) if path.ends_with(')') => path.get(..i).unwrap_or(path),
        _ => path,
    };
    let state = match flag {
        '-' => "uninitialized",
        '+' => "modified",
        'U' => "conflict",
        _ => "in-sync",
    };
    Some(Submodule {
        path: path.to_string(),
        commit: sha.to_string(),
        state: state.to_string(),
    })
}

/// The paths of `git status --porcelain=v1 -z` (both sides of a rename or copy), sorted.
fn parse_porcelain_z(out: &[u8]) -> Vec<String> {
    let mut paths = Vec::new();
    let mut entries = out.split(|b| *b == 0).filter(|e| !e.is_empty());
    while let Some(entry) = entries.next() {
        let xy = entry.get(..2).unwrap_or(b"");
        let Some(path) = entry.get(3..) else { continue };
        paths.push(String::from_utf8_lossy(path).into_owned());
        if xy.first().is_some_and(|x| *x == b'R' || *x == b'C') {
            if let Some(orig) = entries.next() {
                paths.push(String::from_utf8_lossy(orig).into_owned());
            }
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

enum GitRunError {
    NotFound,
    Spawn(std::io::Error),
}

impl GitRunError {
    fn into_error(self, dir: &Path) -> MaterialsError {
        match self {
            GitRunError::NotFound => git_err(dir, "the `git` program is not installed".into()),
            GitRunError::Spawn(e) => MaterialsError::Git {
                dir: dir.to_path_buf(),
                reason: "cannot run `git`".into(),
                source: Some(e),
            },
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<Output, GitRunError> {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "safe.directory=*",
            "-c",
            "core.quotePath=false",
            "-c",
            "color.ui=false",
        ])
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_CEILING_DIRECTORIES",
        "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    ] {
        cmd.env_remove(var);
    }
    cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            GitRunError::NotFound
        } else {
            GitRunError::Spawn(e)
        }
    })
}

/// Runs git; trimmed stdout on success, `Err(())` otherwise (for optional information).
fn run_ok(dir: &Path, args: &[&str]) -> Result<String, ()> {
    match git(dir, args) {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        _ => Err(()),
    }
}

fn git_err(dir: &Path, why: String) -> MaterialsError {
    MaterialsError::Git {
        dir: dir.to_path_buf(),
        reason: why,
        source: None,
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("unknown error")
        .trim()
        .to_string()
}

mod lossy_path {
    use std::path::{Path, PathBuf};

    pub fn serialize<S: serde::Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&p.to_string_lossy())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        Ok(PathBuf::from(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_stripped() {
        assert_eq!(
            strip_credentials("https://user:pass@github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(
            strip_credentials("https://ghp_token@github.com/o/r"),
            "https://github.com/o/r"
        );
        assert_eq!(
            strip_credentials("https://x-access-token:a@b@host:8443/o/r?q=1@2"),
            "https://host:8443/o/r?q=1@2"
        );
        assert_eq!(
            strip_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
        assert_eq!(
            strip_credentials("https://github.com/o/r@x"),
            "https://github.com/o/r@x"
        );
        assert_eq!(strip_credentials("/srv/repo.git"), "/srv/repo.git");
        assert_eq!(
            redact_urls("invalid type: string \"git+https://tok@h/r#x\", at a=https://u:p@h/ and ssh://git@h/o"),
            "invalid type: string \"git+https://h/r#x\", at a=https://h/ and ssh://h/o"
        );
    }

    #[test]
    fn uri_forms() {
        assert_eq!(
            uri_form("git@github.com:o/r.git"),
            "ssh://git@github.com/o/r.git"
        );
        assert_eq!(uri_form("https://h/o/r"), "https://h/o/r");
        assert_eq!(uri_form("/srv/r.git"), "file:///srv/r.git");
    }

    #[test]
    fn porcelain_parsing() {
        let out = b" M src/a.rs\0R  new.txt\0old.txt\0?? dir/\0?? caf\xc3\xa9 x.txt\0";
        assert_eq!(
            parse_porcelain_z(out),
            vec!["café x.txt", "dir/", "new.txt", "old.txt", "src/a.rs"]
        );
        assert!(parse_porcelain_z(b"").is_empty());
        assert!(parse_porcelain_z(b"M").is_empty());
    }

    #[test]
    fn submodule_lines() {
        let s =
            parse_submodule_line(" 0123456789abcdef0123456789abcdef01234567 lib/a b (heads/main)");
        assert_eq!(
            s,
            Some(Submodule {
                path: "lib/a b".into(),
                commit: "0123456789abcdef0123456789abcdef01234567".into(),
                state: "in-sync".into()
            })
        );
        let s = parse_submodule_line("-0123456789abcdef0123456789abcdef01234567 x");
        assert_eq!(s.map(|s| s.state), Some("uninitialized".to_string()));
        assert_eq!(parse_submodule_line(""), None);
        assert_eq!(parse_submodule_line(" zz x"), None);
    }
}
