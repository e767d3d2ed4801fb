//! NX009: an app runs in one environment of a `parity` pair but not in the
//! other.

use std::collections::BTreeMap;

use crate::model::AppSpec;

use super::prelude::*;

pub const RULE: Rule = Rule {
    code: "NX009",
    name: "environment-parity",
    summary: "app in one environment of a `parity` pair but not the other",
    default: DefaultSeverity::Always(Severity::Info),
    doc: DOC,
    check: Check::Repo(check),
};

const DOC: &str = r#"
## What it does
For every pair in `lint.parity` of `nexus.yaml` (a group stands for each
environment under it), reports an app that is enabled in one environment
of the pair but missing or disabled in the other. The finding belongs to
the environment where the app runs and points at its own layer file.

## Why is this bad?
Stage exists to rehearse prod. An app that only runs in one of them means
a release is tested against a different system than the one it meets,
or that something was forgotten when an app was added or retired.

## Example
```yaml
# nexus.yaml
lint:
  parity: [[stage, prod]]
# environments/stage/apps/search.yaml exists; prod has no search app
```
Use instead: add the app to prod too (`environments/apps/search.yaml`
for both), or suppress it with a reason:
```yaml
app:
  lintIgnore: {NX009: "search is in a stage trial until Q3"}
```
"#;

fn check(cx: &RepoCx, out: &mut Sink) {
    // (env, app) -> the app, and the partners that lack it.
    let mut missing: BTreeMap<(String, String), (&AppSpec, Vec<String>)> = BTreeMap::new();
    for (a, b) in cx.config.parity_pairs() {
        let (Some(ra), Some(rb)) = (cx.env(&a), cx.env(&b)) else {
            continue;
        };
        if ra.template_failed() || rb.template_failed() {
            continue;
        }
        for (from, to) in [(ra, rb), (rb, ra)] {
            let names: std::collections::HashSet<&str> =
                to.apps.iter().map(|x| x.name.as_str()).collect();
            for app in &from.apps {
                if !names.contains(app.name.as_str()) {
                    let (_, list) = missing
                        .entry((from.env.name.clone(), app.name.clone()))
                        .or_insert((app, Vec::new()));
                    if !list.contains(&to.env.name) {
                        list.push(to.env.name.clone());
                    }
                }
            }
        }
    }
    for ((env, app), (spec, partners)) in missing {
        let list: Vec<String> = partners.iter().map(|p| format!("`{p}`")).collect();
        let mut d = finding(
            format!(
                "app `{app}` runs in `{env}` but not in {} (lint.parity)",
                list.join(", ")
            ),
            "app",
            Where {
                file: Some(spec.own_file.clone()),
                ..Where::default()
            },
        )
        .with_hint(format!(
            "add `{app}` to {} as well, or disable it in `{env}`",
            list.join(", ")
        ));
        d.env = Some(env);
        d.app = Some(app);
        out.push(d);
    }
}
