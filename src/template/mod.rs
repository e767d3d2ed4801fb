//! Templating of merged layers with minijinja (README: Templating).
//!
//! Every string leaf of `vars`, `argocd`, `projects` and `app` that holds a
//! nexus expression is rendered ([`classify`] decides: other people's
//! template text, Helm's or Prometheus', is kept verbatim). A string that
//! is exactly one expression (`"{{ vars.replicas }}"`) keeps the
//! expression's type. Undefined values are errors (strict mode) that name
//! the file and line of the string. Templates cannot read files or the
//! environment (no loader is set, no such functions exist) and run on a
//! fuel budget, so a runaway loop ends in an error instead of a hang.
//! Nodes tagged `!literal` are never rendered.

pub mod classify;

use minijinja::value::{Value as JValue, ValueKind};
use minijinja::{Environment, ErrorKind, UndefinedBehavior};

use crate::discover::EnvInfo;
use crate::error::{Diagnostic, Error, Kind};
use crate::source::Files;
use crate::yaml::node::{Entry, Map, Node, Pos, Value, Via};

/// Instructions one string may execute before it is stopped.
pub const FUEL: u64 = 50_000;
/// Nesting of macro calls and includes.
const RECURSION_LIMIT: usize = 64;
/// Longest string a template may produce.
pub const MAX_OUTPUT: usize = 1024 * 1024;

/// A configured minijinja environment, shared by every thread.
pub struct Templater {
    env: Environment<'static>,
    /// The run's file table, to name a runaway template's file.
    files: Option<Files>,
}

/// A sink for template output that refuses to grow past [`MAX_OUTPUT`],
/// so a loop that prints stops when the limit is reached rather than after.
struct CappedOutput(Vec<u8>);

impl std::io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len().saturating_add(buf.len()) > MAX_OUTPUT {
            return Err(std::io::Error::other("template output limit reached"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Render a compiled template into a string of at most [`MAX_OUTPUT`] bytes.
pub fn render_capped(
    tmpl: &minijinja::Template<'_, '_>,
    ctx: &JValue,
) -> Result<String, minijinja::Error> {
    let mut out = CappedOutput(Vec::new());
    tmpl.render_captured_to(ctx, &mut out)?;
    Ok(String::from_utf8(out.0)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Is this the error [`render_capped`] gives when the output is too long?
pub fn is_output_limit(e: &minijinja::Error) -> bool {
    e.kind() == ErrorKind::WriteFailure
}

impl Default for Templater {
    fn default() -> Self {
        Templater::new()
    }
}

/// Could this string hold template text (`{{` or `{%`)? `{#` is text.
pub fn has_template(s: &str) -> bool {
    // One pass over the bytes: asked of every string of every merged app.
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'{' && matches!(w[1], b'{' | b'%'))
}

/// If `s` is exactly one `{{ expression }}`, the expression.
fn single_expression(s: &str) -> Option<&str> {
    let t = s.trim();
    let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") || inner.contains("{%") {
        return None;
    }
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    Some(inner.trim())
}

/// What [`substitute`] made of a string.
enum Substituted {
    /// The string was one `{{ path }}`: the value, with its type.
    Typed(JValue),
    /// Text with `{{ path }}` parts replaced.
    Text(String),
}

/// The fast way for the templates layers are mostly made of:
/// `{{ app.name }}`, `"{{ vars.registry }}/{{ app.name }}"`. When every
/// `{{ }}` in `s` holds only a dotted path of names that resolves through
/// maps of the context, the result is what minijinja would give, without
/// compiling anything. Anything else (filters, tests, `{% %}`, whitespace
/// control, an undefined name, anything but a string or an integer put
/// into text) returns None,
/// and minijinja renders the string, errors included.
fn substitute(s: &str, ctx: &JValue) -> Option<Substituted> {
    if s.contains("{%") {
        return None;
    }
    if let Some(expr) = single_expression(s) {
        return lookup(ctx, expr).map(Substituted::Typed);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}")?;
        let value = lookup(ctx, &after[..close])?;
        match value.kind() {
            ValueKind::String => out.push_str(value.as_str()?),
            ValueKind::Number if value.is_integer() => out.push_str(&value.to_string()),
            _ => return None,
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Some(Substituted::Text(out))
}

/// The value at a dotted path of plain names (` vars.registry `), looked
/// up the way minijinja's attribute access does; None for anything that is
/// not such a path or does not resolve to a defined value.
fn lookup(ctx: &JValue, expr: &str) -> Option<JValue> {
    let expr = expr.trim_matches(' ');
    let mut value: Option<JValue> = None;
    for name in expr.split('.') {
        if !is_plain_name(name) {
            return None;
        }
        let parent = value.as_ref().unwrap_or(ctx);
        if parent.kind() != ValueKind::Map {
            return None;
        }
        let next = parent.get_attr(name).ok()?;
        if next.is_undefined() {
            return None;
        }
        value = Some(next);
    }
    value
}

/// Words minijinja reads as literals or operators, not names.
fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "true"
            | "false"
            | "none"
            | "True"
            | "False"
            | "None"
            | "not"
            | "and"
            | "or"
            | "in"
            | "is"
            | "if"
            | "else"
            | "loop"
            | "self"
            | "super"
            | "caller"
            | "varargs"
            | "kwargs"
    )
}

impl Templater {
    pub fn new() -> Templater {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(RECURSION_LIMIT);
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        Templater { env, files: None }
    }

    /// A templater that names files (through `files`) when the watchdog
    /// ([`crate::guard`]) stops a runaway template.
    pub fn with_files(files: &Files) -> Templater {
        let mut t = Templater::new();
        t.files = Some(files.share());
        t
    }

    pub fn env(&self) -> &Environment<'static> {
        &self.env
    }

    pub fn env_mut(&mut self) -> &mut Environment<'static> {
        &mut self.env
    }

    /// Render one string found at `pos`. Returns the new value.
    pub fn render_string(&self, s: &str, pos: Pos, ctx: &JValue) -> Result<Value, TemplateError> {
        let result = match substitute(s, ctx) {
            Some(Substituted::Typed(v)) => Ok(from_jinja(&v, pos)),
            Some(Substituted::Text(t)) => Ok(Value::Str(t)),
            None => self.render_with_minijinja(s, pos, ctx),
        };
        match result {
            Ok(Value::Str(out)) if out.len() > MAX_OUTPUT => Err(TemplateError::Fatal(format!(
                "the template produced {} bytes, over the limit of {MAX_OUTPUT}",
                out.len()
            ))),
            Err(e) if is_output_limit(&e) => Err(TemplateError::Fatal(format!(
                "the template produced more than the limit of {MAX_OUTPUT} bytes"
            ))),
            Ok(v) => Ok(v),
            Err(e) => Err(template_error(e, s)),
        }
    }

    fn render_with_minijinja(
        &self,
        s: &str,
        pos: Pos,
        ctx: &JValue,
    ) -> Result<Value, minijinja::Error> {
        let _watched = crate::guard::enter(|| crate::guard::describe(self.files.as_ref(), pos));
        match single_expression(s) {
            Some(expr) => self
                .env
                .compile_expression(expr)
                .and_then(|e| e.eval(ctx))
                .and_then(|v| {
                    if v.is_undefined() {
                        Err(minijinja::Error::new(
                            ErrorKind::UndefinedError,
                            "undefined value",
                        ))
                    } else {
                        Ok(v)
                    }
                })
                .map(|v| from_jinja(&v, pos)),
            None => self
                .env
                .template_from_str(&classify::escape_comments(s))
                .and_then(|t| render_capped(&t, ctx))
                .map(Value::Str),
        }
    }

    /// Render `vars` in definition order (each may use the ones before it,
    /// and later ones as written), then every string of `keys` (`argocd`,
    /// `app` ...). Returns the `TEMPLATE` findings; runaway templates are
    /// fatal. A string that is exactly one var (`"{{ vars.tag }}"`) takes
    /// the var's value with its positions, and remembers the string it went
    /// through (see [`crate::yaml::node::Via`]).
    pub fn render_doc(
        &self,
        doc: &mut Node,
        scope: Scope,
        keys: &[&str],
    ) -> Result<Vec<Diagnostic>, Error> {
        let mut issues = Vec::new();
        let Some(map) = doc.as_map_mut() else {
            return Ok(issues);
        };
        if let Some(vars) = map.get_mut("vars")
            && let Value::Map(vm) = &mut vars.node.value
            && vm.values().any(|e| node_has_template(&e.node))
        {
            self.render_vars(vm, &scope, &mut issues)?;
        }
        // Take `vars` out while the other keys are rendered, so they can
        // read var nodes (values and positions) directly.
        let vars = map
            .get_mut("vars")
            .map(|e| std::mem::replace(&mut e.node, Node::null(Pos::GENERATED)));
        let ctx = scope.context(vars.as_ref().map_or_else(empty_map, to_jinja));
        let lookup = Lookup {
            ctx: &ctx,
            vars: vars.as_ref().and_then(Node::as_map),
            skip: None,
        };
        let mut result = Ok(());
        for key in keys {
            if let Some(e) = map.get_mut(key) {
                let mut path = key.to_string();
                result = self.render_tree(&mut e.node, &lookup, &mut path, &mut issues);
                if result.is_err() {
                    break;
                }
            }
        }
        if let (Some(v), Some(e)) = (vars, map.get_mut("vars")) {
            e.node = v;
        }
        result.map(|()| issues)
    }

    /// Render the vars in order. At environment level (no app) a var that
    /// needs `app` is left out and reported where each app renders it.
    fn render_vars(
        &self,
        vm: &mut Map,
        scope: &Scope,
        issues: &mut Vec<Diagnostic>,
    ) -> Result<(), Error> {
        let keys: Vec<String> = vm.keys().cloned().collect();
        let mut failed: Vec<String> = Vec::new();
        for key in &keys {
            let Some(mut node) = vm
                .get_mut(key)
                .map(|e| std::mem::replace(&mut e.node, Node::null(Pos::GENERATED)))
            else {
                continue;
            };
            if node_has_template(&node) {
                let others = JValue::from_iter(
                    vm.iter()
                        .filter(|(k, _)| *k != key)
                        .map(|(k, e)| (k.clone(), to_jinja(&e.node))),
                );
                let ctx = scope.context(others);
                let lookup = Lookup {
                    ctx: &ctx,
                    vars: Some(vm),
                    skip: Some(key),
                };
                let mut path = format!("vars.{key}");
                let mut var_issues = Vec::new();
                self.render_tree(&mut node, &lookup, &mut path, &mut var_issues)?;
                let errors = var_issues
                    .iter()
                    .any(|d| d.severity == crate::error::Severity::Error);
                if scope.app.is_some() {
                    issues.extend(var_issues);
                } else if errors {
                    failed.push(key.clone());
                }
            }
            if let Some(e) = vm.get_mut(key) {
                e.node = node;
            }
        }
        for k in failed {
            vm.shift_remove(&k);
        }
        Ok(())
    }

    /// Render every string leaf below `node` in place. Problems are pushed
    /// to `issues` as `TEMPLATE` findings; runaway templates are fatal.
    fn render_tree(
        &self,
        node: &mut Node,
        lookup: &Lookup,
        path: &mut String,
        issues: &mut Vec<Diagnostic>,
    ) -> Result<(), Error> {
        if node.via.is_literal() {
            return Ok(()); // `!literal`: kept verbatim, whole subtree
        }
        match &mut node.value {
            Value::Str(s) if has_template(s) => {
                if let Some(var) = lookup.var(s) {
                    let mut value = var.clone();
                    // A `!!binary` value stays one (its tag is its meaning).
                    if value.via != Via::BINARY {
                        value.via = match &self.files {
                            Some(files) => files.record_via(node.pos),
                            None => Via::NONE,
                        };
                    }
                    *node = value;
                    return Ok(());
                }
                // `{{ path }}`s that all resolve in the context are nexus's
                // (the context holds only env, app and vars): substituted
                // without classifying or compiling anything.
                match substitute(s, lookup.ctx) {
                    Some(Substituted::Typed(v)) => {
                        node.value = from_jinja(&v, node.pos);
                        return Ok(());
                    }
                    Some(Substituted::Text(t)) if t.len() <= MAX_OUTPUT => {
                        node.value = Value::Str(t);
                        return Ok(());
                    }
                    _ => {}
                }
                match classify::classify(&self.env, s) {
                    classify::Class::Nexus { .. } => {}
                    classify::Class::Foreign(near) => {
                        for (written, meant) in near {
                            issues.push(
                                Diagnostic::warning(format!(
                                    "`{written}` is kept as written: it is not a nexus expression"
                                ))
                                .with_kind(Kind::Template)
                                .at(node.pos)
                                .with_path(path.clone())
                                .with_hint(format!("did you mean `{meant}`? (nexus renders only expressions on `env`, `app` and `vars`)")),
                            );
                        }
                        return Ok(());
                    }
                    classify::Class::Mixed { nexus, foreign } => {
                        let shown = |t: &str| {
                            if path.split('.').any(crate::secrets::is_secret_key) {
                                crate::secrets::MASK.to_string()
                            } else {
                                crate::secrets::shorten(t)
                            }
                        };
                        issues.push(
                            Diagnostic::error(format!(
                                "this string mixes a nexus expression (`{}`) with template text nexus keeps as written (`{}`)",
                                shown(nexus),
                                shown(foreign)
                            ))
                            .with_kind(Kind::Template)
                            .at(node.pos)
                            .with_path(path.clone())
                            .with_hint(format!(
                                "wrap the part that is not nexus's in raw markers: `{{% raw %}}{}{{% endraw %}}`",
                                shown(foreign)
                            )),
                        );
                        return Ok(());
                    }
                }
                match self.render_string(s, node.pos, lookup.ctx) {
                    Ok(v) => node.value = v,
                    Err(e) => {
                        // A template under a secret-looking key is not quoted.
                        let e = if path.split('.').any(crate::secrets::is_secret_key) {
                            e.masking(s)
                        } else {
                            e
                        };
                        match e {
                            TemplateError::Finding(msg, hint) => {
                                let hint = lookup.near_var(&self.env, s).or(hint);
                                let mut d = Diagnostic::error(msg)
                                    .with_kind(Kind::Template)
                                    .at(node.pos)
                                    .with_path(path.clone());
                                if let Some(h) = hint {
                                    d = d.with_hint(h);
                                }
                                issues.push(d);
                            }
                            TemplateError::Fatal(msg) => {
                                return Err(Error::from(
                                    Diagnostic::error(msg)
                                        .at(node.pos)
                                        .with_path(path.clone())
                                        .with_hint("templates are bounded: simplify this expression (no unbounded loops or recursion)"),
                                ));
                            }
                        }
                    }
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push_str(&format!(".{i}"));
                    let r = self.render_tree(item, lookup, path, issues);
                    path.truncate(len);
                    r?;
                }
            }
            Value::Map(map) => {
                for (k, e) in map.iter_mut() {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    let r = self.render_tree(&mut e.node, lookup, path, issues);
                    path.truncate(len);
                    r?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Where strings are rendered: the environment and, for an app's layers,
/// the app.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub env: &'a EnvInfo,
    pub app: Option<&'a str>,
}

impl Scope<'_> {
    /// `env.name`, `env.slug`, `env.path`, `env.leaf`.
    pub fn env_context(env: &EnvInfo) -> JValue {
        minijinja::context! {
            name => env.name.as_str(),
            slug => env.name.replace('/', "-"),
            path => env.name.as_str(),
            leaf => env.leaf(),
        }
    }

    /// The whole context: `env`, `app` (when there is one) and `vars`.
    fn context(&self, vars: JValue) -> JValue {
        let env = Scope::env_context(self.env);
        match self.app {
            Some(a) => {
                minijinja::context! { env => env, app => minijinja::context! { name => a }, vars => vars }
            }
            None => minijinja::context! { env => env, vars => vars },
        }
    }
}

fn empty_map() -> JValue {
    JValue::from_iter(Vec::<(String, JValue)>::new())
}

/// What strings below one key are rendered against.
struct Lookup<'a> {
    ctx: &'a JValue,
    /// The var nodes, for strings that are exactly one var.
    vars: Option<&'a Map>,
    /// A var being rendered cannot read itself.
    skip: Option<&'a str>,
}

impl Lookup<'_> {
    /// For a template that reads a var nobody defined: the defined var
    /// closest to it (`vars.ownr` -> `vars.owner`), as a hint.
    fn near_var(&self, env: &Environment<'_>, s: &str) -> Option<String> {
        let vars = self.vars?;
        classify::vars_used(env, s).into_iter().find_map(|path| {
            let name = path.strip_prefix("vars.")?.split('.').next()?;
            if vars.contains_key(name) {
                return None;
            }
            let close = crate::error::did_you_mean(name, vars.keys().map(String::as_str))?;
            Some(format!(
                "`vars.{name}` is not defined here; did you mean `vars.{close}`?"
            ))
        })
    }

    /// The var node a string that is exactly `{{ vars.a.b }}` stands for,
    /// when it is defined and holds no template itself.
    fn var(&self, s: &str) -> Option<&Node> {
        let path = single_expression(s)?.strip_prefix("vars.")?;
        let mut parts = path.split('.');
        let first = parts.next()?;
        if self.skip == Some(first) || !is_plain_name(first) {
            return None;
        }
        let mut node = &self.vars?.get(first)?.node;
        for part in parts {
            if !is_plain_name(part) {
                return None;
            }
            node = &node.as_map()?.get(part)?.node;
        }
        (!node_has_template(node)).then_some(node)
    }
}

/// A name minijinja reads as an attribute (not a keyword or an index).
fn is_plain_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !is_keyword(name)
}

/// Does any string below `node` need rendering?
pub fn node_has_template(node: &Node) -> bool {
    match &node.value {
        Value::Str(s) => has_template(s),
        Value::Seq(items) => items.iter().any(node_has_template),
        Value::Map(m) => m.values().any(|e| node_has_template(&e.node)),
        _ => false,
    }
}

/// Why a string could not be rendered.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateError {
    /// An ordinary mistake in the template: a `TEMPLATE` finding.
    Finding(String, Option<String>),
    /// The template hit a resource bound: the input is unusable (exit 2).
    Fatal(String),
}

impl TemplateError {
    /// The same error with the template text `src` replaced by the mask,
    /// for templates under secret-looking keys.
    pub fn masking(self, src: &str) -> TemplateError {
        let quoted = crate::secrets::shorten(src);
        let mask = |m: String| m.replace(&quoted, crate::secrets::MASK);
        match self {
            TemplateError::Finding(m, h) => TemplateError::Finding(mask(m), h),
            TemplateError::Fatal(m) => TemplateError::Fatal(mask(m)),
        }
    }
}

fn template_error(e: minijinja::Error, src: &str) -> TemplateError {
    let detail = e.detail().unwrap_or("").to_string();
    if e.kind() == ErrorKind::OutOfFuel {
        return TemplateError::Fatal(format!(
            "template `{}` ran longer than its budget of {FUEL} steps",
            crate::secrets::shorten(src)
        ));
    }
    if detail.contains("recursion limit")
        || detail.contains("too large")
        || detail.contains("too many elements")
    {
        return TemplateError::Fatal(format!(
            "template `{}` exceeded a limit: {detail}",
            crate::secrets::shorten(src)
        ));
    }
    let what = match e.kind() {
        ErrorKind::UndefinedError => {
            let msg = format!(
                "undefined variable in template `{}`",
                crate::secrets::shorten(src)
            );
            let hint = "the context has `env.name`, `env.slug`, `env.path`, `env.leaf`, `app.name` and `vars.*`; define the variable under `vars:` or fix its name".to_string();
            return TemplateError::Finding(msg, Some(hint));
        }
        ErrorKind::SyntaxError => "template syntax error",
        _ => "template error",
    };
    let mut msg = format!("{what} in `{}`", crate::secrets::shorten(src));
    if !detail.is_empty() {
        msg.push_str(": ");
        msg.push_str(&detail);
    }
    TemplateError::Finding(msg, None)
}

/// Convert a minijinja value (the result of a single expression) to a node.
pub fn from_jinja(v: &JValue, pos: Pos) -> Value {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => Value::Null,
        ValueKind::Bool => Value::Bool(v.is_true()),
        ValueKind::Number => {
            if v.is_integer() {
                match v.as_i64() {
                    Some(i) => Value::Int(i),
                    None => Value::Float(f64::try_from(v.clone()).unwrap_or(f64::NAN)),
                }
            } else {
                Value::Float(f64::try_from(v.clone()).unwrap_or(f64::NAN))
            }
        }
        ValueKind::String => Value::Str(v.as_str().unwrap_or_default().to_string()),
        ValueKind::Seq | ValueKind::Iterable => match v.try_iter() {
            Ok(it) => Value::Seq(it.map(|x| Node::new(from_jinja(&x, pos), pos)).collect()),
            Err(_) => Value::Str(v.to_string()),
        },
        ValueKind::Map => {
            let mut m = Map::new();
            if let Ok(keys) = v.try_iter() {
                for k in keys {
                    let item = v.get_item(&k).unwrap_or_default();
                    m.insert(
                        k.to_string(),
                        Entry::new(pos, Node::new(from_jinja(&item, pos), pos)),
                    );
                }
            }
            Value::Map(m)
        }
        _ => Value::Str(v.to_string()),
    }
}

/// Convert a node to a minijinja value for use as template context.
pub fn to_jinja(node: &Node) -> JValue {
    match &node.value {
        Value::Null => JValue::from(()),
        Value::Bool(b) => JValue::from(*b),
        Value::Int(i) => JValue::from(*i),
        Value::Float(f) => JValue::from(*f),
        Value::Str(s) => JValue::from(s.as_str()),
        Value::Seq(items) => JValue::from(items.iter().map(to_jinja).collect::<Vec<_>>()),
        Value::Map(m) => JValue::from_iter(m.iter().map(|(k, e)| (k.clone(), to_jinja(&e.node)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> JValue {
        minijinja::context! {
            env => minijinja::context!{ name => "prod/kr", path => "prod/kr", leaf => "kr" },
            app => minijinja::context!{ name => "api" },
            vars => minijinja::context!{ replicas => 3, registry => "ghcr.io/acme", on => true },
        }
    }

    fn render(s: &str) -> Result<Value, TemplateError> {
        Templater::new().render_string(s, Pos::GENERATED, &ctx())
    }

    /// The fast substitution gives exactly what minijinja gives, and
    /// leaves everything else to minijinja.
    #[test]
    fn substitution_matches_minijinja() {
        let t = Templater::new();
        let ctx = ctx();
        for s in [
            "{{ app.name }}",
            "{{app.name}}",
            "  {{ vars.replicas }}  ",
            "{{ vars.on }}",
            "{{ env }}",
            "{{ vars.registry }}/{{ app.name }}",
            "x-{{ vars.replicas }}-{{env.leaf}}\n",
            "a }} b {{ app.name }} c }}}",
            "no template at all",
            "{{ app.name }} {# a hash, not a comment #}",
        ] {
            let fast = match substitute(s, &ctx) {
                Some(Substituted::Typed(v)) => from_jinja(&v, Pos::GENERATED),
                Some(Substituted::Text(t)) => Value::Str(t),
                None => panic!("`{s}` should take the fast way"),
            };
            let slow = t.render_with_minijinja(s, Pos::GENERATED, &ctx);
            assert_eq!(Ok(fast), slow.map_err(|e| e.to_string()), "{s}");
        }
        for s in [
            "{{ vars.missing }}",
            "{{ app.name.first }}",
            "{{ vars.registry | upper }}",
            "{{- app.name }}-x",
            "{{ env }}-x",
            "{{ vars.on }}-x",
            "{% if true %}x{% endif %}{{ app.name }}",
            "{{ true }}",
            "{{ app.name }",
        ] {
            assert!(substitute(s, &ctx).is_none(), "`{s}` is minijinja's");
        }
        assert!(matches!(
            render("{{ vars.missing }}"),
            Err(TemplateError::Finding(..))
        ));
    }

    #[test]
    fn single_expressions_keep_their_type() {
        assert_eq!(render("{{ vars.replicas }}"), Ok(Value::Int(3)));
        assert_eq!(render(" {{- vars.on -}} "), Ok(Value::Bool(true)));
        assert_eq!(render("{{ vars.replicas * 2 }}"), Ok(Value::Int(6)));
        assert_eq!(
            render("{{ [1, 2] }}").map(|v| matches!(v, Value::Seq(_))),
            Ok(true)
        );
    }

    #[test]
    fn mixed_text_renders_to_a_string() {
        assert_eq!(
            render("{{ vars.registry }}/{{ app.name }}"),
            Ok(Value::Str("ghcr.io/acme/api".into()))
        );
        assert_eq!(
            render("n-{{ vars.replicas }}"),
            Ok(Value::Str("n-3".into()))
        );
        assert_eq!(render("{{ env.leaf }}"), Ok(Value::Str("kr".into())));
    }

    #[test]
    fn undefined_is_an_error() {
        assert!(matches!(
            render("{{ vars.nope }}"),
            Err(TemplateError::Finding(..))
        ));
        assert!(matches!(
            render("x {{ nope }}"),
            Err(TemplateError::Finding(..))
        ));
    }

    #[test]
    fn helm_text_is_kept_and_raw_passes_through() {
        let t = Templater::new();
        assert_eq!(
            classify::classify(t.env(), "{{ .Release.Name }}-db"),
            classify::Class::Foreign(vec![])
        );
        assert_eq!(
            render("{% raw %}{{ .Release.Name }}{% endraw %}-db"),
            Ok(Value::Str("{{ .Release.Name }}-db".into()))
        );
        // `{#` is text, in the fast way and in minijinja's.
        assert_eq!(
            render("{{ app.name }}: n=${#arr[@]}; m=x#}y"),
            Ok(Value::Str("api: n=${#arr[@]}; m=x#}y".into()))
        );
        assert_eq!(
            render("{% if true %}{{ app.name }}{% endif %} n=${#a} #}"),
            Ok(Value::Str("api n=${#a} #}".into()))
        );
    }

    #[test]
    fn runaway_templates_are_fatal() {
        let r = render(
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        );
        assert!(matches!(r, Err(TemplateError::Fatal(_))), "{r:?}");
        // Macros (and so recursion) are not compiled in at all.
        let r = render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        assert!(
            matches!(&r, Err(TemplateError::Finding(m, _)) if m.contains("unknown statement macro")),
            "{r:?}"
        );
    }

    #[test]
    fn no_file_access() {
        assert!(render("{% include '/etc/passwd' %}").is_err());
    }
}
