//! Reading the keys nexus acts on out of a merged, templated document.
//!
//! Types are checked and defaults filled here, so that rendering never has
//! to guess. Every error points at the value that is wrong, or at the
//! app's own layer file when a key is missing.

use super::{AppSpec, ArgoSettings, ChartSource, IN_CLUSTER};
use crate::error::{Diagnostic, Error};
use crate::yaml::node::{Map, Node, Pos, Value};

fn err(msg: String, pos: Pos, file: &str) -> Diagnostic {
    let d = Diagnostic::error(msg);
    if pos.is_generated() {
        d.in_file(file)
    } else {
        d.at(pos)
    }
}

/// Read a string at `path` below `node`; numbers and booleans are refused.
fn opt_str(
    node: &Node,
    key: &str,
    full: &str,
    file: &str,
    errs: &mut Vec<Diagnostic>,
) -> Option<String> {
    let v = node.get(key)?;
    match &v.value {
        Value::Str(s) => Some(s.clone()),
        Value::Null => None,
        _ => {
            errs.push(
                err(
                    format!("`{full}` must be a string, got {}", v.type_name()),
                    v.pos,
                    file,
                )
                .with_hint("quote the value"),
            );
            None
        }
    }
}

fn str_map(
    node: Option<&Node>,
    full: &str,
    file: &str,
    errs: &mut Vec<Diagnostic>,
) -> Vec<(String, String)> {
    let Some(node) = node else { return Vec::new() };
    let Some(map) = node.as_map() else {
        if !node.is_null() {
            errs.push(err(
                format!(
                    "`{full}` must be a map of strings, got {}",
                    node.type_name()
                ),
                node.pos,
                file,
            ));
        }
        return Vec::new();
    };
    let mut out = Vec::with_capacity(map.len());
    for (k, e) in map {
        match &e.node.value {
            Value::Str(s) => out.push((k.clone(), s.clone())),
            _ => errs.push(
                err(
                    format!("`{full}.{k}` must be a string, got {}", e.node.type_name()),
                    e.node.pos,
                    file,
                )
                .with_hint("Kubernetes labels and annotations are strings: quote the value"),
            ),
        }
    }
    out
}

/// The `argocd:` block of a merged document.
pub fn argo_settings(doc: &Node, own_file: &str, errs: &mut Vec<Diagnostic>) -> ArgoSettings {
    let empty = Node::map(Pos::GENERATED);
    let a = match doc.get("argocd") {
        Some(n) if n.as_map().is_some() => n,
        Some(n) if !n.is_null() => {
            errs.push(err(
                format!("`argocd` must be a map, got {}", n.type_name()),
                n.pos,
                own_file,
            ));
            &empty
        }
        _ => &empty,
    };
    let namespace = opt_str(a, "namespace", "argocd.namespace", own_file, errs)
        .unwrap_or_else(|| "argocd".into());
    let project =
        opt_str(a, "project", "argocd.project", own_file, errs).unwrap_or_else(|| "default".into());
    let root_project = opt_str(a, "rootProject", "argocd.rootProject", own_file, errs)
        .unwrap_or_else(|| "default".into());
    let target_revision = opt_str(a, "targetRevision", "argocd.targetRevision", own_file, errs)
        .unwrap_or_else(|| "HEAD".into());
    let repo_url = match opt_str(a, "repoURL", "argocd.repoURL", own_file, errs) {
        Some(s) if !s.is_empty() => s,
        _ => {
            errs.push(
                Diagnostic::error("`argocd.repoURL` is not set: nexus needs this repository's URL for the `$values` source")
                    .in_file(own_file)
                    .with_hint("set `argocd: {repoURL: https://github.com/<org>/<repo>.git}` in environments/base.yaml"),
            );
            String::new()
        }
    };
    let mut destination = Map::new();
    if let Some(d) = a.get("destination") {
        match &d.value {
            Value::Map(m) => {
                for k in ["server", "name"] {
                    if opt_str(d, k, &format!("argocd.destination.{k}"), own_file, errs).is_some()
                        && let Some(e) = m.get(k)
                    {
                        destination.insert(k.to_string(), e.clone());
                    }
                }
                if destination.contains_key("server") && destination.contains_key("name") {
                    errs.push(
                        err("`argocd.destination` sets both `server` and `name`; ArgoCD accepts only one".into(), d.pos, own_file)
                            .with_hint("unset one of them in a later layer with `server: null` or `name: null`"),
                    );
                }
            }
            Value::Null => {}
            _ => errs.push(err(
                format!("`argocd.destination` must be a map, got {}", d.type_name()),
                d.pos,
                own_file,
            )),
        }
    }
    if destination.is_empty() {
        destination.insert(
            "server".into(),
            crate::yaml::node::Entry {
                key_pos: Pos::GENERATED,
                node: Node::str(IN_CLUSTER, Pos::GENERATED),
            },
        );
    }
    let sync_policy = match a.get("syncPolicy") {
        Some(p) if p.as_map().is_some_and(|m| !m.is_empty()) => Some(p.clone()),
        Some(p) if !p.is_null() && p.as_map().is_none() => {
            errs.push(err(
                format!("`argocd.syncPolicy` must be a map, got {}", p.type_name()),
                p.pos,
                own_file,
            ));
            None
        }
        _ => None,
    };
    ArgoSettings {
        namespace,
        project,
        root_project,
        repo_url,
        target_revision,
        destination,
        sync_policy,
    }
}

/// Build the [`AppSpec`] of a merged, templated app document.
pub fn app_spec(
    name: &str,
    doc: Node,
    own_file: &str,
    layers: Vec<String>,
) -> Result<AppSpec, Error> {
    let mut errs = Vec::new();
    let argocd = argo_settings(&doc, own_file, &mut errs);
    let empty = Node::map(Pos::GENERATED);
    let app = match doc.get("app") {
        Some(n) if n.as_map().is_some() => n,
        _ => &empty,
    };
    let namespace = opt_str(app, "namespace", "app.namespace", own_file, &mut errs)
        .unwrap_or_else(|| name.to_string());
    let (chart, chart_pos) = match app.get("chart") {
        Some(c) if c.as_map().is_some() => {
            let s = |k: &str, errs: &mut Vec<Diagnostic>| {
                opt_str(c, k, &format!("app.chart.{k}"), own_file, errs)
            };
            let path = s("path", &mut errs);
            let repo = s("repoURL", &mut errs);
            let chart_name = s("chart", &mut errs);
            let rev = s("targetRevision", &mut errs);
            let source = match (path, repo, chart_name) {
                (Some(path), None, None) => ChartSource::Path {
                    path: path.trim_matches('/').to_string(),
                    target_revision: rev,
                },
                (None, Some(repo_url), Some(chart)) => ChartSource::Repo {
                    repo_url,
                    chart,
                    target_revision: rev.unwrap_or_default(),
                },
                (Some(_), _, _) => {
                    errs.push(
                        err("`app.chart` sets `path` together with `repoURL`/`chart`".into(), c.pos, own_file)
                            .with_hint("use `path` for a chart in this repository, or `repoURL` + `chart` + `targetRevision` for a Helm repository; unset the other with null"),
                    );
                    ChartSource::Path {
                        path: String::new(),
                        target_revision: None,
                    }
                }
                _ => {
                    errs.push(
                        err("`app.chart` needs `repoURL` and `chart` (a Helm repository chart) or `path` (a chart in this repository)".into(), c.pos, own_file)
                            .with_hint("for example `chart: {repoURL: https://charts.bitnami.com/bitnami, chart: postgresql, targetRevision: 15.5.0}`"),
                    );
                    ChartSource::Path {
                        path: String::new(),
                        target_revision: None,
                    }
                }
            };
            (source, c.pos)
        }
        Some(c) if !c.is_null() => {
            errs.push(err(
                format!("`app.chart` must be a map, got {}", c.type_name()),
                c.pos,
                own_file,
            ));
            (
                ChartSource::Path {
                    path: String::new(),
                    target_revision: None,
                },
                c.pos,
            )
        }
        _ => {
            errs.push(
                Diagnostic::error(format!("app `{name}` has no `app.chart`"))
                    .in_file(own_file)
                    .with_hint(format!("set `app: {{chart: {{path: charts/{name}}}}}` or a Helm repository chart in {own_file}")),
            );
            (
                ChartSource::Path {
                    path: String::new(),
                    target_revision: None,
                },
                Pos::GENERATED,
            )
        }
    };
    let mut depends_on = Vec::new();
    if let Some(n) = app.get("dependsOn") {
        match &n.value {
            Value::Seq(items) => {
                for item in items {
                    match item.as_str() {
                        Some(s) => {
                            if !depends_on.iter().any(|(d, _)| d == s) {
                                depends_on.push((s.to_string(), item.pos));
                            }
                        }
                        None => errs.push(err(
                            format!(
                                "`app.dependsOn` entries must be app names, got {}",
                                item.type_name()
                            ),
                            item.pos,
                            own_file,
                        )),
                    }
                }
            }
            Value::Null => {}
            _ => errs.push(
                err(
                    format!(
                        "`app.dependsOn` must be a list of app names, got {}",
                        n.type_name()
                    ),
                    n.pos,
                    own_file,
                )
                .with_hint("write `dependsOn: [postgres]`"),
            ),
        }
    }
    let sync_wave = match app.get("syncWave") {
        Some(n) => match n.value {
            Value::Int(i) => Some((i, n.pos)),
            Value::Null => None,
            _ => {
                errs.push(err(
                    format!("`app.syncWave` must be an integer, got {}", n.type_name()),
                    n.pos,
                    own_file,
                ));
                None
            }
        },
        None => None,
    };
    let labels = str_map(app.get("labels"), "app.labels", own_file, &mut errs);
    let annotations = str_map(
        app.get("annotations"),
        "app.annotations",
        own_file,
        &mut errs,
    );
    let manifests = match app.get("manifests") {
        Some(n) => match &n.value {
            Value::Seq(items) => items.clone(),
            Value::Null => Vec::new(),
            _ => {
                errs.push(err(
                    format!(
                        "`app.manifests` must be a list of Kubernetes objects, got {}",
                        n.type_name()
                    ),
                    n.pos,
                    own_file,
                ));
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    // The values stay in `doc` (see [`AppSpec::values`]); a copy per app
    // was a quarter of the memory of a large render.
    if let Some(n) = app.get("values")
        && n.as_map().is_none()
        && !n.is_null()
    {
        errs.push(err(
            format!(
                "`app.values` must be a map of Helm values, got {}",
                n.type_name()
            ),
            n.pos,
            own_file,
        ));
    }
    let mut lint_ignore = Vec::new();
    if let Some(n) = app.get("lintIgnore") {
        match &n.value {
            Value::Map(m) => {
                for (rule, e) in m.iter() {
                    match &e.node.value {
                        Value::Str(s) => lint_ignore.push((rule.clone(), s.clone(), e.key_pos)),
                        Value::Null => {}
                        _ => errs.push(err(
                            format!(
                                "`app.lintIgnore.{rule}` must be the reason as a string, got {}",
                                e.node.type_name()
                            ),
                            e.node.pos,
                            own_file,
                        )),
                    }
                }
            }
            Value::Null => {}
            _ => errs.push(err(
                format!(
                    "`app.lintIgnore` must be a map of rule id to reason, got {}",
                    n.type_name()
                ),
                n.pos,
                own_file,
            )),
        }
    }
    if !errs.is_empty() {
        return Err(Error::many(errs));
    }
    Ok(AppSpec {
        name: name.to_string(),
        namespace,
        chart,
        chart_pos,
        depends_on,
        sync_wave,
        labels,
        annotations,
        manifests,
        lint_ignore,
        argocd,
        doc,
        own_file: own_file.to_string(),
        layers,
    })
}

/// Is the merged `app.enabled` anything but `false`? A non-boolean is an error.
pub fn enabled(doc: &Node, own_file: &str) -> Result<bool, Error> {
    match doc.get_path("app.enabled") {
        None => Ok(true),
        Some(n) => match n.value {
            Value::Bool(b) => Ok(b),
            Value::Null => Ok(true),
            _ => Err(Error::from(err(
                format!("`app.enabled` must be true or false, got {}", n.type_name()),
                n.pos,
                own_file,
            ))),
        },
    }
}

/// The `projects.<name>` AppProject specs of an environment's merged
/// document, in the order they were first defined.
pub fn projects(doc: &Node) -> Result<Vec<(String, Node)>, Error> {
    let Some(p) = doc.get("projects") else {
        return Ok(Vec::new());
    };
    match &p.value {
        Value::Map(m) => {
            let mut out = Vec::with_capacity(m.len());
            for (name, e) in m.iter() {
                if e.node.is_null() {
                    continue;
                }
                if e.node.as_map().is_none() {
                    return Err(Error::from(
                        Diagnostic::error(format!(
                            "`projects.{name}` must be an AppProject spec (a map), got {}",
                            e.node.type_name()
                        ))
                        .at(e.node.pos),
                    ));
                }
                out.push((name.clone(), e.node.clone()));
            }
            Ok(out)
        }
        Value::Null => Ok(Vec::new()),
        _ => Err(Error::from(
            Diagnostic::error(format!("`projects` must be a map, got {}", p.type_name())).at(p.pos),
        )),
    }
}
