//! One ArgoCD Application as the layer document of its app in its
//! environment: the chart, the Application's settings, and the Helm values
//! stacked the way Helm stacks them (`-f` value files in order, then the
//! inline values, then `--set` parameters).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use super::read::{Object, Placement};
use crate::model::FINALIZER;
use crate::source::{Files, join_rel, parent_rel};
use crate::yaml::load::{self, Limits};
use crate::yaml::node::{Entry, Map, Node, Pos, Value};

/// This repository as the Applications name it.
#[derive(Debug, Clone)]
pub struct ThisRepo {
    pub url: String,
    pub revision: String,
}

/// One converted Application.
#[derive(Debug, Clone)]
pub struct Converted {
    pub placement: Placement,
    /// The original.
    pub original: Object,
    /// `{argocd: {...}, app: {...}}` for this app in this environment.
    pub doc: Node,
    /// The Helm values the chart must get (also `doc.app.values`).
    pub values: Node,
    /// Value files folded into the values (repository-relative), for the
    /// size report.
    pub value_files: Vec<String>,
    /// Value files of the chart itself, kept in `app.helm.valueFiles`.
    pub kept_value_files: Vec<String>,
}

/// Why an Application is not imported.
pub type Skip = String;

fn s(v: &str) -> Node {
    Node::str(v, Pos::GENERATED)
}

fn map(pairs: Vec<(&str, Node)>) -> Node {
    crate::render::map_node(pairs.into_iter().map(|(k, v)| (k.to_string(), v)))
}

fn str_of<'a>(n: &'a Node, path: &str) -> Option<&'a str> {
    n.get_path(path).and_then(Node::as_str)
}

pub use crate::model::same_repo;

/// The sources of an Application: `spec.sources`, or `spec.source` alone.
pub fn sources(app: &Node) -> Vec<&Node> {
    match app.get_path("spec.sources").and_then(Node::as_seq) {
        Some(list) => list.iter().collect(),
        None => app.get_path("spec.source").into_iter().collect(),
    }
}

/// Helm's value merging (`-f a -f b`): maps merge key by key, anything
/// else in `src` replaces what `dst` had (a null included).
pub fn stack(dst: &mut Node, src: &Node) {
    let Value::Map(sm) = &src.value else {
        *dst = src.clone();
        return;
    };
    if !matches!(dst.value, Value::Map(_)) {
        *dst = Node::map(src.pos);
    }
    let Some(dm) = dst.as_map_mut() else { return };
    for (k, e) in sm.iter() {
        match dm.get_mut(k) {
            Some(d) if d.node.as_map().is_some() && e.node.as_map().is_some() => {
                stack(&mut d.node, &e.node);
            }
            Some(d) => d.node = e.node.clone(),
            None => {
                dm.insert(k.clone(), e.clone());
            }
        }
    }
}

/// One step of a `--set` path.
#[derive(Debug, Clone, PartialEq)]
enum SetSeg {
    Key(String),
    Index(usize),
}

/// A `--set` path: `a.b[0].c`, `a\.b` for a dot in a key.
fn set_path(name: &str) -> Result<Vec<SetSeg>, Skip> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '.' => out.push(SetSeg::Key(std::mem::take(&mut cur))),
            '[' => {
                if !cur.is_empty() {
                    out.push(SetSeg::Key(std::mem::take(&mut cur)));
                }
                let idx: String = chars.by_ref().take_while(|c| *c != ']').collect();
                match idx.trim().parse::<usize>() {
                    Ok(i) => out.push(SetSeg::Index(i)),
                    Err(_) => {
                        return Err(format!(
                            "helm parameter `{name}`: `[{idx}]` is not a list index"
                        ));
                    }
                }
                if chars.peek() == Some(&'.') {
                    chars.next();
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(SetSeg::Key(cur));
    }
    if out.is_empty()
        || out
            .iter()
            .any(|s| matches!(s, SetSeg::Key(k) if k.is_empty()))
    {
        return Err(format!("helm parameter `{name}` is not a path"));
    }
    Ok(out)
}

/// A `--set` value as Helm types it (`strvals.typedVal`): `true`/`false`,
/// `null`, an integer not starting with 0, else text.
fn typed(value: &str, force_string: bool) -> Node {
    if force_string {
        return s(value);
    }
    let v = if value.eq_ignore_ascii_case("true") {
        Value::Bool(true)
    } else if value.eq_ignore_ascii_case("false") {
        Value::Bool(false)
    } else if value.eq_ignore_ascii_case("null") {
        Value::Null
    } else if value == "0" {
        Value::Int(0)
    } else if !value.starts_with('0') && !value.is_empty() {
        match value.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Str(value.to_string()),
        }
    } else {
        Value::Str(value.to_string())
    };
    Node::new(v, Pos::GENERATED)
}

/// A parameter's value as Helm reads what ArgoCD passes: ArgoCD escapes
/// commas except in a `{a,b}` value, which Helm reads as a list.
fn param_value(text: &str, force_string: bool) -> Node {
    match text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        Some(inner) => Node::new(
            Value::Seq(
                inner
                    .split(',')
                    .map(|item| typed(item, force_string))
                    .collect(),
            ),
            Pos::GENERATED,
        ),
        None => typed(text, force_string),
    }
}

/// Apply one Helm parameter (`--set name=value`).
fn set_param(values: &mut Node, name: &str, value: Node) -> Result<(), Skip> {
    let path = set_path(name)?;
    let mut cur = values;
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let next: &mut Node = match seg {
            SetSeg::Key(key) => {
                if !matches!(cur.value, Value::Map(_)) {
                    *cur = Node::map(Pos::GENERATED);
                }
                let Value::Map(m) = &mut cur.value else {
                    return Err("internal: not a map".into());
                };
                if m.get(key).is_none() {
                    m.insert(
                        key.clone(),
                        Entry::new(Pos::GENERATED, Node::map(Pos::GENERATED)),
                    );
                }
                match m.get_mut(key) {
                    Some(e) => &mut e.node,
                    None => return Err("internal: key just inserted is missing".into()),
                }
            }
            SetSeg::Index(idx) => {
                if *idx > 10_000 {
                    return Err(format!(
                        "helm parameter `{name}`: list index {idx} is too large"
                    ));
                }
                if !matches!(cur.value, Value::Seq(_)) {
                    *cur = Node::new(Value::Seq(Vec::new()), Pos::GENERATED);
                }
                let Value::Seq(items) = &mut cur.value else {
                    return Err("internal: not a list".into());
                };
                while items.len() <= *idx {
                    items.push(Node::null(Pos::GENERATED));
                }
                &mut items[*idx]
            }
        };
        if last {
            *next = value;
            return Ok(());
        }
        cur = next;
    }
    Ok(())
}

/// Read a values file of this repository with positions.
fn read_values(root: &Path, rel: &str, files: &Files) -> Result<Option<Node>, Skip> {
    let text = match std::fs::read_to_string(root.join(rel)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read value file {rel}: {e}")),
    };
    let text: Arc<str> = Arc::from(text);
    let id = files.add(rel.to_string(), text.clone());
    // Helm reads the first document of a values file.
    match load::parse_all(&text, id, &Limits::default()) {
        Ok(docs) => match docs.into_iter().next() {
            Some(n) if n.as_map().is_some() => Ok(Some(n)),
            Some(_) => Err(format!("value file {rel} is not a map")),
            None => Ok(Some(Node::map(Pos::new(id, 1, 1)))),
        },
        Err(e) => Err(format!("value file {rel}:{}: {}", e.line, e.message)),
    }
}

/// Is a source a Helm chart (a `chart:`, a `helm:` block, or a directory of
/// this repository with a Chart.yaml)?
fn is_chart(src: &Node, root: &Path, this: &ThisRepo) -> bool {
    if src.get("chart").is_some() || src.get("helm").is_some() {
        return true;
    }
    let here = src
        .get("repoURL")
        .and_then(Node::as_str)
        .is_some_and(|u| same_repo(u, &this.url));
    here && src
        .get("path")
        .and_then(Node::as_str)
        .is_some_and(|p| root.join(p).join("Chart.yaml").is_file())
}

/// Keys of `spec.source(s)[i].helm` kept as `app.helm` options (the
/// release name and chart-internal value files aside).
pub const HELM_OPTIONS: &[&str] = &[
    "fileParameters",
    "skipCrds",
    "skipSchemaValidation",
    "skipTests",
    "passCredentials",
    "ignoreMissingValueFiles",
    "version",
    "kubeVersion",
    "apiVersions",
    "namespace",
];

/// Convert one Application.
pub fn convert(
    obj: &Object,
    placement: Placement,
    this: &ThisRepo,
    root: &Path,
    files: &Files,
) -> Result<Converted, Skip> {
    let app = &obj.node;
    let name = obj.name().to_string();
    if app.get_path("spec.source").is_some() && app.get_path("spec.sources").is_some() {
        return Err("has both `source` and `sources`".into());
    }
    let all = sources(app);
    if all.is_empty() {
        return Err("has no source".into());
    }
    // `ref` sources name a repository for `$values/...`.
    let refs: Vec<(&str, &str)> = all
        .iter()
        .filter_map(|src| {
            Some((
                src.get("ref").and_then(Node::as_str)?,
                src.get("repoURL").and_then(Node::as_str)?,
            ))
        })
        .collect();
    let charts: Vec<&&Node> = all
        .iter()
        .filter(|src| src.get("ref").is_none() && is_chart(src, root, this))
        .collect();
    if charts.len() > 1 {
        return Err("has more than one Helm chart source; nexus renders one chart per app".into());
    }
    let mut app_pairs: Vec<(&str, Node)> = Vec::new();
    let mut values = Node::map(Pos::GENERATED);
    let mut value_files = Vec::new();
    let mut kept_value_files = Vec::new();
    // The chart, its options and its values.
    if let Some(chart) = charts.first() {
        if chart.get("plugin").is_some()
            || chart.get("kustomize").is_some()
            || chart.get("directory").is_some()
        {
            return Err("its Helm source also has plugin, kustomize or directory settings".into());
        }
        let repo = chart.get("repoURL").and_then(Node::as_str).unwrap_or("");
        let revision = chart.get("targetRevision").and_then(Node::as_str);
        let here = repo.is_empty() || same_repo(repo, &this.url);
        let chart_node = if let Some(c) = chart.get("chart").and_then(Node::as_str) {
            map(vec![
                ("repoURL", s(repo)),
                ("chart", s(c)),
                ("targetRevision", s(revision.unwrap_or(""))),
            ])
        } else {
            let path = chart.get("path").and_then(Node::as_str).unwrap_or("");
            if here {
                let mut pairs = vec![("path", s(path))];
                if let Some(r) = revision.filter(|r| *r != this.revision) {
                    pairs.push(("targetRevision", s(r)));
                }
                map(pairs)
            } else {
                map(vec![
                    ("repoURL", s(repo)),
                    ("path", s(path)),
                    ("targetRevision", s(revision.unwrap_or("HEAD"))),
                ])
            }
        };
        app_pairs.push(("chart", chart_node));
        let helm = chart.get("helm");
        let mut helm_pairs: Vec<(&str, Node)> = Vec::new();
        let mut kept_files: Vec<Node> = Vec::new();
        let ignore_missing = helm
            .and_then(|h| h.get("ignoreMissingValueFiles"))
            .and_then(Node::as_bool)
            == Some(true);
        let chart_dir = chart.get("path").and_then(Node::as_str).unwrap_or("");
        for f in helm
            .and_then(|h| h.get("valueFiles"))
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let Some(f) = f.as_str() else {
                return Err("a `valueFiles` entry is not a string".into());
            };
            // `$values/path` in the repository a `ref` source names; else a
            // path relative to a chart in this repository; else a file of
            // the chart itself (kept as it is).
            let local = if let Some(rest) = f.strip_prefix('$') {
                let (r, path) = rest.split_once('/').unwrap_or((rest, ""));
                match refs.iter().find(|(name, _)| *name == r) {
                    Some((_, url)) if same_repo(url, &this.url) => join_rel("", path),
                    Some((_, url)) => {
                        return Err(format!(
                            "its value file `{f}` is in another repository ({url}); nexus can only fold in files of this one"
                        ));
                    }
                    None => return Err(format!("its value file `{f}` names no `ref` source")),
                }
            } else if here && chart.get("chart").is_none() {
                join_rel(chart_dir, f)
            } else {
                None
            };
            match local {
                Some(rel) => {
                    // Every file listed is stacked, the chart's own
                    // values.yaml too: Helm gets it as one more `-f`.
                    match read_values(root, &rel, files)? {
                        Some(v) => {
                            stack(&mut values, &v);
                            value_files.push(rel);
                        }
                        None if ignore_missing => {}
                        None => return Err(format!("its value file {rel} does not exist")),
                    }
                }
                None if f.starts_with('$') || f.contains("..") => {
                    return Err(format!("its value file `{f}` leaves the repository"));
                }
                None => kept_files.push(s(f)),
            }
        }
        if let Some(h) = helm {
            // Inline values: `valuesObject` wins over `values` (ArgoCD).
            if let Some(obj) = h.get("valuesObject") {
                if obj.as_map().is_none() {
                    return Err("`helm.valuesObject` is not a map".into());
                }
                stack(&mut values, obj);
            } else if let Some(text) = h.get("values").and_then(Node::as_str) {
                let id = files.add(
                    format!("{}:{} (helm.values)", obj.file, obj.line),
                    Arc::from(text),
                );
                match load::parse_all(text, id, &Limits::default()) {
                    Ok(docs) => {
                        if let Some(v) = docs.into_iter().next() {
                            if v.as_map().is_none() {
                                return Err("`helm.values` is not a map".into());
                            }
                            stack(&mut values, &v);
                        }
                    }
                    Err(e) => {
                        return Err(format!("`helm.values` is not readable YAML: {}", e.message));
                    }
                }
            }
            for p in h
                .get("parameters")
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                let (Some(n), Some(v)) = (p.get("name").and_then(Node::as_str), p.get("value"))
                else {
                    return Err("a helm parameter needs `name` and `value`".into());
                };
                let text = match &v.value {
                    Value::Str(t) => t.clone(),
                    Value::Null => String::new(),
                    _ => crate::yaml::emit::flow(v),
                };
                let force = p.get("forceString").and_then(Node::as_bool) == Some(true);
                set_param(&mut values, n, param_value(&text, force))?;
            }
            if let Some(m) = h.as_map() {
                for (k, e) in m.iter() {
                    if HELM_OPTIONS.contains(&k.as_str()) {
                        helm_pairs.push((k.as_str(), e.node.clone()));
                    } else if !matches!(
                        k.as_str(),
                        "valueFiles" | "values" | "valuesObject" | "parameters" | "releaseName"
                    ) {
                        return Err(format!("its `helm.{k}` is not something nexus can write"));
                    }
                }
            }
        }
        // ArgoCD's release name defaults to the Application's name; nexus's
        // to the app's: keep what ArgoCD used.
        let release = helm
            .and_then(|h| h.get("releaseName"))
            .and_then(Node::as_str)
            .unwrap_or(&name)
            .to_string();
        if release != placement.app {
            helm_pairs.insert(0, ("releaseName", s(&release)));
        }
        if !kept_files.is_empty() {
            kept_value_files = kept_files
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect();
            helm_pairs.push((
                "valueFiles",
                Node::new(Value::Seq(kept_files), Pos::GENERATED),
            ));
        }
        if !helm_pairs.is_empty() {
            app_pairs.push(("helm", map(helm_pairs)));
        }
    }
    // Other sources, as written.
    let extra: Vec<Node> = all
        .iter()
        .filter(|src| src.get("ref").is_none() && !is_chart(src, root, this))
        .map(|src| (*src).clone())
        .collect();
    if charts.is_empty() && extra.is_empty() {
        return Err("has only `ref` sources".into());
    }
    for src in &extra {
        let here = src
            .get("repoURL")
            .and_then(Node::as_str)
            .is_none_or(|u| same_repo(u, &this.url));
        let path = src
            .get("path")
            .and_then(Node::as_str)
            .unwrap_or("")
            .trim_start_matches("./");
        if here && (path == "deploy" || path.starts_with("deploy/")) {
            return Err(format!(
                "syncs `{path}`, inside `deploy/`, which `nexus render` replaces; move those files out of deploy/ (or into `app.manifests`) and import again"
            ));
        }
    }
    if !extra.is_empty() {
        app_pairs.push(("sources", Node::new(Value::Seq(extra), Pos::GENERATED)));
    }
    // Labels, annotations, the sync wave.
    let meta = app.get("metadata");
    if let Some(labels) = meta
        .and_then(|m| m.get("labels"))
        .filter(|l| l.as_map().is_some_and(|m| !m.is_empty()))
    {
        app_pairs.push(("labels", labels.clone()));
    }
    let mut annotations = Map::default();
    let mut wave = None;
    if let Some(a) = meta
        .and_then(|m| m.get("annotations"))
        .and_then(Node::as_map)
    {
        for (k, e) in a.iter() {
            if k == "argocd.argoproj.io/sync-wave" {
                let w = e.node.as_str().and_then(|t| t.trim().parse::<i64>().ok());
                match w {
                    Some(w) => wave = Some(w),
                    None => return Err("its sync-wave annotation is not an integer".into()),
                }
            } else {
                annotations.insert(k.clone(), e.clone());
            }
        }
    }
    if !annotations.is_empty() {
        app_pairs.push((
            "annotations",
            Node::new(Value::Map(annotations), Pos::GENERATED),
        ));
    }
    if let Some(w) = wave {
        app_pairs.push(("syncWave", Node::new(Value::Int(w), Pos::GENERATED)));
    }
    let dest = app.get_path("spec.destination");
    let namespace = dest
        .and_then(|d| d.get("namespace"))
        .and_then(Node::as_str)
        .unwrap_or("");
    if namespace.is_empty() {
        return Err("has no destination namespace; nexus needs one".into());
    }
    app_pairs.push(("namespace", s(namespace)));
    if !charts.is_empty() {
        app_pairs.push(("values", values.clone()));
    }
    // The Application's own settings.
    let mut argo: Vec<(&str, Node)> = Vec::new();
    let ns = str_of(app, "metadata.namespace").unwrap_or("argocd");
    if ns != "argocd" {
        argo.push(("namespace", s(ns)));
    }
    argo.push((
        "project",
        s(str_of(app, "spec.project").unwrap_or("default")),
    ));
    let mut dest_pairs = Vec::new();
    for key in ["server", "name"] {
        if let Some(v) = dest.and_then(|d| d.get(key)).and_then(Node::as_str) {
            dest_pairs.push((key, s(v)));
        }
    }
    if dest_pairs.is_empty() {
        return Err("has no destination cluster (server or name)".into());
    }
    argo.push(("destination", map(dest_pairs)));
    let sync = app.get_path("spec.syncPolicy").cloned();
    let prune = sync
        .as_ref()
        .and_then(|p| p.get_path("automated.prune"))
        .and_then(Node::as_bool)
        == Some(true);
    argo.push((
        "syncPolicy",
        sync.unwrap_or_else(|| Node::null(Pos::GENERATED)),
    ));
    for (key, path) in [
        ("ignoreDifferences", "spec.ignoreDifferences"),
        ("info", "spec.info"),
        ("revisionHistoryLimit", "spec.revisionHistoryLimit"),
    ] {
        if let Some(v) = app.get_path(path) {
            argo.push((key, v.clone()));
        }
    }
    // Finalizers: written when they are not what nexus would put there.
    let finalizers: Vec<String> = meta
        .and_then(|m| m.get("finalizers"))
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    let default: Vec<String> = if prune {
        vec![FINALIZER.to_string()]
    } else {
        Vec::new()
    };
    if finalizers != default {
        argo.push((
            "finalizers",
            Node::new(
                Value::Seq(finalizers.iter().map(|f| s(f)).collect()),
                Pos::GENERATED,
            ),
        ));
    }
    argo.push(("applicationName", s(&name)));
    // Anything else in spec is something nexus does not write.
    let known: BTreeSet<&str> = [
        "source",
        "sources",
        "destination",
        "project",
        "syncPolicy",
        "ignoreDifferences",
        "info",
        "revisionHistoryLimit",
    ]
    .into_iter()
    .collect();
    if let Some(spec) = app.get("spec").and_then(Node::as_map)
        && let Some((k, _)) = spec.iter().find(|(k, _)| !known.contains(k.as_str()))
    {
        return Err(format!("its `spec.{k}` is not something nexus can write"));
    }
    let doc = map(vec![("argocd", map(argo)), ("app", map(app_pairs))]);
    Ok(Converted {
        placement,
        original: obj.clone(),
        doc,
        values,
        value_files,
        kept_value_files,
    })
}

/// The fields of ArgoCD's `SyncPolicy`, by path. The Application CRD's
/// structural schema prunes anything else when the object is stored, so
/// such a field never reaches the cluster.
const SYNC_POLICY_FIELDS: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "automated",
            "syncOptions",
            "retry",
            "managedNamespaceMetadata",
        ],
    ),
    ("automated", &["prune", "selfHeal", "allowEmpty", "enabled"]),
    ("retry", &["limit", "backoff"]),
    ("retry.backoff", &["duration", "factor", "maxDuration"]),
    ("managedNamespaceMetadata", &["labels", "annotations"]),
];

/// Drop from `spec.syncPolicy` the fields ArgoCD does not have (a
/// `createNamespace: true` under `automated` is a common one); returns
/// their paths.
pub fn prune_sync_policy(app: &mut Node) -> Vec<String> {
    let mut dropped = Vec::new();
    let Some(policy) = app
        .as_map_mut()
        .and_then(|m| m.get_mut("spec"))
        .and_then(|e| e.node.as_map_mut())
        .and_then(|m| m.get_mut("syncPolicy"))
        .map(|e| &mut e.node)
    else {
        return dropped;
    };
    for (at, known) in SYNC_POLICY_FIELDS {
        let mut node = Some(&mut *policy);
        for part in at.split('.').filter(|p| !p.is_empty()) {
            node = node
                .and_then(|n| n.as_map_mut())
                .and_then(|m| m.get_mut(part))
                .map(|e| &mut e.node);
        }
        let Some(m) = node.and_then(|n| n.as_map_mut()) else {
            continue;
        };
        let unknown: Vec<String> = m
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| !known.contains(&k.as_str()))
            .collect();
        for k in unknown {
            m.shift_remove(&k);
            dropped.push(if at.is_empty() {
                format!("spec.syncPolicy.{k}")
            } else {
                format!("spec.syncPolicy.{at}.{k}")
            });
        }
    }
    dropped
}

/// The app-of-apps of an environment: an Application whose sources are all
/// directories of this repository (no chart), one of them holding the
/// environment's Applications (others may hold its AppProjects).
pub fn is_root(obj: &Object, app_files: &[&str], project_files: &[&str], this: &ThisRepo) -> bool {
    let all = sources(&obj.node);
    let holds = |src: &Node, files: &[&str]| {
        let Some(p) = src.get("path").and_then(Node::as_str) else {
            return false;
        };
        let p = p.trim_matches('/');
        let recurse = src.get_path("directory.recurse").and_then(Node::as_bool) == Some(true);
        files
            .iter()
            .any(|f| parent_rel(f) == p || (recurse && f.starts_with(&format!("{p}/"))))
    };
    !all.is_empty()
        && all.iter().all(|src| {
            src.get("repoURL")
                .and_then(Node::as_str)
                .is_some_and(|u| same_repo(u, &this.url))
                && src.get("chart").is_none()
                && src.get("helm").is_none()
                && (holds(src, app_files) || holds(src, project_files))
        })
        && all.iter().any(|src| holds(src, app_files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_parameters_as_helm_types_them() {
        let mut v = Node::map(Pos::GENERATED);
        set_param(&mut v, "image.tag", typed("1.2", false)).unwrap();
        set_param(&mut v, "replicas", typed("3", false)).unwrap();
        set_param(&mut v, "zero", typed("0", false)).unwrap();
        set_param(&mut v, "octal", typed("012", false)).unwrap();
        set_param(&mut v, "flag", typed("True", false)).unwrap();
        set_param(&mut v, "str", typed("3", true)).unwrap();
        set_param(&mut v, "list[1].name", typed("b", false)).unwrap();
        set_param(&mut v, "a\\.b", typed("x", false)).unwrap();
        assert_eq!(
            v.get_path("image.tag").unwrap().value,
            Value::Str("1.2".into())
        );
        assert_eq!(v.get("replicas").unwrap().value, Value::Int(3));
        assert_eq!(v.get("zero").unwrap().value, Value::Int(0));
        assert_eq!(v.get("octal").unwrap().value, Value::Str("012".into()));
        assert_eq!(v.get("flag").unwrap().value, Value::Bool(true));
        assert_eq!(v.get("str").unwrap().value, Value::Str("3".into()));
        assert_eq!(v.get_path("list.0").unwrap().value, Value::Null);
        assert_eq!(
            v.get_path("list.1.name").unwrap().value,
            Value::Str("b".into())
        );
        assert!(v.as_map().unwrap().get("a.b").is_some());
        let list = param_value("{a,2}", false);
        assert_eq!(list.get_path("0").unwrap().value, Value::Str("a".into()));
        assert_eq!(list.get_path("1").unwrap().value, Value::Int(2));
        assert_eq!(param_value("a,b", false).value, Value::Str("a,b".into()));
    }

    #[test]
    fn stacking_is_helms() {
        let parse = |t: &str| {
            load::parse_one(t, crate::yaml::node::FileId(0), &Limits::default())
                .unwrap()
                .unwrap()
        };
        let mut v = parse("a: {b: 1, c: [1, 2]}\nd: x\n");
        stack(&mut v, &parse("a: {c: [3], e: null}\nd: {k: 1}\n"));
        assert_eq!(v.get_path("a.b").unwrap().value, Value::Int(1));
        assert_eq!(v.get_path("a.c.0").unwrap().value, Value::Int(3));
        assert!(v.get_path("a.c.1").is_none());
        assert_eq!(v.get_path("a.e").unwrap().value, Value::Null);
        assert_eq!(v.get_path("d.k").unwrap().value, Value::Int(1));
    }
}
