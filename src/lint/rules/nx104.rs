//! NX104: fewer than 2 replicas in a protected environment.

use super::prelude::*;
use crate::lint::workload::int;

pub const RULE: Rule = Rule {
    code: "NX104",
    name: "single-replica",
    summary: "fewer than 2 replicas (and no autoscaling minimum of 2) in a protected environment",
    default: DefaultSeverity::PROTECTED_ONLY,
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks the replica count of the app's workloads. In Helm values, every
map with `replicaCount` (or an integer `replicas`) or `autoscaling` is a
workload: with `autoscaling.enabled: true` its `minReplicas` (default 1)
must be at least 2, otherwise its `replicaCount` must be. A values tree
that describes a workload but sets neither anywhere runs the chart's
default, usually 1: that is a warning (nexus cannot see the default of a
chart from a registry, and a DaemonSet chart, `kind: DaemonSet` or
`mode: daemonset`, has none), reported against the app's own layer file.
`replicas` is known as well as `replicaCount`
(`prometheus.prometheusSpec.replicas`, `alertmanager.alertmanagerSpec.replicas`),
and for a chart in this repository its own `values.yaml` counts.
Deployments, StatefulSets and ReplicaSets in `app.manifests` need
`spec.replicas` of at least 2 (unset means 1). By default the rule is on
in protected environments only.

## Why is this bad?
One replica means downtime on every node drain, rollout hiccup and crash:
a PodDisruptionBudget cannot protect it and a cluster upgrade takes the
service down.

## Example
```yaml
# environments/prod/apps/api.yaml
app:
  values:
    replicaCount: 1
```
Use instead:
```yaml
app:
  values:
    replicaCount: 3
# or
    autoscaling: {enabled: true, minReplicas: 2, maxReplicas: 10}
```
"#;

const HINT: &str = "run at least 2 replicas (`replicaCount: 2`) or autoscale with `autoscaling: {enabled: true, minReplicas: 2}`";

/// Values of a chart that runs a DaemonSet (`kind: DaemonSet` as in
/// fluent-bit, `mode: daemonset` as in the OpenTelemetry collector): one
/// pod per node, no replica count.
fn daemonset(values: &Node) -> bool {
    let mut found = false;
    workload::walk_maps(values, &mut |_, m| {
        let is = |k: &str| {
            m.get(k)
                .and_then(Node::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case("daemonset"))
        };
        found |= is("kind") || is("mode") || is("deploymentMode");
    });
    found
}

fn check(cx: &AppCx, out: &mut Sink) {
    let values = cx.values();
    let mut seen = false;
    workload::walk_maps(values, &mut |path, m| {
        let replicas = m
            .get("replicaCount")
            .map(|n| (n, "replicaCount"))
            .or_else(|| {
                m.get("replicas")
                    .filter(|n| int(n).is_some())
                    .map(|n| (n, "replicas"))
            });
        let autoscaling = m.get("autoscaling").filter(|a| a.as_map().is_some());
        if replicas.is_none() && autoscaling.is_none() {
            return;
        }
        seen = true;
        if let Some(a) = autoscaling
            && a.get("enabled").and_then(Node::as_bool) == Some(true)
        {
            match a.get("minReplicas") {
                Some(min) => {
                    if int(min).is_none_or(|v| v < 2) {
                        out.push(
                            finding(
                                format!(
                                    "autoscaling minimum is {} replica(s)",
                                    int(min).map_or("not a number".into(), |v| v.to_string())
                                ),
                                format!("{path}.autoscaling.minReplicas"),
                                cx.at(min),
                            )
                            .with_hint(HINT),
                        );
                    }
                }
                None => out.push(
                    finding(
                        "autoscaling has no `minReplicas` (the HPA default is 1)",
                        format!("{path}.autoscaling.minReplicas"),
                        cx.missing(Some(a)),
                    )
                    .with_hint(HINT),
                ),
            }
            return;
        }
        if let Some((n, key)) = replicas
            && int(n).is_none_or(|v| v < 2)
        {
            out.push(
                finding(
                    format!(
                        "`{key}` is {}",
                        int(n).map_or("not a number".into(), |v| v.to_string())
                    ),
                    format!("{path}.{key}"),
                    cx.at(n),
                )
                .with_hint(HINT),
            );
        }
    });
    // Nothing set anywhere: the chart's default applies, which nexus
    // cannot see for a chart from a registry (usually 1, but a DaemonSet
    // chart has none). A warning: it may not be a problem.
    if !seen && workload::describes_workload(values) && !daemonset(values) {
        out.push_with_default(
            finding(
                "no `replicaCount` or autoscaling is set: the chart default (usually 1) applies",
                "app.values.replicaCount",
                cx.missing_in_values(),
            )
            .with_hint(HINT),
            Severity::Warning,
        );
    }
    for pod in workload::pods(&cx.app.manifests) {
        if !pod.replicated() {
            continue;
        }
        let hpa_min = cx.app.manifests.iter().find_map(|o| {
            (o.get("kind").and_then(Node::as_str) == Some("HorizontalPodAutoscaler")
                && o.get_path("spec.scaleTargetRef.name")
                    .and_then(Node::as_str)
                    == Some(pod.name))
            .then(|| o.get_path("spec.minReplicas").and_then(int).unwrap_or(1))
        });
        if hpa_min.is_some_and(|m| m >= 2) {
            continue;
        }
        let i = pod.path.split('.').nth(2).unwrap_or("0");
        match pod.object.get_path("spec.replicas") {
            Some(n) if int(n).is_some_and(|v| v >= 2) => {}
            Some(n) => out.push(
                finding(
                    format!(
                        "{} `{}` runs {} replica(s)",
                        pod.kind,
                        pod.name,
                        int(n).unwrap_or(0)
                    ),
                    format!("app.manifests.{i}.spec.replicas"),
                    cx.at(n),
                )
                .with_hint(HINT),
            ),
            None => out.push(
                finding(
                    format!(
                        "{} `{}` sets no `spec.replicas` (default 1)",
                        pod.kind, pod.name
                    ),
                    format!("app.manifests.{i}.spec.replicas"),
                    cx.at(pod.object),
                )
                .with_hint(HINT),
            ),
        }
    }
}
