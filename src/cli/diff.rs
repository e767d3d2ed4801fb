//! `nexus diff ENV_A ENV_B [APP...] [--format text|json|markdown]
//! [--exit-code]`: two environments side by side. For each app: present on
//! one side only, or every leaf of its merged, templated settings (values,
//! chart, Application settings) that differs, each side's value with the
//! layer `file:line` that set it. Secrets are masked as in `plan`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use rayon::prelude::*;
use serde_json::{Value as Json, json};

use super::{Cli, Failure, fail, open_project, repo_root};
use crate::discover::EnvInfo;
use crate::error::Error;
use crate::paths;
use crate::project::Project;
use crate::report::Style;
use crate::secrets::MASK;
use crate::source::Files;
use crate::yaml::emit;
use crate::yaml::node::Node;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// One side: an environment, or a group (each of its environments).
    pub a: String,
    /// The other side.
    pub b: String,
    /// Only these apps.
    pub apps: Vec<String>,
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when anything differs.
    #[arg(long)]
    pub exit_code: bool,
}

/// One side of a difference.
#[derive(Debug, Clone)]
struct Side {
    /// The value, one line, masked when secret.
    value: String,
    /// `file:line` of the layer that set it.
    at: Option<(String, u32)>,
}

#[derive(Debug, Clone)]
struct Difference {
    path: String,
    a: Option<Side>,
    b: Option<Side>,
}

#[derive(Debug, Clone)]
enum AppDiff {
    OnlyA,
    OnlyB,
    Differs(Vec<Difference>),
}

struct Pair {
    a: String,
    b: String,
    apps: BTreeMap<String, AppDiff>,
}

/// The environments a name stands for (itself, or a group's members).
fn members(project: &Project, name: &str) -> Result<Vec<EnvInfo>, Error> {
    Ok(project
        .discovery
        .select(&[name.to_string()], false)?
        .into_iter()
        .cloned()
        .collect())
}

/// The merged, templated document of each enabled app of `env` (in the
/// selection), with the app's own layer file.
fn merged_apps(
    project: &Project,
    env: &EnvInfo,
    only: &BTreeSet<&str>,
) -> Result<BTreeMap<String, Node>, Error> {
    let apps: Vec<&String> = env
        .apps
        .iter()
        .filter(|a| only.is_empty() || only.contains(a.as_str()))
        .collect();
    let docs: Vec<Result<Option<(String, Node)>, Error>> = apps
        .par_iter()
        .map(|app| {
            let (doc, _, findings) = project.merged_app(env, app)?;
            if let Some(d) = findings
                .into_iter()
                .find(|d| d.severity == crate::error::Severity::Error)
            {
                return Err(Error::from(d));
            }
            let enabled = crate::model::enabled(&doc, "")?;
            Ok(enabled.then(|| ((*app).clone(), doc)))
        })
        .collect();
    let mut out = BTreeMap::new();
    for d in docs {
        if let Some((name, doc)) = d? {
            out.insert(name, doc);
        }
    }
    Ok(out)
}

/// The compared part of an app's document: `app` (values, chart, the
/// Application's settings) and `argocd`; `vars` and `projects` are the
/// environment's, not the app's.
fn compared_leaves(doc: &Node) -> BTreeMap<String, (Node, bool)> {
    let mut out = BTreeMap::new();
    for top in ["app", "argocd"] {
        let Some(node) = doc.get(top) else { continue };
        let secret = crate::plan::mask::secrets(node);
        let mut list = Vec::new();
        let base = if top == "app" { "" } else { "argocd" };
        paths::leaves(node, base, &mut list);
        for (path, n) in list {
            // `secrets` paths are relative to `node`.
            let rel = if top == "app" {
                path.clone()
            } else {
                path.strip_prefix("argocd")
                    .map(|r| r.trim_start_matches('.').to_string())
                    .unwrap_or_default()
            };
            let is_secret = secret.contains_key(&rel);
            out.insert(path, (n.clone(), is_secret));
        }
    }
    out
}

fn side(files: &Files, node: &Node, secret: bool) -> Side {
    let t = files.trace(node);
    Side {
        value: if secret {
            MASK.to_string()
        } else {
            emit::flow(node)
        },
        at: (!t.set.is_generated()).then(|| (files.path(t.set.file), t.set.line)),
    }
}

fn compare(files: &Files, a: &Node, b: &Node) -> Vec<Difference> {
    let (la, lb) = (compared_leaves(a), compared_leaves(b));
    let keys: BTreeSet<&String> = la.keys().chain(lb.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let (x, y) = (la.get(k), lb.get(k));
        if let (Some((xn, _)), Some((yn, _))) = (x, y)
            && emit::same_values(xn, yn)
        {
            continue;
        }
        let secret = x.is_some_and(|(_, s)| *s) || y.is_some_and(|(_, s)| *s);
        let mut d = Difference {
            path: k.clone(),
            a: x.map(|(n, _)| side(files, n, secret)),
            b: y.map(|(n, _)| side(files, n, secret)),
        };
        // Two different secrets: say so without showing either.
        if secret && let (Some(sa), Some(sb)) = (&mut d.a, &mut d.b) {
            sa.value = format!("{MASK} (differs)");
            sb.value = format!("{MASK} (differs)");
        }
        out.push(d);
    }
    out
}

fn at_text(at: &Option<(String, u32)>) -> String {
    match at {
        Some((f, l)) => format!("{f}:{l}"),
        None => "(default)".to_string(),
    }
}

fn text(pairs: &[Pair], style: Style) -> String {
    let mut out = String::new();
    for p in pairs {
        let _ = writeln!(out, "{}", style.paint("1", &format!("{} vs {}", p.a, p.b)));
        if p.apps.is_empty() {
            out.push_str("  no differences\n");
        }
        let width = p.a.len().max(p.b.len());
        for (app, d) in &p.apps {
            match d {
                AppDiff::OnlyA => {
                    let _ = writeln!(out, "\n{}: only in {}", style.paint("1", app), p.a);
                }
                AppDiff::OnlyB => {
                    let _ = writeln!(out, "\n{}: only in {}", style.paint("1", app), p.b);
                }
                AppDiff::Differs(list) => {
                    let _ = writeln!(
                        out,
                        "\n{} ({} difference{})",
                        style.paint("1", app),
                        list.len(),
                        if list.len() == 1 { "" } else { "s" }
                    );
                    for d in list {
                        let _ = writeln!(out, "  {}", d.path);
                        for (name, s, colour) in [(&p.a, &d.a, "31"), (&p.b, &d.b, "32")] {
                            let (value, at) = match s {
                                Some(s) => (s.value.clone(), at_text(&s.at)),
                                None => ("(not set)".to_string(), String::new()),
                            };
                            let _ = writeln!(
                                out,
                                "    {:width$}  {}  {}",
                                name,
                                style.paint(colour, &value),
                                style.paint("2", &at)
                            );
                        }
                    }
                }
            }
        }
        out.push('\n');
    }
    let (apps, leaves) = totals(pairs);
    let _ = writeln!(out, "{apps} app(s) differ, {leaves} value(s) differ");
    out
}

fn totals(pairs: &[Pair]) -> (usize, usize) {
    let apps = pairs.iter().map(|p| p.apps.len()).sum();
    let leaves = pairs
        .iter()
        .flat_map(|p| p.apps.values())
        .map(|d| match d {
            AppDiff::Differs(l) => l.len(),
            _ => 0,
        })
        .sum();
    (apps, leaves)
}

fn side_json(s: &Option<Side>) -> Json {
    match s {
        None => Json::Null,
        Some(s) => json!({
            "value": s.value,
            "file": s.at.as_ref().map(|(f, _)| f),
            "line": s.at.as_ref().map(|(_, l)| l),
        }),
    }
}

fn to_json(pairs: &[Pair]) -> String {
    let (apps, leaves) = totals(pairs);
    let list: Vec<Json> = pairs
        .iter()
        .map(|p| {
            let apps: Vec<Json> = p
                .apps
                .iter()
                .map(|(app, d)| match d {
                    AppDiff::OnlyA => json!({"app": app, "status": "only_a"}),
                    AppDiff::OnlyB => json!({"app": app, "status": "only_b"}),
                    AppDiff::Differs(list) => json!({
                        "app": app,
                        "status": "differs",
                        "differences": list.iter().map(|d| json!({
                            "path": d.path,
                            "a": side_json(&d.a),
                            "b": side_json(&d.b),
                        })).collect::<Vec<_>>(),
                    }),
                })
                .collect();
            json!({"a": p.a, "b": p.b, "apps": apps})
        })
        .collect();
    let doc = json!({"pairs": list, "summary": {"apps": apps, "differences": leaves}});
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Markdown for a pull request comment: a table per app.
fn markdown(pairs: &[Pair]) -> String {
    let cell = |s: &Option<Side>| match s {
        None => "_not set_".to_string(),
        Some(s) => format!(
            "`{}`<br><sub>{}</sub>",
            s.value.replace('|', "\\|").replace('`', "'"),
            at_text(&s.at)
        ),
    };
    let mut out = String::new();
    for p in pairs {
        let _ = writeln!(out, "### `{}` vs `{}`\n", p.a, p.b);
        if p.apps.is_empty() {
            out.push_str("No differences.\n\n");
        }
        for (app, d) in &p.apps {
            match d {
                AppDiff::OnlyA => {
                    let _ = writeln!(out, "**{app}**: only in `{}`\n", p.a);
                }
                AppDiff::OnlyB => {
                    let _ = writeln!(out, "**{app}**: only in `{}`\n", p.b);
                }
                AppDiff::Differs(list) => {
                    let _ = writeln!(out, "**{app}**\n");
                    let _ = writeln!(out, "| Path | `{}` | `{}` |", p.a, p.b);
                    out.push_str("|---|---|---|\n");
                    for d in list {
                        let _ = writeln!(
                            out,
                            "| `{}` | {} | {} |",
                            d.path.replace('|', "\\|"),
                            cell(&d.a),
                            cell(&d.b)
                        );
                    }
                    out.push('\n');
                }
            }
        }
    }
    let (apps, leaves) = totals(pairs);
    let _ = writeln!(out, "{apps} app(s) differ, {leaves} value(s) differ.");
    out
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let root = repo_root().map_err(fail)?;
    let mut project = open_project(cli, &root, "deploy".into())?;
    let a = members(&project, &args.a).map_err(fail)?;
    let b = members(&project, &args.b).map_err(fail)?;
    if a.len() > 1 && b.len() > 1 {
        return Err(fail(
            Error::input(format!("`{}` and `{}` are both groups", args.a, args.b)).with_hint(
                "compare an environment with a group (each member against it), or two environments (`prod/kr prod/us`)",
            ),
        ));
    }
    let pairs: Vec<(EnvInfo, EnvInfo)> = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| (x.clone(), y.clone())))
        .filter(|(x, y)| x.name != y.name)
        .collect();
    let all: Vec<&EnvInfo> = a.iter().chain(&b).collect();
    // Apps named must exist on a side.
    for app in &args.apps {
        if !all.iter().any(|e| e.apps.contains(app)) {
            let known: BTreeSet<&str> = all
                .iter()
                .flat_map(|e| e.apps.iter().map(String::as_str))
                .collect();
            let mut e = Error::input(format!("app `{app}` exists in neither side"));
            e = match crate::error::did_you_mean(app, known.iter().copied()) {
                Some(s) => e.with_hint(format!("did you mean `{s}`?")),
                None => e,
            };
            return Err(fail(e));
        }
    }
    if let Err(e) = project.load_layers(&all) {
        return Err((e, std::mem::take(&mut project.files)));
    }
    let only: BTreeSet<&str> = args.apps.iter().map(String::as_str).collect();
    let mut docs: BTreeMap<String, BTreeMap<String, Node>> = BTreeMap::new();
    for env in &all {
        if docs.contains_key(&env.name) {
            continue;
        }
        let merged = merged_apps(&project, env, &only)
            .map_err(|e| (e, std::mem::take(&mut project.files)))?;
        docs.insert(env.name.clone(), merged);
    }
    let empty = BTreeMap::new();
    let mut out = Vec::new();
    for (x, y) in &pairs {
        let (da, db) = (
            docs.get(&x.name).unwrap_or(&empty),
            docs.get(&y.name).unwrap_or(&empty),
        );
        let names: BTreeSet<&String> = da.keys().chain(db.keys()).collect();
        let mut apps = BTreeMap::new();
        for name in names {
            match (da.get(name), db.get(name)) {
                (Some(_), None) => {
                    apps.insert(name.clone(), AppDiff::OnlyA);
                }
                (None, Some(_)) => {
                    apps.insert(name.clone(), AppDiff::OnlyB);
                }
                (Some(p), Some(q)) => {
                    let list = compare(&project.files, p, q);
                    if !list.is_empty() {
                        apps.insert(name.clone(), AppDiff::Differs(list));
                    }
                }
                (None, None) => {}
            }
        }
        out.push(Pair {
            a: x.name.clone(),
            b: y.name.clone(),
            apps,
        });
    }
    let shown = match args.format {
        DiffFormat::Text => text(&out, Style::for_stdout()),
        DiffFormat::Json => to_json(&out),
        DiffFormat::Markdown => markdown(&out),
    };
    print!("{shown}");
    let differs = out.iter().any(|p| !p.apps.is_empty());
    super::exit_without_freeing(docs);
    Ok(if args.exit_code && differs { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load::{Limits, parse_one};
    use crate::yaml::node::FileId;

    fn doc(text: &str) -> Node {
        parse_one(text, FileId(0), &Limits::default())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn leaves_that_differ_with_secrets_masked() {
        let files = Files::new();
        let a = doc(
            "app:\n  values: {image: {tag: '1.9'}, auth: {password: one}, same: 1}\nargocd: {project: apps}\n",
        );
        let b = doc(
            "app:\n  values: {image: {tag: '1.8'}, auth: {password: two}, same: 1, extra: [x]}\nargocd: {project: apps}\n",
        );
        let d = compare(&files, &a, &b);
        let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "values.auth.password",
                "values.extra[0]",
                "values.image.tag"
            ]
        );
        assert_eq!(d[0].a.as_ref().unwrap().value, "*** (differs)");
        assert!(d[1].a.is_none());
        assert_eq!(d[2].a.as_ref().unwrap().value, "'1.9'");
    }
}
