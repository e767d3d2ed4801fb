//! `nexus graph ENV [--format text|dot|mermaid]`: the apps of an
//! environment in sync-wave order, with their dependencies.

use super::{Cli, Failure, fail, open_project, repo_root};
use crate::model::EnvRender;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The environment (or a group: one graph per environment).
    pub env: String,
    /// `text` (default), `dot` for Graphviz, or `mermaid` (a flowchart
    /// GitHub draws in markdown).
    #[arg(long, default_value = "text", value_parser = ["text", "dot", "mermaid"])]
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

/// A Graphviz quoted string: a line break becomes `\n`, which Graphviz
/// draws as a centred line break.
fn quote(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
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
            quote(&format!("{}\nwave {}", app.name, r.waves[&app.name]))
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

/// A Mermaid label: quoted, with `"` as Mermaid's entity and the
/// characters markdown would read as markup escaped too.
fn mermaid_label(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The sync waves of `renders` as one Mermaid flowchart: a subgraph per
/// wave (inside a subgraph per environment when there are several), an
/// edge per `dependsOn`. Node ids are generated (`e0_a3`): app names may
/// hold characters Mermaid ids cannot.
pub fn mermaid(renders: &[&EnvRender]) -> String {
    let mut out = String::from("flowchart LR\n");
    let several = renders.len() > 1;
    for (ei, r) in renders.iter().enumerate() {
        let ids: std::collections::BTreeMap<&str, String> = r
            .apps
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), format!("e{ei}_a{i}")))
            .collect();
        let pad = if several { "    " } else { "  " };
        if several {
            out.push_str(&format!(
                "  subgraph e{ei}[{}]\n",
                mermaid_label(&r.env.name)
            ));
        }
        let waves: std::collections::BTreeSet<i64> = r.waves.values().copied().collect();
        for w in waves {
            let wid = format!(
                "e{ei}_w{}",
                if w < 0 {
                    format!("m{}", -w)
                } else {
                    w.to_string()
                }
            );
            out.push_str(&format!(
                "{pad}subgraph {wid}[{}]\n",
                mermaid_label(&format!("wave {w}"))
            ));
            for app in r.apps.iter().filter(|a| r.waves[&a.name] == w) {
                out.push_str(&format!(
                    "{pad}  {}[{}]\n",
                    ids[app.name.as_str()],
                    mermaid_label(&app.name)
                ));
            }
            out.push_str(&format!("{pad}end\n"));
        }
        for app in &r.apps {
            for (dep, _) in &app.depends_on {
                if let Some(from) = ids.get(dep.as_str()) {
                    out.push_str(&format!("{pad}{from} --> {}\n", ids[app.name.as_str()]));
                }
            }
        }
        if several {
            out.push_str("  end\n");
        }
    }
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
    if args.format == "mermaid" {
        let refs: Vec<&EnvRender> = renders.iter().collect();
        print!("{}", mermaid(&refs));
        return Ok(0);
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
