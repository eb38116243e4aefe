//! The `provseal` command line: argument parsing, settings resolution and output. The work is
//! done by the libraries (`provseal-attest`, `provseal-verify`, …); nothing here is needed by a
//! library user.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

mod args;
mod attest;
mod blob;
mod emit;
mod inspect;
mod keyless;
mod keys;
mod materials;
mod output;
mod run;
mod verify;

use args::{Cli, Command, KeyCommand, PolicyCommand};

/// An error with its exit code (2 unless said otherwise) and an optional hint.
#[derive(Debug)]
pub struct Failure {
    /// The error chain.
    pub error: anyhow::Error,
    /// What the user can do next.
    pub hint: Option<String>,
    /// The process exit code.
    pub code: u8,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            error: e.into(),
            hint: None,
            code: 2,
        }
    }
}

/// Adds a hint to a failure.
pub trait WithHint<T> {
    /// Attach `hint`.
    fn hint(self, hint: impl Into<String>) -> Result<T, Failure>;
}

impl<T, E: Into<Failure>> WithHint<T> for Result<T, E> {
    fn hint(self, hint: impl Into<String>) -> Result<T, Failure> {
        self.map_err(|e| {
            let mut f: Failure = e.into();
            f.hint = Some(hint.into());
            f
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Key {
            command: KeyCommand::Generate(a),
        } => keys::generate(a),
        Command::Key {
            command: KeyCommand::Export(a),
        } => blob::export(a),
        Command::VerifyBundle(a) => verify::verify_bundle(a),
        Command::SignBlob(a) => blob::sign(a),
        Command::Policy {
            command: PolicyCommand::Check { file },
        } => verify::policy_check(&file),
        Command::VerifyBlob(a) => blob::verify(a),
        Command::Attest(a) => attest::run(a),
        Command::Run(a) => run::run(a),
        Command::Materials(a) => materials::run(a),
        Command::Verify(a) => verify::run(*a),
        Command::Inspect(a) => inspect::run(a),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            output::print_error(&f.error, f.hint.as_deref());
            ExitCode::from(f.code)
        }
    }
}
