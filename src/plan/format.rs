//! Plan output for a terminal (`text`) and for tools (`json`). Both print
//! only masked diffs (see [`super::mask`]).

use serde_json::{Value as Json, json};

use super::{Change, Plan};
use crate::report::Style;

/// Colour one line of a unified diff.
fn paint_diff_line(line: &str, style: Style) -> String {
    if line.starts_with("+++") || line.starts_with("---") {
        style.paint("1", line)
    } else if line.starts_with('+') {
        style.paint("32", line)
    } else if line.starts_with('-') {
        style.paint("31", line)
    } else if line.starts_with("@@") {
        style.paint("36", line)
    } else {
        line.to_string()
    }
}

/// Per-file unified diffs, then the summary line.
pub fn text(plan: &Plan, style: Style) -> String {
    let mut out = format!("nexus plan: {} -> the working tree\n\n", plan.base);
    if !plan.has_changes() {
        out.push_str(&format!(
            "No changes: the rendered output matches {} ({} files).\n\n",
            plan.base, plan.unchanged
        ));
    }
    for f in &plan.files {
        let colour = match f.change {
            Change::Add => "1;32",
            Change::Change => "1;33",
            Change::Destroy => "1;31",
        };
        out.push_str(&style.paint(
            colour,
            &format!("{} {} ({})", f.change.symbol(), f.path, f.change.as_str()),
        ));
        out.push('\n');
        for line in f.diff.lines() {
            out.push_str(&paint_diff_line(line, style));
            out.push('\n');
        }
        if !f.why.is_empty() {
            out.push_str(&style.paint("1", "why:"));
            out.push('\n');
            for w in &f.why {
                out.push_str("  ");
                out.push_str(&w.line());
                out.push('\n');
            }
        }
        out.push('\n');
    }
    out.push_str(&style.paint("1", &plan.summary()));
    out.push('\n');
    out
}

fn counts(plan: &Plan, env: Option<&str>) -> Json {
    let n = |c: Change| {
        plan.files
            .iter()
            .filter(|f| f.change == c && env.is_none_or(|e| f.env == e))
            .count()
    };
    json!({"add": n(Change::Add), "change": n(Change::Change), "destroy": n(Change::Destroy)})
}

/// `{"base", "summary", "changed", "environments": [{"name", "summary", "files": [...]}]}`.
pub fn json(plan: &Plan) -> String {
    let envs: Vec<Json> = plan
        .envs
        .iter()
        .map(|env| {
            let files: Vec<Json> = plan
                .env_files(env)
                .map(|f| {
                    json!({
                        "path": f.path,
                        "file": f.file,
                        "kind": f.kind,
                        "app": f.app,
                        "change": f.change.as_str(),
                        "diff": f.diff,
                        "why": f.why.iter().map(|w| json!({
                            "path": w.path,
                            "old": w.old,
                            "new": w.new,
                            "file": w.new_at.as_ref().map(|(f, _)| f),
                            "line": w.new_at.as_ref().map(|(_, l)| l),
                            "oldFile": w.old_at.as_ref().map(|(f, _)| f),
                            "oldLine": w.old_at.as_ref().map(|(_, l)| l),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({"name": env, "summary": counts(plan, Some(env)), "files": files})
        })
        .collect();
    let mut summary = counts(plan, None);
    summary["unchanged"] = json!(plan.unchanged);
    let doc = json!({
        "base": plan.base.replace('`', ""),
        "head": "the working tree",
        "changed": plan.has_changes(),
        "summary": summary,
        "summaryLine": plan.summary(),
        "environments": envs,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
