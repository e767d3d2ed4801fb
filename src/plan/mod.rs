//! `nexus plan`: what a change to the layers does to the rendered tree.
//!
//! Two [`Side`]s are compared file by file: the old one (the render at a
//! git revision, or the `deploy/` tree on disk) and the new one (the render
//! of the working tree). Whether a file is added, changed or destroyed is
//! decided on the real bytes; the diff shown is of the masked text (see
//! [`mask`]), so no format ever prints a secret and a changed secret still
//! shows as `*** (changed)`. [`format`] and [`markdown`] print the result.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::model::{EnvRender, HEADER_PREFIX, OutputKind, is_managed};
use crate::paths;
use crate::secrets::MASK;
use crate::source::Files;
use crate::yaml::emit;
use crate::yaml::load::{self, Limits};
use crate::yaml::node::{FileId, Node};

pub mod format;
pub mod markdown;
pub mod mask;

/// One rendered (or committed) file on one side of the plan.
#[derive(Debug, Clone)]
pub struct SideFile {
    /// The environment that produced it.
    pub env: String,
    /// The complete content, header included.
    pub text: String,
    /// The object in it, when it could be read (for masking).
    pub doc: Option<Node>,
    /// Where the values in `doc` were set (rendered sides only): the file
    /// table their positions refer to.
    pub files: Option<Files>,
}

/// Files by path relative to the output root (`prod/apps/api.yaml`).
pub type Side = BTreeMap<String, SideFile>;

/// The sync-wave graph of one environment: each app's wave, and the
/// `dependsOn` edges (`None` when the side was read from disk, where only
/// the waves are written down).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Graph {
    pub waves: BTreeMap<String, i64>,
    pub edges: Option<BTreeSet<(String, String)>>,
}

impl Graph {
    pub fn of(r: &EnvRender) -> Graph {
        let edges = r
            .apps
            .iter()
            .flat_map(|a| {
                a.depends_on
                    .iter()
                    .map(|(d, _)| (d.clone(), a.name.clone()))
            })
            .collect();
        Graph {
            waves: r.waves.clone(),
            edges: Some(edges),
        }
    }

    /// Did the order change: the wave of an app on both sides, an app
    /// added or removed outside wave 0, or a `dependsOn` edge (where both
    /// sides know them). An app added at wave 0 with no edges orders
    /// nothing.
    pub fn differs(&self, other: &Graph) -> bool {
        let moved = self
            .waves
            .iter()
            .any(|(app, w)| other.waves.get(app).map_or(*w != 0, |o| o != w));
        let gone = other
            .waves
            .iter()
            .any(|(app, w)| !self.waves.contains_key(app) && *w != 0);
        let edges = matches!((&self.edges, &other.edges), (Some(a), Some(b)) if a != b);
        moved || gone || edges
    }
}

/// The graphs of a side read from disk: each Application's sync wave
/// (`<env>/apps/<app>.yaml`; no annotation is wave 0).
pub fn graphs_of_side(side: &Side) -> BTreeMap<String, Graph> {
    let mut out: BTreeMap<String, Graph> = BTreeMap::new();
    for (path, f) in side {
        let Some(doc) = &f.doc else { continue };
        if doc.get("kind").and_then(Node::as_str) != Some("Application") {
            continue;
        }
        let Some(app) = path
            .strip_prefix(&format!("{}/apps/", f.env))
            .and_then(|p| p.strip_suffix(".yaml"))
        else {
            continue;
        };
        let wave = doc
            .get_path("metadata.annotations")
            .and_then(|a| a.get("argocd.argoproj.io/sync-wave"))
            .and_then(Node::as_str)
            .and_then(|w| w.trim().parse().ok())
            .unwrap_or(0);
        out.entry(f.env.clone())
            .or_default()
            .waves
            .insert(app.to_string(), wave);
    }
    out
}

/// Build a side from rendered environments, whose positions refer to
/// `files`.
pub fn side_from_renders(renders: Vec<EnvRender>, files: &Files) -> Side {
    let mut side = Side::new();
    for r in renders {
        let EnvRender {
            env, apps, outputs, ..
        } = r;
        let mut values: BTreeMap<String, Node> = apps
            .iter()
            .map(|a| (a.name.clone(), a.values().clone()))
            .collect();
        for o in outputs {
            // A values file's object is left null by the renderer; its
            // content is the app's values.
            let doc = match (o.kind, &o.app) {
                (OutputKind::Values, Some(app)) => values.remove(app),
                _ => Some(o.object),
            };
            side.insert(
                o.path,
                SideFile {
                    env: env.name.clone(),
                    text: o.text,
                    doc,
                    files: Some(files.share()),
                },
            );
        }
    }
    side
}

/// The environment named in a managed file's header.
fn header_env(text: &str) -> Option<String> {
    let line = text.lines().next()?;
    let rest = line
        .strip_prefix(HEADER_PREFIX)?
        .strip_prefix("environments/")?;
    let end = rest.rfind("; do not edit.")?;
    Some(rest[..end].to_string())
}

/// Build a side from the managed files on disk under `out_dir/<scope>` for
/// each scope (`""` is everything). Files without the header are not
/// nexus's and are left out.
pub fn side_from_disk(out_dir: &Path, scopes: &[String]) -> Result<Side, crate::error::Error> {
    let mut side = Side::new();
    for scope in scopes {
        let dir = out_dir.join(scope);
        if !dir.is_dir() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&dir)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| {
                crate::error::Error::input(format!("cannot read {}: {e}", dir.display()))
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(out_dir) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if side.contains_key(&rel) {
                continue;
            }
            let Ok(bytes) = std::fs::read(entry.path()) else {
                continue;
            };
            if !is_managed(&bytes) {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let Some(env) = header_env(&text) else {
                continue;
            };
            let doc = load::parse_one(&text, FileId(u32::MAX), &Limits::default())
                .ok()
                .flatten();
            side.insert(
                rel,
                SideFile {
                    env,
                    text,
                    doc,
                    files: None,
                },
            );
        }
    }
    Ok(side)
}

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Add,
    Change,
    Destroy,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Add => "add",
            Change::Change => "change",
            Change::Destroy => "destroy",
        }
    }

    /// Terraform's symbols.
    pub fn symbol(self) -> &'static str {
        match self {
            Change::Add => "+",
            Change::Change => "~",
            Change::Destroy => "-",
        }
    }
}

/// One changed file.
#[derive(Debug, Clone)]
pub struct FileChange {
    /// Repository-relative path: `deploy/prod/values/api.yaml`.
    pub path: String,
    pub env: String,
    /// The path inside the environment's directory: `values/api.yaml`.
    pub file: String,
    /// What the file is: `application`, `values`, `appproject`, `manifest`, `root`.
    pub kind: &'static str,
    /// The app it belongs to, if any.
    pub app: Option<String>,
    pub change: Change,
    /// Unified diff of the masked texts.
    pub diff: String,
    /// For a changed values file or Application: each changed value and
    /// the layer that set it.
    pub why: Vec<Why>,
}

/// One changed value of a file, and where each side's value was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Why {
    /// Path inside the file (`image.tag`, `spec.source.targetRevision`).
    pub path: String,
    /// The old and new values, one line each (masked when secret); `None`
    /// where there is none.
    pub old: Option<String>,
    pub new: Option<String>,
    /// `(file, line)` of the layer that set the new value, and the old one.
    pub new_at: Option<(String, u32)>,
    pub old_at: Option<(String, u32)>,
}

impl Why {
    /// `replicaCount 2 -> 3 — environments/prod/env.yaml:7`.
    pub fn line(&self) -> String {
        let v = |s: &Option<String>| s.clone().unwrap_or_else(|| "(none)".into());
        let mut out = format!("{} {} -> {}", self.path, v(&self.old), v(&self.new));
        match (&self.new_at, &self.old_at) {
            (Some((f, l)), Some((of, ol))) if (f, l) != (of, ol) => {
                out.push_str(&format!(" — {f}:{l} (was {of}:{ol})"));
            }
            (Some((f, l)), _) => out.push_str(&format!(" — {f}:{l}")),
            (None, Some((of, ol))) => out.push_str(&format!(" — removed (was {of}:{ol})")),
            (None, None) => {}
        }
        out
    }
}

/// Where a value was set, through the file table of its side.
fn origin(file: &SideFile, node: &Node) -> Option<(String, u32)> {
    let files = file.files.as_ref()?;
    let t = files.trace(node);
    (!t.set.is_generated()).then(|| (files.path(t.set.file), t.set.line))
}

/// The values that differ between two versions of a file, with origins.
fn why(old: &SideFile, new: &SideFile) -> Vec<Why> {
    let (Some(od), Some(nd)) = (&old.doc, &new.doc) else {
        return Vec::new();
    };
    let (mut ol, mut nl) = (Vec::new(), Vec::new());
    paths::leaves(od, "", &mut ol);
    paths::leaves(nd, "", &mut nl);
    let (os, ns) = (mask::secrets(od), mask::secrets(nd));
    let old_map: BTreeMap<&String, &Node> = ol.iter().map(|(p, n)| (p, *n)).collect();
    let new_map: BTreeMap<&String, &Node> = nl.iter().map(|(p, n)| (p, *n)).collect();
    let keys: BTreeSet<&String> = old_map.keys().chain(new_map.keys()).copied().collect();
    let mut out = Vec::new();
    for k in keys {
        let (o, n) = (old_map.get(k), new_map.get(k));
        if let (Some(o), Some(n)) = (o, n)
            && emit::same_values(o, n)
        {
            continue;
        }
        let secret = os.contains_key(k) || ns.contains_key(k);
        let shown = |n: &Node| {
            if secret {
                MASK.to_string()
            } else {
                emit::flow(n)
            }
        };
        out.push(Why {
            path: if k.is_empty() {
                "(the whole file)".into()
            } else {
                k.clone()
            },
            old: o.map(|n| shown(n)),
            new: n.map(|n| shown(n)),
            new_at: n.and_then(|n| origin(new, n)),
            old_at: o.and_then(|n| origin(old, n)),
        });
    }
    out
}

impl FileChange {
    /// What the file is about, for tables: the app, or `AppProject x`, or
    /// `root`.
    pub fn subject(&self) -> String {
        match (&self.app, self.kind) {
            (Some(a), _) => a.clone(),
            (None, "appproject") => {
                let name = self
                    .file
                    .trim_start_matches("projects/")
                    .trim_end_matches(".yaml");
                format!("AppProject {name}")
            }
            (None, "root") => "root (app-of-apps)".to_string(),
            (None, _) => self.file.clone(),
        }
    }
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// What the old side is (`` `main` (abc1234) `` or `deploy/ on disk`).
    pub base: String,
    /// Every environment considered, changed or not, sorted.
    pub envs: Vec<String>,
    /// Changed files, sorted by path.
    pub files: Vec<FileChange>,
    pub unchanged: usize,
    /// `(environment, Mermaid flowchart)` of each environment whose sync
    /// waves or `dependsOn` edges changed (markdown shows them).
    pub graphs: Vec<(String, String)>,
}

impl Plan {
    pub fn count(&self, c: Change) -> usize {
        self.files.iter().filter(|f| f.change == c).count()
    }

    pub fn has_changes(&self) -> bool {
        !self.files.is_empty()
    }

    /// `Plan: N to add, N to change, N to destroy.`
    pub fn summary(&self) -> String {
        format!(
            "Plan: {} to add, {} to change, {} to destroy.",
            self.count(Change::Add),
            self.count(Change::Change),
            self.count(Change::Destroy)
        )
    }

    /// Changed files of one environment.
    pub fn env_files<'a>(&'a self, env: &'a str) -> impl Iterator<Item = &'a FileChange> + 'a {
        self.files.iter().filter(move |f| f.env == env)
    }
}

/// The kind and app of a file from its path inside the environment directory.
fn classify(file: &str) -> (&'static str, Option<String>) {
    let stem = |s: &str| s.trim_end_matches(".yaml").to_string();
    if file == "root.yaml" {
        return ("root", None);
    }
    if let Some(rest) = file.strip_prefix("apps/") {
        return ("application", Some(stem(rest)));
    }
    if let Some(rest) = file.strip_prefix("values/") {
        return ("values", Some(stem(rest)));
    }
    if file.starts_with("projects/") {
        return ("appproject", None);
    }
    if let Some(rest) = file.strip_prefix("manifests/") {
        let app = rest.split('/').next().unwrap_or(rest).to_string();
        return ("manifest", Some(app));
    }
    ("file", None)
}

/// The header line (with its newline) of a file's text.
fn header_line(text: &str) -> &str {
    match text.find('\n') {
        Some(i) => &text[..=i],
        None => text,
    }
}

fn masked(file: &SideFile, changed: &BTreeSet<String>) -> String {
    match &file.doc {
        Some(doc) => mask::masked_text(header_line(&file.text), doc, changed),
        None => mask::masked_lines(&file.text),
    }
}

/// Compare two sides. `out_prefix` is the output root relative to the
/// repository (`deploy`), for the paths shown; `envs` every environment
/// considered.
pub fn compute(old: &Side, new: &Side, out_prefix: &str, base: String, envs: Vec<String>) -> Plan {
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut files = Vec::new();
    let mut unchanged = 0;
    let none = BTreeSet::new();
    for path in paths {
        let (o, n) = (old.get(path), new.get(path));
        let (change, env) = match (o, n) {
            (Some(o), Some(n)) if o.text == n.text => {
                unchanged += 1;
                continue;
            }
            (Some(_), Some(n)) => (Change::Change, n.env.clone()),
            (None, Some(n)) => (Change::Add, n.env.clone()),
            (Some(o), None) => (Change::Destroy, o.env.clone()),
            (None, None) => continue,
        };
        // Secrets present on both sides with different values.
        let changed: BTreeSet<String> = match (
            o.and_then(|f| f.doc.as_ref()),
            n.and_then(|f| f.doc.as_ref()),
        ) {
            (Some(od), Some(nd)) => {
                let os = mask::secrets(od);
                mask::secrets(nd)
                    .into_iter()
                    .filter(|(k, v)| os.get(k).is_some_and(|ov| ov != v))
                    .map(|(k, _)| k)
                    .collect()
            }
            _ => BTreeSet::new(),
        };
        let old_text = o.map(|f| masked(f, &none)).unwrap_or_default();
        let new_text = n.map(|f| masked(f, &changed)).unwrap_or_default();
        let shown = if out_prefix.is_empty() {
            path.clone()
        } else {
            format!("{out_prefix}/{path}")
        };
        let a = if o.is_some() {
            format!("a/{shown}")
        } else {
            "/dev/null".to_string()
        };
        let b = if n.is_some() {
            format!("b/{shown}")
        } else {
            "/dev/null".to_string()
        };
        let mut diff = similar::TextDiff::from_lines(&old_text, &new_text)
            .unified_diff()
            .context_radius(3)
            .header(&a, &b)
            .to_string();
        if diff.is_empty() {
            diff = "(the file on disk differs only in formatting or comments)\n".to_string();
        }
        let file = path
            .strip_prefix(&format!("{env}/"))
            .unwrap_or(path)
            .to_string();
        let (kind, app) = classify(&file);
        let why = match (o, n, kind) {
            (Some(o), Some(n), "values" | "application") => why(o, n),
            _ => Vec::new(),
        };
        files.push(FileChange {
            path: shown,
            env,
            file,
            kind,
            app,
            change,
            diff,
            why,
        });
    }
    Plan {
        base,
        envs,
        files,
        unchanged,
        graphs: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(env: &str, body: &str) -> SideFile {
        let text = format!("{HEADER_PREFIX}environments/{env}; do not edit.\n{body}");
        let doc = load::parse_one(&text, FileId(0), &Limits::default()).unwrap();
        SideFile {
            env: env.to_string(),
            text,
            doc,
            files: None,
        }
    }

    #[test]
    fn counts_and_kinds() {
        let mut old = Side::new();
        let mut new = Side::new();
        old.insert("prod/values/api.yaml".into(), file("prod", "a: 1\n"));
        new.insert("prod/values/api.yaml".into(), file("prod", "a: 2\n"));
        old.insert("prod/apps/gone.yaml".into(), file("prod", "x: 1\n"));
        new.insert("prod/apps/new.yaml".into(), file("prod", "x: 1\n"));
        old.insert("prod/root.yaml".into(), file("prod", "r: 1\n"));
        new.insert("prod/root.yaml".into(), file("prod", "r: 1\n"));
        let plan = compute(&old, &new, "deploy", "HEAD".into(), vec!["prod".into()]);
        assert_eq!(plan.summary(), "Plan: 1 to add, 1 to change, 1 to destroy.");
        assert_eq!(plan.unchanged, 1);
        let values = plan.files.iter().find(|f| f.kind == "values").unwrap();
        assert_eq!(values.app.as_deref(), Some("api"));
        assert_eq!(values.path, "deploy/prod/values/api.yaml");
        assert!(values.diff.contains("-a: 1\n+a: 2\n"), "{}", values.diff);
        let gone = plan
            .files
            .iter()
            .find(|f| f.change == Change::Destroy)
            .unwrap();
        assert!(gone.diff.contains("+++ /dev/null"), "{}", gone.diff);
    }

    #[test]
    fn a_changed_secret_shows_without_its_value() {
        let mut old = Side::new();
        let mut new = Side::new();
        old.insert(
            "s/values/db.yaml".into(),
            file("s", "auth: {password: old-pw}\n"),
        );
        new.insert(
            "s/values/db.yaml".into(),
            file("s", "auth: {password: new-pw}\n"),
        );
        let plan = compute(&old, &new, "deploy", "HEAD".into(), vec!["s".into()]);
        assert_eq!(plan.count(Change::Change), 1);
        let d = &plan.files[0].diff;
        assert!(!d.contains("old-pw") && !d.contains("new-pw"), "{d}");
        assert!(d.contains("+  password: *** (changed)"), "{d}");
    }

    #[test]
    fn headers_name_the_environment() {
        assert_eq!(
            header_env("# Generated by nexus from environments/prod/kr; do not edit.\nx: 1\n")
                .as_deref(),
            Some("prod/kr")
        );
        assert_eq!(header_env("x: 1\n"), None);
        assert_eq!(
            classify("manifests/api/job-x.yaml"),
            ("manifest", Some("api".into()))
        );
        assert_eq!(classify("projects/apps.yaml"), ("appproject", None));
    }

    #[test]
    fn graphs_differ_when_the_order_does() {
        let g = |waves: &[(&str, i64)], edges: Option<&[(&str, &str)]>| Graph {
            waves: waves.iter().map(|(a, w)| (a.to_string(), *w)).collect(),
            edges: edges.map(|e| {
                e.iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect()
            }),
        };
        let base = g(&[("db", 0), ("api", 1)], Some(&[("db", "api")]));
        assert!(!base.differs(&base));
        // An app added at wave 0 with no edges orders nothing.
        let added = g(
            &[("db", 0), ("api", 1), ("cache", 0)],
            Some(&[("db", "api")]),
        );
        assert!(!added.differs(&base));
        // A wave or an edge that moved does.
        assert!(g(&[("db", 0), ("api", 2)], Some(&[("db", "api")])).differs(&base));
        assert!(g(&[("db", 0), ("api", 1)], Some(&[])).differs(&base));
        assert!(g(&[("db", 0)], Some(&[])).differs(&base));
        // Read from disk (no edges): the waves still count.
        assert!(
            !g(&[("db", 0), ("api", 1)], Some(&[])).differs(&g(&[("db", 0), ("api", 1)], None))
        );
    }
}
