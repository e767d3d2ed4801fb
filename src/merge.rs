//! Merging layers, Helm's way, with provenance (README: Merge rules).
//!
//! The result for `app.values` equals what `helm template -f L1 -f L2 ...`
//! builds: maps merge key by key, lists and scalars replace, an explicit
//! `null` replaces too and is kept. In nexus's own keys a `null` unsets what
//! an earlier layer set. Two extensions: `key+` appends to the inherited
//! list, `key!` replaces the inherited map instead of merging into it.
//!
//! Every node keeps the position of the layer that set it, so the merged
//! tree is its own provenance record. Replacing a map by a scalar (or the
//! reverse) is allowed, as in Helm, but records a `MERGE` warning naming both
//! places.

use std::sync::Arc;

use crate::error::{Diagnostic, Error, Kind};
use crate::layer::Layer;
use crate::yaml::node::{Entry, Map, Node, Pos, Value};

/// Merge a chain of layers (includes already expanded), first to last.
/// Returns the merged document and the merge warnings.
pub fn merge_layers(layers: &[Arc<Layer>]) -> Result<(Node, Vec<Diagnostic>), Error> {
    let mut doc = Node::map(Pos::GENERATED);
    let mut merger = Merger::new();
    for layer in layers {
        merger.merge_layer(&mut doc, &layer.root)?;
    }
    Ok((doc, merger.warnings))
}

/// How `null` behaves below a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// nexus's own keys: `null` removes the key.
    Unset,
    /// Helm values: `null` is a value and is written out.
    Keep,
}

/// Merge state: where we are (for messages) and what we noticed.
#[derive(Default)]
pub struct Merger {
    path: Vec<String>,
    pub warnings: Vec<Diagnostic>,
}

fn split_suffix(key: &str) -> (&str, Option<char>) {
    if key.len() > 1 {
        if let Some(b) = key.strip_suffix('+') {
            return (b, Some('+'));
        }
        if let Some(b) = key.strip_suffix('!') {
            return (b, Some('!'));
        }
    }
    (key, None)
}

impl Merger {
    pub fn new() -> Merger {
        Merger::default()
    }

    fn dotted(&self, key: &str) -> String {
        let mut s = self.path.join(".");
        if !s.is_empty() {
            s.push('.');
        }
        s.push_str(key);
        s
    }

    /// The mode for a child key: `app.values` switches to Helm semantics.
    fn child_mode(&self, mode: Mode, key: &str) -> Mode {
        if mode == Mode::Unset && key == "values" && self.path.len() == 1 && self.path[0] == "app" {
            Mode::Keep
        } else {
            mode
        }
    }

    /// Merge a whole layer document into the accumulated `base` (a map).
    pub fn merge_layer(&mut self, base: &mut Node, layer: &Node) -> Result<(), Error> {
        self.path.clear();
        self.merge_node(base, layer, Mode::Unset)
    }

    /// Merge `over` into `base`. Both may be any value.
    pub fn merge_node(&mut self, base: &mut Node, over: &Node, mode: Mode) -> Result<(), Error> {
        match (&mut base.value, &over.value) {
            (Value::Map(bm), Value::Map(om)) => self.merge_maps(bm, om, mode),
            _ => {
                *base = self.fresh(over, mode)?;
                Ok(())
            }
        }
    }

    fn merge_maps(&mut self, base: &mut Map, over: &Map, mode: Mode) -> Result<(), Error> {
        for (raw_key, entry) in over {
            // A quoted key is always literal: `"c++"` is the key `c++`.
            let (key, suffix) = if entry.literal_key {
                (raw_key.as_str(), None)
            } else {
                split_suffix(raw_key)
            };
            let cmode = self.child_mode(mode, key);
            let onode = &entry.node;
            match suffix {
                Some('+') => {
                    let Value::Seq(items) = &onode.value else {
                        return Err(Error::from(
                            Diagnostic::error(format!(
                                "`{}+` appends to a list, but its value is {}",
                                self.dotted(key),
                                onode.type_name()
                            ))
                            .at(onode.pos)
                            .with_hint(format!(
                                "write `{key}+: [item, ...]` to append, or `{key}:` to replace; if `+` is part of the key's name, quote it: `\"{raw_key}\":`"
                            )),
                        ));
                    };
                    self.path.push(key.to_string());
                    let fresh: Vec<Node> = items
                        .iter()
                        .map(|n| self.fresh(n, cmode))
                        .collect::<Result<_, _>>()?;
                    self.path.pop();
                    match base.get_mut(key) {
                        Some(existing) => match &mut existing.node.value {
                            Value::Seq(list) => list.extend(fresh),
                            Value::Null => existing.node = Node::new(Value::Seq(fresh), onode.pos),
                            other => {
                                let what = other.type_name();
                                return Err(Error::from(
                                    Diagnostic::error(format!(
                                        "`{}+` appends to a list, but the inherited `{key}` is {what}",
                                        self.dotted(key)
                                    ))
                                    .at(entry.key_pos)
                                    .note_at("the inherited value", existing.node.pos)
                                    .with_hint(format!("write `{key}:` to replace the inherited value")),
                                ));
                            }
                        },
                        None => {
                            base.insert(
                                key.to_string(),
                                Entry::new(entry.key_pos, Node::new(Value::Seq(fresh), onode.pos)),
                            );
                        }
                    }
                }
                Some(_) => {
                    // `key!`: replace wholesale.
                    if onode.is_null() && cmode == Mode::Unset {
                        base.shift_remove(key);
                        continue;
                    }
                    self.path.push(key.to_string());
                    let fresh = self.fresh(onode, cmode)?;
                    self.path.pop();
                    self.set(base, key, entry, fresh);
                }
                None => {
                    if onode.is_null() && cmode == Mode::Unset {
                        base.shift_remove(key);
                        continue;
                    }
                    self.path.push(key.to_string());
                    let result = match base.get_mut(key) {
                        Some(existing) => {
                            let both_maps = matches!(
                                (&existing.node.value, &onode.value),
                                (Value::Map(_), Value::Map(_))
                            );
                            if both_maps {
                                existing.key_pos = entry.key_pos;
                                let Value::Map(bm) = &mut existing.node.value else {
                                    unreachable!()
                                };
                                let Value::Map(om) = &onode.value else {
                                    unreachable!()
                                };
                                self.merge_maps(bm, om, cmode)
                            } else {
                                let was_map = matches!(existing.node.value, Value::Map(_));
                                let is_map = matches!(onode.value, Value::Map(_));
                                if was_map != is_map && !existing.node.is_null() && !onode.is_null()
                                {
                                    self.warnings.push(
                                        Diagnostic::warning(format!(
                                            "`{}` was {} and is replaced by {} here",
                                            self.path.join("."),
                                            existing.node.type_name(),
                                            onode.type_name()
                                        ))
                                        .with_kind(Kind::Merge)
                                        .with_path(self.path.join("."))
                                        .at(onode.pos)
                                        .note_at("the earlier value", existing.node.pos)
                                        .with_hint("if this is intended, nothing to do; a map is replaced, not merged, by a scalar or list"),
                                    );
                                }
                                let fresh = self.fresh(onode, cmode)?;
                                existing.key_pos = entry.key_pos;
                                existing.node = fresh;
                                Ok(())
                            }
                        }
                        None => {
                            let fresh = self.fresh(onode, cmode)?;
                            base.insert(key.to_string(), Entry::new(entry.key_pos, fresh));
                            Ok(())
                        }
                    };
                    self.path.pop();
                    result?;
                }
            }
        }
        Ok(())
    }

    fn set(&mut self, base: &mut Map, key: &str, entry: &Entry, node: Node) {
        match base.get_mut(key) {
            Some(existing) => {
                existing.key_pos = entry.key_pos;
                existing.node = node;
            }
            None => {
                base.insert(key.to_string(), Entry::new(entry.key_pos, node));
            }
        }
    }

    /// A copy of `over` as it stands on its own: suffixed keys resolved
    /// against nothing, and in [`Mode::Unset`] nulls inside maps dropped.
    fn fresh(&mut self, over: &Node, mode: Mode) -> Result<Node, Error> {
        match &over.value {
            Value::Map(om)
                if mode == Mode::Unset
                    || om
                        .iter()
                        .any(|(k, e)| !e.literal_key && split_suffix(k).1.is_some()) =>
            {
                let mut out = Map::with_capacity(om.len());
                self.merge_maps(&mut out, om, mode)?;
                Ok(Node::new(Value::Map(out), over.pos))
            }
            _ => Ok(over.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load::{Limits, parse_one};
    use crate::yaml::node::FileId;

    fn parse(text: &str, file: u32) -> Node {
        parse_one(text, FileId(file), &Limits::default())
            .ok()
            .flatten()
            .expect("bad yaml")
    }

    fn merged_values(layers: &[&str]) -> (Node, Vec<Diagnostic>) {
        let mut base = Node::map(crate::yaml::node::Pos::GENERATED);
        let mut m = Merger::new();
        for (i, l) in layers.iter().enumerate() {
            let mut doc = String::from("app:\n  values:\n");
            for line in l.lines() {
                doc.push_str("    ");
                doc.push_str(line);
                doc.push('\n');
            }
            m.merge_layer(&mut base, &parse(&doc, i as u32)).unwrap();
        }
        let values = base.get_path("app.values").cloned().expect("no values");
        (values, m.warnings)
    }

    fn yaml(node: &Node) -> String {
        crate::yaml::emit::to_string(node)
    }

    #[test]
    fn maps_merge_recursively_and_scalars_replace() {
        let (v, w) = merged_values(&["a: {b: 1, c: 2}\nd: x", "a: {c: 3, e: 4}"]);
        assert_eq!(yaml(&v), "a:\n  b: 1\n  c: 3\n  e: 4\nd: x\n");
        assert!(w.is_empty());
    }

    #[test]
    fn lists_are_replaced_not_merged() {
        let (v, _) = merged_values(&["l: [1, 2, 3]", "l: [4]"]);
        assert_eq!(yaml(&v), "l:\n  - 4\n");
    }

    #[test]
    fn null_over_a_map_is_kept_in_values_like_helm() {
        let (v, w) = merged_values(&["a: {b: 1}\nc: 1", "a: null"]);
        assert_eq!(yaml(&v), "a: null\nc: 1\n");
        assert!(w.is_empty(), "null is an explicit unset, not a type change");
    }

    #[test]
    fn null_inside_a_new_map_is_kept_in_values() {
        let (v, _) = merged_values(&["x: 1", "a: {b: null}"]);
        assert_eq!(yaml(&v), "x: 1\na:\n  b: null\n");
    }

    #[test]
    fn map_over_scalar_and_scalar_over_map_warn_with_both_places() {
        let (v, w) = merged_values(&["a: 1\nb: {c: 1}", "a: {x: 1}\nb: 2"]);
        assert_eq!(yaml(&v), "a:\n  x: 1\nb: 2\n");
        assert_eq!(w.len(), 2);
        assert!(
            w[0].message
                .contains("`app.values.a` was an integer and is replaced by a map"),
            "{}",
            w[0].message
        );
        assert_eq!(w[0].pos().map(|p| p.file), Some(FileId(1)));
        assert_eq!(w[0].notes[0].pos.map(|p| p.file), Some(FileId(0)));
    }

    #[test]
    fn list_over_map_is_a_type_change() {
        let (_, w) = merged_values(&["a: {b: 1}", "a: [1]"]);
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn keys_keep_first_definition_order() {
        let (v, _) = merged_values(&["b: 1\na: 1", "c: 1\nb: 2"]);
        assert_eq!(yaml(&v), "b: 2\na: 1\nc: 1\n");
    }

    #[test]
    fn append_and_replace_extensions() {
        let (v, _) = merged_values(&[
            "l: [1]\nm: {a: 1, b: 2}",
            "l+: [2, 3]\nm!: {c: 3}\nnew+: [9]",
        ]);
        assert_eq!(
            yaml(&v),
            "l:\n  - 1\n  - 2\n  - 3\nm:\n  c: 3\nnew:\n  - 9\n"
        );
    }

    #[test]
    fn append_to_a_non_list_is_an_error() {
        let mut base = Node::map(crate::yaml::node::Pos::GENERATED);
        let mut m = Merger::new();
        m.merge_layer(&mut base, &parse("app: {values: {l: {a: 1}}}", 0))
            .unwrap();
        let err = m
            .merge_layer(&mut base, &parse("app: {values: {l+: [1]}}", 1))
            .expect_err("appending to a map must fail");
        assert!(
            err.diagnostics[0]
                .message
                .contains("inherited `l` is a map"),
            "{err}"
        );
    }

    #[test]
    fn null_unsets_nexus_keys() {
        let mut base = Node::map(crate::yaml::node::Pos::GENERATED);
        let mut m = Merger::new();
        m.merge_layer(
            &mut base,
            &parse(
                "argocd: {syncPolicy: {automated: {prune: true}, syncOptions: [A]}}",
                0,
            ),
        )
        .unwrap();
        m.merge_layer(
            &mut base,
            &parse("argocd: {syncPolicy: {automated: null}}", 1),
        )
        .unwrap();
        assert_eq!(
            yaml(&base),
            "argocd:\n  syncPolicy:\n    syncOptions:\n      - A\n"
        );
    }

    #[test]
    fn provenance_follows_the_winning_layer() {
        let (v, _) = merged_values(&["image: {repository: r, tag: '1'}", "image: {tag: '2'}"]);
        assert_eq!(v.get_path("image.tag").map(|n| n.pos.file), Some(FileId(1)));
        assert_eq!(
            v.get_path("image.repository").map(|n| n.pos.file),
            Some(FileId(0))
        );
    }

    /// Helm's own `mergeMaps` (pkg/cli/values/options.go), on JSON values:
    /// the reference our merge must equal for `-f L1 -f L2 ...`.
    fn helm_merge(
        a: &serde_json::Map<String, serde_json::Value>,
        b: &serde_json::Map<String, serde_json::Value>,
    ) -> serde_json::Map<String, serde_json::Value> {
        let mut out = a.clone();
        for (k, v) in b {
            if let serde_json::Value::Object(vm) = v
                && let Some(serde_json::Value::Object(bv)) = out.get(k)
            {
                let merged = helm_merge(bv, vm);
                out.insert(k.clone(), serde_json::Value::Object(merged));
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
        out
    }

    fn to_json(n: &Node) -> serde_json::Value {
        match &n.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Value::from(*f),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, e)| (k.clone(), to_json(&e.node)))
                    .collect(),
            ),
        }
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn random_node(rng: &mut Rng, depth: u32, file: u32) -> Node {
        let pos = crate::yaml::node::Pos::new(FileId(file), 1, 1);
        let pick = if depth >= 4 { rng.next(5) } else { rng.next(8) };
        let value = match pick {
            0 => Value::Null,
            1 => Value::Bool(rng.next(2) == 0),
            2 => Value::Int(rng.next(5) as i64),
            3 => Value::Str(["a", "b", "yes", ""][rng.next(4) as usize].to_string()),
            4 => Value::Float(0.5),
            5 => Value::Seq(
                (0..rng.next(3))
                    .map(|_| random_node(rng, depth + 1, file))
                    .collect(),
            ),
            _ => {
                let mut m = Map::new();
                for _ in 0..rng.next(4) {
                    let k = ["x", "y", "z", "image", "tag"][rng.next(5) as usize].to_string();
                    m.insert(k, Entry::new(pos, random_node(rng, depth + 1, file)));
                }
                Value::Map(m)
            }
        };
        Node::new(value, pos)
    }

    #[test]
    fn random_layers_merge_exactly_like_helm() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for case in 0..3000 {
            let layers: Vec<Node> = (0..2 + rng.next(3) as u32)
                .map(|f| {
                    let mut n = random_node(&mut rng, 0, f);
                    if n.as_map().is_none() {
                        n = Node::map(n.pos);
                    }
                    n
                })
                .collect();
            let mut expected = serde_json::Map::new();
            let mut base = Node::map(crate::yaml::node::Pos::GENERATED);
            let mut m = Merger::new();
            for l in &layers {
                if let serde_json::Value::Object(o) = to_json(l) {
                    expected = helm_merge(&expected, &o);
                }
                let mut app = Map::new();
                app.insert("values".into(), Entry::new(l.pos, l.clone()));
                let mut doc = Map::new();
                doc.insert(
                    "app".into(),
                    Entry::new(l.pos, Node::new(Value::Map(app), l.pos)),
                );
                m.merge_layer(&mut base, &Node::new(Value::Map(doc), l.pos))
                    .unwrap();
            }
            let got = base
                .get_path("app.values")
                .map(to_json)
                .unwrap_or_else(|| serde_json::json!({}));
            assert_eq!(got, serde_json::Value::Object(expected), "case {case}");
        }
    }
}
