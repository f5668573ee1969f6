//! `vytal-host completions`: tab completion for a shell.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// Print a tab-completion script for a shell, to stdout.
///
/// Load it the way the shell does, e.g. for bash:
///   vytal-host completions bash > ~/.local/share/bash-completion/completions/vytal-host
/// for zsh, into a folder on $fpath as `_vytal-host`; for fish:
///   vytal-host completions fish > ~/.config/fish/completions/vytal-host.fish
///
/// Example: vytal-host completions zsh > ~/.zfunc/_vytal-host
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The shell
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: Args) -> ExitCode {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "vytal-host", &mut std::io::stdout());
    ExitCode::SUCCESS
}
