//! `nexus render [ENV...] [--all] [--out DIR] [--check]`: render
//! environments and write `deploy/<env>/`, or with `--check` only say
//! whether the files on disk are up to date.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{
    Cli, Failure, exit_without_freeing, fail, open_project, output_root, render_selected,
    repo_root, run_checks,
};
use crate::checks::CheckOptions;
use crate::error::{Kind, Severity};
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
    let renders = render_selected(&mut project, &args.envs, args.all)?;
    // The same checks `nexus validate` runs: nothing invalid is written.
    let opts = CheckOptions {
        validate: true,
        lint: false,
        strict: false,
    };
    let report = run_checks(&mut project, &renders, opts)?;
    // Infos (objects with no schema) are for `nexus validate`; render shows
    // what needs attention.
    let shown: Vec<_> = report
        .findings
        .iter()
        .filter(|d| d.severity != Severity::Info)
        .cloned()
        .collect();
    report::eprint_all(&shown, &project.files);
    let is_error = |d: &&crate::error::Diagnostic| d.severity == Severity::Error;
    let errors = report.findings.iter().filter(is_error).count();
    let schema_errors = report
        .findings
        .iter()
        .filter(is_error)
        .filter(|d| d.kind == Kind::Schema)
        .count();
    if args.check && errors > 0 {
        eprintln!(
            "nexus: the rendered output would be invalid: {errors} error(s) ({schema_errors} schema)"
        );
        return Ok(1);
    }
    if schema_errors > 0 && schema_errors == errors {
        eprintln!(
            "nexus: nothing was written because of {schema_errors} schema error(s); run `nexus validate` for details"
        );
        return Ok(1);
    }
    if errors > 0 {
        eprintln!("nexus: {errors} error(s) found ({schema_errors} schema); nothing was written");
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
            exit_without_freeing((renders, project));
            return Ok(0);
        }
        eprintln!(
            "nexus: the rendered output is out of date; run `nexus render` and commit the result"
        );
        exit_without_freeing((renders, project));
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
    exit_without_freeing((renders, project));
    Ok(0)
}
