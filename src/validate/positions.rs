//! From positioned YAML to JSON, keeping the way back.
//!
//! JSON Schema validators work on `serde_json` values and report an error
//! by JSON pointer (`/image/tag`). [`to_json`] converts a [`Node`]; the
//! [`Positions`] it returns answer, for a pointer, the position of the
//! value and of its key, so a schema error can point at the layer line a
//! person has to edit. They look the pointer up in the node tree itself
//! when asked (only when there is an error), instead of recording every
//! pointer of every converted tree up front.

use serde_json::{Map as JMap, Number, Value as Json};

use crate::source::Files;
use crate::yaml::node::{Node, Pos, Trace, Value};

/// Where each value of a converted tree came from, by JSON pointer.
#[derive(Debug, Clone, Copy)]
pub struct Positions<'a> {
    root: &'a Node,
    /// To follow a templated value back to its var.
    files: &'a Files,
}

/// What a pointer leads to in a tree.
struct Found<'a> {
    /// The node at the pointer and the position of its key in a map, if
    /// the whole pointer resolves.
    exact: Option<(&'a Node, Option<Pos>)>,
    /// The deepest node on the way (the node itself included) that has a
    /// position: values nexus generated have none.
    nearest: Option<&'a Node>,
}

fn positioned(node: &Node) -> Option<&Node> {
    (!node.pos.is_generated()).then_some(node)
}

impl<'a> Positions<'a> {
    pub fn of(root: &'a Node, files: &'a Files) -> Positions<'a> {
        Positions { root, files }
    }

    fn trace(&self, node: &Node) -> Trace {
        self.files.trace(node)
    }

    fn find(&self, pointer: &str) -> Found<'a> {
        let mut node = self.root;
        let mut key_pos = None;
        let mut nearest = positioned(node);
        if !pointer.is_empty() {
            let Some(rest) = pointer.strip_prefix('/') else {
                return Found {
                    exact: None,
                    nearest,
                };
            };
            for token in rest.split('/') {
                let token = unescape(token);
                let next = match &node.value {
                    Value::Map(m) => m.get(&token).map(|e| (&e.node, Some(e.key_pos))),
                    Value::Seq(items) => {
                        index(&token).and_then(|i| items.get(i)).map(|n| (n, None))
                    }
                    _ => None,
                };
                let Some((n, k)) = next else {
                    return Found {
                        exact: None,
                        nearest,
                    };
                };
                node = n;
                key_pos = k;
                nearest = positioned(n).or(nearest);
            }
        }
        Found {
            exact: Some((node, key_pos)),
            nearest,
        }
    }

    /// Where the value at `pointer` was set, or its nearest ancestor that
    /// has a position (values nexus generated have none).
    pub fn value(&self, pointer: &str) -> Option<Trace> {
        self.find(pointer).nearest.map(|n| self.trace(n))
    }

    /// The position of the key of the map entry at `pointer`, else of its value.
    pub fn key(&self, pointer: &str) -> Option<Trace> {
        let found = self.find(pointer);
        let key = found
            .exact
            .and_then(|(_, k)| k.filter(|p| !p.is_generated()));
        match key {
            Some(set) => Some(Trace { set, via: None }),
            None => found.nearest.map(|n| self.trace(n)),
        }
    }

    /// Where exactly the value at `pointer` was set, without falling back
    /// to an ancestor.
    pub fn exact(&self, pointer: &str) -> Option<Trace> {
        self.find(pointer)
            .exact
            .and_then(|(n, _)| positioned(n))
            .map(|n| self.trace(n))
    }
}

/// A list index as a JSON pointer writes it (`0`, `12`; not `01`).
fn index(token: &str) -> Option<usize> {
    let canonical = token == "0" || !token.starts_with('0');
    canonical.then(|| token.parse::<usize>().ok()).flatten()
}

/// Undo the escaping of one reference token (`~1` is `/`, `~0` is `~`).
fn unescape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

/// The parent of a JSON pointer (`/a/b` -> `/a`, `/a` -> ``).
pub fn parent(pointer: &str) -> &str {
    pointer.rfind('/').map_or("", |i| &pointer[..i])
}

/// Escape one reference token of a JSON pointer (RFC 6901).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Split a JSON pointer into its unescaped tokens.
pub fn tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|t| unescape(t).into_owned())
        .collect()
}

/// A JSON pointer as a dotted path for people (`/image/tag` -> `image.tag`,
/// `/env/0/name` -> `env[0].name`).
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for t in tokens(pointer) {
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{t}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&t);
        }
    }
    out
}

/// Convert a node to JSON, with the way back from pointers to positions.
pub fn to_json<'a>(node: &'a Node, files: &'a Files) -> (Json, Positions<'a>) {
    (plain_json(node), Positions::of(node, files))
}

/// Convert a node to JSON.
pub fn plain_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number(Number::from(*i)),
        Value::Float(f) => {
            Number::from_f64(*f).map_or_else(|| Json::String(f.to_string()), Json::Number)
        }
        Value::Str(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(plain_json).collect()),
        Value::Map(m) => {
            let mut out = JMap::with_capacity(m.len());
            for (k, e) in m.iter() {
                out.insert(k.clone(), plain_json(&e.node));
            }
            Json::Object(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load::{Limits, parse_one};
    use crate::yaml::node::FileId;

    #[test]
    fn pointers_map_back_to_lines() {
        let text = "image:\n  tag: 1.0\n  repo: x\nenv:\n  - name: A\n    value: b\n\"a/b\": 1\n";
        let node = parse_one(text, FileId(0), &Limits::default())
            .unwrap()
            .unwrap();
        let files = Files::new();
        let (json, pos) = to_json(&node, &files);
        assert_eq!(json["image"]["tag"], serde_json::json!(1.0));
        assert_eq!(
            pos.value("/image/tag").map(|t| (t.set.line, t.set.col)),
            Some((2, 8))
        );
        assert_eq!(
            pos.key("/image/repo").map(|t| (t.set.line, t.set.col)),
            Some((3, 3))
        );
        assert_eq!(pos.value("/env/0/value").map(|t| t.set.line), Some(6));
        // A pointer below a leaf falls back to the nearest ancestor.
        assert_eq!(pos.value("/image/tag/missing").map(|t| t.set.line), Some(2));
        assert_eq!(pos.value("/a~1b").map(|t| t.set.line), Some(7));
        assert_eq!(dotted("/env/0/value"), "env[0].value");
        assert_eq!(
            tokens("/a~1b/c~0d"),
            vec!["a/b".to_string(), "c~d".to_string()]
        );
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "");
        // Exact answers only for pointers that resolve all the way; list
        // indexes as JSON pointers write them.
        assert_eq!(pos.exact("/env/0/name").map(|t| t.set.line), Some(5));
        assert_eq!(pos.exact("/env/00/name"), None);
        assert_eq!(pos.value("/env/00/name").map(|t| t.set.line), Some(5));
        assert_eq!(pos.exact("/image/nope"), None);
        assert_eq!(
            pos.key("/env").map(|t| (t.set.line, t.set.col)),
            Some((4, 1))
        );
        assert_eq!(pos.value("no-slash").map(|t| t.set.line), Some(1));
    }
}
