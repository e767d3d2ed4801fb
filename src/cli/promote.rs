//! `nexus promote APP... --from ENV --to ENV [--path PATH]... [--layer FILE]
//! [--dry-run] [--render]`: move values (an image tag, a digest) from one
//! environment to another with the minimal edits of `nexus set`.

use super::set::{Outcome, Target, app_in, document_path, environment, set_one, show};
use super::{Cli, Failure, fail, open_project, repo_root};
use crate::checks;
use crate::discover::EnvInfo;
use crate::error::Error;
use crate::paths::{self, Seg};
use crate::project::Project;
use crate::yaml::emit::same_values;

/// What `promote` moves when neither `--path` nor `nexus.yaml` says.
pub const DEFAULT_PATHS: &[&str] = &["values.image.tag", "values.image.digest"];

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The apps to promote.
    #[arg(required = true)]
    pub apps: Vec<String>,
    /// The environment the values come from.
    #[arg(long, value_name = "ENV")]
    pub from: String,
    /// The environment they go to.
    #[arg(long, value_name = "ENV")]
    pub to: String,
    /// A path to promote (repeatable), on top of `promote.paths` in nexus.yaml
    /// (default: values.image.tag and values.image.digest).
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<String>,
    /// Write into this layer of the target's chain, even one shared with
    /// other environments.
    #[arg(long, value_name = "FILE")]
    pub layer: Option<String>,
    /// Print what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Render the target environment after the edits.
    #[arg(long)]
    pub render: bool,
}

/// The layer a promoted value goes to: where the target sets it now when
/// that file is the app's own in the target environment, else the app's
/// most specific file there.
fn layer_for(project: &Project, to: &EnvInfo, app: &str, segs: &[Seg]) -> Result<String, Error> {
    let chain = to.app_chain(app);
    let own_prefix = format!("{}/{}/", crate::discover::ENV_DIR, to.name);
    let mut setter = None;
    for layer in project.layers.expand_chain(&chain)? {
        if paths::get(&layer.root, segs).is_some() {
            setter = Some(layer.path.clone());
        }
    }
    Ok(match setter {
        Some(s) if s.starts_with(&own_prefix) && s.ends_with(&format!("/apps/{app}.yaml")) => s,
        _ => chain.last().cloned().unwrap_or_default(),
    })
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let root = repo_root().map_err(fail)?;
    let mut project = open_project(cli, &root, "deploy".into())?;
    let from = environment(&project, &args.from).map_err(fail)?;
    let to = environment(&project, &args.to).map_err(fail)?;
    if from.name == to.name {
        return Err(fail(Error::input(format!(
            "--from and --to are both `{}`",
            from.name
        ))));
    }
    for app in &args.apps {
        app_in(&from, app).map_err(fail)?;
        app_in(&to, app).map_err(fail)?;
    }
    let config = checks::config(&project).map_err(|e| (e, std::mem::take(&mut project.files)))?;
    let mut wanted: Vec<String> = if config.promote_paths.is_empty() {
        DEFAULT_PATHS.iter().map(|s| s.to_string()).collect()
    } else {
        config.promote_paths.clone()
    };
    for p in &args.paths {
        if !wanted.contains(p) {
            wanted.push(p.clone());
        }
    }
    let segs: Vec<Vec<Seg>> = wanted
        .iter()
        .map(|p| document_path(p))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    if let Err(e) = project.load_layers(&[&from, &to]) {
        return Err((e, std::mem::take(&mut project.files)));
    }
    let mut changed = 0;
    let mut refused = 0;
    for app in &args.apps {
        let merged = |env: &EnvInfo| project.merged_app(env, app).map(|(doc, _, _)| doc);
        let (src, mut dst) = match (merged(&from), merged(&to)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return Err((e, std::mem::take(&mut project.files))),
        };
        for (path, s) in wanted.iter().zip(&segs) {
            let shown = paths::display_user(s);
            let Some(new) = paths::get(&src, s).cloned() else {
                // Nothing to take from the source.
                continue;
            };
            let old = paths::get(&dst, s).cloned();
            if old.as_ref().is_some_and(|o| same_values(o, &new)) {
                continue;
            }
            let layer = match &args.layer {
                Some(l) => l.clone(),
                None => layer_for(&project, &to, app, s)
                    .map_err(|e| (e, std::mem::take(&mut project.files)))?,
            };
            let target = Target {
                env: &to,
                app,
                layer: Some(&layer),
            };
            let outcome = set_one(&project, &root, &target, s, &new, !args.dry_run)
                .map_err(|e| (e, std::mem::take(&mut project.files)))?;
            match outcome {
                Outcome::Set { file, line } => {
                    let verb = if args.dry_run { "would set " } else { "" };
                    println!(
                        "{app} {verb}{shown}: {} -> {} ({file}:{line})",
                        show(old.as_ref(), s),
                        show(Some(&new), s)
                    );
                    changed += 1;
                    crate::edit::set_in(&mut dst, s, new);
                }
                Outcome::Overridden { file, line } => {
                    eprintln!(
                        "nexus: {app} {shown} not promoted: {file}:{line} sets it later in the chain of `{app}` in `{}`, so it would win",
                        to.name
                    );
                    eprintln!(
                        "  = help: promote into that layer with `--layer {file}`, or remove the override there (path {path})"
                    );
                    refused += 1;
                }
            }
        }
        // Layers changed on disk: read them again for the next app.
        if changed > 0 && !args.dry_run {
            project
                .reload_layers(&[&from, &to])
                .map_err(|e| (e, std::mem::take(&mut project.files)))?;
        }
    }
    if changed == 0 && refused == 0 {
        println!(
            "{} already match{} between {} and {}",
            args.apps.join(", "),
            if args.apps.len() == 1 { "es" } else { "" },
            from.name,
            to.name
        );
    }
    if refused > 0 {
        return Ok(1);
    }
    if args.render && changed > 0 && !args.dry_run {
        return super::render_after_edit(cli, &to.name);
    }
    Ok(0)
}
