//! Dependency and source snapshot collectors for provseal.
//!
//! A [`Collector`] reads one ecosystem's materials (git source, Python lockfiles and installed
//! environment, Node, Rust, Go lockfiles, allow-listed environment variables) from a source tree
//! *without running the build*, and returns them as in-toto `ResourceDescriptor`s. `snapshot`
//! runs every collector; `diff` compares a before- and an after-build snapshot (drift).
//!
//! ```no_run
//! use provseal_materials::{diff, snapshot_default, CollectContext};
//! let ctx = CollectContext { root: ".".into(), ..Default::default() };
//! let before = snapshot_default(&ctx)?;
//! // … run the build …
//! let after = snapshot_default(&ctx)?;
//! println!("{} materials, drift: {}", before.materials.len(), !diff(&before, &after).is_empty());
//! # Ok::<(), provseal_materials::MaterialsError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use provseal_model::ResourceDescriptor;

pub mod diag;
pub mod discover;
pub mod env_vars;
pub mod files;
pub mod git;
pub mod lockfile;
pub mod purl;
pub mod python_env;
mod redacted;
pub mod sbom;
pub mod snapshot;

pub use discover::{DiscoveryOptions, LockfileCollector};
pub use lockfile::{cargo, golang, node, python as python_lock};
pub use redacted::RedactedCause;
pub use snapshot::{default_collectors, diff, snapshot, snapshot_default, Drift, Snapshot};

/// Everything a collector may look at. The library never reads the process environment itself:
/// the CLI passes the variables in `env`.
#[derive(Debug, Clone, Default)]
pub struct CollectContext {
    /// The source root (the git work tree root, or the working directory outside git).
    pub root: PathBuf,
    /// The Python interpreter or environment to inspect (`--python`), if given.
    pub python: Option<PathBuf>,
    /// The build's working directory (empty: `root`). Lockfiles are looked for here and in its
    /// ancestors up to `root`.
    pub cwd: PathBuf,
    /// Which lockfiles to record beyond the default (see [`DiscoveryOptions`]).
    pub discovery: DiscoveryOptions,
    /// The process environment as seen by the CLI.
    pub env: BTreeMap<String, String>,
    /// Extra environment variable names requested with `--env NAME`.
    pub extra_env: Vec<String>,
    /// What a git work tree without any commit means for the snapshot.
    pub unborn: UnbornHead,
}

/// What a snapshot does in a git work tree whose `HEAD` has no commit yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnbornHead {
    /// Fail: provenance needs a source commit (`attest`, `run`).
    #[default]
    Error,
    /// Record no source and add a `source-no-commit` warning (`materials`).
    Warn,
}

/// A non-fatal problem found while collecting (a file that could not be parsed, …).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Warning {
    /// Stable kebab-case diagnostic code.
    pub code: diag::WarningCode,
    /// The file or item the warning is about.
    pub subject: String,
    /// Human-readable reason.
    pub message: String,
}

/// What one collector found.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    /// Materials as ResourceDescriptors (a lockfile itself, one per package, …).
    pub materials: Vec<ResourceDescriptor>,
    /// Non-fatal problems.
    pub warnings: Vec<Warning>,
}

/// One ecosystem's reader of materials.
pub trait Collector {
    /// Short stable name (`git`, `python-lock`, `python-env`, `node`, `rust`, `go`, `env`).
    fn name(&self) -> &'static str;
    /// Reads the materials. Errors are for failures that make the whole snapshot untrustworthy;
    /// a single unparsable file should be reported as a [`Warning`] naming the file.
    fn collect(&self, ctx: &CollectContext) -> Result<Collected, MaterialsError>;
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MaterialsError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file could not be parsed (a fact the reader found; a parser's own error is
    /// [`MaterialsError::Unparsable`]).
    #[error("cannot parse `{path}`: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// No underlying cause: what the reader found wrong (`no \`_meta\``, a line it cannot
        /// read), with URL credentials stripped.
        reason: String,
    },
    /// A file could not be parsed: the parser's error.
    #[error("cannot parse `{path}` as {format}")]
    Unparsable {
        /// The file.
        path: PathBuf,
        /// What it was read as (`YAML`, `UTF-8`, `TOML`).
        format: &'static str,
        /// The parser's error, shown with URL credentials stripped.
        #[source]
        source: RedactedCause,
    },
    /// A lockfile is malformed: a wrong type, an unknown version, an empty or truncated file, a
    /// line the format's own tool would reject, an unparsable hash.
    #[error("`{}`: `{field}`: {reason}", location(path, *line, *column))]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// The field or construct at fault (`integrity`, `lockfileVersion`, `requirement`, …).
        field: String,
        /// No underlying cause: what is wrong with the field, as the reader found it (a
        /// parser's error is [`MaterialsError::Syntax`]), with URL credentials stripped.
        reason: String,
    },
    /// A parser rejected a lockfile at a field (a wrong type, a truncated document).
    #[error("`{}`: `{field}`", location(path, *line, *column))]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// The field at fault (its path in the document, or the file name for the document).
        field: String,
        /// The parser's error, shown with URL credentials stripped.
        #[source]
        source: RedactedCause,
    },
    /// A requirements file includes (`-r`/`-c`) a file that is refused.
    #[error("`{file}:{line}`: include `{target}` refused: {reason}")]
    IncludeRefused {
        /// The including file (recorded name).
        file: String,
        /// The line of the include.
        line: usize,
        /// The included path as written (credentials stripped).
        target: String,
        /// Why it is refused.
        reason: IncludeRefusal,
    },
    /// A `--lockfile` or `--exclude` pattern, or the `[materials]` table, is invalid.
    #[error("invalid lockfile selection `{pattern}`: {reason}")]
    Selection {
        /// The pattern or setting.
        pattern: String,
        /// Why.
        reason: SelectionRefusal,
    },
    /// The `git` command failed.
    #[error("git failed in `{dir}`: {reason}")]
    Git {
        /// Where git ran.
        dir: PathBuf,
        /// No underlying cause: git's first line of error output, or what could not be done
        /// (the operating system's error, when git could not be started, is `source`).
        reason: String,
        /// The operating system's error, when git could not be started.
        #[source]
        source: Option<std::io::Error>,
    },
    /// The git repository has no commit yet, so there is no source commit to record.
    #[error("git repository `{root}` has no commits yet{}; commit the source first", branch.as_deref().map(|b| format!(" (branch `{b}` is unborn)")).unwrap_or_default())]
    GitNoCommit {
        /// The work tree root.
        root: PathBuf,
        /// The unborn branch `HEAD` points to.
        branch: Option<String>,
    },
    /// An environment variable whose name looks secret was requested; its value is never read.
    #[error("refusing to record environment variable `{name}`: its name looks like a secret")]
    SecretEnvRefused {
        /// The variable name.
        name: String,
    },
    /// The Python environment or interpreter could not be inspected.
    #[error(
        "cannot inspect Python environment `{path}`{}",
        provseal_model::colon(reason)
    )]
    PythonEnv {
        /// The interpreter or environment path.
        path: PathBuf,
        /// No underlying cause: what the inspection found wrong (empty when `source` says it
        /// all).
        reason: String,
        /// The error that stopped the inspection, when there is one.
        #[source]
        source: Option<provseal_model::Cause>,
    },
    /// Something could not be serialized as JSON.
    #[error("cannot serialize {what} as JSON")]
    Serialize {
        /// What was being serialized.
        what: &'static str,
        /// What the serializer reported.
        #[source]
        source: serde_json::Error,
    },
}

/// Why a lockfile selection (a pattern, or a path it names) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectionRefusal {
    /// The glob does not parse.
    #[error("{0}")]
    Glob(globset::ErrorKind),
    /// A named path is a directory, device, FIFO or socket.
    #[error("not a regular file")]
    NotARegularFile,
    /// No lockfile reader claims the file name.
    #[error("no lockfile format has this file name")]
    UnknownFormat,
}

/// Why a requirements include is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IncludeRefusal {
    /// It resolves outside the work tree.
    #[error("it lies outside the work tree")]
    OutsideWorkTree,
    /// It is a directory, device, FIFO or socket.
    #[error("it is not a regular file")]
    NotARegularFile,
    /// It does not exist or cannot be resolved.
    #[error("no such file")]
    Missing,
}

fn location(path: &std::path::Path, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", path.display()),
        (Some(l), None) => format!("{}:{l}", path.display()),
        _ => path.display().to_string(),
    }
}

impl MaterialsError {
    /// A [`MaterialsError::Malformed`] at a line.
    pub fn malformed(
        path: &std::path::Path,
        line: usize,
        field: &str,
        reason: impl Into<String>,
    ) -> Self {
        MaterialsError::Malformed {
            path: path.to_path_buf(),
            line: Some(line),
            column: None,
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}
