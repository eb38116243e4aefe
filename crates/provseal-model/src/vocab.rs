//! The provseal vocabulary: words that cross crates — written by `provseal-materials` and
//! `provseal-attest`, read by `provseal-verify` — as types and constants, never as literals
//! repeated in several places.
//!
//! - [`Drift`] (with [`MaterialRef`] and [`Changed`]): what a build changed between the snapshot
//!   before and after it; recorded in the `provseal-drift` byproduct ([`byproduct::DRIFT`]) under
//!   the annotation [`byproduct::DRIFT_ANNOTATION`].
//! - [`annotation`]: the names of the annotations on materials (`lockfileFormat`, `lockfile`, …).
//! - [`byproduct`]: the names of the run's byproducts and run-details keys.
//!
//! ```
//! use provseal_model::vocab::Drift;
//! let d: Drift = serde_json::from_value(serde_json::json!({"added": [{"id": "pkg:npm/x@1"}]})).unwrap();
//! assert_eq!(d.added[0].id, "pkg:npm/x@1");
//! assert!(!d.is_empty());
//! ```

/// Annotation names on `resolvedDependencies` entries.
pub mod annotation {
    /// On a lockfile's own descriptor: its format (`uv.lock`, `package-lock.json v3`, …). A
    /// descriptor with this annotation is a lockfile, not a package.
    pub const LOCKFILE_FORMAT: &str = "lockfileFormat";
    /// On a package: the lockfile (recorded name) that pins it.
    pub const LOCKFILE: &str = "lockfile";
    /// On a package: the Python environment it is installed in.
    pub const PYTHON_ENV: &str = "pythonEnv";
    /// On a package: only a development dependency.
    pub const DEV: &str = "dev";
    /// On a package: only an optional dependency.
    pub const OPTIONAL: &str = "optional";
}

/// Byproduct names and the keys inside them.
pub mod byproduct {
    /// The build result (`exitCode`, `startedOn`, `finishedOn`).
    pub const BUILD: &str = "provseal-build";
    /// The drift between the snapshots before and after the build.
    pub const DRIFT: &str = "provseal-drift";
    /// The annotation of [`DRIFT`] that holds the [`super::Drift`].
    pub const DRIFT_ANNOTATION: &str = "drift";
    /// The snapshot's warnings.
    pub const SNAPSHOT_WARNINGS: &str = "provseal-snapshot-warnings";
}

/// A material as drift reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaterialRef {
    /// `uri` (a purl for a package) or `name` (a lockfile path).
    pub id: String,
    /// The scope: the lockfile or Python environment it was found in, when annotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Its digests (`alg:hex`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub digest: Vec<String>,
}

/// A material present before and after with a different version or digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Changed {
    /// The identity: purl without version (or the lockfile path).
    pub key: String,
    /// The scope (lockfile or Python environment), when annotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Before.
    pub old: MaterialRef,
    /// After.
    pub new: MaterialRef,
}

/// What changed between two snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Drift {
    /// Packages present only after.
    pub added: Vec<MaterialRef>,
    /// Packages present only before.
    pub removed: Vec<MaterialRef>,
    /// Packages with a different version or digest.
    pub changed: Vec<Changed>,
    /// Lockfiles whose digest changed, or that appeared or disappeared (`old`/`new` digests; a
    /// missing side has an empty digest list).
    pub lockfiles_changed: Vec<Changed>,
    /// The work tree was clean before and dirty after.
    pub source_became_dirty: bool,
    /// Paths dirty after the build that were not dirty before.
    pub new_dirty_paths: Vec<String>,
    /// `HEAD` moved to another commit.
    pub source_commit_changed: bool,
}

impl Drift {
    /// `true` when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.lockfiles_changed.is_empty()
            && !self.source_became_dirty
            && self.new_dirty_paths.is_empty()
            && !self.source_commit_changed
    }
}
