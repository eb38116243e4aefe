//! The `provseal` command line: argument parsing, settings resolution and output. The work is
//! done by the libraries (`provseal-attest`, `provseal-verify`, …); nothing here is needed by a
//! library user.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

/// mimalloc instead of the system allocator: parsing and verifying allocate many small values,
/// and glibc's malloc/free took ~30% of `index add`'s CPU (`bench/index-ab.sh`, docs/index.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[macro_use]
mod output;
mod args;
mod attest;
mod blob;
mod emit;
mod exit;
mod index;
mod inspect;
mod inspect_views;
mod install;
#[cfg(feature = "keyless")]
mod keyless;
mod keys;
mod materials;
mod progress;
mod run;
mod secrets;
mod verify;

use args::{Cli, Command, KeyCommand, OutputFormat, PolicyCommand};

use exit::ExitStatus;

/// An error with its exit status ([`ExitStatus::Error`] unless said otherwise) and an optional
/// hint.
#[derive(Debug)]
pub struct Failure {
    /// The error chain.
    pub error: anyhow::Error,
    /// What the user can do next.
    pub hint: Option<String>,
    /// How the process ends.
    pub status: ExitStatus,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            error: e.into(),
            hint: None,
            status: ExitStatus::Error,
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
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let result = secrets::check_argv(&argv).and_then(|()| match parse(&argv) {
        Ok((cli, matches)) => check_usage(&cli, &matches).and_then(|()| dispatch(cli)),
        Err(e) => Ok(usage_error(&e, &argv)),
    });
    let status = match result {
        Ok(status) => status,
        Err(f) => {
            let hint = f.hint.or_else(|| exit::hint_of(&f.error));
            output::print_error(&f.error, hint.as_deref());
            f.status
        }
    };
    status.into()
}

/// Parses the command line; the matches say which values were given (not defaulted).
fn parse(argv: &[std::ffi::OsString]) -> Result<(Cli, ArgMatches), clap::Error> {
    let matches = Cli::command().try_get_matches_from(argv)?;
    let cli = Cli::from_arg_matches_mut(&mut matches.clone())?;
    Ok((cli, matches))
}

/// Usage errors clap cannot express: `--keyless` with `--format intoto-jsonl` (a keyless
/// signature needs its certificate and log entry, which only a Sigstore bundle carries), and
/// `--keyless` in a build without keyless signing.
fn check_usage(cli: &Cli, matches: &ArgMatches) -> Result<(), Failure> {
    let (keyless, format) = match &cli.command {
        Command::Attest(a) => (a.signing.keyless.keyless, Some(a.output.format)),
        Command::Run(a) => (a.signing.keyless.keyless, Some(a.output.format)),
        Command::SignBlob(a) => (a.signing.keyless.keyless, None),
        _ => return Ok(()),
    };
    if !keyless {
        return Ok(());
    }
    let format_given = matches
        .subcommand()
        .is_some_and(|(_, m)| m.value_source("format") == Some(ValueSource::CommandLine));
    if format_given && format == Some(OutputFormat::IntotoJsonl) {
        return Err(anyhow::anyhow!(
            "`--keyless` cannot write `--format intoto-jsonl`: a keyless signature is usable only \
             with its certificate and log entry, which only a Sigstore bundle carries"
        ))
        .hint("drop `--format` (keyless writes a Sigstore bundle, `.sigstore.json`), or sign with --key");
    }
    #[cfg(not(feature = "keyless"))]
    return Err(keyless_unavailable());
    #[cfg(feature = "keyless")]
    Ok(())
}

/// `--keyless` in a build without the `keyless` feature (no HTTP stack).
#[cfg(not(feature = "keyless"))]
pub fn keyless_unavailable() -> Failure {
    Failure {
        error: anyhow::anyhow!("this provseal was built without keyless signing"),
        hint: Some(
            "sign with --key, or use a provseal built with the default `keyless` feature".into(),
        ),
        status: ExitStatus::Error,
    }
}

/// Prints a clap error (help and version exit 0 from here), with a hint where we have one.
fn usage_error(e: &clap::Error, argv: &[std::ffi::OsString]) -> ExitStatus {
    use clap::error::ErrorKind;
    let is_run = argv.get(1).is_some_and(|a| a == "run");
    let hint = match e.kind() {
        ErrorKind::UnknownArgument if is_run && !argv.iter().any(|a| a == "--") => Some(
            "put the build command after `--`, as in `provseal run --key KEY --subject 'dist/*' -- python -m build`",
        ),
        _ => None,
    };
    let Some(hint) = hint else { e.exit() };
    let _ = e.print();
    eprintln!("hint: {hint}");
    ExitStatus::Error
}

/// Runs one subcommand.
fn dispatch(cli: Cli) -> Result<ExitStatus, Failure> {
    if cli.quiet {
        output::set_quiet();
    }
    match cli.command {
        Command::Key {
            command: KeyCommand::Generate(a),
        } => keys::generate(a),
        Command::Key {
            command: KeyCommand::Export(a),
        } => blob::export(a),
        Command::VerifyBundle(a) => verify::verify_bundle(a),
        Command::SignBlob(a) => blob::sign(a),
        Command::Policy {
            command: PolicyCommand::Check { file, json },
        } => verify::policy_check(&file, json),
        Command::VerifyBlob(a) => blob::verify(a),
        Command::Attest(a) => attest::run(a),
        Command::Run(a) => run::run(a),
        Command::Materials(a) => materials::run(a),
        Command::Verify(a) => verify::run(*a),
        Command::Inspect(a) => inspect::run(a),
        Command::Completions { shell } => install::completions(shell),
        Command::Man => install::man(),
        Command::Index(a) => index::run(a),
    }
}
