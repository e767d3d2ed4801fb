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
}

/// Files by path relative to the output root (`prod/apps/api.yaml`).
pub type Side = BTreeMap<String, SideFile>;

/// Build a side from rendered environments.
pub fn side_from_renders(renders: Vec<EnvRender>) -> Side {
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
            side.insert(rel, SideFile { env, text, doc });
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
        files.push(FileChange {
            path: shown,
            env,
            file,
            kind,
            app,
            change,
            diff,
        });
    }
    Plan {
        base,
        envs,
        files,
        unchanged,
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
}
