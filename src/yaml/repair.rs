//! Text Helm reads and yaml-rust2 refuses. Helm reads values with Go's
//! yaml.v2 (libyaml's rules), which is more forgiving than YAML 1.2 in a
//! few places real files use. When yaml-rust2 refuses such text, the loader
//! asks [`Repair::of`] whether the error is one of those places; if so, the
//! text is changed at exactly the spot yaml-rust2 points at, in a way that
//! changes nothing yaml.v2 reads, and parsed again. Line numbers never
//! change, so positions in messages stay right.
//!
//! | yaml-rust2 refuses | yaml.v2 reads | repair |
//! |---|---|---|
//! | `args: [` ... `"a"` ... `]` with the `]` (or a plain item) at the key's column | the list | indent that line: whitespace before a flow item or bracket means nothing |
//! | a multi-line quoted string whose next lines are not indented | the string, lines folded | indent those lines: leading whitespace of a continuation line is dropped when folding |
//! | `key: "v"# note`, `key: >#note` | a comment | a space before the `#` |
//! | `"it\'s"` | `it's` | `\'` becomes `'` |
//! | an empty block scalar whose blank lines have more spaces than the comment line after them | the empty string | the comment moved to column 1 |

/// One change to the text; see the module documentation.
#[derive(Debug, Clone)]
pub(super) enum Repair {
    /// Indent 1-based line `.0` by two spaces.
    Indent(usize),
    /// Indent the continuation lines of the quoted string whose opening
    /// quote is at 1-based line `line`, 0-based char column `col`.
    QuotedLines { line: usize, col: usize },
    /// Put a space before the `#` at this position.
    CommentSpace { line: usize, col: usize },
    /// Replace the first `\'` in the double-quoted string opening here.
    QuoteEscape { line: usize, col: usize },
    /// Move the comment on 1-based line `.0` to column 1.
    CommentAfterEmptyBlock(usize),
}

impl Repair {
    /// The repair for yaml-rust2's error `info` at 1-based `line`, 0-based
    /// char column `col` of `text`, if the error is one yaml.v2 does not
    /// make.
    pub(super) fn of(info: &str, line: usize, col: usize, text: &str) -> Option<Repair> {
        let l = line_of(text, line)?;
        let before: String = l.chars().take(col).collect();
        let at = l.chars().nth(col);
        let only_space_before = before.chars().all(|c| c == ' ');
        if info.contains("invalid indentation in flow construct")
            || (info.contains("indentation") && matches!(at, Some(']' | '}')))
        {
            return only_space_before.then_some(Repair::Indent(line));
        }
        if info.contains("invalid indentation in quoted scalar") && matches!(at, Some('"' | '\'')) {
            return Some(Repair::QuotedLines { line, col });
        }
        if info.contains("comments must be separated") && at == Some('#') {
            return Some(Repair::CommentSpace { line, col });
        }
        if info.contains("unknown escape character") && at == Some('"') {
            return Some(Repair::QuoteEscape { line, col });
        }
        if info.contains("wrongly indented line in block scalar")
            && l.trim_start().starts_with('#')
            && blank_run_after_header(text, line)
        {
            return Some(Repair::CommentAfterEmptyBlock(line));
        }
        None
    }

    /// Apply the repair to `text`; false when it does not apply (the text
    /// is then unchanged).
    pub(super) fn apply(&self, text: &mut String) -> bool {
        match *self {
            Repair::Indent(line) => {
                let Some(start) = line_start(text, line) else {
                    return false;
                };
                text.insert_str(start, "  ");
                true
            }
            Repair::QuotedLines { line, col } => reindent_quoted(text, line, col),
            Repair::CommentSpace { line, col } => {
                match byte_at(text, line, col).filter(|&i| text[i..].starts_with('#')) {
                    Some(i) => {
                        text.insert(i, ' ');
                        true
                    }
                    None => false,
                }
            }
            Repair::QuoteEscape { line, col } => {
                let Some(open) = byte_at(text, line, col).filter(|&i| text[i..].starts_with('"'))
                else {
                    return false;
                };
                let mut chars = text[open + 1..].char_indices();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '"' => return false,
                        '\\' => match chars.next() {
                            Some((_, '\'')) => {
                                let at = open + 1 + i;
                                text.replace_range(at..at + 2, "'");
                                return true;
                            }
                            Some(_) => {}
                            None => return false,
                        },
                        _ => {}
                    }
                }
                false
            }
            Repair::CommentAfterEmptyBlock(line) => {
                let Some(start) = line_start(text, line) else {
                    return false;
                };
                let spaces = text[start..].len() - text[start..].trim_start_matches(' ').len();
                if spaces == 0 {
                    return false;
                }
                text.replace_range(start..start + spaces, "");
                true
            }
        }
    }
}

/// Indent every line that continues the quoted string opening at
/// (`line`, `col`) to one column past its opening quote. Whitespace at the
/// start of a continuation line is dropped when a quoted string is folded,
/// so only the indentation changes.
fn reindent_quoted(text: &mut String, line: usize, col: usize) -> bool {
    let Some(open) = byte_at(text, line, col).filter(|&i| text[i..].starts_with(['"', '\'']))
    else {
        return false;
    };
    let single = text[open..].starts_with('\'');
    // Line starts inside the string, found before changing anything.
    let mut starts = Vec::new();
    let mut chars = text[open + 1..].char_indices().peekable();
    let mut closed = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if single => {
                if chars.peek().map(|&(_, n)| n) == Some('\'') {
                    chars.next();
                } else {
                    closed = true;
                    break;
                }
            }
            '"' if !single => {
                closed = true;
                break;
            }
            '\\' if !single => {
                if let Some((j, '\n')) = chars.next() {
                    starts.push(open + 1 + j + 1);
                }
            }
            '\n' => starts.push(open + 1 + i + 1),
            _ => {}
        }
    }
    if !closed || starts.is_empty() {
        return false;
    }
    let pad = " ".repeat(col + 1);
    for &s in starts.iter().rev() {
        let ws = text[s..].len() - text[s..].trim_start_matches([' ', '\t']).len();
        text.replace_range(s..s + ws, &pad);
    }
    true
}

/// Whether the lines before 1-based `line` back to a block scalar header
/// (`|`, `>-` ...) are all blank, and there is at least one.
fn blank_run_after_header(text: &str, line: usize) -> bool {
    let mut n = line;
    let mut blanks = 0;
    while n > 1 {
        n -= 1;
        let Some(l) = line_of(text, n) else {
            return false;
        };
        if l.trim().is_empty() {
            blanks += 1;
            continue;
        }
        let code = l.split(" #").next().unwrap_or(l).trim_end();
        let last = code.rsplit([' ', '\t']).next().unwrap_or(code);
        return blanks > 0
            && last.starts_with(['|', '>'])
            && last.len() <= 3
            && last[1..]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '+' || c == '-');
    }
    false
}

/// Byte offset of the start of 1-based line `line`.
pub(super) fn line_start(text: &str, line: usize) -> Option<usize> {
    if line <= 1 {
        return Some(0);
    }
    text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)
}

/// 1-based line `line` without its line break.
fn line_of(text: &str, line: usize) -> Option<&str> {
    let start = line_start(text, line)?;
    let rest = &text[start..];
    let l = rest.split('\n').next().unwrap_or(rest);
    Some(l.strip_suffix('\r').unwrap_or(l))
}

/// Byte offset of 0-based char column `col` on 1-based line `line`.
fn byte_at(text: &str, line: usize, col: usize) -> Option<usize> {
    let start = line_start(text, line)?;
    let (i, _) = text[start..].char_indices().nth(col)?;
    Some(start + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(text: &str, info: &str, line: usize, col: usize) -> Option<String> {
        let r = Repair::of(info, line, col, text)?;
        let mut t = text.to_string();
        r.apply(&mut t).then_some(t)
    }

    #[test]
    fn repairs_change_only_what_yaml_v2_ignores() {
        let flow = "args: [\n  \"a\"\n]\n";
        assert_eq!(
            repaired(flow, "invalid indentation in flow construct", 3, 0).as_deref(),
            Some("args: [\n  \"a\"\n  ]\n")
        );
        // Not at the start of its line: nothing to re-indent.
        assert!(repaired("k:\n[a\n", "invalid indentation in flow construct", 2, 1).is_none());

        let quoted = "a:\n  q: \"x\n y\\\n\tz\"\nb: 1\n";
        assert_eq!(
            repaired(quoted, "invalid indentation in quoted scalar", 2, 5).as_deref(),
            Some("a:\n  q: \"x\n      y\\\n      z\"\nb: 1\n")
        );
        let single = "q: 'it''s\nfine'\n";
        assert_eq!(
            repaired(single, "invalid indentation in quoted scalar", 1, 3).as_deref(),
            Some("q: 'it''s\n    fine'\n")
        );
        // An unclosed string is left alone.
        assert!(repaired("q: \"x\ny\n", "invalid indentation in quoted scalar", 1, 3).is_none());

        assert_eq!(
            repaired("k: \"v\"# c\n", "comments must be separated", 1, 6).as_deref(),
            Some("k: \"v\" # c\n")
        );
        assert_eq!(
            repaired(
                "k: \"a\\\"b \\' c\"\n",
                "found unknown escape character",
                1,
                3
            )
            .as_deref(),
            Some("k: \"a\\\"b ' c\"\n")
        );
        assert!(repaired("k: \"a\\q\"\n", "found unknown escape character", 1, 3).is_none());

        let block = "k: >-\n   \n  # c\nn: 1\n";
        assert_eq!(
            repaired(block, "wrongly indented line in block scalar", 3, 2).as_deref(),
            Some("k: >-\n   \n# c\nn: 1\n")
        );
        // Content, not a comment, or no blank lines before it: refused.
        assert!(
            repaired(
                "k: |\n   \n  x\n",
                "wrongly indented line in block scalar",
                3,
                2
            )
            .is_none()
        );
        assert!(
            repaired(
                "k: |\n  # c\n",
                "wrongly indented line in block scalar",
                2,
                2
            )
            .is_none()
        );
    }
}
