//! Custom policies: `.rego` files under `policies/` (OPA's Rego, evaluated
//! in-process by regorus, offline), with conftest's conventions.
//!
//! - Rules named `deny`, `violation` (errors) and `warn` (warnings), or
//!   starting with `deny_`, `violation_`, `warn_`, in any package, make
//!   findings. Each element of such a rule is one finding: a message
//!   string, or an object with `msg` and optionally `path`.
//! - Every rendered object (Applications, AppProjects, the root app and
//!   `app.manifests` objects) and every app's Helm values are evaluated,
//!   one at a time, as `input`: the object or the values map itself, so
//!   policies written for conftest (`input.kind == "Deployment"`) work
//!   unchanged. `data.nexus` says what is being looked at: `env`, `app`
//!   (null for environment-level objects), `kind` (`values` or `object`)
//!   and `file` (the file nexus writes, `deploy/...`).
//! - A finding points at the layer line of its `path` (a dotted path into
//!   `input`, `spec.template.spec.containers[0].image` or a JSON pointer),
//!   else at the app's own layer file. Its rule id is `POLICY(<package>)`:
//!   `nexus.yaml` severities and `app.lintIgnore` take `POLICY(<package>)`
//!   or `POLICY` for every policy.
//! - A policy that does not parse ends the run (exit 2) naming its file and
//!   line. An evaluation is bounded: 2 seconds (regorus' timer, and the
//!   watchdog of [`crate::guard`] for what the timer cannot interrupt).
//!
//! Both Rego syntaxes are read: v1 (`deny contains msg if { ... }`, OPA
//! 1.0's default) and, for a file that does not parse as v1, v0
//! (`deny[msg] { ... }`, most conftest policies in the wild).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;
use regorus::Engine;
use regorus::utils::limits::ExecutionTimerConfig;

use crate::error::{Diagnostic, Error, Kind, Severity};
use crate::model::{AppSpec, EnvRender, OutputKind};
use crate::source::{Files, Source, read_text};
use crate::validate::positions::plain_json;
use crate::yaml::node::{FileId, Node, Pos, Value};

/// Where policies live.
pub const DIR: &str = "policies";

/// Wall-clock bound of one evaluation.
const TIME_LIMIT: Duration = Duration::from_secs(2);

/// The loaded policies.
pub struct Policies {
    files: Vec<PolicyFile>,
}

struct PolicyFile {
    rel: String,
    text: String,
    file: FileId,
    /// Parsed with Rego v0 syntax.
    v0: bool,
    /// `kubernetes.security` (without `data.`).
    package: String,
    /// The finding rules it defines, with their severity.
    rules: Vec<(String, Severity)>,
}

pub use crate::config::is_policy_id;

impl Policies {
    /// Load every `.rego` file under `policies/` (`*_test.rego` files, OPA
    /// unit tests, left out); `None` when there are none.
    pub fn load(source: &dyn Source, files: &Files) -> Result<Option<Policies>, Error> {
        let mut paths = Vec::new();
        collect(source, DIR, &mut paths, 0)?;
        if paths.is_empty() {
            return Ok(None);
        }
        let mut loaded = Vec::new();
        let mut problems = Vec::new();
        for rel in paths {
            let Some(text) = read_text(source, &rel)? else {
                continue;
            };
            let file = files.add(rel.clone(), Arc::from(text.as_str()));
            match parse(&rel, &text) {
                Ok((v0, package)) => loaded.push(PolicyFile {
                    rules: finding_rules(&text),
                    rel,
                    text,
                    file,
                    v0,
                    package,
                }),
                Err((message, line, col)) => problems.push(
                    Diagnostic::error(format!("{rel}: the policy does not parse: {message}"))
                        .at(Pos::new(file, line, col))
                        .in_file(rel.as_str())
                        .with_hint("fix the Rego (OPA's syntax, v1 `deny contains msg if {...}` or v0 `deny[msg] {...}`), or move the file out of policies/"),
                ),
            }
        }
        if !problems.is_empty() {
            return Err(Error::many(problems));
        }
        Ok(Some(Policies { files: loaded }))
    }

    /// A fresh engine with every policy loaded (regorus engines are not
    /// shared between threads).
    fn engine(&self) -> Result<Engine, String> {
        let mut engine = Engine::new();
        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: TIME_LIMIT,
            check_interval: NonZeroU32::MIN,
        });
        for f in &self.files {
            engine.set_rego_v0(f.v0);
            engine
                .add_policy(f.rel.clone(), f.text.clone())
                .map_err(|e| format!("{}: {e}", f.rel))?;
        }
        Ok(engine)
    }

    /// Evaluate every policy over every rendered object and every app's
    /// values. Findings carry their default severity (the engine applies
    /// `nexus.yaml` and `lintIgnore`).
    pub fn evaluate(&self, files: &Files, renders: &[EnvRender]) -> Result<Vec<Diagnostic>, Error> {
        let inputs: Vec<Input> = renders.iter().flat_map(inputs).collect();
        let results: Vec<Result<Vec<Diagnostic>, Error>> = inputs
            .par_iter()
            .map_init(
                || self.engine(),
                |engine, input| match engine {
                    Ok(engine) => self.evaluate_one(engine, files, input),
                    Err(e) => Err(Error::input(format!("policies: {e}"))),
                },
            )
            .collect();
        let mut out = Vec::new();
        for r in results {
            out.extend(r?);
        }
        Ok(out)
    }

    fn evaluate_one(
        &self,
        engine: &mut Engine,
        files: &Files,
        input: &Input,
    ) -> Result<Vec<Diagnostic>, Error> {
        let node = input.node();
        engine.set_input(regorus::Value::from(plain_json(node)));
        engine.clear_data();
        let data = serde_json::json!({"nexus": {
            "env": input.env.env.name,
            "app": input.app.map(|a| a.name.clone()),
            "kind": if input.values { "values" } else { "object" },
            "file": input.file,
        }});
        engine
            .add_data(regorus::Value::from(data))
            .map_err(|e| Error::input(format!("policies: {e}")))?;
        let mut out = Vec::new();
        for f in &self.files {
            for (rule, severity) in &f.rules {
                let query = format!("data.{}.{rule}", f.package);
                let _watched = crate::guard::enter_as("policy", || {
                    format!("{} (`{}.{rule}` on {})", f.rel, f.package, input.file)
                });
                let result = engine.eval_rule(query).map_err(|e| {
                    Error::from(
                        Diagnostic::error(format!(
                            "policy `{}.{rule}` failed on {}: {e}",
                            f.package, input.file
                        ))
                        .at(Pos::new(f.file, 1, 1))
                        .in_file(f.rel.as_str())
                        .with_hint("policies must finish quickly and use builtins correctly; fix the rule or move the file out of policies/"),
                    )
                })?;
                for (msg, path) in messages(&result) {
                    out.push(self.finding(files, input, node, &f.package, *severity, msg, path));
                }
            }
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        files: &Files,
        input: &Input,
        node: &Node,
        package: &str,
        severity: Severity,
        msg: String,
        path: Option<String>,
    ) -> Diagnostic {
        let mut d = Diagnostic::new(severity, msg).with_kind(Kind::Policy(package.to_string()));
        d.env = Some(input.env.env.name.clone());
        d.app = input.app.map(|a| a.name.clone());
        let found = path.as_deref().and_then(|p| find(node, p));
        let shown = path.as_deref().map(|p| {
            if input.values {
                format!("app.values.{}", p.trim_start_matches(['/', '.']))
            } else {
                format!("{}:{}", input.file, p.trim_start_matches(['/', '.']))
            }
        });
        if let Some(p) = shown {
            d = d.with_path(p);
        }
        let own_file = || match input.app {
            Some(a) => a.own_file.clone(),
            None => env_file(files, input.env),
        };
        match found {
            Some(n) if !n.pos.is_generated() => {
                let trace = files.trace(n);
                let chart_default = input
                    .app
                    .and_then(|a| a.chart_defaults.as_ref())
                    .is_some_and(|c| c.pos.file == trace.set.file);
                if chart_default {
                    d.file = Some(own_file());
                    d.note_at("the chart's default is set", trace.set)
                } else {
                    d.at_trace(trace)
                }
            }
            _ => {
                d.file = Some(own_file());
                d
            }
        }
    }
}

/// The most specific layer of an environment's own chain that sets
/// anything: where an environment-level finding without a path points.
fn env_file(files: &Files, env: &EnvRender) -> String {
    let used: Vec<String> = env
        .model
        .doc
        .as_map()
        .map(|m| m.iter().map(|(_, e)| files.path(e.key_pos.file)).collect())
        .unwrap_or_default();
    env.env
        .env_chain()
        .into_iter()
        .rev()
        .find(|f| used.contains(f))
        .unwrap_or_else(|| "environments/base.yaml".to_string())
}

/// One thing a policy looks at.
struct Input<'a> {
    env: &'a EnvRender,
    app: Option<&'a AppSpec>,
    /// The app's values (`object` is then unused).
    values: bool,
    object: Option<&'a Node>,
    /// Effective values, owned.
    owned: Option<Node>,
    file: String,
}

impl Input<'_> {
    fn node(&self) -> &Node {
        match (&self.owned, self.object) {
            (Some(n), _) => n,
            (None, Some(n)) => n,
            (None, None) => {
                static EMPTY: std::sync::LazyLock<Node> =
                    std::sync::LazyLock::new(|| Node::map(Pos::GENERATED));
                &EMPTY
            }
        }
    }
}

/// Every rendered object and every app's values of one environment.
fn inputs(r: &EnvRender) -> Vec<Input<'_>> {
    let mut out = Vec::new();
    for o in &r.outputs {
        if o.kind == OutputKind::Values {
            continue;
        }
        out.push(Input {
            env: r,
            app: o
                .app
                .as_deref()
                .and_then(|name| r.apps.iter().find(|a| a.name == name)),
            values: false,
            object: Some(&o.object),
            owned: None,
            file: format!("deploy/{}", o.path),
        });
    }
    for a in &r.apps {
        if a.chart.is_none() {
            continue;
        }
        out.push(Input {
            env: r,
            app: Some(a),
            values: true,
            object: None,
            owned: Some(a.effective_values().into_owned()),
            file: format!("deploy/{}/values/{}.yaml", r.env.name, a.name),
        });
    }
    out
}

/// `.rego` files below `dir`, sorted, tests left out.
fn collect(
    source: &dyn Source,
    dir: &str,
    out: &mut Vec<String>,
    depth: usize,
) -> Result<(), Error> {
    if depth > 16 {
        return Ok(());
    }
    for e in source.list_dir(dir)? {
        let rel = format!("{dir}/{}", e.name);
        if e.is_dir {
            collect(source, &rel, out, depth + 1)?;
        } else if e.name.ends_with(".rego") && !e.name.ends_with("_test.rego") {
            out.push(rel);
        }
    }
    Ok(())
}

/// Parse a policy as Rego v1, else v0: `(v0, package)`, or the error to
/// show with its line and column.
fn parse(rel: &str, text: &str) -> Result<(bool, String), (String, u32, u32)> {
    let try_parse = |v0: bool| {
        let mut e = Engine::new();
        e.set_rego_v0(v0);
        e.add_policy(rel.to_string(), text.to_string())
    };
    let v1_err = match try_parse(false) {
        Ok(pkg) => return Ok((false, package_name(&pkg))),
        Err(e) => e.to_string(),
    };
    let v0_err = match try_parse(true) {
        Ok(pkg) => return Ok((true, package_name(&pkg))),
        Err(e) => e.to_string(),
    };
    // A file that says it is v1 (or uses its keywords) gets the v1 error;
    // one that does not, the v0 error.
    let v1 = text.contains("rego.v1") || text.contains(" if ") || text.contains(" contains ");
    let shown = if v1 { v1_err } else { v0_err };
    let (line, col) = error_position(&shown);
    Err((error_message(&shown), line, col))
}

fn package_name(pkg: &str) -> String {
    pkg.strip_prefix("data.").unwrap_or(pkg).to_string()
}

/// Line and column of a regorus error (`--> file.rego:2:11`).
fn error_position(err: &str) -> (u32, u32) {
    err.lines()
        .find_map(|l| {
            let at = l.trim().strip_prefix("--> ")?;
            let mut parts = at.rsplitn(3, ':');
            let col = parts.next()?.trim().parse().ok()?;
            let line = parts.next()?.trim().parse().ok()?;
            Some((line, col))
        })
        .unwrap_or((1, 1))
}

/// The `error: ...` line of a regorus error, else its first line.
fn error_message(err: &str) -> String {
    err.lines()
        .find_map(|l| l.trim().strip_prefix("error: ").map(str::to_string))
        .or_else(|| {
            err.lines()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string())
        })
        .unwrap_or_else(|| "syntax error".to_string())
}

/// The finding rules a policy defines: heads at the start of a line named
/// `deny`, `warn`, `violation` or `deny_...`, `warn_...`, `violation_...`.
fn finding_rules(text: &str) -> Vec<(String, Severity)> {
    let mut out: Vec<(String, Severity)> = Vec::new();
    for line in text.lines() {
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let severity = match name.split('_').next() {
            Some("deny" | "violation") => Severity::Error,
            Some("warn") => Severity::Warning,
            _ => continue,
        };
        let rest = line[name.len()..].trim_start();
        let head = rest.starts_with(['[', '{', ':', '='])
            || rest.starts_with("contains ")
            || rest.starts_with("if ")
            || rest.starts_with("if{");
        if head && !out.iter().any(|(n, _)| *n == name) {
            out.push((name, severity));
        }
    }
    out
}

/// The findings in a rule's value: each element of a set or array, a
/// string or an object with `msg` (and `path`).
fn messages(v: &regorus::Value) -> Vec<(String, Option<String>)> {
    let items: Vec<regorus::Value> = match v {
        regorus::Value::Set(s) => s.iter().cloned().collect(),
        regorus::Value::Array(a) => a.iter().cloned().collect(),
        regorus::Value::String(_) | regorus::Value::Object(_) => vec![v.clone()],
        _ => Vec::new(),
    };
    items
        .iter()
        .filter_map(|item| match item {
            regorus::Value::String(s) => Some((s.to_string(), None)),
            regorus::Value::Object(o) => {
                let get = |k: &str| o.get(&regorus::Value::from(k));
                let msg = match get("msg") {
                    Some(regorus::Value::String(s)) => s.to_string(),
                    Some(other) => other.to_json_str().ok()?,
                    None => return None,
                };
                let path = match get("path") {
                    Some(regorus::Value::String(s)) => Some(s.to_string()),
                    Some(regorus::Value::Array(parts)) => Some(
                        parts
                            .iter()
                            .map(|p| match p {
                                regorus::Value::String(s) => s.to_string(),
                                other => other.to_json_str().unwrap_or_default(),
                            })
                            .collect::<Vec<_>>()
                            .join("."),
                    ),
                    _ => None,
                };
                Some((msg, path))
            }
            _ => None,
        })
        .collect()
}

/// The node at `path` below `root`: dotted (`spec.containers.0.image`),
/// with brackets (`spec.containers[0].image`, `metadata.labels["app"]`) or
/// a JSON pointer (`/spec/containers/0/image`).
fn find<'n>(root: &'n Node, path: &str) -> Option<&'n Node> {
    let segments: Vec<String> = if let Some(p) = path.strip_prefix('/') {
        p.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect()
    } else {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut chars = path.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '.' => out.push(std::mem::take(&mut cur)),
                '[' => {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    let mut inner = String::new();
                    for c in chars.by_ref() {
                        if c == ']' {
                            break;
                        }
                        inner.push(c);
                    }
                    out.push(inner.trim_matches(['"', '\'']).to_string());
                    if chars.peek() == Some(&'.') {
                        chars.next();
                    }
                }
                c => cur.push(c),
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    };
    let mut node = root;
    for seg in segments.iter().filter(|s| !s.is_empty()) {
        node = match &node.value {
            Value::Map(m) => &m.get(seg)?.node,
            Value::Seq(items) => items.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load::{Limits, parse_one};

    #[test]
    fn rule_heads_and_ids() {
        let text = "package k8s\nimport rego.v1\n\ndeny contains msg if {\n  msg := \"x\"\n}\nwarn_labels contains {\"msg\": \"y\"} if { true }\nviolation[r] { r := 1 }\nhelper := 3\ndeny_x[msg] {\n msg := \"z\"\n}\n  deny_indented := 1\n";
        let rules = finding_rules(text);
        assert_eq!(
            rules,
            vec![
                ("deny".to_string(), Severity::Error),
                ("warn_labels".to_string(), Severity::Warning),
                ("violation".to_string(), Severity::Error),
                ("deny_x".to_string(), Severity::Error),
            ]
        );
        assert!(is_policy_id("POLICY"));
        assert!(is_policy_id("POLICY(kubernetes.labels)"));
        assert!(!is_policy_id("POLICY()"));
        assert!(!is_policy_id("NX101"));
    }

    #[test]
    fn both_syntaxes_parse_and_errors_have_lines() {
        assert_eq!(
            parse("a.rego", "package main\ndeny[msg] {\n  msg := \"x\"\n}\n"),
            Ok((true, "main".to_string()))
        );
        assert_eq!(
            parse(
                "b.rego",
                "package a.b\ndeny contains msg if { msg := \"x\" }\n"
            ),
            Ok((false, "a.b".to_string()))
        );
        let Err((msg, line, _)) = parse(
            "c.rego",
            "package main\n\ndeny[msg] {\n  input.kind == \n}\n",
        ) else {
            panic!("should not parse")
        };
        assert!(line >= 3, "{msg} at {line}");
        let Err((_, line, _)) = parse(
            "d.rego",
            "package main\nimport rego.v1\ndeny contains msg if {\n  msg := \n}\n",
        ) else {
            panic!("should not parse")
        };
        assert!(line >= 4);
    }

    #[test]
    fn paths_in_every_spelling() {
        let doc = parse_one(
            "spec:\n  containers:\n    - name: a\n      image: x:1\nmetadata:\n  labels: {app.kubernetes.io/name: web}\n",
            FileId(0),
            &Limits::default(),
        )
        .unwrap()
        .unwrap();
        for p in [
            "spec.containers.0.image",
            "spec.containers[0].image",
            "/spec/containers/0/image",
        ] {
            assert_eq!(find(&doc, p).and_then(Node::as_str), Some("x:1"), "{p}");
        }
        assert_eq!(
            find(&doc, "metadata.labels[\"app.kubernetes.io/name\"]").and_then(Node::as_str),
            Some("web")
        );
        assert!(find(&doc, "spec.nope").is_none());
    }
}
