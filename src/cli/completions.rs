//! `nexus completions SHELL`: a completion script generated from the same
//! clap definitions that parse the command line, so it cannot drift from
//! it.

use clap::CommandFactory;

use super::{Cli, Failure, print_stdout};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(args: &Args) -> Result<i32, Failure> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "nexus", &mut out);
    print_stdout(&out)
}
