//! Loading one layer file: parse it with positions, check that it is a map
//! whose nexus-owned keys are known (with a "did you mean" for typos), and
//! collect its `include:` list.
//!
//! `values` and `vars` are free-form; every other key nexus owns is listed
//! here. Keys may carry the merge suffixes `+` (append to the inherited
//! list) and `!` (replace the inherited map), see [`crate::merge`].

use std::sync::Arc;

use crate::error::{Diagnostic, Error, did_you_mean};
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
}

const TOP_KEYS: &[&str] = &[
    "include",
    "vars",
    "vars!",
    "argocd",
    "argocd!",
    "projects",
    "projects!",
    "app",
];
const ARGOCD_KEYS: &[&str] = &[
    "namespace",
    "project",
    "rootProject",
    "repoURL",
    "targetRevision",
    "destination",
    "destination!",
    "syncPolicy",
    "syncPolicy!",
];
const DESTINATION_KEYS: &[&str] = &["server", "name"];
const SYNC_POLICY_KEYS: &[&str] = &[
    "automated",
    "automated!",
    "syncOptions",
    "syncOptions+",
    "retry",
    "managedNamespaceMetadata",
];
const AUTOMATED_KEYS: &[&str] = &["prune", "selfHeal", "allowEmpty"];
const APP_KEYS: &[&str] = &[
    "enabled",
    "namespace",
    "chart",
    "chart!",
    "dependsOn",
    "dependsOn+",
    "syncWave",
    "values",
    "values!",
    "manifests",
    "manifests+",
    "labels",
    "labels!",
    "annotations",
    "annotations!",
    "lintIgnore",
    "lintIgnore!",
];
const CHART_KEYS: &[&str] = &["repoURL", "chart", "targetRevision", "path"];

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
    let parsed = load::parse_one(&text, file, limits).map_err(|e| {
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
    check_keys(&root, TOP_KEYS, "", rel, &mut problems);
    let includes = match root.as_map_mut().and_then(|m| m.shift_remove("include")) {
        None => Vec::new(),
        Some(entry) => resolve_includes(&entry.node, rel, &mut problems),
    };
    if !problems.is_empty() {
        return Err(Error::many(problems));
    }
    Ok(Some(Layer {
        file,
        path: rel.to_string(),
        root,
        includes,
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

/// Report keys of `node` (a map) that are not in `known`, then descend into
/// the nexus-owned maps below it.
fn check_keys(node: &Node, known: &[&str], at: &str, rel: &str, problems: &mut Vec<Diagnostic>) {
    let Some(map) = node.as_map() else { return };
    for (key, entry) in map {
        let full = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        if !known.contains(&key.as_str()) {
            let base = key.trim_end_matches(['+', '!']);
            let mut d = Diagnostic::error(if at.is_empty() {
                format!("unknown key `{key}` in layer {rel}")
            } else {
                format!("unknown key `{key}` under `{at}` in {rel}")
            })
            .at(entry.key_pos);
            let plain: Vec<&str> = known.to_vec();
            d = if base != key && known.contains(&base) {
                let sfx = &key[base.len()..];
                d.with_hint(if sfx == "+" {
                    format!("`{base}` is not a list, so `{base}+` (append) does not apply; write `{base}:`")
                } else {
                    format!("`{base}` is not a map, so `{base}!` (replace) does not apply; write `{base}:`")
                })
            } else if let Some(s) = did_you_mean(key, plain.iter().copied()) {
                d.with_hint(format!("did you mean `{s}`?"))
            } else {
                d.with_hint(format!(
                    "known keys here: {}",
                    plain
                        .iter()
                        .filter(|k| !k.ends_with(['+', '!']))
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            };
            problems.push(d);
            continue;
        }
        let child = &entry.node;
        let expect_map = |problems: &mut Vec<Diagnostic>| {
            if !matches!(child.value, Value::Map(_) | Value::Null) {
                problems.push(
                    Diagnostic::error(format!("`{full}` must be a map, got {}", child.type_name()))
                        .at(child.pos),
                );
                false
            } else {
                true
            }
        };
        let bare = key.trim_end_matches(['+', '!']);
        let sub: Option<&[&str]> = match (at, bare) {
            ("", "argocd") => Some(ARGOCD_KEYS),
            ("", "app") => Some(APP_KEYS),
            ("", "vars" | "projects") => {
                expect_map(problems);
                None
            }
            ("argocd", "destination") => Some(DESTINATION_KEYS),
            ("argocd", "syncPolicy") => Some(SYNC_POLICY_KEYS),
            ("argocd.syncPolicy", "automated") => Some(AUTOMATED_KEYS),
            ("app", "chart") => Some(CHART_KEYS),
            ("app", "values" | "labels" | "annotations" | "lintIgnore") => {
                expect_map(problems);
                None
            }
            _ => None,
        };
        if let Some(sub) = sub
            && expect_map(problems)
        {
            let path = if at.is_empty() {
                bare.to_string()
            } else {
                format!("{at}.{bare}")
            };
            check_keys(child, sub, &path, rel, problems);
        }
    }
}
