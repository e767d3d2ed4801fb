//! `nexus lint [ENV...] [--all] [--format F] [--explain ID]`: render the
//! environments in memory, run validation and the lint rules, print the
//! findings; exit 1 when any error-severity finding remains. `--explain`
//! prints a rule's documentation and needs no repository.

use super::{Cli, Failure, fail, open_project, repo_root};
use crate::checks::{self, CheckOptions};
use crate::error::{Error, did_you_mean};
use crate::lint::registry;
use crate::report::Format;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Environments or groups to lint (default: all).
    pub envs: Vec<String>,
    /// Lint every environment.
    #[arg(long)]
    pub all: bool,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Print the documentation of one rule (`NX001`) and exit.
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,
}

/// The text `--explain` prints, or an error naming the closest rule id.
pub fn explain(id: &str) -> Result<String, Error> {
    let code = id.trim().to_ascii_uppercase();
    match registry::rule(&code) {
        Some(r) => Ok(format!("{}\n", r.help())),
        None => {
            let codes: Vec<&str> = registry::RULES.iter().map(|r| r.code).collect();
            let err = Error::input(format!("unknown lint rule `{id}`"));
            Err(match did_you_mean(&code, codes.iter().copied()) {
                Some(s) => err.with_hint(format!("did you mean `{s}`?")),
                None => err.with_hint(format!("rules: {}", codes.join(", "))),
            })
        }
    }
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    if let Some(id) = &args.explain {
        print!("{}", explain(id).map_err(fail)?);
        return Ok(0);
    }
    let root = repo_root().map_err(fail)?;
    let mut project = open_project(cli, &root, "deploy".to_string())?;
    let all = args.all || args.envs.is_empty();
    let selected: Vec<_> = project
        .discovery
        .select(&args.envs, all)
        .map_err(fail)?
        .into_iter()
        .cloned()
        .collect();
    let config = match checks::config(&project) {
        Ok(c) => c,
        Err(e) => return Err((e, std::mem::take(&mut project.files))),
    };
    let names: Vec<String> = selected.iter().map(|e| e.name.clone()).collect();
    let partners: Vec<_> = config
        .partners(&names)
        .iter()
        .filter_map(|n| project.discovery.env(n).cloned())
        .collect();
    let refs: Vec<_> = selected.iter().collect();
    if let Err(e) = project.load_layers(&refs) {
        return Err((e, std::mem::take(&mut project.files)));
    }
    let renders = match project.render_all(&refs) {
        Ok(r) => r,
        Err(e) => return Err((e, std::mem::take(&mut project.files))),
    };
    // Parity partners are compared with, not linted: one that does not
    // load or render is left out (linting it shows why).
    let mut context = Vec::new();
    for p in &partners {
        if project.load_layers(&[p]).is_ok()
            && let Ok(r) = project.render_env(p)
        {
            context.push(r);
        }
    }
    let opts = CheckOptions {
        validate: true,
        lint: true,
        strict: false,
    };
    let report = match checks::run_with_context(&project, &renders, &context, opts) {
        Ok(r) => r,
        Err(e) => return Err((e, std::mem::take(&mut project.files))),
    };
    let infos = registry::rule_infos();
    print!(
        "{}",
        report.render(args.format, &project.files, &infos, cli.report_options())
    );
    let code = if report.has_errors() { 1 } else { 0 };
    super::exit_without_freeing((renders, context, project, report));
    Ok(code)
}
