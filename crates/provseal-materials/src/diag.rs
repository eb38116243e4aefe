//! Warning codes of provseal-materials: one stable kebab-case code per kind of non-fatal
//! [`Warning`] (printed as `warning[CODE]`, recorded in the snapshot-warnings byproduct), each
//! documented in `docs/diagnostics.md`.
//!
//! [`Warning`]: crate::Warning

provseal_model::stable_ids! {
    /// A stable warning code ([`crate::Warning::code`]).
    WarningCode {
        /// A lockfile name found in the walk is a directory or special file.
        LockfileNotAFile = "lockfile-not-a-file",
        /// A path in the source tree is not UTF-8 and was passed over.
        NonUtf8Path = "non-utf8-path",
        /// The tree walk hit an unreadable directory.
        WalkError = "walk-error",
        /// `-r`/`-c` includes that loop back.
        RequirementsIncludeCycle = "requirements-include-cycle",
        /// A `-r`/`-c` include of a URL (not followed).
        RequirementsRemoteInclude = "requirements-remote-include",
        /// A git repository without a commit: no source is recorded.
        SourceNoCommit = "source-no-commit",
        /// A dist-info of the Python environment could not be read.
        PythonDistUnreadable = "python-dist-unreadable",
        /// The Python environment could not be read.
        PythonEnvUnreadable = "python-env-unreadable",
        /// A requested environment variable is not set.
        EnvVarUnset = "env-var-unset",
    }
}

#[cfg(test)]
provseal_testsupport::documented_ids_test!(WarningCode, "docs/diagnostics.md");
