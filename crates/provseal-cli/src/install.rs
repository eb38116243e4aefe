//! `provseal completions SHELL` (clap_complete) and `provseal man` (clap_mangen): generated from
//! the same clap definitions as the parser, so they never drift from it.

use clap::CommandFactory;

use crate::args::Cli;
use crate::exit::ExitStatus;
use crate::Failure;

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<ExitStatus, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "provseal", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(ExitStatus::Success)
}

/// Prints the man page (roff) on stdout: `provseal(1)`, with every subcommand's options.
pub fn man() -> Result<ExitStatus, Failure> {
    let cmd = Cli::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("provseal {}", sub.get_name());
        let sub = sub.clone().bin_name(name);
        let sub_man = clap_mangen::Man::new(sub);
        sub_man.render_synopsis_section(&mut page)?;
        sub_man.render_description_section(&mut page)?;
        sub_man.render_options_section(&mut page)?;
    }
    man.render_version_section(&mut page)?;
    out!("{}", String::from_utf8_lossy(&page));
    Ok(ExitStatus::Success)
}
