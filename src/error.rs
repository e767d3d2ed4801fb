//! Diagnostics and errors.
//!
//! A [`Diagnostic`] is one thing to tell a person: what is wrong, where (a
//! [`Pos`] resolved through [`crate::source::Files`] when printed), and what to
//! do about it. Lint and schema findings are diagnostics with a rule id;
//! fatal problems are an [`Error`] holding one or more diagnostics, which
//! ends the command with exit code 2.

use std::fmt;

use crate::yaml::node::Pos;

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

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable rule id for findings (`NX001`, `SCHEMA`, `TEMPLATE`, `MERGE`).
    pub rule: Option<String>,
    pub message: String,
    /// The position a person must edit.
    pub pos: Option<Pos>,
    /// A repository-relative file when no position inside it is known.
    pub file: Option<String>,
    pub hint: Option<String>,
    pub env: Option<String>,
    pub app: Option<String>,
    /// Dotted path of the offending value (`app.values.image.tag`).
    pub path: Option<String>,
    /// Other places worth showing (`the earlier value`).
    pub related: Vec<(String, Pos)>,
}

impl Diagnostic {
    pub fn new(severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            rule: None,
            message: message.into(),
            pos: None,
            file: None,
            hint: None,
            env: None,
            app: None,
            path: None,
            related: Vec::new(),
        }
    }

    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, message)
    }

    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, message)
    }

    pub fn at(mut self, pos: Pos) -> Diagnostic {
        if !pos.is_generated() {
            self.pos = Some(pos);
        }
        self
    }

    pub fn in_file(mut self, file: impl Into<String>) -> Diagnostic {
        self.file = Some(file.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_rule(mut self, rule: impl Into<String>) -> Diagnostic {
        self.rule = Some(rule.into());
        self
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

    pub fn related(mut self, label: impl Into<String>, pos: Pos) -> Diagnostic {
        if !pos.is_generated() {
            self.related.push((label.into(), pos));
        }
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
