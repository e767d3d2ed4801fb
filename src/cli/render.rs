//! `nexus render [ENV...] [--all] [--out DIR] [--check]`: render
//! environments and write `deploy/<env>/`, or with `--check` only say
//! whether the files on disk are up to date.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Cli, Failure, fail, open_project, output_root, repo_root};
use crate::error::Severity;
use crate::report::{self, Style};
use crate::write;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Environments or groups to render (`prod` renders everything under prod/).
    pub envs: Vec<String>,
    /// Render every environment.
    #[arg(long)]
    pub all: bool,
    /// Output root instead of `deploy/`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write nothing; exit 1 and list the files if the output is stale.
    #[arg(long)]
    pub check: bool,
    /// Allow an output root outside the repository.
    #[arg(long)]
    pub force: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let root = repo_root().map_err(fail)?;
    let (out_dir, out_prefix) =
        output_root(&root, args.out.as_deref(), args.force).map_err(fail)?;
    let mut project = open_project(cli, &root, out_prefix)?;
    let selected: Vec<_> = project
        .discovery
        .select(&args.envs, args.all)
        .map_err(|e| (e, crate::source::Files::new()))?
        .into_iter()
        .cloned()
        .collect();
    let refs: Vec<_> = selected.iter().collect();
    if let Err(e) = project.load_layers(&refs) {
        return Err((e, std::mem::take(&mut project.files)));
    }
    let renders = match project.render_all(&refs) {
        Ok(r) => r,
        Err(e) => return Err((e, std::mem::take(&mut project.files))),
    };
    let findings: Vec<_> = renders
        .iter()
        .flat_map(|r| r.findings.iter().cloned())
        .collect();
    report::eprint_all(&findings, &project.files);
    let errors = findings
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 {
        eprintln!("nexus: {errors} error(s) found; nothing was written");
        return Ok(1);
    }
    let outputs: BTreeMap<String, &str> = renders
        .iter()
        .flat_map(|r| r.outputs.iter().map(|o| (o.path.clone(), o.text.as_str())))
        .collect();
    let scopes: Vec<String> = if args.all {
        vec![String::new()]
    } else {
        renders.iter().map(|r| r.env.name.clone()).collect()
    };
    let changes = write::diff(&out_dir, &scopes, &outputs).map_err(fail)?;
    let style = Style::for_stdout();
    let show = |p: &str| out_dir.join(p).display().to_string();
    if args.check {
        for p in &changes.add {
            println!("{} {}", style.paint("32", "missing"), show(p));
        }
        for p in &changes.change {
            println!("{} {}", style.paint("33", "stale  "), show(p));
        }
        for p in &changes.remove {
            println!("{} {}", style.paint("31", "extra  "), show(p));
        }
        for p in &changes.blocked {
            println!(
                "{} {} (not managed by nexus)",
                style.paint("31", "blocked"),
                show(p)
            );
        }
        if changes.is_empty() && changes.blocked.is_empty() {
            println!(
                "deploy is up to date ({} files in {} environment(s))",
                outputs.len(),
                renders.len()
            );
            exit_without_freeing(renders, project);
            return Ok(0);
        }
        eprintln!(
            "nexus: the rendered output is out of date; run `nexus render` and commit the result"
        );
        exit_without_freeing(renders, project);
        return Ok(1);
    }
    write::apply(&out_dir, &scopes, &outputs, &changes).map_err(fail)?;
    for p in &changes.unmanaged {
        eprintln!("note: left alone {} (no nexus header)", show(p));
    }
    for r in &renders {
        println!(
            "rendered {}: {} apps, {} files",
            r.env.name,
            r.apps.len(),
            r.outputs.len()
        );
    }
    println!(
        "{} written, {} removed, {} unchanged",
        changes.add.len() + changes.change.len(),
        changes.remove.len(),
        outputs.len() - changes.add.len() - changes.change.len()
    );
    exit_without_freeing(renders, project);
    Ok(0)
}

/// The command is done and the process is about to exit: hand the trees
/// back to the OS at once instead of freeing millions of small allocations
/// one by one (a tenth of a large render's CPU time).
fn exit_without_freeing(renders: Vec<crate::project::EnvRender>, project: crate::project::Project) {
    std::mem::forget(renders);
    std::mem::forget(project);
}
