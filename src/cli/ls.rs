//! `nexus ls`: environments, groups and the apps of each.

use rayon::prelude::*;

use super::{Cli, Failure, fail, open_project, repo_root};

pub fn run(cli: &Cli) -> Result<i32, Failure> {
    let root = repo_root().map_err(fail)?;
    let mut project = open_project(cli, &root, "deploy".into())?;
    let envs = project.discovery.envs.clone();
    let refs: Vec<_> = envs.iter().collect();
    if let Err(e) = project.load_layers(&refs) {
        return Err((e, std::mem::take(&mut project.files)));
    }
    let mut out = String::new();
    if !project.discovery.groups.is_empty() {
        out.push_str("groups:\n");
        for g in &project.discovery.groups {
            let below: Vec<&str> = envs
                .iter()
                .filter(|e| e.name.starts_with(&format!("{g}/")))
                .map(|e| e.name.as_str())
                .collect();
            out.push_str(&format!("  {g}  ({})\n", below.join(", ")));
        }
    }
    out.push_str("environments:\n");
    for env in &envs {
        let states: Vec<String> = env
            .apps
            .par_iter()
            .map(|a| match project.build_app(env, a) {
                Ok((Some(_), _)) => a.clone(),
                Ok((None, f)) if f.iter().any(|d| d.kind == crate::error::Kind::Template) => {
                    format!("{a} (template errors)")
                }
                Ok((None, _)) => format!("{a} (disabled)"),
                Err(_) => format!("{a} (errors)"),
            })
            .collect();
        out.push_str(&format!(
            "  {}: {}\n",
            env.name,
            if states.is_empty() {
                "(no apps)".to_string()
            } else {
                states.join(", ")
            }
        ));
    }
    print!("{out}");
    Ok(0)
}
