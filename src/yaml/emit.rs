//! [`Node`] -> YAML text that every reader in the pipeline reads back alike.
//!
//! What nexus writes is read by Go's yaml.v2 (Helm, ArgoCD: YAML 1.1 rules,
//! where `yes`, `on`, `012` and `1e3` are not strings), by yaml.v3 and by
//! YAML 1.2 tools (linters, editors, kubectl plugins). A string is therefore
//! written plain only when it is made of harmless characters and none of
//! those readers could take it for anything but that same string; otherwise
//! it is quoted, or written as a literal block when it is multi-line text.
//! The layout is the conventional Kubernetes style (2-space indent, list
//! items indented under their key) so generated files diff cleanly.
//!
//! Output is deterministic and written into one `String` without per-node
//! allocations, since whole rendered trees (hundreds of thousands of nodes)
//! go through here.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::load::{is_yaml_float, resolve_typed};
use super::node::{Map, Node, Value, Via};

/// Keys whose written form is longer than this (in bytes) are written as
/// explicit `? key` entries: YAML limits implicit keys to 1024 characters.
const MAX_IMPLICIT_KEY: usize = 1000;

/// The node as one YAML document: block style, ending with a newline, no
/// leading `---`.
pub fn to_string(node: &Node) -> String {
    let mut out = String::new();
    write(node, &mut out);
    out
}

/// Append the node as one YAML document to `out`.
pub fn write(node: &Node, out: &mut String) {
    match &node.value {
        Value::Map(m) if !m.is_empty() => write_map(m, 0, false, Style::Block, out),
        Value::Seq(s) if !s.is_empty() => write_seq(s, 0, false, Style::Block, out),
        _ => write_scalar(node, 2, out),
    }
}

/// Does the document written for `node` read back (through nexus's own
/// loader, which reads YAML as Helm does) as exactly `node`'s values?
/// Asked before a file is written. Only documents holding a multi-line
/// string are read back: those are the ones whose writing has several
/// shapes (literal blocks, escapes); the rest are covered by the writer's
/// tests, and reading back every file would double the cost of a render.
///
/// Whether a document holds one is read off the text, which is faster
/// than walking the tree: the writer puts a line break of a string either
/// in a block scalar (`|`, `>`) or as an escape in double quotes (`\n`,
/// `\r`), so a text with none of these has no multi-line string (a text
/// that has one for another reason is only read back for nothing). One
/// vectorised pass over the text finds any of `|`, `>` and `\`.
pub fn reads_back(node: &Node, text: &str) -> bool {
    let may_hold = memchr::memchr3(b'|', b'>', b'\\', text.as_bytes()).is_some();
    !may_hold || reads_back_exactly(node, text)
}

/// Does `text` read back (through nexus's loader) as exactly `node`'s
/// values, whatever they hold? [`reads_back`] asks this for documents with
/// multi-line strings; the fuzzer asks it for every file.
pub fn reads_back_exactly(node: &Node, text: &str) -> bool {
    let limits = super::load::Limits {
        max_depth: usize::MAX,
        max_alias_nodes: usize::MAX,
    };
    match super::load::parse_one(text, super::node::FileId(u32::MAX), &limits) {
        Ok(Some(back)) => same_values(node, &back),
        Ok(None) => matches!(&node.value, Value::Map(m) if m.is_empty()),
        Err(_) => false,
    }
}

/// The same values (positions aside; `!!binary` marks included), floats
/// compared by bits so `-0.0` and NaN count.
pub fn same_values(a: &Node, b: &Node) -> bool {
    if (a.via == Via::BINARY) != (b.via == Via::BINARY) {
        return false;
    }
    match (&a.value, &b.value) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits() || x == y,
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_values(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, e)| y.get(k).is_some_and(|f| same_values(&e.node, &f.node)))
        }
        (x, y) => x == y,
    }
}

/// `s` as a one-line YAML scalar: unchanged when it can be written plain,
/// otherwise single-quoted (or double-quoted when it holds control or
/// line-break characters).
pub fn quote_if_needed(s: &str) -> Cow<'_, str> {
    if scalar_needs_quotes(s) {
        let mut out = String::with_capacity(s.len() + 2);
        write_quoted(s, &mut out);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` in single quotes, when they can carry it (no line breaks or control
/// characters).
pub fn single_quoted(s: &str) -> Option<String> {
    if s.chars().any(needs_escape) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 2);
    write_quoted(s, &mut out);
    Some(out)
}

/// `s` in double quotes, escaped.
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_double_quoted(s, &mut out);
    out
}

/// A value on one line in flow style (`{a: 1, b: [x, 'y z']}`); a scalar
/// as [`write`] would write it, strings quoted wherever plain text would be
/// read differently.
pub fn flow(node: &Node) -> String {
    let mut out = String::new();
    write_flow(node, &mut out);
    out
}

fn write_flow(node: &Node, out: &mut String) {
    match &node.value {
        Value::Map(m) => {
            out.push('{');
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_key(k, out);
                out.push_str(": ");
                write_flow(&e.node, out);
            }
            out.push('}');
        }
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(item, out);
            }
            out.push(']');
        }
        Value::Str(s) if node.via != Via::BINARY => {
            if s.contains(['\n', '\r']) {
                write_double_quoted(s, out);
            } else {
                out.push_str(&quote_if_needed(s));
            }
        }
        _ => {
            let start = out.len();
            write_scalar(node, 0, out);
            while out.len() > start && out.ends_with('\n') {
                out.pop();
            }
        }
    }
}

/// The node as a YAML document for people to edit (the layers `nexus
/// import` writes): block style, but a map or list short enough to fit on
/// its line is written in flow style (`resources: {cpu: 1, memory: 1Gi}`),
/// as people write small maps by hand.
pub fn to_string_compact(node: &Node) -> String {
    let mut out = String::new();
    match &node.value {
        Value::Map(m) if !m.is_empty() => write_map(m, 0, false, Style::Compact, &mut out),
        Value::Seq(s) if !s.is_empty() => write_seq(s, 0, false, Style::Compact, &mut out),
        _ => write_scalar(node, 2, &mut out),
    }
    out
}

/// Lines are kept under this width when a collection goes on one line.
const COMPACT_WIDTH: usize = 80;

/// The flow text of a collection if it fits after `used` characters.
fn fits(node: &Node, used: usize) -> Option<String> {
    if !matches!(&node.value, Value::Map(m) if !m.is_empty())
        && !matches!(&node.value, Value::Seq(s) if !s.is_empty())
    {
        return None;
    }
    fn multi_line(n: &Node) -> bool {
        match &n.value {
            Value::Str(s) => s.contains(['\n', '\r']),
            Value::Seq(items) => items.iter().any(multi_line),
            Value::Map(m) => m
                .iter()
                .any(|(k, e)| k.contains(['\n', '\r']) || multi_line(&e.node)),
            _ => false,
        }
    }
    if multi_line(node) {
        return None;
    }
    let f = flow(node);
    (used + f.len() <= COMPACT_WIDTH).then_some(f)
}

/// Whether the string `s` must be quoted to be read back as that string by
/// YAML 1.1 (yaml.v2) and YAML 1.2 readers alike. Conservative: plain only
/// when every character is in `[A-Za-z0-9 _./:@+=-]` and no rule below
/// applies.
pub fn scalar_needs_quotes(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return true; // empty: plain would be null
    };
    let harmless = |c: &u8| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b' ' | b'_' | b'.' | b'/' | b':' | b'@' | b'+' | b'=' | b'-'
            )
    };
    if !b.iter().all(harmless) {
        return true;
    }
    // Indicators (`-`, `:`, `@`), YAML 1.1's `=` value key, surrounding
    // spaces, `key: value` lookalikes and the `...` document end.
    if matches!(first, b' ' | b'-' | b':' | b'@' | b'=')
        || matches!(last, b' ' | b':')
        || s.contains(": ")
        || s.starts_with("...")
        || s == "."
    {
        return true;
    }
    // Anything yaml.v2 or a YAML 1.2 core-schema reader types otherwise.
    if resolve_typed(s).is_some() || yaml12_typed(s) || yaml11_number(s) {
        return true;
    }
    // YAML 1.1 sexagesimal numbers (`1:20`, `+1:30.5`) and timestamps
    // (`2024-01-01`, `2001-12-14t21:59:43.10-05:00`).
    if matches!(first, b'0'..=b'9' | b'+' | b'.') && s.contains(':') {
        return true;
    }
    b.len() >= 6 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5].is_ascii_digit()
}

/// Whether a YAML 1.2 core-schema reader reads the plain scalar `s` as
/// something other than a string.
fn yaml12_typed(s: &str) -> bool {
    let all = |d: &str, f: fn(&u8) -> bool| !d.is_empty() && d.as_bytes().iter().all(f);
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
    ) || all(unsigned, u8::is_ascii_digit)
        || s.strip_prefix("0o")
            .is_some_and(|d| all(d, |c| (b'0'..=b'7').contains(c)))
        || s.strip_prefix("0x")
            .is_some_and(|d| all(d, u8::is_ascii_hexdigit))
        || is_yaml_float(s)
        || matches!(unsigned, ".inf" | ".Inf" | ".INF")
        || matches!(s, ".nan" | ".NaN" | ".NAN")
}

/// Whether `s` matches the YAML 1.1 specification's int or float patterns
/// (as PyYAML implements them), which allow `_` anywhere after the first
/// digit: `1_0`, `0x_F`, `._5`, `1.5_0e+3`. Sexagesimal forms are caught
/// by the `:` rule.
fn yaml11_number(s: &str) -> bool {
    let u = s.strip_prefix(['+', '-']).unwrap_or(s);
    let all = |d: &str, f: fn(u8) -> bool| !d.is_empty() && d.bytes().all(f);
    if let Some(d) = u.strip_prefix("0b") {
        return all(d, |c| matches!(c, b'0' | b'1' | b'_'));
    }
    if let Some(d) = u.strip_prefix("0x") {
        return all(d, |c| c.is_ascii_hexdigit() || c == b'_');
    }
    let digits = |c: u8| c.is_ascii_digit() || c == b'_';
    if u.starts_with(|c: char| c.is_ascii_digit()) && all(u, digits) {
        return true;
    }
    let Some((int, rest)) = u.split_once('.') else {
        return false;
    };
    let (frac, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let int_ok =
        int.is_empty() || (int.starts_with(|c: char| c.is_ascii_digit()) && all(int, digits));
    let frac_ok = frac.bytes().all(digits) && (!int.is_empty() || !frac.is_empty());
    let exp_ok = exp.is_none_or(|e| {
        e.strip_prefix(['+', '-'])
            .is_some_and(|d| all(d, |c| c.is_ascii_digit()))
    });
    int_ok && frac_ok && exp_ok
}

/// Characters that single quotes and block scalars cannot carry: C0 and C1
/// controls, DEL, the YAML 1.1 line breaks (NEL, LS, PS), BOM and the
/// non-characters U+FFFE/U+FFFF.
fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
    )
}

fn write_quoted(s: &str, out: &mut String) {
    if s.chars().any(needs_escape) {
        write_double_quoted(s, out);
    } else {
        out.push('\'');
        for c in s.chars() {
            if c == '\'' {
                out.push('\'');
            }
            out.push(c);
        }
        out.push('\'');
    }
}

fn write_double_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\x1b' => out.push_str("\\e"),
            c if needs_escape(c) => {
                let n = u32::from(c);
                let _ = if n <= 0xff {
                    write!(out, "\\x{n:02X}")
                } else {
                    write!(out, "\\u{n:04X}")
                };
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether a multi-line string can be a literal block (`|`) and read back
/// identically by yaml.v2 and YAML 1.2 readers: nothing but printable
/// characters and tabs, a first line that has content and does not start
/// with whitespace (the first content line fixes the block's indentation:
/// an empty first line followed by `  x`, or a first line starting with a
/// space or tab, would need an indentation indicator, and yaml.v2 refuses
/// a tab there), and no line ending in whitespace. Anything else is
/// double-quoted.
fn literal_ok(s: &str) -> bool {
    let body = s.trim_end_matches('\n');
    if !body.contains('\n') && body.len() == s.len() {
        return false; // not multi-line
    }
    if body.is_empty() || body.starts_with(['\n', ' ', '\t']) {
        return false;
    }
    if s.chars().any(|c| c != '\n' && c != '\t' && needs_escape(c)) {
        return false;
    }
    body.split('\n').all(|l| !l.ends_with([' ', '\t']))
}

/// Literal block: header, then each line at `indent` spaces. Ends with a
/// newline.
fn write_literal(s: &str, indent: usize, out: &mut String) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push_str(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            push_indent(indent, out);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

fn push_indent(n: usize, out: &mut String) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// A scalar (or an empty map/list) followed by a newline. `indent` is where
/// the lines of a literal block go.
fn write_scalar(node: &Node, indent: usize, out: &mut String) {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_float(*f, out),
        Value::Str(s) if node.via == Via::BINARY => {
            out.push_str("!!binary ");
            out.push_str(s);
        }
        Value::Str(s) => {
            if !scalar_needs_quotes(s) {
                out.push_str(s);
            } else if literal_ok(s) {
                return write_literal(s, indent, out);
            } else {
                write_quoted(s, out);
            }
        }
        // Only empty collections reach here; non-empty ones are written by
        // the callers in block style.
        Value::Map(_) => out.push_str("{}"),
        Value::Seq(_) => out.push_str("[]"),
    }
    out.push('\n');
}

/// A float that every reader reads back as a float: always with a `.` in
/// the mantissa and a signed exponent (`1000.0`, `1.0e+20`, `5.0e-324`).
fn write_float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str(".nan");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { ".inf" } else { "-.inf" });
    } else {
        let start = out.len();
        // Debug is the shortest text that parses back to the same f64 and
        // always has a `.0` unless it uses an exponent.
        let _ = write!(out, "{f:?}");
        if let Some(e) = out[start..].find('e').map(|i| start + i) {
            let mut e = e;
            if !out[start..e].contains('.') {
                out.insert_str(e, ".0");
                e += 2;
            }
            if out.as_bytes().get(e + 1) != Some(&b'-') {
                out.insert(e + 1, '+');
            }
        }
    }
}

fn write_key(k: &str, out: &mut String) {
    if scalar_needs_quotes(k) {
        write_quoted(k, out);
    } else {
        out.push_str(k);
    }
}

/// How collections are written: always as blocks, or (compact) on one line
/// in flow style when short enough and not at the top level.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Block,
    Compact,
}

/// A non-empty map at `indent`. With `inline_first`, the first key goes on
/// the current line (after a list dash).
fn write_map(map: &Map, indent: usize, inline_first: bool, style: Style, out: &mut String) {
    for (i, (k, e)) in map.iter().enumerate() {
        if i > 0 || !inline_first {
            push_indent(indent, out);
        }
        let start = out.len();
        write_key(k, out);
        if out.len() - start > MAX_IMPLICIT_KEY {
            out.truncate(start);
            out.push_str("? ");
            write_key(k, out);
            out.push('\n');
            push_indent(indent, out);
        }
        let key_len = out.len() - start;
        out.push(':');
        // Top-level keys (`app:`, `argocd:`) always open a block.
        if style == Style::Compact
            && indent > 0
            && let Some(f) = fits(&e.node, indent + key_len + 2)
        {
            out.push(' ');
            out.push_str(&f);
            out.push('\n');
            continue;
        }
        match &e.node.value {
            Value::Map(m) if !m.is_empty() => {
                out.push('\n');
                write_map(m, indent + 2, false, style, out);
            }
            Value::Seq(s) if !s.is_empty() => {
                out.push('\n');
                write_seq(s, indent + 2, false, style, out);
            }
            _ => {
                out.push(' ');
                write_scalar(&e.node, indent + 2, out);
            }
        }
    }
}

/// A non-empty list with its dashes at `indent`. With `inline_first`, the
/// first dash goes on the current line (`- - a`).
fn write_seq(seq: &[Node], indent: usize, inline_first: bool, style: Style, out: &mut String) {
    for (i, item) in seq.iter().enumerate() {
        if i > 0 || !inline_first {
            push_indent(indent, out);
        }
        out.push_str("- ");
        if style == Style::Compact
            && let Some(f) = fits(item, indent + 2)
        {
            out.push_str(&f);
            out.push('\n');
            continue;
        }
        match &item.value {
            Value::Map(m) if !m.is_empty() => write_map(m, indent + 2, true, style, out),
            Value::Seq(s) if !s.is_empty() => write_seq(s, indent + 2, true, style, out),
            _ => write_scalar(item, indent + 2, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::load::{Limits, parse_one, resolve_plain};
    use super::super::node::{Entry, FileId, Pos};
    use super::*;

    const G: Pos = Pos::GENERATED;

    fn s(v: &str) -> Node {
        Node::str(v, G)
    }

    fn n(v: Value) -> Node {
        Node::new(v, G)
    }

    fn map(entries: Vec<(&str, Node)>) -> Node {
        let mut m = Map::new();
        for (k, v) in entries {
            m.insert(k.to_string(), Entry::new(G, v));
        }
        n(Value::Map(m))
    }

    fn seq(items: Vec<Node>) -> Node {
        n(Value::Seq(items))
    }

    fn load(text: &str) -> Node {
        match parse_one(text, FileId(0), &Limits::default()) {
            Ok(Some(n)) => n,
            other => panic!("reading back {text:?} gave {other:?}"),
        }
    }

    /// Values equal, positions ignored, NaN equal to NaN.
    fn same(a: &Node, b: &Node) -> bool {
        match (&a.value, &b.value) {
            (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
            (Value::Seq(x), Value::Seq(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Value::Map(x), Value::Map(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y.iter())
                        .all(|((ka, ea), (kb, eb))| ka == kb && same(&ea.node, &eb.node))
            }
            (x, y) => x == y,
        }
    }

    /// The value serde_yaml (a YAML 1.2 reader) should produce.
    fn to_serde(node: &Node) -> serde_yaml::Value {
        use serde_yaml::Value as Y;
        match &node.value {
            Value::Null => Y::Null,
            Value::Bool(b) => Y::Bool(*b),
            Value::Int(i) => Y::Number((*i).into()),
            Value::Float(f) => Y::Number((*f).into()),
            Value::Str(s) => Y::String(s.clone()),
            Value::Seq(items) => Y::Sequence(items.iter().map(to_serde).collect()),
            Value::Map(m) => Y::Mapping(
                m.iter()
                    .map(|(k, e)| (Y::String(k.clone()), to_serde(&e.node)))
                    .collect(),
            ),
        }
    }

    fn check_round_trip(node: &Node) {
        let text = to_string(node);
        assert!(text.ends_with('\n'), "{text:?}");
        let back = load(&text);
        assert!(
            same(node, &back),
            "our reader: {node:?}\nemitted {text:?}\nread {back:?}"
        );
        let theirs: serde_yaml::Value = match serde_yaml::from_str(&text) {
            Ok(v) => v,
            Err(e) => panic!("serde_yaml cannot read {text:?}: {e}"),
        };
        assert_eq!(theirs, to_serde(node), "serde_yaml on {text:?}");
    }

    const TRICKY: &[&str] = &[
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "n",
        "~",
        "null",
        "NULL",
        "true",
        "False",
        "012",
        "0x1F",
        "0o17",
        "0b101",
        "1e3",
        "1E3",
        "1_000",
        "1.",
        ".5",
        "+1",
        "-1",
        ".inf",
        "-.inf",
        ".NaN",
        "2024-01-01",
        "2001-12-14t21:59:43.10-05:00",
        "1:20",
        "-",
        "---",
        "...",
        "- a",
        "a: b",
        "a:",
        ":a",
        "a #b",
        "#x",
        "@x",
        "`x",
        "'q'",
        "\"dq\"",
        "multi\nline\n",
        "no newline\nend",
        "trailing\n\n",
        "  leading",
        "trailing ",
        "tab\there",
        "\u{1}",
        "ünïcödé",
        "",
        "\"\"",
        "<<",
        "=",
        "?",
        "? x",
        "!tag",
        "&a",
        "*a",
        "%x",
        "|",
        ">",
        "[a]",
        "{a}",
        "a,b",
        "\n",
        "\nleading newline",
        "line \nspace",
        "  indented\nblock",
        "\tx\ny",
        "a\r\nb",
        "\u{85}",
        "x\u{2028}y",
        "\u{feff}bom",
        "99999999999999999999",
        "1e999",
        "0999",
        "1.2.3",
        "http://example.com:8080/x",
        "nginx:1.25",
        "a b  c",
        "key=val",
        "_1",
        "+",
        ".",
        "..",
        "1__",
        "08",
        "it's",
        "back\\slash",
        "é'\"\\\t",
    ];

    #[test]
    fn tricky_strings_round_trip() {
        let mut big = String::from("9");
        big.push_str(&"9".repeat(400));
        let mut all: Vec<String> = TRICKY.iter().map(|s| s.to_string()).collect();
        all.push(big);
        for t in &all {
            // As a map value, a list item, a key, and the whole document.
            check_round_trip(&map(vec![("k", s(t))]));
            check_round_trip(&seq(vec![s(t), s("after")]));
            check_round_trip(&map(vec![(t.as_str(), s("v")), ("next", s("w"))]));
            check_round_trip(&s(t));
            check_round_trip(&map(vec![
                ("outer", map(vec![("k", s(t))])),
                ("z", s("1.0")),
            ]));
        }
    }

    #[test]
    fn retyped_strings_are_quoted() {
        let mut all: Vec<&str> = TRICKY.to_vec();
        all.extend([
            "1", "-0", "0", "1.5", "1e-3", "0X1f", "Yes", "ON", "Null", "+.INF", "1_0.5",
        ]);
        for t in all {
            let typed_v2 = !matches!(resolve_plain(t), Value::Str(_));
            let looks_like_time = t.len() >= 6 && t.as_bytes()[..4].iter().all(u8::is_ascii_digit);
            if typed_v2
                || yaml12_typed(t)
                || looks_like_time
                || t.contains(':') && t.starts_with(|c: char| c.is_ascii_digit())
            {
                assert!(scalar_needs_quotes(t), "{t:?} must be quoted");
                let text = to_string(&map(vec![("k", s(t))]));
                assert!(
                    text.starts_with("k: '") || text.starts_with("k: \""),
                    "{t:?} emitted as {text:?}"
                );
            }
        }
        for t in ["._5", "1_0", "+0x_F", "1.5_0e+3", "0b1_0", "1_0.", "-.5"] {
            assert!(yaml11_number(t), "{t:?}");
            assert!(scalar_needs_quotes(t), "{t:?}");
        }
        for t in ["1.2.3", "_1", "1e5x", "0xg", "a.5", "1.2e3.4", "."] {
            assert!(!yaml11_number(t), "{t:?}");
        }
        for plain in [
            "hello",
            "a b",
            "http://x.y/z",
            "nginx:1.25",
            "1.2.3",
            "v1",
            "a-b_c.d",
            "x=y",
            "user@host",
        ] {
            assert!(!scalar_needs_quotes(plain), "{plain:?} can stay plain");
            assert_eq!(quote_if_needed(plain), plain);
        }
    }

    #[test]
    fn quoting_styles() {
        assert_eq!(quote_if_needed("yes"), "'yes'");
        assert_eq!(quote_if_needed("it's: x"), "'it''s: x'");
        assert_eq!(quote_if_needed(""), "''");
        assert_eq!(quote_if_needed("a\nb"), "\"a\\nb\"");
        assert_eq!(quote_if_needed("t\tq\"\\"), "\"t\\tq\\\"\\\\\"");
        assert_eq!(
            quote_if_needed("\u{1}\u{7f}\u{85}\u{2028}\u{feff}"),
            "\"\\x01\\x7F\\x85\\u2028\\uFEFF\""
        );
        assert_eq!(quote_if_needed("ünï"), "'ünï'");
        assert_eq!(to_string(&s("multi\nline\n")), "|\n  multi\n  line\n");
        assert_eq!(
            to_string(&s("no newline\nend")),
            "|-\n  no newline\n  end\n"
        );
        assert_eq!(to_string(&s("trailing\n\n")), "|+\n  trailing\n\n");
        assert_eq!(to_string(&s("a\n\nb\n")), "|\n  a\n\n  b\n");
        assert_eq!(to_string(&s("  lead\nx")), "\"  lead\\nx\"\n");
        assert_eq!(to_string(&s("sp \nx")), "\"sp \\nx\"\n");
    }

    /// A `!!binary` value that is not text is written back tagged, so
    /// Helm reads the same bytes; it reads back marked.
    #[test]
    fn binary_values_keep_their_tag() {
        let mut bin = s("/+7/AA==");
        bin.via = Via::BINARY;
        let doc = map(vec![("keystore", bin), ("list", seq(vec![s("x")]))]);
        let text = to_string(&doc);
        assert_eq!(text, "keystore: !!binary /+7/AA==\nlist:\n  - x\n");
        let back = load(&text);
        assert_eq!(back.get("keystore").unwrap().via, Via::BINARY);
        assert!(same(&doc, &back));
        assert!(reads_back(&doc, &text));
    }

    /// The compact form reads back as the same values.
    #[test]
    fn compact_documents_read_back() {
        let doc = load(concat!(
            "a: {b: 1, c: [x, z]}\n",
            "long:\n  aaaaaaaaaaaaaaaaaaaa: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n  c: d\n",
            "list:\n  - {name: a, value: '1'}\n  - name: b\n    value: |\n      multi\n      line\n",
            "s: \"on\"\n",
        ));
        let text = to_string_compact(&doc);
        // Top-level keys are always blocks; short collections below are flow.
        assert!(text.contains("a:\n  b: 1\n  c: [x, z]\n"), "{text}");
        assert!(text.contains("- {name: a, value: '1'}\n"), "{text}");
        assert!(text.contains("  - name: b\n    value: |\n"), "{text}");
        assert!(same(&doc, &load(&text)), "{text}");
    }

    #[test]
    fn scalars() {
        let cases: Vec<(Value, &str)> = vec![
            (Value::Null, "null\n"),
            (Value::Bool(true), "true\n"),
            (Value::Bool(false), "false\n"),
            (Value::Int(0), "0\n"),
            (Value::Int(-42), "-42\n"),
            (Value::Int(i64::MIN), "-9223372036854775808\n"),
            (Value::Float(1000.0), "1000.0\n"),
            (Value::Float(0.5), "0.5\n"),
            (Value::Float(-0.0), "-0.0\n"),
            (Value::Float(1e20), "1.0e+20\n"),
            (Value::Float(1.5e-7), "1.5e-7\n"),
            (Value::Float(5e-324), "5.0e-324\n"),
            (Value::Float(f64::MAX), "1.7976931348623157e+308\n"),
            (Value::Float(f64::INFINITY), ".inf\n"),
            (Value::Float(f64::NEG_INFINITY), "-.inf\n"),
            (Value::Float(f64::NAN), ".nan\n"),
            (Value::Map(Map::new()), "{}\n"),
            (Value::Seq(vec![]), "[]\n"),
        ];
        for (v, want) in cases {
            let node = n(v);
            assert_eq!(to_string(&node), want);
            check_round_trip(&node);
            check_round_trip(&map(vec![("k", node.clone())]));
            check_round_trip(&seq(vec![node]));
        }
    }

    #[test]
    fn containers() {
        let doc = map(vec![
            ("empty_map", map(vec![])),
            ("empty_list", seq(vec![])),
            (
                "list",
                seq(vec![s("a"), n(Value::Int(1)), map(vec![]), seq(vec![])]),
            ),
            (
                "nested",
                seq(vec![seq(vec![s("a"), seq(vec![s("b")])]), seq(vec![])]),
            ),
            (
                "items",
                seq(vec![map(vec![
                    ("name", s("x")),
                    ("port", n(Value::Int(80))),
                ])]),
            ),
            (
                "deep",
                map(vec![(
                    "a",
                    map(vec![("b", map(vec![("c", n(Value::Null))]))]),
                )]),
            ),
            (
                "block",
                seq(vec![
                    s("l1\nl2\n"),
                    map(vec![("script", s("echo 1\n\techo 2\n"))]),
                ]),
            ),
        ]);
        let text = to_string(&doc);
        assert_eq!(
            text,
            "\
empty_map: {}
empty_list: []
list:
  - a
  - 1
  - {}
  - []
nested:
  - - a
    - - b
  - []
items:
  - name: x
    port: 80
deep:
  a:
    b:
      c: null
block:
  - |
    l1
    l2
  - script: |
      echo 1
      \techo 2
"
        );
        check_round_trip(&doc);
        check_round_trip(&seq(vec![seq(vec![seq(vec![n(Value::Int(1))])])]));
    }

    #[test]
    fn long_keys_use_explicit_syntax() {
        let long = "k".repeat(1500);
        let doc = map(vec![
            (long.as_str(), map(vec![("a", s("b"))])),
            ("x", s("y")),
        ]);
        let text = to_string(&doc);
        assert!(text.starts_with("? kkk"), "{text}");
        let escaped = "\u{1}".repeat(300);
        let doc = map(vec![(escaped.as_str(), s("v"))]);
        assert!(to_string(&doc).starts_with("? \"\\x01"));
        check_round_trip(&doc);
        check_round_trip(&doc);
        check_round_trip(&seq(vec![map(vec![
            (long.as_str(), s("v")),
            ("w", s("z")),
        ])]));
    }

    #[test]
    fn snapshot_of_a_realistic_document() {
        let text = "\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-prod
  namespace: argocd
  labels:
    app.kubernetes.io/name: web
    env: prod
  annotations:
    argocd.argoproj.io/sync-wave: '-1'
    note: 'yes'
spec:
  project: default
  source:
    repoURL: https://charts.example.com
    chart: web
    targetRevision: 1.2.3
    helm:
      releaseName: web
      values: |
        replicas: 3
        image:
          tag: \"1.25\"
      parameters:
        - name: image.tag
          value: '1.25'
        - name: debug
          value: 'true'
        - name: cron
          value: '*/5 * * * *'
  destination:
    server: https://kubernetes.default.svc
    namespace: web
  syncPolicy:
    automated:
      prune: true
      selfHeal: false
    syncOptions:
      - CreateNamespace=true
      - ServerSideApply=true
  ignoreDifferences: []
  info: {}
  revisionHistoryLimit: 10
  ratio: 0.25
  timeout: null
  ports:
    - - 80
      - 443
  '0755': mode
  '': empty key
";
        let node = load(text);
        assert_eq!(
            node.get_path("spec.ports.0.1").and_then(Node::as_i64),
            Some(443)
        );
        assert_eq!(to_string(&node), text);
        check_round_trip(&node);
    }

    /// Tiny deterministic PRNG (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const PIECES: &[&str] = &[
        "a",
        "b",
        "Z",
        "0",
        "1",
        "9",
        "_",
        ".",
        "-",
        "+",
        ":",
        " ",
        "/",
        "@",
        "=",
        "#",
        "'",
        "\"",
        "\\",
        "\n",
        "\t",
        "\r",
        "!",
        "&",
        "*",
        "?",
        "|",
        ">",
        "%",
        "`",
        ",",
        "[",
        "]",
        "{",
        "}",
        "~",
        "e",
        "E",
        "x",
        "o",
        "0x",
        "0o",
        "0b",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "true",
        "null",
        "Null",
        ".inf",
        ".nan",
        "<<",
        "---",
        "...",
        ": ",
        " #",
        "ü",
        "\u{1}",
        "\u{85}",
        "\u{2028}",
        "\u{feff}",
        "\u{7f}",
        "2024-01-01",
        "1:20",
        "12",
        "1e3",
        "1_0",
        "  ",
        "\n\n",
    ];

    fn random_string(rng: &mut Rng) -> String {
        let len = rng.below(6);
        (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect()
    }

    fn random_node(rng: &mut Rng, depth: usize) -> Node {
        let pick = if depth >= 4 {
            rng.below(6)
        } else {
            rng.below(9)
        };
        match pick {
            0 => n(Value::Null),
            1 => n(Value::Bool(rng.below(2) == 0)),
            2 => n(Value::Int(match rng.below(3) {
                0 => rng.below(100) as i64 - 50,
                1 => rng.next() as i64,
                _ => [i64::MIN, i64::MAX, 0][rng.below(3)],
            })),
            3 => n(Value::Float(match rng.below(4) {
                0 => f64::from_bits(rng.next()),
                1 => (rng.below(2000) as f64 - 1000.0) / 8.0,
                2 => [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e300, -0.0][rng.below(5)],
                _ => rng.next() as f64 * 1e10,
            })),
            4 | 5 => s(&random_string(rng)),
            6 | 7 => {
                let mut m = Map::new();
                for _ in 0..rng.below(4) {
                    m.insert(
                        random_string(rng),
                        Entry::new(G, random_node(rng, depth + 1)),
                    );
                }
                n(Value::Map(m))
            }
            _ => seq((0..rng.below(4))
                .map(|_| random_node(rng, depth + 1))
                .collect()),
        }
    }

    /// Multi-line text of every shape (empty lines, indentation after an
    /// empty line, tabs, trailing spaces, `#`, `: `, unicode, long lines)
    /// reads back as exactly the same string, as a value, a list item, a
    /// key and a whole document.
    #[test]
    fn generated_multi_line_strings_round_trip() {
        const LINES: &[&str] = &[
            "",
            "x",
            "  x",
            "\tx",
            "x ",
            "x\t",
            "    -----BEGIN-----",
            "a: b",
            "# c",
            "x #y",
            "- item",
            "? q",
            "{a}",
            "[b]",
            "'q'",
            "\"dq\"",
            "é ünï",
            "😀",
            "...",
            "---",
            "  ",
            "\t",
            "key: |",
            ">",
            "|",
            "%TAG",
            "@x",
            "`x`",
            "a\\b",
            "long long long long long long long long long long long long long long long long long long long long",
        ];
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        for _ in 0..20_000 {
            let n_lines = 1 + rng.below(5);
            let mut text: String = (0..n_lines)
                .map(|_| LINES[rng.below(LINES.len())])
                .collect::<Vec<_>>()
                .join("\n");
            for _ in 0..rng.below(3) {
                text.push('\n');
            }
            if rng.below(4) == 0 {
                text.insert(0, '\n');
            }
            check_round_trip(&map(vec![("k", s(&text)), ("after", s("v"))]));
            check_round_trip(&seq(vec![s(&text), s("after")]));
            check_round_trip(&map(vec![(text.as_str(), s("v"))]));
            check_round_trip(&map(vec![("outer", map(vec![("k", s(&text))]))]));
            check_round_trip(&s(&text));
        }
    }

    #[test]
    fn random_trees_round_trip() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..4000 {
            let node = random_node(&mut rng, 0);
            check_round_trip(&node);
        }
    }
}
