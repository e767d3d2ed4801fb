//! JSON output for tools: one finding per environment and app (README: Output formats),
//! `suppressed` beside them, and the counts.

use serde_json::{Value as Json, json};

use super::{Report, loc};
use crate::error::Diagnostic;
use crate::source::Files;

fn finding(d: &Diagnostic, files: &Files) -> Json {
    let l = loc(d, files);
    let mut v = json!({
        "rule": d.kind.id().unwrap_or(""),
        "severity": d.severity.as_str(),
        "env": d.env,
        "app": d.app,
        "message": d.message,
        "file": l.file,
        "line": if l.line > 0 { json!(l.line) } else { Json::Null },
        "column": if l.col > 0 { json!(l.col) } else { Json::Null },
        "path": d.path,
    });
    if let crate::error::Kind::Policy(pkg) = &d.kind {
        v["policy"] = json!(pkg);
    }
    v
}

pub fn report(r: &Report, files: &Files) -> String {
    let (errors, warnings, infos) = r.counts();
    let findings: Vec<Json> = r.findings.iter().map(|d| finding(d, files)).collect();
    let suppressed: Vec<Json> = r
        .suppressed
        .iter()
        .map(|(d, reason)| {
            let mut v = finding(d, files);
            v["reason"] = json!(reason);
            v
        })
        .collect();
    let doc = json!({
        "findings": findings,
        "suppressed": suppressed,
        "summary": {"errors": errors, "warnings": warnings, "infos": infos, "suppressed": r.suppressed.len()},
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
