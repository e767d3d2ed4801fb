//! NX001: the chart version is not pinned.

use super::prelude::*;
use crate::model::ChartSource;

pub const RULE: Rule = Rule {
    code: "NX001",
    name: "unpinned-chart",
    summary: "chart version not pinned (empty, `*`, range, `HEAD`, a branch)",
    default: DefaultSeverity::Protected {
        protected: Severity::Error,
        elsewhere: Some(Severity::Warning),
    },
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks `app.chart.targetRevision`. For a chart from a Helm repository it
must be one exact version (`15.5.0`, `v1.2.3`, `2.0.0-rc.1`): not empty,
not `*`, not a range (`^1.2`, `~1.2`, `>=1.0`, `1.x`, `1.2.*`, `1.2`), not
`HEAD` and not a branch name.

A chart from another git repository (`chart: {repoURL, path,
targetRevision}`) must name a tag (`v1.2.0`, `api-1.2.0`) or a commit.

A chart from this repository (`chart: {path: charts/api}`) is read at the
same revision as the values nexus renders for it (`argocd.targetRevision`),
so chart and values always change together in one reviewed commit: that
is pinned. Only a `targetRevision` set on such a chart that differs from
`argocd.targetRevision` must be a tag or commit, not a moving ref.

## Why is this bad?
ArgoCD resolves a range or a branch anew on every sync. A chart release
upstream then changes what runs in the cluster without any commit in this
repository: nothing was reviewed, `nexus plan` showed nothing, and a
rollback has no version to go back to.

## Example
```yaml
app:
  chart: {repoURL: https://charts.bitnami.com/bitnami, chart: postgresql, targetRevision: ^15.0.0}
```
Use instead:
```yaml
app:
  chart: {repoURL: https://charts.bitnami.com/bitnami, chart: postgresql, targetRevision: 15.5.0}
```
"#;

/// An exact semantic version, optionally with a `v`.
pub fn exact_version(s: &str) -> bool {
    let s = s.strip_prefix('v').unwrap_or(s);
    let (core, _build) = s.split_once('+').unwrap_or((s, ""));
    let (core, pre) = match core.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (core, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        })
}

/// A git commit id (7 to 40 hex digits).
fn commit(s: &str) -> bool {
    (7..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A git tag that names a release: an exact version after a `-`, `/` or
/// `@` (`postgresql-15.5.0`, `charts/api/v1.2.0`).
fn versioned_tag(s: &str) -> bool {
    s.rsplit(['-', '/', '@'])
        .next()
        .is_some_and(|last| last != s && exact_version(last))
}

/// Why a revision is not pinned, if it is not.
pub fn unpinned(rev: &str, git: bool) -> Option<String> {
    let r = rev.trim();
    if r.is_empty() {
        return Some(if git {
            "is empty (ArgoCD takes HEAD, whatever the default branch holds)".into()
        } else {
            "is empty (ArgoCD takes the latest version)".into()
        });
    }
    if exact_version(r) || (git && (commit(r) || versioned_tag(r))) {
        return None;
    }
    if r == "*" || r.eq_ignore_ascii_case("latest") {
        return Some(format!("is `{r}`, any version"));
    }
    if r == "HEAD" {
        return Some("is `HEAD`, whatever the default branch holds".into());
    }
    let range_chars = ['^', '~', '>', '<', '=', '*', '|', ' ', ','];
    let wildcard = r
        .split('.')
        .any(|p| p.eq_ignore_ascii_case("x") || p == "*");
    let numeric_start = r
        .trim_start_matches('v')
        .starts_with(|c: char| c.is_ascii_digit());
    if r.contains(range_chars) || wildcard {
        return Some(format!("is the range `{r}`"));
    }
    if numeric_start {
        return Some(format!(
            "is `{r}`, a partial version that matches every release below it"
        ));
    }
    Some(format!("is `{r}`, a branch or other moving ref"))
}

fn check(cx: &AppCx, out: &mut Sink) {
    let rev_node = cx.doc("app.chart.targetRevision");
    let chart_node = cx.doc("app.chart");
    let path = "app.chart.targetRevision";
    match &cx.app.chart {
        Some(ChartSource::Repo {
            target_revision, ..
        }) => {
            let Some(why) = unpinned(target_revision, false) else {
                return;
            };
            let at = match rev_node {
                Some(n) if !n.is_null() => cx.at(n),
                _ => cx.missing(chart_node),
            };
            out.push(finding(format!("chart version {why}"), path, at).with_hint(
                "set `app.chart.targetRevision` to one exact chart version, e.g. `15.5.0`",
            ));
        }
        Some(ChartSource::Git {
            target_revision, ..
        }) => {
            let Some(why) = unpinned(target_revision, true) else {
                return;
            };
            let at = match rev_node {
                Some(n) if !n.is_null() => cx.at(n),
                _ => cx.missing(chart_node),
            };
            out.push(
                finding(format!("chart revision {why}"), path, at).with_hint(
                    "set `app.chart.targetRevision` to a tag (`v1.2.0`, `api-1.2.0`) or a commit of the chart's repository",
                ),
            );
        }
        Some(ChartSource::Path {
            target_revision: Some(rev),
            ..
        }) => {
            if *rev == cx.app.argocd.target_revision {
                return;
            }
            let Some(why) = unpinned(rev, true) else {
                return;
            };
            let at = match rev_node {
                Some(n) => cx.at(n),
                None => cx.missing(chart_node),
            };
            out.push(
                finding(
                    format!(
                        "chart revision {why}, and differs from `argocd.targetRevision` ({}), so chart and values can drift apart",
                        cx.app.argocd.target_revision
                    ),
                    path,
                    at,
                )
                .with_hint("remove `targetRevision` from a chart in this repository (it then follows `argocd.targetRevision`), or pin a tag or commit"),
            );
        }
        Some(ChartSource::Path { .. }) | None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_and_floating_revisions() {
        for ok in ["15.5.0", "v1.2.3", "2.0.0-rc.1", "1.0.0+build.5"] {
            assert_eq!(unpinned(ok, false), None, "{ok}");
        }
        for bad in [
            "",
            "*",
            "^1.2",
            "~1.2.0",
            ">=1.0.0",
            "1.x",
            "1.2.*",
            "1.2",
            "HEAD",
            "main",
            "master",
            "1.0.0 - 2.0.0",
            "latest",
        ] {
            assert!(unpinned(bad, false).is_some(), "{bad}");
        }
        assert_eq!(unpinned("3f2a9c1", true), None);
        assert_eq!(unpinned("postgresql-15.5.0", true), None);
        assert_eq!(unpinned("charts/api/v1.2.0", true), None);
        assert!(unpinned("release-next", true).is_some());
        assert!(unpinned("postgresql-15.5.0", false).is_some());
        assert!(unpinned("3f2a9c1", false).is_some());
    }
}
