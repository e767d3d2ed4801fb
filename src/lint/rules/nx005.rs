//! NX005: an unknown or malformed `syncOptions` entry.

use super::prelude::*;

pub const RULE: Rule = Rule {
    code: "NX005",
    name: "invalid-sync-option",
    summary: "unknown or malformed `syncOptions` entry",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks every entry of `argocd.syncPolicy.syncOptions` and of the
`argocd.argoproj.io/sync-options` annotation on objects in
`app.manifests`: each must be `Key=value` with a key ArgoCD knows and a
value it accepts, spelled exactly (`CreateNamespace=true`, not
`CreateNamespace=True` or `CreateNamespace: true`).

Application options: `Validate`, `CreateNamespace`, `PruneLast`,
`ApplyOutOfSyncOnly`, `Replace`, `ServerSideApply`,
`FailOnSharedResource`, `RespectIgnoreDifferences`,
`SkipDryRunOnMissingResource` (`true`/`false`),
`PrunePropagationPolicy` (`foreground`/`background`/`orphan`), `Prune`
and `Delete` (`true`/`false`/`confirm`). Resource annotations also take
`Force=true`.

## Why is this bad?
ArgoCD compares sync options as plain strings and ignores any it does not
recognise, without a warning. A misspelt `CreateNamespace=True` means the
namespace is never created and the first sync fails in the cluster.

## Example
```yaml
argocd:
  syncPolicy:
    syncOptions: [CreateNamespace=True, PruneLast]
```
Use instead:
```yaml
argocd:
  syncPolicy:
    syncOptions: [CreateNamespace=true, PruneLast=true]
```
"#;

const BOOL: &[&str] = &["true", "false"];
const CONFIRM: &[&str] = &["true", "false", "confirm"];

/// Known options and their values; `resource` marks annotation-only ones.
const OPTIONS: &[(&str, &[&str], bool)] = &[
    ("Validate", BOOL, false),
    ("CreateNamespace", BOOL, false),
    ("PruneLast", BOOL, false),
    ("ApplyOutOfSyncOnly", BOOL, false),
    ("Replace", BOOL, false),
    ("ServerSideApply", BOOL, false),
    ("FailOnSharedResource", BOOL, false),
    ("RespectIgnoreDifferences", BOOL, false),
    ("SkipDryRunOnMissingResource", BOOL, false),
    ("ClientSideApplyMigration", BOOL, false),
    (
        "PrunePropagationPolicy",
        &["foreground", "background", "orphan"],
        false,
    ),
    ("Prune", CONFIRM, false),
    ("Delete", CONFIRM, false),
    ("Force", BOOL, true),
];

/// What is wrong with one option, if anything.
pub fn problem(opt: &str, resource: bool) -> Option<(String, Option<String>)> {
    let known = OPTIONS.iter().filter(|(_, _, r)| resource || !*r);
    let Some((key, value)) = opt.split_once('=') else {
        let key = opt.split([':', ' ']).next().unwrap_or(opt).trim();
        let hint = OPTIONS
            .iter()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
            .map(|(k, v, _)| format!("write it as `{k}={}`", v[0]));
        return Some((format!("sync option `{opt}` is not `Key=value`"), hint));
    };
    let Some((k, values, _)) = known.clone().find(|(k, _, _)| *k == key) else {
        let names: Vec<&str> = known.map(|(k, _, _)| *k).collect();
        let hint = crate::error::did_you_mean(key, names.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| Some(format!("known options: {}", names.join(", "))));
        return Some((format!("unknown sync option `{key}`"), hint));
    };
    if !values.contains(&value) {
        return Some((
            format!("sync option `{k}` does not accept `{value}`"),
            Some(format!("use one of: {}", values.join(", "))),
        ));
    }
    None
}

fn check(cx: &AppCx, out: &mut Sink) {
    if let Some(list) = cx.doc("argocd.syncPolicy.syncOptions") {
        match &list.value {
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = format!("argocd.syncPolicy.syncOptions.{i}");
                    let Some(s) = item.as_str() else {
                        out.push(
                            finding(
                                format!(
                                    "sync option must be a `Key=value` string, got {}",
                                    item.type_name()
                                ),
                                path,
                                cx.at(item),
                            )
                            .with_hint("quote it: `- CreateNamespace=true`"),
                        );
                        continue;
                    };
                    if let Some((msg, hint)) = problem(s, false) {
                        let mut d = finding(msg, path, cx.at(item));
                        if let Some(h) = hint {
                            d = d.with_hint(h);
                        }
                        out.push(d);
                    }
                }
            }
            Value::Null => {}
            _ => out.push(finding(
                format!(
                    "`syncOptions` must be a list of `Key=value` strings, got {}",
                    list.type_name()
                ),
                "argocd.syncPolicy.syncOptions",
                cx.at(list),
            )),
        }
    }
    for (i, obj) in cx.app.manifests.iter().enumerate() {
        let Some(ann) = obj
            .get_path("metadata.annotations")
            .and_then(|a| a.get("argocd.argoproj.io/sync-options"))
        else {
            continue;
        };
        let path =
            format!("app.manifests.{i}.metadata.annotations.[argocd.argoproj.io/sync-options]");
        let Some(s) = ann.as_str() else { continue };
        for opt in s.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            if let Some((msg, hint)) = problem(opt, true) {
                let mut d = finding(msg, path.clone(), cx.at(ann));
                if let Some(h) = hint {
                    d = d.with_hint(h);
                }
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_exactly() {
        for ok in [
            "CreateNamespace=true",
            "PrunePropagationPolicy=orphan",
            "Prune=confirm",
            "ServerSideApply=true",
            "Validate=false",
        ] {
            assert_eq!(problem(ok, false), None, "{ok}");
        }
        for bad in [
            "CreateNamespace=True",
            "PruneLast",
            "CreateNamespaces=true",
            "Force=true",
            "PrunePropagationPolicy=all",
        ] {
            assert!(problem(bad, false).is_some(), "{bad}");
        }
        assert_eq!(problem("Force=true", true), None);
        let (_, hint) = problem("CreateNamespaces=true", false).unwrap_or_default();
        assert_eq!(hint.as_deref(), Some("did you mean `CreateNamespace`?"));
    }
}
