//! NX103: CPU/memory requests or limits are missing.

use super::prelude::*;

pub const RULE: Rule = Rule {
    code: "NX103",
    name: "missing-resources",
    summary: "CPU/memory requests or limits missing",
    default: DefaultSeverity::Always(Severity::Warning),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks every `resources` map in the app's Helm values (at any depth, in
parts of the chart not switched off with `enabled: false`) and of every
container in `app.manifests` for `requests.cpu`, `requests.memory`,
`limits.cpu` and `limits.memory`. A values tree that configures a
workload (it has an `image`, probes, a security context ...) but sets no
`resources` anywhere is reported against the app's own layer file. A
Bitnami `resourcesPreset` (other than `none`) counts as set, with or
without `resources` beside it, and a volume's `resources` (a
PersistentVolumeClaim's `{requests: {storage: 50Gi}}`, as in
kube-prometheus-stack's `storageSpec`) is not a container's and is left
alone. For a chart in this repository, its own `values.yaml` counts: a
default it sets is set.

## Why is this bad?
Without requests the scheduler packs pods blindly and the pod is the
first evicted under pressure; without limits one leaking pod can starve
every neighbour on the node. Quotas also reject pods that set neither.

## Example
```yaml
app:
  values:
    resources:
      requests: {cpu: 100m}
```
Use instead:
```yaml
app:
  values:
    resources:
      requests: {cpu: 100m, memory: 128Mi}
      limits: {cpu: 500m, memory: 256Mi}
```
"#;

const HINT: &str =
    "set `resources: {requests: {cpu: ..., memory: ...}, limits: {cpu: ..., memory: ...}}`";

/// A volume's `resources` (`{requests: {storage: 50Gi}}` in a
/// PersistentVolumeClaim spec, kube-prometheus-stack's `storageSpec`):
/// storage only, nothing about CPU or memory.
fn volume_request(res: &Node) -> bool {
    let parts: Vec<&Node> = ["requests", "limits"]
        .iter()
        .filter_map(|p| res.get(p))
        .collect();
    !parts.is_empty()
        && parts.iter().all(|p| {
            p.as_map().is_some_and(|m| {
                !m.is_empty() && m.keys().all(|k| k == "storage" || k == "ephemeral-storage")
            })
        })
        && parts.iter().any(|p| p.get("storage").is_some())
}

/// A Bitnami `resourcesPreset` that sets requests and limits.
fn preset(map: &Node) -> bool {
    map.get("resourcesPreset")
        .and_then(Node::as_str)
        .is_some_and(|p| !p.trim().is_empty() && p != "none")
}

/// Report what a `resources` node lacks.
fn check_resources(cx: &AppCx, out: &mut Sink, res: &Node, path: &str) {
    if res.as_map().is_none() {
        if res.is_null() {
            out.push(
                finding(
                    "`resources` is unset (null): no CPU/memory requests or limits",
                    path,
                    cx.at(res),
                )
                .with_hint(HINT),
            );
        }
        return;
    }
    let mut lacking = Vec::new();
    for part in ["requests", "limits"] {
        let block = res.get(part);
        for what in ["cpu", "memory"] {
            let ok = block
                .and_then(|b| b.get(what))
                .is_some_and(|v| !v.is_null() && v.as_str() != Some(""));
            if !ok {
                lacking.push(format!("{part}.{what}"));
            }
        }
    }
    if lacking.is_empty() {
        return;
    }
    // Point at the deepest map that exists and lacks something.
    let at = if lacking.iter().all(|l| l.starts_with("limits")) {
        res.get("limits")
            .filter(|n| n.as_map().is_some())
            .map_or_else(|| cx.at(res), |n| cx.at(n))
    } else if lacking.iter().all(|l| l.starts_with("requests")) {
        res.get("requests")
            .filter(|n| n.as_map().is_some())
            .map_or_else(|| cx.at(res), |n| cx.at(n))
    } else {
        cx.at(res)
    };
    out.push(
        finding(
            format!("`resources` lacks {}", lacking.join(", ")),
            path,
            at,
        )
        .with_hint(HINT),
    );
}

fn check(cx: &AppCx, out: &mut Sink) {
    let values = cx.values();
    let mut found = false;
    workload::walk_maps(values, &mut |path, m| {
        if preset(m) {
            found = true;
        }
        if let Some(res) = m.get("resources") {
            if volume_request(res) {
                return;
            }
            found = true;
            if !preset(m) && !matches!(res.value, Value::Seq(_)) {
                check_resources(cx, out, res, &format!("{path}.resources"));
            }
        }
    });
    if !found && workload::describes_workload(values) {
        out.push(
            finding(
                "no CPU/memory requests or limits are set in the values",
                "app.values.resources",
                cx.missing_in_values(),
            )
            .with_hint(HINT),
        );
    }
    for pod in workload::pods(&cx.app.manifests) {
        for c in workload::containers(&pod) {
            match c.node.get("resources") {
                Some(res) => check_resources(cx, out, res, &format!("{}.resources", c.path)),
                None => out.push(
                    finding(
                        format!(
                            "container `{}` of {} `{}` has no CPU/memory requests or limits",
                            c.name, pod.kind, pod.name
                        ),
                        format!("{}.resources", c.path),
                        cx.at(c.node),
                    )
                    .with_hint(HINT),
                ),
            }
        }
    }
}
