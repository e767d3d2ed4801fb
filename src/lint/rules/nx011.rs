//! NX011: an `ignoreDifferences` entry that cannot match.

use super::prelude::*;
use crate::lint::jq;

pub const RULE: Rule = Rule {
    code: "NX011",
    name: "unmatchable-ignore-differences",
    summary: "`ignoreDifferences` entry that cannot match (no kind, malformed JSON pointer or jq path)",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks each `argocd.ignoreDifferences` entry of an app's Application:
- it names a `kind` (ArgoCD matches entries by group and kind);
- it says what to ignore: a non-empty `jsonPointers`, `jqPathExpressions`
  or `managedFieldsManagers` list;
- every JSON pointer starts with `/` and escapes `~` as `~0` and `/`
  inside a key as `~1` (RFC 6901): `/metadata/annotations/a~1b`;
- every jq path expression parses and calls only jq functions (a
  forgotten leading dot, `spec.replicas`, calls a function `spec`).

## Why is this bad?
ArgoCD accepts such an entry and then ignores nothing (or fails when it
compares the app): the HPA-managed `/spec/replicas` keeps the app
OutOfSync, and a sync with selfHeal fights the autoscaler. Nothing says
why until someone reads the controller logs.

## Example
```yaml
argocd:
  ignoreDifferences:
    - {group: apps, kind: Deployment, jsonPointers: [spec/replicas]}
    - {kind: MutatingWebhookConfiguration, jqPathExpressions: [webhooks[].clientConfig.caBundle]}
```
Use instead:
```yaml
argocd:
  ignoreDifferences:
    - {group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}
    - {group: admissionregistration.k8s.io, kind: MutatingWebhookConfiguration, jqPathExpressions: [".webhooks[].clientConfig.caBundle"]}
```
"#;

/// What is wrong with a JSON pointer, if anything.
fn pointer_problem(p: &str) -> Option<String> {
    if p.is_empty() {
        return None;
    }
    if !p.starts_with('/') {
        return Some(format!(
            "the JSON pointer `{p}` does not start with `/`, so it matches nothing"
        ));
    }
    let b = p.as_bytes();
    let bad_escape = b
        .iter()
        .enumerate()
        .any(|(i, c)| *c == b'~' && !matches!(b.get(i + 1), Some(b'0' | b'1')));
    bad_escape.then(|| {
        format!("the JSON pointer `{p}` has a `~` that is not `~0` (a `~`) or `~1` (a `/`)")
    })
}

fn check(cx: &AppCx, out: &mut Sink) {
    let Some(list) = cx.doc("argocd.ignoreDifferences").and_then(Node::as_seq) else {
        return;
    };
    for (i, entry) in list.iter().enumerate() {
        let path = format!("argocd.ignoreDifferences.{i}");
        if entry.as_map().is_none() {
            continue; // a SCHEMA error
        }
        let kind = entry.get("kind").and_then(Node::as_str).unwrap_or("");
        if kind.trim().is_empty() {
            out.push(
                finding(
                    "this ignoreDifferences entry names no `kind`, so it matches nothing",
                    format!("{path}.kind"),
                    cx.at(entry),
                )
                .with_hint("add the kind (and group) of the objects, e.g. `{group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}`"),
            );
        }
        let list_of = |k: &str| entry.get(k).and_then(Node::as_seq).unwrap_or_default();
        let pointers = list_of("jsonPointers");
        let jq_paths = list_of("jqPathExpressions");
        let managers = list_of("managedFieldsManagers");
        if pointers.is_empty() && jq_paths.is_empty() && managers.is_empty() {
            out.push(
                finding(
                    "this ignoreDifferences entry says nothing to ignore: no `jsonPointers`, `jqPathExpressions` or `managedFieldsManagers`",
                    path.clone(),
                    cx.at(entry),
                )
                .with_hint("list what ArgoCD should ignore, e.g. `jsonPointers: [/spec/replicas]`"),
            );
        }
        for (j, p) in pointers.iter().enumerate() {
            if let Some(why) = p.as_str().and_then(pointer_problem) {
                out.push(
                    finding(why, format!("{path}.jsonPointers.{j}"), cx.at(p))
                        .with_hint("write an RFC 6901 pointer from the object root: `/spec/replicas`, `/metadata/annotations/example.com~1key`"),
                );
            }
        }
        for (j, e) in jq_paths.iter().enumerate() {
            let Some(expr) = e.as_str() else { continue };
            if let Err(err) = jq::check(expr) {
                out.push(
                    finding(
                        format!(
                            "the jq path expression `{expr}` does not parse: {} (at character {})",
                            err.message,
                            err.offset + 1
                        ),
                        format!("{path}.jqPathExpressions.{j}"),
                        cx.at(e),
                    )
                    .with_hint("a jq path starts with a dot, e.g. `.spec.template.spec.containers[] | select(.name == \"sidecar\") | .image`"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pointer_problem;

    #[test]
    fn json_pointers() {
        assert_eq!(pointer_problem("/spec/replicas"), None);
        assert_eq!(pointer_problem("/metadata/annotations/a~1b~0c"), None);
        assert!(pointer_problem("spec/replicas").is_some());
        assert!(pointer_problem("/a/b~c").is_some());
        assert!(pointer_problem("/a~").is_some());
    }
}
