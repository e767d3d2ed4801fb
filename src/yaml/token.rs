//! The extent of the YAML token at a position, for carets that underline
//! the whole value or key a diagnostic is about. Positions come from the
//! parser (the first character of a scalar, key or collection); the length
//! follows YAML's lexical rules on that line: a quoted scalar to its
//! closing quote, a flow collection to its closing bracket, a plain scalar
//! to the `: `, ` #` or flow indicator that ends it.

/// Length in characters of the token starting at character `col` (0-based)
/// of `line`; at least 1.
pub fn len_at(line: &str, col: usize) -> usize {
    let chars: Vec<char> = line.chars().collect();
    if col >= chars.len() {
        return 1;
    }
    let rest = &chars[col..];
    let n = match rest[0] {
        '"' => double_quoted(rest),
        '\'' => single_quoted(rest),
        '{' | '[' => flow(rest),
        '|' | '>' => rest
            .iter()
            .take_while(|c| matches!(c, '|' | '>' | '-' | '+' | '0'..='9'))
            .count(),
        // Anchor, alias and tag names end at a space or a flow indicator.
        '&' | '*' | '!' => rest
            .iter()
            .take_while(|c| !c.is_whitespace() && !",[]{}".contains(**c))
            .count(),
        _ => plain(rest, in_flow(&chars[..col])),
    };
    n.max(1)
}

fn double_quoted(s: &[char]) -> usize {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    s.len()
}

fn single_quoted(s: &[char]) -> usize {
    let mut i = 1;
    while i < s.len() {
        if s[i] == '\'' {
            if s.get(i + 1) == Some(&'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    s.len()
}

/// A flow collection to its matching bracket on this line (or the line's
/// end when it continues on the next).
fn flow(s: &[char]) -> usize {
    let mut depth = 0usize;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            '"' => i += double_quoted(&s[i..]),
            '\'' => i += single_quoted(&s[i..]),
            '{' | '[' => {
                depth += 1;
                i += 1;
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                i += 1;
                if depth == 0 {
                    return i;
                }
            }
            '#' if i > 0 && s[i - 1].is_whitespace() => break,
            _ => i += 1,
        }
    }
    trim_end(s, i)
}

/// Is the text before a position inside an open flow collection?
fn in_flow(before: &[char]) -> bool {
    let mut depth = 0i32;
    let mut i = 0;
    while i < before.len() {
        match before[i] {
            '"' => i += double_quoted(&before[i..]),
            '\'' if i == 0 || !before[i - 1].is_alphanumeric() => {
                i += single_quoted(&before[i..]);
            }
            '{' | '[' => {
                depth += 1;
                i += 1;
            }
            '}' | ']' => {
                depth -= 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    depth > 0
}

/// A plain scalar (or key): up to `: `, a final `:`, ` #`, or in flow
/// context `,`, `]`, `}`; trailing spaces not counted.
fn plain(s: &[char], flow_context: bool) -> usize {
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1);
        if c == ':'
            && next.is_none_or(|n| n.is_whitespace() || (flow_context && ",]}".contains(*n)))
        {
            break;
        }
        if c == '#' && i > 0 && s[i - 1].is_whitespace() {
            break;
        }
        if flow_context && matches!(c, ',' | ']' | '}') {
            break;
        }
        i += 1;
    }
    trim_end(s, i)
}

fn trim_end(s: &[char], mut end: usize) -> usize {
    while end > 0 && s[end - 1].is_whitespace() {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::len_at;

    fn under(line: &str, col: usize) -> String {
        line.chars().skip(col).take(len_at(line, col)).collect()
    }

    #[test]
    fn tokens_end_where_yaml_ends_them() {
        assert_eq!(
            under("  owner: \"{{ vars.ownr }}\"", 9),
            "\"{{ vars.ownr }}\""
        );
        assert_eq!(under("  owner: \"a \\\" b\" # c", 9), "\"a \\\" b\"");
        assert_eq!(under("  a: 'it''s' # c", 5), "'it''s'");
        assert_eq!(under("  namspace: x", 2), "namspace");
        assert_eq!(under("  tag: latest   # pin me", 7), "latest");
        assert_eq!(under("  url: http://x:8080/a", 7), "http://x:8080/a");
        assert_eq!(
            under("  image: {repository: r, tag: latest}", 9),
            "{repository: r, tag: latest}"
        );
        assert_eq!(under("  image: {repository: r, tag: latest}", 30), "latest");
        assert_eq!(under("  l: [a, \"b]\", c]", 5), "[a, \"b]\", c]");
        assert_eq!(under("  script: |-", 10), "|-");
        assert_eq!(under("  x: *anchor", 5), "*anchor");
        assert_eq!(under("  - {name: T, value: ***}", 21), "***");
        assert_eq!(under("", 0), "");
        assert_eq!(len_at("abc", 10), 1);
    }
}
