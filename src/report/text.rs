//! Text output for people: one message per cause, rustc style, with the
//! source line and a caret under the whole token (annotate-snippets draws
//! it, aware of character widths), where it applies, notes and a hint.
//! Secret-looking values on the quoted source line are masked.

use annotate_snippets::{AnnotationKind, Group as Block, Level, Origin, Renderer, Snippet};

use super::{Group, Options, Report, Style, group, places_text};
use crate::error::{Diagnostic, Mask, Severity};
use crate::secrets::mask_line;
use crate::source::Files;
use crate::yaml::token;

/// `file:line:col` of a diagnostic, or its file, or nothing.
pub fn location(d: &Diagnostic, files: &Files) -> Option<String> {
    match d.pos() {
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

fn level(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

fn renderer(style: Style) -> Renderer {
    if style.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
}

/// Byte range of `chars` characters from character `col` in `s`.
fn byte_range(s: &str, col: usize, chars: usize) -> std::ops::Range<usize> {
    let start = s.char_indices().nth(col).map_or(s.len(), |(i, _)| i);
    let end = s[start..]
        .char_indices()
        .nth(chars)
        .map_or(s.len(), |(i, _)| start + i);
    start..end
}

/// One cause, as text.
fn cause(g: &Group, files: &Files, opts: Options) -> String {
    let d = g.first;
    let mut title = level(d.severity).primary_title(d.message.as_str());
    if let Some(id) = d.kind.label() {
        title = title.id(id);
    }
    let mut block = Block::with_title(title);
    let quoted = d.pos().and_then(|p| {
        let line = files.line_text(p)?;
        let masked = match d.mask {
            Mask::Value => mask_value_at(&line, p.col),
            Mask::SecretKeys => mask_line(&line),
        };
        let (shown, col) = window(&masked, (p.col as usize).saturating_sub(1));
        // Measured on the line as shown, so a masked value is underlined
        // as the mask.
        let len = match d.span.map_or(0, |s| s.len) {
            0 => token::len_at(&shown, col),
            n => n as usize,
        };
        let len = len.min(shown.chars().count().saturating_sub(col)).max(1);
        Some((p, shown, col, len))
    });
    match quoted {
        Some((p, shown, col, len)) => {
            let range = byte_range(&shown, col, len);
            block = block.element(
                Snippet::source(shown)
                    .line_start(p.line as usize)
                    .path(files.path(p.file))
                    .annotation(AnnotationKind::Primary.span(range)),
            );
        }
        None => {
            if let Some(p) = d.pos() {
                block = block.element(
                    Origin::path(files.path(p.file))
                        .line(p.line as usize)
                        .char_column(p.col as usize),
                );
            } else if let Some(f) = &d.file {
                block = block.element(Origin::path(f.clone()));
            }
        }
    }
    if !g.places.is_empty() {
        block = block.element(
            Level::NOTE
                .with_name("in")
                .message(places_text(&g.places, opts.verbose)),
        );
    }
    for n in &d.notes {
        let text = match n.pos {
            Some(p) => format!(
                "{} at {}:{}:{}",
                n.message,
                files.path(p.file),
                p.line,
                p.col
            ),
            None => n.message.clone(),
        };
        block = block.element(Level::NOTE.message(text));
    }
    if let Some(h) = &d.hint {
        block = block.element(Level::HELP.message(h.as_str()));
    }
    let mut out = renderer(opts.style).render(&[block]);
    out.push('\n');
    out
}

/// Diagnostics as text, one block per cause, in file and line order.
pub fn diagnostics(diags: &[Diagnostic], files: &Files, opts: Options) -> String {
    let mut out = String::new();
    for g in group(diags, files) {
        out.push_str(&cause(&g, files, opts));
        out.push('\n');
    }
    out
}

/// Format one diagnostic as text.
pub fn format(d: &Diagnostic, files: &Files, style: Style) -> String {
    let g = Group {
        first: d,
        places: super::place(d).into_iter().collect(),
        count: 1,
    };
    cause(
        &g,
        files,
        Options {
            style,
            verbose: false,
        },
    )
}

/// `3 error(s) (in 52 places)`.
fn count(n: usize, places: usize, what: &str) -> String {
    if places > n {
        format!("{n} {what}(s) (in {places} places)")
    } else {
        format!("{n} {what}(s)")
    }
}

/// The findings of a run, one block per cause, then the summary line.
pub fn report(r: &Report, files: &Files, opts: Options) -> String {
    let groups = group(&r.findings, files);
    let mut out = String::new();
    for g in &groups {
        out.push_str(&cause(g, files, opts));
        out.push('\n');
    }
    let tally = |s: Severity| {
        let of: Vec<&Group> = groups.iter().filter(|g| g.first.severity == s).collect();
        (of.len(), of.iter().map(|g| g.count).sum::<usize>())
    };
    let (e, ep) = tally(Severity::Error);
    let (w, wp) = tally(Severity::Warning);
    let (i, ip) = tally(Severity::Info);
    out.push_str(&format!(
        "{}, {}, {}, {} suppressed\n",
        count(e, ep, "error"),
        count(w, wp, "warning"),
        count(i, ip, "info"),
        r.suppressed.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;
    use crate::yaml::node::{FileId, Pos};

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

    #[test]
    fn the_caret_covers_the_whole_token() {
        let files = Files::new();
        files.add(
            "environments/base.yaml".into(),
            "vars:\n  owner: \"{{ vars.ownr }}\"\n".into(),
        );
        let d = Diagnostic::error("undefined variable")
            .with_kind(Kind::Template)
            .at(Pos::new(FileId(0), 2, 10))
            .for_app("prod", Some("api"))
            .with_hint("fix its name");
        let text = format(&d, &files, Style::plain());
        assert!(
            text.contains("error[TEMPLATE]: undefined variable"),
            "{text}"
        );
        assert!(
            text.contains("  owner: \"{{ vars.ownr }}\"\n  |          ^^^^^^^^^^^^^^^^^"),
            "{text}"
        );
        assert!(text.contains("= in: prod/api"), "{text}");
        assert!(text.contains("= help: fix its name"), "{text}");
    }
}
