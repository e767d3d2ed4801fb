//! NX002: the app uses ArgoCD's `default` AppProject.

use super::prelude::*;

pub const RULE: Rule = Rule {
    code: "NX002",
    name: "default-project",
    summary: "app uses the `default` AppProject",
    default: DefaultSeverity::Always(Severity::Warning),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Reports apps whose `argocd.project` is `default`, set explicitly or left
unset (nexus then renders `project: default`).

## Why is this bad?
ArgoCD's `default` project allows any source repository, any destination
cluster and namespace and any resource kind. An app in it is fenced by
nothing: a typo in a namespace or a chart that creates cluster-wide
objects goes through. A project per team or purpose limits the damage.

## Example
```yaml
argocd:
  project: default
```
Use instead:
```yaml
argocd:
  project: apps
projects:
  apps:
    sourceRepos: [https://github.com/acme/gitops.git]
    destinations: [{server: https://kubernetes.default.svc, namespace: api}]
```
"#;

fn check(cx: &AppCx, out: &mut Sink) {
    if cx.app.argocd.project != "default" {
        return;
    }
    let at = match cx.doc("argocd.project") {
        Some(n) => cx.at(n),
        None => cx.own_file(),
    };
    out.push(
        finding(
            "app uses the `default` AppProject, which allows any source, destination and resource",
            "argocd.project",
            at,
        )
        .with_hint("set `argocd.project` to a project defined under `projects:` that lists only what this app needs"),
    );
}
