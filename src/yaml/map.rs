//! The ordered map inside a [`Value::Map`](super::node::Value::Map).
//!
//! Nearly every map in a GitOps repository has a handful of keys
//! (`image: {repository, tag, pullPolicy}`, `resources: {limits,
//! requests}`). A hash map costs three allocations and a hash per lookup
//! for those; this map is a plain vector of entries searched in order, so
//! building or cloning one costs a single allocation and a lookup compares
//! a few short strings. A map that grows past [`SMALL`] keys gets a hash
//! index beside its entries, so large maps (and hostile files with many
//! thousand keys) keep constant-time lookups.
//!
//! Keys keep the order in which they were first inserted; inserting an
//! existing key replaces its value in place. Equality ignores order, as
//! for any map.

use std::collections::HashMap;
use std::fmt;

use super::node::Entry;

/// Up to this many keys a map is searched in order.
const SMALL: usize = 16;

type Slot = (String, Entry);

#[derive(Clone)]
pub struct Map(Repr);

/// Two shapes in the space of one vector (24 bytes), so a tree node stays
/// 48 bytes.
#[derive(Clone)]
enum Repr {
    Small(Vec<Slot>),
    Indexed(Box<Indexed>),
}

/// A map with more than [`SMALL`] keys: its entries and the position of
/// every key.
#[derive(Clone)]
struct Indexed {
    entries: Vec<Slot>,
    index: HashMap<String, usize>,
}

impl Indexed {
    fn new(entries: Vec<Slot>) -> Indexed {
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, (k, _))| (k.clone(), i))
            .collect();
        Indexed { entries, index }
    }
}

impl Default for Map {
    fn default() -> Map {
        Map(Repr::Small(Vec::new()))
    }
}

pub type Iter<'a> =
    std::iter::Map<std::slice::Iter<'a, Slot>, fn(&'a Slot) -> (&'a String, &'a Entry)>;
pub type IterMut<'a> =
    std::iter::Map<std::slice::IterMut<'a, Slot>, fn(&'a mut Slot) -> (&'a String, &'a mut Entry)>;

fn pair(slot: &Slot) -> (&String, &Entry) {
    (&slot.0, &slot.1)
}

fn pair_mut(slot: &mut Slot) -> (&String, &mut Entry) {
    (&slot.0, &mut slot.1)
}

impl Map {
    pub fn new() -> Map {
        Map::default()
    }

    pub fn with_capacity(n: usize) -> Map {
        Map(Repr::Small(Vec::with_capacity(n)))
    }

    fn entries(&self) -> &Vec<Slot> {
        match &self.0 {
            Repr::Small(v) => v,
            Repr::Indexed(ix) => &ix.entries,
        }
    }

    /// The entries, to change values in place (never keys: the index
    /// would go stale).
    fn entries_mut(&mut self) -> &mut [Slot] {
        match &mut self.0 {
            Repr::Small(v) => v,
            Repr::Indexed(ix) => &mut ix.entries,
        }
    }

    /// Take the entries out, change them with `edit`, and put them back in
    /// the shape their new length calls for.
    fn rebuild(&mut self, edit: impl FnOnce(&mut Vec<Slot>)) {
        let mut entries = match std::mem::replace(&mut self.0, Repr::Small(Vec::new())) {
            Repr::Small(v) => v,
            Repr::Indexed(ix) => ix.entries,
        };
        edit(&mut entries);
        self.0 = if entries.len() > SMALL {
            Repr::Indexed(Box::new(Indexed::new(entries)))
        } else {
            Repr::Small(entries)
        };
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.0 {
            Repr::Small(v) => v.iter().position(|(k, _)| k == key),
            Repr::Indexed(ix) => ix.index.get(key).copied(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.position(key).map(|i| &self.entries()[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        let i = self.position(key)?;
        Some(&mut self.entries_mut()[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Insert or replace; a replaced key keeps its place. Returns the old
    /// entry.
    pub fn insert(&mut self, key: String, entry: Entry) -> Option<Entry> {
        if let Some(i) = self.position(&key) {
            return Some(std::mem::replace(&mut self.entries_mut()[i].1, entry));
        }
        match &mut self.0 {
            Repr::Indexed(ix) => {
                ix.index.insert(key.clone(), ix.entries.len());
                ix.entries.push((key, entry));
            }
            Repr::Small(v) if v.len() < SMALL => v.push((key, entry)),
            Repr::Small(_) => self.rebuild(|v| v.push((key, entry))),
        }
        None
    }

    /// Remove a key, keeping the order of the others.
    pub fn shift_remove(&mut self, key: &str) -> Option<Entry> {
        let i = self.position(key)?;
        if let Repr::Small(v) = &mut self.0 {
            return Some(v.remove(i).1);
        }
        let mut removed = None;
        self.rebuild(|v| removed = Some(v.remove(i).1));
        removed
    }

    pub fn iter(&self) -> Iter<'_> {
        self.entries()
            .iter()
            .map(pair as fn(&Slot) -> (&String, &Entry))
    }

    pub fn iter_mut(&mut self) -> IterMut<'_> {
        self.entries_mut()
            .iter_mut()
            .map(pair_mut as fn(&mut Slot) -> (&String, &mut Entry))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries().iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator {
        self.entries().iter().map(|(_, e)| e)
    }

    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Entry> + ExactSizeIterator {
        self.entries_mut().iter_mut().map(|(_, e)| e)
    }

    /// Give back spare capacity (maps built by inserting keep up to twice
    /// what they hold).
    pub fn shrink_to_fit(&mut self) {
        match &mut self.0 {
            Repr::Small(v) => v.shrink_to_fit(),
            Repr::Indexed(ix) => ix.entries.shrink_to_fit(),
        }
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len() && self.iter().all(|(k, e)| other.get(k) == Some(e))
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Entry);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Map {
    type Item = (&'a String, &'a mut Entry);
    type IntoIter = IterMut<'a>;
    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

impl IntoIterator for Map {
    type Item = (String, Entry);
    type IntoIter = std::vec::IntoIter<Slot>;
    fn into_iter(self) -> Self::IntoIter {
        match self.0 {
            Repr::Small(v) => v.into_iter(),
            Repr::Indexed(ix) => ix.entries.into_iter(),
        }
    }
}

impl Extend<(String, Entry)> for Map {
    fn extend<I: IntoIterator<Item = (String, Entry)>>(&mut self, items: I) {
        for (k, e) in items {
            self.insert(k, e);
        }
    }
}

impl FromIterator<(String, Entry)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Entry)>>(items: I) -> Map {
        let items = items.into_iter();
        let mut map = Map::with_capacity(items.size_hint().0);
        map.extend(items);
        map
    }
}

/// `map["key"]` in tests; code that runs uses [`Map::get`].
#[cfg(test)]
impl std::ops::Index<&str> for Map {
    type Output = Entry;
    fn index(&self, key: &str) -> &Entry {
        match self.get(key) {
            Some(e) => e,
            None => panic!("no key `{key}` in {self:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::node::{Node, Pos, Value};

    fn entry(i: i64) -> Entry {
        Entry::new(Pos::GENERATED, Node::new(Value::Int(i), Pos::GENERATED))
    }

    fn int(m: &Map, k: &str) -> Option<i64> {
        m.get(k).and_then(|e| e.node.as_i64())
    }

    /// The same answers below and above the size where the index starts.
    #[test]
    fn small_and_indexed_maps_agree() {
        for n in [3usize, SMALL, SMALL + 1, 200] {
            let mut m = Map::new();
            for i in 0..n {
                assert_eq!(m.insert(format!("k{i}"), entry(i as i64)), None);
            }
            assert_eq!(m.len(), n);
            assert_eq!(matches!(m.0, Repr::Indexed(_)), n > SMALL, "n={n}");
            // Replacing keeps the place and returns the old entry.
            assert_eq!(m.insert("k1".into(), entry(-1)), Some(entry(1)));
            assert_eq!(m.iter().nth(1).map(|(k, _)| k.as_str()), Some("k1"));
            assert_eq!(int(&m, "k1"), Some(-1));
            assert_eq!(int(&m, "nope"), None);
            // Removing shifts the rest and keeps lookups right.
            assert_eq!(m.shift_remove("k0"), Some(entry(0)));
            assert_eq!(m.shift_remove("k0"), None);
            assert_eq!(m.iter().next().map(|(k, _)| k.as_str()), Some("k1"));
            let last = format!("k{}", n - 1);
            assert_eq!(int(&m, &last), Some(n as i64 - 1));
            assert_eq!(m.iter().next_back().map(|(k, _)| k.clone()), Some(last));
            assert!(m.shift_remove("k2").is_some());
            assert!(!m.contains_key("k2"));
            assert_eq!(m.len(), n - 2);
            assert_eq!(matches!(m.0, Repr::Indexed(_)), n - 2 > SMALL, "n={n}");
            if let Some(e) = m.get_mut("k1") {
                e.node = Node::new(Value::Int(7), Pos::GENERATED);
            }
            assert_eq!(int(&m, "k1"), Some(7));
            let keys: Vec<&String> = m.keys().collect();
            assert_eq!(keys.len(), m.len());
        }
    }

    #[test]
    fn a_node_stays_small() {
        assert_eq!(std::mem::size_of::<Map>(), 24);
        assert_eq!(std::mem::size_of::<Node>(), 48);
    }

    #[test]
    fn equality_ignores_order() {
        let a: Map = [("x".to_string(), entry(1)), ("y".to_string(), entry(2))]
            .into_iter()
            .collect();
        let b: Map = [("y".to_string(), entry(2)), ("x".to_string(), entry(1))]
            .into_iter()
            .collect();
        let c: Map = [("x".to_string(), entry(1))].into_iter().collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(format!("{a:?}").matches("Int").count(), 2);
    }
}
