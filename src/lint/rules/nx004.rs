//! NX004: automated sync in a protected environment.

use super::prelude::*;

pub const RULE: Rule = Rule {
    code: "NX004",
    name: "automated-sync-in-protected",
    summary: "automated sync in a protected environment",
    default: DefaultSeverity::PROTECTED_ONLY,
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Reports `argocd.syncPolicy.automated` in environments listed in
`protectedEnvs` (or under a listed group). `automated: null` in the
environment's layer unsets it; `automated: {enabled: false}` counts as
off too.

## Why is this bad?
With automated sync, a merge is live in production within minutes, and
with `prune`/`selfHeal` ArgoCD also deletes and reverts objects without a
person looking at the diff. Protected environments should sync when
someone presses Sync after reviewing the plan.

## Example
```yaml
# environments/prod/env.yaml
argocd:
  syncPolicy:
    automated: {prune: true, selfHeal: true}
```
Use instead:
```yaml
# environments/prod/env.yaml
argocd:
  syncPolicy:
    automated: null
```
"#;

fn check(cx: &AppCx, out: &mut Sink) {
    let Some(auto) = cx.doc("argocd.syncPolicy.automated") else {
        return;
    };
    if auto.is_null() || auto.get("enabled").and_then(Node::as_bool) == Some(false) {
        return;
    }
    // The message names no environment: one `automated:` in a shared
    // layer is one cause, printed once with every place it reaches.
    let what = if cx.protected {
        "automated sync is on in a protected environment"
    } else {
        "automated sync is on"
    };
    out.push(
        finding(what, "argocd.syncPolicy.automated", cx.at_latest(auto)).with_hint(
            "set `argocd: {syncPolicy: {automated: null}}` in the environment's `env.yaml` so a person syncs after review",
        ),
    );
}
