//! `nexus import`: an existing repository of ArgoCD Applications, AppProjects
//! and per-environment values files, as layers, proven by a round trip.
//!
//! 1. [`read`]: find the Applications and AppProjects in the files given,
//!    and tell which environment and app each Application is.
//! 2. [`convert`]: each Application as the layer document of its app in its
//!    environment, its values stacked as Helm stacks them.
//! 3. [`layers`]: those documents as DRY layers.
//! 4. [`verify`]: render the layers in memory and compare with the
//!    originals, field by field and value by value.

pub mod convert;
pub mod layers;
pub mod read;
pub mod verify;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::edit;
use crate::error::{Error, Severity};
use crate::paths;
use crate::project::{Options as ProjectOptions, Project};
use crate::render::map_node;
use crate::source::{Files, FsSource, MemSource, OverlaySource};
use crate::yaml::emit;
use crate::yaml::load::Limits;
use crate::yaml::node::{Entry, Node, Pos, Value};
use convert::{Converted, ThisRepo, sources};
use read::{EnvFrom, Object};

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Files or directories, repository-relative.
    pub paths: Vec<String>,
    pub env_from: Option<EnvFrom>,
    /// A `--map` file, repository-relative.
    pub map: Option<String>,
    pub max_file_size: u64,
}

/// What an import found, wrote and proved.
#[derive(Debug, Default)]
pub struct Imported {
    /// Layer files: repository-relative path -> text.
    pub files: BTreeMap<String, String>,
    /// How environments were told apart.
    pub rule: Option<EnvFrom>,
    /// `(file:line, why)` of what was not imported.
    pub skipped: Vec<(String, String)>,
    /// Applications read (app-of-apps included).
    pub applications: usize,
    /// Applications imported and reproduced.
    pub reproduced: usize,
    /// Applications imported (reproduced or not).
    pub imported: usize,
    pub differences: Vec<verify::Difference>,
    /// Errors rendering the layers, if any.
    pub render_errors: Vec<crate::error::Diagnostic>,
    /// Lines of the original files (Applications, AppProjects, folded
    /// value files) and of the layers.
    pub old_lines: usize,
    pub new_lines: usize,
    pub files_table: Files,
    /// What the user should know and do after the import.
    pub notes: Vec<String>,
    /// Repository-relative files the import read from (Applications,
    /// AppProjects, folded value files).
    pub inputs: BTreeSet<String>,
}

/// This repository as the Applications name it: the repository of `ref`
/// sources and of sources whose path exists here, the most common one; its
/// most common revision.
fn this_repo(root: &Path, apps: &[Object]) -> ThisRepo {
    let mut urls: BTreeMap<String, usize> = BTreeMap::new();
    let mut revisions: BTreeMap<String, usize> = BTreeMap::new();
    for a in apps {
        for src in sources(&a.node) {
            let Some(url) = src.get("repoURL").and_then(Node::as_str) else {
                continue;
            };
            let local = src.get("ref").is_some()
                || src
                    .get("path")
                    .and_then(Node::as_str)
                    .is_some_and(|p| src.get("chart").is_none() && root.join(p).exists());
            if local {
                *urls.entry(url.to_string()).or_default() += 1;
                let rev = src
                    .get("targetRevision")
                    .and_then(Node::as_str)
                    .unwrap_or("HEAD");
                *revisions.entry(rev.to_string()).or_default() += 1;
            }
        }
    }
    let most =
        |m: &BTreeMap<String, usize>| m.iter().max_by_key(|(_, n)| **n).map(|(k, _)| k.clone());
    let url = most(&urls)
        .or_else(|| git_origin(root))
        .unwrap_or_else(|| PLACEHOLDER_REPO.to_string());
    ThisRepo {
        url,
        revision: most(&revisions).unwrap_or_else(|| "HEAD".to_string()),
    }
}

/// This repository's URL when no Application names it and git has no
/// `origin`.
const PLACEHOLDER_REPO: &str = "https://git.example.invalid/set-argocd-repoURL.git";

/// `git remote get-url origin`, read from `.git/config`.
fn git_origin(root: &Path) -> Option<String> {
    let config = std::fs::read_to_string(root.join(".git/config")).ok()?;
    let mut in_origin = false;
    for line in config.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_origin = l == "[remote \"origin\"]";
        } else if in_origin
            && let Some(url) = l
                .strip_prefix("url")
                .map(|r| r.trim_start_matches([' ', '=']).trim())
        {
            return Some(url.to_string());
        }
    }
    None
}

/// A string nexus would render as a template, wrapped so it stays as
/// written: values full of Helm and Prometheus text are left alone by the
/// classifier; only text nexus would take as its own is wrapped.
fn keep_verbatim(node: &mut Node, env: &minijinja::Environment<'_>) {
    match &mut node.value {
        Value::Str(s) if crate::template::has_template(s) => {
            let class = crate::template::classify::classify(env, s);
            if !matches!(class, crate::template::classify::Class::Foreign(_)) {
                *s = format!("{{% raw %}}{s}{{% endraw %}}");
            }
        }
        Value::Map(m) => m.values_mut().for_each(|e| keep_verbatim(&mut e.node, env)),
        Value::Seq(items) => items.iter_mut().for_each(|n| keep_verbatim(n, env)),
        _ => {}
    }
}

/// An AppProject as `projects.<name>`: its spec, and the metadata nexus
/// writes back.
fn project_layer(p: &Object) -> Node {
    let mut spec = p
        .node
        .get("spec")
        .cloned()
        .unwrap_or_else(|| Node::map(Pos::GENERATED));
    let mut meta = Vec::new();
    for key in ["labels", "annotations", "finalizers"] {
        if let Some(v) = p.node.get_path(&format!("metadata.{key}")) {
            meta.push((key.to_string(), v.clone()));
        }
    }
    if !meta.is_empty()
        && let Some(m) = spec.as_map_mut()
    {
        m.insert(
            "metadata".into(),
            Entry::new(Pos::GENERATED, map_node(meta)),
        );
    }
    spec
}

/// The root app-of-apps settings of an environment.
fn root_layer(r: &Object) -> Node {
    let prune = r
        .node
        .get_path("spec.syncPolicy.automated.prune")
        .and_then(Node::as_bool)
        == Some(true);
    let mut pairs = vec![("name".to_string(), Node::str(r.name(), Pos::GENERATED))];
    if let Some(p) = r.node.get_path("spec.project") {
        pairs.push(("project".into(), p.clone()));
    }
    for (key, path) in [
        ("labels", "metadata.labels"),
        ("annotations", "metadata.annotations"),
        ("syncPolicy", "spec.syncPolicy"),
    ] {
        if let Some(v) = r.node.get_path(path) {
            pairs.push((key.into(), v.clone()));
        }
    }
    // Finalizers where they are not nexus's default for the root.
    let finalizers: Vec<&str> = r
        .node
        .get_path("metadata.finalizers")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    let default: Vec<&str> = if prune {
        vec![crate::model::FINALIZER]
    } else {
        Vec::new()
    };
    if finalizers != default {
        pairs.push((
            "finalizers".into(),
            Node::new(
                Value::Seq(
                    finalizers
                        .iter()
                        .map(|f| Node::str(*f, Pos::GENERATED))
                        .collect(),
                ),
                Pos::GENERATED,
            ),
        ));
    }
    map_node(vec![(
        "argocd".into(),
        map_node(vec![("root".into(), map_node(pairs))]),
    )])
}

/// Run an import (nothing is written here).
pub fn import(root: &Path, opts: &Options) -> Result<Imported, Error> {
    let files = Files::new();
    let mut found = read::read(root, &opts.paths, &files, opts.max_file_size)?;
    // Fields ArgoCD does not have never reach the cluster: dropped, and
    // said.
    let mut dropped_notes = Vec::new();
    for a in &mut found.applications {
        for path in convert::prune_sync_policy(&mut a.node) {
            dropped_notes.push(format!(
                "{}: `{path}` is not an ArgoCD field (the Application CRD drops it); not imported",
                a.at()
            ));
        }
    }
    let mut out = Imported {
        applications: found.applications.len(),
        skipped: found.skipped.clone(),
        files_table: files.share(),
        ..Imported::default()
    };
    if found.applications.is_empty() {
        let skipped: String = found
            .skipped
            .iter()
            .map(|(at, why)| format!("; skipped {at}: {why}"))
            .collect();
        return Err(Error::input(format!(
            "no ArgoCD Application in {}{skipped}",
            if opts.paths.is_empty() {
                ".".to_string()
            } else {
                opts.paths.join(", ")
            }
        ))
        .with_hint("name the files or directories that hold your Application manifests"));
    }
    out.notes.extend(dropped_notes);
    let this = this_repo(root, &found.applications);
    if this.url == PLACEHOLDER_REPO {
        out.notes.push(format!(
            "no Application names this repository and git has no `origin`: set `argocd.repoURL` in environments/base.yaml (now {PLACEHOLDER_REPO}) before committing what nexus renders"
        ));
    }
    let named = match &opts.map {
        Some(m) => read::read_map(root, m)?,
        None => BTreeMap::new(),
    };
    // App-of-apps: an Application whose source is a directory of the others.
    let app_files: Vec<&str> = found.applications.iter().map(|a| a.file.as_str()).collect();
    let project_files: Vec<&str> = found.projects.iter().map(|p| p.file.as_str()).collect();
    let (roots, apps): (Vec<&Object>, Vec<&Object>) = found.applications.iter().partition(|a| {
        let others: Vec<&str> = app_files.iter().copied().filter(|f| *f != a.file).collect();
        !named.contains_key(a.name()) && convert::is_root(a, &others, &project_files, &this)
    });
    let root_dirs: Vec<String> = opts
        .paths
        .iter()
        .map(|p| {
            let p = p.trim_end_matches('/').trim_start_matches("./");
            if root.join(p).is_file() {
                crate::source::parent_rel(p).to_string()
            } else if p == "." {
                String::new()
            } else {
                p.to_string()
            }
        })
        .collect();
    let (placed, rule) = read::place(&apps, opts.env_from, &named, &root_dirs);
    out.rule = rule;
    let mut converted: Vec<Converted> = Vec::new();
    let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
    for (a, p) in apps.iter().zip(placed) {
        let Some(p) = p else {
            out.skipped.push((
                a.at(),
                format!(
                    "Application `{}`: its environment cannot be told{}; name it with --map or --env-from",
                    a.name(),
                    rule.map_or(String::new(), |r| format!(" from {}", r.describe()))
                ),
            ));
            continue;
        };
        if let Some(first) = seen.get(&(p.env.clone(), p.app.clone())) {
            out.skipped.push((
                a.at(),
                format!(
                    "Application `{}` is app `{}` in `{}` again (first: {first}); name them apart with --map",
                    a.name(),
                    p.app,
                    p.env
                ),
            ));
            continue;
        }
        seen.insert((p.env.clone(), p.app.clone()), a.at());
        match convert::convert(a, p, &this, root, &files) {
            Ok(c) => converted.push(c),
            Err(why) => out
                .skipped
                .push((a.at(), format!("Application `{}` {why}", a.name()))),
        }
    }
    out.imported = converted.len();
    if converted.is_empty() {
        return Ok(out);
    }
    // Strings nexus would render as templates stay as written.
    let templater = crate::template::Templater::new();
    for c in &mut converted {
        keep_verbatim(&mut c.doc, templater.env());
    }
    // Application names: nexus's default is left out, the app's name (when
    // every Application is named so) is `{{ app.name }}`, anything else is
    // kept as written.
    let all_app = converted
        .iter()
        .all(|c| c.original.name() == c.placement.app);
    for c in &mut converted {
        let default = format!(
            "{}-{}",
            c.placement.app,
            crate::render::slug(&c.placement.env)
        );
        let is_default = c.original.name() == default;
        if let Some(m) = c
            .doc
            .as_map_mut()
            .and_then(|m| m.get_mut("argocd"))
            .and_then(|e| e.node.as_map_mut())
        {
            if is_default {
                m.shift_remove("applicationName");
            } else if all_app && let Some(e) = m.get_mut("applicationName") {
                e.node = Node::str("{{ app.name }}", Pos::GENERATED);
            }
        }
    }
    // This repository, and AppProjects, for every environment.
    let mut base_extra = vec![(
        "argocd".to_string(),
        map_node(vec![
            ("repoURL".into(), Node::str(&this.url, Pos::GENERATED)),
            (
                "targetRevision".into(),
                Node::str(&this.revision, Pos::GENERATED),
            ),
        ]),
    )];
    // Each app-of-apps is the root of the environment of its Applications;
    // the AppProjects in its other directories are that environment's.
    let mut env_extra: BTreeMap<String, Node> = BTreeMap::new();
    let mut root_of: Vec<(String, Object)> = Vec::new();
    let mut project_env: BTreeMap<String, String> = BTreeMap::new();
    for r in &roots {
        let dirs: Vec<(String, bool)> = sources(&r.node)
            .iter()
            .filter_map(|s| {
                let p = s
                    .get("path")
                    .and_then(Node::as_str)?
                    .trim_matches('/')
                    .to_string();
                let recurse = s.get_path("directory.recurse").and_then(Node::as_bool) == Some(true);
                Some((p, recurse))
            })
            .collect();
        let held = |file: &str| {
            dirs.iter().any(|(d, recurse)| {
                crate::source::parent_rel(file) == d
                    || (*recurse && file.starts_with(&format!("{d}/")))
            })
        };
        let envs: BTreeSet<&str> = converted
            .iter()
            .filter(|c| held(&c.original.file))
            .map(|c| c.placement.env.as_str())
            .collect();
        match envs.iter().next() {
            Some(env) if envs.len() == 1 => {
                env_extra.insert((*env).to_string(), root_layer(r));
                root_of.push(((*env).to_string(), (*r).clone()));
                for p in found.projects.iter().filter(|p| held(&p.file)) {
                    project_env.insert(p.at(), (*env).to_string());
                }
            }
            _ => out.skipped.push((
                r.at(),
                format!(
                    "app-of-apps `{}` covers {} environments; nexus writes one root per environment",
                    r.name(),
                    envs.len()
                ),
            )),
        }
    }
    // AppProjects: one definition for every environment goes to base.yaml;
    // definitions that differ by environment go to each environment's
    // env.yaml when each is the environment's (its root reads it).
    let mut by_name: BTreeMap<&str, Vec<&Object>> = BTreeMap::new();
    for p in &found.projects {
        by_name.entry(p.name()).or_default().push(p);
    }
    let mut projects: Vec<(String, Node)> = Vec::new();
    for (name, defs) in &by_name {
        let layers: Vec<Node> = defs.iter().map(|p| project_layer(p)).collect();
        let one = layers.iter().all(|l| emit::same_values(l, &layers[0]));
        let envs: Vec<Option<&String>> = defs.iter().map(|p| project_env.get(&p.at())).collect();
        let distinct: BTreeSet<&String> = envs.iter().flatten().copied().collect();
        if one {
            projects.push(((*name).to_string(), layers[0].clone()));
        } else if envs.iter().all(Option::is_some) && distinct.len() == defs.len() {
            for (env, layer) in envs.iter().flatten().zip(layers) {
                let extra = env_extra
                    .entry((*env).clone())
                    .or_insert_with(|| Node::map(Pos::GENERATED));
                edit::set_in(
                    extra,
                    &[
                        paths::Seg::Key("projects".into()),
                        paths::Seg::Key((*name).to_string()),
                    ],
                    layer,
                );
            }
        } else {
            projects.push(((*name).to_string(), layers[0].clone()));
            for p in &defs[1..] {
                out.skipped.push((
                    p.at(),
                    format!(
                        "AppProject `{name}` differs from the one at {}, and no app-of-apps tells whose each is; the first is kept",
                        defs[0].at()
                    ),
                ));
            }
        }
    }
    if !projects.is_empty() {
        base_extra.push(("projects".to_string(), map_node(projects)));
    }
    let layout = layers::layout(&converted, map_node(base_extra), &env_extra);
    for (path, doc) in &layout.files {
        out.files.insert(path.clone(), layers::text(path, doc));
    }
    // Sizes.
    let mut counted = BTreeSet::new();
    for c in &converted {
        if counted.insert(c.original.file.clone()) {
            out.old_lines += found.lines.get(&c.original.file).copied().unwrap_or(0);
        }
        for f in &c.value_files {
            if counted.insert(f.clone()) {
                out.old_lines +=
                    std::fs::read_to_string(root.join(f)).map_or(0, |t| t.lines().count());
            }
        }
    }
    for p in &found.projects {
        if counted.insert(p.file.clone()) {
            out.old_lines += found.lines.get(&p.file).copied().unwrap_or(0);
        }
    }
    out.new_lines = out.files.values().map(|t| t.lines().count()).sum();
    out.inputs = counted;
    // The round trip.
    let mut mem = MemSource::new();
    for (path, text) in &out.files {
        mem.insert(path, text.as_bytes().to_vec());
    }
    let base = FsSource::new(root, opts.max_file_size)?;
    let source = OverlaySource::new(Box::new(base), mem, crate::discover::ENV_DIR);
    let mut project = Project::open(
        Box::new(source),
        ProjectOptions {
            out_prefix: "deploy".into(),
            limits: Limits::default(),
        },
    )?;
    let envs: Vec<crate::discover::EnvInfo> = project.discovery.envs.to_vec();
    let refs: Vec<&crate::discover::EnvInfo> = envs.iter().collect();
    let rendered = project
        .load_layers(&refs)
        .and_then(|()| project.render_all(&refs));
    out.files_table = project.files.share();
    match rendered {
        Ok(renders) => {
            out.render_errors = renders
                .iter()
                .flat_map(|r| r.findings.iter())
                .filter(|d| d.severity == Severity::Error)
                .cloned()
                .collect();
            out.differences = verify::verify(&converted, &renders, &this);
            out.differences
                .extend(verify::verify_roots(&root_of, &renders));
        }
        Err(e) => out.render_errors = e.diagnostics,
    }
    let failed: BTreeSet<&str> = out.differences.iter().map(|d| d.at.as_str()).collect();
    out.imported += root_of.len();
    out.reproduced = if out.render_errors.is_empty() {
        converted
            .iter()
            .filter(|c| !failed.contains(c.original.at().as_str()))
            .count()
            + root_of
                .iter()
                .filter(|(_, r)| !failed.contains(r.at().as_str()))
                .count()
    } else {
        0
    };
    Ok(out)
}
