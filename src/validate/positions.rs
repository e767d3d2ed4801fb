//! From positioned YAML to JSON, keeping the way back.
//!
//! JSON Schema validators work on `serde_json` values and report an error
//! by JSON pointer (`/image/tag`). [`to_json`] converts a [`Node`] and
//! records, for every pointer, the position of the value and of its key,
//! so a schema error can point at the layer line a person has to edit.

use std::collections::HashMap;

use serde_json::{Map as JMap, Number, Value as Json};

use crate::yaml::node::{Node, Pos, Value};

/// Where each value of a converted tree came from, by JSON pointer.
#[derive(Debug, Default, Clone)]
pub struct Positions {
    /// pointer -> (position of the value, position of its key in a map).
    table: HashMap<String, (Pos, Option<Pos>)>,
}

impl Positions {
    /// The position of the value at `pointer`, or of its nearest ancestor
    /// that has one (values nexus generated have none).
    pub fn value(&self, pointer: &str) -> Option<Pos> {
        let mut p = pointer;
        loop {
            if let Some((pos, _)) = self.table.get(p)
                && !pos.is_generated()
            {
                return Some(*pos);
            }
            if p.is_empty() {
                return None;
            }
            p = parent(p);
        }
    }

    /// The position of the key of the map entry at `pointer`, else of its value.
    pub fn key(&self, pointer: &str) -> Option<Pos> {
        match self.table.get(pointer) {
            Some((_, Some(k))) if !k.is_generated() => Some(*k),
            _ => self.value(pointer),
        }
    }

    /// The exact position of the value at `pointer`, without falling back
    /// to an ancestor.
    pub fn exact(&self, pointer: &str) -> Option<Pos> {
        self.table
            .get(pointer)
            .map(|(p, _)| *p)
            .filter(|p| !p.is_generated())
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
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
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

/// Convert a node to JSON, recording positions.
pub fn to_json(node: &Node) -> (Json, Positions) {
    let mut positions = Positions::default();
    let mut pointer = String::new();
    let json = convert(node, None, &mut pointer, &mut positions);
    (json, positions)
}

/// Convert a node to JSON without recording positions.
pub fn plain_json(node: &Node) -> Json {
    to_json(node).0
}

fn convert(node: &Node, key_pos: Option<Pos>, pointer: &mut String, pos: &mut Positions) -> Json {
    pos.table.insert(pointer.clone(), (node.pos, key_pos));
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number(Number::from(*i)),
        Value::Float(f) => {
            Number::from_f64(*f).map_or_else(|| Json::String(f.to_string()), Json::Number)
        }
        Value::Str(s) => Json::String(s.clone()),
        Value::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                out.push(convert(item, None, pointer, pos));
                pointer.truncate(len);
            }
            Json::Array(out)
        }
        Value::Map(m) => {
            let mut out = JMap::new();
            for (k, e) in m.iter() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(k));
                out.insert(k.clone(), convert(&e.node, Some(e.key_pos), pointer, pos));
                pointer.truncate(len);
            }
            Json::Object(out)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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
        let (json, pos) = to_json(&node);
        assert_eq!(json["image"]["tag"], serde_json::json!(1.0));
        assert_eq!(
            pos.value("/image/tag").map(|p| (p.line, p.col)),
            Some((2, 8))
        );
        assert_eq!(
            pos.key("/image/repo").map(|p| (p.line, p.col)),
            Some((3, 3))
        );
        assert_eq!(pos.value("/env/0/value").map(|p| p.line), Some(6));
        // A pointer below a leaf falls back to the nearest ancestor.
        assert_eq!(pos.value("/image/tag/missing").map(|p| p.line), Some(2));
        assert_eq!(pos.value("/a~1b").map(|p| p.line), Some(7));
        assert_eq!(dotted("/env/0/value"), "env[0].value");
        assert_eq!(
            tokens("/a~1b/c~0d"),
            vec!["a/b".to_string(), "c~d".to_string()]
        );
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "");
    }
}
