//! `nexus validate [ENV...] [--all] [--format F] [--strict]`: render
//! environments in memory and check layers, Helm values and rendered
//! objects against their JSON Schemas (README: Validation). Writes nothing.
//! Exit 1 when there are error findings.

use super::{Cli, Failure, open_project, render_selected, repo_root, run_checks};
use crate::checks::CheckOptions;
use crate::report::Format;
use crate::validate;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Environments or groups to validate (none: every environment).
    pub envs: Vec<String>,
    /// Validate every environment.
    #[arg(long)]
    pub all: bool,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Objects with no known schema are errors instead of infos.
    #[arg(long)]
    pub strict: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let root = repo_root().map_err(super::fail)?;
    let mut project = open_project(cli, &root, "deploy".to_string())?;
    // With no environment named, validate them all.
    let all = args.all || args.envs.is_empty();
    let renders = render_selected(&mut project, &args.envs, all)?;
    let opts = CheckOptions {
        validate: true,
        lint: false,
        strict: args.strict,
    };
    let report = run_checks(&mut project, &renders, opts)?;
    let text = report.render(
        args.format,
        &project.files,
        &[validate::rule_info()],
        cli.report_options(),
    );
    print!("{text}");
    let code = i32::from(report.has_errors());
    super::exit_without_freeing((renders, project, report));
    Ok(code)
}
