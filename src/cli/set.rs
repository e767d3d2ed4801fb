//! `nexus set ENV APP PATH VALUE [--layer FILE] [--string] [--render]`:
//! write one value into one layer with a minimal text edit (see
//! [`crate::edit`]), unless a later layer of the app's chain overrides it.

use std::path::Path;

use super::{Cli, Failure, fail, open_project, repo_root};
use crate::discover::EnvInfo;
use crate::edit::{self, Refused};
use crate::error::{Error, did_you_mean};
use crate::paths::{self, Seg};
use crate::project::Project;
use crate::secrets::{MASK, is_secret_key};
use crate::yaml::emit;
use crate::yaml::load::{self, Limits};
use crate::yaml::node::{FileId, Node, Pos, Value};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The environment (`prod/kr`).
    pub env: String,
    /// The app.
    pub app: String,
    /// The path, `values.image.tag` (`values.annotations["a.b/c"]`, `values.env[0].value`).
    pub path: String,
    /// The value, read as YAML (`3`, `true`, `{a: 1}`); see --string.
    pub value: String,
    /// The layer to write (a file of the app's chain); default: the app's
    /// own file in the environment, `environments/<env>/apps/<app>.yaml`.
    #[arg(long, value_name = "FILE")]
    pub layer: Option<String>,
    /// Take VALUE as text, not YAML (`1.10` stays "1.10").
    #[arg(long)]
    pub string: bool,
    /// Render the environment after the edit.
    #[arg(long)]
    pub render: bool,
}

/// What one set did.
pub enum Outcome {
    /// Written (or, in a dry run, would be) at `file:line`.
    Set { file: String, line: u32 },
    /// A later layer overrides the path: nothing written.
    Overridden { file: String, line: u32 },
}

/// The environment named on the command line (not a group), with a hint.
pub fn environment(project: &Project, name: &str) -> Result<EnvInfo, Error> {
    if let Some(env) = project.discovery.env(name.trim_end_matches('/')) {
        return Ok(env.clone());
    }
    Err(match project.discovery.select(&[name.to_string()], false) {
        Ok(envs) => {
            Error::input(format!("`{name}` is a group, not an environment")).with_hint(format!(
                "name one of: {}",
                envs.iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
        Err(e) => e,
    })
}

/// The app must exist in the environment.
pub fn app_in(env: &EnvInfo, app: &str) -> Result<(), Error> {
    if env.apps.iter().any(|a| a == app) {
        return Ok(());
    }
    let e = Error::input(format!(
        "app `{app}` does not exist in environment `{}`",
        env.name
    ));
    Err(
        match did_you_mean(app, env.apps.iter().map(String::as_str)) {
            Some(s) => e.with_hint(format!("did you mean `{s}`?")),
            None => e.with_hint(format!("apps in {}: {}", env.name, env.apps.join(", "))),
        },
    )
}

/// A user path as a document path, or exit 2 with how to write one.
pub fn document_path(p: &str) -> Result<Vec<Seg>, Error> {
    paths::in_document(p).map_err(|e| {
        Error::input(format!("bad path: {e}")).with_hint(
            "write a dotted path like `values.image.tag`; a key with dots or slashes in brackets and quotes: `values.annotations[\"a.b/c\"]`; a list index as `[0]`",
        )
    })
}

/// A value for printing: one line, masked under a secret key.
pub fn show(node: Option<&Node>, segs: &[Seg]) -> String {
    let secret = segs
        .iter()
        .any(|s| matches!(s, Seg::Key(k) if is_secret_key(k)));
    match node {
        None => "(not set)".to_string(),
        Some(_) if secret => MASK.to_string(),
        Some(n) => emit::flow(n),
    }
}

/// The layer files of an app's chain in merge order, includes expanded;
/// `None` for a chain file that does not exist.
fn chain_order(
    project: &Project,
    env: &EnvInfo,
    app: &str,
) -> Result<Vec<(String, Option<Node>)>, Error> {
    let mut out = Vec::new();
    for rel in env.app_chain(app) {
        let expanded = project.layers.expand(&rel)?;
        if expanded.is_empty() {
            out.push((rel, None));
        }
        for l in expanded {
            out.push((l.path.clone(), Some(l.root.clone())));
        }
    }
    Ok(out)
}

/// Where a value goes: an app in an environment, and the layer (default:
/// the app's most specific file).
pub struct Target<'a> {
    pub env: &'a EnvInfo,
    pub app: &'a str,
    pub layer: Option<&'a str>,
}

/// Set `segs` to `value` at `target`. With `write` false nothing is written
/// (a dry run).
pub fn set_one(
    project: &Project,
    root: &Path,
    target: &Target,
    segs: &[Seg],
    value: &Node,
    write: bool,
) -> Result<Outcome, Error> {
    let (env, app, layer) = (target.env, target.app, target.layer);
    let order = chain_order(project, env, app)?;
    let default = env.app_chain(app).last().cloned().unwrap_or_default();
    let file = match layer {
        Some(l) => {
            let l = l.trim_start_matches("./").to_string();
            if !order.iter().any(|(rel, _)| *rel == l) {
                let files: Vec<&str> = order.iter().map(|(r, _)| r.as_str()).collect();
                return Err(Error::input(format!(
                    "`{l}` is not a layer of `{app}` in `{}`",
                    env.name
                ))
                .with_hint(format!("its layers, first to last: {}", files.join(", "))));
            }
            l
        }
        None => default,
    };
    // Layers merged after the file win over it.
    let at = order.iter().rposition(|(rel, _)| *rel == file).unwrap_or(0);
    for (rel, root_node) in &order[at + 1..] {
        if let Some(pos) = root_node
            .as_ref()
            .and_then(|n| edit::overridden_at(n, segs))
        {
            return Ok(Outcome::Overridden {
                file: rel.clone(),
                line: pos.line,
            });
        }
    }
    let path = root.join(&file);
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| Error::input(format!("{file} is not UTF-8 text")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::input(format!("cannot read {file}: {e}"))),
    };
    let edited = edit::set(&text, &file, segs, value).map_err(|r| {
        let e = Error::input(r.message().to_string()).in_file(file.as_str());
        match r {
            Refused::Shared(_) => e.with_hint(
                "nothing was written; edit the file by hand, or set the value in another layer with --layer",
            ),
            _ => e,
        }
    })?;
    if write {
        let real_root = std::fs::canonicalize(root)
            .map_err(|e| Error::input(format!("cannot open the repository: {e}")))?;
        crate::write::confined(&real_root, path.parent().unwrap_or(root))?;
        crate::write::write_atomic(&path, edited.text.as_bytes())
            .map_err(|e| Error::input(format!("cannot write {file}: {e}")))?;
    }
    Ok(Outcome::Set {
        file,
        line: edited.line,
    })
}

/// VALUE from the command line: YAML, or text with `--string`.
pub fn parse_value(text: &str, as_string: bool) -> Result<Node, Error> {
    if as_string {
        return Ok(Node::str(text, Pos::GENERATED));
    }
    match load::parse_one(text, FileId::UNLISTED, &Limits::default()) {
        Ok(Some(n)) => Ok(n),
        Ok(None) => Ok(Node::null(Pos::GENERATED)),
        Err(e) => Err(
            Error::input(format!("VALUE is not valid YAML: {}", e.message))
                .with_hint("quote it for YAML, or pass --string to take it as text"),
        ),
    }
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let root = repo_root().map_err(fail)?;
    let mut project = open_project(cli, &root, "deploy".into())?;
    let env = environment(&project, &args.env).map_err(fail)?;
    app_in(&env, &args.app).map_err(fail)?;
    let segs = document_path(&args.path).map_err(fail)?;
    let value = parse_value(&args.value, args.string).map_err(fail)?;
    if let Err(e) = project.load_layers(&[&env]) {
        return Err((e, std::mem::take(&mut project.files)));
    }
    let before = match project.merged_app(&env, &args.app) {
        Ok((doc, _, _)) => paths::get(&doc, &segs).cloned(),
        Err(e) => return Err((e, std::mem::take(&mut project.files))),
    };
    if !args.string
        && !matches!(value.value, Value::Str(_) | Value::Map(_) | Value::Seq(_))
        && before
            .as_ref()
            .is_some_and(|b| matches!(b.value, Value::Str(_)))
    {
        eprintln!(
            "note: `{}` is read as YAML ({}), replacing a string; pass --string to keep it text",
            args.value,
            value.type_name()
        );
    }
    let shown = paths::display_user(&segs);
    let target = Target {
        env: &env,
        app: &args.app,
        layer: args.layer.as_deref(),
    };
    match set_one(&project, &root, &target, &segs, &value, true)
        .map_err(|e| (e, std::mem::take(&mut project.files)))?
    {
        Outcome::Set { file, line } => {
            println!(
                "{shown}: {} -> {} ({file}:{line})",
                show(before.as_ref(), &segs),
                show(Some(&value), &segs)
            );
        }
        Outcome::Overridden { file, line } => {
            eprintln!(
                "nexus: nothing was written: {file}:{line} sets `{shown}` later in the chain of `{}` in `{}`, so it would win",
                args.app, env.name
            );
            eprintln!(
                "  = help: set it there: `nexus set {} {} {} ... --layer {file}`",
                env.name, args.app, args.path
            );
            return Ok(1);
        }
    }
    if args.render {
        return super::render_after_edit(cli, &env.name);
    }
    Ok(0)
}
