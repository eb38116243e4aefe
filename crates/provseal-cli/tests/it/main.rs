//! End-to-end tests of the `provseal` binary: key generation, attest, verify, inspect, and the
//! bad-input contract (clear error, exit 1 or 2, no output file left behind).
#![allow(clippy::unwrap_used, clippy::new_without_default)]

mod bad_input;
mod blob;
mod bounded;
mod cosign;
mod cosign_stack;
mod detached;
mod e2e;
mod github_release;
mod index;
mod keyless;
mod materials;
mod progress;
mod run;
mod shapes;
mod sigstore;
mod slsa;
mod slsa_verifier;
mod snapshots;
mod ux;

pub(crate) use provseal_testsupport::Project;

/// Runs a command to completion: (exit code, stdout + stderr).
pub(crate) fn exit_and_output(mut c: std::process::Command) -> (i32, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
