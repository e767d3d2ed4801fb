//! Policy lint (README: Lint): the rules that stop a bad change before it is
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

pub mod glob;
pub mod jq;
pub mod policy;
pub mod registry;
pub mod rules;
pub mod workload;

use std::collections::{BTreeSet, HashMap};

use rayon::prelude::*;

use crate::config::Config;
use crate::error::{Diagnostic, Error, Kind, Severity, did_you_mean};
use crate::model::{AppSpec, EnvRender};
use crate::source::Files;
use crate::yaml::node::{Node, Pos, Trace};

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
    /// The values the chart gets: the layers over the chart's own
    /// `values.yaml` for a chart in this repository
    /// ([`AppSpec::effective_values`]).
    pub values: &'a Node,
    pub protected: bool,
    pub config: &'a Config,
    pub files: &'a Files,
    /// Other rendered environments managed by the same ArgoCD
    /// (`argocd.instance`): their AppProjects exist for this one too.
    pub peers: &'a [&'a EnvRender],
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

/// Where a finding points: a position (and the template the value came
/// through), or a file when no line is known, plus an optional note
/// pointing at a related place.
#[derive(Clone, Debug, Default)]
pub struct Where {
    pub pos: Option<Pos>,
    /// The template string a value templated from one var went through.
    pub via: Option<Pos>,
    pub file: Option<String>,
    pub related: Option<(String, Pos)>,
}

/// Build a finding (kind and severity are decided later by the engine).
pub fn finding(message: impl Into<String>, path: impl Into<String>, at: Where) -> Diagnostic {
    let mut d = Diagnostic::error(message).with_path(path);
    match at.pos {
        Some(pos) => {
            d = d.at_trace(Trace {
                set: pos,
                via: at.via,
            })
        }
        None => d.file = at.file,
    }
    if let Some((label, pos)) = at.related {
        d = d.note_at(label, pos);
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
        self.out
            .push((d.with_kind(Kind::Lint(self.rule.code)), None));
    }

    /// Report a finding whose default severity differs from the rule's
    /// (NX006: a missing hook delete policy is only a warning), where the
    /// rule is on by default.
    pub fn push_with_default(&mut self, d: Diagnostic, default: Severity) {
        self.out
            .push((d.with_kind(Kind::Lint(self.rule.code)), Some(default)));
    }
}

impl AppCx<'_> {
    pub fn env_name(&self) -> &str {
        &self.env.env.name
    }

    /// The Helm values the chart gets (see [`AppCx::values`]).
    pub fn values(&self) -> &Node {
        self.values
    }

    /// Where a value was set (for a value templated from one var: the
    /// var, and the template it went through), or the app's own layer file
    /// when nexus made the value up. A chart default is fixed in a layer:
    /// the finding names the app's own layer file, with a note at the
    /// default.
    pub fn at(&self, node: &Node) -> Where {
        let trace = self.files.trace(node);
        if trace.set.is_generated() {
            self.own_file()
        } else if self.is_chart_default(trace.set) {
            Where {
                related: Some(("the chart's default is set".to_string(), trace.set)),
                ..self.own_file()
            }
        } else {
            Where {
                pos: Some(trace.set),
                via: trace.via,
                ..Where::default()
            }
        }
    }

    /// Is `pos` in the chart's own `values.yaml` (not in a layer)?
    fn is_chart_default(&self, pos: Pos) -> bool {
        self.app
            .chart_defaults
            .as_ref()
            .is_some_and(|d| d.pos.file == pos.file)
    }

    /// A position known without its node (a map key).
    pub fn at_pos(&self, pos: Pos) -> Where {
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
        fn walk<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
            out.push(n);
            match &n.value {
                crate::yaml::node::Value::Map(m) => m.values().for_each(|e| walk(&e.node, out)),
                crate::yaml::node::Value::Seq(s) => s.iter().for_each(|c| walk(c, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        walk(node, &mut all);
        let rank = |n: &Node| {
            let path = self.files.path(n.pos.file);
            self.app.layers.iter().position(|l| *l == path)
        };
        let best = all.into_iter().filter(|n| !n.pos.is_generated()).fold(
            None::<(Option<usize>, &Node)>,
            |acc, n| {
                let r = rank(n);
                match acc {
                    Some((br, _)) if br >= r => acc,
                    _ => Some((r, n)),
                }
            },
        );
        self.at(best.map_or(node, |(_, n)| n))
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
/// reported for them. `policies` (from `policies/`) run over the linted
/// environments; one that fails to evaluate ends the run.
pub fn run(
    files: &Files,
    config: &Config,
    renders: &[EnvRender],
    context: &[EnvRender],
    policies: Option<&policy::Policies>,
) -> Result<LintOutput, Error> {
    let jobs: Vec<(&EnvRender, &AppSpec)> = renders
        .iter()
        .flat_map(|r| r.apps.iter().map(move |a| (r, a)))
        .collect();
    let peers = instance_peers(renders, context);
    let _progress = crate::progress::Phase::start("linting", 0, jobs.len(), "apps");
    let app_results: Vec<Vec<(Diagnostic, Option<Severity>)>> = jobs
        .par_iter()
        .map(|(r, app)| {
            let values = app.effective_values();
            let cx = AppCx {
                env: r,
                app,
                values: &values,
                protected: config.is_protected(&r.env.name),
                config,
                files,
                peers: peers.get(r.env.name.as_str()).map_or(&[], Vec::as_slice),
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
            crate::progress::done();
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
    if let Some(p) = policies {
        raw.extend(p.evaluate(files, renders)?.into_iter().map(|d| {
            let default = d.severity;
            (d, Some(default))
        }));
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
        // The ids `nexus.yaml` and `lintIgnore` know the finding by: its
        // rule (`NX101`), or for a policy `POLICY(<package>)` and `POLICY`.
        let (ids, default): (Vec<String>, Option<Severity>) = match &d.kind {
            Kind::Lint(code) => {
                let Some(rule) = registry::rule(code) else {
                    continue;
                };
                // A finding's own default (a warning for a weaker case)
                // applies where the rule is on.
                let default = rule
                    .default
                    .resolve(config.is_protected(&env))
                    .map(|d| fixed.unwrap_or(d));
                (vec![rule.code.to_string()], default)
            }
            Kind::Policy(pkg) => (vec![format!("POLICY({pkg})"), "POLICY".to_string()], fixed),
            _ => continue,
        };
        let severity = match ids.iter().find_map(|id| config.severity(id, &env)) {
            Some(overridden) => overridden,
            None => default,
        };
        let Some(severity) = severity else { continue };
        d.severity = severity;
        // One finding per value and problem: a pod-level `runAsUser: 0`
        // shared by three containers is one thing to fix. A policy's
        // messages are its own: each is kept.
        let key = (
            env.clone(),
            d.app.clone(),
            ids[0].clone(),
            matches!(d.kind, Kind::Policy(_)).then(|| d.message.clone()),
            d.pos(),
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
                        .find(|(r, reason, _)| ids.contains(r) && !reason.trim().is_empty())
                })
                .map(|(_, reason, _)| reason.clone())
        });
        match reason {
            Some(reason) => out.suppressed.push((d, reason)),
            None => out.findings.push(d),
        }
    }
    Ok(out)
}

/// For each environment, the other rendered environments that name the
/// same ArgoCD instance.
fn instance_peers<'a>(
    renders: &'a [EnvRender],
    context: &'a [EnvRender],
) -> HashMap<&'a str, Vec<&'a EnvRender>> {
    let all: Vec<&EnvRender> = renders.iter().chain(context).collect();
    let mut out: HashMap<&str, Vec<&EnvRender>> = HashMap::new();
    for r in &all {
        let instance = r.model.argocd.instance_of(&r.env.name);
        let peers = all
            .iter()
            .filter(|o| {
                o.env.name != r.env.name && o.model.argocd.instance_of(&o.env.name) == instance
            })
            .copied()
            .collect();
        out.insert(&r.env.name, peers);
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
        let d = if registry::rule(code).is_none() && !policy::is_policy_id(code) {
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
                    "rule ids are NX000..NX011, NX101..NX109 and POLICY(<package>) for a policy; `nexus lint --explain NXnnn` describes one",
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
        let mut d = d.with_kind(Kind::Lint("NX000"));
        d.env = Some(env.to_string());
        d.app = Some(app.name.clone());
        out.push((d, None));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
