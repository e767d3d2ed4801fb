//! NX106: privileged containers, privilege escalation, or running as root.

use super::prelude::*;
use crate::lint::workload::int;

pub const RULE: Rule = Rule {
    code: "NX106",
    name: "privileged-or-root",
    summary: "privileged, privilege escalation, or running as root",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks security contexts in the app's Helm values (`securityContext`,
`containerSecurityContext` and `podSecurityContext` at any depth, unless
switched off with `enabled: false`) and in the pods and containers of
`app.manifests`. It reports `privileged: true`,
`allowPrivilegeEscalation: true`, and running as root: `runAsUser: 0`, or
`runAsNonRoot: false` without a non-zero `runAsUser`. A container-level
setting overrides the pod-level one, as in Kubernetes.

## Why is this bad?
A privileged container is root on the node: a bug or compromise in it
owns the node and everything scheduled there. Root inside a container,
or the ability to gain it, turns every container escape and every
writable host mount into a node compromise.

## Example
```yaml
app:
  values:
    securityContext:
      privileged: true
      runAsUser: 0
```
Use instead:
```yaml
app:
  values:
    securityContext:
      runAsNonRoot: true
      runAsUser: 10001
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
```
"#;

fn active(n: Option<&Node>) -> Option<&Node> {
    n.filter(|c| c.as_map().is_some() && !workload::disabled(c))
}

/// Check one container-level context, with the pod-level one it inherits.
fn field<'a>(ctx: Option<&(&'a Node, String)>, key: &str) -> Option<(&'a Node, String)> {
    ctx.and_then(|(c, p)| c.get(key).map(|u| (u, format!("{p}.{key}"))))
}

fn check_pair(
    cx: &AppCx,
    out: &mut Sink,
    container: Option<(&Node, String)>,
    pod: Option<(&Node, String)>,
    what: &str,
) {
    let hint = "run as a non-root user without privileges: `runAsNonRoot: true`, `runAsUser: 10001`, `allowPrivilegeEscalation: false`";
    if let Some((c, path)) = &container {
        if let Some(n) = c.get("privileged")
            && n.as_bool() == Some(true)
        {
            out.push(
                finding(
                    format!("{what} is privileged"),
                    format!("{path}.privileged"),
                    cx.at(n),
                )
                .with_hint(hint),
            );
        }
        if let Some(n) = c.get("allowPrivilegeEscalation")
            && n.as_bool() == Some(true)
        {
            out.push(
                finding(
                    format!("{what} allows privilege escalation"),
                    format!("{path}.allowPrivilegeEscalation"),
                    cx.at(n),
                )
                .with_hint(hint),
            );
        }
    }
    // The effective user: the container's, else the pod's.
    let user = field(container.as_ref(), "runAsUser").or_else(|| field(pod.as_ref(), "runAsUser"));
    if let Some((u, path)) = &user
        && int(u) == Some(0)
    {
        out.push(
            finding(
                format!("{what} runs as root (`runAsUser: 0`)"),
                path.clone(),
                cx.at(u),
            )
            .with_hint(hint),
        );
        return;
    }
    let non_zero_user = user
        .as_ref()
        .is_some_and(|(u, _)| int(u).is_some_and(|v| v > 0));
    let flag =
        field(container.as_ref(), "runAsNonRoot").or_else(|| field(pod.as_ref(), "runAsNonRoot"));
    if let Some((n, path)) = flag
        && n.as_bool() == Some(false)
        && !non_zero_user
    {
        out.push(
            finding(
                format!(
                    "{what} may run as root (`runAsNonRoot: false` and no non-root `runAsUser`)"
                ),
                path,
                cx.at(n),
            )
            .with_hint(hint),
        );
    }
}

fn check(cx: &AppCx, out: &mut Sink) {
    workload::walk_maps(cx.values(), &mut |path, m| {
        let pod =
            active(m.get("podSecurityContext")).map(|n| (n, format!("{path}.podSecurityContext")));
        let container = active(m.get("containerSecurityContext"))
            .map(|n| (n, format!("{path}.containerSecurityContext")))
            .or_else(|| {
                active(m.get("securityContext")).map(|n| (n, format!("{path}.securityContext")))
            });
        if pod.is_none() && container.is_none() {
            return;
        }
        check_pair(cx, out, container, pod, "the container");
    });
    for pod in workload::pods(&cx.app.manifests) {
        let pod_ctx = active(pod.spec.get("securityContext"))
            .map(|n| (n, format!("{}.securityContext", pod.path)));
        let containers = workload::containers(&pod);
        for c in &containers {
            let ctx = active(c.node.get("securityContext"))
                .map(|n| (n, format!("{}.securityContext", c.path)));
            check_pair(
                cx,
                out,
                ctx,
                pod_ctx.clone(),
                &format!("container `{}` of {} `{}`", c.name, pod.kind, pod.name),
            );
        }
    }
}
