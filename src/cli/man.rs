//! `nexus man [DIR]`: the man pages, generated from the same clap
//! definitions that parse the command line, so they cannot drift from it.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::{Cli, Failure, fail, print_stdout};
use crate::error::Error;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write one page per command (nexus.1, nexus-render.1 ...) into this
    /// directory instead of printing nexus.1.
    pub dir: Option<PathBuf>,
}

/// The page of `cmd` as roff.
fn page(cmd: clap::Command) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .manual("nexus manual")
        .source(format!("nexus {}", env!("CARGO_PKG_VERSION")))
        .render(&mut out)
        .map_err(|e| Error::input(format!("cannot render the man page: {e}")))?;
    Ok(out)
}

/// Every page: `nexus.1`, then one per subcommand (`nexus-hook-install.1`).
fn pages(cmd: clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), Error> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages(sub.clone(), out)?;
    }
    let name = cmd
        .get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string();
    out.push((format!("{name}.1"), page(cmd)?));
    Ok(())
}

pub fn run(args: &Args) -> Result<i32, Failure> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = &args.dir else {
        return print_stdout(&page(cmd).map_err(fail)?);
    };
    let mut all = Vec::new();
    pages(cmd, &mut all).map_err(fail)?;
    write_pages(dir, &all).map_err(fail)?;
    let listing: String = all
        .iter()
        .map(|(name, _)| format!("{}\n", dir.join(name).display()))
        .collect();
    print_stdout(listing.as_bytes())
}

fn write_pages(dir: &Path, all: &[(String, Vec<u8>)]) -> Result<(), Error> {
    if dir.exists() && !dir.is_dir() {
        return Err(
            Error::input(format!("{} is not a directory", dir.display()))
                .with_hint("name a directory for the pages, or leave it out to print nexus.1"),
        );
    }
    for (name, text) in all {
        crate::write::write_atomic(&dir.join(name), text)
            .map_err(|e| Error::input(format!("cannot write {}: {e}", dir.join(name).display())))?;
    }
    Ok(())
}
