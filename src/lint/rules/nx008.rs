//! NX008: a label from `lint.requiredLabels` is missing.

use super::prelude::*;

pub const RULE: Rule = Rule {
    code: "NX008",
    name: "missing-required-label",
    summary: "a label from `lint.requiredLabels` is missing",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
For every label listed in `lint.requiredLabels` of `nexus.yaml`, checks
that the app's merged `app.labels` has it with a non-empty value. Without
`requiredLabels` the rule checks nothing.

## Why is this bad?
Labels such as `team` say who owns an app: who gets paged, who approves
a change, whose cost it is. An app without them is an orphan the moment
something goes wrong.

## Example
```yaml
# nexus.yaml
lint:
  requiredLabels: [team]
# environments/apps/api.yaml
app:
  labels: {tier: backend}
```
Use instead:
```yaml
app:
  labels: {tier: backend, team: payments}
```
"#;

fn check(cx: &AppCx, out: &mut Sink) {
    let labels = cx.doc("app.labels");
    for label in &cx.config.required_labels {
        let path = format!("app.labels.{label}");
        match labels.and_then(|l| l.get(label)) {
            Some(n) if n.as_str().is_some_and(|s| !s.trim().is_empty()) => {}
            Some(n) if !n.is_null() => out.push(
                finding(format!("required label `{label}` is empty"), path, cx.at(n))
                    .with_hint(format!("give `app.labels.{label}` a value")),
            ),
            _ => out.push(
                finding(
                    format!("required label `{label}` is missing"),
                    path,
                    cx.missing(labels),
                )
                .with_hint(format!(
                    "add `app: {{labels: {{{label}: ...}}}}` to {} (nexus.yaml lint.requiredLabels lists it)",
                    cx.app.own_file
                )),
            ),
        }
    }
}
