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

use std::cell::OnceCell;
use std::collections::HashMap;
use std::fmt;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use super::node::{Entry, FileId, Map, Node, Pos, Value, Via};
use super::repair::Repair;

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
    /// How to change the text so yaml-rust2 reads it as yaml.v2 does, when
    /// the error is one yaml.v2 does not make (see [`run_with_repairs`]).
    repair: Option<Repair>,
}

impl YamlError {
    fn new(message: impl Into<String>, line: u32, col: u32) -> YamlError {
        YamlError {
            message: message.into(),
            line,
            col,
            hint: None,
            repair: None,
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
    parse_one_noting(text, file, limits).map(|(node, _)| node)
}

/// [`parse_one`], with the warnings about how Helm reads the text (a plain
/// key such as `on:` that Helm reads as `true`).
pub fn parse_one_noting(
    text: &str,
    file: FileId,
    limits: &Limits,
) -> Result<(Option<Node>, Vec<YamlError>), YamlError> {
    let (mut docs, warnings) = run_with_repairs(text, file, limits, true)?;
    Ok((docs.pop(), warnings))
}

/// Every document of a multi-document stream (`---`), empty ones skipped.
pub fn parse_all(text: &str, file: FileId, limits: &Limits) -> Result<Vec<Node>, YamlError> {
    run_with_repairs(text, file, limits, false).map(|(docs, _)| docs)
}

/// Most repairs [`run_with_repairs`] makes to one file.
const MAX_REPAIRS: usize = 64;

/// Parse; where yaml-rust2 refuses text that Helm's yaml.v2 reads (a
/// closing `]` at its key's column, a `#` right after a quoted string ...,
/// see [`Repair`]), repair the text at the spot of the error in a way that
/// changes nothing yaml.v2 reads and parse again. The first error is the
/// one reported when the repairs do not help.
fn run_with_repairs(
    text: &str,
    file: FileId,
    limits: &Limits,
    one: bool,
) -> Result<(Vec<Node>, Vec<YamlError>), YamlError> {
    // Positions are in the text after its byte order mark, and so are
    // repairs.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = match Loader::new(text, file, limits, one).run() {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    let Some(mut repair) = first.repair.clone() else {
        return Err(first);
    };
    let mut fixed = text.to_string();
    for _ in 0..MAX_REPAIRS {
        if !repair.apply(&mut fixed) {
            break;
        }
        match Loader::new(&fixed, file, limits, one).run() {
            Ok(r) => return Ok(r),
            Err(e) => match e.repair {
                Some(next) => repair = next,
                None => break,
            },
        }
    }
    Err(first)
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
            // YAML 1.1's `!!set` (a map of nulls) and `!!omap`/`!!pairs`
            // (lists of one-key maps) are read by yaml.v2 as the map or
            // list they are written as.
            "map" | "set" => TagKind::Map,
            "seq" | "omap" | "pairs" => TagKind::Seq,
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
    /// The scalar as written (text, plain, tag), for an alias used as a
    /// map key (scalars only).
    key_source: Option<(String, bool, TagKind)>,
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
    /// How Helm reads things differently from how they look (plain keys).
    warnings: Vec<YamlError>,
    /// Byte offset of the start of each line, computed at the first block
    /// scalar (the only thing that needs lines).
    line_starts: OnceCell<Vec<usize>>,
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
            warnings: Vec::new(),
            line_starts: OnceCell::new(),
        }
    }

    /// 1-based line `n` of the text, without its line break.
    fn line(&self, n: usize) -> Option<&'a str> {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let start = *starts.get(n.checked_sub(1)?)?;
        let end = starts.get(n).map_or(self.text.len(), |next| next - 1);
        let line = self.text.get(start..end)?;
        Some(line.strip_suffix('\r').unwrap_or(line))
    }

    /// Whether the text ends inside the block scalar whose content starts
    /// at 1-based line `first` with indentation `indent`, on a line with no
    /// line break after it and at least `indent` spaces. yaml.v2 reads such
    /// a last line without a line break (`a: |` then `  x` at the end of a
    /// file without a final newline is `"x"`, and a last line of only the
    /// indentation adds nothing); yaml-rust2 reads one break too many.
    fn ends_in_block(&self, first: usize, indent: usize) -> bool {
        if self.text.is_empty() || self.text.ends_with(['\n', '\r']) {
            return false;
        }
        let spaces = |l: &str| l.len() - l.trim_start_matches(' ').len();
        let mut n = first;
        while let Some(line) = self.line(n) {
            let last = self.line(n + 1).is_none();
            if last {
                return spaces(line) >= indent;
            }
            if !line.trim().is_empty() && spaces(line) < indent {
                return false;
            }
            n += 1;
        }
        false
    }

    fn pos(&self, m: Marker) -> Pos {
        Pos::new(self.file, to_u32(m.line()), to_u32(m.col() + 1))
    }

    fn run(mut self) -> Result<(Vec<Node>, Vec<YamlError>), YamlError> {
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
                                "this file must hold a single document (Helm would read the \
                                 first and drop the rest silently); remove the `---` \
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
        Ok((docs, self.warnings))
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
                        key_source: Some((text.clone(), plain, tag)),
                    },
                );
            }
            let literal = !plain || tag != TagKind::None;
            let key = if merge {
                text
            } else {
                self.helm_key(text, plain, tag, pos)?
            };
            return self.key(key, pos, merge, literal);
        }
        let mut text = text;
        if matches!(style, TScalarStyle::Literal | TScalarStyle::Folded) {
            // yaml-rust2 places a block scalar at its end: point at its
            // `|`/`>` header, and read an empty one as yaml.v2 does.
            if let Some((header, chomp)) = self.block_header(pos) {
                if !text.is_empty() && text.bytes().all(|b| b == b'\n') {
                    text = match chomp {
                        '+' => "\n".repeat(self.blank_lines_after(header.line)),
                        _ => String::new(),
                    };
                } else if chomp != '-'
                    && text.ends_with('\n')
                    && self.ends_in_block(mark.line(), mark.col())
                {
                    text.pop();
                }
                pos = header;
            }
        }
        let empty_doc = text.is_empty() && plain && anchor == 0 && tag == TagKind::None;
        if text.is_empty() && plain {
            // An omitted value (`key:`) has no text to point at: use its key.
            if let Some(k) = self.pending_key_pos() {
                pos = k;
            }
        }
        let key_source = (anchor != 0).then(|| (text.clone(), plain, tag));
        let kept_binary = (tag == TagKind::Binary)
            .then(|| kept_binary(&text))
            .flatten();
        let binary = kept_binary.is_some();
        let value = match kept_binary {
            Some(b64) => Ok(Value::Str(b64)),
            None => scalar_value(text, plain, tag, pos),
        };
        let value = value.map_err(|mut e| {
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
        } else if binary {
            node.via = Via::BINARY;
        }
        if key_source.is_some() {
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    count: weight,
                    height: 0,
                    key_source,
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
                // Helm keeps the last of two equal keys; nexus refuses them:
                // one of them is almost always a mistake nobody sees.
                let written = line_text(self.text, pos.line as usize)
                    .map(|l| {
                        let rest: String = l.chars().skip(pos.col as usize - 1).collect();
                        let n = crate::yaml::token::len_at(&rest, 0);
                        rest.chars().take(n).collect::<String>()
                    })
                    .filter(|w| w.trim_matches(['"', '\'']) != text);
                let msg = match written {
                    Some(w) => format!(
                        "key `{w}` is read by Helm as `{text}`, which this map already has (line {})",
                        first.key_pos.line
                    ),
                    None => format!(
                        "key `{text}` is defined twice in this map (first at line {})",
                        first.key_pos.line
                    ),
                };
                return Err(YamlError::at(msg, pos).hint(
                    "remove one of the two definitions (Helm would silently keep the last one)",
                ));
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

    /// The header (`|`, `>-`, `|2+` ...) of the block scalar yaml-rust2
    /// marks at `at`, and its chomping indicator (`+`, `-` or ` ` for
    /// clip). yaml-rust2 marks an empty block scalar at its header and any
    /// other at its first content line; the header is then on the nearest
    /// line above that is not blank (only blank lines may come between).
    fn block_header(&self, at: Pos) -> Option<(Pos, char)> {
        let line = at.line as usize;
        let col = (at.col as usize).checked_sub(1)?;
        if let Some(found) = self.header_on(line, Some(col)) {
            return Some(found);
        }
        let above = (1..line)
            .rev()
            .find(|&l| self.line(l).is_some_and(|t| !t.trim().is_empty()))?;
        self.header_on(above, None)
    }

    /// The block scalar header on 1-based line `n`: at char column `col`
    /// when given, otherwise the first `|`/`>` that starts a token and is
    /// followed only by indicators and whitespace or a comment (so a `|`
    /// or `>` inside a quoted key before it is not taken for it).
    fn header_on(&self, n: usize, col: Option<usize>) -> Option<(Pos, char)> {
        let chars: Vec<char> = self.line(n)?.chars().collect();
        let header_at = |i: usize| -> Option<char> {
            if !matches!(chars.get(i)?, '|' | '>') {
                return None;
            }
            if i > 0 && !(chars[i - 1].is_whitespace() || matches!(chars[i - 1], ':' | '-' | '!')) {
                return None;
            }
            let ind: Vec<char> = chars[i + 1..]
                .iter()
                .copied()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '+' | '-'))
                .collect();
            let rest = &chars[i + 1 + ind.len()..];
            let ws = rest.iter().take_while(|c| c.is_whitespace()).count();
            if !(ws == rest.len() || (ws > 0 && rest[ws] == '#')) {
                return None;
            }
            Some(if ind.contains(&'+') {
                '+'
            } else if ind.contains(&'-') {
                '-'
            } else {
                ' '
            })
        };
        let pos = |i: usize| Pos::new(self.file, to_u32(n), to_u32(i + 1));
        match col {
            Some(i) => header_at(i).map(|c| (pos(i), c)),
            None => (0..chars.len()).find_map(|i| header_at(i).map(|c| (pos(i), c))),
        }
    }

    /// Blank lines after the header line of an empty block scalar: what
    /// keep chomping (`|+`) keeps of it.
    fn blank_lines_after(&self, header: u32) -> usize {
        // Only lines with a line break after them count: a last line of
        // spaces with none adds nothing, as in yaml.v2.
        (header as usize + 1..)
            .map_while(|n| Some((self.line(n)?, self.line(n + 1).is_some())))
            .take_while(|(l, _)| l.trim().is_empty())
            .filter(|&(_, broken)| broken)
            .count()
    }

    /// The key a scalar is for Helm: yaml.v2 resolves a plain key like a
    /// value, and Helm (sigs.k8s.io/yaml) turns it into a string for JSON:
    /// `on:` is the key `true`, `012:` is `10`, `1e3:` is `1000`. A key
    /// written plain that Helm reads differently gets a warning; a null key
    /// (`~:`), which Helm refuses, is an error.
    fn helm_key(
        &mut self,
        text: String,
        plain: bool,
        tag: TagKind,
        pos: Pos,
    ) -> Result<String, YamlError> {
        let key = match scalar_value(text.clone(), plain, tag, pos)? {
            Value::Str(s) => return Ok(s),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => go_key_float(f),
            _ => {
                return Err(YamlError::at(
                    "a null map key (`~`, `null` or an empty key): Helm refuses the whole file",
                    pos,
                )
                .hint("quote the key if it is the word: `\"null\":`"));
            }
        };
        if plain && tag == TagKind::None && key != text {
            self.warnings.push(
                YamlError::at(
                    format!("Helm reads the plain key `{text}` as `{key}` (YAML 1.1)"),
                    pos,
                )
                .hint(format!(
                    "quote it to keep the text (`'{text}':`), or write `{key}:` if that is what you mean"
                )),
            );
        }
        Ok(key)
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
                    key_source: None,
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
            let Some((text, plain, tag)) = a.key_source.clone() else {
                return Err(YamlError::at("complex map keys are not supported", pos)
                    .hint("this alias refers to a map or list; map keys must be plain strings"));
            };
            let key = self.helm_key(text, plain, tag, pos)?;
            return self.key(key, pos, false, true);
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
        format!("unknown YAML tag `{tag}`: nexus reads only the standard tags (!!str, !!int, !!float, !!bool, !!null, !!binary, !!timestamp, !!map, !!seq, !!set, !!omap, !!pairs) and !literal"),
        pos,
    )
    .hint(format!(
        "Helm would drop the tag too; to keep the text, quote the whole value (\"{tag} ...\"), or tag it !literal to keep it verbatim"
    ))
}

/// A `!!binary` value whose bytes are not UTF-8 text (a keystore, an
/// image): Helm hands such bytes to the chart as they are (`b64enc` gives
/// the base64 back), so nexus keeps the base64, without its line breaks
/// and spaces, and writes it back tagged `!!binary`.
fn kept_binary(text: &str) -> Option<String> {
    let bytes = base64_decode(text)?;
    if std::str::from_utf8(&bytes).is_ok() {
        return None;
    }
    Some(text.chars().filter(|c| !c.is_ascii_whitespace()).collect())
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

/// A float map key as sigs.k8s.io/yaml writes it: Go's
/// `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits of the
/// 32-bit float, in `%e` form when the exponent is below -4 or at least 6,
/// and `.inf`/`.nan`.
fn go_key_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let f32v = f as f32;
    if f32v == 0.0 {
        return if f32v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` gives the shortest digits that read back as this f32.
    let sci = format!("{:e}", f32v.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if f32v < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut m = digits[..1].to_string();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let (es, ev) = if exp < 0 { ('-', -exp) } else { ('+', exp) };
        return format!("{sign}{m}e{es}{ev:02}");
    }
    // Plain decimal: the point after `exp + 1` digits.
    let dp = exp + 1;
    let out = if dp <= 0 {
        format!("0.{}{digits}", "0".repeat((-dp) as usize))
    } else if dp as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(dp as usize - digits.len()))
    } else {
        format!("{}.{}", &digits[..dp as usize], &digits[dp as usize..])
    };
    format!("{sign}{out}")
}

/// The value of a scalar, given its style and explicit tag.
fn scalar_value(text: String, plain: bool, tag: TagKind, pos: Pos) -> Result<Value, YamlError> {
    let typed = match tag {
        TagKind::Str | TagKind::NonSpecific | TagKind::Timestamp => return Ok(Value::Str(text)),
        TagKind::Binary => {
            return match base64_decode(&text).map(String::from_utf8) {
                Some(Ok(s)) => Ok(Value::Str(s)),
                Some(Err(_)) => Err(YamlError::at(
                    "this !!binary key decodes to bytes that are not UTF-8 text",
                    pos,
                )
                .hint("map keys are text: write the key as text")),
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

/// Apply `<<` merge keys the way yaml.v2 (and so Helm) does: entries in
/// document order, a later one overwriting an earlier one of the same key,
/// whether written or merged (`{b: 3, <<: *base}` takes `b` from `*base`).
/// Within one `<<: [*a, *b]` the earlier map wins. A key keeps the place
/// where it first appeared.
fn apply_merges(map: Map, merges: Vec<(usize, Vec<Map>)>) -> Map {
    if merges.is_empty() {
        return map;
    }
    let mut out = Map::with_capacity(map.len());
    let mut merges = merges.into_iter().peekable();
    let apply = |out: &mut Map, sources: Vec<Map>| {
        for source in sources.into_iter().rev() {
            for (k, e) in source {
                out.insert(k, e);
            }
        }
    };
    for (i, (k, e)) in map.into_iter().enumerate() {
        while let Some((_, sources)) = merges.next_if(|(at, _)| *at <= i) {
            apply(&mut out, sources);
        }
        out.insert(k, e);
    }
    for (_, sources) in merges {
        apply(&mut out, sources);
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

/// Turn a yaml-rust2 error into a message with a hint, and the repair
/// that makes the text readable where yaml.v2 reads it.
fn scan_error(e: &ScanError, text: &str) -> YamlError {
    let m = e.marker();
    let mut err = describe_scan_error(e, text);
    err.repair = Repair::of(e.info(), m.line(), m.col(), text);
    err
}

fn describe_scan_error(e: &ScanError, text: &str) -> YamlError {
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
        let n = one("x: [1, {yy: z}]\nlist:\n  - a\n  - k: v\n    w: 'q'\nempty:\n");
        assert_eq!(n.get("x").unwrap().pos, p(1, 4));
        assert_eq!(n.get_path("x.0").unwrap().pos, p(1, 5));
        assert_eq!(n.get_path("x.1").unwrap().pos, p(1, 8));
        assert_eq!(n.get_path("x.1.yy").unwrap().pos, p(1, 13));
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
        // YAML 1.1's collection tags read as the collection written.
        let n = one("s: !!set {x: null}\no: !!omap [{a: 1}]\np: !!pairs [{a: 1}]\n");
        assert_eq!(n.get_path("s.x").unwrap().value, Value::Null);
        assert_eq!(n.get_path("o.0.a").unwrap().value, Value::Int(1));
        assert_eq!(n.get_path("p.0.a").unwrap().value, Value::Int(1));
        // Bytes that are not text are kept as their base64 (spaces and
        // line breaks dropped) and marked, so they are written back tagged.
        let n = one("bin: !!binary |\n  /+7/\n  AA==\n");
        let bin = n.get("bin").unwrap();
        assert_eq!(bin.value, Value::Str("/+7/AA==".into()));
        assert_eq!(bin.via, Via::BINARY);

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
        let e = err("? !!binary /+7/\n: 1\n");
        assert_eq!(
            e.message,
            "this !!binary key decodes to bytes that are not UTF-8 text"
        );
        assert_eq!((e.line, e.col), (1, 12));
        // Unknown tags are refused, not dropped: named, at their node.
        for (doc, tag) in [
            ("a: !vault secret/db\n", "`!vault`"),
            ("a: !!python/tuple [x]\n", "`!!python/tuple`"),
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
    fn keys_are_what_helm_reads() {
        // yaml.v2 resolves a plain key like a value; Helm turns it into a
        // string for JSON (sigs.k8s.io/yaml).
        let text = "80: http\ntrue: x\n0x10: h\n'on': q\noff: o\n1.5: f\n1e3: k\n1e6: m\n012: oct\n\"0x10\": s\n";
        let (n, warnings) = parse_one_noting(text, F, &Limits::default()).unwrap();
        let n = n.unwrap();
        let keys: Vec<&str> = n.as_map().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "80", "true", "16", "on", "false", "1.5", "1000", "1e+06", "10", "0x10"
            ]
        );
        let said: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            said,
            [
                "Helm reads the plain key `0x10` as `16` (YAML 1.1)",
                "Helm reads the plain key `off` as `false` (YAML 1.1)",
                "Helm reads the plain key `1e3` as `1000` (YAML 1.1)",
                "Helm reads the plain key `1e6` as `1e+06` (YAML 1.1)",
                "Helm reads the plain key `012` as `10` (YAML 1.1)",
            ]
        );
        assert_eq!((warnings[1].line, warnings[1].col), (5, 1));
        for null_key in ["~: n\n", "null: n\n", ": empty key\n"] {
            let e = err(null_key);
            assert!(e.message.contains("null map key"), "{null_key:?}: {e:?}");
        }
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
        // `0x50` is read by Helm as `80`: the same key twice.
        let e = err("80: a\n0x50: b\n");
        assert_eq!(
            e.message,
            "key `0x50` is read by Helm as `80`, which this map already has (line 1)"
        );
        assert!(
            err("yes: a\non: b\n")
                .message
                .contains("key `on` is read by Helm as `true`, which this map already has")
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
        // As yaml.v2 (Helm) reads them: entries in document order, a later
        // one overwriting an earlier one, merged or written (checked
        // against Go's yaml.v2: m1 {a:1,b:2,d:4}, m2 {a:1,b:20,c:30},
        // m3 {a:1,b:20,c:30}, m4 {a:5,x:7}). A key keeps its first place.
        assert_eq!(keys("m1"), kv(&[("b", 2), ("a", 1), ("d", 4)]));
        // In a list, earlier maps win (applied last to first).
        assert_eq!(keys("m2"), kv(&[("a", 1), ("b", 20), ("c", 30)]));
        assert_eq!(keys("m3"), kv(&[("a", 1), ("b", 20), ("c", 30)]));
        assert_eq!(keys("m4"), kv(&[("x", 7), ("a", 5)]));
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

    /// A file that does not end with a line break, its last line inside a
    /// block scalar: the values yaml.v2 reads (checked with Go).
    #[test]
    fn block_scalars_at_the_end_of_a_file() {
        for (doc, want) in [
            ("a: |\n  echo hi", "echo hi"),
            ("a: >\n  x\n  y", "x y"),
            ("a: |\n  x\n  y", "x\ny"),
            ("a: |+\n  x\n\n  y", "x\n\ny"),
            ("a: |\n  x\n  # c", "x\n# c"),
            ("a: |2\n   x", " x"),
            ("a: |-\n  x", "x"),
            // A last line of only the indentation adds nothing ...
            ("a: |\n  x\n  ", "x\n"),
            ("a: |+\n  x\n\n  ", "x\n\n"),
            ("a: |\n  x\n\n\n  ", "x\n"),
            // ... and one with less is not in the block at all.
            ("a: |\n  x\n ", "x\n"),
            ("a: |+\n  x\n \n ", "x\n\n"),
            ("a: |+\n\n  ", "\n"),
            // Ending with a line break: unchanged.
            ("a: |\n  x\n", "x\n"),
            ("a: |+\n  x\n\n", "x\n\n"),
        ] {
            assert_eq!(
                one(doc).get("a").unwrap().value,
                Value::Str(want.into()),
                "{doc:?}"
            );
        }
        let n = one("l:\n- |\n  x\n- >-\n  y\n- |\n  z");
        let items: Vec<_> = n
            .get("l")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .map(|i| i.value.clone())
            .collect();
        assert_eq!(items, ["x\n", "y", "z"].map(|s| Value::Str(s.into())));
    }

    /// Text yaml-rust2 refuses and yaml.v2 reads, read as yaml.v2 reads it
    /// (checked with Go), with positions still on the right lines.
    #[test]
    fn text_helm_reads_is_read() {
        let n = one("args: [\n  \"a\",\n  \"b\"\n]\nnext: 1\n");
        assert_eq!(n.get_path("args.1").unwrap().value, Value::Str("b".into()));
        assert_eq!(n.get("next").unwrap().pos.line, 5);
        let n = one("flow: [a,\nb,\nc]\n");
        assert_eq!(n.get_path("flow.2").unwrap().value, Value::Str("c".into()));
        let n = one("q: \"a\nb\n  c\"\nr: 'x\ny'\n");
        assert_eq!(n.get("q").unwrap().value, Value::Str("a b c".into()));
        assert_eq!(n.get("r").unwrap().value, Value::Str("x y".into()));
        let n = one("key: \"value\"# note\nblock: ># note\n  text\n");
        assert_eq!(n.get("key").unwrap().value, Value::Str("value".into()));
        assert_eq!(n.get("block").unwrap().value, Value::Str("text\n".into()));
        let n = one("q: \"it\\'s \\\"x\\\"\"\n");
        assert_eq!(n.get("q").unwrap().value, Value::Str("it's \"x\"".into()));
        let n = one("empty: >\n \n  \n   \n # note\nnext: 1\n");
        assert_eq!(n.get("empty").unwrap().value, Value::Str("".into()));
        assert_eq!(n.get("next").unwrap().value, Value::Int(1));
        // What yaml.v2 refuses too stays an error, reported where it was.
        let e = err("q: \"a\\qb\"\n");
        assert_eq!((e.line, e.message.contains("escape")), (1, true));
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
