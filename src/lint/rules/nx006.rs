//! NX006: a malformed sync-wave or hook annotation, or a hook without a
//! delete policy.

use super::prelude::*;

pub const RULE: Rule = Rule {
    code: "NX006",
    name: "invalid-hook-or-wave",
    summary: "malformed sync-wave or hook annotation; hook without delete policy",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks the annotations of objects in `app.manifests`:
- `argocd.argoproj.io/sync-wave` and `helm.sh/hook-weight` must be
  integers (`"-1"`, `"5"`);
- `argocd.argoproj.io/hook` must be a comma list of `PreSync`, `Sync`,
  `PostSync`, `SyncFail`, `PreDelete`, `PostDelete`, `Skip`; `helm.sh/hook` of
  `pre-install`, `post-install`, `pre-upgrade`, `post-upgrade`,
  `pre-delete`, `post-delete`, `pre-rollback`, `post-rollback`, `test`;
- `argocd.argoproj.io/hook-delete-policy` must be a comma list of
  `HookSucceeded`, `HookFailed`, `BeforeHookCreation`
  (`helm.sh/hook-delete-policy`: `hook-succeeded`, `hook-failed`,
  `before-hook-creation`);
- a hook (other than `Skip`) without any delete policy is reported as a
  warning.

## Why is this bad?
ArgoCD does not reject an annotation it cannot parse: a wave of `"1a"`
or a hook of `presync` silently turns the object into an ordinary
resource, synced in the wrong order or on every sync. A hook without a
delete policy leaves its finished Job behind, and the next sync fails
because the object already exists or piles up old ones.

## Example
```yaml
metadata:
  annotations:
    argocd.argoproj.io/hook: presync
```
Use instead:
```yaml
metadata:
  annotations:
    argocd.argoproj.io/hook: PreSync
    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
```
"#;

const WAVE: &str = "argocd.argoproj.io/sync-wave";
const HOOK: &str = "argocd.argoproj.io/hook";
const POLICY: &str = "argocd.argoproj.io/hook-delete-policy";
const HELM_HOOK: &str = "helm.sh/hook";
const HELM_WEIGHT: &str = "helm.sh/hook-weight";
const HELM_POLICY: &str = "helm.sh/hook-delete-policy";

const HOOKS: &[&str] = &[
    "PreSync",
    "Sync",
    "PostSync",
    "SyncFail",
    "PreDelete",
    "PostDelete",
    "Skip",
];
const POLICIES: &[&str] = &["HookSucceeded", "HookFailed", "BeforeHookCreation"];
const HELM_HOOKS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-upgrade",
    "post-upgrade",
    "pre-delete",
    "post-delete",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];
const HELM_POLICIES: &[&str] = &["hook-succeeded", "hook-failed", "before-hook-creation"];

fn integer(n: &Node) -> bool {
    match &n.value {
        Value::Int(_) => true,
        Value::Str(s) => {
            let t = s.trim();
            let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && t.parse::<i64>().is_ok()
        }
        _ => false,
    }
}

fn check(cx: &AppCx, out: &mut Sink) {
    for (i, obj) in cx.app.manifests.iter().enumerate() {
        let Some(ann) = obj.get_path("metadata.annotations").and_then(Node::as_map) else {
            continue;
        };
        let what = format!(
            "{} `{}`",
            obj.get("kind").and_then(Node::as_str).unwrap_or("object"),
            obj.get_path("metadata.name")
                .and_then(Node::as_str)
                .unwrap_or("?")
        );
        let path = |k: &str| format!("app.manifests.{i}.metadata.annotations.[{k}]");
        for key in [WAVE, HELM_WEIGHT] {
            if let Some(e) = ann.get(key)
                && !integer(&e.node)
            {
                out.push(
                    finding(
                        format!(
                            "`{key}` of {what} must be an integer, got `{}`",
                            shown(&e.node)
                        ),
                        path(key),
                        cx.at(&e.node),
                    )
                    .with_hint(format!("write it as a quoted integer: `{key}: \"1\"`")),
                );
            }
        }
        for (key, allowed) in [
            (HOOK, HOOKS),
            (POLICY, POLICIES),
            (HELM_HOOK, HELM_HOOKS),
            (HELM_POLICY, HELM_POLICIES),
        ] {
            let Some(e) = ann.get(key) else { continue };
            let Some(s) = e.node.as_str() else {
                out.push(finding(
                    format!(
                        "`{key}` of {what} must be a string, got {}",
                        e.node.type_name()
                    ),
                    path(key),
                    cx.at(&e.node),
                ));
                continue;
            };
            for item in s.split(',').map(str::trim) {
                if allowed.contains(&item) {
                    continue;
                }
                let hint = match crate::error::did_you_mean(item, allowed.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("use a comma-separated list of: {}", allowed.join(", ")),
                };
                out.push(
                    finding(
                        format!("`{key}` of {what} has the unknown value `{item}`"),
                        path(key),
                        cx.at(&e.node),
                    )
                    .with_hint(hint),
                );
            }
        }
        let hook = ann.get(HOOK).or_else(|| ann.get(HELM_HOOK));
        let skip = ann
            .get(HOOK)
            .and_then(|e| e.node.as_str())
            .is_some_and(|s| s.split(',').all(|h| h.trim() == "Skip"));
        if let Some(h) = hook
            && !skip
            && ann.get(POLICY).is_none()
            && ann.get(HELM_POLICY).is_none()
        {
            let key = if ann.contains_key(HOOK) {
                HOOK
            } else {
                HELM_HOOK
            };
            out.push_with_default(
                finding(
                    format!("hook {what} has no delete policy"),
                    path(key),
                    cx.at(&h.node),
                )
                .with_hint(format!(
                    "add `{POLICY}: BeforeHookCreation` (replaced on the next sync) or `HookSucceeded`"
                )),
                Severity::Warning,
            );
        }
    }
}

fn shown(n: &Node) -> String {
    match &n.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        _ => n.type_name().to_string(),
    }
}
