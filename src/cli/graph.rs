//! `nexus graph ENV [--format text|dot]`: the apps of an environment in
//! sync-wave order, with their dependencies.

use super::{Cli, Failure, fail, open_project, repo_root};
use crate::model::EnvRender;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The environment (or a group: one graph per environment).
    pub env: String,
    /// `text` (default) or `dot` for Graphviz.
    #[arg(long, default_value = "text", value_parser = ["text", "dot"])]
    pub format: String,
}

fn text(r: &EnvRender) -> String {
    let mut out = String::new();
    let max = r.waves.values().copied().max().unwrap_or(0);
    let waves: std::collections::BTreeSet<i64> = r.waves.values().copied().collect();
    out.push_str(&format!(
        "{}: {} apps in {} waves\n",
        r.env.name,
        r.apps.len(),
        waves.len()
    ));
    for w in waves {
        out.push_str(&format!("wave {w}\n"));
        for app in r.apps.iter().filter(|a| r.waves[&a.name] == w) {
            if app.depends_on.is_empty() {
                out.push_str(&format!("  {}\n", app.name));
            } else {
                let deps: Vec<&str> = app.depends_on.iter().map(|(d, _)| d.as_str()).collect();
                out.push_str(&format!("  {}  <- {}\n", app.name, deps.join(", ")));
            }
        }
    }
    let _ = max;
    if !r.disabled.is_empty() {
        out.push_str(&format!("disabled: {}\n", r.disabled.join(", ")));
    }
    out
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn dot(r: &EnvRender) -> String {
    let mut out = format!(
        "digraph {} {{\n  rankdir=LR;\n  node [shape=box];\n",
        quote(&r.env.name)
    );
    let waves: std::collections::BTreeSet<i64> = r.waves.values().copied().collect();
    for w in waves {
        out.push_str("  { rank=same;");
        for app in r.apps.iter().filter(|a| r.waves[&a.name] == w) {
            out.push_str(&format!(" {}", quote(&app.name)));
        }
        out.push_str(" }\n");
    }
    for app in &r.apps {
        out.push_str(&format!(
            "  {} [label={}];\n",
            quote(&app.name),
            quote(&format!("{}\\nwave {}", app.name, r.waves[&app.name]))
        ));
    }
    for app in &r.apps {
        for (dep, _) in &app.depends_on {
            out.push_str(&format!("  {} -> {};\n", quote(dep), quote(&app.name)));
        }
    }
    out.push_str("}\n");
    out
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let root = repo_root().map_err(fail)?;
    let mut project = open_project(cli, &root, "deploy".into())?;
    let envs: Vec<_> = project
        .discovery
        .select(std::slice::from_ref(&args.env), false)
        .map_err(fail)?
        .into_iter()
        .cloned()
        .collect();
    let refs: Vec<_> = envs.iter().collect();
    let renders = match project
        .load_layers(&refs)
        .and_then(|_| project.render_all(&refs))
    {
        Ok(r) => r,
        Err(e) => return Err((e, std::mem::take(&mut project.files))),
    };
    let findings: Vec<_> = renders
        .iter()
        .flat_map(|r| r.findings.iter().cloned())
        .collect();
    crate::report::eprint_all(&findings, &project.files);
    if findings
        .iter()
        .any(|d| d.severity == crate::error::Severity::Error)
    {
        return Ok(1);
    }
    for r in &renders {
        print!(
            "{}",
            if args.format == "dot" {
                dot(r)
            } else {
                text(r)
            }
        );
    }
    Ok(0)
}
