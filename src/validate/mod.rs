//! Schema validation (README: Validation): layers, Helm values and rendered objects
//! checked against JSON Schemas, every error a `SCHEMA` finding that
//! points at the layer line that set the offending value.
//!
//! [`schemas`] finds and compiles the schemas once per run, [`positions`]
//! maps a JSON pointer back to the layer position (provenance), and
//! [`messages`] turns validator errors into sentences. This module walks
//! what was rendered: every parsed layer file once, then each app's values
//! and objects, apps in parallel, results sorted.

pub mod messages;
pub mod positions;
pub mod schemas;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use jsonschema::error::ValidationErrorKind;
use rayon::prelude::*;
use serde_json::Value as Json;

use crate::error::{Diagnostic, Error, Kind, Severity};
use crate::layer::Layers;
use crate::model::{AppSpec, EnvRender, Output, OutputKind};
use crate::render::application::SourceLayout;
use crate::source::{Files, Source};
use crate::yaml::node::{Node, Trace};
use messages::explain;
use positions::{Positions, to_json};
use schemas::{Compiled, Gvk, SchemaSet};

/// What validation reads besides the rendered environments: the
/// repository (for `schemas/`), its file table and its parsed layers.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub source: &'a dyn Source,
    pub files: &'a Files,
    pub layers: &'a Layers,
}

/// Validate the layers and renders of one run. Returns the findings, one
/// per environment and app.
pub fn run(inputs: Inputs, renders: &[EnvRender], strict: bool) -> Result<Vec<Diagnostic>, Error> {
    let apps = renders.iter().map(|r| r.apps.len() + 1).sum();
    let _progress = crate::progress::Phase::start("validating", 0, apps, "apps");
    let set = SchemaSet::load(inputs.source, renders)?;
    let mut out: Vec<Diagnostic> = inputs
        .layers
        .all()
        .par_iter()
        .flat_map_iter(|l| check_layer(&set, inputs.files, &l.root, &l.path))
        .collect();
    let layer_spots: HashSet<(u32, u32)> = out
        .iter()
        .filter_map(Diagnostic::pos)
        .map(|p| (p.file.0, p.line))
        .collect();
    // Per environment, per app (in parallel); unknown kinds collected apart.
    let per_app: Vec<(Vec<Diagnostic>, Vec<Unknown>)> = renders
        .par_iter()
        .flat_map_iter(|r| {
            // Each app's objects (values files are checked through the app).
            let mut by_app: HashMap<Option<&str>, Vec<&Output>> = HashMap::new();
            for o in r.outputs.iter().filter(|o| o.kind != OutputKind::Values) {
                by_app.entry(o.app.as_deref()).or_default().push(o);
            }
            let mut jobs: Vec<(&EnvRender, Option<&AppSpec>, Vec<&Output>)> = r
                .apps
                .iter()
                .map(|a| {
                    (
                        r,
                        Some(a),
                        by_app.remove(&Some(a.name.as_str())).unwrap_or_default(),
                    )
                })
                .collect();
            jobs.push((r, None, by_app.remove(&None).unwrap_or_default()));
            jobs
        })
        .map(|(r, app, mine)| {
            let checked = check_outputs(&set, inputs, r, app, &mine);
            crate::progress::done();
            checked
        })
        .collect();
    let mut unknown: BTreeMap<String, Unknown> = BTreeMap::new();
    for (diags, unk) in per_app {
        out.extend(
            diags
                .into_iter()
                // An object error at the very value a layer error already
                // names is the same problem: say it once.
                .filter(|d| {
                    d.pos()
                        .is_none_or(|p| !layer_spots.contains(&(p.file.0, p.line)))
                }),
        );
        for u in unk {
            let key = format!("{} {}", u.gvk.api_version(), u.gvk.kind);
            match unknown.get(&key) {
                Some(prev)
                    if (prev.env.as_str(), prev.path.as_str())
                        <= (u.env.as_str(), u.path.as_str()) => {}
                _ => {
                    unknown.insert(key, u);
                }
            }
        }
    }
    for (key, u) in unknown {
        let mut d = Diagnostic::new(
            if strict { Severity::Error } else { Severity::Info },
            format!("no schema is known for {key}, so `{}` was not validated", u.name),
        )
        .with_kind(Kind::Schema)
        .for_app(&u.env, u.app.as_deref())
        .with_hint("add its CustomResourceDefinition or a kubeconform-style JSON schema (<kind>-<group>-<version>.json) under schemas/");
        d = locate(d, u.pos, &u.file);
        out.push(d);
    }
    Ok(out)
}

/// An object whose kind has no schema.
struct Unknown {
    gvk: Gvk,
    env: String,
    app: Option<String>,
    path: String,
    name: String,
    pos: Option<Trace>,
    file: String,
}

fn locate(d: Diagnostic, at: Option<Trace>, file: &str) -> Diagnostic {
    match at {
        Some(t) => d.at_trace(t),
        None => d.in_file(file),
    }
}

/// Check one raw layer file against the layer schema.
fn check_layer(set: &SchemaSet, files: &Files, root: &Node, rel: &str) -> Vec<Diagnostic> {
    let (json, pos) = to_json(root, files);
    errors(&set.layer, &json, &pos, "", |e, p| {
        let d = Diagnostic::error(e.message.clone())
            .with_kind(Kind::Schema)
            .with_path(spec_path(&e.pointer));
        let d = locate(d, p, rel);
        match &e.hint {
            Some(h) => d.with_hint(h.clone()),
            None => d,
        }
    })
}

/// Run a validator and build one diagnostic per error, positioned through
/// `pos` (for an unknown key: the key; for a missing key: the map).
fn errors(
    compiled: &Compiled,
    json: &Json,
    pos: &Positions,
    prefix: &str,
    build: impl Fn(&messages::Explained, Option<Trace>) -> Diagnostic,
) -> Vec<Diagnostic> {
    let mut explained = Vec::new();
    collect(
        &compiled.validator,
        &compiled.schema,
        json,
        "",
        prefix,
        0,
        &mut explained,
    );
    explained
        .into_iter()
        .map(|(e, instance_pointer)| {
            let p = if e.missing_key {
                pos.exact(&e.pointer)
            } else if e.pointer != instance_pointer {
                pos.key(&e.pointer)
            } else {
                pos.value(&e.pointer)
            };
            build(&e, p)
        })
        .collect()
}

/// Explain every error of `validator` on `instance` (found at `base` in
/// the whole document). An `anyOf`/`oneOf` that failed with exactly one
/// alternative of the value's type (`{$ref: ...}` or null, the usual
/// shape; template escape hatches aside) is validated against that
/// alternative, so the error is the precise one, at the offending leaf.
fn collect(
    validator: &jsonschema::Validator,
    root: &Json,
    instance: &Json,
    base: &str,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(messages::Explained, String)>,
) {
    for err in validator.iter_errors(instance) {
        let at = format!("{base}{}", err.instance_path().as_str());
        if depth < 16
            && matches!(
                err.kind(),
                ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. }
            )
            && let Some(sub) =
                messages::single_alternative(root, err.schema_path().as_str(), err.instance())
            && let Ok(v) = jsonschema::options()
                .should_validate_formats(true)
                .build(&sub)
        {
            let before = out.len();
            collect(&v, &sub, err.instance(), &at, prefix, depth + 1, out);
            if out.len() > before {
                continue;
            }
        }
        out.push((explain(&err, root, prefix, base), at));
    }
}

/// `image.tag`, `env.0.name`: the dotted path findings use.
fn spec_path(pointer: &str) -> String {
    positions::tokens(pointer).join(".")
}

/// Check an app's values and the objects rendered for it, `mine` (`app` =
/// None: the environment's own objects, root app and AppProjects).
fn check_outputs(
    set: &SchemaSet,
    inputs: Inputs,
    r: &EnvRender,
    app: Option<&AppSpec>,
    mine: &[&Output],
) -> (Vec<Diagnostic>, Vec<Unknown>) {
    let env = r.env.name.as_str();
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    let env_file = r
        .env
        .env_chain()
        .iter()
        .rev()
        .find(|f| inputs.layers.get(f).is_some())
        .cloned()
        .unwrap_or_else(|| "environments/base.yaml".to_string());
    let own_file = app.map_or(env_file.as_str(), |a| a.own_file.as_str());
    let in_own = |p: Option<Trace>| p.filter(|t| inputs.files.path(t.set.file) == own_file);
    if let Some(a) = app {
        not_json(a.values(), "app.values", &mut |path, node| {
            out.push(
                Diagnostic::error(format!(
                    "`{}` is `{}`, which Helm cannot read: values become JSON, which has no infinity or NaN",
                    path.trim_start_matches("app.values."),
                    crate::yaml::emit::to_string(node).trim_end()
                ))
                .with_kind(Kind::Schema)
                .for_app(env, Some(&a.name))
                .with_path(path.to_string())
                .at_trace(inputs.files.trace(node))
                .with_hint("quote it to pass the text (`\".inf\"`), or use a large finite number"),
            );
        });
    }
    if let Some(a) = app
        && let Some(schema) = set.values_for(a)
    {
        let (json, pos) = to_json(a.values(), inputs.files);
        out.extend(errors(schema, &json, &pos, "values", |e, p| {
            let p = if e.missing_key { in_own(p) } else { p };
            let mut d =
                Diagnostic::error(format!("{} (chart schema {})", e.message, schema.origin))
                    .with_kind(Kind::Schema)
                    .for_app(env, Some(&a.name))
                    .with_path(
                        format!("app.values.{}", spec_path(&e.pointer))
                            .trim_end_matches('.')
                            .to_string(),
                    );
            d = locate(d, p, own_file);
            match &e.hint {
                Some(h) => d.with_hint(h.clone()),
                None => d,
            }
        }));
    }
    for &o in mine {
        let api = o
            .object
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("");
        let kind = o.object.get("kind").and_then(Node::as_str).unwrap_or("");
        let gvk = Gvk::of(api, kind);
        let name = o
            .object
            .get_path("metadata.name")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let (json, obj_pos) = to_json(&o.object, inputs.files);
        let mapper = Mapper::new(o, app, r, inputs.files);
        let Some(schema) = set.object(&gvk) else {
            unknown.push(Unknown {
                gvk,
                env: env.to_string(),
                app: app.map(|a| a.name.clone()),
                path: o.path.clone(),
                name,
                pos: obj_pos.value("/kind").or(mapper.pos("/kind")),
                file: own_file.to_string(),
            });
            continue;
        };
        out.extend(errors(schema, &json, &obj_pos, "", |e, p| {
            // A value copied straight from a layer keeps its own position
            // (Applications are built directly); the layer path still comes
            // from the mapper, so the same problem reads the same in every
            // object it reaches.
            let (mapped, layer_path) = mapper.locate(&e.pointer, e.missing_key);
            let p = p.or(mapped);
            let p = if e.missing_key && o.kind == OutputKind::Manifest {
                in_own(p).or(p)
            } else {
                p
            };
            // The object's name goes in a note: the same layer value
            // breaks the same way in every environment's object.
            let mut d = Diagnostic::error(format!("{kind}: {} ({})", e.message, schema.origin))
                .with_kind(Kind::Schema)
                .for_app(env, app.map(|a| a.name.as_str()))
                .note(format!("in the {kind} `{name}` ({})", o.path));
            d = d.with_path(layer_path.unwrap_or_else(|| {
                let rest = spec_path(&e.pointer);
                if o.kind == OutputKind::Manifest {
                    let idx = app
                        .and_then(|a| a.manifests.iter().position(|m| m == &o.object))
                        .unwrap_or(0);
                    format!("app.manifests.{idx}.{rest}")
                        .trim_end_matches('.')
                        .to_string()
                } else {
                    format!("{}:{}", o.path, rest)
                }
            }));
            d = locate(d, p, own_file);
            match &e.hint {
                Some(h) => d.with_hint(h.clone()),
                None => d,
            }
        }));
    }
    (out, unknown)
}

/// A pointer prefix in a generated object and the layer path it comes from.
type Rule = (Cow<'static, str>, Cow<'static, str>);

/// Every `.inf`, `-.inf` or `.nan` below `node`: Helm reads values through
/// JSON, which cannot hold them, and refuses the whole file.
fn not_json(node: &Node, path: &str, found: &mut impl FnMut(&str, &Node)) {
    // One path buffer for the whole walk (it runs over every value).
    fn go(node: &Node, path: &mut String, found: &mut impl FnMut(&str, &Node)) {
        use std::fmt::Write;
        match &node.value {
            crate::yaml::node::Value::Float(f) if !f.is_finite() => found(path, node),
            crate::yaml::node::Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    let _ = write!(path, ".{i}");
                    go(item, path, found);
                    path.truncate(len);
                }
            }
            crate::yaml::node::Value::Map(m) => {
                for (k, e) in m.iter() {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    go(&e.node, path, found);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    go(node, &mut path.to_string(), found);
}

/// Maps a pointer into a generated object (Application, AppProject, root)
/// to the layer value it was made from.
struct Mapper<'a> {
    doc: Option<&'a Node>,
    files: &'a Files,
    rules: Vec<Rule>,
}

impl<'a> Mapper<'a> {
    fn new(o: &Output, app: Option<&'a AppSpec>, r: &'a EnvRender, files: &'a Files) -> Mapper<'a> {
        let (doc, rules): (Option<&'a Node>, Vec<Rule>) = match (o.kind, app) {
            (OutputKind::Application, Some(a)) => {
                let mut rules: Vec<Rule> = vec![
                    ("/metadata/name".into(), "/argocd/applicationName".into()),
                    ("/metadata/labels".into(), "/app/labels".into()),
                    ("/metadata/annotations".into(), "/app/annotations".into()),
                    ("/metadata/finalizers".into(), "/argocd/finalizers".into()),
                    ("/metadata/namespace".into(), "/argocd/namespace".into()),
                    ("/spec/project".into(), "/argocd/project".into()),
                    (
                        "/spec/destination/namespace".into(),
                        "/app/namespace".into(),
                    ),
                    ("/spec/destination".into(), "/argocd/destination".into()),
                    ("/spec/syncPolicy".into(), "/argocd/syncPolicy".into()),
                    (
                        "/spec/ignoreDifferences".into(),
                        "/argocd/ignoreDifferences".into(),
                    ),
                    ("/spec/info".into(), "/argocd/info".into()),
                    (
                        "/spec/revisionHistoryLimit".into(),
                        "/argocd/revisionHistoryLimit".into(),
                    ),
                ];
                let layout = SourceLayout::of(a);
                if layout.chart {
                    rules.push(("/spec/sources/0/helm".into(), "/app/helm".into()));
                    rules.push(("/spec/sources/0".into(), "/app/chart".into()));
                }
                let own: Vec<usize> = (layout.chart.then_some(1))
                    .into_iter()
                    .chain(layout.manifests)
                    .collect();
                for i in own {
                    rules.push((
                        format!("/spec/sources/{i}/repoURL").into(),
                        "/argocd/repoURL".into(),
                    ));
                    rules.push((
                        format!("/spec/sources/{i}/targetRevision").into(),
                        "/argocd/targetRevision".into(),
                    ));
                }
                for k in 0..a.sources.len() {
                    rules.push((
                        format!("/spec/sources/{}", layout.extra + k).into(),
                        format!("/app/sources/{k}").into(),
                    ));
                }
                (Some(&a.doc), rules)
            }
            (OutputKind::AppProject, _) => {
                let name = o
                    .object
                    .get_path("metadata.name")
                    .and_then(Node::as_str)
                    .unwrap_or("");
                let project = format!("/projects/{}", positions::escape(name));
                (
                    Some(&r.model.doc),
                    vec![
                        ("/metadata/namespace".into(), "/argocd/namespace".into()),
                        (
                            "/metadata/labels".into(),
                            format!("{project}/metadata/labels").into(),
                        ),
                        (
                            "/metadata/annotations".into(),
                            format!("{project}/metadata/annotations").into(),
                        ),
                        (
                            "/metadata/finalizers".into(),
                            format!("{project}/metadata/finalizers").into(),
                        ),
                        ("/spec".into(), project.into()),
                    ],
                )
            }
            (OutputKind::Root, _) => {
                let root_set =
                    |k: &str| r.model.doc.get_path(&format!("argocd.root.{k}")).is_some();
                let sync = if root_set("syncPolicy") {
                    "/argocd/root/syncPolicy"
                } else {
                    "/argocd/syncPolicy"
                };
                let mut rules: Vec<Rule> = vec![
                    ("/metadata/name".into(), "/argocd/root/name".into()),
                    ("/metadata/namespace".into(), "/argocd/namespace".into()),
                    ("/metadata/labels".into(), "/argocd/root/labels".into()),
                    (
                        "/metadata/annotations".into(),
                        "/argocd/root/annotations".into(),
                    ),
                    (
                        "/metadata/finalizers".into(),
                        "/argocd/root/finalizers".into(),
                    ),
                    ("/spec/project".into(), "/argocd/root/project".into()),
                    ("/spec/syncPolicy".into(), sync.into()),
                ];
                for i in 0..2 {
                    rules.push((
                        format!("/spec/sources/{i}/repoURL").into(),
                        "/argocd/repoURL".into(),
                    ));
                    rules.push((
                        format!("/spec/sources/{i}/targetRevision").into(),
                        "/argocd/targetRevision".into(),
                    ));
                }
                (Some(&r.model.doc), rules)
            }
            _ => (None, Vec::new()),
        };
        Mapper { doc, files, rules }
    }

    fn positions(&self) -> Option<Positions<'a>> {
        self.doc.map(|d| Positions::of(d, self.files))
    }

    fn translate(&self, pointer: &str) -> Option<String> {
        self.rules.iter().find_map(|(from, to)| {
            let rest = pointer.strip_prefix(from.as_ref())?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{to}{rest}"))
        })
    }

    fn pos(&self, pointer: &str) -> Option<Trace> {
        let doc = self.positions()?;
        doc.value(&self.translate(pointer)?)
    }

    /// The layer position and dotted layer path of an object pointer.
    fn locate(&self, pointer: &str, missing_key: bool) -> (Option<Trace>, Option<String>) {
        let Some(doc) = self.positions() else {
            return (None, None);
        };
        let Some(t) = self.translate(pointer) else {
            return (None, None);
        };
        let p = if missing_key {
            doc.exact(&t)
        } else {
            doc.value(&t)
        };
        (p, Some(spec_path(&t)))
    }
}

/// SARIF metadata of the `SCHEMA` rule.
pub fn rule_info() -> crate::report::RuleInfo {
    crate::report::RuleInfo {
        id: "SCHEMA".to_string(),
        name: "schema".to_string(),
        summary: "A layer, Helm values or a rendered object does not match its JSON Schema".to_string(),
        help: "nexus checks every layer file against `schemas/layer.schema.json`, merged Helm values against the chart's `values.schema.json` (or `schemas/values/<chart>.schema.json`), and rendered objects against built-in ArgoCD schemas plus CRDs and kubeconform-style schemas under `schemas/`.\n\nFix the value at the layer line the finding points at.".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_paths_are_dotted() {
        assert_eq!(spec_path("/env/0/name"), "env.0.name");
        assert_eq!(spec_path(""), "");
    }
}
