//! Minimal text edits of a layer file (`nexus set`, `nexus promote`): one
//! value's bytes replaced in place, or the lines of a missing key inserted
//! where a person would write them, and every other byte (comments, blank
//! lines, key order, quoting, flow style) left as it was.
//!
//! The edit is made on the text, guided by the positions the loader
//! records, and then checked: the edited text must read back as the old
//! document with exactly that one value set. An edit that would change
//! anything else (a value reached through an alias or a merge key, shared
//! with other places) is refused rather than written.

use crate::error::Error;
use crate::paths::{self, Seg};
use crate::yaml::emit;
use crate::yaml::load::{self, Limits};
use crate::yaml::node::{Entry, FileId, Map, Node, Pos, Value};

/// File id for positions while editing (never shown).
const EDIT_FILE: FileId = FileId::UNLISTED;

/// The result of an edit.
#[derive(Debug, Clone)]
pub struct Edited {
    /// The new text of the file.
    pub text: String,
    /// 1-based line where the value now is.
    pub line: u32,
    /// The value the file set before, if it set one.
    pub old: Option<Node>,
}

/// Why an edit was not made.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// The file's YAML does not parse.
    Unreadable(String),
    /// The path cannot be set in this file (goes through a scalar, a list
    /// index past the end, a `key+` list ...).
    Path(String),
    /// The text cannot be changed at one place without changing other
    /// values (aliases, merge keys).
    Shared(String),
}

impl Refused {
    pub fn message(&self) -> &str {
        match self {
            Refused::Unreadable(m) | Refused::Path(m) | Refused::Shared(m) => m,
        }
    }
}

/// The first line of a new layer file: the schema for editors.
pub fn new_file_header(rel: &str) -> String {
    let depth = rel.matches('/').count();
    format!(
        "# yaml-language-server: $schema={}schemas/layer.schema.json\n",
        "../".repeat(depth)
    )
}

/// Set `segs` (a path in the layer document: `app.values.image.tag`) to
/// `value` in the layer `text` (empty for a file that does not exist yet,
/// at `rel`).
pub fn set(text: &str, rel: &str, segs: &[Seg], value: &Node) -> Result<Edited, Refused> {
    let doc = load::parse_one(text, EDIT_FILE, &Limits::default())
        .map_err(|e| Refused::Unreadable(format!("{rel}:{}:{}: {}", e.line, e.col, e.message)))?;
    let edited = match &doc {
        None => {
            // An empty or new file: the header (for a new one) and the keys.
            let mut out = if text.trim().is_empty() && text.is_empty() {
                new_file_header(rel)
            } else {
                text.to_string()
            };
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            let at = out.lines().count() as u32 + 1;
            out.push_str(&block_subtree(segs, value, 0)?);
            Edited {
                text: out,
                line: at + segs.len().saturating_sub(1) as u32,
                old: None,
            }
        }
        Some(root) => edit_document(text, rel, root, segs, value)?,
    };
    verify(doc.as_ref(), &edited.text, segs, value)?;
    Ok(edited)
}

/// Byte offsets of the start of each line.
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// 1-based line `n` without its line break.
    fn line(&self, n: u32) -> &'t str {
        let Some(&start) = self.starts.get((n as usize).wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .starts
            .get(n as usize)
            .map_or(self.text.len(), |next| next - 1);
        let l = &self.text[start..end.max(start)];
        l.strip_suffix('\r').unwrap_or(l)
    }

    fn count(&self) -> u32 {
        self.starts.len() as u32
    }

    /// Byte offset of 1-based `line`, 1-based char column `col`.
    fn offset(&self, line: u32, col: u32) -> usize {
        let Some(&start) = self.starts.get((line as usize).wrapping_sub(1)) else {
            return self.text.len();
        };
        let l = self.line(line);
        let byte = l
            .char_indices()
            .nth(col.saturating_sub(1) as usize)
            .map_or(l.len(), |(b, _)| b);
        start + byte
    }

    /// Byte offset of the end of 1-based `line` (before its line break).
    fn end_of(&self, line: u32) -> usize {
        self.offset(line, 1) + self.line(line).len()
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// `a` is at or after `b` in the text.
fn at_or_after(a: Pos, b: Pos) -> bool {
    (a.line, a.col) >= (b.line, b.col)
}

/// How a node is written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Written {
    /// `key:` with nothing after it.
    Empty,
    /// One token (a plain, quoted or block scalar, a flow collection, an
    /// alias) starting at the node's position.
    Token,
    /// A block map or list below its key.
    Block,
}

fn written(lines: &Lines, node: &Node, key_pos: Option<Pos>) -> Written {
    if key_pos == Some(node.pos) && node.is_null() {
        return Written::Empty;
    }
    let first = lines
        .line(node.pos.line)
        .chars()
        .nth(node.pos.col.saturating_sub(1) as usize);
    match (&node.value, first) {
        (Value::Map(m), c) if !m.is_empty() && c != Some('{') => Written::Block,
        (Value::Seq(s), c) if !s.is_empty() && c != Some('[') => Written::Block,
        _ => Written::Token,
    }
}

/// Where the walk down the path ended.
struct Found<'n> {
    /// The deepest node of the path the file has.
    node: &'n Node,
    /// How many segments it covers.
    depth: usize,
    /// The key position of the entry holding `node` (None for the root and
    /// list items).
    key_pos: Option<Pos>,
    /// The indentation of the line of that key (or list dash).
    parent_indent: usize,
    /// Inside a flow collection.
    in_flow: bool,
}

fn walk<'n>(lines: &Lines, root: &'n Node, segs: &[Seg], rel: &str) -> Result<Found<'n>, Refused> {
    let mut found = Found {
        node: root,
        depth: 0,
        key_pos: None,
        parent_indent: 0,
        in_flow: false,
    };
    for (i, seg) in segs.iter().enumerate() {
        let node = found.node;
        let here = || paths::display_user(&segs[..=i]);
        let starts_flow = || {
            lines
                .line(node.pos.line)
                .chars()
                .nth(node.pos.col.saturating_sub(1) as usize)
                .is_some_and(|c| c == '{' || c == '[')
        };
        let in_flow = found.in_flow || starts_flow();
        let (child, key_pos) = match (seg, &node.value) {
            (Seg::Key(k), Value::Map(m)) => {
                if let Some(e) = m.get(&format!("{k}+")) {
                    return Err(Refused::Path(format!(
                        "{rel}:{}: `{}+` appends to the list; set cannot edit an appended list (edit the file, or set the whole list at `{}`)",
                        e.key_pos.line,
                        k,
                        here()
                    )));
                }
                let Some(e) = m.get(k).or_else(|| m.get(&format!("{k}!"))) else {
                    break;
                };
                (&e.node, Some(e.key_pos))
            }
            (Seg::Index(n), Value::Seq(items)) => match items.get(*n) {
                Some(item) => (item, None),
                None => {
                    return Err(Refused::Path(format!(
                        "{rel}:{}: `{}` has {} item(s); there is no [{n}]",
                        node.pos.line,
                        paths::display_user(&segs[..i]),
                        items.len()
                    )));
                }
            },
            (Seg::Key(k), Value::Seq(items)) if k.parse::<usize>().is_ok() => {
                let n: usize = k.parse().unwrap_or(usize::MAX);
                match items.get(n) {
                    Some(item) => (item, None),
                    None => {
                        return Err(Refused::Path(format!(
                            "{rel}:{}: `{}` has {} item(s); there is no [{n}]",
                            node.pos.line,
                            paths::display_user(&segs[..i]),
                            items.len()
                        )));
                    }
                }
            }
            (Seg::Index(_), Value::Map(_)) => {
                return Err(Refused::Path(format!(
                    "{rel}:{}: `{}` is a map, not a list",
                    node.pos.line,
                    paths::display_user(&segs[..i])
                )));
            }
            (_, Value::Null) if i > 0 && written(lines, node, found.key_pos) == Written::Empty => {
                break;
            }
            _ => {
                return Err(Refused::Path(format!(
                    "{rel}:{}: `{}` is {} in this file, so `{}` cannot be set inside it; set `{}` itself",
                    node.pos.line,
                    paths::display_user(&segs[..i]),
                    node.type_name(),
                    paths::display_user(segs),
                    paths::display_user(&segs[..i])
                )));
            }
        };
        // A value that sits before its key, or an entry before its map, came
        // through an alias or a merge key: the text is shared.
        let shared = match key_pos {
            Some(kp) => !at_or_after(child.pos, kp) || !at_or_after(kp, node.pos),
            None => !at_or_after(child.pos, node.pos),
        };
        if shared {
            return Err(Refused::Shared(format!(
                "{rel}: `{}` comes from an alias or a merge key (`*name`, `<<:`), so editing it would change other values too; edit the anchor or replace the alias by hand",
                here()
            )));
        }
        let parent_indent = match key_pos {
            // The key's column (after a list dash, `- key:`).
            Some(kp) => kp.col.saturating_sub(1) as usize,
            None => {
                // A list item: the column of its dash.
                let l = lines.line(child.pos.line);
                let before: String = l
                    .chars()
                    .take(child.pos.col.saturating_sub(1) as usize)
                    .collect();
                before.rfind('-').unwrap_or(indent(l))
            }
        };
        found = Found {
            node: child,
            depth: i + 1,
            key_pos,
            parent_indent,
            in_flow,
        };
    }
    Ok(found)
}

fn edit_document(
    text: &str,
    rel: &str,
    root: &Node,
    segs: &[Seg],
    value: &Node,
) -> Result<Edited, Refused> {
    let lines = Lines::new(text);
    let found = walk(&lines, root, segs, rel)?;
    if found.depth == segs.len() {
        replace(text, &lines, &found, value)
    } else {
        insert(text, &lines, &found, &segs[found.depth..], value, rel)
    }
}

/// Replace the value at `found` (the whole path exists).
fn replace(text: &str, lines: &Lines, found: &Found, value: &Node) -> Result<Edited, Refused> {
    let node = found.node;
    let old = Some(node.clone());
    let how = written(lines, node, found.key_pos);
    let (start, end, new_text, line) = match how {
        Written::Empty => {
            // `key:` alone: the value goes after the colon.
            let Some(kp) = found.key_pos else {
                return Err(Refused::Path(
                    "an empty document cannot be edited in place".into(),
                ));
            };
            let colon = colon_after_key(lines, kp);
            let (text_for, line) = inline_or_block(value, found.parent_indent + 2);
            (colon, colon, text_for, kp.line + u32::from(line))
        }
        Written::Block => {
            let Some(kp) = found.key_pos else {
                return Err(Refused::Path(
                    "a list item holding a block map or list cannot be replaced in place; edit the file".into(),
                ));
            };
            let colon = colon_after_key(lines, kp);
            let last = block_end(lines, kp.line, found.parent_indent);
            let end = lines.end_of(last);
            let (text_for, line) = inline_or_block(value, found.parent_indent + 2);
            (colon, end, text_for, kp.line + u32::from(line))
        }
        Written::Token => {
            let start = token_start(lines, node);
            let end = token_end(lines, node, found.parent_indent);
            let old_token = &text[lines.offset(node.pos.line, node.pos.col)..end];
            let new = scalar_or_flow(value, old_token, found.in_flow);
            (start, end, new, node.pos.line)
        }
    };
    let mut out = String::with_capacity(text.len() + new_text.len());
    out.push_str(&text[..start]);
    out.push_str(&new_text);
    out.push_str(&text[end..]);
    Ok(Edited {
        text: out,
        line,
        old,
    })
}

/// Byte offset just after the `:` that ends the key at `kp`.
fn colon_after_key(lines: &Lines, kp: Pos) -> usize {
    let l = lines.line(kp.line);
    let col0 = kp.col.saturating_sub(1) as usize;
    let key_len = crate::yaml::token::len_at(l, col0);
    let from = lines.offset(kp.line, kp.col + key_len as u32);
    let rest = &lines.text[from..];
    match rest.find(':') {
        Some(i) => from + i + 1,
        None => from,
    }
}

/// The last line of a block (a block collection or block scalar) below a
/// key (or list dash) at column `key_indent`: the lines indented more, with
/// blank lines and comments among them (trailing ones left out), and a
/// list written at the key's own indentation (`key:` then `- a`).
fn block_end(lines: &Lines, key_line: u32, key_indent: usize) -> u32 {
    let mut last = key_line;
    let mut same_indent_list: Option<bool> = None;
    let mut n = key_line + 1;
    while n <= lines.count() {
        let l = lines.line(n);
        if blank_or_comment(l) {
            n += 1;
            continue;
        }
        let ind = indent(l);
        let t = l.trim_start();
        let dash = t == "-" || t.starts_with("- ");
        let continues = if ind > key_indent {
            true
        } else if ind == key_indent && dash {
            *same_indent_list.get_or_insert(true)
        } else {
            false
        };
        same_indent_list.get_or_insert(false);
        if !continues {
            break;
        }
        last = n;
        n += 1;
    }
    last
}

/// Where the written value starts: its position, or a tag before it (the
/// new text carries its own type).
fn token_start(lines: &Lines, node: &Node) -> usize {
    let start = lines.offset(node.pos.line, node.pos.col);
    let l = lines.line(node.pos.line);
    let before: String = l
        .chars()
        .take(node.pos.col.saturating_sub(1) as usize)
        .collect();
    let trimmed = before.trim_end();
    // `!!str 5`, `!vault x`: the last word before the value is a tag.
    let word_start = trimmed
        .rfind([' ', ':', '-', '[', '{', ','])
        .map_or(0, |i| i + 1);
    if trimmed[word_start..].starts_with('!') {
        return lines.offset(node.pos.line, 1) + word_start;
    }
    start
}

/// Where the token at `node` ends (exclusive byte offset), across lines
/// for quoted and flow values, block scalars and plain scalars that go on.
fn token_end(lines: &Lines, node: &Node, parent_indent: usize) -> usize {
    let start = lines.offset(node.pos.line, node.pos.col);
    let rest = &lines.text[start..];
    let first = rest.chars().next().unwrap_or(' ');
    match first {
        '"' => start + quoted_end(rest, '"'),
        '\'' => start + quoted_end(rest, '\''),
        '{' | '[' => start + flow_end(rest),
        '|' | '>' => {
            let last = block_end(lines, node.pos.line, parent_indent);
            lines.end_of(last)
        }
        _ => {
            let l = lines.line(node.pos.line);
            let col0 = node.pos.col.saturating_sub(1) as usize;
            let len = crate::yaml::token::len_at(l, col0);
            let mut end = lines.offset(node.pos.line, node.pos.col + len as u32);
            // A plain scalar continued on more indented lines.
            if let Value::Str(s) = &node.value {
                let first_text: String = l.chars().skip(col0).take(len).collect();
                if first_text.trim() != s.as_str() && !first.eq(&'*') {
                    let last = block_end(lines, node.pos.line, parent_indent);
                    end = lines.end_of(last);
                }
            }
            end
        }
    }
}

/// Byte length of a quoted scalar from its opening quote, across lines.
fn quoted_end(s: &str, q: char) -> usize {
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if q == '"' => {
                chars.next();
            }
            c if c == q => {
                if q == '\'' && chars.peek().map(|&(_, n)| n) == Some('\'') {
                    chars.next();
                    continue;
                }
                return i + c.len_utf8();
            }
            _ => {}
        }
    }
    s.len()
}

/// Byte length of a flow collection from its bracket, across lines.
fn flow_end(s: &str) -> usize {
    let mut depth = 0usize;
    let mut chars = s.char_indices().peekable();
    let mut prev = ' ';
    while let Some((i, c)) = chars.next() {
        match c {
            '"' | '\'' => {
                let len = quoted_end(&s[i..], c);
                while chars.peek().is_some_and(|&(j, _)| j < i + len) {
                    chars.next();
                }
                prev = c;
                continue;
            }
            '#' if prev.is_whitespace() => {
                // A comment to the end of the line.
                while chars.peek().is_some_and(|&(_, n)| n != '\n') {
                    chars.next();
                }
            }
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        prev = c;
    }
    s.len()
}

/// The new value's text where a token was: a scalar keeps the old quoting
/// style where the new value allows it; a map or list is written in flow
/// style.
fn scalar_or_flow(value: &Node, old_token: &str, in_flow: bool) -> String {
    match &value.value {
        Value::Str(s) if !s.contains(['\n', '\r']) => {
            if old_token.starts_with('"') {
                emit::double_quoted(s)
            } else if old_token.starts_with('\'') {
                emit::single_quoted(s).unwrap_or_else(|| emit::double_quoted(s))
            } else if in_flow {
                emit::flow(value)
            } else {
                emit::quote_if_needed(s).into_owned()
            }
        }
        _ => emit::flow(value),
    }
}

/// The text that follows `key:` for a new value: ` value` on the line, or
/// a block map or list on the lines below at `child_indent`. The second
/// element is the line offset of the value from the key line.
fn inline_or_block(value: &Node, child_indent: usize) -> (String, u8) {
    match &value.value {
        Value::Map(m) if !m.is_empty() => (
            format!("\n{}", indented(value, child_indent))
                .trim_end_matches('\n')
                .to_string(),
            1,
        ),
        Value::Seq(s) if !s.is_empty() => (
            format!("\n{}", indented(value, child_indent))
                .trim_end_matches('\n')
                .to_string(),
            1,
        ),
        _ => (format!(" {}", emit::flow(value)), 0),
    }
}

/// A value written in block style, every line indented.
fn indented(value: &Node, by: usize) -> String {
    let text = emit::to_string(value);
    let pad = " ".repeat(by);
    let mut out = String::with_capacity(text.len() + by * 4);
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(&pad);
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The missing keys `rest` with `value` at the end, as block lines at
/// `indent` (ending with a line break).
fn block_subtree(rest: &[Seg], value: &Node, indent: usize) -> Result<String, Refused> {
    let subtree = nest(rest, value)?;
    Ok(indented(&subtree, indent))
}

/// `{k1: {k2: value}}` for missing keys.
fn nest(rest: &[Seg], value: &Node) -> Result<Node, Refused> {
    let mut node = value.clone();
    for seg in rest.iter().rev() {
        let Seg::Key(k) = seg else {
            return Err(Refused::Path(
                "a list index past the end of a list (or in a list that is not there) cannot be set; set the whole list".into(),
            ));
        };
        let mut m = Map::default();
        m.insert(k.clone(), Entry::new(Pos::GENERATED, node));
        node = Node::new(Value::Map(m), Pos::GENERATED);
    }
    Ok(node)
}

/// Insert the missing keys `rest` (with `value`) into the deepest node of
/// the path the file has.
fn insert(
    text: &str,
    lines: &Lines,
    found: &Found,
    rest: &[Seg],
    value: &Node,
    rel: &str,
) -> Result<Edited, Refused> {
    let node = found.node;
    let how = written(lines, node, found.key_pos);
    let mut out = String::with_capacity(text.len() + 64);
    match (&node.value, how) {
        // A flow map: `, key: value` before its closing brace.
        (Value::Map(m), Written::Token) => {
            let start = lines.offset(node.pos.line, node.pos.col);
            let close = start + flow_end(&text[start..]) - 1;
            let inner = &text[start + 1..close];
            let tail_ws = inner.len() - inner.trim_end().len();
            let at = close - tail_ws;
            let entry = emit::flow(&nest(rest, value)?);
            let entry = &entry[1..entry.len() - 1];
            let piece = if m.is_empty() {
                entry.to_string()
            } else {
                format!(", {entry}")
            };
            out.push_str(&text[..at]);
            out.push_str(&piece);
            out.push_str(&text[at..]);
            Ok(Edited {
                text: out,
                line: node.pos.line,
                old: None,
            })
        }
        // A block map (or the document itself): new lines after its last
        // entry, at its entries' indentation.
        (Value::Map(m), _) if !m.is_empty() => {
            let child_indent = m
                .iter()
                .next()
                .map_or(0, |(_, e)| e.key_pos.col.saturating_sub(1) as usize);
            let last = if found.depth == 0 {
                (1..=lines.count())
                    .rev()
                    .find(|n| !blank_or_comment(lines.line(*n)))
                    .unwrap_or(0)
            } else {
                let key_line = found.key_pos.map_or(node.pos.line, |k| k.line);
                block_end(lines, key_line, found.parent_indent)
            };
            let at = if last == 0 { 0 } else { lines.end_of(last) };
            let block = block_subtree(rest, value, child_indent)?;
            out.push_str(&text[..at]);
            if at > 0 {
                out.push('\n');
            }
            out.push_str(block.trim_end_matches('\n'));
            if at == 0 || !text[at..].starts_with('\n') {
                out.push('\n');
            }
            out.push_str(&text[at..]);
            Ok(Edited {
                text: out,
                line: last + rest.len() as u32,
                old: None,
            })
        }
        // `key:` with nothing: the block goes below the key.
        (Value::Null, Written::Empty) => {
            let Some(kp) = found.key_pos else {
                return Err(Refused::Path(format!("{rel}: nothing to insert into")));
            };
            let at = lines.end_of(kp.line);
            let block = block_subtree(rest, value, found.parent_indent + 2)?;
            out.push_str(&text[..at]);
            out.push('\n');
            out.push_str(block.trim_end_matches('\n'));
            out.push_str(&text[at..]);
            Ok(Edited {
                text: out,
                line: kp.line + rest.len() as u32,
                old: None,
            })
        }
        // An empty map written `{}` or `key: {}`.
        (Value::Map(_), _) => {
            let start = lines.offset(node.pos.line, node.pos.col);
            let entry = emit::flow(&nest(rest, value)?);
            let end = start + flow_end(&text[start..]);
            out.push_str(&text[..start]);
            out.push_str(&entry);
            out.push_str(&text[end..]);
            Ok(Edited {
                text: out,
                line: node.pos.line,
                old: None,
            })
        }
        _ => Err(Refused::Path(format!(
            "{rel}:{}: `{}` cannot be set here: the file has {} in its place",
            node.pos.line,
            paths::display_user(rest),
            node.type_name()
        ))),
    }
}

/// The edited text must read as the old document with exactly the value at
/// `segs` set.
fn verify(old: Option<&Node>, text: &str, segs: &[Seg], value: &Node) -> Result<(), Refused> {
    let new = load::parse_one(text, EDIT_FILE, &Limits::default())
        .map_err(|e| {
            Refused::Shared(format!(
                "the edit would not parse ({}); nothing was written",
                e.message
            ))
        })?
        .unwrap_or_else(|| Node::map(Pos::GENERATED));
    let mut expected = old.cloned().unwrap_or_else(|| Node::map(Pos::GENERATED));
    set_in(&mut expected, segs, value.clone());
    if emit::same_values(&expected, &new) {
        Ok(())
    } else {
        Err(Refused::Shared(
            "the edit cannot be made at one place without changing other values (an anchor, alias or merge key shares this text); edit the file by hand".into(),
        ))
    }
}

/// Set `segs` in a document tree (for the check), creating maps on the way
/// and following `key!` keys as the file writes them.
pub fn set_in(node: &mut Node, segs: &[Seg], value: Node) {
    let Some((first, rest)) = segs.split_first() else {
        *node = value;
        return;
    };
    if !matches!(node.value, Value::Map(_) | Value::Seq(_)) {
        *node = Node::map(Pos::GENERATED);
    }
    match (&mut node.value, first) {
        (Value::Map(m), Seg::Key(k)) => {
            let key = if m.get(k).is_none() && m.get(&format!("{k}!")).is_some() {
                format!("{k}!")
            } else {
                k.clone()
            };
            if m.get(&key).is_none() {
                m.insert(
                    key.clone(),
                    Entry::new(Pos::GENERATED, Node::map(Pos::GENERATED)),
                );
            }
            if let Some(e) = m.get_mut(&key) {
                set_in(&mut e.node, rest, value);
            }
        }
        (Value::Seq(items), Seg::Index(i)) => {
            if let Some(item) = items.get_mut(*i) {
                set_in(item, rest, value);
            }
        }
        (Value::Seq(items), Seg::Key(k)) => {
            if let Some(item) = k.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                set_in(item, rest, value);
            }
        }
        _ => {}
    }
}

/// Where a later layer overrides `segs`: it sets the path, a part of it to
/// something that is not a map or list, replaces an ancestor wholesale
/// (`key!`), or a list the path indexes into. Returns the position of what
/// overrides.
pub fn overridden_at(layer: &Node, segs: &[Seg]) -> Option<Pos> {
    let mut cur = layer;
    for (i, seg) in segs.iter().enumerate() {
        let next: &Node = match (seg, &cur.value) {
            (Seg::Key(k), Value::Map(m)) => {
                if let Some(e) = m.get(&format!("{k}!")) {
                    return Some(e.key_pos);
                }
                // `key+` appends after what earlier layers set: it does not
                // take the value away.
                &m.get(k)?.node
            }
            (Seg::Index(n), Value::Seq(items)) => items.get(*n)?,
            (Seg::Key(k), Value::Seq(items)) => items.get(k.parse::<usize>().ok()?)?,
            // A layer lists a list where the path indexes: it replaces it.
            (Seg::Index(_), _) => return Some(cur.pos),
            _ => return None,
        };
        if i + 1 == segs.len() {
            return Some(next.pos);
        }
        if !matches!(next.value, Value::Map(_) | Value::Seq(_)) {
            return Some(next.pos);
        }
        // Lists replace: a later list at a parent replaces an index below.
        if matches!(next.value, Value::Seq(_)) && matches!(segs.get(i + 1), Some(Seg::Index(_))) {
            return Some(next.pos);
        }
        cur = next;
    }
    None
}

impl From<Refused> for Error {
    fn from(r: Refused) -> Error {
        Error::input(r.message().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<Seg> {
        paths::in_document(p).unwrap()
    }

    fn v(yaml: &str) -> Node {
        load::parse_one(yaml, FileId(0), &Limits::default())
            .unwrap()
            .unwrap_or_else(|| Node::null(Pos::GENERATED))
    }

    fn set_ok(text: &str, path: &str, value: &str) -> String {
        match set(
            text,
            "environments/prod/apps/api.yaml",
            &segs(path),
            &v(value),
        ) {
            Ok(e) => e.text,
            Err(e) => panic!("set {path} = {value} in {text:?}: {e:?}"),
        }
    }

    #[test]
    fn a_value_is_replaced_in_place() {
        let text = "# api in prod\napp:\n  values:\n    image:\n      repository: ghcr.io/acme/api   # the registry\n      tag: \"1.8.0\"  # pinned\n    replicaCount: 2\n";
        assert_eq!(
            set_ok(text, "values.image.tag", "1.9.0"),
            text.replace("\"1.8.0\"", "\"1.9.0\"")
        );
        assert_eq!(
            set_ok(text, "values.replicaCount", "3"),
            text.replace("replicaCount: 2", "replicaCount: 3")
        );
        // Quoting kept where the value allows it; a number stays a number.
        let single = "app:\n  values: {image: {tag: '1.8.0'}, x: plain}\n";
        assert_eq!(
            set_ok(single, "values.image.tag", "1.9.0"),
            single.replace("'1.8.0'", "'1.9.0'")
        );
        assert_eq!(
            set_ok(single, "values.x", "'a, b'"),
            single.replace("x: plain", "x: 'a, b'")
        );
        assert_eq!(
            set_ok(single, "values.x", "true"),
            single.replace("x: plain", "x: true")
        );
    }

    #[test]
    fn missing_keys_are_inserted_where_a_person_writes_them() {
        let text = "app:\n  values:\n    image:\n      repository: x\n\n    # the service\n    service: {port: 80}\n";
        assert_eq!(
            set_ok(text, "values.image.tag", "1.9.0"),
            "app:\n  values:\n    image:\n      repository: x\n      tag: 1.9.0\n\n    # the service\n    service: {port: 80}\n"
        );
        assert_eq!(
            set_ok(text, "values.service.type", "ClusterIP"),
            text.replace("{port: 80}", "{port: 80, type: ClusterIP}")
        );
        assert_eq!(
            set_ok(text, "values.resources.limits.cpu", "500m"),
            "app:\n  values:\n    image:\n      repository: x\n\n    # the service\n    service: {port: 80}\n    resources:\n      limits:\n        cpu: 500m\n"
        );
        assert_eq!(
            set_ok(text, "argocd.project", "apps"),
            format!("{text}argocd:\n  project: apps\n")
        );
        assert_eq!(
            set_ok("app:\n  values:\n", "values.a", "1"),
            "app:\n  values:\n    a: 1\n"
        );
        assert_eq!(
            set_ok("app: {values: {}}\n", "values.a", "1"),
            "app: {values: {a: 1}}\n"
        );
        // A new file gets the schema header.
        assert_eq!(
            set_ok("", "values.image.tag", "1.9.0"),
            "# yaml-language-server: $schema=../../../schemas/layer.schema.json\napp:\n  values:\n    image:\n      tag: 1.9.0\n"
        );
    }

    #[test]
    fn lists_by_index_and_refusals() {
        let text = "app:\n  values:\n    env:\n      - {name: A, value: \"1\"}\n      - name: B\n        value: two\n";
        assert_eq!(
            set_ok(text, "values.env[1].value", "three"),
            text.replace("value: two", "value: three")
        );
        // A string keeps the double quotes; a number is written plain.
        assert_eq!(
            set_ok(text, "values.env[0].value", "'9'"),
            text.replace("value: \"1\"", "value: \"9\"")
        );
        assert_eq!(
            set_ok(text, "values.env[0].value", "9"),
            text.replace("value: \"1\"", "value: 9")
        );
        let err = set(text, "f.yaml", &segs("values.env[5].value"), &v("x")).unwrap_err();
        assert!(err.message().contains("has 2 item(s)"), "{err:?}");
        let err = set(
            "app: {values: {image: nginx}}\n",
            "f.yaml",
            &segs("values.image.tag"),
            &v("x"),
        )
        .unwrap_err();
        assert!(
            err.message().contains("set `values.image` itself"),
            "{err:?}"
        );
        // Through an alias or merge key: refused, not written.
        let shared = "base: &b {tag: 1}\napp:\n  values:\n    image: *b\n";
        let err = set(shared, "f.yaml", &segs("values.image.tag"), &v("2")).unwrap_err();
        assert!(matches!(err, Refused::Shared(_)), "{err:?}");
    }

    const LAYERS: &[&str] = &[
        "# comment\napp:\n  chart: {repoURL: https://x.example, chart: api, targetRevision: 1.2.3}  # pinned\n  values:\n    image:\n      repository: ghcr.io/acme/api   # registry\n      tag: \"1.8.0\"\n    list: [a, 'b c', \"d\"]\n    nested: {a: {b: 1, c: [x, y]}, 'q k': v}\n\n    # trailing comment\n    last: true\nargocd:\n  project: apps\n",
        "app:\n  values:\n    env:\n      - name: A\n        value: '1'\n      - {name: B, value: two}\n    multi: |\n      line one\n      line two\n    folded: >-\n      some\n      text\n    plain: a b c\n    tagged: !!str 5\n    empty:\n    nulled: null\n",
        "app: {values: {a: 1, b: {c: [1, 2, {d: e}]}}, labels: {team: x}}\n",
    ];

    /// Every scalar leaf of real-shaped layers set to a new value: the text
    /// keeps every other line byte for byte, and reads back as the old
    /// document with that one value changed.
    #[test]
    fn every_leaf_set_in_place_keeps_every_other_line() {
        for text in LAYERS {
            let doc = v(text);
            let mut leaves = Vec::new();
            paths::leaves(&doc, "", &mut leaves);
            for (path, node) in leaves {
                let segs = paths::parse(&path).unwrap();
                for new in [
                    "2.0.0",
                    "true",
                    "'with space'",
                    "{k: v}",
                    "\"multi\\nline\"",
                ] {
                    let value = v(new);
                    let edited = set(text, "environments/apps/x.yaml", &segs, &value)
                        .unwrap_or_else(|e| panic!("{path} = {new} in {text:?}: {e:?}"));
                    let before: Vec<&str> = text.lines().collect();
                    let after: Vec<&str> = edited.text.lines().collect();
                    let multi_line =
                        text.lines()
                            .nth(node.pos.line as usize - 1)
                            .is_some_and(|l| {
                                l.trim_end().ends_with(['|', '>', '-']) && l.contains(": ")
                            })
                            || node.is_null();
                    if !multi_line {
                        assert_eq!(
                            before.len(),
                            after.len(),
                            "{path} = {new}:\n{}",
                            edited.text
                        );
                        let differing: Vec<usize> = (0..before.len())
                            .filter(|&i| before[i] != after[i])
                            .collect();
                        assert!(
                            differing.len() <= 1,
                            "{path} = {new}: lines {differing:?} changed:\n{}",
                            edited.text
                        );
                    }
                }
            }
        }
    }

    /// Missing keys at every depth: existing lines stay, in order (a flow
    /// map the key goes into is the one line that changes).
    #[test]
    fn inserted_keys_leave_every_existing_line() {
        let mut inserted = 0;
        for text in LAYERS {
            for path in [
                "values.new",
                "values.image.new",
                "values.nested.a.new",
                "argocd.syncPolicy.automated.prune",
                "labels.team2",
                "values.b.new",
            ] {
                let segs = paths::in_document(path).unwrap();
                let Ok(edited) = set(text, "environments/apps/x.yaml", &segs, &v("1")) else {
                    continue;
                };
                inserted += 1;
                let after: Vec<&str> = edited.text.lines().collect();
                let mut at = 0;
                let mut changed = 0;
                for line in text.lines() {
                    match after[at..].iter().position(|l| *l == line) {
                        Some(i) => at += i + 1,
                        None => changed += 1,
                    }
                }
                assert!(
                    changed <= 1,
                    "{path}: {changed} lines changed:\n{}",
                    edited.text
                );
            }
        }
        assert!(inserted >= 12, "{inserted}");
    }

    #[test]
    fn later_layers_that_override() {
        let layer =
            v("app:\n  values:\n    image!: {repository: y}\n    env: [{name: a}]\n    count: 3\n");
        assert!(overridden_at(&layer, &segs("values.image.tag")).is_some());
        assert!(overridden_at(&layer, &segs("values.env[0].value")).is_some());
        assert_eq!(
            overridden_at(&layer, &segs("values.count")).map(|p| p.line),
            Some(5)
        );
        assert!(overridden_at(&layer, &segs("values.other")).is_none());
        assert!(overridden_at(&v("app: {values: null}\n"), &segs("values.x")).is_some());
    }
}
