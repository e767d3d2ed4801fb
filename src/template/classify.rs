//! Which template text in a string is nexus's.
//!
//! Real values are full of other people's templates: Helm's
//! `{{ .Release.Name }}` and `{{ include "x" . }}`, Prometheus'
//! `{{ $labels.instance }}`, Grafana's `{{pod}}`, Go's `{{/* c */}}`, and
//! Helm's escape `{{ "{{ $labels.node }}" }}`. A `{{ ... }}` or `{% ... %}`
//! is a **nexus expression** only when it parses (as minijinja) and refers
//! to `env`, `app` or `vars`, and to nothing else but its own loop
//! variables, literals, filters, tests and minijinja's few global
//! functions (`range`, `dict`, `namespace`). Anything else is kept
//! verbatim. A dotted name one typo away from `env`, `app` or `vars`
//! (`{{ var.x }}`) is a near miss worth a warning; a string mixing nexus
//! expressions with other template text is an error, since nexus cannot
//! render one part and keep the other.
//!
//! `{#` is text: shell such as `n=${#arr[@]}` is never a comment here.

use minijinja::Environment;

/// Names a nexus expression may refer to.
const ROOTS: [&str; 3] = ["env", "app", "vars"];

/// minijinja's global functions, allowed when called (not as `range.x`).
const GLOBALS: [&str; 3] = ["range", "dict", "namespace"];

/// One `{{ ... }}` or `{% ... %}` in a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'s> {
    /// The whole segment, delimiters included.
    pub text: &'s str,
    /// What is between the delimiters, without whitespace control.
    pub inner: &'s str,
    /// `{% ... %}` rather than `{{ ... }}`.
    pub statement: bool,
    /// Byte range in the string.
    pub start: usize,
    pub end: usize,
}

/// The template segments of `s`, in order. An unclosed `{{` is text.
/// `{% raw %}...{% endraw %}` comes back as its two statements (the text
/// between them is not scanned).
pub fn segments(s: &str) -> Vec<Segment<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'{' || !matches!(b[i + 1], b'{' | b'%') {
            i += 1;
            continue;
        }
        let statement = b[i + 1] == b'%';
        let close = if statement { b'%' } else { b'}' };
        let Some(end) = closing(b, i + 2, close) else {
            break;
        };
        let raw = &s[i + 2..end - 2];
        let inner = raw.strip_prefix(['-', '+']).unwrap_or(raw);
        let inner = inner.strip_suffix(['-', '+']).unwrap_or(inner);
        out.push(Segment {
            text: &s[i..end],
            inner,
            statement,
            start: i,
            end,
        });
        i = end;
        if statement && keyword(inner) == "raw" {
            // Skip to the matching `{% endraw %}`.
            let mut j = i;
            while let Some(k) = s[j..].find("{%") {
                let at = j + k;
                let Some(e) = closing(b, at + 2, b'%') else {
                    break;
                };
                let inner = s[at + 2..e - 2].trim_matches(['-', '+']);
                if keyword(inner) == "endraw" {
                    out.push(Segment {
                        text: &s[at..e],
                        inner,
                        statement: true,
                        start: at,
                        end: e,
                    });
                    i = e;
                    break;
                }
                j = e;
            }
        }
    }
    out
}

/// The end (after the closing delimiter) of a segment whose content starts
/// at `from`; quoted strings inside are skipped.
fn closing(b: &[u8], from: usize, close: u8) -> Option<usize> {
    let mut i = from;
    while i + 1 < b.len() {
        match b[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            c if c == close && b[i + 1] == b'}' => return Some(i + 2),
            _ => i += 1,
        }
    }
    None
}

/// The first word of a statement (`if`, `for`, `endraw` ...).
fn keyword(inner: &str) -> &str {
    let t = inner.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(t.len());
    &t[..end]
}

/// What one segment is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Refers to `env`, `app` or `vars` only.
    Nexus,
    /// No reference at all (`{% else %}`, `{% endif %}`).
    Neutral,
    /// Only literals and global functions (`{{ "{{ x }}" }}`, `range(3)`):
    /// a `{{ }}` of Helm's escape kind, or a harmless statement.
    Literal,
    /// Somebody else's template text.
    Foreign,
    /// Somebody else's, but a dotted name one typo away from a nexus root:
    /// `(written, suggested)`.
    NearMiss(String, String),
}

/// What a string's template text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class<'s> {
    /// No template text nexus renders: the string is kept as written.
    /// Near misses (`var.x` for `vars.x`) come with it.
    Foreign(Vec<(String, String)>),
    /// A nexus template: render it. `statements`: it has `{% %}` (or a raw
    /// block), so minijinja renders it as a whole.
    Nexus { statements: bool },
    /// A nexus expression next to template text nexus keeps: an error.
    Mixed { nexus: &'s str, foreign: &'s str },
}

/// Classify the template text of `s`.
pub fn classify<'s>(env: &Environment<'_>, s: &'s str) -> Class<'s> {
    let segs = segments(s);
    if segs.is_empty() {
        return Class::Foreign(Vec::new());
    }
    if segs
        .iter()
        .any(|g| g.statement && keyword(g.inner) == "raw")
    {
        return Class::Nexus { statements: true };
    }
    // Names the template declares itself (loop and `set` variables).
    let declared: Vec<&str> = if s.contains("{%") {
        segs.iter()
            .filter(|g| g.statement)
            .flat_map(|g| declares(g.inner))
            .collect()
    } else {
        Vec::new()
    };
    let mut nexus = None;
    let mut foreign = None;
    let mut near = Vec::new();
    for g in &segs {
        let part = if g.statement {
            statement(env, g.inner, &declared)
        } else {
            expression(env, g.inner, &declared)
        };
        match part {
            Part::Nexus => {
                nexus.get_or_insert(g.text);
            }
            Part::Neutral => {}
            Part::Literal if g.statement => {}
            Part::Foreign | Part::Literal => {
                foreign.get_or_insert(g.text);
            }
            Part::NearMiss(w, sug) => {
                foreign.get_or_insert(g.text);
                near.push((w, sug));
            }
        }
    }
    match (nexus, foreign) {
        (None, _) => Class::Foreign(near),
        (Some(nexus), Some(foreign)) => Class::Mixed { nexus, foreign },
        (Some(_), None) => Class::Nexus {
            statements: segs.iter().any(|g| g.statement),
        },
    }
}

/// Is `s` a dotted path of plain names (`vars.registry`)?
fn is_plain_path(s: &str) -> bool {
    s.split('.').all(|p| {
        let mut b = p.bytes();
        b.next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
            && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
    })
}

/// The variables a statement declares: `for a, b in ...`, `set x = ...`.
fn declares(inner: &str) -> Vec<&str> {
    let t = inner.trim();
    let kw = keyword(t);
    let rest = t[kw.len()..].trim();
    let targets = match kw {
        "for" => rest.split_once(" in ").map(|(t, _)| t),
        "set" | "with" => Some(rest.split_once('=').map_or(rest, |(t, _)| t)),
        _ => None,
    };
    let mut out: Vec<&str> = targets
        .into_iter()
        .flat_map(|t| t.split([',', '(', ')']))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if kw == "for" {
        out.push("loop");
    }
    out
}

/// Classify a `{{ expression }}` by the names it refers to.
fn expression(env: &Environment<'_>, inner: &str, declared: &[&str]) -> Part {
    let t = inner.trim();
    if is_plain_path(t) {
        // The common case, `{{ vars.registry }}`: decided without
        // compiling or allocating.
        let root = t.split('.').next().unwrap_or(t);
        if ROOTS.contains(&root) {
            return Part::Nexus;
        }
        return names(std::iter::once(t.to_string()), declared);
    }
    match env.compile_expression(t) {
        Ok(e) => names(e.undeclared_variables(true).into_iter(), declared),
        Err(_) => Part::Foreign,
    }
}

/// Classify a `{% statement %}` by the expressions in it.
fn statement(env: &Environment<'_>, inner: &str, declared: &[&str]) -> Part {
    let t = inner.trim();
    let kw = keyword(t);
    let rest = t[kw.len()..].trim();
    let expr = match kw {
        "if" | "elif" => rest,
        "for" => match rest.split_once(" in ") {
            Some((_, e)) => e
                .trim_end()
                .trim_end_matches("recursive")
                .split(" if ")
                .next()
                .unwrap_or(""),
            None => return Part::Foreign,
        },
        "set" | "with" => match rest.split_once('=') {
            Some((_, e)) => e,
            None => return Part::Neutral,
        },
        "else" | "endif" | "endfor" | "endset" | "endwith" | "endfilter" | "endraw" => {
            return Part::Neutral;
        }
        "filter" => return Part::Neutral,
        _ => return Part::Foreign,
    };
    expression(env, expr, declared)
}

/// Decide from the names an expression refers to (dotted when an
/// attribute of them is read: `vars.registry`). Names the template itself
/// declares count for nothing.
fn names(list: impl Iterator<Item = String>, declared: &[&str]) -> Part {
    let mut nexus = false;
    let mut other = false;
    let mut local = false;
    let mut near = None;
    for name in list {
        let (root, dotted) = match name.split_once('.') {
            Some((r, _)) => (r.to_string(), true),
            None => (name.clone(), false),
        };
        if ROOTS.contains(&root.as_str()) {
            nexus = true;
        } else if declared.contains(&root.as_str()) {
            local = true;
        } else if !dotted && GLOBALS.contains(&root.as_str()) {
        } else {
            other = true;
            if dotted
                && near.is_none()
                && let Some(r) = ROOTS
                    .iter()
                    .find(|r| crate::error::edit_distance(&root, r) == 1)
            {
                near = Some((name.clone(), format!("{r}{}", &name[root.len()..])));
            }
        }
    }
    match (nexus, other, near) {
        (true, false, _) => Part::Nexus,
        (false, false, _) if local => Part::Neutral,
        (false, false, _) => Part::Literal,
        (false, true, Some((w, s))) => Part::NearMiss(w, s),
        _ => Part::Foreign,
    }
}

/// The `vars.a.b` paths a nexus template refers to, in order, once each.
pub fn vars_used(env: &Environment<'_>, s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |names: Vec<String>| {
        for n in names {
            if n.starts_with("vars.") && !out.contains(&n) {
                out.push(n);
            }
        }
    };
    for g in segments(s) {
        let expr = if g.statement { "" } else { g.inner.trim() };
        if is_plain_path(expr) {
            add(vec![expr.to_string()]);
        } else if let Ok(e) = env.compile_expression(expr) {
            let mut names: Vec<String> = e.undeclared_variables(true).into_iter().collect();
            names.sort();
            add(names);
        }
    }
    out
}

/// `s` with each `{#` in its text (outside template segments and raw
/// blocks) written as an expression, so minijinja never reads it as the
/// start of a comment.
pub fn escape_comments(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains("{#") {
        return s.into();
    }
    let segs = segments(s);
    let mut out = String::with_capacity(s.len() + 16);
    let mut at = 0;
    let mut in_raw = false;
    for g in &segs {
        let text = &s[at..g.start];
        if in_raw {
            out.push_str(text);
        } else {
            out.push_str(&text.replace("{#", "{{ '{#' }}"));
        }
        out.push_str(g.text);
        if g.statement {
            match keyword(g.inner) {
                "raw" => in_raw = true,
                "endraw" => in_raw = false,
                _ => {}
            }
        }
        at = g.end;
    }
    out.push_str(&s[at..].replace("{#", "{{ '{#' }}"));
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment<'static> {
        Environment::new()
    }

    fn class(s: &str) -> Class<'_> {
        classify(&env(), s)
    }

    #[test]
    fn other_peoples_templates_are_kept() {
        for s in [
            "{{ .Release.Name }}-db",
            "{{- include \"chart.labels\" . | nindent 4 }}",
            "{{ range .Alerts }}{{ .Labels.alertname }}{{ end }}",
            "{{ \"{{ $labels.node }}\" }}",
            "{{ $labels.instance }} is down",
            "{{pod}}",
            "{{/* a comment */}}",
            "{{ end }}",
            "{{ toYaml .Values.resources | nindent 12 }}",
            "{% if ansible_os_family == 'Debian' %}apt{% endif %}",
            "n=${#arr[@]}; m=x#}y",
            "plain text with }} and {{ unclosed",
        ] {
            assert_eq!(class(s), Class::Foreign(vec![]), "{s}");
        }
    }

    #[test]
    fn nexus_templates_are_rendered() {
        for (s, statements) in [
            ("{{ vars.registry }}/{{ app.name }}", false),
            ("{{ env.slug }}", false),
            ("{{ vars.replicas * 2 }}", false),
            ("{{ vars.tag | default('latest') }}", false),
            ("{% if vars.digest %}@{{ vars.digest }}{% endif %}", true),
            ("{% for r in vars.regions %}{{ r }},{% endfor %}", true),
            (
                "{% for i in range(3) %}{{ i }}{% endfor %}{{ app.name }}",
                true,
            ),
            ("{% raw %}{{ .Release.Name }}{% endraw %}", true),
            ("{{ vars.a }} {#", false),
        ] {
            assert_eq!(class(s), Class::Nexus { statements }, "{s}");
        }
    }

    #[test]
    fn near_misses_and_mixes() {
        assert_eq!(
            class("{{ var.registry }}/x"),
            Class::Foreign(vec![("var.registry".into(), "vars.registry".into())])
        );
        assert_eq!(
            class("{{ ap.name }}"),
            Class::Foreign(vec![("ap.name".into(), "app.name".into())])
        );
        // A bare word is not a near miss.
        assert_eq!(class("{{ end }}"), Class::Foreign(vec![]));
        assert_eq!(
            class("{{ vars.prefix }}-{{ .Release.Name }}"),
            Class::Mixed {
                nexus: "{{ vars.prefix }}",
                foreign: "{{ .Release.Name }}"
            }
        );
    }

    #[test]
    fn comments_stay_text() {
        assert_eq!(
            escape_comments("{{ vars.a }} n=${#arr[@]}"),
            "{{ vars.a }} n=${{ '{#' }}arr[@]}"
        );
        assert_eq!(
            escape_comments("{% raw %}{#x{% endraw %}{#"),
            "{% raw %}{#x{% endraw %}{{ '{#' }}"
        );
        assert_eq!(escape_comments("no comment"), "no comment");
    }

    #[test]
    fn vars_a_template_uses() {
        assert_eq!(
            vars_used(
                &env(),
                "{{ vars.registry }}/{{ vars.image.name }}:{{ vars.registry | upper }}"
            ),
            vec!["vars.registry", "vars.image.name"]
        );
    }
}
