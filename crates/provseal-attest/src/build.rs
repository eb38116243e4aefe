//! Running the build command: inherited stdio, its own process group, SIGINT and SIGTERM
//! forwarded to that group.

use crate::AttestError;

/// Where the build's standard output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildStdout {
    /// The caller's stdout.
    #[default]
    Inherit,
    /// The caller's stderr (when the caller's stdout carries a report).
    Stderr,
}

/// How the build ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuildEnd {
    /// It exited 0.
    Success,
    /// It exited with this non-zero code (killed by signal `n`: `128 + n`).
    Failed(i32),
    /// provseal received this signal while it ran; the signal was forwarded to the build.
    Interrupted(i32),
}

/// Runs `command` in `cwd` to its end. On Unix it runs in its own process group, and SIGINT and SIGTERM
/// sent to this process meanwhile are forwarded to that whole group (a build's compilers and
/// scripts too); the first such signal is reported as [`BuildEnd::Interrupted`] once the build
/// has ended.
pub(crate) fn run_build(
    command: &[String],
    cwd: &std::path::Path,
    stdout: BuildStdout,
) -> Result<BuildEnd, AttestError> {
    let Some((program, args)) = command.split_first() else {
        return Err(AttestError::NoCommand);
    };
    let mut build = std::process::Command::new(program);
    build.args(args).current_dir(cwd);
    if stdout == BuildStdout::Stderr {
        build.stdout(std::io::stderr());
    }
    let (status, interrupted) = wait_forwarding_signals(build, program)?;
    if let Some(signal) = interrupted {
        return Ok(BuildEnd::Interrupted(signal));
    }
    if status.success() {
        return Ok(BuildEnd::Success);
    }
    Ok(BuildEnd::Failed(status.code().unwrap_or_else(|| {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt as _;
            128 + status.signal().unwrap_or(0)
        }
        #[cfg(not(unix))]
        1
    })))
}

#[cfg(unix)]
fn wait_forwarding_signals(
    mut build: std::process::Command,
    program: &str,
) -> Result<(std::process::ExitStatus, Option<i32>), AttestError> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::os::unix::process::CommandExt as _;
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|error| AttestError::Signals { error })?;
    build.process_group(0);
    let mut child = build.spawn().map_err(|error| AttestError::BuildStart {
        program: program.to_owned(),
        error,
    })?;
    let group = rustix::process::Pid::from_raw(child.id() as i32);
    let handle = signals.handle();
    let forwarder = std::thread::spawn(move || {
        let mut first = None;
        for signal in signals.forever() {
            first.get_or_insert(signal);
            let sig = if signal == SIGINT {
                rustix::process::Signal::INT
            } else {
                rustix::process::Signal::TERM
            };
            if let Some(group) = group {
                // The group may be gone already; nothing else to do then.
                let _ = rustix::process::kill_process_group(group, sig);
            }
        }
        first
    });
    let status = child.wait();
    handle.close();
    let interrupted = forwarder.join().unwrap_or(None);
    let status = status.map_err(|error| AttestError::BuildWait { error })?;
    Ok((status, interrupted))
}

#[cfg(not(unix))]
fn wait_forwarding_signals(
    mut build: std::process::Command,
    program: &str,
) -> Result<(std::process::ExitStatus, Option<i32>), AttestError> {
    let status = build.status().map_err(|error| AttestError::BuildStart {
        program: program.to_owned(),
        error,
    })?;
    Ok((status, None))
}
