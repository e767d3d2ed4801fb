//! SARIF 2.1.0 for GitHub code scanning: the rules used, with their help,
//! and one result per cause, its environments and apps as properties.

use serde_json::{Value as Json, json};

use super::{Group, Report, RuleInfo, group, loc};
use crate::error::Severity;
use crate::source::Files;

fn result(g: &Group, files: &Files, used: &[String], suppressed: Option<&str>) -> Json {
    let d = g.first;
    let l = loc(d, files);
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let id = d.kind.id().unwrap_or("nexus");
    let mut result = json!({
        "ruleId": id,
        "level": level,
        "message": {"text": d.message},
    });
    if let Some(i) = used.iter().position(|u| u == id) {
        result["ruleIndex"] = json!(i);
    }
    if let Some(f) = l.file {
        // Code scanning needs a line: a finding about a whole file (a
        // missing key) is shown on its first line.
        let region = json!({"startLine": l.line.max(1), "startColumn": l.col.max(1)});
        result["locations"] = json!([{
            "physicalLocation": {
                "artifactLocation": {"uri": f, "uriBaseId": "%SRCROOT%"},
                "region": region,
            }
        }]);
    }
    let mut props = serde_json::Map::new();
    if !g.places.is_empty() {
        props.insert("places".into(), json!(g.places));
    }
    if let crate::error::Kind::Policy(pkg) = &d.kind {
        props.insert("policy".into(), json!(pkg));
    }
    if let Some(p) = &d.path {
        props.insert("path".into(), json!(p));
    }
    if !props.is_empty() {
        result["properties"] = Json::Object(props);
    }
    if let Some(reason) = suppressed {
        result["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
    }
    result
}

pub fn report(r: &Report, files: &Files, rules: &[RuleInfo]) -> String {
    let mut used: Vec<String> = r
        .findings
        .iter()
        .chain(r.suppressed.iter().map(|(d, _)| d))
        .filter_map(|d| d.kind.id().map(str::to_string))
        .collect();
    used.sort();
    used.dedup();
    let rule_list: Vec<Json> = used
        .iter()
        .map(|id| match rules.iter().find(|r| r.id == *id) {
            Some(r) => json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.summary},
                "help": {"text": r.help, "markdown": r.help},
            }),
            None => json!({"id": id, "shortDescription": {"text": id}}),
        })
        .collect();
    let mut results: Vec<Json> = group(&r.findings, files)
        .iter()
        .map(|g| result(g, files, &used, None))
        .collect();
    // Suppressed findings grouped per cause and reason.
    let mut reasons: Vec<&str> = r.suppressed.iter().map(|(_, s)| s.as_str()).collect();
    reasons.sort();
    reasons.dedup();
    for reason in reasons {
        let of = r
            .suppressed
            .iter()
            .filter(|(_, s)| s == reason)
            .map(|(d, _)| d);
        for g in group(of, files) {
            results.push(result(&g, files, &used, Some(reason)));
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "nexus",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/acme/nexus",
                "rules": rule_list,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
