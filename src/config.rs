//! `nexus.yaml`: repository settings (README: Lint): protected environments,
//! lint rule severities per environment, required labels and parity pairs.
//!
//! The file is optional. It is read with positions, checked by hand first
//! (unknown keys, rule ids, severities and environment names get a "did
//! you mean" hint) and then against the shipped `schemas/nexus.schema.json`,
//! so the editor schema and nexus agree. Any problem is fatal (exit 2):
//! a typo here would otherwise silently weaken the policy.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::discover::Discovery;
use crate::error::{Diagnostic, Error, Severity, did_you_mean};
use crate::source::{Files, Source, read_text};
use crate::yaml::load::{self, Limits};
use crate::yaml::node::{Node, Pos, Value};

pub const FILE: &str = "nexus.yaml";

/// The schema of `nexus.yaml`, shipped in the binary.
pub const SCHEMA: &str = include_str!("../schemas/nexus.schema.json");

/// A severity from `nexus.yaml` for one rule, maybe limited to some
/// environments (groups included).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSetting {
    /// `None` is `off`.
    pub severity: Option<Severity>,
    /// `None`: every environment.
    pub envs: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// Environments or groups where the stricter defaults apply.
    pub protected_envs: Vec<String>,
    pub rules: BTreeMap<String, RuleSetting>,
    pub required_labels: Vec<String>,
    /// Pairs as written (environments or groups).
    pub parity: Vec<(String, String)>,
    /// `promote.paths`: what `nexus promote` moves (user paths such as
    /// `values.image.tag`); empty: the default.
    pub promote_paths: Vec<String>,
    /// `lint.kubernetesVersion`: the cluster version NX109 checks API
    /// versions against, as (major, minor).
    pub kubernetes_version: Option<(u32, u32)>,
    pub max_file_size: Option<u64>,
    /// Every environment of the repository, to expand groups.
    envs: Vec<String>,
}

/// `"1.31"`, `"v1.31"`, `"1.31.2"` as (1, 31).
pub fn kubernetes_version(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut parts = s.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    match parts.next() {
        None => {}
        Some(patch) if patch.parse::<u32>().is_ok() && parts.next().is_none() => {}
        Some(_) => return None,
    }
    Some((major, minor))
}

/// Does `name` (an environment or a group) cover `env`?
pub fn covers(name: &str, env: &str) -> bool {
    let name = name.trim_end_matches('/');
    env == name || env.strip_prefix(name).is_some_and(|r| r.starts_with('/'))
}

impl Config {
    /// A configuration with nothing set, for repositories without `nexus.yaml`.
    pub fn empty(discovery: &Discovery) -> Config {
        Config {
            envs: discovery.envs.iter().map(|e| e.name.clone()).collect(),
            ..Config::default()
        }
    }

    pub fn is_protected(&self, env: &str) -> bool {
        self.protected_envs.iter().any(|p| covers(p, env))
    }

    /// The configured severity of `rule` in `env`: `None` when `nexus.yaml`
    /// says nothing for this environment, `Some(None)` when it is off.
    pub fn severity(&self, rule: &str, env: &str) -> Option<Option<Severity>> {
        let s = self.rules.get(rule)?;
        match &s.envs {
            Some(list) if !list.iter().any(|e| covers(e, env)) => None,
            _ => Some(s.severity),
        }
    }

    /// Parity pairs with groups expanded to their environments.
    pub fn parity_pairs(&self) -> Vec<(String, String)> {
        let expand = |n: &str| -> Vec<String> {
            self.envs.iter().filter(|e| covers(n, e)).cloned().collect()
        };
        let mut out = Vec::new();
        for (a, b) in &self.parity {
            for x in expand(a) {
                for y in expand(b) {
                    if x != y && !out.contains(&(x.clone(), y.clone())) {
                        out.push((x.clone(), y.clone()));
                    }
                }
            }
        }
        out
    }

    /// Environments that cross-environment rules compare `selected` with.
    pub fn partners(&self, selected: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for (a, b) in self.parity_pairs() {
            for (x, y) in [(&a, &b), (&b, &a)] {
                if selected.contains(x) && !selected.contains(y) && !out.contains(y) {
                    out.push(y.clone());
                }
            }
        }
        out.sort();
        out
    }

    /// Read `nexus.yaml` from the repository (an empty configuration when
    /// there is none). `rules` are the known rule ids.
    pub fn load(
        source: &dyn Source,
        files: &Files,
        discovery: &Discovery,
        rules: &[&str],
    ) -> Result<Config, Error> {
        let Some(text) = read_text(source, FILE)? else {
            return Ok(Config::empty(discovery));
        };
        let text: Arc<str> = Arc::from(text);
        let id = files.add(FILE.to_string(), text.clone());
        let root = load::parse_one(&text, id, &Limits::default()).map_err(|e| {
            Error::from(
                Diagnostic::error(format!("{FILE}: {}", e.message)).at(Pos::new(
                    id,
                    e.line.max(1),
                    e.col.max(1),
                )),
            )
        })?;
        let root = root.unwrap_or_else(|| Node::map(Pos::new(id, 1, 1)));
        parse(&root, discovery, rules, id)
    }
}

struct Ctx<'a> {
    errs: Vec<Diagnostic>,
    names: Vec<&'a str>,
    rules: &'a [&'a str],
    file_pos: Pos,
}

impl Ctx<'_> {
    fn err(&mut self, msg: String, pos: Pos, hint: Option<String>) {
        let pos = if pos.is_generated() {
            self.file_pos
        } else {
            pos
        };
        let mut d = Diagnostic::error(format!("{FILE}: {msg}")).at(pos);
        if let Some(h) = hint {
            d = d.with_hint(h);
        }
        self.errs.push(d);
    }

    fn env_name(&mut self, n: &Node, what: &str) -> Option<String> {
        let Some(s) = n.as_str() else {
            self.err(
                format!("{what} must be an environment name, got {}", n.type_name()),
                n.pos,
                None,
            );
            return None;
        };
        let s = s.trim_end_matches('/');
        if !self.names.contains(&s) {
            let hint = match did_you_mean(s, self.names.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("environments and groups here: {}", self.names.join(", ")),
            };
            self.err(
                format!("{what} names `{s}`, which is not an environment or group"),
                n.pos,
                Some(hint),
            );
            return None;
        }
        Some(s.to_string())
    }

    fn env_list(&mut self, n: &Node, what: &str) -> Vec<String> {
        let Some(items) = n.as_seq() else {
            self.err(
                format!(
                    "{what} must be a list of environment names, got {}",
                    n.type_name()
                ),
                n.pos,
                Some(format!("write `{what}: [prod]`")),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|i| self.env_name(i, what))
            .collect()
    }

    fn severity(&mut self, n: &Node, rule: &str) -> Option<Option<Severity>> {
        let raw = match &n.value {
            // YAML 1.1 reads a bare `off` as false.
            Value::Bool(false) => return Some(None),
            Value::Str(s) => s.as_str(),
            _ => {
                self.err(
                    format!(
                        "the severity of `{rule}` must be error, warning, info or off, got {}",
                        n.type_name()
                    ),
                    n.pos,
                    None,
                );
                return None;
            }
        };
        if raw == "off" {
            return Some(None);
        }
        match Severity::parse(raw) {
            Some(s) if raw != "warn" => Some(Some(s)),
            _ => {
                let hint = did_you_mean(raw, ["error", "warning", "info", "off"])
                    .map(|m| format!("did you mean `{m}`?"))
                    .unwrap_or_else(|| "use error, warning, info or off".into());
                self.err(
                    format!("`{raw}` is not a severity (rule `{rule}`)"),
                    n.pos,
                    Some(hint),
                );
                None
            }
        }
    }
}

fn unknown_key(cx: &mut Ctx, key: &str, pos: Pos, known: &[&str], where_: &str) {
    let hint = match did_you_mean(key, known.iter().copied()) {
        Some(m) => format!("did you mean `{m}`?"),
        None => format!("known keys {where_}: {}", known.join(", ")),
    };
    cx.err(format!("unknown key `{key}` {where_}"), pos, Some(hint));
}

fn parse(
    root: &Node,
    discovery: &Discovery,
    rules: &[&str],
    id: crate::yaml::node::FileId,
) -> Result<Config, Error> {
    let names: Vec<&str> = discovery
        .envs
        .iter()
        .map(|e| e.name.as_str())
        .chain(discovery.groups.iter().map(String::as_str))
        .collect();
    let mut cx = Ctx {
        errs: Vec::new(),
        names,
        rules,
        file_pos: Pos::new(id, 1, 1),
    };
    let mut cfg = Config::empty(discovery);
    let Some(map) = root.as_map() else {
        cx.err(
            format!(
                "the file must be a map of settings, got {}",
                root.type_name()
            ),
            root.pos,
            None,
        );
        return Err(Error::many(cx.errs));
    };
    const TOP: &[&str] = &["protectedEnvs", "lint", "maxFileSize", "promote"];
    const LINT: &[&str] = &["rules", "requiredLabels", "parity", "kubernetesVersion"];
    for (k, e) in map {
        match k.as_str() {
            "protectedEnvs" => cfg.protected_envs = cx.env_list(&e.node, "protectedEnvs"),
            "maxFileSize" => match e.node.as_i64() {
                Some(n) if n > 0 => cfg.max_file_size = Some(n as u64),
                _ => cx.err(
                    "`maxFileSize` must be a positive number of bytes".into(),
                    e.node.pos,
                    None,
                ),
            },
            "lint" => {
                let Some(lint) = e.node.as_map() else {
                    if !e.node.is_null() {
                        cx.err(
                            format!("`lint` must be a map, got {}", e.node.type_name()),
                            e.node.pos,
                            None,
                        );
                    }
                    continue;
                };
                for (lk, le) in lint {
                    match lk.as_str() {
                        "rules" => parse_rules(&mut cx, &le.node, &mut cfg),
                        "requiredLabels" => match le.node.as_seq() {
                            Some(items) => {
                                for i in items {
                                    match i.as_str() {
                                        Some(s) if !s.trim().is_empty() => {
                                            cfg.required_labels.push(s.to_string())
                                        }
                                        _ => cx.err(
                                            "`lint.requiredLabels` entries must be label names"
                                                .into(),
                                            i.pos,
                                            None,
                                        ),
                                    }
                                }
                            }
                            None => cx.err(
                                format!(
                                    "`lint.requiredLabels` must be a list of label names, got {}",
                                    le.node.type_name()
                                ),
                                le.node.pos,
                                Some("write `requiredLabels: [team]`".into()),
                            ),
                        },
                        "parity" => match le.node.as_seq() {
                            Some(items) => {
                                for pair in items {
                                    match pair.as_seq() {
                                        Some([a, b]) => {
                                            let a = cx.env_name(a, "lint.parity");
                                            let b = cx.env_name(b, "lint.parity");
                                            if let (Some(a), Some(b)) = (a, b) {
                                                cfg.parity.push((a, b));
                                            }
                                        }
                                        _ => cx.err(
                                            "each `lint.parity` entry must be a pair of environments".into(),
                                            pair.pos,
                                            Some("write `parity: [[stage, prod]]`".into()),
                                        ),
                                    }
                                }
                            }
                            None => cx.err(
                                format!(
                                    "`lint.parity` must be a list of environment pairs, got {}",
                                    le.node.type_name()
                                ),
                                le.node.pos,
                                Some("write `parity: [[stage, prod]]`".into()),
                            ),
                        },
                        "kubernetesVersion" => match le.node.as_str().and_then(kubernetes_version) {
                            Some(v) => cfg.kubernetes_version = Some(v),
                            None => cx.err(
                                match &le.node.value {
                                    Value::Float(_) | Value::Int(_) => format!(
                                        "`lint.kubernetesVersion` must be a quoted version: YAML reads `{}` as a number (`1.30` would be 1.3)",
                                        crate::yaml::emit::to_string(&le.node).trim_end()
                                    ),
                                    _ => "`lint.kubernetesVersion` must be a Kubernetes version like \"1.31\"".into(),
                                },
                                le.node.pos,
                                Some("write `kubernetesVersion: \"1.31\"` (quoted)".into()),
                            ),
                        },
                        other => unknown_key(&mut cx, other, le.key_pos, LINT, "under `lint`"),
                    }
                }
            }
            "promote" => parse_promote(&mut cx, &e.node, &mut cfg),
            other => unknown_key(&mut cx, other, e.key_pos, TOP, "in nexus.yaml"),
        }
    }
    if cx.errs.is_empty() {
        schema_check(&mut cx, root);
    }
    if cx.errs.is_empty() {
        Ok(cfg)
    } else {
        Err(Error::many(cx.errs))
    }
}

/// `promote: {paths: [values.image.tag, ...]}`.
fn parse_promote(cx: &mut Ctx, node: &Node, cfg: &mut Config) {
    let Some(m) = node.as_map() else {
        if !node.is_null() {
            cx.err(
                format!("`promote` must be a map, got {}", node.type_name()),
                node.pos,
                Some("write `promote: {paths: [values.image.tag]}`".into()),
            );
        }
        return;
    };
    for (k, e) in m {
        match k.as_str() {
            "paths" => match e.node.as_seq() {
                Some(items) => {
                    for i in items {
                        match i.as_str().map(|s| (s, crate::paths::parse(s))) {
                            Some((s, Ok(_))) => cfg.promote_paths.push(s.to_string()),
                            Some((_, Err(why))) => cx.err(
                                format!("`promote.paths`: {why}"),
                                i.pos,
                                Some("write paths like `values.image.tag`; a key with dots in brackets: `values.annotations[\"a.b/c\"]`".into()),
                            ),
                            None => cx.err(
                                "`promote.paths` entries must be paths like `values.image.tag`".into(),
                                i.pos,
                                None,
                            ),
                        }
                    }
                }
                None => cx.err(
                    format!(
                        "`promote.paths` must be a list of paths, got {}",
                        e.node.type_name()
                    ),
                    e.node.pos,
                    Some("write `paths: [values.image.tag, values.image.digest]`".into()),
                ),
            },
            other => unknown_key(cx, other, e.key_pos, &["paths"], "under `promote`"),
        }
    }
}

fn parse_rules(cx: &mut Ctx, node: &Node, cfg: &mut Config) {
    let Some(m) = node.as_map() else {
        if !node.is_null() {
            cx.err(
                format!(
                    "`lint.rules` must be a map of rule id to severity, got {}",
                    node.type_name()
                ),
                node.pos,
                None,
            );
        }
        return;
    };
    for (rule, e) in m {
        if !cx.rules.contains(&rule.as_str()) && !is_policy_id(rule) {
            let hint = match did_you_mean(rule, cx.rules.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "`nexus lint --explain NXnnn` describes a rule; ids are NX000..NX011, NX101..NX109, and `POLICY(<package>)` or `POLICY` for custom policies".into(),
            };
            cx.err(format!("unknown lint rule `{rule}`"), e.key_pos, Some(hint));
            continue;
        }
        let setting = match &e.node.value {
            Value::Map(sm) => {
                let mut severity = None;
                let mut envs = None;
                for (k, v) in sm.iter() {
                    match k.as_str() {
                        "severity" => severity = cx.severity(&v.node, rule),
                        "envs" => {
                            envs = Some(cx.env_list(&v.node, &format!("lint.rules.{rule}.envs")))
                        }
                        other => unknown_key(
                            cx,
                            other,
                            v.key_pos,
                            &["severity", "envs"],
                            &format!("under `lint.rules.{rule}`"),
                        ),
                    }
                }
                let Some(severity) = severity else {
                    if !sm.contains_key("severity") {
                        cx.err(
                            format!("`lint.rules.{rule}` needs a `severity`"),
                            e.node.pos,
                            Some(format!("write `{rule}: {{severity: error, envs: [prod]}}`")),
                        );
                    }
                    continue;
                };
                RuleSetting { severity, envs }
            }
            _ => match cx.severity(&e.node, rule) {
                Some(severity) => RuleSetting {
                    severity,
                    envs: None,
                },
                None => continue,
            },
        };
        cfg.rules.insert(rule.clone(), setting);
    }
}

/// The document as JSON for schema validation (`off` read as `false` by
/// YAML 1.1 turned back into `"off"`).
fn to_json(node: &Node, path: &[&str]) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(false) if path.len() >= 3 && path[0] == "lint" && path[1] == "rules" => {
            Json::String("off".into())
        }
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(|i| to_json(i, path)).collect()),
        Value::Map(m) => Json::Object(
            m.iter()
                .map(|(k, e)| {
                    let mut p = path.to_vec();
                    p.push(k);
                    (k.clone(), to_json(&e.node, &p))
                })
                .collect(),
        ),
    }
}

fn schema_check(cx: &mut Ctx, root: &Node) {
    let Ok(schema) = serde_json::from_str::<Json>(SCHEMA) else {
        return;
    };
    let Ok(validator) = jsonschema::validator_for(&schema) else {
        return;
    };
    let instance = to_json(root, &[]);
    let mut problems: Vec<(String, Pos)> = validator
        .iter_errors(&instance)
        .map(|e| {
            let pointer = e.instance_path().as_str().to_string();
            let mut node = root;
            for seg in pointer.split('/').skip(1) {
                let seg = seg.replace("~1", "/").replace("~0", "~");
                let next = match &node.value {
                    Value::Map(m) => m.get(&seg).map(|e| &e.node),
                    Value::Seq(s) => seg.parse::<usize>().ok().and_then(|i| s.get(i)),
                    _ => None,
                };
                match next {
                    Some(n) => node = n,
                    None => break,
                }
            }
            let at = if pointer.is_empty() { "" } else { &pointer };
            (
                format!("does not match schemas/nexus.schema.json at `{at}`: {e}"),
                node.pos,
            )
        })
        .collect();
    problems.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    for (msg, pos) in problems {
        cx.err(msg, pos, None);
    }
}

/// Is `id` a policy rule id `nexus.yaml` and `lintIgnore` accept:
/// `POLICY`, or `POLICY(<package>)`?
pub fn is_policy_id(id: &str) -> bool {
    id == "POLICY"
        || id
            .strip_prefix("POLICY(")
            .and_then(|r| r.strip_suffix(')'))
            .is_some_and(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::EnvInfo;
    use crate::yaml::node::FileId;

    fn disc() -> Discovery {
        let env = |n: &str| EnvInfo {
            name: n.into(),
            levels: vec![],
            apps: vec![],
        };
        Discovery {
            envs: vec![env("stage"), env("prod/kr"), env("prod/us")],
            groups: vec!["prod".into()],
        }
    }

    fn load(text: &str) -> Result<Config, Error> {
        let root = load::parse_one(text, FileId(0), &Limits::default())
            .unwrap()
            .expect("empty");
        parse(&root, &disc(), &["NX002", "NX107", "NX103"], FileId(0))
    }

    /// The first diagnostic of a config nexus must refuse.
    fn refused(text: &str) -> crate::error::Diagnostic {
        match load(text) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e.diagnostics.into_iter().next().expect("no diagnostic"),
        }
    }

    #[test]
    fn settings_apply_per_environment_and_group() {
        let c = load("protectedEnvs: [prod]\nlint:\n  rules:\n    NX002: {severity: error, envs: [prod]}\n    NX107: off\n  requiredLabels: [team]\n  parity: [[stage, prod]]\n")
            .unwrap();
        assert!(c.is_protected("prod/kr"));
        assert!(!c.is_protected("stage"));
        assert!(!covers("prod", "production"));
        assert_eq!(c.severity("NX002", "prod/us"), Some(Some(Severity::Error)));
        assert_eq!(c.severity("NX002", "stage"), None);
        assert_eq!(c.severity("NX107", "stage"), Some(None));
        assert_eq!(c.severity("NX103", "stage"), None);
        assert_eq!(
            c.parity_pairs(),
            vec![
                ("stage".to_string(), "prod/kr".to_string()),
                ("stage".to_string(), "prod/us".to_string())
            ]
        );
        assert_eq!(
            c.partners(&["stage".to_string()]),
            vec!["prod/kr".to_string(), "prod/us".to_string()]
        );
    }

    #[test]
    fn typos_are_errors_with_hints() {
        let e = refused("protectedEnv: [prod]\n");
        assert_eq!(e.hint.as_deref(), Some("did you mean `protectedEnvs`?"));
        let e = refused("lint:\n  rules:\n    NX10: off\n");
        assert!(
            e.message.contains("unknown lint rule `NX10`"),
            "{}",
            e.message
        );
        let e = refused("lint:\n  rules:\n    NX002: eror\n");
        assert_eq!(e.hint.as_deref(), Some("did you mean `error`?"));
        let e = refused("protectedEnvs: [prdo]\n");
        assert_eq!(e.hint.as_deref(), Some("did you mean `prod`?"));
        let e = refused("protectedEnvs: [prod, prod]\n");
        assert!(
            e.message.contains("schemas/nexus.schema.json"),
            "{}",
            e.message
        );
    }
}
