//! `nexus check [--format F] [--strict]`: what the pre-commit hook runs.
//! Renders every environment in memory, compares the result with
//! `deploy/` (missing, stale and extra managed files), and runs validation
//! and lint through [`checks::run`]. Exit 1 on a stale file or any
//! finding at error severity, 2 when the input is unusable.

use std::collections::BTreeMap;

use super::{Cli, Failure, fail, open_project, render_envs, repo_root};
use crate::checks::{self, CheckOptions};
use crate::error::{Diagnostic, Kind};
use crate::model::EnvRender;
use crate::report::{Format, RuleInfo};
use crate::write::{self, Changes};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Objects with no known schema are errors instead of infos.
    #[arg(long)]
    pub strict: bool,
}

/// Rule metadata for SARIF: `STALE` plus every lint rule.
fn check_rules() -> Vec<RuleInfo> {
    let mut rules = crate::lint::registry::rule_infos();
    rules.push(stale_rule());
    rules
}

fn stale_rule() -> RuleInfo {
    RuleInfo {
        id: "STALE".to_string(),
        name: "stale-output".to_string(),
        summary: "deploy/ does not match what the layers render".to_string(),
        help: "A file under deploy/ is missing, out of date, or no longer produced by the layers. \
               Run `nexus render --all` and commit the result, so ArgoCD deploys what the layers say."
            .to_string(),
    }
}

/// The environment a path under the output root belongs to (longest match).
fn env_of<'a>(path: &str, renders: &'a [EnvRender]) -> Option<&'a str> {
    renders
        .iter()
        .map(|r| r.env.name.as_str())
        .filter(|e| path.starts_with(&format!("{e}/")))
        .max_by_key(|e| e.len())
}

/// One `STALE` finding per file that differs from the render.
fn stale_findings(changes: &Changes, renders: &[EnvRender]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut push = |path: &String, what: &str, hint: &str| {
        let mut d = Diagnostic::error(format!("deploy/{path} {what}"))
            .with_kind(Kind::Stale)
            .in_file(format!("deploy/{path}"))
            .with_hint(hint);
        d.env = env_of(path, renders).map(str::to_string);
        out.push(d);
    };
    let render = "run `nexus render --all` and commit the result";
    for p in &changes.add {
        push(p, "is missing", render);
    }
    for p in &changes.change {
        push(p, "is stale (the layers render it differently)", render);
    }
    for p in &changes.remove {
        push(p, "is extra (no layer produces it any more)", render);
    }
    for p in &changes.blocked {
        push(
            p,
            "is in the way: nexus renders this path but the file has no nexus header",
            "move the hand-written file away, then run `nexus render --all`",
        );
    }
    out
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let root = repo_root().map_err(fail)?;
    let out_dir = root.join("deploy");
    let mut project = open_project(cli, &root, "deploy".to_string())?;
    let envs: Vec<_> = project.discovery.envs.clone();
    let refs: Vec<_> = envs.iter().collect();
    let renders = render_envs(&mut project, &refs)?;
    let opts = CheckOptions {
        validate: true,
        lint: true,
        strict: args.strict,
    };
    let mut report = match checks::run(&project, &renders, opts) {
        Ok(r) => r,
        Err(e) => return Err((e, std::mem::take(&mut project.files))),
    };
    // An environment whose templates failed renders nothing: its files are
    // not compared (the TEMPLATE errors say what to fix).
    let failed: Vec<String> = renders
        .iter()
        .filter(|r| r.template_failed())
        .map(|r| format!("{}/", r.env.name))
        .collect();
    let outputs: BTreeMap<String, &str> = renders
        .iter()
        .flat_map(|r| r.outputs.iter().map(|o| (o.path.clone(), o.text.as_str())))
        .collect();
    let mut changes = write::diff(&out_dir, &[String::new()], &outputs).map_err(fail)?;
    for list in [
        &mut changes.add,
        &mut changes.change,
        &mut changes.remove,
        &mut changes.blocked,
    ] {
        list.retain(|p| !failed.iter().any(|f| p.starts_with(f.as_str())));
    }
    let opts = cli.report_options();
    let style = opts.style;
    let stale_count =
        changes.add.len() + changes.change.len() + changes.remove.len() + changes.blocked.len();
    if args.format == Format::Text {
        // People get a compact list, as from `render --check`.
        let show = |p: &str| format!("deploy/{p}");
        for (label, colour, list) in [
            ("missing", "32", &changes.add),
            ("stale  ", "33", &changes.change),
            ("extra  ", "31", &changes.remove),
            ("blocked", "31", &changes.blocked),
        ] {
            for p in list {
                println!("{} {}", style.paint(colour, label), show(p));
            }
        }
        if stale_count > 0 {
            println!();
        }
    } else {
        // Tools get one document: stale files are findings too.
        report.findings.extend(stale_findings(&changes, &renders));
        report.normalise(&project.files);
    }
    print!(
        "{}",
        report.render(args.format, &project.files, &check_rules(), opts)
    );
    if args.format == Format::Text {
        if stale_count == 0 {
            println!(
                "deploy/ is up to date ({} files in {} environment(s))",
                outputs.len(),
                renders.len()
            );
        } else {
            eprintln!(
                "nexus: {stale_count} file(s) in deploy/ are out of date; run `nexus render --all` and commit the result"
            );
        }
    }
    let code = if stale_count > 0 || report.has_errors() {
        1
    } else {
        0
    };
    drop(outputs);
    super::exit_without_freeing((renders, project, report));
    Ok(code)
}
