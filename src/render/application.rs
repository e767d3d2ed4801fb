//! The Application of one app (README: What `nexus render <env>` writes).
//!
//! Its sources, in order: the chart (a Helm repository or OCI registry,
//! another git repository, or this repository) with the `helm:` options of
//! `app.helm` and nexus's values file last among its value files; this
//! repository as `ref: values` (for that values file); this repository at
//! the app's rendered manifests; then `app.sources` with `repoURL` and
//! `targetRevision` defaulting to this repository. Every field the layers
//! set is copied with its position, so validation points at the layer line.

use minijinja::value::Value as JValue;

use super::templates::OutputTemplates;
use super::{Paths, finalizers, finish, list, map_node, s, string_map};
use crate::discover::EnvInfo;
use crate::error::Error;
use crate::model::{AppSpec, ArgoSettings, ChartSource, Output, OutputKind, SYNC_WAVE};
use crate::template::{Scope, to_jinja};
use crate::yaml::node::{Node, Pos, Value};

/// Where each kind of source sits in `spec.sources` of an app's
/// Application, for mapping validation errors back to layer keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLayout {
    /// The chart source (index 0) and the `ref: values` source (index 1).
    pub chart: bool,
    /// The source of the rendered manifests, if any.
    pub manifests: Option<usize>,
    /// Index of the first of `app.sources`.
    pub extra: usize,
}

impl SourceLayout {
    pub fn of(app: &AppSpec) -> SourceLayout {
        let mut next = if app.chart.is_some() { 2 } else { 0 };
        let manifests = (!app.manifests.is_empty()).then(|| {
            next += 1;
            next - 1
        });
        SourceLayout {
            chart: app.chart.is_some(),
            manifests,
            extra: next,
        }
    }
}

/// The `helm:` block of the chart source: the release name, the chart's
/// own value files then nexus's, then every other option of `app.helm` in
/// the order the layers wrote them.
fn helm_block(app: &AppSpec, values_ref: &str) -> Node {
    let mut pairs = vec![("releaseName".to_string(), s(&app.release_name))];
    let mut value_files: Vec<Node> = app
        .helm
        .as_ref()
        .and_then(|h| h.get("valueFiles"))
        .and_then(Node::as_seq)
        .map(<[Node]>::to_vec)
        .unwrap_or_default();
    value_files.push(s(values_ref));
    pairs.push(("valueFiles".to_string(), list(value_files)));
    if let Some(m) = app.helm.as_ref().and_then(Node::as_map) {
        pairs.extend(
            m.iter()
                .filter(|(k, e)| {
                    !matches!(k.as_str(), "releaseName" | "valueFiles") && !e.node.is_null()
                })
                .map(|(k, e)| (k.clone(), e.node.clone())),
        );
    }
    map_node(pairs)
}

/// `value` as a node that remembers the layer line that set it: the node
/// of the merged document at `path` when it holds that value (so `plan`
/// and validation can name the layer), else a generated one.
fn from_doc(app: &AppSpec, path: &str, value: &str) -> Node {
    app.doc
        .get_path(path)
        .filter(|n| n.as_str() == Some(value))
        .cloned()
        .unwrap_or_else(|| s(value))
}

fn chart_source(app: &AppSpec, chart: &ChartSource, a: &ArgoSettings, helm: Node) -> Node {
    let (repo, what, target) = match chart {
        ChartSource::Repo {
            repo_url,
            chart,
            target_revision,
        } => (
            repo_url.as_str(),
            ("chart", chart.as_str()),
            target_revision.as_str(),
        ),
        ChartSource::Git {
            repo_url,
            path,
            target_revision,
        } => (
            repo_url.as_str(),
            ("path", path.as_str()),
            target_revision.as_str(),
        ),
        ChartSource::Path {
            path,
            target_revision,
        } => (
            a.repo_url.as_str(),
            ("path", path.as_str()),
            target_revision.as_deref().unwrap_or(&a.target_revision),
        ),
    };
    let revision = match chart {
        ChartSource::Path {
            target_revision: None,
            ..
        } => from_doc(app, "argocd.targetRevision", target),
        _ => from_doc(app, "app.chart.targetRevision", target),
    };
    let repo = match chart {
        ChartSource::Path { .. } => from_doc(app, "argocd.repoURL", repo),
        _ => from_doc(app, "app.chart.repoURL", repo),
    };
    map_node([
        ("repoURL".to_string(), repo),
        (
            what.0.to_string(),
            from_doc(app, &format!("app.chart.{}", what.0), what.1),
        ),
        ("targetRevision".to_string(), revision),
        ("helm".to_string(), helm),
    ])
}

/// One of `app.sources`, with `repoURL` (this repository) and, for this
/// repository, `targetRevision` filled in when the layers leave them out.
fn extra_source(source: &Node, a: &ArgoSettings) -> Node {
    let Some(m) = source.as_map() else {
        return source.clone();
    };
    let repo = m.get("repoURL").filter(|e| !e.node.is_null());
    let this_repo = repo.is_none_or(|e| e.node.as_str() == Some(a.repo_url.as_str()));
    let mut pairs = vec![(
        "repoURL".to_string(),
        repo.map_or_else(|| s(&a.repo_url), |e| e.node.clone()),
    )];
    match m.get("targetRevision").filter(|e| !e.node.is_null()) {
        Some(e) => pairs.push(("targetRevision".to_string(), e.node.clone())),
        None if this_repo => pairs.push(("targetRevision".to_string(), s(&a.target_revision))),
        None => {}
    }
    pairs.extend(
        m.iter()
            .filter(|(k, e)| {
                !matches!(k.as_str(), "repoURL" | "targetRevision") && !e.node.is_null()
            })
            .map(|(k, e)| (k.clone(), e.node.clone())),
    );
    let mut node = map_node(pairs);
    node.pos = source.pos;
    node
}

fn destination(app: &AppSpec, a: &ArgoSettings, namespace: &str) -> Node {
    let mut pairs: Vec<(String, Node)> = a
        .destination
        .iter()
        .map(|(k, e)| (k.clone(), e.node.clone()))
        .collect();
    pairs.push((
        "namespace".into(),
        from_doc(app, "app.namespace", namespace),
    ));
    map_node(pairs)
}

/// The Application of one app.
pub fn application(
    app: &AppSpec,
    wave: i64,
    env: &EnvInfo,
    paths: &Paths,
    tpl: &OutputTemplates,
) -> Result<Output, Error> {
    let a = &app.argocd;
    let this_repo = |extra: (&str, Node)| {
        map_node([
            (
                "repoURL".to_string(),
                from_doc(app, "argocd.repoURL", &a.repo_url),
            ),
            (
                "targetRevision".to_string(),
                from_doc(app, "argocd.targetRevision", &a.target_revision),
            ),
            (extra.0.to_string(), extra.1),
        ])
    };
    let mut sources = Vec::new();
    if let Some(chart) = &app.chart {
        let values_ref = format!(
            "$values/{}",
            paths.in_repo(&format!("values/{}.yaml", app.name))
        );
        sources.push(chart_source(app, chart, a, helm_block(app, &values_ref)));
        sources.push(this_repo(("ref", s("values"))));
    }
    if !app.manifests.is_empty() {
        let dir = paths.in_repo(&format!("manifests/{}", app.name));
        sources.push(this_repo(("path", s(&dir))));
    }
    sources.extend(app.sources.iter().map(|src| extra_source(src, a)));
    let mut annotations = vec![(SYNC_WAVE.to_string(), wave.to_string())];
    annotations.extend(
        app.annotations
            .iter()
            .filter(|(k, _)| k != SYNC_WAVE)
            .cloned(),
    );
    let optional = |n: &Option<Node>| n.clone().unwrap_or_else(|| Node::null(Pos::GENERATED));
    let application = map_node([
        ("name".to_string(), s(&app.application_name)),
        (
            "namespace".to_string(),
            from_doc(app, "argocd.namespace", &a.namespace),
        ),
        (
            "project".to_string(),
            from_doc(app, "argocd.project", &a.project),
        ),
        (
            "wave".to_string(),
            Node::new(Value::Int(wave), Pos::GENERATED),
        ),
        ("labels".to_string(), string_map(&app.labels)),
        ("annotations".to_string(), string_map(&annotations)),
        (
            "finalizers".to_string(),
            finalizers(a.finalizers.as_ref(), a.prune()),
        ),
        ("sources".to_string(), list(sources)),
        (
            "destination".to_string(),
            destination(app, a, &app.namespace),
        ),
        ("syncPolicy".to_string(), optional(&a.sync_policy)),
        (
            "ignoreDifferences".to_string(),
            optional(&a.ignore_differences),
        ),
        ("info".to_string(), optional(&a.info)),
        (
            "revisionHistoryLimit".to_string(),
            optional(&a.revision_history_limit),
        ),
    ]);
    let what = format!("`{}` in `{}`", app.name, env.name);
    let object = match builtin_application(&application, tpl) {
        Some(object) => object,
        None => application_from_template(app, application, env, tpl, &what)?,
    };
    finish(
        env,
        format!("{}/apps/{}.yaml", env.name, app.name),
        OutputKind::Application,
        Some(&app.name),
        object,
    )
}

/// The Application through `templates/application.yaml.j2`.
fn application_from_template(
    app: &AppSpec,
    application: Node,
    env: &EnvInfo,
    tpl: &OutputTemplates,
    what: &str,
) -> Result<Node, Error> {
    let mut app_ctx = app.doc.get("app").map(to_jinja).unwrap_or_default();
    if app_ctx.is_undefined() || app_ctx.is_none() {
        app_ctx = JValue::from_iter(Vec::<(String, JValue)>::new());
    }
    let app_ctx = minijinja::context! { name => app.name.as_str(), ..app_ctx };
    let ctx = minijinja::context! {
        application => to_jinja(&application),
        app => app_ctx,
        argocd => app.doc.get("argocd").map(to_jinja).unwrap_or_default(),
        vars => app.doc.get("vars").map(to_jinja).unwrap_or_default(),
        env => Scope::env_context(env),
    };
    tpl.render("application.yaml.j2", ctx, what)
}

/// `{% if x %}` in a template: minijinja's truthiness.
fn truthy(n: &Node) -> bool {
    match &n.value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Seq(items) => !items.is_empty(),
        Value::Map(m) => !m.is_empty(),
    }
}

/// What the built-in `application.yaml.j2` gives for `application`, built
/// directly: the same object (so the same bytes once emitted) without
/// rendering the template to text, quoting every value with `tojson` and
/// parsing the text back, which was most of the cost of an Application.
/// `None` when the repository has its own template, or when a value would
/// not survive the JSON round trip unchanged (a NaN or infinite float
/// becomes `null` in JSON): the template path handles those.
fn builtin_application(application: &Node, tpl: &OutputTemplates) -> Option<Node> {
    if tpl.custom_application || !json_safe(application) {
        return None;
    }
    let field = |k: &str| application.get(k).cloned();
    let optional = |k: &str| field(k).filter(truthy);
    let mut metadata = vec![
        ("name".to_string(), field("name")?),
        ("namespace".to_string(), field("namespace")?),
    ];
    if let Some(labels) = optional("labels") {
        metadata.push(("labels".to_string(), labels));
    }
    metadata.push(("annotations".to_string(), field("annotations")?));
    if let Some(finalizers) = optional("finalizers") {
        metadata.push(("finalizers".to_string(), finalizers));
    }
    let mut spec = vec![
        ("project".to_string(), field("project")?),
        ("sources".to_string(), field("sources")?),
        ("destination".to_string(), field("destination")?),
    ];
    for key in [
        "syncPolicy",
        "ignoreDifferences",
        "info",
        "revisionHistoryLimit",
    ] {
        if let Some(v) = optional(key).or_else(|| {
            // `revisionHistoryLimit: 0` is a value, not "unset".
            field(key).filter(|n| matches!(n.value, Value::Int(_)))
        }) {
            spec.push((key.to_string(), v));
        }
    }
    Some(map_node([
        ("apiVersion".to_string(), s("argoproj.io/v1alpha1")),
        ("kind".to_string(), s("Application")),
        ("metadata".to_string(), map_node(metadata)),
        ("spec".to_string(), map_node(spec)),
    ]))
}

/// Does `node` read back the same after `tojson`?
fn json_safe(node: &Node) -> bool {
    match &node.value {
        Value::Float(f) => f.is_finite(),
        Value::Seq(items) => items.iter().all(json_safe),
        Value::Map(m) => m.values().all(|e| json_safe(&e.node)),
        _ => true,
    }
}
