//! The converted Applications as DRY layers: what every app of every
//! environment shares goes to `base.yaml`, what every app of a group or an
//! environment shares to `<dir>/defaults.yaml`, what one app shares in
//! every environment to `apps/<app>.yaml` and in every environment of a
//! group to `<group>/apps/<app>.yaml`, the rest to `<env>/apps/<app>.yaml`.
//! Lists are atomic (Helm replaces them); key order is kept.

use std::collections::{BTreeMap, BTreeSet};

use super::convert::Converted;
use crate::edit::set_in;
use crate::paths::{self, Seg};
use crate::yaml::emit::{self, same_values};
use crate::yaml::node::{Node, Pos, Value};

/// A leaf of a document: scalars, nulls, lists (whole), empty maps and
/// `app.chart` (whole).
fn atoms(node: &Node, prefix: &mut Vec<Seg>, out: &mut Vec<(Vec<Seg>, Node)>) {
    // A chart is one of several forms, each valid only whole.
    let atomic =
        matches!(prefix.as_slice(), [Seg::Key(a), Seg::Key(c)] if a == "app" && c == "chart");
    match &node.value {
        Value::Map(m) if !m.is_empty() && !atomic => {
            for (k, e) in m.iter() {
                prefix.push(Seg::Key(k.clone()));
                atoms(&e.node, prefix, out);
                prefix.pop();
            }
        }
        _ => out.push((prefix.clone(), node.clone())),
    }
}

struct Leaves {
    order: Vec<String>,
    by_path: BTreeMap<String, (Vec<Seg>, Node)>,
}

fn leaves(doc: &Node) -> Leaves {
    let mut list = Vec::new();
    atoms(doc, &mut Vec::new(), &mut list);
    let mut order = Vec::new();
    let mut by_path = BTreeMap::new();
    for (segs, node) in list {
        let p = paths::display(&segs);
        order.push(p.clone());
        by_path.insert(p, (segs, node));
    }
    Leaves { order, by_path }
}

/// Leaves every member document has with one value, in the first
/// member's order, except those every member already has from a layer
/// chosen before.
fn common(
    all: &[Leaves],
    members: &[usize],
    covered: &[BTreeSet<String>],
) -> Vec<(Vec<Seg>, Node)> {
    let Some(first) = members.first().map(|i| &all[*i]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in &first.order {
        let (segs, node) = &first.by_path[p];
        if members.iter().all(|i| covered[*i].contains(p)) {
            continue;
        }
        if members[1..].iter().all(|i| {
            all[*i]
                .by_path
                .get(p)
                .is_some_and(|(_, n)| same_values(n, node))
        }) {
            out.push((segs.clone(), node.clone()));
        }
    }
    out
}

fn tree(leaves: &[(Vec<Seg>, Node)]) -> Node {
    let mut doc = Node::map(Pos::GENERATED);
    for (segs, node) in leaves {
        set_in(&mut doc, segs, node.clone());
    }
    doc
}

/// The layer files: path -> document.
pub struct Layout {
    pub files: BTreeMap<String, Node>,
}

/// `prod/eu` and its groups: `prod`, `prod/eu`.
fn dirs_of(env: &str) -> Vec<String> {
    let parts: Vec<&str> = env.split('/').collect();
    (1..=parts.len()).map(|n| parts[..n].join("/")).collect()
}

fn under(env: &str, dir: &str) -> bool {
    env == dir || env.starts_with(&format!("{dir}/"))
}

/// Lay out `converted` (each `(env, app)` once). `env_extra` adds to each
/// environment's `env.yaml` (its root app-of-apps settings); `base_extra`
/// to `base.yaml` (this repository, AppProjects).
///
/// Every layer holds only leaves that every document it applies to has,
/// with the same value, so the order of the chain cannot change a value;
/// layers are chosen from the most shared to the least, and a leaf goes to
/// the first that can hold it.
pub fn layout(
    converted: &[Converted],
    base_extra: Node,
    env_extra: &BTreeMap<String, Node>,
) -> Layout {
    let envs: BTreeSet<&str> = converted.iter().map(|c| c.placement.env.as_str()).collect();
    let all: Vec<Leaves> = converted.iter().map(|c| leaves(&c.doc)).collect();
    let mut covered: Vec<BTreeSet<String>> = vec![BTreeSet::new(); all.len()];
    let mut chosen: BTreeMap<String, Vec<(Vec<Seg>, Node)>> = BTreeMap::new();
    let mut choose = |path: String, members: Vec<usize>, covered: &mut Vec<BTreeSet<String>>| {
        let leaves = common(&all, &members, covered);
        for i in &members {
            covered[*i].extend(leaves.iter().map(|(s, _)| paths::display(s)));
        }
        chosen.insert(path, leaves);
    };
    let idx = |f: &dyn Fn(&Converted) -> bool| -> Vec<usize> {
        converted
            .iter()
            .enumerate()
            .filter(|(_, c)| f(c))
            .map(|(i, _)| i)
            .collect()
    };
    // A layer for every app is only that when it serves two apps or more:
    // what one app has goes to its own files, or the next app would
    // inherit it.
    let apps_in = |members: &[usize]| -> usize {
        members
            .iter()
            .map(|i| converted[*i].placement.app.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    };
    // Shared by everything.
    let everyone = idx(&|_| true);
    if apps_in(&everyone) >= 2 {
        choose("environments/base.yaml".into(), everyone, &mut covered);
    }
    // Shared by every app of a group or an environment (two documents or
    // more), outermost first.
    let dirs: BTreeSet<String> = envs.iter().flat_map(|e| dirs_of(e)).collect();
    let mut by_depth: Vec<&String> = dirs.iter().collect();
    by_depth.sort_by_key(|d| (d.matches('/').count(), d.as_str()));
    for d in &by_depth {
        let members = idx(&|c| under(&c.placement.env, d));
        if apps_in(&members) >= 2 {
            choose(
                format!("environments/{d}/defaults.yaml"),
                members,
                &mut covered,
            );
        }
    }
    // Shared by one app in every environment, then in every environment of
    // a group: an app file makes the app exist in all of them, so only
    // where it is in all of them.
    let apps: BTreeSet<&str> = converted.iter().map(|c| c.placement.app.as_str()).collect();
    let mut app_scopes: Vec<(String, &str)> = Vec::new();
    for app in &apps {
        let envs_of_app: BTreeSet<&str> = converted
            .iter()
            .filter(|c| c.placement.app == *app)
            .map(|c| c.placement.env.as_str())
            .collect();
        let mut scopes = vec![String::new()];
        scopes.extend(
            by_depth
                .iter()
                .filter(|d| !envs.contains(d.as_str()))
                .map(|d| (*d).clone()),
        );
        for scope in scopes {
            let in_scope: Vec<&str> = envs
                .iter()
                .copied()
                .filter(|e| scope.is_empty() || under(e, &scope))
                .collect();
            if in_scope.len() < 2 || !in_scope.iter().all(|e| envs_of_app.contains(e)) {
                continue;
            }
            // Inside a scope an outer app file already holds, only what is
            // left.
            let members = idx(&|c| {
                c.placement.app == *app && (scope.is_empty() || under(&c.placement.env, &scope))
            });
            let path = if scope.is_empty() {
                format!("environments/apps/{app}.yaml")
            } else {
                format!("environments/{scope}/apps/{app}.yaml")
            };
            app_scopes.push((scope, app));
            choose(path, members, &mut covered);
        }
    }
    // The rest: one app in one environment.
    for (i, c) in converted.iter().enumerate() {
        let (env, app) = (c.placement.env.as_str(), c.placement.app.as_str());
        let path = format!("environments/{env}/apps/{app}.yaml");
        choose(path, vec![i], &mut covered);
    }
    let mut files = BTreeMap::new();
    let mut base_doc = chosen
        .remove("environments/base.yaml")
        .map_or_else(|| Node::map(Pos::GENERATED), |l| tree(&l));
    merge_into(&mut base_doc, base_extra);
    files.insert("environments/base.yaml".to_string(), base_doc);
    for d in &dirs {
        let extra = env_extra
            .get(d.as_str())
            .cloned()
            .unwrap_or_else(|| Node::map(Pos::GENERATED));
        files.insert(format!("environments/{d}/env.yaml"), extra);
    }
    for (path, leaves) in chosen {
        // An app in an environment needs an app file on its chain, even an
        // empty one; other empty layers are not written.
        let needed = leaves.is_empty()
            && path.contains("/apps/")
            && converted.iter().any(|c| {
                let own = format!(
                    "environments/{}/apps/{}.yaml",
                    c.placement.env, c.placement.app
                );
                own == path
                    && !app_scopes.iter().any(|(scope, a)| {
                        *a == c.placement.app
                            && (scope.is_empty() || under(&c.placement.env, scope))
                    })
            });
        if !leaves.is_empty() || needed {
            files.insert(path, tree(&leaves));
        }
    }
    Layout { files }
}

/// Add `extra` to `doc`: maps merge, anything else replaces.
fn merge_into(doc: &mut Node, extra: Node) {
    let Value::Map(m) = extra.value else {
        *doc = extra;
        return;
    };
    if !matches!(doc.value, Value::Map(_)) {
        *doc = Node::map(Pos::GENERATED);
    }
    for (k, e) in m {
        let Some(dm) = doc.as_map_mut() else { return };
        match dm.get_mut(&k) {
            Some(existing) => merge_into(&mut existing.node, e.node),
            None => set_in(doc, &[Seg::Key(k)], e.node),
        }
    }
}

/// The text of a layer file: the schema line, then the YAML.
pub fn text(rel: &str, doc: &Node) -> String {
    let mut out = crate::edit::new_file_header(rel);
    if !matches!(&doc.value, Value::Map(m) if m.is_empty()) {
        out.push_str(&emit::to_string_compact(doc));
    }
    out
}
