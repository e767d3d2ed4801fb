//! NX109: a manifest uses an API version removed (or deprecated) in the
//! clusters' Kubernetes version.

use std::sync::LazyLock;

use super::prelude::*;
use crate::config::kubernetes_version;
use crate::yaml::load::{Limits, parse_one};
use crate::yaml::node::FileId;

pub const RULE: Rule = Rule {
    code: "NX109",
    name: "removed-api",
    summary: "manifest uses an API version removed (error) or deprecated (warning) in `lint.kubernetesVersion`",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
With `lint.kubernetesVersion` set in nexus.yaml (`kubernetesVersion:
"1.31"`), checks the `apiVersion` and `kind` of every object in
`app.manifests` against the Kubernetes deprecation guide: an API version
removed by that version is an error, one deprecated by then (and not yet
removed) is a warning, and both name the version to use instead
(`batch/v1beta1` CronJob: use `batch/v1`). Without
`lint.kubernetesVersion` the rule does nothing. The table is
`src/lint/data/kubernetes_apis.yaml`.

## Why is this bad?
The API server refuses an object whose API version it no longer serves:
ArgoCD reports the Application as failed to sync after the cluster
upgrade, or the upgrade itself is blocked. Deprecated versions are the
next upgrade's outage.

## Example
```yaml
# nexus.yaml
lint: {kubernetesVersion: "1.29"}
# environments/apps/jobs.yaml
app:
  manifests:
    - apiVersion: batch/v1beta1
      kind: CronJob
```
Use instead: `apiVersion: batch/v1` (the fields of a CronJob did not change).
"#;

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    pub api_version: String,
    pub kinds: Vec<String>,
    pub deprecated: (u32, u32),
    pub removed: Option<(u32, u32)>,
    /// The replacement, `None` when there is none.
    pub use_instead: Option<String>,
}

const TABLE_TEXT: &str = include_str!("../data/kubernetes_apis.yaml");

/// The table, read once. A row that does not read is a bug caught by the
/// unit test below.
pub static TABLE: LazyLock<Vec<Removed>> = LazyLock::new(|| read_table(TABLE_TEXT));

fn read_table(text: &str) -> Vec<Removed> {
    let Ok(Some(doc)) = parse_one(text, FileId(u32::MAX), &Limits::default()) else {
        return Vec::new();
    };
    let version = |n: Option<&Node>| n.and_then(Node::as_str).and_then(kubernetes_version);
    doc.as_seq()
        .unwrap_or_default()
        .iter()
        .filter_map(|row| {
            Some(Removed {
                api_version: row.get("apiVersion")?.as_str()?.to_string(),
                kinds: row
                    .get("kinds")?
                    .as_seq()?
                    .iter()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect(),
                deprecated: version(row.get("deprecated"))?,
                removed: version(row.get("removed")),
                use_instead: row.get("use").and_then(Node::as_str).map(str::to_string),
            })
        })
        .collect()
}

/// The row for an apiVersion and kind, if any.
pub fn lookup(api_version: &str, kind: &str) -> Option<&'static Removed> {
    TABLE
        .iter()
        .find(|r| r.api_version == api_version && r.kinds.iter().any(|k| k == kind))
}

fn show((major, minor): (u32, u32)) -> String {
    format!("{major}.{minor}")
}

fn check(cx: &AppCx, out: &mut Sink) {
    let Some(version) = cx.config.kubernetes_version else {
        return;
    };
    for (i, obj) in cx.app.manifests.iter().enumerate() {
        let (Some(api), Some(kind)) = (
            obj.get("apiVersion"),
            obj.get("kind").and_then(Node::as_str),
        ) else {
            continue;
        };
        let Some(row) = api.as_str().and_then(|a| lookup(a, kind)) else {
            continue;
        };
        let name = obj
            .get_path("metadata.name")
            .and_then(Node::as_str)
            .unwrap_or("?");
        let instead = match &row.use_instead {
            Some(u) => format!("use `{u}`"),
            None => format!("{kind} has no replacement; remove it"),
        };
        let path = format!("app.manifests.{i}.apiVersion");
        match row.removed {
            Some(removed) if version >= removed => out.push(
                finding(
                    format!(
                        "{kind} `{name}` uses `{}`, removed in Kubernetes {} (the clusters run {})",
                        row.api_version,
                        show(removed),
                        show(version)
                    ),
                    path,
                    cx.at(api),
                )
                .with_hint(instead),
            ),
            _ if version >= row.deprecated => out.push_with_default(
                finding(
                    format!(
                        "{kind} `{name}` uses `{}`, deprecated since Kubernetes {}{}",
                        row.api_version,
                        show(row.deprecated),
                        row.removed
                            .map(|r| format!(" and removed in {}", show(r)))
                            .unwrap_or_default()
                    ),
                    path,
                    cx.at(api),
                )
                .with_hint(instead),
                Severity::Warning,
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads_completely() {
        let rows = TABLE_TEXT.lines().filter(|l| l.starts_with("- ")).count();
        assert!(rows >= 25);
        assert_eq!(TABLE.len(), rows, "every row of the table reads");
        let cron = lookup("batch/v1beta1", "CronJob").unwrap();
        assert_eq!(cron.removed, Some((1, 25)));
        assert_eq!(cron.use_instead.as_deref(), Some("batch/v1"));
        assert!(lookup("batch/v1", "CronJob").is_none());
        let psp = lookup("policy/v1beta1", "PodSecurityPolicy").unwrap();
        assert_eq!(psp.use_instead, None);
        assert_eq!(lookup("v1", "Endpoints").unwrap().removed, None);
        for r in TABLE.iter() {
            assert!(r.removed.is_none_or(|rm| rm > r.deprecated), "{r:?}");
        }
    }
}
