//! NX007: two apps render the same Helm release into the same cluster and
//! namespace.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use super::prelude::*;
use crate::model::{EnvRender, IN_CLUSTER, OutputKind};

pub const RULE: Rule = Rule {
    code: "NX007",
    name: "release-collision",
    summary: "two apps render the same release into the same cluster and namespace",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::Repo(check),
};

const DOC: &str = r#"
## What it does
Compares the rendered Applications: two apps whose Helm release (the
`helm.releaseName` of the chart source, the app name by default) or whose
`values.fullnameOverride` (the object names the chart creates) is the same
and which deploy to the same cluster (`destination.server` or `name`) and
namespace collide. Within one environment every pair is compared; across
environments, apps that name the same external cluster by URL are compared
too. The in-cluster `https://kubernetes.default.svc` and cluster names mean
the cluster of the ArgoCD that syncs them: a different one for each
environment, unless environments share an ArgoCD (`argocd.instance`).

## Why is this bad?
Two Applications then own the same objects. ArgoCD syncs them in turn,
each overwriting the other's Deployment and Service, and pruning one app
deletes objects the other still needs.

## Example
```yaml
# environments/prod/us/env.yaml forgot to set its own cluster:
vars:
  region: us
# both prod/kr and prod/us now deploy `api` to https://prod-kr.k8s.acme.internal
```
Use instead:
```yaml
vars:
  region: us
  cluster: https://prod-us.k8s.acme.internal
```
"#;

/// Where one app's release lands.
struct Landing<'a> {
    env: &'a str,
    app: &'a crate::model::AppSpec,
    cluster: String,
    /// Landings compare within a scope: every external URL is one scope;
    /// the in-cluster URL and cluster names belong to one ArgoCD.
    scope: &'a str,
    namespace: String,
    release: String,
    fullname: Option<(String, &'a Node)>,
}

fn landings(r: &EnvRender) -> Vec<Landing<'_>> {
    let instance = r.model.argocd.instance_of(&r.env.name);
    let mut applications: HashMap<&str, &Node> = HashMap::new();
    for o in r
        .outputs
        .iter()
        .filter(|o| o.kind == OutputKind::Application)
    {
        if let Some(app) = o.app.as_deref() {
            applications.entry(app).or_insert(&o.object);
        }
    }
    // A repository-wide rule runs on one thread: its per-app part runs on all.
    // Only a chart makes a Helm release.
    r.apps
        .par_iter()
        .filter(|app| app.chart.is_some())
        .map(|app| {
            let object = applications.get(app.name.as_str()).copied();
            let dest = object.and_then(|o| o.get_path("spec.destination"));
            let s = |k: &str| {
                dest.and_then(|d| d.get(k))
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let (server, name) = (s("server"), s("name"));
            let (cluster, external) = if server.is_empty() {
                (format!("cluster `{name}`"), false)
            } else {
                (
                    format!("`{server}`"),
                    server.trim_end_matches('/') != IN_CLUSTER,
                )
            };
            let namespace = match s("namespace") {
                n if n.is_empty() => app.namespace.clone(),
                n => n,
            };
            let sources: &[Node] = object
                .and_then(|o| {
                    o.get_path("spec.sources")
                        .and_then(Node::as_seq)
                        .or_else(|| o.get_path("spec.source").map(std::slice::from_ref))
                })
                .unwrap_or_default();
            let release = sources
                .iter()
                .find_map(|s| {
                    s.get_path("helm.releaseName")
                        .and_then(Node::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_else(|| app.name.clone());
            let fullname = app.values().get("fullnameOverride").and_then(|n| {
                n.as_str()
                    .filter(|s| !s.is_empty())
                    .map(|s| (s.to_string(), n))
            });
            Landing {
                env: &r.env.name,
                app,
                cluster,
                scope: if external { "" } else { instance },
                namespace,
                release,
                fullname,
            }
        })
        .collect()
}

fn check(cx: &RepoCx, out: &mut Sink) {
    let all: Vec<Landing> = cx
        .renders
        .iter()
        .chain(cx.context)
        .flat_map(landings)
        .collect();
    let linted: Vec<&str> = cx.renders.iter().map(|r| r.env.name.as_str()).collect();
    // Group by (cluster, namespace, name); the name is a release or a fullname.
    let mut groups: BTreeMap<(String, String, String), Vec<(usize, bool)>> = BTreeMap::new();
    for (i, l) in all.iter().enumerate() {
        groups
            .entry((l.cluster.clone(), l.namespace.clone(), l.release.clone()))
            .or_default()
            .push((i, false));
        if let Some((f, _)) = &l.fullname
            && *f != l.release
        {
            groups
                .entry((l.cluster.clone(), l.namespace.clone(), f.clone()))
                .or_default()
                .push((i, true));
        }
    }
    for ((cluster, namespace, name), members) in groups {
        for &(i, by_fullname) in &members {
            let me = &all[i];
            if !linted.contains(&me.env) {
                continue;
            }
            let others: Vec<&Landing> = members
                .iter()
                .map(|&(j, _)| &all[j])
                .filter(|o| {
                    !(o.env == me.env && o.app.name == me.app.name)
                        && (o.env == me.env || o.scope == me.scope)
                })
                .collect();
            if others.is_empty() {
                continue;
            }
            // Every app of the collision, this one included: the same list
            // (and message) for each, so one collision is one message.
            let mut list: Vec<String> = std::iter::once(me)
                .chain(others.iter().copied())
                .map(|o| format!("`{}` in `{}`", o.app.name, o.env))
                .collect();
            list.sort();
            list.dedup();
            let same_env = others.iter().all(|o| o.env == me.env);
            let (path, node) = if by_fullname {
                (
                    "app.values.fullnameOverride",
                    me.fullname.as_ref().map(|(_, n)| *n),
                )
            } else if same_env {
                ("app.namespace", me.app.doc.get_path("app.namespace"))
            } else if !me.scope.is_empty() && me.app.doc.get_path("argocd.instance").is_some() {
                // In-cluster in two environments is one cluster only
                // because they share an ArgoCD.
                ("argocd.instance", me.app.doc.get_path("argocd.instance"))
            } else {
                (
                    "argocd.destination.server",
                    me.app.doc.get_path("argocd.destination.server"),
                )
            };
            let Some(env) = cx.renders.iter().find(|r| r.env.name == me.env) else {
                continue;
            };
            let cx_app = AppCx {
                env,
                app: me.app,
                values: me.app.values(),
                protected: false,
                config: cx.config,
                files: cx.files,
                peers: &[],
            };
            let at = match node {
                Some(n) => cx_app.at(n),
                None => cx_app.own_file(),
            };
            let what = if by_fullname {
                format!("objects named `{name}` (fullnameOverride)")
            } else {
                format!("Helm release `{name}`")
            };
            let mut d = finding(
                format!("{what} of more than one app goes to {cluster} namespace `{namespace}`"),
                path,
                at,
            )
            .note(format!("rendered by {}", list.join(", ")))
            .with_hint(if same_env {
                "give each app its own namespace or a distinct fullnameOverride".to_string()
            } else {
                "point each environment at its own cluster (argocd.destination) or namespace"
                    .to_string()
            });
            d.env = Some(me.env.to_string());
            d.app = Some(me.app.name.clone());
            out.push(d);
        }
    }
}
