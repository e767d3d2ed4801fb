//! `nexus explain ENV APP [PATH]`: the merged value(s) of an app and every
//! layer that set them, so anyone can say which file set the value that
//! broke prod.

use super::{Cli, Failure, fail, open_project, repo_root};
use crate::error::Error;
use crate::layer::Layer;
use crate::paths;
use crate::project::Project;
use crate::report::Style;
use crate::secrets::{MASK, is_secret_key};
use crate::yaml::emit;
use crate::yaml::node::{Node, Pos, Value};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The environment (`prod/kr`).
    pub env: String,
    /// The app.
    pub app: String,
    /// Dotted path such as `values.image.tag`, `argocd.project` or `vars.domain`.
    pub path: Option<String>,
}

/// Where a layer sets `path` (following `key+`/`key!`), if it does: the
/// node, the suffix of the key that set it, and whether the layer sets an
/// ancestor to something that is not a map (replacing the path).
fn find_in_layer<'a>(
    layer: &'a Node,
    path: &[paths::Seg],
) -> Option<(&'a Node, Option<char>, bool)> {
    let mut cur = layer;
    for (i, seg) in path.iter().enumerate() {
        let (node, suffix) = match (seg, &cur.value) {
            (paths::Seg::Key(part), Value::Map(map)) => {
                if let Some(e) = map.get(part) {
                    (&e.node, None)
                } else if let Some(e) = map.get(&format!("{part}+")) {
                    (&e.node, Some('+'))
                } else if let Some(e) = map.get(&format!("{part}!")) {
                    (&e.node, Some('!'))
                } else {
                    return None;
                }
            }
            (paths::Seg::Index(n), Value::Seq(items)) => (items.get(*n)?, None),
            (paths::Seg::Key(k), Value::Seq(items)) => (items.get(k.parse::<usize>().ok()?)?, None),
            _ => return None,
        };
        if i + 1 == path.len() {
            return Some((node, suffix, false));
        }
        if node.as_map().is_none() && node.as_seq().is_none() {
            // The layer replaces an ancestor with a scalar or null.
            return Some((node, suffix, true));
        }
        cur = node;
    }
    None
}

/// The chart's own `values.yaml`, for a chart kept in this repository.
fn chart_defaults(project: &Project, doc: &Node) -> Option<std::sync::Arc<Node>> {
    let path = doc.get_path("app.chart.path")?;
    let chart = project.local_chart(path.as_str()?, path.pos).ok()?;
    chart.defaults.clone()
}

/// A whole value as YAML, a secret masked.
fn short_block(node: &Node, key: &str) -> String {
    if is_secret_key(key) && !matches!(node.value, Value::Map(_) | Value::Seq(_)) {
        format!("{MASK}\n")
    } else {
        emit::to_string(node)
    }
}

fn short(node: &Node, key: &str) -> String {
    if is_secret_key(key) && matches!(node.value, Value::Str(_) | Value::Int(_)) {
        return MASK.to_string();
    }
    match &node.value {
        Value::Map(m) => format!("{{...}} ({} keys)", m.len()),
        Value::Seq(s) if s.len() > 3 => format!("[...] ({} items)", s.len()),
        _ => {
            let text = emit::to_string(node);
            let one = text.trim_end().replace('\n', " ");
            crate::secrets::shorten(&one)
        }
    }
}

fn loc(project: &Project, pos: Pos) -> String {
    if pos.is_generated() {
        "(default)".to_string()
    } else {
        format!("{}:{}:{}", project.files.path(pos.file), pos.line, pos.col)
    }
}

/// Where a merged value was set, and the template it came through: the
/// same pair validate and lint point at.
fn origin(project: &Project, node: &Node) -> String {
    let t = project.files.trace(node);
    match t.via {
        Some(via) => format!(
            "{} (through the template at {})",
            loc(project, t.set),
            loc(project, via)
        ),
        None => loc(project, t.set),
    }
}

/// The printed paths of the secret leaves below `node` (at `base`), as
/// `plan` masks them.
fn secret_leaves(node: &Node, base: &str) -> std::collections::BTreeSet<String> {
    crate::plan::mask::secrets(node)
        .into_keys()
        .map(|p| {
            if p.is_empty() {
                base.to_string()
            } else if p.starts_with('[') {
                format!("{base}{p}")
            } else {
                format!("{base}.{p}")
            }
        })
        .collect()
}

fn leaves(node: &Node, path: &str, out: &mut Vec<(String, Node)>) {
    match &node.value {
        Value::Map(m) if !m.is_empty() => {
            for (k, e) in m.iter() {
                leaves(&e.node, &format!("{path}.{k}"), out);
            }
        }
        _ => out.push((path.to_string(), node.clone())),
    }
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let root = repo_root().map_err(fail)?;
    let mut project = open_project(cli, &root, "deploy".into())?;
    let env = super::set::environment(&project, &args.env).map_err(fail)?;
    super::set::app_in(&env, &args.app).map_err(fail)?;
    if let Err(e) = project.load_layers(&[&env]) {
        return Err((e, std::mem::take(&mut project.files)));
    }
    let (doc, used, issues) = match project.merged_app(&env, &args.app) {
        Ok(x) => x,
        Err(e) => return Err((e, std::mem::take(&mut project.files))),
    };
    crate::report::eprint_all(&issues, &project.files);
    let style = Style::for_stdout();
    let mut out = String::new();
    match &args.path {
        None => {
            out.push_str(&format!(
                "{} in {}: layers, first to last (later wins)\n",
                style.paint("1", &args.app),
                env.name
            ));
            for rel in env.app_chain(&args.app) {
                match project.layers.expand(&rel) {
                    Ok(layers) if !layers.is_empty() => {
                        for l in &layers {
                            let tag = if l.path == rel { "" } else { "  (included)" };
                            out.push_str(&format!("  {}{tag}\n", l.path));
                        }
                    }
                    _ => out.push_str(&format!(
                        "  {}\n",
                        style.paint("2", &format!("{rel}  (missing)"))
                    )),
                }
            }
            out.push_str("\nmerged values, with the layer that set each:\n");
            let mut list = Vec::new();
            for top in ["vars", "argocd", "app"] {
                if let Some(n) = doc.get(top) {
                    leaves(n, top, &mut list);
                }
            }
            for (path, node) in list {
                let key = path.rsplit('.').next().unwrap_or("");
                out.push_str(&format!(
                    "  {path} = {}    {}\n",
                    short(&node, key),
                    style.paint("2", &origin(&project, &node))
                ));
            }
            // What the chart's own values.yaml adds under the layers.
            if let Some(defaults) = chart_defaults(&project, &doc) {
                let values = doc
                    .get_path("app.values")
                    .cloned()
                    .unwrap_or_else(|| Node::map(Pos::GENERATED));
                let effective = crate::charts::coalesce(&defaults, &values);
                let mut from_chart = Vec::new();
                leaves(&effective, "app.values", &mut from_chart);
                from_chart.retain(|(_, n)| n.pos.file == defaults.pos.file);
                if !from_chart.is_empty() {
                    out.push_str(&format!(
                        "\nchart defaults Helm applies under them ({}):\n",
                        project.files.path(defaults.pos.file)
                    ));
                    for (path, node) in from_chart {
                        let key = path.rsplit('.').next().unwrap_or("");
                        out.push_str(&format!(
                            "  {path} = {}    {}\n",
                            short(&node, key),
                            style.paint("2", &loc(&project, node.pos))
                        ));
                    }
                }
            }
        }
        Some(p) => {
            let segs = paths::in_document(p).map_err(|e| {
                fail(Error::input(format!("bad path: {e}")).with_hint(
                    "write a dotted path like `values.image.tag`; a key with dots or slashes in brackets and quotes: `values.annotations[\"a.b/c\"]`; a list index as `[0]`",
                ))
            })?;
            let path = paths::display(&segs);
            let key = match segs.last() {
                Some(paths::Seg::Key(k)) => k.clone(),
                _ => String::new(),
            };
            // Under `app.values`, a chart kept in this repository adds its
            // own defaults: what wins when no layer sets the key.
            let under_values = segs.len() > 2
                && segs[0] == paths::Seg::Key("app".into())
                && segs[1] == paths::Seg::Key("values".into());
            let default = under_values
                .then(|| chart_defaults(&project, &doc))
                .flatten()
                .and_then(|d| paths::get(&d, &segs[2..]).cloned());
            let mut found = true;
            match paths::get(&doc, &segs) {
                None if default.is_some() => {
                    let node = default
                        .as_ref()
                        .map_or_else(|| Node::null(Pos::GENERATED), Clone::clone);
                    out.push_str(&format!("{path} in {} / {}\n", env.name, args.app));
                    out.push_str("= ");
                    out.push_str(short_block(&node, &key).replace('\n', "\n  ").trim_end());
                    out.push('\n');
                    out.push_str(&format!(
                        "  final value from {} (the chart's default: no layer sets it)\n",
                        loc(&project, node.pos)
                    ));
                }
                Some(node) if node.is_null() && default.is_some() => {
                    out.push_str(&format!("{path} in {} / {}\n", env.name, args.app));
                    out.push_str(&format!(
                        "= null: removes the chart's default ({}), so Helm leaves the key out\n",
                        default
                            .as_ref()
                            .map_or_else(String::new, |d| loc(&project, d.pos))
                    ));
                    out.push_str(&format!("  set to null at {}\n", origin(&project, node)));
                }
                // A map or list: each leaf with the layer that set it (its
                // keys may come from several layers).
                Some(node)
                    if matches!(&node.value, Value::Map(m) if !m.is_empty())
                        || matches!(&node.value, Value::Seq(s) if !s.is_empty()) =>
                {
                    out.push_str(&format!(
                        "{path} in {} / {}: each value with the layer that set it\n",
                        env.name, args.app
                    ));
                    let mut list = Vec::new();
                    paths::leaves(node, &path, &mut list);
                    let secret = secret_leaves(node, &path);
                    for (leaf, n) in list {
                        let shown = if secret.contains(&leaf) {
                            MASK.to_string()
                        } else {
                            short(n, "")
                        };
                        out.push_str(&format!(
                            "  {leaf} = {shown}    {}\n",
                            style.paint("2", &origin(&project, n))
                        ));
                    }
                }
                Some(node) => {
                    out.push_str(&format!("{path} in {} / {}\n", env.name, args.app));
                    out.push_str("= ");
                    out.push_str(short_block(node, &key).replace('\n', "\n  ").trim_end());
                    out.push('\n');
                    out.push_str(&format!("  final value from {}\n", origin(&project, node)));
                    if let Some(d) = &default
                        && !matches!(d.value, Value::Map(_))
                    {
                        out.push_str(&format!(
                            "  over the chart's default {} at {}\n",
                            short(d, &key),
                            loc(&project, d.pos)
                        ));
                    }
                }
                None => {
                    found = false;
                    out.push_str(&format!(
                        "{path} is not set in {} / {}\n",
                        env.name, args.app
                    ));
                }
            }
            let setters: Vec<(&std::sync::Arc<Layer>, &Node, Option<char>, bool)> = used
                .iter()
                .filter_map(|l| find_in_layer(&l.root, &segs).map(|(n, s, anc)| (l, n, s, anc)))
                .collect();
            if setters.is_empty() {
                out.push_str("\nno layer sets it\n");
            } else {
                out.push_str("\nset by, first to last:\n");
                let last = setters.len() - 1;
                for (i, (_, node, suffix, ancestor)) in setters.iter().enumerate() {
                    let mark = if i == last {
                        style.paint("1;32", "* wins")
                    } else {
                        "      ".to_string()
                    };
                    let how = match (suffix, ancestor) {
                        (_, true) => "  (replaces a parent)",
                        (Some('+'), _) => "  (appends)",
                        (Some('!'), _) => "  (replaces)",
                        _ => "",
                    };
                    out.push_str(&format!(
                        "  {mark} {}  {}{how}\n",
                        loc(&project, node.pos),
                        short(node, &key)
                    ));
                }
                // A templated winner: where each var it reads was set.
                if let Some(template) = setters.last().and_then(|(_, n, _, _)| n.as_str()) {
                    let env = minijinja::Environment::new();
                    for var in crate::template::classify::vars_used(&env, template) {
                        if let Some(v) = doc.get_path(&var) {
                            let k = var.rsplit('.').next().unwrap_or("");
                            out.push_str(&format!(
                                "         uses {var} = {}  from {}\n",
                                short(v, k),
                                origin(&project, v)
                            ));
                        }
                    }
                }
            }
            print!("{out}");
            // A path nothing sets exits 1, so scripts can tell.
            return Ok(if found { 0 } else { 1 });
        }
    }
    print!("{out}");
    Ok(0)
}
