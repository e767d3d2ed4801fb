//! NX000: a `lintIgnore` entry without a reason, or for a rule that does
//! not exist. Reported by the engine (see `lint::run`), not by a check.

use super::prelude::*;

pub const RULE: Rule = Rule {
    code: "NX000",
    name: "invalid-suppression",
    summary: "`lintIgnore` entry without a reason or for an unknown rule",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::Engine,
};

const DOC: &str = r#"
## What it does
Checks every `app.lintIgnore` entry: the key must be a rule id
(`NX001`...) and the value a non-empty reason. An entry that fails either
test suppresses nothing.

## Why is this bad?
A suppression is a decision someone made about a risk. Without a reason
the next reader cannot tell whether it still holds, and a misspelt rule id
silently suppresses nothing while looking like it does.

## Example
```yaml
app:
  lintIgnore:
    NX104: ""
```
Use instead:
```yaml
app:
  lintIgnore:
    NX104: "batch worker: one replica is enough, retries cover restarts"
```
"#;
