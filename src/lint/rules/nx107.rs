//! NX107: a liveness or readiness probe is missing.

use super::prelude::*;

pub const RULE: Rule = Rule {
    code: "NX107",
    name: "missing-probe",
    summary: "liveness or readiness probe missing",
    default: DefaultSeverity::Always(Severity::Info),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks that the app's Helm values set `livenessProbe` and
`readinessProbe` somewhere (at any depth), and reports a probe that is
`null`, empty or `enabled: false`. A values tree that does not describe a
workload is left alone. In `app.manifests`, every container of a
Deployment, StatefulSet, DaemonSet, ReplicaSet or Pod needs both probes
(Jobs and CronJobs run to completion and need none).

## Why is this bad?
Without a readiness probe, traffic reaches a pod before it can serve and
during its shutdown; without a liveness probe, a deadlocked process is
never restarted. Both make rollouts report success for a broken release.

## Example
```yaml
app:
  values:
    livenessProbe: null
```
Use instead:
```yaml
app:
  values:
    livenessProbe:
      httpGet: {path: /healthz, port: http}
    readinessProbe:
      httpGet: {path: /readyz, port: http}
```
"#;

fn off(n: &Node) -> bool {
    n.is_null() || n.as_map().is_some_and(|m| m.is_empty()) || workload::disabled(n)
}

fn check(cx: &AppCx, out: &mut Sink) {
    let values = cx.values();
    let workload = workload::describes_workload(values);
    for probe in ["livenessProbe", "readinessProbe"] {
        let mut found = false;
        workload::walk_maps(values, &mut |path, m| {
            if let Some(p) = m.get(probe) {
                found = true;
                if off(p) {
                    out.push(
                        finding(
                            format!("`{probe}` is switched off"),
                            format!("{path}.{probe}"),
                            cx.at(p),
                        )
                        .with_hint(format!(
                            "configure `{probe}` (httpGet, tcpSocket, grpc or exec)"
                        )),
                    );
                }
            }
        });
        if !found && workload {
            out.push(
                finding(
                    format!("no `{probe}` is set in the values"),
                    format!("app.values.{probe}"),
                    cx.missing_in_values(),
                )
                .with_hint(format!(
                    "configure `{probe}` (httpGet, tcpSocket, grpc or exec)"
                )),
            );
        }
    }
    for pod in workload::pods(&cx.app.manifests) {
        if !pod.long_running() {
            continue;
        }
        for c in workload::containers(&pod) {
            if c.init {
                continue;
            }
            for probe in ["livenessProbe", "readinessProbe"] {
                let missing = c.node.get(probe).is_none_or(off);
                if missing {
                    out.push(
                        finding(
                            format!(
                                "container `{}` of {} `{}` has no `{probe}`",
                                c.name, pod.kind, pod.name
                            ),
                            format!("{}.{probe}", c.path),
                            c.node
                                .get(probe)
                                .map_or_else(|| cx.at(c.node), |p| cx.at(p)),
                        )
                        .with_hint(format!("configure `{probe}` for the container")),
                    );
                }
            }
        }
    }
}
