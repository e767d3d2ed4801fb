//! Printing diagnostics for people: what, where (file:line:column and the
//! source line with a caret), and what to do. Secret-looking values on the
//! quoted source line are masked.

use std::fmt::Write as _;
use std::io::IsTerminal;

use crate::error::{Diagnostic, Severity};
use crate::secrets::mask_line;
use crate::source::Files;

/// Colours for a terminal, none when `NO_COLOR` is set or output is piped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn for_stderr() -> Style {
        Style {
            color: std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
        }
    }

    pub fn for_stdout() -> Style {
        Style {
            color: std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
        }
    }

    pub fn plain() -> Style {
        Style { color: false }
    }

    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Info => self.paint("1;36", "info"),
        }
    }
}

/// `file:line:col` of a diagnostic, or its file, or nothing.
pub fn location(d: &Diagnostic, files: &Files) -> Option<String> {
    match d.pos {
        Some(p) => Some(format!("{}:{}:{}", files.path(p.file), p.line, p.col)),
        None => d.file.clone(),
    }
}

/// Mask the value that starts at `col` (1-based): to the end of the line,
/// or of the flow-map entry (`{name: TOKEN, value: abc}`). Used for
/// literal-secret findings, whose key need not look secret.
fn mask_value_at(line: &str, col: u32) -> String {
    let start = line
        .char_indices()
        .nth((col as usize).saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    let (head, rest) = line.split_at(start);
    let flow = head.contains('{') || head.contains('[');
    let quoted = rest
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'')
        .and_then(|q| rest[1..].find(q).map(|i| i + 2));
    let end = if let Some(e) = quoted.filter(|_| flow) {
        e
    } else if flow {
        rest.find([',', '}', ']']).unwrap_or(rest.len())
    } else {
        rest.len()
    };
    format!("{head}{}{}", crate::secrets::MASK, &rest[end..])
}

/// Longest source line quoted in full; longer ones are cut around the column.
const MAX_QUOTED: usize = 160;

/// The part of a (possibly huge, possibly minified) source line to quote,
/// and the column (0-based, in characters) within it.
fn window(line: &str, col: usize) -> (String, usize) {
    let len = line.chars().count();
    if len <= MAX_QUOTED {
        return (line.to_string(), col);
    }
    let start = col
        .saturating_sub(MAX_QUOTED / 2)
        .min(len.saturating_sub(MAX_QUOTED));
    let mut cut: String = line.chars().skip(start).take(MAX_QUOTED).collect();
    let mut col = col - start.min(col);
    if start > 0 {
        cut.insert_str(0, "...");
        col += 3;
    }
    if start + MAX_QUOTED < len {
        cut.push_str("...");
    }
    (cut, col)
}

/// Format one diagnostic as text, rustc style.
pub fn format(d: &Diagnostic, files: &Files, style: Style) -> String {
    let mut out = String::new();
    let rule = d
        .rule
        .as_deref()
        .map(|r| format!("[{r}] "))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{}: {rule}{}",
        style.severity(d.severity),
        style.paint("1", &d.message)
    );
    if let Some(loc) = location(d, files) {
        let _ = writeln!(out, "  {} {loc}", style.paint("34", "-->"));
    }
    if let Some(p) = d.pos
        && let Some(line) = files.line_text(p)
    {
        let masked = if d.rule.as_deref() == Some("NX105") {
            mask_value_at(&line, p.col)
        } else {
            mask_line(&line)
        };
        let (shown, col) = window(&masked, (p.col as usize).saturating_sub(1));
        let num = p.line.to_string();
        let pad = " ".repeat(num.len());
        let width = shown
            .chars()
            .skip(col)
            .take_while(|c| !c.is_whitespace() && *c != ':')
            .count()
            .max(1);
        let caret_pad: String = shown
            .chars()
            .take(col)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(out, "{pad} {}", style.paint("34", "|"));
        let _ = writeln!(
            out,
            "{} {} {shown}",
            style.paint("34", &num),
            style.paint("34", "|")
        );
        let _ = writeln!(
            out,
            "{pad} {} {caret_pad}{}",
            style.paint("34", "|"),
            style.paint("1;31", &"^".repeat(width))
        );
    }
    for (label, pos) in &d.related {
        let _ = writeln!(
            out,
            "  = note: {label} at {}:{}:{}",
            files.path(pos.file),
            pos.line,
            pos.col
        );
    }
    if let (Some(env), app) = (&d.env, &d.app) {
        match app {
            Some(app) => {
                let _ = writeln!(out, "  = in: environment {env}, app {app}");
            }
            None => {
                let _ = writeln!(out, "  = in: environment {env}");
            }
        }
    }
    if let Some(h) = &d.hint {
        let _ = writeln!(out, "  = {}: {h}", style.paint("1;32", "help"));
    }
    out
}

/// Print diagnostics to stderr.
pub fn eprint_all(diags: &[Diagnostic], files: &Files) {
    let style = Style::for_stderr();
    let mut out = String::new();
    for d in diags {
        out.push_str(&format(d, files, style));
    }
    eprint!("{out}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_secret_values_are_masked_where_they_start() {
        assert_eq!(
            mask_value_at("  - {name: API_TOKEN, value: abc}", 30),
            "  - {name: API_TOKEN, value: ***}"
        );
        assert_eq!(mask_value_at("    value: hunter2", 12), "    value: ***");
        assert_eq!(
            mask_value_at("  - {name: T, value: \"a, b\"}", 22),
            "  - {name: T, value: ***}"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        assert_eq!(window("a: 1", 3), ("a: 1".to_string(), 3));
        let line = format!("{}X{}", "a".repeat(1000), "b".repeat(1000));
        let (cut, col) = window(&line, 1000);
        assert!(cut.len() <= MAX_QUOTED + 6, "{}", cut.len());
        assert_eq!(cut.chars().nth(col), Some('X'));
        assert!(cut.starts_with("...") && cut.ends_with("..."));
    }
}
