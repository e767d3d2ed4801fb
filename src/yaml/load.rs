//! YAML text -> [`Node`] tree with positions, read the way Helm reads YAML.
//!
//! Layers, values files and rendered manifests all end up in Helm and
//! ArgoCD, which read YAML with Go's `gopkg.in/yaml.v2` (YAML 1.1 rules:
//! `yes`/`on` are booleans, `012` is octal, `1e3` is a float). If nexus read
//! the same text with YAML 1.2 rules it would merge, lint and validate values
//! that differ from what the cluster finally gets, so plain scalars are
//! resolved here exactly as yaml.v2 resolves them.
//!
//! The tree is built from yaml-rust2's event stream with an explicit stack
//! (no recursion), so hostile input can neither overflow the stack (deep
//! nesting) nor exhaust memory (alias "billion laughs"): both are bounded by
//! [`Limits`]. Every node keeps the file, line and column it was written at,
//! and syntax errors are rewritten with hints a person can act on.

use std::collections::HashMap;
use std::fmt;

use indexmap::IndexMap;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use super::node::{Entry, FileId, Map, Node, Pos, Value, Via};

/// Resource limits for one parse.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Maximum number of nested maps/lists, counting aliased content where
    /// it is used.
    pub max_depth: usize,
    /// Maximum number of nodes that alias expansion (`*name`) may create
    /// over the whole stream. A scalar counts one node per 64 bytes, so a
    /// long string aliased many times is refused too.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 128,
            max_alias_nodes: 100_000,
        }
    }
}

/// A YAML syntax or structure error. `line` and `col` are 1-based; `col`
/// counts characters, not bytes.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub message: String,
    pub line: u32,
    pub col: u32,
    pub hint: Option<String>,
}

impl YamlError {
    fn new(message: impl Into<String>, line: u32, col: u32) -> YamlError {
        YamlError {
            message: message.into(),
            line,
            col,
            hint: None,
        }
    }

    fn at(message: impl Into<String>, pos: Pos) -> YamlError {
        YamlError::new(message, pos.line, pos.col)
    }

    fn hint(mut self, hint: impl Into<String>) -> YamlError {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (line {}, column {})",
            self.message, self.line, self.col
        )?;
        if let Some(h) = &self.hint {
            write!(f, "; hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for YamlError {}

/// One document. `Ok(None)` for an empty file / empty document / only comments.
/// A stream with two or more non-empty documents is an error.
pub fn parse_one(text: &str, file: FileId, limits: &Limits) -> Result<Option<Node>, YamlError> {
    let mut docs = Loader::new(text, file, limits, true).run()?;
    Ok(docs.pop())
}

/// Every document of a multi-document stream (`---`), empty ones skipped.
pub fn parse_all(text: &str, file: FileId, limits: &Limits) -> Result<Vec<Node>, YamlError> {
    Loader::new(text, file, limits, false).run()
}

/// How yaml.v2 reads a plain (unquoted, untagged) scalar.
pub fn resolve_plain(text: &str) -> Value {
    resolve_typed(text).unwrap_or_else(|| Value::Str(text.to_owned()))
}

/// `Some(value)` when yaml.v2 reads the plain scalar `s` as something other
/// than a string; `None` when it stays the string `s`.
pub(crate) fn resolve_typed(s: &str) -> Option<Value> {
    let Some(&first) = s.as_bytes().first() else {
        return Some(Value::Null);
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => keyword(s),
        b'.' => keyword(s).or_else(|| float(s)),
        b'+' | b'-' | b'0'..=b'9' => keyword(s).or_else(|| number(s)),
        _ => None,
    }
}

/// yaml.v2's table of fixed words.
fn keyword(s: &str) -> Option<Value> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Value::Null,
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// Integers and floats starting with a digit or sign: underscores are
/// dropped, then Go's `strconv.ParseInt(s, 0, 64)`, `ParseUint`, and the
/// yaml.v2 float pattern are tried in that order.
fn number(s: &str) -> Option<Value> {
    let owned;
    let plain = if s.contains('_') {
        owned = s.replace('_', "");
        owned.as_str()
    } else {
        s
    };
    go_parse_int(plain).or_else(|| float(plain))
}

/// Go's `ParseInt(s, 0, 64)` falling back to `ParseUint(s, 0, 64)`. Values
/// that only fit a u64 become floats (the tree has no unsigned integers).
fn go_parse_int(s: &str) -> Option<Value> {
    let (neg, signed, body) = match s.as_bytes().first() {
        Some(b'-') => (true, true, &s[1..]),
        Some(b'+') => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let prefixed = |p: [&str; 2]| body.strip_prefix(p[0]).or_else(|| body.strip_prefix(p[1]));
    let (radix, digits) = if let Some(d) = prefixed(["0x", "0X"]) {
        (16, d)
    } else if let Some(d) = prefixed(["0b", "0B"]) {
        (2, d)
    } else if let Some(d) = prefixed(["0o", "0O"]) {
        (8, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        i64::try_from(-i128::from(mag)).ok().map(Value::Int)
    } else if let Ok(i) = i64::try_from(mag) {
        Some(Value::Int(i))
    } else if !signed {
        // ParseUint accepts it; yaml.v2 returns a uint64 here.
        Some(Value::Float(mag as f64))
    } else {
        None
    }
}

/// yaml.v2's float pattern `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
/// followed by `ParseFloat`, which rejects values out of range.
fn float(s: &str) -> Option<Value> {
    if !is_yaml_float(s) {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    if f.is_finite() {
        Some(Value::Float(f))
    } else {
        None
    }
}

pub(crate) fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// What an explicit tag asks for.
#[derive(Clone, Copy, PartialEq, Debug)]
enum TagKind {
    /// No tag.
    None,
    /// The non-specific tag `!`: the scalar is a string.
    NonSpecific,
    Str,
    Int,
    Float,
    Bool,
    Null,
    Map,
    Seq,
    Merge,
    /// `!!binary`: base64, read as the text it encodes (as yaml.v2 does).
    Binary,
    /// `!!timestamp`: kept as the text written.
    Timestamp,
    /// nexus's `!literal`: the node and everything under it is kept
    /// verbatim (never templated).
    Literal,
}

/// The tag as written, for messages (`!vault`, `!!set`).
fn tag_text(t: &Tag) -> String {
    const CORE: &str = "tag:yaml.org,2002:";
    if t.handle == CORE {
        format!("!!{}", t.suffix)
    } else if let Some(core) = t.suffix.strip_prefix(CORE) {
        format!("!!{core}")
    } else {
        format!("{}{}", t.handle, t.suffix)
    }
}

impl TagKind {
    /// The kind of a tag; `Err` with the tag's text for one nexus does not
    /// know (a custom tag would otherwise be dropped silently).
    fn of(tag: &Option<Tag>) -> Result<TagKind, String> {
        const CORE: &str = "tag:yaml.org,2002:";
        let Some(t) = tag else {
            return Ok(TagKind::None);
        };
        let name = if t.handle == CORE {
            t.suffix.as_str()
        } else if t.handle.is_empty() && t.suffix == "!" {
            return Ok(TagKind::NonSpecific);
        } else if t.handle == "!" && t.suffix == "literal" {
            return Ok(TagKind::Literal);
        } else if t.handle.is_empty() {
            match t.suffix.strip_prefix(CORE) {
                Some(n) => n,
                None => return Err(tag_text(t)),
            }
        } else {
            return Err(tag_text(t));
        };
        Ok(match name {
            "str" => TagKind::Str,
            "int" => TagKind::Int,
            "float" => TagKind::Float,
            "bool" => TagKind::Bool,
            "null" => TagKind::Null,
            "map" => TagKind::Map,
            "seq" => TagKind::Seq,
            "merge" => TagKind::Merge,
            "binary" => TagKind::Binary,
            "timestamp" => TagKind::Timestamp,
            _ => return Err(tag_text(t)),
        })
    }

    fn name(self) -> &'static str {
        match self {
            TagKind::None => "",
            TagKind::NonSpecific => "!",
            TagKind::Str => "!!str",
            TagKind::Int => "!!int",
            TagKind::Float => "!!float",
            TagKind::Bool => "!!bool",
            TagKind::Null => "!!null",
            TagKind::Map => "!!map",
            TagKind::Seq => "!!seq",
            TagKind::Merge => "!!merge",
            TagKind::Binary => "!!binary",
            TagKind::Timestamp => "!!timestamp",
            TagKind::Literal => "!literal",
        }
    }
}

/// A map key read but whose value has not arrived yet.
struct PendingKey {
    text: String,
    pos: Pos,
    merge: bool,
    /// Quoted (or tagged) in the source: never a merge operator.
    literal: bool,
}

enum Kind {
    Seq(Vec<Node>),
    Map {
        map: Map,
        key: Option<PendingKey>,
        /// `<<` values: (explicit entries before it, maps to merge).
        merges: Vec<(usize, Vec<Map>)>,
        /// Whether a key has been seen (the first key fixes the position).
        keyed: bool,
    },
}

/// An open map or list.
struct Frame {
    kind: Kind,
    pos: Pos,
    anchor: usize,
    /// Nodes in this subtree so far, this one included (for alias budgets).
    count: usize,
    /// Greatest height among the children (scalars have height 0).
    height: usize,
    /// Tagged `!literal`: everything below is kept verbatim.
    literal: bool,
}

/// A finished anchored node, ready to be cloned by an alias.
struct Anchored {
    node: Node,
    count: usize,
    height: usize,
    /// The text to use when the alias is a map key (scalars only).
    key_text: Option<String>,
}

struct Loader<'a> {
    text: &'a str,
    file: FileId,
    limits: &'a Limits,
    one: bool,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    alias_nodes: usize,
    /// The finished root of the current document and whether the document
    /// is empty (an implicit empty scalar).
    root: Option<(Node, bool)>,
}

impl<'a> Loader<'a> {
    fn new(text: &'a str, file: FileId, limits: &'a Limits, one: bool) -> Loader<'a> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Loader {
            text,
            file,
            limits,
            one,
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            root: None,
        }
    }

    fn pos(&self, m: Marker) -> Pos {
        Pos::new(self.file, to_u32(m.line()), to_u32(m.col() + 1))
    }

    fn run(mut self) -> Result<Vec<Node>, YamlError> {
        let mut parser = Parser::new_from_str(self.text);
        let mut docs = Vec::new();
        let mut doc_start = Pos::new(self.file, 1, 1);
        loop {
            let (ev, mark) = parser.next_token().map_err(|e| scan_error(&e, self.text))?;
            match ev {
                Event::StreamEnd => break,
                Event::StreamStart | Event::Nothing => {}
                Event::DocumentStart => {
                    self.anchors.clear();
                    self.root = None;
                    doc_start = self.pos(mark);
                }
                Event::DocumentEnd => {
                    if let Some((node, false)) = self.root.take() {
                        if self.one && !docs.is_empty() {
                            return Err(YamlError::at(
                                "expected one YAML document, found several",
                                doc_start,
                            )
                            .hint(
                                "this file must hold a single document; remove the `---` \
                                 separator or move the extra document to its own file",
                            ));
                        }
                        docs.push(node);
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    self.scalar(text, style, anchor, &tag, mark)?
                }
                Event::SequenceStart(anchor, tag) => {
                    self.open(Kind::Seq(Vec::new()), anchor, &tag, mark)?
                }
                Event::MappingStart(anchor, tag) => {
                    let kind = Kind::Map {
                        map: Map::new(),
                        key: None,
                        merges: Vec::new(),
                        keyed: false,
                    };
                    self.open(kind, anchor, &tag, mark)?
                }
                Event::SequenceEnd | Event::MappingEnd => self.close()?,
                Event::Alias(id) => self.alias(id, mark)?,
            }
        }
        Ok(docs)
    }

    /// Whether the innermost open collection is a map waiting for a key.
    fn wants_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                kind: Kind::Map { key: None, .. },
                ..
            })
        )
    }

    fn pending_key_pos(&self) -> Option<Pos> {
        match self.stack.last() {
            Some(Frame {
                kind: Kind::Map { key: Some(k), .. },
                ..
            }) => Some(k.pos),
            _ => None,
        }
    }

    fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        anchor: usize,
        tag: &Option<Tag>,
        mark: Marker,
    ) -> Result<(), YamlError> {
        let mut pos = self.pos(mark);
        let tag = TagKind::of(tag).map_err(|t| self.unknown_tag(&t, pos))?;
        let plain = style == TScalarStyle::Plain;
        // Long scalars weigh more, so aliasing a huge string many times is
        // refused like aliasing a huge map.
        let weight = scalar_weight(&text);
        if self.wants_key() {
            let merge = plain && ((tag == TagKind::None && text == "<<") || tag == TagKind::Merge);
            if anchor != 0 {
                let value = scalar_value(text.clone(), plain, tag, pos)?;
                self.anchors.insert(
                    anchor,
                    Anchored {
                        node: Node::new(value, pos),
                        count: weight,
                        height: 0,
                        key_text: Some(key_text(text.clone(), plain, tag)),
                    },
                );
            }
            let literal = !plain || tag != TagKind::None;
            return self.key(key_text(text, plain, tag), pos, merge, literal);
        }
        let empty_doc = text.is_empty() && plain && anchor == 0 && tag == TagKind::None;
        if text.is_empty() && plain {
            // An omitted value (`key:`) has no text to point at: use its key.
            if let Some(k) = self.pending_key_pos() {
                pos = k;
            }
        }
        let key_text = (anchor != 0).then(|| key_text(text.clone(), plain, tag));
        let value = scalar_value(text, plain, tag, pos).map_err(|mut e| {
            // Never quote a value under a secret-looking key.
            if let Some(Frame {
                kind: Kind::Map { key: Some(k), .. },
                ..
            }) = self.stack.last()
                && crate::secrets::is_secret_key(&k.text)
            {
                e.message = format!("the value is not a valid {}", tag.name());
            }
            e
        })?;
        let mut node = Node::new(value, pos);
        if tag == TagKind::Literal {
            node.via = Via::LITERAL;
        }
        if let Some(key_text) = key_text {
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    count: weight,
                    height: 0,
                    key_text: Some(key_text),
                },
            );
        }
        self.deliver(node, weight, 0, empty_doc)
    }

    /// Record a map key in the innermost (map) frame.
    fn key(&mut self, text: String, pos: Pos, merge: bool, literal: bool) -> Result<(), YamlError> {
        let Some(frame) = self.stack.last_mut() else {
            return Err(internal(pos));
        };
        let fpos = &mut frame.pos;
        let Kind::Map {
            map, key, keyed, ..
        } = &mut frame.kind
        else {
            return Err(internal(pos));
        };
        if !*keyed {
            // A block map's start event points at its first `:`; the map
            // really starts at its first key.
            *keyed = true;
            if (pos.line, pos.col) < (fpos.line, fpos.col) {
                *fpos = pos;
            }
        }
        if !merge {
            if let Some(first) = map.get(&text) {
                let msg = format!(
                    "key `{text}` is defined twice in this map (first at line {})",
                    first.key_pos.line
                );
                return Err(YamlError::at(msg, pos).hint("remove one of the two definitions"));
            }
        }
        frame.count = frame.count.saturating_add(1);
        *key = Some(PendingKey {
            text,
            pos,
            merge,
            literal,
        });
        Ok(())
    }

    fn open(
        &mut self,
        kind: Kind,
        anchor: usize,
        tag: &Option<Tag>,
        mark: Marker,
    ) -> Result<(), YamlError> {
        let pos = self.pos(mark);
        let is_map = matches!(kind, Kind::Map { .. });
        if self.wants_key() {
            return Err(YamlError::at("complex map keys are not supported", pos)
                .hint("map keys must be plain strings, not maps or lists"));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.too_deep(pos));
        }
        let tag = TagKind::of(tag).map_err(|t| self.unknown_tag(&t, pos))?;
        let fits = match tag {
            TagKind::None | TagKind::NonSpecific | TagKind::Literal => true,
            TagKind::Map => is_map,
            TagKind::Seq => !is_map,
            _ => false,
        };
        if !fits {
            let what = if is_map { "a map" } else { "a list" };
            return Err(YamlError::at(
                format!("the tag {} cannot be used on {what}", tag.name()),
                pos,
            )
            .hint("remove the tag"));
        }
        self.stack.push(Frame {
            kind,
            pos,
            anchor,
            count: 1,
            height: 0,
            literal: tag == TagKind::Literal,
        });
        Ok(())
    }

    /// An unknown tag, pointed at where it is written (the parser's
    /// position is that of the node after it).
    fn unknown_tag(&self, tag: &str, pos: Pos) -> YamlError {
        let at = line_text(self.text, pos.line as usize)
            .and_then(|l| {
                let before: String = l.chars().take(pos.col as usize).collect();
                before
                    .rfind(tag)
                    .map(|i| before[..i].chars().count() as u32 + 1)
            })
            .map_or(pos, |col| Pos { col, ..pos });
        unknown_tag(tag, at)
    }

    fn too_deep(&self, pos: Pos) -> YamlError {
        YamlError::at(
            format!("nesting deeper than {} levels", self.limits.max_depth),
            pos,
        )
        .hint("flatten the structure; maps and lists this deep are not supported")
    }

    fn close(&mut self) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Err(internal(Pos::new(self.file, 0, 0)));
        };
        let value = match frame.kind {
            Kind::Seq(items) => Value::Seq(items),
            Kind::Map {
                map, key, merges, ..
            } => {
                if key.is_some() {
                    return Err(internal(frame.pos));
                }
                Value::Map(apply_merges(map, merges))
            }
        };
        let mut node = Node::new(value, frame.pos);
        if frame.literal {
            mark_literal(&mut node);
        }
        let height = frame.height.saturating_add(1);
        if frame.anchor != 0 {
            self.anchors.insert(
                frame.anchor,
                Anchored {
                    node: node.clone(),
                    count: frame.count,
                    height,
                    key_text: None,
                },
            );
        }
        self.deliver(node, frame.count, height, false)
    }

    fn alias(&mut self, id: usize, mark: Marker) -> Result<(), YamlError> {
        let pos = self.pos(mark);
        let Some(a) = self.anchors.get(&id) else {
            return Err(YamlError::at(
                format!(
                    "alias `*{}` refers to an anchor that is not defined yet",
                    alias_name(self.text, mark)
                ),
                pos,
            )
            .hint("an alias may only refer to a complete node defined before it (no recursion)"));
        };
        self.alias_nodes = self.alias_nodes.saturating_add(a.count);
        if self.alias_nodes > self.limits.max_alias_nodes {
            return Err(YamlError::at(
                format!(
                    "alias expansion exceeds {} nodes (a \"billion laughs\" document?)",
                    self.limits.max_alias_nodes
                ),
                pos,
            )
            .hint("use fewer or smaller aliases"));
        }
        if self.wants_key() {
            let Some(text) = a.key_text.clone() else {
                return Err(YamlError::at("complex map keys are not supported", pos)
                    .hint("this alias refers to a map or list; map keys must be plain strings"));
            };
            return self.key(text, pos, false, true);
        }
        if self.stack.len().saturating_add(a.height) > self.limits.max_depth {
            return Err(self.too_deep(pos));
        }
        let (count, height) = (a.count, a.height);
        let mut node = a.node.clone();
        node.pos = pos;
        self.deliver(node, count, height, false)
    }

    /// Hand a finished node to its parent (or make it the document root).
    fn deliver(
        &mut self,
        node: Node,
        count: usize,
        height: usize,
        empty_doc: bool,
    ) -> Result<(), YamlError> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some((node, empty_doc));
            return Ok(());
        };
        frame.count = frame.count.saturating_add(count);
        frame.height = frame.height.max(height);
        match &mut frame.kind {
            Kind::Seq(items) => items.push(node),
            Kind::Map {
                map, key, merges, ..
            } => {
                let Some(k) = key.take() else {
                    return Err(internal(node.pos));
                };
                if k.merge {
                    merges.push((map.len(), merge_sources(node)?));
                } else {
                    let mut entry = Entry::new(k.pos, node);
                    entry.literal_key = k.literal;
                    map.insert(k.text, entry);
                }
            }
        }
        Ok(())
    }
}

/// Mark a `!literal` subtree: every node below is kept verbatim.
fn mark_literal(node: &mut Node) {
    node.via = Via::LITERAL;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(mark_literal),
        Value::Map(m) => m.values_mut().for_each(|e| mark_literal(&mut e.node)),
        _ => {}
    }
}

/// A tag nexus does not know: refused rather than dropped.
fn unknown_tag(tag: &str, pos: Pos) -> YamlError {
    YamlError::at(
        format!("unknown YAML tag `{tag}`: nexus reads only the standard tags (!!str, !!int, !!float, !!bool, !!null, !!binary, !!timestamp, !!map, !!seq) and !literal"),
        pos,
    )
    .hint(format!(
        "Helm would drop the tag too; to keep the text, quote the whole value (\"{tag} ...\"), or tag it !literal to keep it verbatim"
    ))
}

/// Decode base64 (`!!binary`), skipping line breaks and spaces as Go's
/// decoder does; `None` when it is not base64.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut pad = 0;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                pad += 1;
                continue;
            }
            _ => return None,
        };
        if pad > 0 {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (pad <= 2 && bits < 6 && acc == 0).then_some(out)
}

/// What a scalar counts for in the alias budget: one node per 64 bytes.
fn scalar_weight(text: &str) -> usize {
    1 + text.len() / 64
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn internal(pos: Pos) -> YamlError {
    YamlError::at("internal error: unexpected YAML event order", pos)
}

/// The string a scalar stands for when used as a map key.
fn key_text(text: String, plain: bool, tag: TagKind) -> String {
    let null = tag == TagKind::Null
        || (plain
            && tag == TagKind::None
            && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"));
    if null { "null".to_owned() } else { text }
}

/// The value of a scalar, given its style and explicit tag.
fn scalar_value(text: String, plain: bool, tag: TagKind, pos: Pos) -> Result<Value, YamlError> {
    let typed = match tag {
        TagKind::Str | TagKind::NonSpecific | TagKind::Timestamp => return Ok(Value::Str(text)),
        TagKind::Binary => {
            return match base64_decode(&text).map(String::from_utf8) {
                Some(Ok(s)) => Ok(Value::Str(s)),
                Some(Err(_)) => Err(YamlError::at(
                    "this !!binary value decodes to bytes that are not UTF-8 text",
                    pos,
                )
                .hint("Helm values are text: put binary data in a Secret or ConfigMap's binaryData instead")),
                None => Err(YamlError::at("this !!binary value is not base64", pos)
                    .hint("fix the base64, or remove the !!binary tag to keep the text")),
            };
        }
        TagKind::None | TagKind::Merge | TagKind::Literal => {
            return Ok(if plain {
                resolve_typed(&text).unwrap_or(Value::Str(text))
            } else {
                Value::Str(text)
            });
        }
        TagKind::Map | TagKind::Seq => {
            return Err(YamlError::at(
                format!("the tag {} cannot be used on a scalar", tag.name()),
                pos,
            )
            .hint("remove the tag"));
        }
        TagKind::Int | TagKind::Float | TagKind::Bool | TagKind::Null => resolve_typed(&text),
    };
    let value = match (tag, typed) {
        (TagKind::Int, Some(Value::Int(i))) => Value::Int(i),
        (TagKind::Float, Some(Value::Float(f))) => Value::Float(f),
        (TagKind::Float, Some(Value::Int(i))) => Value::Float(i as f64),
        (TagKind::Bool, Some(Value::Bool(b))) => Value::Bool(b),
        (TagKind::Null, Some(Value::Null)) => Value::Null,
        _ => {
            return Err(
                YamlError::at(format!("`{text}` is not a valid {}", tag.name()), pos)
                    .hint(format!("remove the {} tag or fix the value", tag.name())),
            );
        }
    };
    Ok(value)
}

/// The maps a `<<` value stands for, highest precedence first.
fn merge_sources(node: Node) -> Result<Vec<Map>, YamlError> {
    let bad = |n: &Node| {
        YamlError::at(
            format!(
                "`<<` (merge key) needs a map or a list of maps, found {}",
                n.type_name()
            ),
            n.pos,
        )
        .hint("use `<<: *anchor` where the anchor names a map")
    };
    match node.value {
        Value::Map(m) => Ok(vec![m]),
        Value::Seq(items) => items
            .into_iter()
            .map(|n| match n.value {
                Value::Map(m) => Ok(m),
                _ => Err(bad(&n)),
            })
            .collect(),
        _ => Err(bad(&node)),
    }
}

/// Add merged keys that the map does not define itself. Explicit keys win
/// wherever they are written; among merged maps the first one wins. Merged
/// keys are placed where the `<<` was written.
fn apply_merges(map: Map, merges: Vec<(usize, Vec<Map>)>) -> Map {
    if merges.is_empty() {
        return map;
    }
    let mut extra: IndexMap<String, (usize, Entry)> = IndexMap::new();
    for (at, sources) in merges {
        for source in sources {
            for (k, e) in source {
                if !map.contains_key(&k) && !extra.contains_key(&k) {
                    extra.insert(k, (at, e));
                }
            }
        }
    }
    let mut out = Map::with_capacity(map.len() + extra.len());
    let mut extra = extra.into_iter().peekable();
    for (i, (k, e)) in map.into_iter().enumerate() {
        while let Some((k2, (_, e2))) = extra.next_if(|(_, (at, _))| *at <= i) {
            out.insert(k2, e2);
        }
        out.insert(k, e);
    }
    for (k2, (_, e2)) in extra {
        out.insert(k2, e2);
    }
    out
}

/// The text of 1-based line `line`.
fn line_text(text: &str, line: usize) -> Option<&str> {
    text.lines().nth(line.checked_sub(1)?)
}

/// 0-based char index of a tab in the leading whitespace of `line`.
fn leading_tab(text: &str, line: usize) -> Option<usize> {
    line_text(text, line)?
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .position(|c| c == '\t')
}

fn alias_name(text: &str, mark: Marker) -> String {
    let rest = line_text(text, mark.line()).map(|l| l.chars().skip(mark.col()));
    rest.map(|r| {
        r.skip_while(|c| *c == '*')
            .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
            .collect()
    })
    .unwrap_or_default()
}

/// Turn a yaml-rust2 error into a message with a hint.
fn scan_error(e: &ScanError, text: &str) -> YamlError {
    let m = e.marker();
    let (line, col) = (m.line(), m.col() + 1);
    let info = e.info();
    let at_char = line_text(text, line).and_then(|l| l.chars().nth(m.col()));
    let before_char =
        line_text(text, line).and_then(|l| m.col().checked_sub(1).and_then(|c| l.chars().nth(c)));

    // Tabs in indentation usually surface as some other complaint on the
    // line itself or the line before the tab.
    for l in [line, line + 1] {
        if let Some(c) = leading_tab(text, l) {
            return YamlError::new("tab character in indentation", to_u32(l), to_u32(c + 1))
                .hint("YAML indentation must use spaces; replace the tab with spaces");
        }
    }
    let err = YamlError::new(info, to_u32(line), to_u32(col));
    if info.contains("tab") || at_char == Some('\t') || before_char == Some('\t') {
        return err.hint("YAML does not allow a tab character here; use spaces");
    }
    if info.contains("mapping values are not allowed") {
        return err.hint("a value containing `: ` must be quoted");
    }
    if info.contains("quoted scalar, found unexpected end of stream")
        || info.contains("quoted scalar, found unexpected document indicator")
    {
        let q = at_char.filter(|c| *c == '\'' || *c == '"').unwrap_or('"');
        return err.hint(format!(
            "the string opened with {q} here is never closed; add the closing {q}"
        ));
    }
    if info.contains("expected ',' or ']'") {
        return err
            .hint("a `[` list is not closed; add the missing `]` (items are separated by `,`)");
    }
    if info.contains("expected ',' or '}'") {
        return err
            .hint("a `{` map is not closed; add the missing `}` (entries are separated by `,`)");
    }
    if info.contains("recursion limit exceeded") {
        return YamlError::new("nesting deeper than 255 levels", to_u32(line), to_u32(col))
            .hint("too many nested `[` or `{`; is a bracket not closed?");
    }
    if info.contains("unknown anchor") {
        return YamlError::new(
            format!("alias `*{}` refers to an unknown anchor", alias_name(text, *m)),
            to_u32(line),
            to_u32(col),
        )
        .hint("define the anchor with `&name` before using `*name`, or quote a value starting with `*`");
    }
    if matches!(at_char, Some(']' | '}')) {
        return err.hint("this closing bracket has no matching opening bracket");
    }
    if info.contains("did not find expected key")
        || info.contains("did not find expected '-' indicator")
    {
        return err
            .hint("check the indentation: this line does not line up with the lines above it");
    }
    if info.contains("simple key expect ':'") || info.contains("could not find expected ':'") {
        return err.hint("a key on this line or the line before is missing its `:`");
    }
    if info.contains("block sequence entries are not allowed") {
        return err.hint("a `- ` list item must start on its own line, indented under its key");
    }
    if info.contains("trailing content after") {
        return err.hint("quote the whole value, not just its beginning");
    }
    if info.contains("unexpected character") || info.contains("anchor or alias") {
        return err.hint(
            "`@`, `` ` ``, `*`, `&` and `!` are special at the start of a value; quote the value",
        );
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: FileId = FileId(7);

    fn one(text: &str) -> Node {
        match parse_one(text, F, &Limits::default()) {
            Ok(Some(n)) => n,
            other => panic!("parse of {text:?} gave {other:?}"),
        }
    }

    fn err(text: &str) -> YamlError {
        match parse_one(text, F, &Limits::default()) {
            Err(e) => e,
            Ok(n) => panic!("parse of {text:?} should fail, gave {n:?}"),
        }
    }

    fn p(line: u32, col: u32) -> Pos {
        Pos::new(F, line, col)
    }

    #[test]
    fn positions_are_one_based() {
        let n = one("a:\n  b: 1\n");
        assert_eq!(n.pos, p(1, 1));
        let a = &n.as_map().unwrap()["a"];
        assert_eq!(a.key_pos, p(1, 1));
        assert_eq!(a.node.pos, p(2, 3), "nested map starts at its first key");
        let b = &a.node.as_map().unwrap()["b"];
        assert_eq!(b.key_pos, p(2, 3));
        assert_eq!(b.node.pos, p(2, 6));
    }

    #[test]
    fn more_positions() {
        let n = one("x: [1, {y: z}]\nlist:\n  - a\n  - k: v\n    w: 'q'\nempty:\n");
        assert_eq!(n.get("x").unwrap().pos, p(1, 4));
        assert_eq!(n.get_path("x.0").unwrap().pos, p(1, 5));
        assert_eq!(n.get_path("x.1").unwrap().pos, p(1, 8));
        assert_eq!(n.get_path("x.1.y").unwrap().pos, p(1, 12));
        assert_eq!(n.get("list").unwrap().pos, p(3, 3));
        assert_eq!(n.get_path("list.0").unwrap().pos, p(3, 5));
        assert_eq!(n.get_path("list.1").unwrap().pos, p(4, 5));
        assert_eq!(n.get_path("list.1.w").unwrap().pos, p(5, 8));
        let m = n.as_map().unwrap();
        assert_eq!(m["list"].key_pos, p(2, 1));
        // An omitted value points at its key.
        assert_eq!(m["empty"].node.pos, p(6, 1));
        assert!(m["empty"].node.is_null());
        // Columns count characters and a BOM is not a character.
        let n = one("\u{feff}é: ü\n");
        assert_eq!(n.as_map().unwrap()["é"].node.pos, p(1, 4));
    }

    #[test]
    fn plain_scalar_resolution() {
        use Value::*;
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        #[rustfmt::skip]
        let table: Vec<(&str, Value)> = vec![
            ("", Null), ("~", Null), ("null", Null), ("Null", Null), ("NULL", Null),
            ("nULL", Str("nULL".into())), ("none", Str("none".into())),
            ("y", Bool(true)), ("Y", Bool(true)), ("yes", Bool(true)), ("Yes", Bool(true)),
            ("YES", Bool(true)), ("n", Bool(false)), ("N", Bool(false)), ("no", Bool(false)),
            ("No", Bool(false)), ("NO", Bool(false)), ("true", Bool(true)), ("True", Bool(true)),
            ("TRUE", Bool(true)), ("false", Bool(false)), ("False", Bool(false)),
            ("FALSE", Bool(false)), ("on", Bool(true)), ("On", Bool(true)), ("ON", Bool(true)),
            ("off", Bool(false)), ("Off", Bool(false)), ("OFF", Bool(false)),
            ("yEs", Str("yEs".into())), ("tRUE", Str("tRUE".into())),
            ("0", Int(0)), ("-0", Int(0)), ("+5", Int(5)), ("42", Int(42)), ("-17", Int(-17)),
            ("1_000", Int(1000)), ("1__", Int(1)), ("-_1", Int(-1)),
            ("012", Int(10)), ("0o17", Int(15)), ("0O17", Int(15)), ("0x1F", Int(31)),
            ("0X1f", Int(31)), ("-0x1F", Int(-31)), ("0b101", Int(5)), ("-0b101", Int(-5)),
            ("0x_1F", Int(31)),
            ("9223372036854775807", Int(i64::MAX)), ("-9223372036854775808", Int(i64::MIN)),
            ("9223372036854775808", Float(9223372036854775808.0)),
            ("0xFFFFFFFFFFFFFFFF", Float(18446744073709551615.0)),
            ("99999999999999999999", Float(1e20)),
            ("-9223372036854775809", Float(-9223372036854775809.0)),
            ("0x1FFFFFFFFFFFFFFFF", Str("0x1FFFFFFFFFFFFFFFF".into())),
            ("08", Float(8.0)), ("09.5", Float(9.5)), ("019", Float(19.0)),
            ("1e3", Float(1000.0)), ("1E3", Float(1000.0)), ("1.", Float(1.0)),
            ("1.5", Float(1.5)), ("-1.5e-3", Float(-0.0015)), ("+.5", Float(0.5)),
            (".5", Float(0.5)), (".5e2", Float(50.0)), ("1_0.5", Float(10.5)),
            ("1e999", Str("1e999".into())), (".5e999", Str(".5e999".into())),
            ("._5", Str("._5".into())),
            (".inf", Float(inf)), (".Inf", Float(inf)), (".INF", Float(inf)),
            ("+.inf", Float(inf)), ("-.inf", Float(-inf)), ("-.Inf", Float(-inf)),
            (".nan", Float(nan)), (".NaN", Float(nan)), (".NAN", Float(nan)),
            (".iNf", Str(".iNf".into())), ("inf", Str("inf".into())), ("nan", Str("nan".into())),
            ("+.nan", Str("+.nan".into())),
            ("2024-01-01", Str("2024-01-01".into())),
            ("2001-12-14t21:59:43.10-05:00", Str("2001-12-14t21:59:43.10-05:00".into())),
            ("1:20", Str("1:20".into())), ("1.2.3", Str("1.2.3".into())),
            ("0x", Str("0x".into())), ("0b", Str("0b".into())), ("+", Str("+".into())),
            ("-", Str("-".into())), ("_1", Str("_1".into())), ("1e", Str("1e".into())),
            ("0b102", Str("0b102".into())), ("+0x10", Int(16)), ("<<", Str("<<".into())),
            ("hello world", Str("hello world".into())),
        ];
        for (text, want) in table {
            let got = resolve_plain(text);
            let same = match (&got, &want) {
                (Float(a), Float(b)) => a == b || (a.is_nan() && b.is_nan()),
                _ => got == want,
            };
            assert!(same, "{text:?}: got {got:?}, want {want:?}");
            // And the same through the parser, as a map value.
            if text != "-" {
                let doc = format!("k: {text}\n");
                let n = one(&doc);
                let v = &n.get("k").unwrap().value;
                let same = match (v, &want) {
                    (Float(a), Float(b)) => a == b || (a.is_nan() && b.is_nan()),
                    _ => *v == want,
                };
                assert!(same, "parsed {doc:?}: got {v:?}, want {want:?}");
            }
        }
    }

    #[test]
    fn non_plain_scalars_are_strings() {
        let n = one("a: 'yes'\nb: \"012\"\nc: |\n  true\nd: >\n  1e3\ne: ''\n");
        assert_eq!(n.get("a").unwrap().as_str(), Some("yes"));
        assert_eq!(n.get("b").unwrap().as_str(), Some("012"));
        assert_eq!(n.get("c").unwrap().as_str(), Some("true\n"));
        assert_eq!(n.get("d").unwrap().as_str(), Some("1e3\n"));
        assert_eq!(n.get("e").unwrap().as_str(), Some(""));
    }

    #[test]
    fn tags() {
        let n = one(concat!(
            "a: !!str 5\nb: !!int \"12\"\nc: !!float 1\nd: !!bool yes\ne: !!null ~\n",
            "f: !!map {x: 1}\ng: !!seq [1]\nh: !literal '{{ x }}'\ni: ! 5\nj: !!binary aGk=\n",
            "k: !<tag:yaml.org,2002:int> 0x10\nl: !!str\n",
        ));
        assert_eq!(n.get("a").unwrap().value, Value::Str("5".into()));
        assert_eq!(n.get("b").unwrap().value, Value::Int(12));
        assert_eq!(n.get("c").unwrap().value, Value::Float(1.0));
        assert_eq!(n.get("d").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("e").unwrap().value, Value::Null);
        assert_eq!(n.get_path("f.x").unwrap().value, Value::Int(1));
        assert_eq!(n.get_path("g.0").unwrap().value, Value::Int(1));
        let h = n.get("h").unwrap();
        assert_eq!(h.value, Value::Str("{{ x }}".into()));
        assert!(h.via.is_literal(), "!literal marks the node");
        assert_eq!(n.get("i").unwrap().value, Value::Str("5".into()));
        assert_eq!(
            n.get("j").unwrap().value,
            Value::Str("hi".into()),
            "!!binary reads as the text it encodes, as in yaml.v2"
        );
        assert_eq!(n.get("k").unwrap().value, Value::Int(16));
        assert_eq!(n.get("l").unwrap().value, Value::Str("".into()));

        for (doc, msg) in [
            ("a: !!int abc\n", "`abc` is not a valid !!int"),
            ("a: !!int 1.5\n", "`1.5` is not a valid !!int"),
            ("a: !!bool 1\n", "`1` is not a valid !!bool"),
            ("a: !!null x\n", "`x` is not a valid !!null"),
            ("a: !!float x\n", "`x` is not a valid !!float"),
            ("a: !!map x\n", "the tag !!map cannot be used on a scalar"),
            ("a: !!seq {}\n", "the tag !!seq cannot be used on a map"),
            ("a: !!str [1]\n", "the tag !!str cannot be used on a list"),
            ("a: !!binary a!b=\n", "this !!binary value is not base64"),
        ] {
            let e = err(doc);
            assert_eq!(e.message, msg, "{doc:?}");
            // Tagged nodes point at their text, after the tag.
            let col = doc.trim_end().rfind(' ').map_or(0, |i| i + 2);
            assert_eq!((e.line, e.col as usize), (1, col), "{doc:?}");
        }
        // Unknown tags are refused, not dropped: named, at their node.
        for (doc, tag) in [
            ("a: !vault secret/db\n", "`!vault`"),
            ("a: !!set {x: null}\n", "`!!set`"),
            ("a: !Ref [x]\n", "`!Ref`"),
        ] {
            let e = err(doc);
            assert!(e.message.contains(tag), "{doc:?}: {e:?}");
            assert_eq!(e.line, 1, "{doc:?}");
        }
        // A !literal map marks everything below it.
        let n = one("rules: !literal\n  - alert: X\n    expr: up == 0\n");
        assert!(n.get_path("rules.0.alert").unwrap().via.is_literal());
        // Quoted keys are literal, plain ones are not.
        let n = one("\"c++\": 1\nd+: [1]\n");
        let m = n.as_map().unwrap();
        assert!(m.get("c++").unwrap().literal_key);
        assert!(!m.get("d+").unwrap().literal_key);
    }

    #[test]
    fn keys_are_text() {
        let n = one("80: http\ntrue: x\n~: n\n0x10: h\n'quoted': q\n1.5: f\n");
        let keys: Vec<&str> = n.as_map().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["80", "true", "null", "0x10", "quoted", "1.5"]);
        let n = one(": empty key\n");
        assert_eq!(n.get("null").unwrap().as_str(), Some("empty key"));
        let n = one("k: &k name\n*k : v\n");
        assert_eq!(n.get("name").unwrap().as_str(), Some("v"));

        let e = err("? [a]\n: b\n");
        assert_eq!(e.message, "complex map keys are not supported");
        assert_eq!((e.line, e.col), (1, 3));
        let e = err("{a: 1}: b\n");
        assert_eq!(e.message, "complex map keys are not supported");
        let e = err("x: &m {a: 1}\n*m : b\n");
        assert_eq!(e.message, "complex map keys are not supported");
        assert_eq!((e.line, e.col), (2, 1));
    }

    #[test]
    fn duplicate_keys() {
        let e = err("a: 1\nb: 2\na: 3\n");
        assert_eq!(
            e.message,
            "key `a` is defined twice in this map (first at line 1)"
        );
        assert_eq!((e.line, e.col), (3, 1));
        let e = err("top:\n  x: 1\n  y: 2\n  x: 3\n");
        assert_eq!(
            e.message,
            "key `x` is defined twice in this map (first at line 2)"
        );
        assert_eq!((e.line, e.col), (4, 3));
        // `80` and `0x50` are different texts, `~` and `null` are both "null".
        assert!(parse_one("80: a\n0x50: b\n", F, &Limits::default()).is_ok());
        assert!(
            err("~: a\nnull: b\n")
                .message
                .contains("`null` is defined twice")
        );
        // Same key in different maps is fine.
        assert!(parse_one("a: {x: 1}\nb: {x: 2}\n", F, &Limits::default()).is_ok());
    }

    #[test]
    fn merge_keys() {
        let text = "\
base: &base
  a: 1
  b: 2
other: &other
  b: 20
  c: 30
m1:
  b: 9
  <<: *base
  d: 4
m2:
  <<: [*other, *base]
m3:
  <<: *base
  <<: *other
m4:
  x: 0
  <<: {a: 5, x: 7}
";
        let n = one(text);
        let keys = |path: &str| -> Vec<(String, Value)> {
            n.get(path)
                .unwrap()
                .as_map()
                .unwrap()
                .iter()
                .map(|(k, e)| (k.clone(), e.node.value.clone()))
                .collect()
        };
        let kv = |v: &[(&str, i64)]| -> Vec<(String, Value)> {
            v.iter()
                .map(|(k, i)| (k.to_string(), Value::Int(*i)))
                .collect()
        };
        // Explicit keys win even when written before `<<`; merged keys sit
        // where `<<` was written.
        assert_eq!(keys("m1"), kv(&[("b", 9), ("a", 1), ("d", 4)]));
        // In a list, earlier maps win.
        assert_eq!(keys("m2"), kv(&[("b", 20), ("c", 30), ("a", 1)]));
        assert_eq!(keys("m3"), kv(&[("a", 1), ("b", 2), ("c", 30)]));
        assert_eq!(keys("m4"), kv(&[("x", 0), ("a", 5)]));
        // Merged entries keep where they were written.
        let m1 = n.get("m1").unwrap().as_map().unwrap();
        assert_eq!(m1["a"].key_pos, p(2, 3));

        let e = err("a: &a 1\nb:\n  <<: *a\n");
        assert!(
            e.message.contains("`<<` (merge key) needs a map"),
            "{}",
            e.message
        );
        assert_eq!((e.line, e.col), (3, 7));
        let e = err("b:\n  <<: [{x: 1}, 2]\n");
        assert!(e.message.contains("found an integer"), "{}", e.message);
        // A quoted "<<" is an ordinary key.
        let n = one("'<<': 1\n");
        assert_eq!(n.get("<<").unwrap().as_i64(), Some(1));
    }

    #[test]
    fn aliases() {
        let n = one("a: &x {k: [1, 2]}\nb: *x\nc: &s str\nd: *s\n");
        assert_eq!(n.get_path("b.k.1").unwrap().as_i64(), Some(2));
        assert_eq!(n.get("d").unwrap().as_str(), Some("str"));
        assert_eq!(
            n.get("b").unwrap().pos,
            p(2, 4),
            "an alias is where it is used"
        );
        assert_eq!(
            n.get_path("b.k").unwrap().pos,
            p(1, 11),
            "its content where it is written"
        );

        let e = err("a: *nope\n");
        assert_eq!(e.message, "alias `*nope` refers to an unknown anchor");
        assert_eq!((e.line, e.col), (1, 4));
        let e = err("a: &a [*a]\n");
        assert!(e.message.contains("not defined yet"), "{}", e.message);
        // Anchors do not cross documents.
        assert!(parse_all("a: &a 1\n---\nb: *a\n", F, &Limits::default()).is_err());
    }

    #[test]
    fn billion_laughs_fails_fast() {
        let mut doc = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 10].join(",");
            doc.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        let start = std::time::Instant::now();
        let e = err(&doc);
        assert_eq!(
            e.message,
            "alias expansion exceeds 100000 nodes (a \"billion laughs\" document?)"
        );
        assert!(
            start.elapsed().as_millis() < 1000,
            "took {:?}",
            start.elapsed()
        );
        // A modest number of aliases is fine.
        let small = Limits {
            max_alias_nodes: 1000,
            ..Limits::default()
        };
        assert!(parse_one("a: &a [1, 2]\nb: [*a, *a]\n", F, &small).is_ok());
    }

    #[test]
    fn aliasing_a_long_string_many_times_is_refused() {
        // 1 MiB aliased 1,000 times would be 1 GiB in memory.
        let mut doc = format!("a: &a \"{}\"\nb: [", "x".repeat(1 << 20));
        doc.push_str(&vec!["*a"; 1000].join(","));
        doc.push_str("]\n");
        let e = err(&doc);
        assert!(
            e.message.starts_with("alias expansion exceeds"),
            "{}",
            e.message
        );
        // A short string aliased as often is fine.
        let mut ok = String::from("a: &a short\nb: [");
        ok.push_str(&vec!["*a"; 1000].join(","));
        ok.push_str("]\n");
        assert!(parse_one(&ok, F, &Limits::default()).is_ok());
    }

    #[test]
    fn deep_flow_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let e = err(&text);
        assert!(
            e.message.starts_with("nesting deeper than"),
            "{}",
            e.message
        );
        let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let e = err(&text);
        assert_eq!(e.message, "nesting deeper than 128 levels");
        assert_eq!((e.line, e.col), (1, 129));
        let text = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(parse_one(&text, F, &Limits::default()).is_ok());
        let text = "{a: ".repeat(100_000);
        assert!(err(&text).message.starts_with("nesting deeper than"));
    }

    #[test]
    fn deep_block_nesting_is_an_error_not_a_crash() {
        let mut text = String::new();
        for i in 0..10_000 {
            for _ in 0..i {
                text.push(' ');
            }
            text.push_str("k:\n");
        }
        let e = err(&text);
        assert_eq!(e.message, "nesting deeper than 128 levels");
        assert_eq!(e.line, 129);
        let text = "- ".repeat(10_000) + "x\n";
        assert_eq!(err(&text).message, "nesting deeper than 128 levels");
    }

    #[test]
    fn aliases_count_toward_depth() {
        let mut text = String::from("a: &a ");
        text.push_str(&"[".repeat(100));
        text.push_str(&"]".repeat(100));
        text.push_str("\nb: ");
        text.push_str(&"[".repeat(60));
        text.push_str("*a");
        text.push_str(&"]".repeat(60));
        text.push('\n');
        assert_eq!(err(&text).message, "nesting deeper than 128 levels");
    }

    #[test]
    fn tabs_in_indentation() {
        for (doc, line) in [
            ("a:\n\tb: 1\n", 2),
            ("a:\n  b: 1\n\tc: 2\n", 3),
            ("a:\n  - x\n\t- y\n", 3),
            ("a: |\n  x\n\ty\n", 3),
        ] {
            let e = err(doc);
            assert_eq!(e.message, "tab character in indentation", "{doc:?}");
            assert_eq!(
                e.hint.as_deref(),
                Some("YAML indentation must use spaces; replace the tab with spaces")
            );
            assert_eq!((e.line, e.col), (line, 1), "{doc:?}");
        }
        // Tabs inside a block scalar's text are content.
        assert_eq!(
            one("a: |\n  \tx\n").get("a").unwrap().as_str(),
            Some("\tx\n")
        );
    }

    #[test]
    fn scan_error_hints() {
        let e = err("a: b: c\n");
        assert_eq!(e.message, "mapping values are not allowed in this context");
        assert_eq!(
            e.hint.as_deref(),
            Some("a value containing `: ` must be quoted")
        );
        assert_eq!((e.line, e.col), (1, 5));

        let e = err("a: 'abc\n");
        assert_eq!((e.line, e.col), (1, 4));
        assert!(e.hint.unwrap().contains("add the closing '"));
        let e = err("a: \"abc\n");
        assert!(e.hint.unwrap().contains("add the closing \""));
        let e = err("a: [1, 2\n");
        assert!(e.hint.unwrap().contains("add the missing `]`"));
        let e = err("a: {b: 1\n");
        assert!(e.hint.unwrap().contains("add the missing `}`"));
        let e = err("a:\n  b: 1\n c: 2\n");
        assert!(e.hint.unwrap().contains("indentation"));
        let e = err("a: \"x\" y\n");
        assert!(e.hint.unwrap().contains("quote the whole value"));
        let e = err("x: @foo\n");
        assert!(e.hint.unwrap().contains("quote the value"));
        let e = err("a:\tb\n");
        assert!(e.hint.unwrap().contains("tab"));
    }

    #[test]
    fn documents() {
        let l = Limits::default();
        assert_eq!(parse_one("", F, &l).unwrap(), None);
        assert_eq!(parse_one("# only a comment\n\n", F, &l).unwrap(), None);
        assert_eq!(parse_one("---\n", F, &l).unwrap(), None);
        assert_eq!(parse_one("---\n...\n", F, &l).unwrap(), None);
        assert_eq!(parse_one("\u{feff}", F, &l).unwrap(), None);
        assert_eq!(parse_one("~\n", F, &l).unwrap().unwrap().value, Value::Null);
        assert_eq!(
            parse_one("---\na: 1\n---\n", F, &l)
                .unwrap()
                .unwrap()
                .get("a")
                .unwrap()
                .as_i64(),
            Some(1)
        );

        let docs = parse_all("a: 1\n---\n---\n# c\n---\n- b\n...\n--- x\n", F, &l).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1].pos, p(6, 1));
        assert_eq!(docs[2].as_str(), Some("x"));
        assert!(parse_all("", F, &l).unwrap().is_empty());

        let e = err("a: 1\n---\nb: 2\n");
        assert_eq!(e.message, "expected one YAML document, found several");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn crlf_and_bom() {
        let n = one("\u{feff}a: 1\r\nb: |\r\n  x\r\n  y\r\n");
        assert_eq!(n.get("a").unwrap().as_i64(), Some(1));
        assert_eq!(n.get("b").unwrap().as_str(), Some("x\ny\n"));
        assert_eq!(n.as_map().unwrap()["b"].key_pos, p(2, 1));
    }

    #[test]
    fn error_display() {
        let e = err("a: b: c\n");
        assert_eq!(
            e.to_string(),
            "mapping values are not allowed in this context (line 1, column 5); \
             hint: a value containing `: ` must be quoted"
        );
    }
}
