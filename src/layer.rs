//! Layer files: parse each with positions, check that it is a map whose
//! nexus-owned keys are known (with a "did you mean" for typos), collect
//! its `include:` list, and keep every parsed file in a [`Layers`] table
//! that expands includes into the order they are merged in.
//!
//! `values` and `vars` are free-form; every other key nexus owns is listed
//! here. Keys may carry the merge suffixes `+` (append to the inherited
//! list) and `!` (replace the inherited map), see [`crate::merge`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::{Diagnostic, Error, Kind, did_you_mean};
use crate::source::{Files, Source, join_rel, parent_rel, read_text};
use crate::yaml::load::{self, Limits};
use crate::yaml::node::{FileId, Node, Pos, Value};

/// A parsed layer file.
#[derive(Debug)]
pub struct Layer {
    pub file: FileId,
    /// Repository-relative path.
    pub path: String,
    /// The layer's map without its `include` key.
    pub root: Node,
    /// Included files, resolved to repository-relative paths, with the
    /// position of each entry.
    pub includes: Vec<(String, Pos)>,
    /// How Helm reads parts of the file differently from how they look
    /// (`YAML` warnings: a plain key `on:` is the key `true`).
    pub warnings: Vec<Diagnostic>,
}

/// The layer schema, shipped for editors and compiled into the binary. The
/// keys nexus accepts in the maps it owns are read from it, so the load-time
/// key check and the schema cannot disagree.
pub const SCHEMA: &str = include_str!("../schemas/layer.schema.json");

/// The maps whose unknown keys stop the run (nexus reads them itself and
/// cannot guess what a typo meant), by dotted path below the layer root.
/// Everything else the schema describes is checked by validation, so one
/// run reports all of it.
const OWNED: &[&str] = &[
    "",
    "argocd",
    "argocd.root",
    "argocd.destination",
    "argocd.syncPolicy",
    "argocd.syncPolicy.automated",
    "app",
    "app.chart",
    "app.helm",
];

/// The property names the layer schema allows in each map nexus owns,
/// read from the schema once.
fn known_keys(path: &str) -> &'static [String] {
    static KNOWN: std::sync::LazyLock<Vec<(&'static str, Vec<String>)>> =
        std::sync::LazyLock::new(|| {
            let root: serde_json::Value = serde_json::from_str(SCHEMA).unwrap_or_default();
            OWNED
                .iter()
                .map(|path| (*path, schema_keys(&root, path)))
                .collect()
        });
    KNOWN
        .iter()
        .find(|(p, _)| *p == path)
        .map_or(&[], |(_, keys)| keys.as_slice())
}

/// The property names of the object at the dotted `path` of the schema,
/// following `$ref`s and the non-null alternative of an `anyOf`.
fn schema_keys(root: &serde_json::Value, path: &str) -> Vec<String> {
    fn resolve<'a>(
        root: &'a serde_json::Value,
        mut v: &'a serde_json::Value,
    ) -> &'a serde_json::Value {
        for _ in 0..8 {
            if let Some(r) = v.get("$ref").and_then(|r| r.as_str()) {
                v = &root["$defs"][r.rsplit('/').next().unwrap_or("")];
            } else if v.get("properties").is_none()
                && let Some(alt) = v
                    .get("anyOf")
                    .and_then(|a| a.as_array())
                    .and_then(|alts| alts.iter().find(|x| x.get("type") != Some(&"null".into())))
            {
                v = alt;
            } else {
                break;
            }
        }
        v
    }
    let mut v = resolve(root, root);
    if !path.is_empty() {
        for part in path.split('.') {
            v = resolve(root, &v["properties"][part]);
        }
    }
    v.get("properties")
        .and_then(|p| p.as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Most layers one chain file may expand to, includes counted.
pub const MAX_EXPANDED_LAYERS: usize = 1000;

/// Every layer file parsed in a run, by repository-relative path (`None`:
/// no file there). Each file is parsed once and shared by every
/// environment and app whose chain names it.
#[derive(Default)]
pub struct Layers {
    table: HashMap<String, Option<Arc<Layer>>>,
}

impl Layers {
    /// Parse `wanted` (in parallel) and every file they include, skipping
    /// files already loaded. Every problem of every file is reported.
    pub fn load(
        &mut self,
        source: &dyn Source,
        files: &Files,
        wanted: impl IntoIterator<Item = String>,
        limits: &Limits,
    ) -> Result<(), Error> {
        let mut seen: HashSet<String> = self.table.keys().cloned().collect();
        let mut wanted: Vec<String> = wanted
            .into_iter()
            .filter(|f| seen.insert(f.clone()))
            .collect();
        while !wanted.is_empty() {
            let loaded = crate::par::try_map(&wanted, files, |rel| {
                load(source, files, rel, limits).map(|layer| {
                    let layer = layer.map(|mut l| {
                        l.root.shrink_to_fit();
                        Arc::new(l)
                    });
                    (rel.clone(), layer)
                })
            })?;
            let mut next = Vec::new();
            for (rel, layer) in loaded {
                if let Some(l) = &layer {
                    next.extend(
                        l.includes
                            .iter()
                            .filter(|(inc, _)| seen.insert(inc.clone()))
                            .map(|(inc, _)| inc.clone()),
                    );
                }
                self.table.insert(rel, layer);
            }
            wanted = next;
        }
        Ok(())
    }

    /// The parsed layer at `rel`, if the file exists.
    pub fn get(&self, rel: &str) -> Option<&Arc<Layer>> {
        self.table.get(rel).and_then(Option::as_ref)
    }

    /// Every layer parsed so far, sorted by path.
    pub fn all(&self) -> Vec<&Arc<Layer>> {
        let mut out: Vec<&Arc<Layer>> = self.table.values().flatten().collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// `rel` with its includes expanded, in merge order (includes first).
    /// A missing file gives an empty list.
    pub fn expand(&self, rel: &str) -> Result<Vec<Arc<Layer>>, Error> {
        let mut out = Vec::new();
        let mut stack = Vec::new();
        self.expand_into(rel, None, &mut stack, &mut out)?;
        Ok(out)
    }

    /// Every file of a chain, includes expanded, first to last.
    pub fn expand_chain(&self, chain: &[String]) -> Result<Vec<Arc<Layer>>, Error> {
        let mut used = Vec::new();
        for rel in chain {
            used.extend(self.expand(rel)?);
        }
        Ok(used)
    }

    fn expand_into(
        &self,
        rel: &str,
        included_at: Option<Pos>,
        stack: &mut Vec<String>,
        out: &mut Vec<Arc<Layer>>,
    ) -> Result<(), Error> {
        if let Some(i) = stack.iter().position(|s| s == rel) {
            let mut cycle: Vec<&str> = stack[i..].iter().map(String::as_str).collect();
            cycle.push(rel);
            let mut d = Diagnostic::error(format!("include cycle: {}", cycle.join(" -> ")))
                .with_hint("remove one of these includes");
            if let Some(p) = included_at {
                d = d.at(p);
            }
            return Err(Error::from(d));
        }
        let Some(layer) = self.get(rel) else {
            if let Some(p) = included_at {
                return Err(Error::from(
                    Diagnostic::error(format!("included file `{rel}` does not exist"))
                        .at(p)
                        .with_hint("include paths are relative to the including file"),
                ));
            }
            return Ok(());
        };
        // Includes may repeat a file (a diamond), so a few files can stand
        // for exponentially many layers: bound the expansion.
        if out.len() >= MAX_EXPANDED_LAYERS {
            let mut d = Diagnostic::error(format!(
                "includes expand to more than {MAX_EXPANDED_LAYERS} layers (at `{rel}`)"
            ))
            .in_file(rel.to_string())
            .with_hint("include each file once; repeated includes multiply");
            if let Some(p) = included_at {
                d = d.at(p);
            }
            return Err(Error::from(d));
        }
        stack.push(rel.to_string());
        for (inc, pos) in &layer.includes {
            self.expand_into(inc, Some(*pos), stack, out)?;
        }
        stack.pop();
        out.push(layer.clone());
        Ok(())
    }
}

/// Read and parse one layer file. `Ok(None)` when the file does not exist.
pub fn load(
    source: &dyn Source,
    files: &Files,
    rel: &str,
    limits: &Limits,
) -> Result<Option<Layer>, Error> {
    let Some(text) = read_text(source, rel)? else {
        return Ok(None);
    };
    let text: Arc<str> = Arc::from(text);
    let file = files.add(rel.to_string(), text.clone());
    let (parsed, yaml_warnings) = load::parse_one_noting(&text, file, limits).map_err(|e| {
        let mut d = Diagnostic::error(format!("{rel}: {}", e.message))
            .at(Pos::new(file, e.line.max(1), e.col.max(1)))
            .in_file(rel);
        if let Some(h) = e.hint {
            d = d.with_hint(h);
        }
        Error::from(d)
    })?;
    let mut root = match parsed {
        None => Node::map(Pos::new(file, 1, 1)),
        Some(n) if matches!(n.value, Value::Map(_)) => n,
        Some(n) if n.is_null() => Node::map(n.pos),
        Some(n) => {
            return Err(Error::from(
                Diagnostic::error(format!(
                    "{rel}: a layer must be a map of keys, but this file holds {}",
                    n.type_name()
                ))
                .at(n.pos)
                .in_file(rel)
                .with_hint("start the file with keys such as `app:`, `argocd:` or `vars:`"),
            ));
        }
    };
    let mut problems = Vec::new();
    check_keys(&root, "", rel, &mut problems);
    let includes = match root.as_map_mut().and_then(|m| m.shift_remove("include")) {
        None => Vec::new(),
        Some(entry) => resolve_includes(&entry.node, rel, &mut problems),
    };
    if !problems.is_empty() {
        return Err(Error::many(problems));
    }
    let warnings = yaml_warnings
        .into_iter()
        .map(|w| {
            let d = Diagnostic::warning(w.message)
                .with_kind(Kind::Yaml)
                .at(Pos::new(file, w.line, w.col));
            match w.hint {
                Some(h) => d.with_hint(h),
                None => d,
            }
        })
        .collect();
    Ok(Some(Layer {
        file,
        path: rel.to_string(),
        root,
        includes,
        warnings,
    }))
}

fn resolve_includes(node: &Node, rel: &str, problems: &mut Vec<Diagnostic>) -> Vec<(String, Pos)> {
    let items: Vec<&Node> = match &node.value {
        Value::Str(_) => vec![node],
        Value::Seq(s) => s.iter().collect(),
        Value::Null => vec![],
        _ => {
            problems.push(
                Diagnostic::error(format!(
                    "`include` must be a list of file paths, got {}",
                    node.type_name()
                ))
                .at(node.pos)
                .with_hint("write `include: [../mixins/observability.yaml]`"),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for item in items {
        let Some(path) = item.as_str() else {
            problems.push(
                Diagnostic::error(format!(
                    "an `include` entry must be a file path, got {}",
                    item.type_name()
                ))
                .at(item.pos),
            );
            continue;
        };
        match join_rel(parent_rel(rel), path) {
            Some(p) => out.push((p, item.pos)),
            None => problems.push(
                Diagnostic::error(format!("include `{path}` leaves the repository"))
                    .at(item.pos)
                    .with_hint("includes are relative to the including file and must stay inside the repository"),
            ),
        }
    }
    out
}

/// Report keys of the map at `at` that the layer schema does not allow,
/// then descend into the nexus-owned maps below it.
fn check_keys(node: &Node, at: &str, rel: &str, problems: &mut Vec<Diagnostic>) {
    let Some(map) = node.as_map() else { return };
    let known = known_keys(at);
    for (key, entry) in map {
        // A quoted key is literal: `"syncPolicy!"` is no operator, so it
        // must be a key of its own.
        let operator_like = entry.literal_key && key.ends_with(['+', '!']);
        if operator_like || !known.iter().any(|k| k == key) {
            problems.push(unknown_key(key, entry.key_pos, at, rel, known));
            continue;
        }
        let bare = key.trim_end_matches(['+', '!']);
        let path = if at.is_empty() {
            bare.to_string()
        } else {
            format!("{at}.{bare}")
        };
        let child = &entry.node;
        let owned = OWNED.contains(&path.as_str());
        let must_be_map = owned
            || matches!(
                path.as_str(),
                "vars"
                    | "projects"
                    | "app.values"
                    | "app.labels"
                    | "app.annotations"
                    | "app.lintIgnore"
            );
        if must_be_map && !matches!(child.value, Value::Map(_) | Value::Null) {
            problems.push(
                Diagnostic::error(format!("`{path}` must be a map, got {}", child.type_name()))
                    .at(child.pos),
            );
            continue;
        }
        if owned {
            check_keys(child, &path, rel, problems);
        }
    }
}

/// An unknown key, with the hint most likely to help.
fn unknown_key(key: &str, pos: Pos, at: &str, rel: &str, known: &[String]) -> Diagnostic {
    let d = Diagnostic::error(if at.is_empty() {
        format!("unknown key `{key}` in layer {rel}")
    } else {
        format!("unknown key `{key}` under `{at}` in {rel}")
    })
    .at(pos);
    let base = key.trim_end_matches(['+', '!']);
    let plain: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .filter(|k| !k.ends_with(['+', '!']))
        .collect();
    if base != key && plain.contains(&base) {
        let sfx = &key[base.len()..];
        let what = if sfx == "+" {
            format!("`{base}` is not a list, so `{base}+` (append) does not apply")
        } else {
            format!("`{base}` is not a map, so `{base}!` (replace) does not apply")
        };
        return d.with_hint(format!("{what}; write `{base}:`"));
    }
    if at == "app.helm" && matches!(key, "values" | "valuesObject") {
        return d.with_hint("Helm values go in `app.values`: nexus merges them across layers and writes them to the values file the chart source reads");
    }
    if at == "argocd" && key == "rootProject" {
        return d.with_hint("the root app-of-apps settings moved under `argocd.root`: write `argocd: {root: {project: ...}}`");
    }
    match did_you_mean(key, plain.iter().copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint(format!("known keys here: {}", plain.join(", "))),
    }
}
