//! `nexus plan [ENV...] [--all] [--base REF] [--format text|markdown|json]
//! [--max-bytes N] [--exit-code]`: what the working tree's layers would
//! change in the rendered tree, against the render at a git revision
//! (`--base`, read from git objects) or against `deploy/` on disk.

use std::collections::{BTreeMap, BTreeSet};

use super::{Cli, Failure, fail, open_project, render_envs, repo_root};
use crate::discover::{Discovery, EnvInfo};
use crate::error::{Error, Severity, did_you_mean};
use crate::plan::{self, Side, markdown};
use crate::project::{Options, Project};
use crate::report::Style;
use crate::source::{GitSource, Source};
use crate::yaml::load::Limits;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Environments or groups to plan (default: every environment).
    pub envs: Vec<String>,
    /// Plan every environment (the default when none is named).
    #[arg(long)]
    pub all: bool,
    /// Compare with the render at this git revision instead of deploy/ on disk.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Largest markdown comment, in bytes; whole file diffs are cut to fit.
    #[arg(long, value_name = "N", default_value_t = markdown::DEFAULT_MAX_BYTES)]
    pub max_bytes: usize,
    /// Exit 1 when there are changes.
    #[arg(long)]
    pub exit_code: bool,
}

/// Output directories the plan covers (`""` for all), from the names given.
fn scopes(args: &Args) -> Vec<String> {
    if args.all || args.envs.is_empty() {
        return vec![String::new()];
    }
    let set: BTreeSet<String> = args
        .envs
        .iter()
        .map(|n| n.trim_end_matches('/').to_string())
        .collect();
    set.into_iter().collect()
}

fn in_scope(name: &str, scopes: &[String]) -> bool {
    scopes
        .iter()
        .any(|s| s.is_empty() || name == s || name.starts_with(&format!("{s}/")))
}

fn known(d: &Discovery, name: &str) -> bool {
    d.envs
        .iter()
        .any(|e| in_scope(&e.name, &[name.to_string()]))
}

/// Render the environments of `project` inside `scopes`. Error findings
/// make the plan impossible: they are returned as a failure.
/// A rendered side: its files, its environments, and each environment's
/// sync-wave graph with its Mermaid flowchart.
type Rendered = (Side, Vec<String>, BTreeMap<String, (plan::Graph, String)>);

fn render_side(mut project: Project, scopes: &[String]) -> Result<Rendered, Failure> {
    let envs: Vec<EnvInfo> = project
        .discovery
        .envs
        .iter()
        .filter(|e| in_scope(&e.name, scopes))
        .cloned()
        .collect();
    let refs: Vec<&EnvInfo> = envs.iter().collect();
    let renders = render_envs(&mut project, &refs)?;
    let errors: Vec<_> = renders
        .iter()
        .flat_map(|r| r.findings.iter())
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    if !errors.is_empty() {
        return Err((Error::many(errors), std::mem::take(&mut project.files)));
    }
    let names = envs.iter().map(|e| e.name.clone()).collect();
    let graphs = renders
        .iter()
        .map(|r| {
            (
                r.env.name.clone(),
                (plan::Graph::of(r), super::graph::mermaid(&[r])),
            )
        })
        .collect();
    Ok((
        plan::side_from_renders(renders, &project.files),
        names,
        graphs,
    ))
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let root = repo_root().map_err(fail)?;
    let work = open_project(cli, &root, "deploy".to_string())?;
    let scopes = scopes(args);
    let out_dir = root.join("deploy");
    // The base: a project at a git revision (`None` when the revision has
    // no environments/ yet: everything is new), or deploy/ on disk.
    let mut base_project: Option<Project> = None;
    let base_desc = match &args.base {
        Some(rev) => {
            let source = GitSource::open(&root, rev, cli.max_file_size).map_err(fail)?;
            let describe = source.describe();
            if source.is_dir(crate::discover::ENV_DIR) {
                let options = Options {
                    out_prefix: "deploy".to_string(),
                    limits: Limits::default(),
                };
                let project = Project::open(Box::new(source), options).map_err(|e| {
                    eprintln!("nexus: cannot read the layers at the base {describe}");
                    fail(e)
                })?;
                base_project = Some(project);
            }
            describe
        }
        None => "`deploy/` on disk".to_string(),
    };
    // Every name must be an environment or group on one side or the other.
    for name in scopes.iter().filter(|s| !s.is_empty()) {
        let found = known(&work.discovery, name)
            || base_project
                .as_ref()
                .is_some_and(|p| known(&p.discovery, name))
            || (args.base.is_none() && out_dir.join(name).is_dir());
        if !found {
            let names: Vec<&str> = work
                .discovery
                .envs
                .iter()
                .map(|e| e.name.as_str())
                .chain(work.discovery.groups.iter().map(String::as_str))
                .collect();
            let mut err = Error::input(format!("unknown environment `{name}`"));
            err = match did_you_mean(name, names.iter().copied()) {
                Some(s) => err.with_hint(format!("did you mean `{s}`?")),
                None => err.with_hint(format!("environments here: {}", names.join(", "))),
            };
            return Err(fail(err));
        }
    }
    let (new_side, mut envs, new_graphs) = render_side(work, &scopes)?;
    let (old_side, old_graphs) = match base_project {
        Some(p) => {
            let (side, base_envs, graphs) = render_side(p, &scopes).inspect_err(|_| {
                eprintln!("nexus: the layers at the base {base_desc} do not render");
            })?;
            envs.extend(base_envs);
            let graphs = graphs.into_iter().map(|(e, (g, _))| (e, g)).collect();
            (side, graphs)
        }
        None if args.base.is_some() => (Side::new(), BTreeMap::new()),
        None => {
            let side = plan::side_from_disk(&out_dir, &scopes).map_err(fail)?;
            let graphs = plan::graphs_of_side(&side);
            (side, graphs)
        }
    };
    envs.extend(old_side.values().map(|f| f.env.clone()));
    let envs: Vec<String> = envs
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut plan = plan::compute(&old_side, &new_side, "deploy", base_desc, envs);
    // The order of an environment whose waves or edges changed, drawn.
    for (env, (graph, mermaid)) in new_graphs {
        let before = old_graphs.get(&env).cloned().unwrap_or_default();
        if graph.differs(&before) {
            plan.graphs.push((env, mermaid));
        }
    }
    let out = match args.format {
        PlanFormat::Text => plan::format::text(&plan, Style::for_stdout()),
        PlanFormat::Json => plan::format::json(&plan),
        PlanFormat::Markdown => markdown::render(&plan, args.max_bytes).map_err(|t| {
            fail(
                Error::input(format!(
                    "--max-bytes {} is too small for even the shortest plan comment ({} bytes)",
                    args.max_bytes, t.needed
                ))
                .with_hint("raise --max-bytes (GitHub accepts comments up to 65536 characters)"),
            )
        })?,
    };
    print!("{out}");
    Ok(if args.exit_code && plan.has_changes() {
        1
    } else {
        0
    })
}
