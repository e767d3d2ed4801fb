//! Policy lint (SPEC §8): the rules that stop a bad change before it is
//! committed.
//!
//! Each rule lives in its own file under [`rules`] and is listed once in
//! [`registry`]. A rule looks at one app of one environment ([`AppCx`]) or
//! at every rendered environment at once ([`RepoCx`]) and reports
//! [`Diagnostic`]s that point at the node that caused them; it never
//! decides severity or suppression. This engine runs the rules (apps in
//! parallel), resolves each finding's severity from the rule's default and
//! `nexus.yaml` for the finding's environment, applies `app.lintIgnore`,
//! and drops repeats, so a problem in a shared layer is reported once per
//! environment and app.

pub mod registry;
pub mod rules;
pub mod workload;

use std::collections::{BTreeSet, HashMap};

use rayon::prelude::*;

use crate::config::Config;
use crate::error::{Diagnostic, Severity, did_you_mean};
use crate::model::AppSpec;
use crate::project::EnvRender;
use crate::source::Files;
use crate::yaml::node::{Node, Pos};

pub use registry::{RULES, Rule};

/// A rule's severity when `nexus.yaml` says nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultSeverity {
    /// The same everywhere.
    Always(Severity),
    /// One severity in protected environments, another (or off) elsewhere.
    Protected {
        protected: Severity,
        elsewhere: Option<Severity>,
    },
}

impl DefaultSeverity {
    /// An error in protected environments, off elsewhere.
    pub const PROTECTED_ONLY: DefaultSeverity = DefaultSeverity::Protected {
        protected: Severity::Error,
        elsewhere: None,
    };

    pub fn resolve(self, protected: bool) -> Option<Severity> {
        match self {
            DefaultSeverity::Always(s) => Some(s),
            DefaultSeverity::Protected {
                protected: p,
                elsewhere,
            } => {
                if protected {
                    Some(p)
                } else {
                    elsewhere
                }
            }
        }
    }

    /// For `--explain` and docs: "error in protected environments, warning elsewhere".
    pub fn describe(self) -> String {
        match self {
            DefaultSeverity::Always(s) => s.to_string(),
            DefaultSeverity::Protected {
                protected,
                elsewhere,
            } => format!(
                "{protected} in protected environments, {} elsewhere",
                elsewhere.map_or("off", Severity::as_str)
            ),
        }
    }
}

/// What a rule looks at.
#[derive(Clone, Copy)]
pub enum Check {
    /// One app in one environment.
    App(fn(&AppCx, &mut Sink)),
    /// Every rendered environment (cross-app and cross-environment rules).
    Repo(fn(&RepoCx, &mut Sink)),
    /// Reported by the engine itself (NX000, suppression problems).
    Engine,
}

/// One app in one environment, for app rules.
pub struct AppCx<'a> {
    pub env: &'a EnvRender,
    pub app: &'a AppSpec,
    pub protected: bool,
    pub config: &'a Config,
    pub files: &'a Files,
}

/// Every environment, for rules that compare apps or environments.
pub struct RepoCx<'a> {
    /// The environments being linted (findings are reported for these).
    pub renders: &'a [EnvRender],
    /// Further environments rendered only for comparison (parity partners).
    pub context: &'a [EnvRender],
    pub config: &'a Config,
    pub files: &'a Files,
}

impl RepoCx<'_> {
    /// A rendered environment by name, linted or context.
    pub fn env(&self, name: &str) -> Option<&EnvRender> {
        self.renders
            .iter()
            .chain(self.context)
            .find(|r| r.env.name == name)
    }
}

/// Where a finding points: a position, or a file when no line is known,
/// plus an optional note pointing at a related place.
#[derive(Clone, Debug, Default)]
pub struct Where {
    pub pos: Option<Pos>,
    pub file: Option<String>,
    pub related: Option<(String, Pos)>,
}

/// Build a finding (severity is decided later by the engine).
pub fn finding(message: impl Into<String>, path: impl Into<String>, at: Where) -> Diagnostic {
    let mut d = Diagnostic::error(message).with_path(path);
    d.pos = at.pos;
    if d.pos.is_none() {
        d.file = at.file;
    }
    if let Some((label, pos)) = at.related {
        d = d.related(label, pos);
    }
    d
}

/// Collects the findings of one rule.
pub struct Sink {
    rule: &'static Rule,
    out: Vec<(Diagnostic, Option<Severity>)>,
}

impl Sink {
    fn new(rule: &'static Rule) -> Sink {
        Sink {
            rule,
            out: Vec::new(),
        }
    }

    /// Report a finding at the rule's default severity.
    pub fn push(&mut self, d: Diagnostic) {
        self.out.push((d.with_rule(self.rule.code), None));
    }

    /// Report a finding whose default severity differs from the rule's
    /// (NX006: a missing hook delete policy is only a warning).
    pub fn push_with_default(&mut self, d: Diagnostic, default: Severity) {
        self.out.push((d.with_rule(self.rule.code), Some(default)));
    }
}

/// Resolve the position of a value to the place a person edits. A string
/// that was exactly `{{ vars.x }}` in its layer got its value from
/// `vars.x`: point at that var when it has a position.
pub fn cause(doc: &Node, files: &Files, pos: Pos) -> Pos {
    let mut pos = pos;
    for _ in 0..8 {
        if pos.is_generated() {
            return pos;
        }
        let Some(var) = single_var(files, pos) else {
            return pos;
        };
        match doc.get_path(&format!("vars.{var}")) {
            Some(n) if !n.pos.is_generated() && n.pos != pos => pos = n.pos,
            _ => return pos,
        }
    }
    pos
}

/// The `vars.` path of a scalar written as exactly `{{ vars.a.b }}`.
fn single_var(files: &Files, pos: Pos) -> Option<String> {
    let line = files.line_text(pos)?;
    let rest: String = line
        .chars()
        .skip((pos.col as usize).saturating_sub(1))
        .collect();
    let rest = rest.trim_start();
    let inner = if let Some(r) = rest.strip_prefix('"') {
        &r[..r.find('"')?]
    } else if let Some(r) = rest.strip_prefix('\'') {
        &r[..r.find('\'')?]
    } else {
        let end = rest.find([',', '}', '#']).unwrap_or(rest.len());
        rest[..end].trim_end()
    };
    let expr = inner
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim()
        .trim_start_matches('-')
        .trim_end_matches('-')
        .trim();
    let var = expr.strip_prefix("vars.")?;
    var.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        .then(|| var.to_string())
}

impl AppCx<'_> {
    pub fn env_name(&self) -> &str {
        &self.env.env.name
    }

    /// Where a value was set (following a `{{ vars.x }}` to the var), or
    /// the app's own layer file when nexus made the value up.
    pub fn at(&self, node: &Node) -> Where {
        self.at_pos(node.pos)
    }

    pub fn at_pos(&self, pos: Pos) -> Where {
        let pos = cause(&self.app.doc, self.files, pos);
        if pos.is_generated() {
            self.own_file()
        } else {
            Where {
                pos: Some(pos),
                ..Where::default()
            }
        }
    }

    /// For a map merged from several layers: the position set by the
    /// latest layer anywhere in it (the layer that last turned it on).
    pub fn at_latest(&self, node: &Node) -> Where {
        fn walk(n: &Node, out: &mut Vec<Pos>) {
            out.push(n.pos);
            match &n.value {
                crate::yaml::node::Value::Map(m) => m.values().for_each(|e| walk(&e.node, out)),
                crate::yaml::node::Value::Seq(s) => s.iter().for_each(|c| walk(c, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        walk(node, &mut all);
        let rank = |p: &Pos| {
            let path = self.files.path(p.file);
            self.app.layers.iter().position(|l| *l == path)
        };
        let best = all.iter().filter(|p| !p.is_generated()).fold(
            None::<(Option<usize>, Pos)>,
            |acc, p| {
                let r = rank(p);
                match acc {
                    Some((br, _)) if br >= r => acc,
                    _ => Some((r, *p)),
                }
            },
        );
        match best {
            Some((_, p)) => self.at_pos(p),
            None => self.at(node),
        }
    }

    /// The app's own layer file, no line.
    pub fn own_file(&self) -> Where {
        Where {
            file: Some(self.app.own_file.clone()),
            ..Where::default()
        }
    }

    /// For a key that is missing from `parent` (the map that should hold
    /// it): the app's own layer file, at the parent map when the parent is
    /// written in that file; otherwise a note says where the parent is.
    pub fn missing(&self, parent: Option<&Node>) -> Where {
        let mut w = self.own_file();
        if let Some(p) = parent
            && !p.pos.is_generated()
        {
            if self.files.path(p.pos.file) == self.app.own_file {
                return Where {
                    pos: Some(p.pos),
                    ..Where::default()
                };
            }
            w.related = Some(("the enclosing map is set".to_string(), p.pos));
        }
        w
    }

    /// For a key missing from the whole values tree: the `values:` line
    /// when the app's own layer writes it, else the own layer file.
    pub fn missing_in_values(&self) -> Where {
        let entry = self
            .app
            .doc
            .get("app")
            .and_then(Node::as_map)
            .and_then(|m| m.get("values"));
        match entry {
            Some(e) => {
                let key = Node::null(e.key_pos);
                self.missing(Some(&key))
            }
            None => self.own_file(),
        }
    }

    /// The merged document's node at a dotted path (`argocd.project`).
    pub fn doc(&self, path: &str) -> Option<&Node> {
        self.app.doc.get_path(path)
    }
}

/// The result of a lint run.
#[derive(Debug, Default)]
pub struct LintOutput {
    pub findings: Vec<Diagnostic>,
    /// `(finding, reason)` of findings `app.lintIgnore` suppressed.
    pub suppressed: Vec<(Diagnostic, String)>,
}

/// Lint rendered environments. `context` holds environments rendered only
/// so cross-environment rules can compare against them; nothing is
/// reported for them.
pub fn run(
    files: &Files,
    config: &Config,
    renders: &[EnvRender],
    context: &[EnvRender],
) -> LintOutput {
    let jobs: Vec<(&EnvRender, &AppSpec)> = renders
        .iter()
        .flat_map(|r| r.apps.iter().map(move |a| (r, a)))
        .collect();
    let app_results: Vec<Vec<(Diagnostic, Option<Severity>)>> = jobs
        .par_iter()
        .map(|(r, app)| {
            let cx = AppCx {
                env: r,
                app,
                protected: config.is_protected(&r.env.name),
                config,
                files,
            };
            let mut all = Vec::new();
            for rule in RULES {
                if let Check::App(f) = rule.check {
                    let mut sink = Sink::new(rule);
                    f(&cx, &mut sink);
                    for (mut d, sev) in sink.out {
                        d.env = Some(r.env.name.clone());
                        d.app = Some(app.name.clone());
                        all.push((d, sev));
                    }
                }
            }
            all.extend(suppression_problems(app, &r.env.name));
            all
        })
        .collect();
    let repo = RepoCx {
        renders,
        context,
        config,
        files,
    };
    let mut raw: Vec<(Diagnostic, Option<Severity>)> = app_results.into_iter().flatten().collect();
    for rule in RULES {
        if let Check::Repo(f) = rule.check {
            let mut sink = Sink::new(rule);
            f(&repo, &mut sink);
            raw.extend(sink.out);
        }
    }
    let selected: BTreeSet<&str> = renders.iter().map(|r| r.env.name.as_str()).collect();
    let specs: HashMap<(&str, &str), &AppSpec> = renders
        .iter()
        .flat_map(|r| {
            r.apps
                .iter()
                .map(move |a| ((r.env.name.as_str(), a.name.as_str()), a))
        })
        .collect();
    let mut out = LintOutput::default();
    let mut seen = BTreeSet::new();
    for (mut d, fixed) in raw {
        let Some(env) = d.env.clone() else { continue };
        if !selected.contains(env.as_str()) {
            continue;
        }
        let Some(rule) = d.rule.as_deref().and_then(registry::rule) else {
            continue;
        };
        let default = match fixed {
            Some(s) => Some(s),
            None => rule.default.resolve(config.is_protected(&env)),
        };
        let severity = match config.severity(rule.code, &env) {
            Some(overridden) => overridden,
            None => default,
        };
        let Some(severity) = severity else { continue };
        d.severity = severity;
        // One finding per value and problem: a pod-level `runAsUser: 0`
        // shared by three containers is one thing to fix.
        let key = (
            env.clone(),
            d.app.clone(),
            rule.code,
            d.pos,
            d.file.clone(),
            d.path.clone(),
            d.severity,
        );
        if !seen.insert(key) {
            continue;
        }
        let reason = d.app.as_deref().and_then(|a| {
            specs
                .get(&(env.as_str(), a))
                .and_then(|s| {
                    s.lint_ignore
                        .iter()
                        .find(|(r, reason, _)| r == rule.code && !reason.trim().is_empty())
                })
                .map(|(_, reason, _)| reason.clone())
        });
        match reason {
            Some(reason) => out.suppressed.push((d, reason)),
            None => out.findings.push(d),
        }
    }
    out
}

/// NX000: `app.lintIgnore` entries without a reason or for a rule that
/// does not exist. Such an entry suppresses nothing.
fn suppression_problems(app: &AppSpec, env: &str) -> Vec<(Diagnostic, Option<Severity>)> {
    let mut out = Vec::new();
    for (code, reason, pos) in &app.lint_ignore {
        let at = if pos.is_generated() {
            Where {
                file: Some(app.own_file.clone()),
                ..Where::default()
            }
        } else {
            Where {
                pos: Some(*pos),
                ..Where::default()
            }
        };
        let path = format!("app.lintIgnore.{code}");
        let d = if registry::rule(code).is_none() {
            let mut d = finding(
                format!(
                    "`lintIgnore` names `{code}`, which is not a lint rule; it suppresses nothing"
                ),
                path,
                at,
            );
            d = match did_you_mean(code, RULES.iter().map(|r| r.code)) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(
                    "rule ids are NX000..NX108; `nexus lint --explain NXnnn` describes one",
                ),
            };
            d
        } else if reason.trim().is_empty() {
            finding(
                format!("`lintIgnore.{code}` gives no reason, so it suppresses nothing"),
                path,
                at,
            )
            .with_hint(format!(
                "say why the finding is acceptable: `{code}: \"single replica is fine for a batch worker\"`"
            ))
        } else {
            continue;
        };
        let mut d = d.with_rule("NX000");
        d.env = Some(env.to_string());
        d.app = Some(app.name.clone());
        out.push((d, None));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::node::FileId;

    #[test]
    fn default_severities_resolve_per_environment() {
        let d = DefaultSeverity::Protected {
            protected: Severity::Error,
            elsewhere: Some(Severity::Warning),
        };
        assert_eq!(d.resolve(true), Some(Severity::Error));
        assert_eq!(d.resolve(false), Some(Severity::Warning));
        assert_eq!(
            d.describe(),
            "error in protected environments, warning elsewhere"
        );
        let off = DefaultSeverity::Protected {
            protected: Severity::Error,
            elsewhere: None,
        };
        assert_eq!(off.resolve(false), None);
        assert_eq!(
            DefaultSeverity::Always(Severity::Info).resolve(true),
            Some(Severity::Info)
        );
    }

    #[test]
    fn a_single_var_template_points_at_the_var() {
        let files = Files::new();
        let id = files.add(
            "environments/base.yaml".into(),
            "vars:\n  tag: latest\napp:\n  values:\n    image: {repository: r, tag: \"{{ vars.tag }}\"}\n    other: \"x-{{ vars.tag }}\"\n".into(),
        );
        let doc = crate::yaml::load::parse_one(
            &files
                .get(id)
                .map(|f| f.text.to_string())
                .unwrap_or_default(),
            id,
            &crate::yaml::load::Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("empty"));
        let tag = doc
            .get_path("app.values.image.tag")
            .unwrap_or_else(|| panic!("tag"));
        assert_eq!(cause(&doc, &files, tag.pos), Pos::new(FileId(0), 2, 8));
        let other = doc
            .get_path("app.values.other")
            .unwrap_or_else(|| panic!("other"));
        assert_eq!(cause(&doc, &files, other.pos), other.pos);
    }
}
