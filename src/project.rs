//! The pipeline driver: load -> merge -> template -> model -> waves -> render.
//!
//! A [`Project`] is one repository (through a [`Source`]) with its
//! discovered environments, parsed layers and compiled templates. It only
//! sequences the stages, each of which owns its types: [`layer`] parses
//! and expands includes, [`merge`] stacks layers, [`template`] renders
//! strings, [`model`] reads the result, [`waves`] orders apps and
//! [`render`] builds the files. Apps are built in parallel and results are
//! kept in name order, so output is the same whatever the thread count.

use std::sync::Arc;

use crate::charts::{LocalChart, LocalCharts};
use crate::discover::{self, Discovery, EnvInfo};
use crate::error::{Diagnostic, Error, Kind};
use crate::layer::{Layer, Layers};
use crate::merge;
use crate::model::{self, AppSpec, EnvModel, EnvRender};
use crate::par;
use crate::render::{self, OutputTemplates, Paths};
use crate::source::{Files, Source};
use crate::template::{Scope, Templater};
use crate::waves;
use crate::yaml::load::Limits;
use crate::yaml::node::{Node, Pos};

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

pub struct Project {
    pub source: Box<dyn Source>,
    pub files: Files,
    pub discovery: Discovery,
    pub options: Options,
    pub templates: OutputTemplates,
    pub layers: Layers,
    pub charts: LocalCharts,
    templater: Templater,
}

/// What building one app gives: the app (`None` when disabled or when its
/// templates failed) and its findings.
pub type AppBuild = (Option<AppSpec>, Vec<Diagnostic>);

/// A merged document, the layers that made it (includes expanded, first to
/// last) and the merge warnings.
pub type Merged = (Node, Vec<Arc<Layer>>, Vec<Diagnostic>);

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
            layers: Layers::default(),
            charts: LocalCharts::default(),
            templater,
        })
    }

    /// Parse every layer the given environments use (each file once, in
    /// parallel), following includes.
    pub fn load_layers(&mut self, envs: &[&EnvInfo]) -> Result<(), Error> {
        let wanted = envs.iter().flat_map(|env| {
            env.env_chain()
                .into_iter()
                .chain(env.apps.iter().flat_map(|a| env.app_chain(a)))
        });
        self.layers.load(
            self.source.as_ref(),
            &self.files,
            wanted,
            &self.options.limits,
        )
    }

    /// Read the layers of `envs` again (after nexus edited some).
    pub fn reload_layers(&mut self, envs: &[&EnvInfo]) -> Result<(), Error> {
        self.layers = Layers::default();
        self.load_layers(envs)
    }

    /// The parsed layer at `rel`, if the file exists.
    pub fn layer(&self, rel: &str) -> Option<&Arc<Layer>> {
        self.layers.get(rel)
    }

    /// Merge a chain of layer files, includes expanded.
    pub fn merge_chain(&self, chain: &[String]) -> Result<Merged, Error> {
        let used = self.layers.expand_chain(chain)?;
        let (doc, warnings) = merge::merge_layers(&used)?;
        Ok((doc, used, warnings))
    }

    /// An app's chain merged and templated, as `explain` shows it.
    pub fn merged_app(&self, env: &EnvInfo, app: &str) -> Result<Merged, Error> {
        let (mut doc, used, mut findings) = self.merge_chain(&env.app_chain(app))?;
        let scope = Scope {
            env,
            app: Some(app),
        };
        findings.extend(
            self.templater
                .render_doc(&mut doc, scope, &["argocd", "app"])?,
        );
        Ok((doc, used, findings))
    }

    /// The environment-level model (root app settings and AppProjects).
    pub fn env_model(&self, env: &EnvInfo) -> Result<(EnvModel, Vec<Diagnostic>), Error> {
        let chain = env.env_chain();
        let (mut doc, _, mut findings) = self.merge_chain(&chain)?;
        // What only each app's Application uses is read (and templated,
        // with `app`) per app.
        model::drop_app_only(&mut doc);
        let scope = Scope { env, app: None };
        findings.extend(
            self.templater
                .render_doc(&mut doc, scope, &["argocd", "projects"])?,
        );
        let own = chain
            .iter()
            .rev()
            .find(|f| self.layer(f).is_some())
            .unwrap_or(&chain[0]);
        let mut errs = Vec::new();
        let argocd = model::argo_settings(&doc, own, &mut errs);
        if !errs.is_empty() {
            return Err(Error::many(errs));
        }
        let projects = model::projects(&doc)?;
        let model = EnvModel {
            doc,
            argocd,
            projects,
        };
        Ok((model, Diagnostic::all_for_app(findings, &env.name, None)))
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

    /// Merge, template and read one app. `None` when it is disabled (a
    /// literal or templated `app.enabled: false`) or its templates failed.
    pub fn build_app(&self, env: &EnvInfo, app: &str) -> Result<AppBuild, Error> {
        let own = self.own_file(env, app);
        let (mut doc, used, mut findings) = self.merge_chain(&env.app_chain(app))?;
        let tag =
            |e: Error| Error::many(Diagnostic::all_for_app(e.diagnostics, &env.name, Some(app)));
        if doc.get_path("app.enabled").and_then(Node::as_bool) == Some(false) {
            return Ok((
                None,
                Diagnostic::all_for_app(findings, &env.name, Some(app)),
            ));
        }
        let scope = Scope {
            env,
            app: Some(app),
        };
        let issues = self
            .templater
            .render_doc(&mut doc, scope, &["argocd", "app"])
            .map_err(tag)?;
        let failed = issues
            .iter()
            .any(|d| d.severity == crate::error::Severity::Error);
        findings.extend(issues);
        let findings = Diagnostic::all_for_app(findings, &env.name, Some(app));
        if failed {
            // A template error elsewhere does not matter in a disabled app.
            let disabled = model::enabled(&doc, &own) == Ok(false);
            let keep = if disabled { Vec::new() } else { findings };
            return Ok((None, keep));
        }
        if !model::enabled(&doc, &own).map_err(tag)? {
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
        let slug = crate::render::slug(&env.name);
        let mut spec = model::app_spec(app, &slug, doc, &own, layers).map_err(tag)?;
        if let Some(model::ChartSource::Path { path, .. }) = &spec.chart {
            let at = spec
                .doc
                .get_path("app.chart.path")
                .map_or(spec.chart_pos, |n| n.pos);
            spec.chart_defaults = self.local_chart(path, at).map_err(tag)?.defaults.clone();
        }
        Ok((Some(spec), findings))
    }

    /// The chart kept in this repository at `path`, which a layer names at
    /// `pos` (read once per run).
    pub fn local_chart(&self, path: &str, pos: Pos) -> Result<Arc<LocalChart>, Error> {
        self.charts.get(
            self.source.as_ref(),
            &self.files,
            &self.options.limits,
            path,
            pos,
        )
    }

    /// Run the whole pipeline for one environment, in memory.
    pub fn render_env(&self, env: &EnvInfo) -> Result<EnvRender, Error> {
        let (model, mut findings) = self.env_model(env)?;
        let built = par::try_map(&env.apps, &self.files, |a| {
            let b = self.build_app(env, a);
            crate::progress::done();
            b
        })?;
        let mut apps = Vec::new();
        let mut disabled = Vec::new();
        for (name, (spec, f)) in env.apps.iter().zip(built) {
            let failed = f.iter().any(|d| d.kind == Kind::Template);
            match spec {
                Some(spec) => apps.push(spec),
                None if !failed => disabled.push(name.clone()),
                None => {}
            }
            findings.extend(f);
        }
        let mut out = EnvRender {
            env: env.clone(),
            model,
            apps,
            disabled,
            waves: Default::default(),
            outputs: Vec::new(),
            findings,
        };
        if out.template_failed() {
            out.apps.clear();
            return Ok(out);
        }
        model::check_names(&env.name, &out.apps)?;
        out.waves = waves::compute(&env.name, &out.apps, &out.disabled)?;
        let paths = Paths {
            out_prefix: &self.options.out_prefix,
            env: &env.name,
        };
        out.outputs = render::env_outputs(&out, &paths, &self.templates, &self.files)?;
        Ok(out)
    }

    /// Render several environments in parallel, in the order given. Fatal
    /// errors of all of them are reported together.
    pub fn render_all(&self, envs: &[&EnvInfo]) -> Result<Vec<EnvRender>, Error> {
        let apps = envs.iter().map(|e| e.apps.len()).sum();
        let _progress = crate::progress::Phase::start("rendering", envs.len(), apps, "apps");
        par::try_map(envs, &self.files, |e| {
            let r = self.render_env(e);
            crate::progress::env_done();
            r
        })
    }
}
