//! `nexus completions SHELL` and `nexus man [DIR]`: what a packaged tool
//! ships beside its binary, generated from the same clap definitions that
//! parse the command line, so they cannot drift from it.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::{Cli, Failure, fail};
use crate::error::Error;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write one page per command (nexus.1, nexus-render.1 ...) into this
    /// directory instead of printing nexus.1.
    pub dir: Option<PathBuf>,
}

pub fn completions(args: &CompletionsArgs) -> Result<i32, Failure> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "nexus", &mut out);
    emit_stdout(&out)
}

fn emit_stdout(bytes: &[u8]) -> Result<i32, Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(0),
        // A closed pipe (`nexus man | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(fail(Error::input(format!("cannot write to stdout: {e}")))),
    }
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

pub fn man(args: &ManArgs) -> Result<i32, Failure> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = &args.dir else {
        return emit_stdout(&page(cmd).map_err(fail)?);
    };
    let mut all = Vec::new();
    pages(cmd, &mut all).map_err(fail)?;
    write_pages(dir, &all).map_err(fail)?;
    let listing: String = all
        .iter()
        .map(|(name, _)| format!("{}\n", dir.join(name).display()))
        .collect();
    emit_stdout(listing.as_bytes())
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
