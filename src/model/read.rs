//! Reading the keys nexus acts on out of a merged, templated document.
//!
//! Types are checked and defaults filled here, so that rendering never has
//! to guess. Every error points at the value that is wrong, or at the
//! app's own layer file when a key is missing. Keys copied into the
//! Application unchanged (ignoreDifferences, info ...) are kept as nodes
//! and checked against the Application schema by validation.

use super::{AppSpec, ArgoSettings, ChartSource, IN_CLUSTER, RootSettings};
use crate::error::{Diagnostic, Error};
use crate::yaml::node::{Entry, Map, Node, Pos, Value};

/// `argocd` keys that belong to each app's Application, not to the
/// environment: they are not read (or templated) at environment level,
/// where there is no app (`applicationName: "{{ app.name }}"`).
pub const APP_ONLY_ARGOCD_KEYS: &[&str] = &[
    "project",
    "applicationName",
    "ignoreDifferences",
    "info",
    "revisionHistoryLimit",
    "finalizers",
];

/// Reads typed values below one document, collecting every problem.
struct Reader<'a> {
    /// The file to point at when a value has no position.
    own_file: &'a str,
    errs: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn err(&mut self, msg: String, pos: Pos) -> &mut Diagnostic {
        let d = Diagnostic::error(msg);
        self.errs.push(if pos.is_generated() {
            d.in_file(self.own_file)
        } else {
            d.at(pos)
        });
        let last = self.errs.len() - 1;
        &mut self.errs[last]
    }

    fn hint(&mut self, msg: String, pos: Pos, hint: &str) {
        let d = self.err(msg, pos);
        d.hint = Some(hint.to_string());
    }

    /// A string at `key` below `node`; numbers and booleans are refused.
    fn string(&mut self, node: &Node, key: &str, full: &str) -> Option<String> {
        let v = node.get(key)?;
        match &v.value {
            Value::Str(s) => Some(s.clone()),
            Value::Null => None,
            _ => {
                self.hint(
                    format!("`{full}` must be a string, got {}", v.type_name()),
                    v.pos,
                    "quote the value",
                );
                None
            }
        }
    }

    /// A map below `node` (None when absent or null).
    fn map<'n>(&mut self, node: &'n Node, key: &str, full: &str) -> Option<&'n Node> {
        let v = node.get(key)?;
        match &v.value {
            Value::Map(_) => Some(v),
            Value::Null => None,
            _ => {
                self.err(
                    format!("`{full}` must be a map, got {}", v.type_name()),
                    v.pos,
                );
                None
            }
        }
    }

    /// A list below `node`, kept as a node (None when absent or null).
    fn list(&mut self, node: &Node, key: &str, full: &str) -> Option<Node> {
        let v = node.get(key)?;
        match &v.value {
            Value::Seq(_) => Some(v.clone()),
            Value::Null => None,
            _ => {
                self.err(
                    format!("`{full}` must be a list, got {}", v.type_name()),
                    v.pos,
                );
                None
            }
        }
    }

    /// Labels or annotations: a map of strings.
    fn string_map(&mut self, node: Option<&Node>, full: &str) -> Vec<(String, String)> {
        let Some(node) = node else { return Vec::new() };
        let Some(map) = node.as_map() else {
            if !node.is_null() {
                self.err(
                    format!(
                        "`{full}` must be a map of strings, got {}",
                        node.type_name()
                    ),
                    node.pos,
                );
            }
            return Vec::new();
        };
        let mut out = Vec::with_capacity(map.len());
        for (k, e) in map {
            match &e.node.value {
                Value::Str(s) => out.push((k.clone(), s.clone())),
                Value::Null => {}
                _ => self.hint(
                    format!("`{full}.{k}` must be a string, got {}", e.node.type_name()),
                    e.node.pos,
                    "Kubernetes labels and annotations are strings: quote the value",
                ),
            }
        }
        out
    }

    fn done<T>(self, value: T) -> Result<T, Error> {
        if self.errs.is_empty() {
            Ok(value)
        } else {
            Err(Error::many(self.errs))
        }
    }
}

/// The `argocd:` block of a merged document.
pub fn argo_settings(doc: &Node, own_file: &str, errs: &mut Vec<Diagnostic>) -> ArgoSettings {
    let mut r = Reader {
        own_file,
        errs: Vec::new(),
    };
    let settings = read_argocd(&mut r, doc, true);
    errs.extend(r.errs);
    settings
}

/// The `argocd:` settings; `root` only when `with_root` (the root
/// app-of-apps is the environment's, not an app's).
fn read_argocd(r: &mut Reader, doc: &Node, with_root: bool) -> ArgoSettings {
    let empty = Node::map(Pos::GENERATED);
    let a = match doc.get("argocd") {
        Some(n) if n.as_map().is_some() => n,
        Some(n) if !n.is_null() => {
            r.err(
                format!("`argocd` must be a map, got {}", n.type_name()),
                n.pos,
            );
            &empty
        }
        _ => &empty,
    };
    let namespace = r
        .string(a, "namespace", "argocd.namespace")
        .unwrap_or_else(|| "argocd".into());
    let project = r
        .string(a, "project", "argocd.project")
        .unwrap_or_else(|| "default".into());
    let target_revision = r
        .string(a, "targetRevision", "argocd.targetRevision")
        .unwrap_or_else(|| "HEAD".into());
    let repo_url = match r.string(a, "repoURL", "argocd.repoURL") {
        Some(s) if !s.is_empty() => s,
        _ => {
            r.errs.push(
                Diagnostic::error("`argocd.repoURL` is not set: nexus needs this repository's URL for the `$values` source")
                    .in_file(r.own_file)
                    .with_hint("set `argocd: {repoURL: https://github.com/<org>/<repo>.git}` in environments/base.yaml"),
            );
            String::new()
        }
    };
    let destination = read_destination(r, a);
    let sync_policy = sync_policy(r, a, "argocd.syncPolicy");
    let root = if with_root {
        read_root(r, a)
    } else {
        RootSettings::default()
    };
    ArgoSettings {
        namespace,
        project,
        repo_url,
        target_revision,
        destination,
        sync_policy,
        application_name: r.string(a, "applicationName", "argocd.applicationName"),
        instance: r.string(a, "instance", "argocd.instance"),
        ignore_differences: r.list(a, "ignoreDifferences", "argocd.ignoreDifferences"),
        info: r.list(a, "info", "argocd.info"),
        revision_history_limit: match a.get("revisionHistoryLimit") {
            Some(n) if matches!(n.value, Value::Int(_)) => Some(n.clone()),
            Some(n) if !n.is_null() => {
                r.err(
                    format!(
                        "`argocd.revisionHistoryLimit` must be an integer, got {}",
                        n.type_name()
                    ),
                    n.pos,
                );
                None
            }
            _ => None,
        },
        finalizers: r.list(a, "finalizers", "argocd.finalizers"),
        root,
    }
}

fn sync_policy(r: &mut Reader, parent: &Node, full: &str) -> Option<Node> {
    let p = r.map(parent, "syncPolicy", full)?;
    p.as_map().is_some_and(|m| !m.is_empty()).then(|| p.clone())
}

fn read_destination(r: &mut Reader, a: &Node) -> Map {
    let mut destination = Map::new();
    if let Some(d) = r.map(a, "destination", "argocd.destination") {
        for k in ["server", "name"] {
            if r.string(d, k, &format!("argocd.destination.{k}")).is_some()
                && let Some(e) = d.as_map().and_then(|m| m.get(k))
            {
                destination.insert(k.to_string(), e.clone());
            }
        }
        if destination.contains_key("server") && destination.contains_key("name") {
            r.hint(
                "`argocd.destination` sets both `server` and `name`; ArgoCD accepts only one"
                    .into(),
                d.pos,
                "unset one of them in a later layer with `server: null` or `name: null`",
            );
        }
    }
    if destination.is_empty() {
        destination.insert(
            "server".into(),
            Entry::new(Pos::GENERATED, Node::str(IN_CLUSTER, Pos::GENERATED)),
        );
    }
    destination
}

fn read_root(r: &mut Reader, a: &Node) -> RootSettings {
    let empty = Node::map(Pos::GENERATED);
    let root = r.map(a, "root", "argocd.root").unwrap_or(&empty);
    RootSettings {
        name: r.string(root, "name", "argocd.root.name"),
        project: r
            .string(root, "project", "argocd.root.project")
            .unwrap_or_else(|| "default".into()),
        labels: r.string_map(root.get("labels"), "argocd.root.labels"),
        annotations: r.string_map(root.get("annotations"), "argocd.root.annotations"),
        sync_policy: sync_policy(r, root, "argocd.root.syncPolicy"),
        finalizers: r.list(root, "finalizers", "argocd.root.finalizers"),
    }
}

/// The chart of an app, from `app.chart`.
fn read_chart(r: &mut Reader, c: &Node) -> Option<ChartSource> {
    let s = |r: &mut Reader, k: &str| r.string(c, k, &format!("app.chart.{k}"));
    let path = s(r, "path");
    let repo = s(r, "repoURL");
    let chart = s(r, "chart");
    let rev = s(r, "targetRevision");
    match (path, repo, chart) {
        (Some(path), None, None) => Some(ChartSource::Path {
            path: path.trim_matches('/').to_string(),
            target_revision: rev,
        }),
        (Some(path), Some(repo_url), None) => Some(ChartSource::Git {
            repo_url,
            path: path.trim_matches('/').to_string(),
            target_revision: rev.unwrap_or_default(),
        }),
        (None, Some(repo_url), Some(chart)) => Some(ChartSource::Repo {
            repo_url,
            chart,
            target_revision: rev.unwrap_or_default(),
        }),
        (Some(_), _, Some(_)) => {
            r.hint(
                "`app.chart` sets both `path` and `chart`".into(),
                c.pos,
                "use `repoURL` + `chart` for a Helm repository or OCI registry, `repoURL` + `path` for a chart in another git repository, or `path` alone for a chart in this repository; unset the other with null, or replace the inherited chart with `chart!:`",
            );
            None
        }
        _ => {
            r.hint(
                "`app.chart` needs `repoURL` and `chart` (a Helm repository or OCI registry), `repoURL` and `path` (another git repository) or `path` (this repository)".into(),
                c.pos,
                "for example `chart: {repoURL: https://charts.bitnami.com/bitnami, chart: postgresql, targetRevision: 15.5.0}`",
            );
            None
        }
    }
}

/// Build the [`AppSpec`] of a merged, templated app document.
pub fn app_spec(
    name: &str,
    env_slug: &str,
    doc: Node,
    own_file: &str,
    layers: Vec<String>,
) -> Result<AppSpec, Error> {
    let mut r = Reader {
        own_file,
        errs: Vec::new(),
    };
    let argocd = read_argocd(&mut r, &doc, false);
    let empty = Node::map(Pos::GENERATED);
    let app = match doc.get("app") {
        Some(n) if n.as_map().is_some() => n,
        _ => &empty,
    };
    let namespace = r
        .string(app, "namespace", "app.namespace")
        .unwrap_or_else(|| name.to_string());
    let (chart, chart_pos) = match app.get("chart") {
        Some(c) if c.as_map().is_some() => (read_chart(&mut r, c), c.pos),
        Some(c) if !c.is_null() => {
            r.err(
                format!("`app.chart` must be a map, got {}", c.type_name()),
                c.pos,
            );
            (None, c.pos)
        }
        _ => (None, Pos::GENERATED),
    };
    let helm = r.map(app, "helm", "app.helm").cloned();
    let release_name = helm
        .as_ref()
        .and_then(|h| r.string(h, "releaseName", "app.helm.releaseName"))
        .unwrap_or_else(|| name.to_string());
    let sources = match r.list(app, "sources", "app.sources") {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => {
            for item in items.iter().filter(|i| i.as_map().is_none()) {
                r.hint(
                    format!(
                        "`app.sources` entries must be ArgoCD sources (maps), got {}",
                        item.type_name()
                    ),
                    item.pos,
                    "write `sources: [{path: manifests/x}]`",
                );
            }
            items
        }
        _ => Vec::new(),
    };
    let mut depends_on = Vec::new();
    if let Some(Node {
        value: Value::Seq(items),
        ..
    }) = r.list(app, "dependsOn", "app.dependsOn")
    {
        for item in &items {
            match item.as_str() {
                Some(s) => {
                    if !depends_on.iter().any(|(d, _)| d == s) {
                        depends_on.push((s.to_string(), item.pos));
                    }
                }
                None => {
                    r.err(
                        format!(
                            "`app.dependsOn` entries must be app names, got {}",
                            item.type_name()
                        ),
                        item.pos,
                    );
                }
            }
        }
    }
    let sync_wave = match app.get("syncWave") {
        Some(n) => match n.value {
            Value::Int(i) => Some((i, n.pos)),
            Value::Null => None,
            _ => {
                r.err(
                    format!("`app.syncWave` must be an integer, got {}", n.type_name()),
                    n.pos,
                );
                None
            }
        },
        None => None,
    };
    let labels = r.string_map(app.get("labels"), "app.labels");
    let annotations = r.string_map(app.get("annotations"), "app.annotations");
    let manifests = match r.list(app, "manifests", "app.manifests") {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items,
        _ => Vec::new(),
    };
    // The values stay in `doc` (see [`AppSpec::values`]); a copy per app
    // was a quarter of the memory of a large render.
    if let Some(n) = app.get("values")
        && n.as_map().is_none()
        && !n.is_null()
    {
        r.err(
            format!(
                "`app.values` must be a map of Helm values, got {}",
                n.type_name()
            ),
            n.pos,
        );
    }
    let mut lint_ignore = Vec::new();
    if let Some(m) = r
        .map(app, "lintIgnore", "app.lintIgnore")
        .and_then(Node::as_map)
    {
        for (rule, e) in m.iter() {
            match &e.node.value {
                Value::Str(s) => lint_ignore.push((rule.clone(), s.clone(), e.key_pos)),
                Value::Null => {}
                _ => {
                    r.err(
                        format!(
                            "`app.lintIgnore.{rule}` must be the reason as a string, got {}",
                            e.node.type_name()
                        ),
                        e.node.pos,
                    );
                }
            }
        }
    }
    if chart.is_none() && sources.is_empty() && manifests.is_empty() && r.errs.is_empty() {
        r.errs.push(
            Diagnostic::error(format!(
                "app `{name}` has nothing to deploy: no `app.chart`, `app.sources` or `app.manifests`"
            ))
            .in_file(own_file)
            .with_hint(format!(
                "set a chart (`chart: {{repoURL: ..., chart: ..., targetRevision: ...}}` or `chart: {{path: charts/{name}}}`), plain manifests or a kustomization (`sources: [{{path: manifests/{name}}}]`), or objects in `manifests:` in {own_file}"
            )),
        );
    }
    let application_name = argocd
        .application_name
        .clone()
        .unwrap_or_else(|| format!("{name}-{env_slug}"));
    r.done(AppSpec {
        name: name.to_string(),
        namespace,
        chart,
        chart_pos,
        helm,
        release_name,
        sources,
        application_name,
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
        chart_defaults: None,
    })
}

/// Is the merged `app.enabled` anything but `false`? A non-boolean is an error.
pub fn enabled(doc: &Node, own_file: &str) -> Result<bool, Error> {
    match doc.get_path("app.enabled") {
        None => Ok(true),
        Some(n) => match n.value {
            Value::Bool(b) => Ok(b),
            Value::Null => Ok(true),
            _ => {
                let mut r = Reader {
                    own_file,
                    errs: Vec::new(),
                };
                r.err(
                    format!("`app.enabled` must be true or false, got {}", n.type_name()),
                    n.pos,
                );
                r.done(true)
            }
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
