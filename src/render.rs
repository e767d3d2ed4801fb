//! Rendering: from typed apps to the files of `deploy/<env>/` (README: What `nexus render <env>` writes).
//!
//! Applications, AppProjects and the root app-of-apps come from minijinja
//! templates (the repository's `templates/*.j2`, else the built-in ones),
//! which are read back and written out as canonical YAML, so every file is
//! quoted the YAML 1.1-safe way whatever the template did. Values files and
//! manifests are written straight from the merged tree.

use std::collections::BTreeMap;

use minijinja::value::Value as JValue;

use crate::discover::EnvInfo;
use crate::error::{Diagnostic, Error};
use crate::model::{
    AppSpec, ArgoSettings, ChartSource, FINALIZER, IN_CLUSTER, Output, OutputKind, SYNC_WAVE,
    header,
};
use crate::source::{Files, Source, read_text};
use crate::template::{Scope, Templater, to_jinja};
use crate::yaml::emit;
use crate::yaml::load::{self, Limits};
use crate::yaml::node::{Entry, FileId, Map, Node, Pos, Value};

const BUILTIN: [(&str, &str); 3] = [
    (
        "application.yaml.j2",
        include_str!("../templates/application.yaml.j2"),
    ),
    (
        "appproject.yaml.j2",
        include_str!("../templates/appproject.yaml.j2"),
    ),
    ("root.yaml.j2", include_str!("../templates/root.yaml.j2")),
];

/// The output templates, compiled once and shared by every thread.
pub struct OutputTemplates {
    templater: Templater,
    /// The repository has its own `templates/application.yaml.j2`. When it
    /// does not, Applications are built directly (see
    /// [`builtin_application`]) instead of through the built-in template.
    custom_application: bool,
    /// The file of each template the repository has (by template name).
    repo_files: Vec<(&'static str, FileId)>,
}

impl OutputTemplates {
    /// Load `templates/*.j2` from the repository, falling back to the
    /// built-in templates for any that are missing.
    pub fn load(source: &dyn Source, files: &Files) -> Result<OutputTemplates, Error> {
        let mut templater = Templater::with_files(files);
        let mut custom_application = false;
        let mut repo_files = Vec::new();
        for (name, builtin) in BUILTIN {
            let rel = format!("templates/{name}");
            let (text, from_repo) = match read_text(source, &rel)? {
                Some(t) => (t, true),
                None => (builtin.to_string(), false),
            };
            let mut at = None;
            if from_repo {
                let id = files.add(rel.clone(), text.clone().into());
                repo_files.push((name, id));
                at = Some(id);
                // A copy of the built-in template (as in `nexus init`) is
                // not custom: it gives the same objects.
                custom_application |= name == "application.yaml.j2" && text != builtin;
            }
            templater.env_mut().add_template_owned(name.to_string(), text).map_err(|e| {
                let line = e.line().unwrap_or(1) as u32;
                let d = Diagnostic::error(format!(
                    "{rel}: {}",
                    e.detail().map_or_else(|| e.kind().to_string(), str::to_string)
                ))
                .with_hint("fix the template syntax, or delete the file to use the built-in template");
                Error::from(match at {
                    Some(id) => d.at(Pos::new(id, line, 1)),
                    None => d.in_file(rel.clone()),
                })
            })?;
        }
        Ok(OutputTemplates {
            templater,
            custom_application,
            repo_files,
        })
    }

    /// Point at `line` of the repository's template `name`, or name the file.
    fn locate(&self, d: Diagnostic, name: &str, line: Option<usize>) -> Diagnostic {
        let rel = format!("templates/{name}");
        match (self.repo_files.iter().find(|(n, _)| *n == name), line) {
            (Some((_, id)), Some(l)) => d.at(Pos::new(*id, l as u32, 1)),
            _ => d.in_file(rel),
        }
    }

    fn render(&self, name: &str, ctx: JValue, what: &str) -> Result<Node, Error> {
        let rel = format!("templates/{name}");
        let tmpl = self
            .templater
            .env()
            .get_template(name)
            .map_err(|e| Error::input(format!("{rel}: {e}")))?;
        let _watched = crate::guard::enter(|| rel.clone());
        let text = crate::template::render_capped(&tmpl, &ctx).map_err(|e| {
            let d = Diagnostic::error(format!(
                "{rel}: rendering {what} failed: {}",
                e.detail().map_or_else(|| e.kind().to_string(), str::to_string)
            ))
            .with_hint("the template context has `application`/`project`/`root`, `app`, `argocd`, `vars` and `env`");
            Error::from(self.locate(d, name, e.line()))
        })?;
        match load::parse_one(&text, FileId(u32::MAX), &Limits::default()) {
            Ok(Some(node)) if node.as_map().is_some() => Ok(node),
            Ok(_) => Err(Error::input(format!(
                "{rel} rendered {what} as something other than a YAML map"
            ))
            .in_file(rel)
            .with_hint("the template must produce one Kubernetes object")),
            Err(e) => Err(Error::input(format!(
                "{rel} produced invalid YAML for {what}: {} (line {} of the output)",
                e.message, e.line
            ))
            .in_file(rel)
            .with_hint("pass values through `| tojson` so they are quoted correctly")),
        }
    }
}

/// Build a map node from pairs (positions are "generated").
pub fn map_node<I: IntoIterator<Item = (String, Node)>>(pairs: I) -> Node {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(
            k,
            Entry {
                key_pos: Pos::GENERATED,
                node: v,
            },
        );
    }
    Node::new(Value::Map(m), Pos::GENERATED)
}

fn s(v: &str) -> Node {
    Node::str(v, Pos::GENERATED)
}

fn string_map(pairs: &[(String, String)]) -> Node {
    map_node(pairs.iter().map(|(k, v)| (k.clone(), s(v))))
}

/// `prod/kr` -> `prod-kr`, for object names.
pub fn slug(env: &str) -> String {
    env.replace('/', "-")
}

/// The Application name of an app: `<app>-<env>` with `/` -> `-`.
pub fn application_name(app: &str, env: &str) -> String {
    format!("{app}-{}", slug(env))
}

/// Where the files of one environment go, relative to the repository root
/// (`deploy/prod/kr`), and relative to the output root (`prod/kr`).
pub struct Paths<'a> {
    /// The output root relative to the repository: `deploy`.
    pub out_prefix: &'a str,
    pub env: &'a str,
}

impl Paths<'_> {
    fn in_repo(&self, rest: &str) -> String {
        if self.out_prefix.is_empty() {
            format!("{}/{rest}", self.env)
        } else {
            format!("{}/{}/{rest}", self.out_prefix, self.env)
        }
    }
}

fn destination(settings: &ArgoSettings, namespace: &str) -> Node {
    let mut pairs: Vec<(String, Node)> = settings
        .destination
        .iter()
        .map(|(k, e)| (k.clone(), e.node.clone()))
        .collect();
    pairs.push(("namespace".into(), s(namespace)));
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
    let values_ref = format!(
        "$values/{}",
        paths.in_repo(&format!("values/{}.yaml", app.name))
    );
    let helm = map_node([
        ("releaseName".to_string(), s(&app.name)),
        (
            "valueFiles".to_string(),
            Node::new(Value::Seq(vec![s(&values_ref)]), Pos::GENERATED),
        ),
    ]);
    let chart_source = match &app.chart {
        ChartSource::Repo {
            repo_url,
            chart,
            target_revision,
        } => map_node([
            ("repoURL".to_string(), s(repo_url)),
            ("chart".to_string(), s(chart)),
            ("targetRevision".to_string(), s(target_revision)),
            ("helm".to_string(), helm),
        ]),
        ChartSource::Path {
            path,
            target_revision,
        } => map_node([
            ("repoURL".to_string(), s(&a.repo_url)),
            ("path".to_string(), s(path)),
            (
                "targetRevision".to_string(),
                s(target_revision.as_deref().unwrap_or(&a.target_revision)),
            ),
            ("helm".to_string(), helm),
        ]),
    };
    let mut sources = vec![
        chart_source,
        map_node([
            ("repoURL".to_string(), s(&a.repo_url)),
            ("targetRevision".to_string(), s(&a.target_revision)),
            ("ref".to_string(), s("values")),
        ]),
    ];
    if !app.manifests.is_empty() {
        sources.push(map_node([
            ("repoURL".to_string(), s(&a.repo_url)),
            ("targetRevision".to_string(), s(&a.target_revision)),
            (
                "path".to_string(),
                s(&paths.in_repo(&format!("manifests/{}", app.name))),
            ),
        ]));
    }
    let mut annotations = vec![(SYNC_WAVE.to_string(), wave.to_string())];
    annotations.extend(
        app.annotations
            .iter()
            .filter(|(k, _)| k != SYNC_WAVE)
            .cloned(),
    );
    let finalizers: Vec<Node> = if a.prune() {
        vec![s(FINALIZER)]
    } else {
        vec![]
    };
    let name = application_name(&app.name, &env.name);
    let application = map_node([
        ("name".to_string(), s(&name)),
        ("namespace".to_string(), s(&a.namespace)),
        ("project".to_string(), s(&a.project)),
        (
            "wave".to_string(),
            Node::new(Value::Int(wave), Pos::GENERATED),
        ),
        ("labels".to_string(), string_map(&app.labels)),
        ("annotations".to_string(), string_map(&annotations)),
        (
            "finalizers".to_string(),
            Node::new(Value::Seq(finalizers), Pos::GENERATED),
        ),
        (
            "sources".to_string(),
            Node::new(Value::Seq(sources), Pos::GENERATED),
        ),
        ("destination".to_string(), destination(a, &app.namespace)),
        (
            "syncPolicy".to_string(),
            a.sync_policy
                .clone()
                .unwrap_or_else(|| Node::null(Pos::GENERATED)),
        ),
    ]);
    let what = format!("the Application of `{}` in `{}`", app.name, env.name);
    let object = match builtin_application(&application, tpl) {
        Some(object) => object,
        None => application_from_template(app, application, env, tpl, &what)?,
    };
    Ok(finish(
        env,
        format!("{}/apps/{}.yaml", env.name, app.name),
        OutputKind::Application,
        Some(&app.name),
        object,
    ))
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
    // `{% if x %}` in the template: minijinja's truthiness.
    let truthy = |n: &Node| match &n.value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Seq(items) => !items.is_empty(),
        Value::Map(m) => !m.is_empty(),
    };
    let mut metadata = vec![
        ("name".to_string(), field("name")?),
        ("namespace".to_string(), field("namespace")?),
    ];
    if let Some(labels) = field("labels").filter(truthy) {
        metadata.push(("labels".to_string(), labels));
    }
    metadata.push(("annotations".to_string(), field("annotations")?));
    if let Some(finalizers) = field("finalizers").filter(truthy) {
        metadata.push(("finalizers".to_string(), finalizers));
    }
    let mut spec = vec![
        ("project".to_string(), field("project")?),
        ("sources".to_string(), field("sources")?),
        ("destination".to_string(), field("destination")?),
    ];
    if let Some(policy) = field("syncPolicy").filter(truthy) {
        spec.push(("syncPolicy".to_string(), policy));
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

fn finish(
    env: &EnvInfo,
    path: String,
    kind: OutputKind,
    app: Option<&str>,
    object: Node,
) -> Output {
    let mut text = header(&env.name);
    emit::write(&object, &mut text);
    Output {
        path,
        kind,
        app: app.map(str::to_string),
        object,
        text,
    }
}

/// The values file of one app. Its `object` is left null: the values are
/// [`AppSpec::values`], and a third copy of every app's values tree was a
/// sixth of the memory of a large render.
pub fn values(app: &AppSpec, env: &EnvInfo) -> Output {
    let mut text = header(&env.name);
    emit::write(app.values(), &mut text);
    Output {
        path: format!("{}/values/{}.yaml", env.name, app.name),
        kind: OutputKind::Values,
        app: Some(app.name.clone()),
        object: Node::null(Pos::GENERATED),
        text,
    }
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
        out.push(finish(
            env,
            format!("{}/manifests/{}/{file}.yaml", env.name, app.name),
            OutputKind::Manifest,
            Some(&app.name),
            obj.clone(),
        ));
    }
    if !problems.is_empty() {
        return Err(Error::many(problems));
    }
    Ok(out)
}

/// The AppProject of one project used in the environment.
pub fn app_project(
    name: &str,
    spec: &Node,
    settings: &ArgoSettings,
    env: &EnvInfo,
    tpl: &OutputTemplates,
) -> Result<Output, Error> {
    let spec = if spec.as_map().is_some() {
        spec.clone()
    } else {
        Node::map(spec.pos)
    };
    let project = map_node([
        ("name".to_string(), s(name)),
        ("namespace".to_string(), s(&settings.namespace)),
        (
            "annotations".to_string(),
            string_map(&[(SYNC_WAVE.to_string(), "-1".to_string())]),
        ),
        ("spec".to_string(), spec),
    ]);
    let ctx = minijinja::context! { project => to_jinja(&project), env => Scope::env_context(env) };
    let object = tpl.render(
        "appproject.yaml.j2",
        ctx,
        &format!("the AppProject `{name}` of `{}`", env.name),
    )?;
    Ok(finish(
        env,
        format!("{}/projects/{name}.yaml", env.name),
        OutputKind::AppProject,
        None,
        object,
    ))
}

/// The root app-of-apps of the environment.
pub fn root(
    settings: &ArgoSettings,
    with_projects: bool,
    env: &EnvInfo,
    paths: &Paths,
    tpl: &OutputTemplates,
) -> Result<Output, Error> {
    let source = |dir: &str| {
        map_node([
            ("repoURL".to_string(), s(&settings.repo_url)),
            ("targetRevision".to_string(), s(&settings.target_revision)),
            ("path".to_string(), s(&paths.in_repo(dir))),
        ])
    };
    let mut sources = Vec::new();
    if with_projects {
        sources.push(source("projects"));
    }
    sources.push(source("apps"));
    let finalizers: Vec<Node> = if settings.prune() {
        vec![s(FINALIZER)]
    } else {
        vec![]
    };
    let root = map_node([
        ("name".to_string(), s(&format!("root-{}", slug(&env.name)))),
        ("namespace".to_string(), s(&settings.namespace)),
        ("project".to_string(), s(&settings.root_project)),
        (
            "finalizers".to_string(),
            Node::new(Value::Seq(finalizers), Pos::GENERATED),
        ),
        (
            "sources".to_string(),
            Node::new(Value::Seq(sources), Pos::GENERATED),
        ),
        // Application objects live with ArgoCD itself, whichever cluster
        // the apps deploy to.
        (
            "destination".to_string(),
            map_node([
                ("server".to_string(), s(IN_CLUSTER)),
                ("namespace".to_string(), s(&settings.namespace)),
            ]),
        ),
        (
            "syncPolicy".to_string(),
            settings
                .sync_policy
                .clone()
                .unwrap_or_else(|| Node::null(Pos::GENERATED)),
        ),
    ]);
    let ctx = minijinja::context! { root => to_jinja(&root), env => Scope::env_context(env) };
    let object = tpl.render(
        "root.yaml.j2",
        ctx,
        &format!("the root Application of `{}`", env.name),
    )?;
    Ok(finish(
        env,
        format!("{}/root.yaml", env.name),
        OutputKind::Root,
        None,
        object,
    ))
}
