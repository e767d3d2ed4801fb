//! Finding and compiling the schemas one run needs (README: Validation).
//!
//! A [`SchemaSet`] is built once, before any object is checked, and shared
//! by reference across threads: the layer schema (embedded), the built-in
//! Application/AppProject schemas (embedded), every CRD and kubeconform
//! JSON schema under `schemas/`, and the values schema of every chart the
//! rendered apps use. Each schema is compiled once. A schema file that is
//! not valid JSON/YAML or not a valid JSON Schema makes the input unusable
//! (exit 2, naming the file).

use std::collections::HashMap;
use std::sync::Arc;

use jsonschema::{Draft, Validator};
use serde_json::Value as Json;

use super::positions::plain_json;
use crate::error::{Diagnostic, Error};
use crate::model::{AppSpec, ChartSource, EnvRender};
use crate::source::{Source, read_text};
use crate::yaml::load::{self, Limits};
use crate::yaml::node::FileId;

/// The layer schema shipped in `schemas/layer.schema.json`.
pub use crate::layer::SCHEMA as LAYER_SCHEMA;
const APPLICATION_SCHEMA: &str = include_str!("builtin/application.schema.json");
const APPPROJECT_SCHEMA: &str = include_str!("builtin/appproject.schema.json");

/// One compiled schema and the JSON it came from (messages look things up in it).
pub struct Compiled {
    pub validator: Validator,
    pub schema: Json,
    /// Where it came from, for messages (`schemas/crds/cert.yaml`, `built-in`).
    pub origin: String,
}

/// `(group, version, kind)` of a Kubernetes object; the core group is "".
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    /// From an object's `apiVersion` and `kind`.
    pub fn of(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        Gvk {
            group,
            version,
            kind: kind.to_string(),
        }
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// A kubeconform file name (`deployment-apps-v1.json`, `namespace-v1.json`,
/// `certificate_v1.json`): lowercase kind, the first label of the group if
/// named (`None`: any group), version.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LooseKey {
    kind: String,
    group_prefix: Option<String>,
    version: String,
}

impl LooseKey {
    fn parse(file_name: &str) -> Option<LooseKey> {
        let stem = file_name.strip_suffix(".json")?;
        if let Some((kind, version)) = stem.split_once('_') {
            return Some(LooseKey {
                kind: kind.to_string(),
                group_prefix: None,
                version: version.to_string(),
            });
        }
        let parts: Vec<&str> = stem.split('-').collect();
        let is_version = |v: &str| {
            v.strip_prefix('v')
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        };
        match parts.as_slice() {
            [kind, version] if is_version(version) => Some(LooseKey {
                kind: kind.to_string(),
                group_prefix: Some(String::new()),
                version: version.to_string(),
            }),
            [kind, group @ .., version] if !group.is_empty() && is_version(version) => {
                Some(LooseKey {
                    kind: kind.to_string(),
                    group_prefix: Some(group.join("-")),
                    version: version.to_string(),
                })
            }
            _ => None,
        }
    }

    fn matches(&self, gvk: &Gvk) -> bool {
        self.kind == gvk.kind.to_ascii_lowercase()
            && self.version == gvk.version
            && match &self.group_prefix {
                None => true,
                Some(p) if p.is_empty() => gvk.group.is_empty(),
                Some(p) => {
                    let g = gvk.group.to_ascii_lowercase();
                    g == *p || g.split('.').next() == Some(p.as_str()) || g.replace('.', "-") == *p
                }
            }
    }
}

/// Every schema of one run, compiled.
pub struct SchemaSet {
    pub layer: Compiled,
    objects: HashMap<Gvk, Arc<Compiled>>,
    loose: Vec<(LooseKey, Arc<Compiled>)>,
    /// Values schema path -> compiled schema (`None`: no such file).
    values: HashMap<String, Option<Arc<Compiled>>>,
}

/// Where the values schema of an app's chart lives.
pub fn values_schema_path(app: &AppSpec) -> Option<String> {
    let name = match app.chart.as_ref()? {
        ChartSource::Path { path, .. } if !path.is_empty() => {
            return Some(format!("{}/values.schema.json", path.trim_end_matches('/')));
        }
        ChartSource::Repo { chart, .. } => chart.as_str(),
        // A chart in another git repository is named by its directory.
        ChartSource::Git { path, .. } => path.trim_end_matches('/').rsplit('/').next()?,
        ChartSource::Path { .. } => return None,
    };
    (!name.is_empty() && !name.contains(['/', '\\']))
        .then(|| format!("schemas/values/{name}.schema.json"))
}

fn compile(
    mut schema: Json,
    origin: &str,
    default_draft: Option<Draft>,
) -> Result<Compiled, Error> {
    // A generic `$schema` ("http://json-schema.org/schema#", as kubeconform
    // files have) names no draft: use the default one.
    let known = [
        "draft-04",
        "draft-06",
        "draft-07",
        "draft/2019-09",
        "draft/2020-12",
    ];
    if let Some(m) = schema.as_object_mut()
        && let Some(Json::String(uri)) = m.get("$schema")
        && !known.iter().any(|k| uri.contains(k))
    {
        m.remove("$schema");
    }
    let mut opts = jsonschema::options().should_validate_formats(true);
    if let Some(d) = default_draft
        && schema.get("$schema").is_none()
    {
        opts = opts.with_draft(d);
    }
    match opts.build(&schema) {
        Ok(validator) => Ok(Compiled {
            validator,
            schema,
            origin: origin.to_string(),
        }),
        Err(e) => Err(Error::from(
            Diagnostic::error(format!("{origin} is not a usable JSON Schema: {e}"))
                .in_file(origin)
                .with_hint("nexus reads schemas offline: every `$ref` must point inside the same file (kubeconform: use the -standalone schemas)"),
        )),
    }
}

fn parse_json(text: &str, rel: &str) -> Result<Json, Error> {
    serde_json::from_str(text).map_err(|e| {
        Error::from(
            Diagnostic::error(format!(
                "{rel}:{}:{}: not valid JSON: {e}",
                e.line(),
                e.column()
            ))
            .in_file(rel),
        )
    })
}

fn builtin(text: &str, origin: &str) -> Result<Compiled, Error> {
    let json = parse_json(text, origin)?;
    compile(json, origin, None)
}

impl SchemaSet {
    /// Load and compile every schema the given renders need.
    pub fn load(source: &dyn Source, renders: &[EnvRender]) -> Result<SchemaSet, Error> {
        let mut set = SchemaSet {
            layer: builtin(LAYER_SCHEMA, "built-in layer schema")?,
            objects: HashMap::new(),
            loose: Vec::new(),
            values: HashMap::new(),
        };
        set.objects.insert(
            Gvk::of("argoproj.io/v1alpha1", "Application"),
            Arc::new(builtin(APPLICATION_SCHEMA, "built-in Application schema")?),
        );
        set.objects.insert(
            Gvk::of("argoproj.io/v1alpha1", "AppProject"),
            Arc::new(builtin(APPPROJECT_SCHEMA, "built-in AppProject schema")?),
        );
        let mut files = Vec::new();
        walk(source, "schemas", &mut files)?;
        let mut problems = Vec::new();
        for rel in files {
            if let Err(e) = set.add_file(source, &rel) {
                problems.extend(e.diagnostics);
            }
        }
        let wanted: std::collections::BTreeSet<String> = renders
            .iter()
            .flat_map(|r| r.apps.iter())
            .filter_map(values_schema_path)
            .collect();
        for rel in wanted {
            let compiled = match read_text(source, &rel) {
                Ok(None) => Ok(None),
                Ok(Some(text)) => parse_json(&text, &rel)
                    .and_then(|j| compile(j, &rel, None))
                    .map(|c| Some(Arc::new(c))),
                Err(e) => Err(e),
            };
            match compiled {
                Ok(c) => {
                    set.values.insert(rel, c);
                }
                Err(e) => problems.extend(e.diagnostics),
            }
        }
        if !problems.is_empty() {
            return Err(Error::many(problems));
        }
        Ok(set)
    }

    /// The values schema of an app's chart, if the repository has one.
    pub fn values_for(&self, app: &AppSpec) -> Option<&Compiled> {
        let rel = values_schema_path(app)?;
        self.values.get(&rel)?.as_deref()
    }

    /// The schema of a Kubernetes object kind, if known.
    pub fn object(&self, gvk: &Gvk) -> Option<&Compiled> {
        if let Some(c) = self.objects.get(gvk) {
            return Some(c);
        }
        self.loose
            .iter()
            .find(|(k, _)| k.matches(gvk))
            .map(|(_, c)| c.as_ref())
    }

    fn add_file(&mut self, source: &dyn Source, rel: &str) -> Result<(), Error> {
        let Some(text) = read_text(source, rel)? else {
            return Ok(());
        };
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if name.ends_with(".json") {
            let json = parse_json(&text, rel)?;
            if is_crd(&json) {
                return self.add_crd(&json, rel);
            }
            let gvks = declared_gvks(&json);
            let loose = LooseKey::parse(&name.to_ascii_lowercase());
            if gvks.is_empty() && loose.is_none() {
                return Ok(());
            }
            let mut schema = json;
            openapi_to_json_schema(&mut schema);
            let compiled = Arc::new(compile(schema, rel, Some(Draft::Draft4))?);
            if gvks.is_empty() {
                if let Some(k) = loose {
                    self.loose.push((k, compiled));
                }
            } else {
                for g in gvks {
                    self.objects.insert(g, compiled.clone());
                }
            }
            return Ok(());
        }
        let docs = load::parse_all(&text, FileId(u32::MAX), &Limits::default()).map_err(|e| {
            Error::from(
                Diagnostic::error(format!("{rel}:{}:{}: {}", e.line, e.col, e.message))
                    .in_file(rel),
            )
        })?;
        for doc in docs {
            let json = plain_json(&doc);
            if is_crd(&json) {
                self.add_crd(&json, rel)?;
            }
        }
        Ok(())
    }

    fn add_crd(&mut self, crd: &Json, rel: &str) -> Result<(), Error> {
        let group = crd
            .pointer("/spec/group")
            .and_then(Json::as_str)
            .unwrap_or("");
        let Some(kind) = crd.pointer("/spec/names/kind").and_then(Json::as_str) else {
            return Err(Error::from(
                Diagnostic::error(format!(
                    "{rel}: the CustomResourceDefinition has no `spec.names.kind`"
                ))
                .in_file(rel),
            ));
        };
        for v in crd
            .pointer("/spec/versions")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if v.get("served").and_then(Json::as_bool) == Some(false) {
                continue;
            }
            let (Some(name), Some(schema)) = (
                v.get("name").and_then(Json::as_str),
                v.pointer("/schema/openAPIV3Schema"),
            ) else {
                continue;
            };
            let mut schema = schema.clone();
            openapi_to_json_schema(&mut schema);
            let origin = format!("{rel} ({kind} {group}/{name})");
            let mut compiled = compile(schema, &origin, Some(Draft::Draft4))?;
            compiled.origin = rel.to_string();
            self.objects.insert(
                Gvk {
                    group: group.to_string(),
                    version: name.to_string(),
                    kind: kind.to_string(),
                },
                Arc::new(compiled),
            );
        }
        Ok(())
    }
}

fn is_crd(json: &Json) -> bool {
    json.get("kind").and_then(Json::as_str) == Some("CustomResourceDefinition")
        && json.get("apiVersion").and_then(Json::as_str) == Some("apiextensions.k8s.io/v1")
}

fn declared_gvks(json: &Json) -> Vec<Gvk> {
    json.get("x-kubernetes-group-version-kind")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| {
            Some(Gvk {
                group: g.get("group")?.as_str()?.to_string(),
                version: g.get("version")?.as_str()?.to_string(),
                kind: g.get("kind")?.as_str()?.to_string(),
            })
        })
        .collect()
}

/// Schema files under `schemas/`, sorted, without nexus's own schemas and
/// `schemas/values/`.
fn walk(source: &dyn Source, dir: &str, out: &mut Vec<String>) -> Result<(), Error> {
    for entry in source.list_dir(dir)? {
        let rel = format!("{dir}/{}", entry.name);
        if entry.is_dir {
            if rel != "schemas/values" {
                walk(source, &rel, out)?;
            }
        } else if !matches!(
            rel.as_str(),
            "schemas/layer.schema.json" | "schemas/nexus.schema.json"
        ) && [".json", ".yaml", ".yml"].iter().any(|x| rel.ends_with(x))
        {
            out.push(rel);
        }
    }
    Ok(())
}

/// Kubernetes OpenAPI v3 extensions in JSON Schema terms: `nullable`
/// admits null, `x-kubernetes-int-or-string` admits an integer or a
/// string (`x-kubernetes-preserve-unknown-fields` needs nothing: unknown
/// keys are allowed unless a schema says otherwise).
pub fn openapi_to_json_schema(schema: &mut Json) {
    let Json::Object(m) = schema else { return };
    for key in ["properties", "patternProperties", "definitions", "$defs"] {
        if let Some(Json::Object(props)) = m.get_mut(key) {
            for v in props.values_mut() {
                openapi_to_json_schema(v);
            }
        }
    }
    for key in ["items", "additionalProperties", "not", "additionalItems"] {
        match m.get_mut(key) {
            Some(Json::Array(a)) => a.iter_mut().for_each(openapi_to_json_schema),
            Some(v @ Json::Object(_)) => openapi_to_json_schema(v),
            _ => {}
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Json::Array(a)) = m.get_mut(key) {
            a.iter_mut().for_each(openapi_to_json_schema);
        }
    }
    if m.get("x-kubernetes-int-or-string").and_then(Json::as_bool) == Some(true) {
        m.remove("type");
        if !m.contains_key("anyOf") && !m.contains_key("oneOf") {
            m.insert(
                "anyOf".into(),
                serde_json::json!([{"type": "integer"}, {"type": "string"}]),
            );
        }
    }
    if m.get("nullable").and_then(Json::as_bool) == Some(true) {
        match m.get_mut("type") {
            Some(Json::String(t)) => {
                let t = t.clone();
                m.insert("type".into(), serde_json::json!([t, "null"]));
            }
            Some(Json::Array(ts)) if !ts.iter().any(|t| t == "null") => {
                ts.push(Json::from("null"));
            }
            _ => {}
        }
        if let Some(Json::Array(e)) = m.get_mut("enum")
            && !e.iter().any(Json::is_null)
        {
            e.push(Json::Null);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubeconform_names() {
        let k = LooseKey::parse("deployment-apps-v1.json").unwrap();
        assert!(k.matches(&Gvk::of("apps/v1", "Deployment")));
        assert!(!k.matches(&Gvk::of("v1", "Deployment")));
        let k = LooseKey::parse("ingress-networking-v1.json").unwrap();
        assert!(k.matches(&Gvk::of("networking.k8s.io/v1", "Ingress")));
        let k = LooseKey::parse("namespace-v1.json").unwrap();
        assert!(k.matches(&Gvk::of("v1", "Namespace")));
        assert!(!k.matches(&Gvk::of("apps/v1", "Namespace")));
        let k = LooseKey::parse("certificate_v1.json").unwrap();
        assert!(k.matches(&Gvk::of("cert-manager.io/v1", "Certificate")));
        assert!(LooseKey::parse("notes.json").is_none());
        assert!(LooseKey::parse("thing-latest.json").is_none());
    }

    #[test]
    fn openapi_extensions_become_json_schema() {
        let mut s = json!({"type": "object", "properties": {
            "port": {"x-kubernetes-int-or-string": true, "type": "string"},
            "note": {"type": "string", "nullable": true},
            "list": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer", "nullable": true}}}}}});
        openapi_to_json_schema(&mut s);
        let v = jsonschema::validator_for(&s).unwrap();
        assert!(v.is_valid(&json!({"port": 8080, "note": null, "list": [{"n": null}]})));
        assert!(v.is_valid(&json!({"port": "http"})));
        assert!(!v.is_valid(&json!({"port": true})));
        assert!(!v.is_valid(&json!({"list": [{"n": "x"}]})));
    }

    #[test]
    fn api_versions_split_into_group_and_version() {
        assert_eq!(Gvk::of("v1", "Namespace").group, "");
        let g = Gvk::of("argoproj.io/v1alpha1", "Application");
        assert_eq!(
            (g.group.as_str(), g.version.as_str()),
            ("argoproj.io", "v1alpha1")
        );
        assert_eq!(g.api_version(), "argoproj.io/v1alpha1");
    }
}

#[cfg(test)]
mod layer_schema_tests {
    use super::*;
    use crate::validate::positions::plain_json;
    use crate::yaml::load::parse_one;

    fn layer_validator() -> Compiled {
        builtin(LAYER_SCHEMA, "layer").unwrap()
    }

    fn parse(text: &str) -> Json {
        let node = parse_one(text, FileId(0), &Limits::default())
            .unwrap()
            .unwrap();
        plain_json(&node)
    }

    #[test]
    fn every_shipped_layer_matches_the_layer_schema() {
        let v = layer_validator();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("environments");
        let mut checked = 0;
        for e in walkdir::WalkDir::new(&root) {
            let e = e.unwrap();
            if e.path().extension().is_some_and(|x| x == "yaml") {
                let json = parse(&std::fs::read_to_string(e.path()).unwrap());
                let errs: Vec<String> = v
                    .validator
                    .iter_errors(&json)
                    .map(|e| e.to_string())
                    .collect();
                assert!(errs.is_empty(), "{}: {errs:?}", e.path().display());
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} layers found");
    }

    #[test]
    fn the_layer_schema_rejects_typos_and_wrong_types() {
        let v = layer_validator();
        for bad in [
            "aap: {}\n",
            "app: {valuse: {}}\n",
            "app: {enabled: maybe}\n",
            "app: {syncWave: soon}\n",
            "app: {dependsOn: postgres}\n",
            "argocd: {syncPolicy: {automated: {prune: yes please}}}\n",
            "argocd: {syncPolicy: {retry: {limit: five}}}\n",
            "argocd: {destination: {sever: x}}\n",
            "app: {chart: {repoURL: https://x, chart: c, targetRevison: 1}}\n",
            "app: {labels: {team: [a]}}\n",
            "vars: [a]\n",
        ] {
            assert!(!v.validator.is_valid(&parse(bad)), "accepted: {bad}");
        }
        for good in [
            "app: {syncWave: \"{{ vars.wave }}\", enabled: false}\n",
            "app: {dependsOn+: [db], values!: {a: 1}}\n",
            "argocd: {syncPolicy: {automated: null, syncOptions+: [Validate=false]}}\n",
            "vars: {anything: [1, {x: y}]}\n",
        ] {
            let json = parse(good);
            let errs: Vec<String> = v
                .validator
                .iter_errors(&json)
                .map(|e| e.to_string())
                .collect();
            assert!(errs.is_empty(), "rejected {good}: {errs:?}");
        }
    }
}

#[cfg(test)]
mod compile_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubeconform_generic_schema_uri_compiles_as_draft_4() {
        let c = compile(
            json!({"$schema": "http://json-schema.org/schema#", "type": "object",
                   "properties": {"n": {"type": "integer", "minimum": 1, "exclusiveMinimum": true}}}),
            "x.json",
            Some(Draft::Draft4),
        )
        .unwrap();
        assert!(!c.validator.is_valid(&json!({"n": 1})));
        assert!(c.validator.is_valid(&json!({"n": 2})));
    }
}
