//! GitHub workflow annotations: one `::error file=...,line=...::` line per
//! cause, naming where it applies.

use super::{Report, group, loc, places_text};
use crate::error::Severity;
use crate::source::Files;

fn esc_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn esc_prop(s: &str) -> String {
    esc_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn report(r: &Report, files: &Files, verbose: bool) -> String {
    let mut out = String::new();
    for g in group(&r.findings, files) {
        let d = g.first;
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
        if let Some(id) = d.kind.label() {
            props.push(format!("title={}", esc_prop(&id)));
        }
        let mut msg = d.message.clone();
        if !g.places.is_empty() {
            msg = format!("{msg} (in {})", places_text(&g.places, verbose));
        }
        if let Some(h) = &d.hint {
            msg = format!("{msg}\n{h}");
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            esc_data(&msg)
        ));
    }
    out
}
