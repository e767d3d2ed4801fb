//! NX108: a pod shares the node's network, PID or IPC namespace.

use super::prelude::*;

pub const RULE: Rule = Rule {
    code: "NX108",
    name: "host-namespaces",
    summary: "hostNetwork, hostPID or hostIPC",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Reports `hostNetwork: true`, `hostPID: true` or `hostIPC: true` anywhere
in the app's Helm values (unless in a part switched off with
`enabled: false`) and in the pod specs of `app.manifests`.

## Why is this bad?
A pod in the node's network namespace can bind node ports and reach
services listening on localhost; with the host PID namespace it sees and
can signal every process on the node; with host IPC it reads other
processes' shared memory. Each is a step from one compromised pod to the
whole node.

## Example
```yaml
app:
  values:
    hostNetwork: true
```
Use instead: remove the setting, and expose the pod through a Service
(or a `hostPort` on a dedicated node pool if it truly must).
"#;

const KEYS: [&str; 3] = ["hostNetwork", "hostPID", "hostIPC"];

fn check(cx: &AppCx, out: &mut Sink) {
    let hint = "remove it: pods should not share the node's namespaces";
    workload::walk_maps(cx.values(), &mut |path, m| {
        for k in KEYS {
            if let Some(n) = m.get(k)
                && n.as_bool() == Some(true)
            {
                out.push(
                    finding(
                        format!("`{k}: true` shares the node's namespace"),
                        format!("{path}.{k}"),
                        cx.at(n),
                    )
                    .with_hint(hint),
                );
            }
        }
    });
    for pod in workload::pods(&cx.app.manifests) {
        for k in KEYS {
            if let Some(n) = pod.spec.get(k)
                && n.as_bool() == Some(true)
            {
                out.push(
                    finding(
                        format!("{} `{}` sets `{k}: true`", pod.kind, pod.name),
                        format!("{}.{k}", pod.path),
                        cx.at(n),
                    )
                    .with_hint(hint),
                );
            }
        }
    }
}
