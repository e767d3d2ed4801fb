//! `nexus validate [ENV...] [--all] [--format F] [--strict]`: render
//! environments in memory and check layers, Helm values and rendered
//! objects against their JSON Schemas (SPEC §7). Writes nothing.
//! Exit 1 when there are error findings.

use super::{Cli, Failure, open_project, repo_root};
use crate::checks::{self, CheckOptions};
use crate::findings::Format;
use crate::report::Style;
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
    let all = args.all || args.envs.is_empty();
    let selected: Vec<_> = project
        .discovery
        .select(&args.envs, all)
        .map_err(super::fail)?
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
    let opts = CheckOptions {
        validate: true,
        lint: false,
        strict: args.strict,
    };
    let report = match checks::run(&project, &renders, opts) {
        Ok(r) => r,
        Err(e) => return Err((e, std::mem::take(&mut project.files))),
    };
    let text = report.render(
        args.format,
        &project.files,
        &[validate::rule_info()],
        Style::for_stdout(),
    );
    print!("{text}");
    Ok(i32::from(report.has_errors()))
}
