//! Rendering: from typed apps to the files of `deploy/<env>/` (README:
//! What `nexus render <env>` writes).
//!
//! [`application`] builds each app's Application, [`env`] the
//! environment's AppProjects and root app-of-apps, [`templates`] holds the
//! output templates (the repository's `templates/*.j2`, else the built-in
//! ones). Values files and manifests are written straight from the merged
//! tree.

pub mod application;
pub mod env;
pub mod templates;

use std::collections::BTreeMap;

use crate::discover::EnvInfo;
use crate::error::{Diagnostic, Error};
use crate::model::{AppSpec, Output, OutputKind, header};
use crate::yaml::emit;
use crate::yaml::node::{Entry, Map, Node, Pos, Value};

pub use application::application;
pub use env::{app_project, root};
pub use templates::OutputTemplates;

/// Build a map node from pairs (positions are "generated").
pub fn map_node<I: IntoIterator<Item = (String, Node)>>(pairs: I) -> Node {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, Entry::new(Pos::GENERATED, v));
    }
    Node::new(Value::Map(m), Pos::GENERATED)
}

/// A string node nexus made.
fn s(v: &str) -> Node {
    Node::str(v, Pos::GENERATED)
}

fn string_map(pairs: &[(String, String)]) -> Node {
    map_node(pairs.iter().map(|(k, v)| (k.clone(), s(v))))
}

fn list(items: Vec<Node>) -> Node {
    Node::new(Value::Seq(items), Pos::GENERATED)
}

/// `prod/kr` -> `prod-kr`, for object names.
pub fn slug(env: &str) -> String {
    env.replace('/', "-")
}

/// The finalizers of an Application: the ones the layers set (`[]` for
/// none), else the resources finalizer when automated prune is on.
fn finalizers(explicit: Option<&Node>, prune: bool) -> Node {
    match explicit {
        Some(n) => n.clone(),
        None if prune => list(vec![s(crate::model::FINALIZER)]),
        None => list(Vec::new()),
    }
}

/// Where the files of one environment go, relative to the repository root
/// (`deploy/prod/kr`), and relative to the output root (`prod/kr`).
pub struct Paths<'a> {
    /// The output root relative to the repository: `deploy`.
    pub out_prefix: &'a str,
    pub env: &'a str,
}

impl Paths<'_> {
    /// A path of this environment's output, relative to the repository.
    pub fn in_repo(&self, rest: &str) -> String {
        if self.out_prefix.is_empty() {
            format!("{}/{rest}", self.env)
        } else {
            format!("{}/{}/{rest}", self.out_prefix, self.env)
        }
    }
}

/// The text of a file for `node`: the header, then the YAML, which must
/// read back as `node` (see [`emit::reads_back`]); a writer bug never
/// reaches a committed file.
fn write_file(env: &EnvInfo, path: &str, node: &Node) -> Result<String, Error> {
    let mut text = header(&env.name);
    emit::write(node, &mut text);
    if emit::reads_back(node, &text) {
        Ok(text)
    } else {
        Err(Error::from(
            Diagnostic::error(format!(
                "nexus would write deploy/{path} so that it reads back differently (a bug in nexus's YAML writer); nothing was written"
            ))
            .in_file(format!("deploy/{path}"))
            .with_hint("please report it with the value that triggered it; `nexus explain` shows the merged values"),
        ))
    }
}

fn finish(
    env: &EnvInfo,
    path: String,
    kind: OutputKind,
    app: Option<&str>,
    object: Node,
) -> Result<Output, Error> {
    let text = write_file(env, &path, &object)?;
    Ok(Output {
        path,
        kind,
        app: app.map(str::to_string),
        object,
        text,
    })
}

/// The values file of one app. Its `object` is left null: the values are
/// [`AppSpec::values`], and a third copy of every app's values tree was a
/// sixth of the memory of a large render.
pub fn values(app: &AppSpec, env: &EnvInfo) -> Result<Output, Error> {
    let path = format!("{}/values/{}.yaml", env.name, app.name);
    let text = write_file(env, &path, app.values())?;
    Ok(Output {
        path,
        kind: OutputKind::Values,
        app: Some(app.name.clone()),
        object: Node::null(Pos::GENERATED),
        text,
    })
}

/// One file per object of `app.manifests`, named `<kind>-<name>.yaml`.
pub fn manifests(app: &AppSpec, env: &EnvInfo) -> Result<Vec<Output>, Error> {
    let mut out: Vec<Output> = Vec::with_capacity(app.manifests.len());
    let mut problems = Vec::new();
    let mut seen: BTreeMap<String, Pos> = BTreeMap::new();
    for (i, obj) in app.manifests.iter().enumerate() {
        let kind = obj.get("kind").and_then(Node::as_str);
        let name = obj.get_path("metadata.name").and_then(Node::as_str);
        let api = obj.get("apiVersion").and_then(Node::as_str);
        let (Some(kind), Some(name), Some(_)) = (kind, name, api) else {
            problems.push(
                Diagnostic::error(format!(
                    "`app.manifests[{i}]` of app `{}` is not a Kubernetes object: it needs `apiVersion`, `kind` and `metadata.name` as strings",
                    app.name
                ))
                .at(obj.pos)
                .for_app(&env.name, Some(&app.name)),
            );
            continue;
        };
        let ns = obj.get_path("metadata.namespace").and_then(Node::as_str);
        let safe = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect()
        };
        let mut file = format!("{}-{}", safe(kind), safe(name));
        if let Some(ns) = ns
            && seen.contains_key(&file)
        {
            file = format!("{file}-{}", safe(ns));
        }
        if let Some(first) = seen.get(&file) {
            problems.push(
                Diagnostic::error(format!(
                    "app `{}` has two manifests named {kind} `{name}`",
                    app.name
                ))
                .at(obj.pos)
                .note_at("the first one", *first)
                .for_app(&env.name, Some(&app.name))
                .with_hint("give each object in app.manifests a unique kind and name"),
            );
            continue;
        }
        seen.insert(file.clone(), obj.pos);
        match finish(
            env,
            format!("{}/manifests/{}/{file}.yaml", env.name, app.name),
            OutputKind::Manifest,
            Some(&app.name),
            obj.clone(),
        ) {
            Ok(o) => out.push(o),
            Err(e) => problems.extend(e.diagnostics),
        }
    }
    if !problems.is_empty() {
        return Err(Error::many(problems));
    }
    Ok(out)
}

/// The files of a rendered environment, sorted by path: each app's
/// Application, values file and manifests, the AppProjects its apps and
/// root use, and the root Application.
pub fn env_outputs(
    r: &crate::model::EnvRender,
    paths: &Paths<'_>,
    templates: &OutputTemplates,
    files: &crate::source::Files,
) -> Result<Vec<Output>, Error> {
    let env = &r.env;
    let per_app = crate::par::try_map(&r.apps, files, |app| {
        let mut out = vec![application(app, r.waves[&app.name], env, paths, templates)?];
        // Only a chart reads a values file.
        if app.chart.is_some() {
            out.push(values(app, env)?);
        }
        out.extend(manifests(app, env)?);
        Ok(out)
    })?;
    let mut outputs: Vec<Output> = per_app.into_iter().flatten().collect();
    let argocd = &r.model.argocd;
    let used: std::collections::BTreeSet<&str> = r
        .apps
        .iter()
        .map(|a| a.argocd.project.as_str())
        .chain(std::iter::once(argocd.root.project.as_str()))
        .collect();
    let mut wrote_project = false;
    for (name, spec) in r
        .model
        .projects
        .iter()
        .filter(|(n, _)| used.contains(n.as_str()))
    {
        outputs.push(app_project(name, spec, argocd, env, templates)?);
        wrote_project = true;
    }
    outputs.push(root(argocd, wrote_project, env, paths, templates)?);
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(outputs)
}
