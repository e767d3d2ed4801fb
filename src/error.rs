//! Diagnostics and errors.
//!
//! A [`Diagnostic`] is one thing to tell a person: what kind of problem it
//! is ([`Kind`]: a lint rule, a schema error, a template error ...), where
//! (a [`Span`] resolved through [`crate::source::Files`] when printed), for
//! which environment and app, and what to do about it. Fatal problems are
//! an [`Error`] holding one or more diagnostics, which ends the command
//! with exit code 2.

use std::fmt;

use crate::yaml::node::{Pos, Trace};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a diagnostic is about. The rule id every output format prints
/// comes from here ([`Kind::id`]), so no stage compares id strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The input or the command line is unusable (exit 2). No rule id.
    Input,
    /// A map replaced by a scalar or the reverse while merging layers.
    Merge,
    /// YAML that Helm reads differently from how it looks (a plain key
    /// `on:` is the key `true`).
    Yaml,
    /// A string that could not be templated.
    Template,
    /// A layer, Helm values or a rendered object against its JSON Schema.
    Schema,
    /// A file under `deploy/` that does not match what the layers render.
    Stale,
    /// A built-in lint rule, by its stable id (`NX004`).
    Lint(&'static str),
    /// A finding of a custom Rego policy, with the policy's package.
    Policy(String),
}

impl Kind {
    /// The rule id printed in every format: `NX004`, `SCHEMA`, `POLICY` ...
    pub fn id(&self) -> Option<&str> {
        match self {
            Kind::Input => None,
            Kind::Merge => Some("MERGE"),
            Kind::Yaml => Some("YAML"),
            Kind::Template => Some("TEMPLATE"),
            Kind::Schema => Some("SCHEMA"),
            Kind::Stale => Some("STALE"),
            Kind::Lint(code) => Some(code),
            Kind::Policy(_) => Some("POLICY"),
        }
    }

    /// The id as people read it in text output: `POLICY(kubernetes.deny)`
    /// names the policy's package.
    pub fn label(&self) -> Option<String> {
        match self {
            Kind::Policy(pkg) => Some(format!("POLICY({pkg})")),
            k => k.id().map(str::to_string),
        }
    }
}

/// Where in a file a diagnostic points: the position of the token and its
/// length in characters (0: the whole YAML token that starts there, measured
/// from the source when printed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub pos: Pos,
    pub len: u32,
}

/// A further place or fact worth showing with a diagnostic: the earlier
/// value a merge replaced, the template a value came through ...
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub message: String,
    pub pos: Option<Pos>,
}

/// What is hidden when the source line is quoted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mask {
    /// Values of secret-looking keys on the line (the default).
    #[default]
    SecretKeys,
    /// The value that starts at the span, whatever its key (a literal
    /// secret found by its shape, not its key name).
    Value,
}

/// One thing nexus tells a person: what is wrong, where, for which
/// environment and app, and what to do. Every stage reports these, and
/// [`crate::report`] prints them, in every format, in one place.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub kind: Kind,
    pub severity: Severity,
    pub message: String,
    /// The position a person must edit.
    pub span: Option<Span>,
    /// A repository-relative file when no position inside it is known.
    pub file: Option<String>,
    pub env: Option<String>,
    pub app: Option<String>,
    /// Dotted path of the offending value (`app.values.image.tag`).
    pub path: Option<String>,
    pub notes: Vec<Note>,
    pub hint: Option<String>,
    pub mask: Mask,
}

impl Diagnostic {
    pub fn new(severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            kind: Kind::Input,
            severity,
            message: message.into(),
            span: None,
            file: None,
            env: None,
            app: None,
            path: None,
            notes: Vec::new(),
            hint: None,
            mask: Mask::default(),
        }
    }

    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, message)
    }

    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, message)
    }

    /// The position of the span, if any.
    pub fn pos(&self) -> Option<Pos> {
        self.span.map(|s| s.pos)
    }

    pub fn with_kind(mut self, kind: Kind) -> Diagnostic {
        self.kind = kind;
        self
    }

    /// Point at the token at `pos` (ignored for positions nexus generated).
    pub fn at(mut self, pos: Pos) -> Diagnostic {
        if !pos.is_generated() {
            self.span = Some(Span { pos, len: 0 });
        }
        self
    }

    /// Point at `len` characters from `pos`.
    pub fn at_span(mut self, pos: Pos, len: u32) -> Diagnostic {
        if !pos.is_generated() {
            self.span = Some(Span { pos, len });
        }
        self
    }

    /// Point where a value was set: a value that came through a template
    /// such as `"{{ vars.tag }}"` points at the var that fed it, with a
    /// note naming the template.
    pub fn at_trace(self, trace: Trace) -> Diagnostic {
        match trace.via {
            Some(used) => self
                .at(trace.set)
                .note_at("the value comes through the template", used),
            None => self.at(trace.set),
        }
    }

    pub fn in_file(mut self, file: impl Into<String>) -> Diagnostic {
        self.file = Some(file.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Tag every diagnostic with the environment and app it applies to.
    pub fn all_for_app(diags: Vec<Diagnostic>, env: &str, app: Option<&str>) -> Vec<Diagnostic> {
        diags.into_iter().map(|d| d.for_app(env, app)).collect()
    }

    pub fn for_app(mut self, env: &str, app: Option<&str>) -> Diagnostic {
        self.env = Some(env.to_string());
        self.app = app.map(str::to_string);
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Diagnostic {
        self.path = Some(path.into());
        self
    }

    pub fn with_mask(mut self, mask: Mask) -> Diagnostic {
        self.mask = mask;
        self
    }

    /// A note about another place (`the earlier value`), shown with its
    /// file:line:column.
    pub fn note_at(mut self, message: impl Into<String>, pos: Pos) -> Diagnostic {
        if !pos.is_generated() {
            self.notes.push(Note {
                message: message.into(),
                pos: Some(pos),
            });
        }
        self
    }

    /// A note without a place.
    pub fn note(mut self, message: impl Into<String>) -> Diagnostic {
        self.notes.push(Note {
            message: message.into(),
            pos: None,
        });
        self
    }
}

/// A fatal problem: the input or the command line is unusable (exit 2).
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub diagnostics: Vec<Diagnostic>,
}

impl Error {
    pub fn input(message: impl Into<String>) -> Error {
        Error {
            diagnostics: vec![Diagnostic::error(message)],
        }
    }

    pub fn many(diagnostics: Vec<Diagnostic>) -> Error {
        Error { diagnostics }
    }

    fn map_last(mut self, f: impl FnOnce(Diagnostic) -> Diagnostic) -> Error {
        if let Some(d) = self.diagnostics.pop() {
            self.diagnostics.push(f(d));
        }
        self
    }

    pub fn with_hint(self, hint: impl Into<String>) -> Error {
        self.map_last(|d| d.with_hint(hint))
    }

    pub fn at(self, pos: Pos) -> Error {
        self.map_last(|d| d.at(pos))
    }

    pub fn in_file(self, file: impl Into<String>) -> Error {
        self.map_last(|d| d.in_file(file))
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Error {
        Error {
            diagnostics: vec![d],
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", d.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Edit distance counting a swap of two neighbours as one edit (optimal
/// string alignment), for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j - 1] + cost)
                .min(d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_pick_the_nearest_key() {
        assert_eq!(
            did_you_mean("valuse", ["values", "labels", "enabled"]),
            Some("values")
        );
        assert_eq!(
            did_you_mean("dependson", ["dependsOn", "namespace"]),
            Some("dependsOn")
        );
        assert_eq!(did_you_mean("zzzzzz", ["values", "labels"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("stgae", "stage"), 1);
        assert_eq!(did_you_mean("stgae", ["stage", "prod"]), Some("stage"));
    }
}
