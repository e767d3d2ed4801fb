//! Charts kept in this repository (`app.chart: {path: ...}`).
//!
//! Such a path must be a Helm chart: a directory with a `Chart.yaml`. A
//! directory of plain manifests or a kustomization given as a chart would
//! render as a Helm source that ArgoCD fails to sync, so it is refused with
//! a pointer to `app.sources`. Each directory is looked at once per run,
//! whatever the number of environments and apps using it.
//!
//! The chart's own `values.yaml` is read too: Helm applies it under the
//! values file nexus writes, so lint and `explain` look at the values the
//! chart will really get ([`coalesce`]). It is never written into the
//! values file.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::{Diagnostic, Error};
use crate::source::{Files, Source, read_text};
use crate::yaml::load::{self, Limits};
use crate::yaml::node::{Node, Pos, Value};

/// What a chart directory of this repository holds.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalChart {
    /// Repository-relative directory (`charts/api`).
    pub path: String,
    /// The chart's `values.yaml`, with positions in it (`None` when the
    /// chart has none or it is empty).
    pub defaults: Option<Arc<Node>>,
}

/// The chart directories looked at so far (`None`: not a chart).
#[derive(Default)]
pub struct LocalCharts {
    seen: Mutex<HashMap<String, Option<Arc<LocalChart>>>>,
}

impl LocalCharts {
    /// The chart at `path`, which `app.chart.path` set at `pos`; exit 2 when
    /// the directory holds no `Chart.yaml` or its `values.yaml` cannot be
    /// read as YAML (Helm would refuse the chart too).
    pub fn get(
        &self,
        source: &dyn Source,
        files: &Files,
        limits: &Limits,
        path: &str,
        pos: Pos,
    ) -> Result<Arc<LocalChart>, Error> {
        // Held while the chart is read, so each is read once.
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let found = match seen.get(path) {
            Some(found) => found.clone(),
            None => {
                let found = match source.read(&format!("{path}/Chart.yaml"))? {
                    Some(_) => Some(Arc::new(LocalChart {
                        path: path.to_string(),
                        defaults: read_defaults(source, files, limits, path)?,
                    })),
                    None => None,
                };
                seen.insert(path.to_string(), found.clone());
                found
            }
        };
        found.ok_or_else(|| not_a_chart(source, path, pos))
    }
}

/// The chart's `values.yaml`, registered with `files` so findings and
/// `explain` can name its lines.
fn read_defaults(
    source: &dyn Source,
    files: &Files,
    limits: &Limits,
    chart: &str,
) -> Result<Option<Arc<Node>>, Error> {
    let rel = format!("{chart}/values.yaml");
    let Some(text) = read_text(source, &rel)? else {
        return Ok(None);
    };
    let text: Arc<str> = Arc::from(text);
    let file = files.add(rel.clone(), text.clone());
    match load::parse_one(&text, file, limits) {
        Ok(Some(node)) if node.as_map().is_some() => Ok(Some(Arc::new(node))),
        Ok(None) => Ok(None),
        Ok(Some(node)) => Err(Error::from(
            Diagnostic::error(format!("{rel}: a chart's values.yaml must be a map"))
                .at(node.pos)
                .with_hint("Helm refuses this chart; make the file a map of values"),
        )),
        Err(e) => {
            let mut d = Diagnostic::error(format!("{rel}: {}", e.message))
                .at(Pos::new(file, e.line.max(1), e.col.max(1)))
                .in_file(rel.as_str());
            if let Some(h) = e.hint {
                d = d.with_hint(h);
            }
            Err(Error::from(d))
        }
    }
}

/// The values a chart gets: `values` (the layers, what nexus writes) over
/// the chart's `defaults`, as Helm coalesces them: maps merge key by key,
/// anything else in `values` replaces the default, and a `null` in
/// `values` removes the default (the key is gone).
pub fn coalesce(defaults: &Node, values: &Node) -> Node {
    let (Value::Map(d), Value::Map(v)) = (&defaults.value, &values.value) else {
        return values.clone();
    };
    let mut out = values.clone();
    let Some(m) = out.as_map_mut() else {
        return out;
    };
    for (k, de) in d.iter() {
        match v.get(k) {
            None => {
                m.insert(k.clone(), de.clone());
            }
            Some(ve) if ve.node.value == Value::Null => {
                m.shift_remove(k);
            }
            Some(ve) if de.node.as_map().is_some() && ve.node.as_map().is_some() => {
                let merged = coalesce(&de.node, &ve.node);
                if let Some(e) = m.get_mut(k) {
                    e.node = merged;
                }
            }
            Some(_) => {}
        }
    }
    // A `null` for a key the chart has no default for stays: Helm passes
    // it to the templates.
    out
}

fn not_a_chart(source: &dyn Source, path: &str, pos: Pos) -> Error {
    if !source.is_dir(path) {
        return Error::from(
            Diagnostic::error(format!(
                "`app.chart.path`: `{path}` does not exist in this repository"
            ))
            .at(pos)
            .with_hint("fix the path (relative to the repository root), or add the chart there: a directory with a Chart.yaml"),
        );
    }
    let what = if source
        .read(&format!("{path}/kustomization.yaml"))
        .ok()
        .flatten()
        .is_some()
        || source
            .read(&format!("{path}/kustomization.yml"))
            .ok()
            .flatten()
            .is_some()
    {
        format!("`{path}` is a kustomization, not a Helm chart (it has no Chart.yaml)")
    } else {
        format!("`{path}` is not a Helm chart: it has no Chart.yaml")
    };
    Error::from(
        Diagnostic::error(format!("`app.chart.path`: {what}"))
            .at(pos)
            .with_hint(format!(
                "a chart directory holds a Chart.yaml; plain manifests and kustomizations are sources: replace `chart: {{path: {path}}}` with `sources: [{{path: {path}}}]` (and `chart: null` if a layer below sets one)"
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::node::FileId;

    fn yaml(text: &str) -> Node {
        load::parse_one(text, FileId(0), &Limits::default())
            .unwrap()
            .unwrap()
    }

    /// Helm's `chartutil.CoalesceValues`: the layers win, maps merge, a
    /// `null` removes a default and is kept where there is none.
    #[test]
    fn layers_over_chart_defaults_as_helm_coalesces() {
        let defaults = yaml(
            "image: {repository: x/app, tag: \"\", pullPolicy: IfNotPresent}\nresources: {limits: {cpu: 1}}\nreplicaCount: 1\nprobe: {path: /}\nlist: [1, 2]\n",
        );
        let values = yaml(
            "image: {tag: 1.2.3}\nresources: null\nreplicaCount: 3\nextra: null\nprobe: 5\nlist: [3]\n",
        );
        let got = coalesce(&defaults, &values);
        assert_eq!(
            got.get_path("image.tag").and_then(Node::as_str),
            Some("1.2.3")
        );
        assert_eq!(
            got.get_path("image.repository").and_then(Node::as_str),
            Some("x/app")
        );
        assert_eq!(
            got.get_path("image.pullPolicy").and_then(Node::as_str),
            Some("IfNotPresent")
        );
        assert!(got.get("resources").is_none(), "a null removes the default");
        assert_eq!(
            got.get("replicaCount").map(|n| &n.value),
            Some(&Value::Int(3))
        );
        assert_eq!(got.get("extra").map(|n| &n.value), Some(&Value::Null));
        assert_eq!(got.get("probe").map(|n| &n.value), Some(&Value::Int(5)));
        assert_eq!(
            got.get_path("list.0").map(|n| &n.value),
            Some(&Value::Int(3))
        );
        assert!(got.get_path("list.1").is_none(), "lists replace");
        // Where each value comes from is kept: the default's line.
        assert_eq!(got.get_path("image.repository").unwrap().pos.line, 1);
        assert_eq!(
            coalesce(&defaults, &yaml("{}"))
                .get("replicaCount")
                .map(|n| &n.value),
            Some(&Value::Int(1))
        );
    }
}
