//! Findings output: the formats `validate`, `lint` and `check` print
//! (SPEC §6): `text` for people, `json` for tools, `sarif` 2.1.0 for code
//! scanning and `github` workflow annotations.
//!
//! A finding is a [`Diagnostic`] with a rule id. Positions are resolved to
//! repository-relative file, line and column here, through the file table,
//! so every format points at the same layer line.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::error::{Diagnostic, Severity};
use crate::report::{self, Style};
use crate::source::Files;

/// Output format of findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

/// What a rule is, for SARIF rule metadata and `--explain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub summary: String,
    /// Markdown help: what it finds, why it matters, an example fix.
    pub help: String,
}

/// Findings of one run, plus the ones suppressed by `lintIgnore`.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub findings: Vec<Diagnostic>,
    /// `(finding, reason)`.
    pub suppressed: Vec<(Diagnostic, String)>,
}

/// File, line and column of a finding, resolved.
struct Loc {
    file: Option<String>,
    line: u32,
    col: u32,
}

fn loc(d: &Diagnostic, files: &Files) -> Loc {
    match d.pos {
        Some(p) => Loc {
            file: Some(files.path(p.file)),
            line: p.line,
            col: p.col,
        },
        None => Loc {
            file: d.file.clone(),
            line: 0,
            col: 0,
        },
    }
}

impl Report {
    pub fn counts(&self) -> (usize, usize, usize) {
        let c = |s| self.findings.iter().filter(|d| d.severity == s).count();
        (c(Severity::Error), c(Severity::Warning), c(Severity::Info))
    }

    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|d| d.severity == Severity::Error)
    }

    /// Sort findings (environment, app, file, line, rule) and drop exact
    /// repeats, so output is deterministic and each problem shows once.
    pub fn normalise(&mut self, files: &Files) {
        let key = |d: &Diagnostic| {
            let l = loc(d, files);
            (
                d.env.clone(),
                d.app.clone(),
                l.file,
                l.line,
                l.col,
                d.rule.clone(),
                d.message.clone(),
            )
        };
        self.findings.sort_by_cached_key(key);
        self.findings.dedup_by(|a, b| key(a) == key(b));
        self.suppressed.sort_by_cached_key(|(d, _)| key(d));
    }

    /// Render in `format`. `rules` gives SARIF its rule metadata.
    pub fn render(
        &self,
        format: Format,
        files: &Files,
        rules: &[RuleInfo],
        style: Style,
    ) -> String {
        match format {
            Format::Text => self.text(files, style),
            Format::Json => self.json(files),
            Format::Sarif => self.sarif(files, rules),
            Format::Github => self.github(files),
        }
    }

    fn finding_json(d: &Diagnostic, files: &Files) -> Json {
        let l = loc(d, files);
        json!({
            "rule": d.rule.as_deref().unwrap_or(""),
            "severity": d.severity.as_str(),
            "env": d.env,
            "app": d.app,
            "message": d.message,
            "file": l.file,
            "line": if l.line > 0 { json!(l.line) } else { Json::Null },
            "column": if l.col > 0 { json!(l.col) } else { Json::Null },
            "path": d.path,
        })
    }

    pub fn json(&self, files: &Files) -> String {
        let (errors, warnings, infos) = self.counts();
        let findings: Vec<Json> = self
            .findings
            .iter()
            .map(|d| Self::finding_json(d, files))
            .collect();
        let suppressed: Vec<Json> = self
            .suppressed
            .iter()
            .map(|(d, reason)| {
                let mut v = Self::finding_json(d, files);
                v["reason"] = json!(reason);
                v
            })
            .collect();
        let doc = json!({
            "findings": findings,
            "suppressed": suppressed,
            "summary": {"errors": errors, "warnings": warnings, "infos": infos, "suppressed": self.suppressed.len()},
        });
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn text(&self, files: &Files, style: Style) -> String {
        let mut out = String::new();
        let mut groups: BTreeMap<(Option<String>, Option<String>), Vec<&Diagnostic>> =
            BTreeMap::new();
        for d in &self.findings {
            groups
                .entry((d.env.clone(), d.app.clone()))
                .or_default()
                .push(d);
        }
        for ((env, app), list) in groups {
            let title = match (env, app) {
                (Some(e), Some(a)) => format!("{e} / {a}"),
                (Some(e), None) => e,
                _ => "repository".to_string(),
            };
            out.push_str(&style.paint("1;4", &title));
            out.push('\n');
            for d in list {
                let mut d = d.clone();
                // The group title already says where.
                d.env = None;
                d.app = None;
                out.push_str(&report::format(&d, files, style));
            }
            out.push('\n');
        }
        let (e, w, i) = self.counts();
        out.push_str(&format!(
            "{} error(s), {} warning(s), {} info(s), {} suppressed\n",
            e,
            w,
            i,
            self.suppressed.len()
        ));
        out
    }

    pub fn github(&self, files: &Files) -> String {
        let esc_data = |s: &str| {
            s.replace('%', "%25")
                .replace('\r', "%0D")
                .replace('\n', "%0A")
        };
        let esc_prop = |s: &str| esc_data(s).replace(':', "%3A").replace(',', "%2C");
        let mut out = String::new();
        for d in &self.findings {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let l = loc(d, files);
            let mut props = Vec::new();
            if let Some(f) = &l.file {
                props.push(format!("file={}", esc_prop(f)));
            }
            if l.line > 0 {
                props.push(format!("line={}", l.line));
                props.push(format!("col={}", l.col));
            }
            if let Some(r) = &d.rule {
                props.push(format!("title={}", esc_prop(r)));
            }
            let mut msg = d.message.clone();
            if let (Some(env), app) = (&d.env, &d.app) {
                msg = match app {
                    Some(a) => format!("{msg} ({env}/{a})"),
                    None => format!("{msg} ({env})"),
                };
            }
            out.push_str(&format!(
                "::{level} {}::{}\n",
                props.join(","),
                esc_data(&msg)
            ));
        }
        out
    }

    pub fn sarif(&self, files: &Files, rules: &[RuleInfo]) -> String {
        let all: Vec<(&Diagnostic, Option<&str>)> = self
            .findings
            .iter()
            .map(|d| (d, None))
            .chain(self.suppressed.iter().map(|(d, r)| (d, Some(r.as_str()))))
            .collect();
        let mut used: Vec<&str> = all.iter().filter_map(|(d, _)| d.rule.as_deref()).collect();
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
        let results: Vec<Json> = all
            .iter()
            .map(|&(d, suppressed)| {
                let l = loc(d, files);
                let level = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info => "note",
                };
                let mut result = json!({
                    "ruleId": d.rule.as_deref().unwrap_or("nexus"),
                    "level": level,
                    "message": {"text": d.message},
                });
                if let Some(i) = d
                    .rule
                    .as_deref()
                    .and_then(|r| used.iter().position(|u| *u == r))
                {
                    result["ruleIndex"] = json!(i);
                }
                if let Some(f) = l.file {
                    // Code scanning needs a line: a finding about a whole
                    // file (a missing key) is shown on its first line.
                    let region = json!({"startLine": l.line.max(1), "startColumn": l.col.max(1)});
                    result["locations"] = json!([{
                        "physicalLocation": {
                            "artifactLocation": {"uri": f, "uriBaseId": "%SRCROOT%"},
                            "region": region,
                        }
                    }]);
                }
                let mut props = serde_json::Map::new();
                if let Some(e) = &d.env {
                    props.insert("env".into(), json!(e));
                }
                if let Some(a) = &d.app {
                    props.insert("app".into(), json!(a));
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
            })
            .collect();
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
}
