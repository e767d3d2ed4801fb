//! Finding what to import: the ArgoCD objects in the files given, and for
//! each Application the environment and app it is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use crate::error::Error;
use crate::source::Files;
use crate::yaml::load::{self, Limits};
use crate::yaml::node::Node;

/// One object read from a file.
#[derive(Debug, Clone)]
pub struct Object {
    pub node: Node,
    /// Repository-relative path.
    pub file: String,
    pub line: u32,
}

impl Object {
    pub fn name(&self) -> &str {
        self.node
            .get_path("metadata.name")
            .and_then(Node::as_str)
            .unwrap_or("")
    }

    pub fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// What the files hold.
#[derive(Debug, Default)]
pub struct Found {
    pub applications: Vec<Object>,
    pub projects: Vec<Object>,
    /// `(file:line, why)` of what is not imported.
    pub skipped: Vec<(String, String)>,
    /// Lines of each file that holds an Application or AppProject.
    pub lines: BTreeMap<String, usize>,
}

/// Directories never read: git's, nexus's own output, and build trees.
/// `environments/` is skipped too when it holds nexus layers (many
/// repositories keep their Applications in a directory of that name).
const SKIP_DIRS: &[&str] = &[".git", "deploy", "node_modules", "target"];

/// Does `environments/` hold nexus layers (a `base.yaml`, or an
/// `env.yaml` in an environment directory)?
pub fn has_layers(root: &Path) -> bool {
    let dir = root.join(crate::discover::ENV_DIR);
    dir.join("base.yaml").is_file()
        || walkdir::WalkDir::new(&dir)
            .max_depth(4)
            .into_iter()
            .flatten()
            .any(|e| e.file_type().is_file() && e.file_name() == "env.yaml")
}

/// Read every `.yaml`/`.yml` file under `paths` (repository-relative).
/// Files larger than `max_size` bytes are reported and not read.
pub fn read(root: &Path, paths: &[String], files: &Files, max_size: u64) -> Result<Found, Error> {
    let mut found = Found::default();
    let mut seen = BTreeSet::new();
    let skip_layers = has_layers(root);
    for p in paths {
        let abs = root.join(p);
        if !abs.exists() {
            return Err(Error::input(format!("`{p}` does not exist")).with_hint(
                "name files or directories of ArgoCD Applications, relative to the repository",
            ));
        }
        let walker = walkdir::WalkDir::new(&abs)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                // A chart's templates are Go templates, not manifests.
                let chart_templates = name == "templates"
                    && e.path()
                        .parent()
                        .is_some_and(|p| p.join("Chart.yaml").is_file());
                e.depth() == 0
                    || !(e.file_type().is_dir()
                        && (SKIP_DIRS.contains(&name.as_ref())
                            || chart_templates
                            || (skip_layers
                                && name == crate::discover::ENV_DIR
                                && e.depth() == 1
                                && abs == root)))
            });
        for entry in walker {
            let entry = entry.map_err(|e| Error::input(format!("cannot read {p}: {e}")))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if !seen.insert(rel.clone()) {
                continue;
            }
            if max_size > 0 && entry.metadata().is_ok_and(|m| m.len() > max_size) {
                found.skipped.push((
                    rel.clone(),
                    format!("larger than {max_size} bytes (--max-file-size); not read"),
                ));
                continue;
            }
            read_file(root, &rel, files, &mut found);
        }
    }
    Ok(found)
}

fn read_file(root: &Path, rel: &str, files: &Files, found: &mut Found) {
    let Ok(bytes) = std::fs::read(root.join(rel)) else {
        found
            .skipped
            .push((rel.to_string(), "cannot be read".into()));
        return;
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return;
    };
    // Cheap test first: most files of a repository are not ArgoCD's.
    if !text.contains("argoproj.io") {
        return;
    }
    let text: Arc<str> = Arc::from(text);
    let id = files.add(rel.to_string(), text.clone());
    let docs = match load::parse_all(&text, id, &Limits::default()) {
        Ok(d) => d,
        Err(e) => {
            found.skipped.push((
                format!("{rel}:{}", e.line),
                format!("not readable YAML: {}", e.message),
            ));
            return;
        }
    };
    let mut holds = false;
    for doc in docs {
        let kind = doc
            .get("kind")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let api = doc
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let obj = Object {
            file: rel.to_string(),
            line: doc.pos.line,
            node: doc,
        };
        // Objects of other kinds (Deployments, Services ...) are not
        // looked at.
        if !api.starts_with("argoproj.io/") {
            continue;
        }
        match kind.as_str() {
            "Application" => {
                holds = true;
                found.applications.push(obj);
            }
            "AppProject" => {
                holds = true;
                found.projects.push(obj);
            }
            "ApplicationSet" => found.skipped.push((
                obj.at(),
                format!(
                    "ApplicationSet `{}`: generators are not imported; write its apps as layers, or keep it beside nexus",
                    obj.name()
                ),
            )),
            other => found.skipped.push((obj.at(), format!("{other} `{}` is not imported", obj.name()))),
        }
    }
    if holds {
        found.lines.insert(rel.to_string(), text.lines().count());
    }
}

/// How the environment of an Application is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EnvFrom {
    /// `api-prod`: the part after the last `-` of the Application's name.
    NameSuffix,
    /// The same, of the destination namespace.
    NamespaceSuffix,
    /// The destination cluster (its name, or the server's host).
    Destination,
    /// The directory the Application's file is in.
    Directory,
}

impl EnvFrom {
    pub fn describe(self) -> &'static str {
        match self {
            EnvFrom::NameSuffix => "the suffix of each Application's name",
            EnvFrom::NamespaceSuffix => "the suffix of each destination namespace",
            EnvFrom::Destination => "the destination cluster",
            EnvFrom::Directory => "the directory of each Application's file",
        }
    }
}

/// Where an Application goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub env: String,
    pub app: String,
}

fn suffix(s: &str) -> Option<(&str, &str)> {
    let (head, tail) = s.rsplit_once('-')?;
    (!head.is_empty() && !tail.is_empty()).then_some((head, tail))
}

fn dest_cluster(app: &Object) -> Option<String> {
    let d = app.node.get_path("spec.destination")?;
    if let Some(n) = d.get("name").and_then(Node::as_str) {
        return Some(n.to_string());
    }
    let server = d.get("server").and_then(Node::as_str)?;
    let host = server
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = host.split(['/', ':']).next().unwrap_or(host);
    Some(host.split('.').next().unwrap_or(host).to_string())
}

/// The directories of an Application's file below the directory it was
/// named by, without `apps`-like parts (`apps/prod/api.yaml` and
/// `prod/apps/api.yaml` both mean prod).
fn dir_parts(app: &Object, root_dirs: &[String]) -> Option<Vec<String>> {
    let dir = crate::source::parent_rel(&app.file);
    let base = root_dirs
        .iter()
        .filter(|r| dir == r.as_str() || dir.starts_with(&format!("{r}/")) || r.is_empty())
        .max_by_key(|r| r.len())?;
    let rel = dir
        .strip_prefix(base.as_str())
        .unwrap_or(dir)
        .trim_start_matches('/');
    Some(
        rel.split('/')
            .filter(|p| {
                !p.is_empty() && !matches!(*p, "apps" | "applications" | "argocd" | "argo-cd")
            })
            .map(str::to_string)
            .collect(),
    )
}

/// When the whole repository is read, the top directory every
/// Application's file is in (`environments/dev`, `environments/prod`)
/// holds them and names no environment: 1 then, else 0. A directory named
/// on the command line is where environments start.
fn shared_dirs(apps: &[&Object], root_dirs: &[String]) -> usize {
    if !root_dirs.iter().any(String::is_empty) {
        return 0;
    }
    let all: Vec<Vec<String>> = apps
        .iter()
        .filter_map(|a| dir_parts(a, root_dirs))
        .collect();
    let Some(first) = all.first() else { return 0 };
    let shortest = all.iter().map(Vec::len).min().unwrap_or(0);
    usize::from(shortest >= 2 && all.iter().all(|p| p[0] == first[0]))
}

/// The env key of an Application under a rule, and its app name. `shared`:
/// leading directories to skip (see [`shared_dirs`]).
fn key(app: &Object, rule: EnvFrom, root_dirs: &[String], shared: usize) -> Option<Placement> {
    let name = app.name();
    let env = match rule {
        EnvFrom::NameSuffix => suffix(name)?.1.to_string(),
        EnvFrom::NamespaceSuffix => {
            let ns = app
                .node
                .get_path("spec.destination.namespace")
                .and_then(Node::as_str)?;
            suffix(ns)?.1.to_string()
        }
        EnvFrom::Destination => dest_cluster(app)?,
        EnvFrom::Directory => {
            let parts = dir_parts(app, root_dirs)?;
            // Leading directories every Application shares
            // (`environments/dev`, `environments/prod`) name no environment.
            let parts = parts.get(shared..).unwrap_or_default();
            if parts.is_empty() {
                return None;
            }
            parts.join("/")
        }
    };
    let env = env.to_ascii_lowercase();
    // The app: the name without the environment around it.
    let slug = env.replace('/', "-");
    let app_name = name
        .strip_suffix(&format!("-{slug}"))
        .or_else(|| name.strip_prefix(&format!("{slug}-")))
        .unwrap_or(name)
        .to_string();
    let valid_env = env.split('/').all(crate::discover::valid_name);
    (valid_env && crate::discover::valid_name(&app_name))
        .then_some(Placement { env, app: app_name })
}

/// Does a rule tell the environments apart: every Application gets a key,
/// there are at least two environments, no environment holds the same app
/// twice, and some app is in more than one environment.
fn works(apps: &[&Object], rule: EnvFrom, roots: &[String]) -> bool {
    let shared = shared_dirs(apps, roots);
    let keys: Vec<Option<Placement>> = apps.iter().map(|a| key(a, rule, roots, shared)).collect();
    if keys.iter().any(Option::is_none) {
        return false;
    }
    let keys: Vec<Placement> = keys.into_iter().flatten().collect();
    let envs: BTreeSet<&str> = keys.iter().map(|k| k.env.as_str()).collect();
    let pairs: BTreeSet<(&str, &str)> = keys
        .iter()
        .map(|k| (k.env.as_str(), k.app.as_str()))
        .collect();
    let mut apps_envs: BTreeMap<&str, usize> = BTreeMap::new();
    for k in &keys {
        *apps_envs.entry(k.app.as_str()).or_default() += 1;
    }
    envs.len() >= 2 && pairs.len() == keys.len() && apps_envs.values().any(|n| *n >= 2)
}

/// Place every Application: by `--map`, else the rule given, else the first
/// rule that tells the environments apart. `None` for an Application that
/// cannot be placed (reported, never guessed).
pub fn place(
    apps: &[&Object],
    rule: Option<EnvFrom>,
    map: &BTreeMap<String, Placement>,
    roots: &[String],
) -> (Vec<Option<Placement>>, Option<EnvFrom>) {
    let rule = rule.or_else(|| {
        [
            EnvFrom::Directory,
            EnvFrom::NameSuffix,
            EnvFrom::NamespaceSuffix,
            EnvFrom::Destination,
        ]
        .into_iter()
        .find(|r| works(apps, *r, roots))
    });
    let shared = shared_dirs(apps, roots);
    let placed = apps
        .iter()
        .map(|a| {
            map.get(a.name())
                .cloned()
                .or_else(|| rule.and_then(|r| key(a, r, roots, shared)))
        })
        .collect();
    (placed, rule)
}

/// Read a `--map` file: `{application-name: {env: prod, app: api}}`.
pub fn read_map(root: &Path, rel: &str) -> Result<BTreeMap<String, Placement>, Error> {
    let text = std::fs::read_to_string(root.join(rel))
        .map_err(|e| Error::input(format!("cannot read the map {rel}: {e}")))?;
    let doc = load::parse_one(
        &text,
        crate::yaml::node::FileId::UNLISTED,
        &Limits::default(),
    )
    .map_err(|e| Error::input(format!("{rel}:{}: {}", e.line, e.message)))?
    .unwrap_or_else(|| Node::map(crate::yaml::node::Pos::GENERATED));
    let mut out = BTreeMap::new();
    let Some(m) = doc.as_map() else {
        return Err(Error::input(format!(
            "{rel}: the map must be `application: {{env: ..., app: ...}}`"
        )));
    };
    for (name, e) in m.iter() {
        let env = e.node.get("env").and_then(Node::as_str);
        let app = e.node.get("app").and_then(Node::as_str);
        match (env, app) {
            (Some(env), Some(app))
                if env.split('/').all(crate::discover::valid_name)
                    && crate::discover::valid_name(app) =>
            {
                out.insert(
                    name.clone(),
                    Placement {
                        env: env.to_string(),
                        app: app.to_string(),
                    },
                );
            }
            _ => {
                return Err(Error::input(format!(
                    "{rel}:{}: `{name}` needs `env` and `app`, lower-case names",
                    e.key_pos.line
                ))
                .with_hint("write `api-prod: {env: prod, app: api}`"));
            }
        }
    }
    Ok(out)
}
