//! The round trip: render the imported layers in memory and compare with
//! the originals. Every values file must equal Helm's stacking of the
//! original value files, inline values and parameters; every Application
//! must equal the original field by field, apart from the sources that now
//! point at `deploy/`.

use std::collections::BTreeMap;

use super::convert::{Converted, ThisRepo, same_repo, sources};
use crate::model::{EnvRender, OutputKind};
use crate::yaml::emit::{flow, same_values};
use crate::yaml::node::{Node, Value};

/// One difference between an original and what nexus renders.
#[derive(Debug, Clone)]
pub struct Difference {
    /// `file:line` of the original Application.
    pub at: String,
    pub application: String,
    pub what: String,
}

fn absent_or_empty(n: Option<&Node>) -> bool {
    match n {
        None => true,
        Some(n) => match &n.value {
            Value::Null => true,
            Value::Seq(s) => s.is_empty(),
            Value::Map(m) => m.is_empty(),
            _ => false,
        },
    }
}

/// Two optional values are the same (absent, null and empty alike).
fn same(a: Option<&Node>, b: Option<&Node>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => same_values(x, y) || (absent_or_empty(a) && absent_or_empty(b)),
        _ => absent_or_empty(a) && absent_or_empty(b),
    }
}

fn show(n: Option<&Node>) -> String {
    n.map_or_else(|| "(none)".to_string(), flow)
}

/// A map without some keys (for comparing annotations without the wave).
fn without(n: Option<&Node>, keys: &[&str]) -> Option<Node> {
    let mut n = n?.clone();
    if let Some(m) = n.as_map_mut() {
        for k in keys {
            m.shift_remove(k);
        }
    }
    Some(n)
}

/// Compare one Application with the rendered one.
fn application(c: &Converted, rendered: &Node, this: &ThisRepo, out: &mut Vec<String>) {
    let o = &c.original.node;
    let check = |out: &mut Vec<String>, what: &str, a: Option<&Node>, b: Option<&Node>| {
        if !same(a, b) {
            out.push(format!(
                "{what}: the original has {}, nexus renders {}",
                show(a),
                show(b)
            ));
        }
    };
    check(
        out,
        "metadata.name",
        o.get_path("metadata.name"),
        rendered.get_path("metadata.name"),
    );
    let ns = o
        .get_path("metadata.namespace")
        .and_then(Node::as_str)
        .unwrap_or("argocd");
    if rendered
        .get_path("metadata.namespace")
        .and_then(Node::as_str)
        != Some(ns)
    {
        out.push(format!(
            "metadata.namespace: the original has {ns}, nexus renders {}",
            show(rendered.get_path("metadata.namespace"))
        ));
    }
    check(
        out,
        "metadata.labels",
        o.get_path("metadata.labels"),
        rendered.get_path("metadata.labels"),
    );
    const WAVE: &str = "argocd.argoproj.io/sync-wave";
    let (oa, ra) = (
        o.get_path("metadata.annotations"),
        rendered.get_path("metadata.annotations"),
    );
    check(
        out,
        "metadata.annotations",
        without(oa, &[WAVE]).as_ref(),
        without(ra, &[WAVE]).as_ref(),
    );
    if let Some(w) = oa.and_then(|a| a.get(WAVE)) {
        let rw = ra.and_then(|a| a.get(WAVE));
        let num = |n: Option<&Node>| {
            n.and_then(Node::as_str)
                .and_then(|s| s.trim().parse::<i64>().ok())
        };
        if num(Some(w)) != num(rw) {
            out.push(format!(
                "the sync wave: the original has {}, nexus renders {}",
                show(Some(w)),
                show(rw)
            ));
        }
    }
    check(
        out,
        "metadata.finalizers",
        o.get_path("metadata.finalizers"),
        rendered.get_path("metadata.finalizers"),
    );
    for key in [
        "project",
        "destination",
        "syncPolicy",
        "ignoreDifferences",
        "info",
        "revisionHistoryLimit",
    ] {
        check(
            out,
            &format!("spec.{key}"),
            o.get_path(&format!("spec.{key}")),
            rendered.get_path(&format!("spec.{key}")),
        );
    }
    // Sources: the original's, without `ref` sources, against nexus's
    // without its own values ref and manifests source.
    let rendered_sources: Vec<&Node> = sources(rendered)
        .into_iter()
        .filter(|s| s.get("ref").is_none())
        .collect();
    let mut ri = rendered_sources.iter();
    for src in sources(o).into_iter().filter(|s| s.get("ref").is_none()) {
        let Some(r) = ri.next() else {
            out.push(format!("a source is missing: {}", flow(src)));
            continue;
        };
        let here = |u: Option<&str>| u.is_none_or(|u| same_repo(u, &this.url));
        if src
            .get("repoURL")
            .and_then(Node::as_str)
            .map(str::to_string)
            != r.get("repoURL").and_then(Node::as_str).map(str::to_string)
            && !(here(src.get("repoURL").and_then(Node::as_str))
                && here(r.get("repoURL").and_then(Node::as_str)))
        {
            out.push(format!(
                "source repoURL: the original has {}, nexus renders {}",
                show(src.get("repoURL")),
                show(r.get("repoURL"))
            ));
        }
        for key in [
            "chart",
            "path",
            "targetRevision",
            "kustomize",
            "directory",
            "plugin",
        ] {
            let (a, b) = (src.get(key), r.get(key));
            if key == "targetRevision" && a.is_none() {
                continue;
            }
            if !same(a, b) {
                out.push(format!(
                    "source {key}: the original has {}, nexus renders {}",
                    show(a),
                    show(b)
                ));
            }
        }
        if src.get("chart").is_some() || src.get("helm").is_some() || r.get("helm").is_some() {
            let (oh, rh) = (src.get("helm"), r.get("helm"));
            let release = oh
                .and_then(|h| h.get("releaseName"))
                .and_then(Node::as_str)
                .unwrap_or(c.original.name());
            let rrelease = rh
                .and_then(|h| h.get("releaseName"))
                .and_then(Node::as_str)
                .unwrap_or(&c.placement.app);
            if release != rrelease {
                out.push(format!(
                    "the Helm release name: the original is {release}, nexus renders {rrelease}"
                ));
            }
            // The chart's own value files stay, before nexus's values file.
            let rendered_files: Vec<String> = rh
                .and_then(|h| h.get("valueFiles"))
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|f| f.as_str())
                .filter(|f| !f.starts_with("$values/"))
                .map(str::to_string)
                .collect();
            if rendered_files != c.kept_value_files {
                out.push(format!(
                    "helm.valueFiles of the chart: the original keeps {:?}, nexus renders {:?}",
                    c.kept_value_files, rendered_files
                ));
            }
            for key in super::convert::HELM_OPTIONS {
                if !same(oh.and_then(|h| h.get(key)), rh.and_then(|h| h.get(key))) {
                    out.push(format!(
                        "helm.{key}: the original has {}, nexus renders {}",
                        show(oh.and_then(|h| h.get(key))),
                        show(rh.and_then(|h| h.get(key)))
                    ));
                }
            }
        }
    }
    if let Some(extra) = ri.find(|s| {
        s.get("path")
            .and_then(Node::as_str)
            .is_none_or(|p| !p.starts_with("deploy/"))
    }) {
        out.push(format!(
            "nexus renders a source the original does not have: {}",
            flow(extra)
        ));
    }
}

/// Compare every converted Application with the render of its
/// environment. Returns the differences (none: reproduced).
pub fn verify(converted: &[Converted], renders: &[EnvRender], this: &ThisRepo) -> Vec<Difference> {
    let by_env: BTreeMap<&str, &EnvRender> =
        renders.iter().map(|r| (r.env.name.as_str(), r)).collect();
    let mut out = Vec::new();
    for c in converted {
        let mut diffs = Vec::new();
        let Some(r) = by_env.get(c.placement.env.as_str()) else {
            diffs.push(format!("environment `{}` did not render", c.placement.env));
            push(&mut out, c, diffs);
            continue;
        };
        let Some(spec) = r.apps.iter().find(|a| a.name == c.placement.app) else {
            diffs.push(format!(
                "app `{}` is not in `{}`",
                c.placement.app, c.placement.env
            ));
            push(&mut out, c, diffs);
            continue;
        };
        if !same_values(spec.values(), &c.values) {
            diffs.push(first_value_difference(&c.values, spec.values(), ""));
        }
        match r.outputs.iter().find(|o| {
            o.kind == OutputKind::Application && o.app.as_deref() == Some(c.placement.app.as_str())
        }) {
            Some(o) => application(c, &o.object, this, &mut diffs),
            None => diffs.push("nexus renders no Application for it".into()),
        }
        push(&mut out, c, diffs);
    }
    out
}

/// Compare each environment's app-of-apps with nexus's root Application
/// (its source now points at `deploy/<env>/`).
pub fn verify_roots(
    roots: &[(String, crate::import::read::Object)],
    renders: &[EnvRender],
) -> Vec<Difference> {
    let mut out = Vec::new();
    for (env, r) in roots {
        let rendered = renders
            .iter()
            .find(|x| x.env.name == *env)
            .and_then(|x| x.outputs.iter().find(|o| o.kind == OutputKind::Root));
        let mut diffs = Vec::new();
        match rendered {
            None => diffs.push(format!("nexus renders no root Application for `{env}`")),
            Some(o) => {
                let (a, b) = (&r.node, &o.object);
                for path in [
                    "metadata.name",
                    "metadata.labels",
                    "metadata.finalizers",
                    "spec.project",
                    "spec.destination",
                    "spec.syncPolicy",
                ] {
                    if !same(a.get_path(path), b.get_path(path)) {
                        diffs.push(format!(
                            "{path}: the original has {}, nexus renders {}",
                            show(a.get_path(path)),
                            show(b.get_path(path))
                        ));
                    }
                }
                let ns = a
                    .get_path("metadata.namespace")
                    .and_then(Node::as_str)
                    .unwrap_or("argocd");
                if b.get_path("metadata.namespace").and_then(Node::as_str) != Some(ns) {
                    diffs.push(format!("metadata.namespace: the original has {ns}"));
                }
                const WAVE: &str = "argocd.argoproj.io/sync-wave";
                if !same(
                    without(a.get_path("metadata.annotations"), &[WAVE]).as_ref(),
                    without(b.get_path("metadata.annotations"), &[WAVE]).as_ref(),
                ) {
                    diffs.push("metadata.annotations differ".into());
                }
            }
        }
        for what in diffs {
            out.push(Difference {
                at: r.at(),
                application: r.name().to_string(),
                what,
            });
        }
    }
    out
}

fn push(out: &mut Vec<Difference>, c: &Converted, diffs: Vec<String>) {
    for what in diffs {
        out.push(Difference {
            at: c.original.at(),
            application: c.original.name().to_string(),
            what,
        });
    }
}

/// Where two values trees first differ, for the report.
fn first_value_difference(want: &Node, got: &Node, path: &str) -> String {
    match (&want.value, &got.value) {
        (Value::Map(a), Value::Map(b)) => {
            for (k, e) in a.iter() {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get(k) {
                    Some(f) if same_values(&e.node, &f.node) => {}
                    Some(f) => return first_value_difference(&e.node, &f.node, &p),
                    None => {
                        return format!(
                            "values.{p}: the original sets {}, nexus's values file lacks it",
                            flow(&e.node)
                        );
                    }
                }
            }
            for (k, f) in b.iter() {
                if a.get(k).is_none() {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    return format!(
                        "values.{p}: nexus's values file has {}, the original does not",
                        flow(&f.node)
                    );
                }
            }
            format!("values.{path}: differ")
        }
        _ => format!(
            "values.{path}: the original stacks to {}, nexus's values file has {}",
            flow(want),
            flow(got)
        ),
    }
}
