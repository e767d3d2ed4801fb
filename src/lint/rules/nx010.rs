//! NX010: two environments managed by the same ArgoCD render an
//! Application or AppProject of the same name into the same namespace.

use std::collections::BTreeMap;

use super::prelude::*;
use crate::model::{EnvRender, OutputKind};
use crate::yaml::node::Pos;

pub const RULE: Rule = Rule {
    code: "NX010",
    name: "shared-argocd-collision",
    summary: "two environments managed by one ArgoCD render an Application or AppProject of the same name",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::Repo(check),
};

const DOC: &str = r#"
## What it does
Groups environments by the ArgoCD that manages them (`argocd.instance`;
by default each environment has its own, one ArgoCD per cluster) and
reports an Application (the root app-of-apps included) or an AppProject
that two environments of one group render with the same name into the
same `argocd.namespace`.

## Why is this bad?
One ArgoCD holds one object per name and namespace. Each environment's
root app-of-apps would own it: they overwrite each other's version on
every sync, and pruning one environment deletes the object the other
still needs. A small platform or home lab with stage and prod on one
cluster runs into this with the first shared AppProject.

## Example
```yaml
# environments/base.yaml: both environments share one ArgoCD
argocd: {instance: main, applicationName: "{{ app.name }}"}
projects:
  apps: {sourceRepos: ["*"], destinations: [{server: "*", namespace: "*"}]}
```
Use instead: names per environment, and the projects rendered once.
```yaml
# environments/base.yaml
argocd: {instance: main, applicationName: "{{ app.name }}-{{ env.slug }}"}
# environments/prod/env.yaml (stage uses the project prod renders)
projects:
  apps: {sourceRepos: ["*"], destinations: [{server: "*", namespace: "*"}]}
```
"#;

/// One object an environment gives its ArgoCD.
struct Object<'a> {
    env: &'a EnvRender,
    app: Option<&'a crate::model::AppSpec>,
    kind: &'static str,
    name: String,
    /// The deploy file that holds it.
    file: &'a str,
    /// The layer value that named it (for an AppProject, its key).
    at: Option<Pos>,
    /// The layer node, when the name comes from one.
    node: Option<&'a Node>,
}

fn objects(r: &EnvRender) -> Vec<Object<'_>> {
    let mut out = Vec::new();
    for o in &r.outputs {
        let name = o
            .object
            .get_path("metadata.name")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        match o.kind {
            OutputKind::Application => {
                let app = r
                    .apps
                    .iter()
                    .find(|a| Some(a.name.as_str()) == o.app.as_deref());
                let node = app.and_then(|a| a.doc.get_path("argocd.applicationName"));
                out.push(Object {
                    env: r,
                    app,
                    kind: "Application",
                    name,
                    file: &o.path,
                    at: None,
                    node,
                });
            }
            OutputKind::Root => out.push(Object {
                env: r,
                app: None,
                kind: "Application",
                name,
                file: &o.path,
                at: None,
                node: r.model.doc.get_path("argocd.root.name"),
            }),
            OutputKind::AppProject => {
                let key = r
                    .model
                    .doc
                    .get("projects")
                    .and_then(Node::as_map)
                    .and_then(|m| m.get(&name))
                    .map(|e| e.key_pos);
                out.push(Object {
                    env: r,
                    app: None,
                    kind: "AppProject",
                    name,
                    file: &o.path,
                    at: key,
                    node: None,
                });
            }
            _ => {}
        }
    }
    out
}

fn check(cx: &RepoCx, out: &mut Sink) {
    let all: Vec<&EnvRender> = cx.renders.iter().chain(cx.context).collect();
    // Only environments that share an ArgoCD are compared.
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &all {
        *count
            .entry(r.model.argocd.instance_of(&r.env.name))
            .or_default() += 1;
    }
    let all: Vec<&EnvRender> = all
        .into_iter()
        .filter(|r| count[r.model.argocd.instance_of(&r.env.name)] > 1)
        .collect();
    // (instance, namespace, kind, name) -> objects
    let mut groups: BTreeMap<(&str, &str, &str, String), Vec<Object>> = BTreeMap::new();
    for r in &all {
        let instance = r.model.argocd.instance_of(&r.env.name);
        for o in objects(r) {
            groups
                .entry((instance, &r.model.argocd.namespace, o.kind, o.name.clone()))
                .or_default()
                .push(o);
        }
    }
    for ((instance, namespace, kind, name), objs) in groups {
        let mut envs: Vec<&str> = objs.iter().map(|o| o.env.env.name.as_str()).collect();
        envs.sort();
        envs.dedup();
        if envs.len() < 2 {
            continue;
        }
        let files: Vec<String> = objs.iter().map(|o| format!("deploy/{}", o.file)).collect();
        for o in &objs {
            let mut at = match (o.node, o.at, o.app) {
                (Some(n), _, Some(app)) => AppCx {
                    env: o.env,
                    app,
                    values: app.values(),
                    protected: false,
                    config: cx.config,
                    files: cx.files,
                    peers: &[],
                }
                .at(n),
                (Some(n), _, None) => Where {
                    pos: Some(n.pos),
                    ..Where::default()
                },
                (None, Some(p), _) => Where {
                    pos: Some(p),
                    ..Where::default()
                },
                (None, None, Some(app)) => Where {
                    file: Some(app.own_file.clone()),
                    ..Where::default()
                },
                (None, None, None) => Where {
                    file: o.env.env.env_chain().last().cloned(),
                    ..Where::default()
                },
            };
            if at.pos.is_none() && at.file.is_none() {
                at.file = Some(o.env.env.env_chain().last().cloned().unwrap_or_default());
            }
            let path = match (o.kind, o.app) {
                ("AppProject", _) => format!("projects.{name}"),
                (_, Some(_)) => "argocd.applicationName".to_string(),
                _ => "argocd.root.name".to_string(),
            };
            let hint = if o.kind == "AppProject" {
                "render the AppProject in one of these environments only (environments sharing an ArgoCD may use a project another one renders), or name it per environment"
            } else {
                "give the Applications of each environment their own names, e.g. `argocd: {applicationName: \"{{ app.name }}-{{ env.slug }}\"}`"
            };
            // One `applicationName` line names every app: the app goes in
            // the note, so that line is one message.
            let what = match o.app {
                Some(_) => "Applications of the same name".to_string(),
                None => format!("the {kind} `{name}`"),
            };
            let mut d = finding(
                format!(
                    "environments managed by the same ArgoCD (`{instance}`) render {what} into the namespace `{namespace}`: each root app-of-apps would own, and prune, it"
                ),
                path,
                at,
            )
            .note(format!("`{name}` is rendered by {}", files.join(" and ")))
            .with_hint(hint);
            d.env = Some(o.env.env.name.clone());
            d.app = o.app.map(|a| a.name.clone());
            out.push(d);
        }
    }
}
