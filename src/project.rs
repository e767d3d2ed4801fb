//! The pipeline driver: load -> merge -> template -> model -> waves -> render.
//!
//! A [`Project`] is one repository (through a [`Source`]) with its
//! discovered environments, parsed layers (each file parsed once and shared
//! by every environment and app that uses it) and compiled templates.
//! [`Project::render_env`] runs the pipeline for one environment; apps are
//! built in parallel and results are kept in name order, so output is the
//! same whatever the thread count.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use minijinja::value::Value as JValue;
use rayon::prelude::*;

use crate::discover::{self, Discovery, EnvInfo};
use crate::error::{Diagnostic, Error};
use crate::layer::{self, Layer};
use crate::merge::Merger;
use crate::model::{self, AppSpec, ArgoSettings};
use crate::render::{self, Output, OutputTemplates, Paths};
use crate::source::{Files, Source};
use crate::template::{Templater, has_template, to_jinja};
use crate::waves;
use crate::yaml::load::Limits;
use crate::yaml::node::{Node, Pos, Value};

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The output root relative to the repository root (`deploy`).
    pub out_prefix: String,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            out_prefix: "deploy".to_string(),
            limits: Limits::default(),
        }
    }
}

/// The environment-level layers merged: what the root app and the
/// AppProjects are built from.
#[derive(Debug, Clone)]
pub struct EnvModel {
    pub doc: Node,
    pub argocd: ArgoSettings,
    /// `projects.<name>` specs, templated.
    pub projects: Vec<(String, Node)>,
}

/// Everything rendered for one environment.
#[derive(Debug, Clone)]
pub struct EnvRender {
    pub env: EnvInfo,
    pub model: EnvModel,
    /// Enabled apps, by name.
    pub apps: Vec<AppSpec>,
    pub disabled: Vec<String>,
    pub waves: BTreeMap<String, i64>,
    /// Files, sorted by path.
    pub outputs: Vec<Output>,
    /// `TEMPLATE` errors and `MERGE` warnings.
    pub findings: Vec<Diagnostic>,
}

pub struct Project {
    pub source: Box<dyn Source>,
    pub files: Files,
    pub discovery: Discovery,
    pub options: Options,
    pub templates: OutputTemplates,
    templater: Templater,
    layers: HashMap<String, Option<Arc<Layer>>>,
}

/// Most layers one chain may expand to, includes counted.
pub const MAX_EXPANDED_LAYERS: usize = 1000;

/// One layer as merged: the file and its parsed content.
pub type LayerRef = Arc<Layer>;

/// What building one app gives: the app (`None` when disabled or when its
/// templates failed) and its findings.
pub type AppBuild = Result<(Option<AppSpec>, Vec<Diagnostic>), Error>;

fn sort_diagnostics(diags: &mut [Diagnostic], files: &Files) {
    diags.sort_by_cached_key(|d| {
        let file = d
            .pos
            .map(|p| files.path(p.file))
            .or_else(|| d.file.clone())
            .unwrap_or_default();
        (file, d.pos.map(|p| (p.line, p.col)), d.message.clone())
    });
}

impl Project {
    /// Discover the repository and compile its output templates.
    pub fn open(source: Box<dyn Source>, options: Options) -> Result<Project, Error> {
        let discovery = discover::discover(source.as_ref())?;
        let files = Files::new();
        let templates = OutputTemplates::load(source.as_ref(), &files)?;
        let templater = Templater::with_files(&files);
        Ok(Project {
            source,
            files,
            discovery,
            options,
            templates,
            templater,
            layers: HashMap::new(),
        })
    }

    /// Parse every layer the given environments use (each file once, in
    /// parallel), following includes.
    pub fn load_layers(&mut self, envs: &[&EnvInfo]) -> Result<(), Error> {
        /// A layer file read and parsed (None: no file there).
        type Loaded = Result<Option<Arc<Layer>>, Error>;
        let mut wanted: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = self.layers.keys().cloned().collect();
        for env in envs {
            for f in env.env_chain() {
                if seen.insert(f.clone()) {
                    wanted.push(f);
                }
            }
            for app in &env.apps {
                for f in env.app_chain(app) {
                    if seen.insert(f.clone()) {
                        wanted.push(f);
                    }
                }
            }
        }
        while !wanted.is_empty() {
            let source = self.source.as_ref();
            let files = &self.files;
            let limits = &self.options.limits;
            let loaded: Vec<(String, Loaded)> = wanted
                .par_iter()
                .map(|rel| {
                    let loaded = layer::load(source, files, rel, limits).map(|layer| {
                        layer.map(|mut l| {
                            l.root.shrink_to_fit();
                            Arc::new(l)
                        })
                    });
                    (rel.clone(), loaded)
                })
                .collect();
            let mut problems = Vec::new();
            let mut next = Vec::new();
            for (rel, result) in loaded {
                match result {
                    Ok(layer) => {
                        if let Some(l) = &layer {
                            for (inc, _) in &l.includes {
                                if seen.insert(inc.clone()) {
                                    next.push(inc.clone());
                                }
                            }
                        }
                        self.layers.insert(rel, layer);
                    }
                    Err(e) => problems.extend(e.diagnostics),
                }
            }
            if !problems.is_empty() {
                sort_diagnostics(&mut problems, &self.files);
                return Err(Error::many(problems));
            }
            wanted = next;
        }
        Ok(())
    }

    /// Every layer parsed so far, sorted by path.
    pub fn loaded_layers(&self) -> Vec<&Arc<Layer>> {
        let mut out: Vec<&Arc<Layer>> = self.layers.values().flatten().collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// The parsed layer at `rel`, if the file exists.
    pub fn layer(&self, rel: &str) -> Option<&Arc<Layer>> {
        self.layers.get(rel).and_then(Option::as_ref)
    }

    /// `rel` with its includes expanded, in merge order (includes first).
    /// Missing files give an empty list.
    pub fn expand(&self, rel: &str) -> Result<Vec<LayerRef>, Error> {
        let mut out = Vec::new();
        let mut stack = Vec::new();
        self.expand_into(rel, None, &mut stack, &mut out)?;
        Ok(out)
    }

    fn expand_into(
        &self,
        rel: &str,
        included_at: Option<Pos>,
        stack: &mut Vec<String>,
        out: &mut Vec<LayerRef>,
    ) -> Result<(), Error> {
        if let Some(i) = stack.iter().position(|s| s == rel) {
            let mut cycle: Vec<&str> = stack[i..].iter().map(String::as_str).collect();
            cycle.push(rel);
            let mut d = Diagnostic::error(format!("include cycle: {}", cycle.join(" -> ")))
                .with_hint("remove one of these includes");
            if let Some(p) = included_at {
                d = d.at(p);
            }
            return Err(Error::from(d));
        }
        let Some(layer) = self.layer(rel) else {
            if let Some(p) = included_at {
                return Err(Error::from(
                    Diagnostic::error(format!("included file `{rel}` does not exist"))
                        .at(p)
                        .with_hint("include paths are relative to the including file"),
                ));
            }
            return Ok(());
        };
        // Includes may repeat a file (a diamond), so a few files can stand
        // for exponentially many layers: bound the expansion.
        if out.len() >= MAX_EXPANDED_LAYERS {
            let mut d = Diagnostic::error(format!(
                "includes expand to more than {MAX_EXPANDED_LAYERS} layers (at `{rel}`)"
            ))
            .in_file(rel.to_string())
            .with_hint("include each file once; repeated includes multiply");
            if let Some(p) = included_at {
                d = d.at(p);
            }
            return Err(Error::from(d));
        }
        stack.push(rel.to_string());
        for (inc, pos) in &layer.includes {
            self.expand_into(inc, Some(*pos), stack, out)?;
        }
        stack.pop();
        out.push(layer.clone());
        Ok(())
    }

    /// Merge a chain of layer files. Returns the merged document, the layers
    /// used (includes expanded) and the merge warnings.
    pub fn merge_chain(
        &self,
        chain: &[String],
    ) -> Result<(Node, Vec<LayerRef>, Vec<Diagnostic>), Error> {
        let mut used = Vec::new();
        for rel in chain {
            used.extend(self.expand(rel)?);
        }
        let mut doc = Node::map(Pos::GENERATED);
        let mut merger = Merger::new();
        for layer in &used {
            merger.merge_layer(&mut doc, &layer.root)?;
        }
        Ok((doc, used, merger.warnings))
    }

    /// Render `vars` in definition order (each may use the ones before it),
    /// then every other templated key. Returns the findings.
    pub fn template_doc(
        &self,
        doc: &mut Node,
        env: &EnvInfo,
        app: Option<&str>,
        keys: &[&str],
    ) -> Result<Vec<Diagnostic>, Error> {
        let mut issues = Vec::new();
        let env_ctx = minijinja::context! { name => env.name.as_str(), path => env.name.as_str(), leaf => env.leaf() };
        let app_ctx = app.map(|a| minijinja::context! { name => a });
        let make_ctx = |vars: JValue| match &app_ctx {
            Some(a) => {
                minijinja::context! { env => env_ctx.clone(), app => a.clone(), vars => vars }
            }
            None => minijinja::context! { env => env_ctx.clone(), vars => vars },
        };
        let Some(map) = doc.as_map_mut() else {
            return Ok(issues);
        };
        if let Some(vars) = map.get_mut("vars") {
            if let Value::Map(vm) = &mut vars.node.value {
                let mut done: Vec<(String, JValue)> = Vec::with_capacity(vm.len());
                let raw: Vec<(String, JValue)> = vm
                    .iter()
                    .map(|(k, e)| (k.clone(), to_jinja(&e.node)))
                    .collect();
                let any_template = vm.values().any(|e| node_has_template(&e.node));
                let mut failed: Vec<String> = Vec::new();
                for (i, (k, e)) in vm.iter_mut().enumerate() {
                    if any_template && node_has_template(&e.node) {
                        let ctx_vars = JValue::from_iter(
                            done.iter().cloned().chain(raw[i + 1..].iter().cloned()),
                        );
                        let mut path = format!("vars.{k}");
                        let mut var_issues = Vec::new();
                        self.templater.render_tree(
                            &mut e.node,
                            &make_ctx(ctx_vars),
                            &mut path,
                            &mut var_issues,
                        )?;
                        if !var_issues.is_empty() {
                            // At environment level there is no `app`: a var
                            // that needs it is left out here and reported
                            // where each app renders it.
                            if app.is_some() {
                                issues.extend(var_issues);
                            } else {
                                failed.push(k.clone());
                                continue;
                            }
                        }
                    }
                    done.push((k.clone(), to_jinja(&e.node)));
                }
                for k in failed {
                    vm.shift_remove(&k);
                }
            }
        }
        let vars = map
            .get("vars")
            .map(|e| to_jinja(&e.node))
            .unwrap_or_else(|| JValue::from_iter(Vec::<(String, JValue)>::new()));
        let ctx = make_ctx(vars);
        for key in keys {
            if let Some(e) = map.get_mut(key) {
                let mut path = key.to_string();
                self.templater
                    .render_tree(&mut e.node, &ctx, &mut path, &mut issues)?;
            }
        }
        Ok(issues)
    }

    /// The environment-level model (root app settings and AppProjects).
    pub fn env_model(&self, env: &EnvInfo) -> Result<(EnvModel, Vec<Diagnostic>), Error> {
        let chain = env.env_chain();
        let (mut doc, _, mut findings) = self.merge_chain(&chain)?;
        findings.extend(self.template_doc(&mut doc, env, None, &["argocd", "projects"])?);
        let own = chain
            .iter()
            .rev()
            .find(|f| self.layer(f).is_some())
            .cloned()
            .unwrap_or_else(|| chain[0].clone());
        let mut errs = Vec::new();
        let argocd = model::argo_settings(&doc, &own, &mut errs);
        if !errs.is_empty() {
            return Err(Error::many(errs));
        }
        let mut projects = Vec::new();
        if let Some(p) = doc.get("projects") {
            match &p.value {
                Value::Map(m) => {
                    for (name, e) in m.iter() {
                        if !e.node.is_null() {
                            if e.node.as_map().is_none() {
                                return Err(Error::from(
                                    Diagnostic::error(format!("`projects.{name}` must be an AppProject spec (a map), got {}", e.node.type_name()))
                                        .at(e.node.pos),
                                ));
                            }
                            projects.push((name.clone(), e.node.clone()));
                        }
                    }
                }
                Value::Null => {}
                _ => {
                    return Err(Error::from(
                        Diagnostic::error(format!(
                            "`projects` must be a map, got {}",
                            p.type_name()
                        ))
                        .at(p.pos),
                    ));
                }
            }
        }
        Ok((
            EnvModel {
                doc,
                argocd,
                projects,
            },
            findings,
        ))
    }

    /// The most specific existing app file of `app` in `env`.
    pub fn own_file(&self, env: &EnvInfo, app: &str) -> String {
        env.levels
            .iter()
            .rev()
            .map(|l| discover::app_file(l, app))
            .find(|f| self.layer(f).is_some())
            .unwrap_or_else(|| discover::app_file("", app))
    }

    /// Merge and template one app. `Ok(None)` when it is disabled.
    pub fn build_app(
        &self,
        env: &EnvInfo,
        app: &str,
    ) -> Result<(Option<AppSpec>, Vec<Diagnostic>), Error> {
        let (mut doc, used, mut findings) = self.merge_chain(&env.app_chain(app))?;
        let own = self.own_file(env, app);
        // `enabled` may itself be templated: render it first.
        if let Some(n) = doc.get_path("app.enabled")
            && n.as_str().is_some_and(has_template)
        {
            let mut probe = doc.clone();
            let issues = self.template_doc(&mut probe, env, Some(app), &["app"])?;
            if issues.is_empty() && !model::enabled(&probe, &own)? {
                return Ok((None, findings));
            }
        } else if !model::enabled(&doc, &own)? {
            return Ok((None, findings));
        }
        let issues = self.template_doc(&mut doc, env, Some(app), &["argocd", "app"])?;
        let failed = !issues.is_empty();
        findings.extend(issues);
        if failed {
            for f in &mut findings {
                f.env = Some(env.name.clone());
                f.app = Some(app.to_string());
            }
            return Ok((None, findings));
        }
        if !model::enabled(&doc, &own)? {
            return Ok((None, findings));
        }
        // The app-level `projects` are ignored: AppProjects come from the
        // environment's own layers.
        if let Some(m) = doc.as_map_mut() {
            m.shift_remove("projects");
        }
        let layers = used.iter().map(|l| l.path.clone()).collect();
        // The document is kept until the end of the run (lint, explain).
        doc.shrink_to_fit();
        let spec = model::app_spec(app, doc, &own, layers).map_err(|mut e| {
            for d in &mut e.diagnostics {
                d.env = Some(env.name.clone());
                d.app = Some(app.to_string());
            }
            e
        })?;
        for f in &mut findings {
            f.env = Some(env.name.clone());
            f.app = Some(app.to_string());
        }
        Ok((Some(spec), findings))
    }

    /// Run the whole pipeline for one environment, in memory.
    pub fn render_env(&self, env: &EnvInfo) -> Result<EnvRender, Error> {
        let (model, mut findings) = self.env_model(env)?;
        for f in &mut findings {
            f.env = Some(env.name.clone());
        }
        let built: Vec<(String, AppBuild)> = env
            .apps
            .par_iter()
            .map(|a| (a.clone(), self.build_app(env, a)))
            .collect();
        let mut apps = Vec::new();
        let mut disabled = Vec::new();
        let mut problems = Vec::new();
        let mut template_failed = false;
        for (name, result) in built {
            match result {
                Ok((Some(spec), f)) => {
                    apps.push(spec);
                    findings.extend(f);
                }
                Ok((None, f)) => {
                    if f.iter().any(|d| d.rule.as_deref() == Some("TEMPLATE")) {
                        template_failed = true;
                    } else {
                        disabled.push(name);
                    }
                    findings.extend(f);
                }
                Err(e) => problems.extend(e.diagnostics),
            }
        }
        if !problems.is_empty() {
            sort_diagnostics(&mut problems, &self.files);
            return Err(Error::many(problems));
        }
        let empty = EnvRender {
            env: env.clone(),
            model: model.clone(),
            apps: Vec::new(),
            disabled: disabled.clone(),
            waves: BTreeMap::new(),
            outputs: Vec::new(),
            findings: Vec::new(),
        };
        if template_failed
            || findings
                .iter()
                .any(|d| d.rule.as_deref() == Some("TEMPLATE"))
        {
            return Ok(EnvRender { findings, ..empty });
        }
        if let Some(a) = apps.iter().find(|a| a.name == "root") {
            return Err(Error::from(
                Diagnostic::error(format!(
                    "the app name `root` is reserved in `{}` for the app-of-apps Application",
                    env.name
                ))
                .in_file(a.own_file.clone())
                .with_hint("rename the app file"),
            ));
        }
        let waves = waves::compute(&env.name, &apps, &disabled)?;
        let paths = Paths {
            out_prefix: &self.options.out_prefix,
            env: &env.name,
        };
        let rendered: Vec<Result<Vec<Output>, Error>> = apps
            .par_iter()
            .map(|app| {
                let mut out = vec![
                    render::application(app, waves[&app.name], env, &paths, &self.templates)?,
                    render::values(app, env),
                ];
                out.extend(render::manifests(app, env)?);
                Ok(out)
            })
            .collect();
        let mut outputs = Vec::new();
        for r in rendered {
            match r {
                Ok(o) => outputs.extend(o),
                Err(e) => problems.extend(e.diagnostics),
            }
        }
        if !problems.is_empty() {
            sort_diagnostics(&mut problems, &self.files);
            return Err(Error::many(problems));
        }
        let used_projects: std::collections::BTreeSet<&str> = apps
            .iter()
            .map(|a| a.argocd.project.as_str())
            .chain(std::iter::once(model.argocd.root_project.as_str()))
            .collect();
        let mut wrote_project = false;
        for (name, spec) in &model.projects {
            if used_projects.contains(name.as_str()) {
                outputs.push(render::app_project(
                    name,
                    spec,
                    &model.argocd,
                    env,
                    &self.templates,
                )?);
                wrote_project = true;
            }
        }
        outputs.push(render::root(
            &model.argocd,
            wrote_project,
            env,
            &paths,
            &self.templates,
        )?);
        outputs.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(EnvRender {
            env: env.clone(),
            model,
            apps,
            disabled,
            waves,
            outputs,
            findings,
        })
    }
}

fn node_has_template(node: &Node) -> bool {
    match &node.value {
        Value::Str(s) => has_template(s),
        Value::Seq(items) => items.iter().any(node_has_template),
        Value::Map(m) => m.values().any(|e| node_has_template(&e.node)),
        _ => false,
    }
}

impl Project {
    /// Render several environments in parallel, in the order given. Fatal
    /// errors of all of them are reported together.
    pub fn render_all(&self, envs: &[&EnvInfo]) -> Result<Vec<EnvRender>, Error> {
        let results: Vec<Result<EnvRender, Error>> =
            envs.par_iter().map(|e| self.render_env(e)).collect();
        let mut out = Vec::with_capacity(results.len());
        let mut problems = Vec::new();
        for r in results {
            match r {
                Ok(r) => out.push(r),
                Err(e) => problems.extend(e.diagnostics),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Error::many(problems))
        }
    }
}
