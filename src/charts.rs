//! Charts kept in this repository (`app.chart: {path: ...}`).
//!
//! Such a path must be a Helm chart: a directory with a `Chart.yaml`. A
//! directory of plain manifests or a kustomization given as a chart would
//! render as a Helm source that ArgoCD fails to sync, so it is refused with
//! a pointer to `app.sources`. Each directory is looked at once per run,
//! whatever the number of environments and apps using it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::{Diagnostic, Error};
use crate::source::Source;
use crate::yaml::node::Pos;

/// What a chart directory of this repository holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalChart {
    /// Repository-relative directory (`charts/api`).
    pub path: String,
}

/// The chart directories looked at so far (`None`: not a chart).
#[derive(Default)]
pub struct LocalCharts {
    seen: Mutex<HashMap<String, Option<Arc<LocalChart>>>>,
}

impl LocalCharts {
    /// The chart at `path`, which `app.chart.path` set at `pos`; exit 2 when
    /// the directory holds no `Chart.yaml`.
    pub fn get(&self, source: &dyn Source, path: &str, pos: Pos) -> Result<Arc<LocalChart>, Error> {
        let known = self
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .cloned();
        let found = match known {
            Some(found) => found,
            None => {
                let found = source.read(&format!("{path}/Chart.yaml"))?.map(|_| {
                    Arc::new(LocalChart {
                        path: path.to_string(),
                    })
                });
                self.seen
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(path.to_string(), found.clone());
                found
            }
        };
        found.ok_or_else(|| not_a_chart(source, path, pos))
    }
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
