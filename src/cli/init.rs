//! `nexus init [DIR]`: scaffold a working repository (see [`crate::init`])
//! and render it, so `nexus check` passes straight away. Existing files are
//! never overwritten: if any would be, they are listed and nothing is
//! written (exit 2).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Cli, Failure, fail, render_envs};
use crate::error::{Diagnostic, Error};
use crate::init::FILES;
use crate::project::{Options, Project};
use crate::source::FsSource;
use crate::yaml::load::Limits;
use crate::{report, write};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to create the repository (default: the current directory).
    pub dir: Option<PathBuf>,
}

/// Render every environment of the new repository into `deploy/`.
fn render(cli: &Cli, dir: &Path) -> Result<usize, Failure> {
    let source = FsSource::new(dir, cli.max_file_size).map_err(fail)?;
    let options = Options {
        out_prefix: "deploy".to_string(),
        limits: Limits::default(),
    };
    let mut project = Project::open(Box::new(source), options).map_err(fail)?;
    let envs = project.discovery.envs.clone();
    let refs: Vec<_> = envs.iter().collect();
    let renders = render_envs(&mut project, &refs)?;
    let findings: Vec<Diagnostic> = renders.iter().flat_map(|r| r.findings.clone()).collect();
    if !findings.is_empty() {
        report::eprint_all(&findings, &project.files);
        return Err(fail(Error::input(
            "the scaffold did not render cleanly (a bug in nexus: please report it)",
        )));
    }
    let outputs: BTreeMap<String, &str> = renders
        .iter()
        .flat_map(|r| r.outputs.iter().map(|o| (o.path.clone(), o.text.as_str())))
        .collect();
    let out_dir = dir.join("deploy");
    let scopes = [String::new()];
    let changes = write::diff(&out_dir, &scopes, &outputs).map_err(fail)?;
    write::apply(&out_dir, &scopes, &outputs, &changes).map_err(fail)?;
    Ok(outputs.len())
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    if dir.exists() && !dir.is_dir() {
        return Err(fail(Error::input(format!(
            "`{}` exists and is not a directory",
            dir.display()
        ))));
    }
    let mut existing: Vec<String> = FILES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| dir.join(p).symlink_metadata().is_ok())
        .map(str::to_string)
        .collect();
    if dir.join("deploy").exists() {
        existing.push("deploy/".to_string());
    }
    if !existing.is_empty() {
        let list = existing
            .iter()
            .map(|p| format!("  {}", dir.join(p).display()))
            .collect::<Vec<_>>()
            .join("\n");
        return Err(fail(
            Error::input(format!(
                "nexus init would overwrite {} existing file(s); nothing was written:\n{list}",
                existing.len()
            ))
            .with_hint("run `nexus init NEW_DIR` for a fresh directory, or move these files away"),
        ));
    }
    for (path, content) in FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| {
                fail(Error::input(format!(
                    "cannot create {}: {e}",
                    parent.display()
                )))
            })?;
        }
        write::write_atomic(&target, content.as_bytes()).map_err(|e| {
            fail(Error::input(format!(
                "cannot write {}: {e}",
                target.display()
            )))
        })?;
    }
    let rendered = render(cli, &dir)?;
    println!(
        "created a nexus repository in {} ({} files, {rendered} rendered into deploy/)",
        dir.display(),
        FILES.len()
    );
    println!("next:");
    println!("  edit argocd.repoURL in environments/base.yaml (the URL of this repository)");
    println!("  git init && git add -A && git commit -m 'nexus init'");
    println!("  nexus hook install      # every commit runs `nexus check`");
    println!("  nexus plan --base main  # what a branch changes, as a pull request would show it");
    Ok(0)
}
