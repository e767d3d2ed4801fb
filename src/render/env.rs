//! The objects of an environment as a whole: an AppProject for each project
//! its apps and root use, and the root app-of-apps that syncs them and the
//! Applications.

use super::templates::OutputTemplates;
use super::{Paths, finalizers, finish, list, map_node, s, slug, string_map};
use crate::discover::EnvInfo;
use crate::error::Error;
use crate::model::{ArgoSettings, IN_CLUSTER, Output, OutputKind, SYNC_WAVE, prunes};
use crate::template::{Scope, to_jinja};
use crate::yaml::node::{Node, Pos};

/// The AppProject of one project used in the environment: `projects.<name>`
/// is its spec, except `metadata` (labels, annotations, finalizers).
pub fn app_project(
    name: &str,
    project: &Node,
    settings: &ArgoSettings,
    env: &EnvInfo,
    tpl: &OutputTemplates,
) -> Result<Output, Error> {
    let mut spec = if project.as_map().is_some() {
        project.clone()
    } else {
        Node::map(project.pos)
    };
    let metadata = spec
        .as_map_mut()
        .and_then(|m| m.shift_remove("metadata"))
        .map(|e| e.node);
    let meta = |k: &str| metadata.as_ref().and_then(|m| m.get(k)).cloned();
    let mut annotations = vec![(SYNC_WAVE.to_string(), "-1".to_string())];
    if let Some(m) = meta("annotations").as_ref().and_then(Node::as_map) {
        annotations.extend(
            m.iter()
                .filter(|(k, _)| *k != SYNC_WAVE)
                .filter_map(|(k, e)| Some((k.clone(), e.node.as_str()?.to_string()))),
        );
    }
    let null = || Node::null(Pos::GENERATED);
    let project = map_node([
        ("name".to_string(), s(name)),
        ("namespace".to_string(), s(&settings.namespace)),
        ("labels".to_string(), meta("labels").unwrap_or_else(null)),
        ("annotations".to_string(), string_map(&annotations)),
        (
            "finalizers".to_string(),
            meta("finalizers").unwrap_or_else(|| list(Vec::new())),
        ),
        ("spec".to_string(), spec),
    ]);
    let ctx = minijinja::context! { project => to_jinja(&project), env => Scope::env_context(env) };
    let object = tpl.render(
        "appproject.yaml.j2",
        ctx,
        &format!("the AppProject `{name}` in `{}`", env.name),
    )?;
    finish(
        env,
        format!("{}/projects/{name}.yaml", env.name),
        OutputKind::AppProject,
        None,
        object,
    )
}

/// The name of an environment's root Application.
pub fn root_name(settings: &ArgoSettings, env: &str) -> String {
    settings
        .root
        .name
        .clone()
        .unwrap_or_else(|| format!("root-{}", slug(env)))
}

/// The root app-of-apps of the environment (`argocd.root`).
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
    let r = &settings.root;
    let sync_policy = r.sync_policy.as_ref().or(settings.sync_policy.as_ref());
    let root = map_node([
        ("name".to_string(), s(&root_name(settings, &env.name))),
        ("namespace".to_string(), s(&settings.namespace)),
        ("project".to_string(), s(&r.project)),
        ("labels".to_string(), string_map(&r.labels)),
        ("annotations".to_string(), string_map(&r.annotations)),
        (
            "finalizers".to_string(),
            finalizers(r.finalizers.as_ref(), prunes(sync_policy)),
        ),
        ("sources".to_string(), list(sources)),
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
            sync_policy
                .cloned()
                .unwrap_or_else(|| Node::null(Pos::GENERATED)),
        ),
    ]);
    let ctx = minijinja::context! { root => to_jinja(&root), env => Scope::env_context(env) };
    let object = tpl.render(
        "root.yaml.j2",
        ctx,
        &format!("the root Application in `{}`", env.name),
    )?;
    finish(
        env,
        format!("{}/root.yaml", env.name),
        OutputKind::Root,
        None,
        object,
    )
}
