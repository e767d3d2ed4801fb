//! Printing diagnostics, in one place, for every command and format.
//!
//! `text` is for people, `json` for tools, `sarif` 2.1.0 for code scanning
//! and `github` for workflow annotations (README: Output formats). Positions are resolved
//! to repository-relative file, line and column here, through the file
//! table, so every format points at the same layer line.
//!
//! **One message per cause.** A problem at one layer line usually shows in
//! many environments and apps (an `automated:` in `prod/env.yaml`, a typo
//! in `base.yaml`). `text`, `github` and `sarif` print such findings once,
//! naming where they apply (`in: prod/api, prod/web and 23 more`); `json`
//! keeps one entry per environment and app. [`group`] decides what is the
//! same cause: the same kind, severity, span, message and hint.

pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use std::collections::BTreeMap;
use std::io::IsTerminal;

use crate::error::{Diagnostic, Severity};
use crate::source::Files;

pub use text::{format, location};

/// Output format of findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

/// What a rule is, for SARIF rule metadata and `--explain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub summary: String,
    /// Markdown help: what it finds, why it matters, an example fix.
    pub help: String,
}

/// Colours for a terminal, none when `NO_COLOR` is set or output is piped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn for_stderr() -> Style {
        Style {
            color: std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
        }
    }

    pub fn for_stdout() -> Style {
        Style {
            color: std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
        }
    }

    pub fn plain() -> Style {
        Style { color: false }
    }

    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// How findings are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub style: Style,
    /// List every environment and app a cause applies to, not the first few.
    pub verbose: bool,
}

impl Options {
    pub fn plain() -> Options {
        Options {
            style: Style::plain(),
            verbose: false,
        }
    }
}

/// Findings of one run, plus the ones suppressed by `lintIgnore`.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub findings: Vec<Diagnostic>,
    /// `(finding, reason)`.
    pub suppressed: Vec<(Diagnostic, String)>,
}

/// File, line and column of a diagnostic, resolved (0 when unknown).
pub(crate) struct Loc {
    pub file: Option<String>,
    pub line: u32,
    pub col: u32,
}

pub(crate) fn loc(d: &Diagnostic, files: &Files) -> Loc {
    match d.pos() {
        Some(p) => Loc {
            file: Some(files.path(p.file)),
            line: p.line,
            col: p.col,
        },
        None => Loc {
            file: d.file.clone(),
            line: 0,
            col: 0,
        },
    }
}

/// One cause: the first diagnostic of a set of identical ones, and every
/// environment and app the set applies to.
#[derive(Debug)]
pub struct Group<'a> {
    pub first: &'a Diagnostic,
    /// `prod/api`, `stage` ...: sorted, each once. Empty for findings about
    /// a file rather than an environment.
    pub places: Vec<String>,
    /// How many diagnostics the group stands for.
    pub count: usize,
}

/// `env/app`, `env`, or nothing.
pub fn place(d: &Diagnostic) -> Option<String> {
    match (&d.env, &d.app) {
        (Some(e), Some(a)) => Some(format!("{e}/{a}")),
        (Some(e), None) => Some(e.clone()),
        _ => None,
    }
}

/// Group identical diagnostics (same kind, severity, place in a file,
/// message and hint; environment and app apart), in file and line order.
pub fn group<'a, I>(diags: I, files: &Files) -> Vec<Group<'a>>
where
    I: IntoIterator<Item = &'a Diagnostic>,
{
    type Key = (
        String,
        u32,
        u32,
        Option<String>,
        Severity,
        String,
        Option<String>,
    );
    let mut groups: BTreeMap<Key, Group<'a>> = BTreeMap::new();
    for d in diags {
        let l = loc(d, files);
        let key = (
            l.file.unwrap_or_default(),
            l.line,
            l.col,
            d.kind.label(),
            d.severity,
            d.message.clone(),
            d.hint.clone(),
        );
        let g = groups.entry(key).or_insert_with(|| Group {
            first: d,
            places: Vec::new(),
            count: 0,
        });
        g.count += 1;
        if let Some(p) = place(d) {
            g.places.push(p);
        }
    }
    groups
        .into_values()
        .map(|mut g| {
            g.places.sort();
            g.places.dedup();
            g
        })
        .collect()
}

/// `prod/api, prod/web and 23 more` (or all of them when `verbose`).
pub fn places_text(places: &[String], verbose: bool) -> String {
    const SHOWN: usize = 2;
    if verbose || places.len() <= SHOWN + 1 {
        return places.join(", ");
    }
    format!(
        "{} and {} more",
        places[..SHOWN].join(", "),
        places.len() - SHOWN
    )
}

impl Report {
    /// Findings per severity, one per environment and app (as in JSON).
    pub fn counts(&self) -> (usize, usize, usize) {
        let c = |s| self.findings.iter().filter(|d| d.severity == s).count();
        (c(Severity::Error), c(Severity::Warning), c(Severity::Info))
    }

    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|d| d.severity == Severity::Error)
    }

    /// Sort findings (environment, app, file, line, rule) and drop exact
    /// repeats, so output is deterministic and each problem shows once per
    /// environment and app.
    pub fn normalise(&mut self, files: &Files) {
        let key = |d: &Diagnostic| {
            let l = loc(d, files);
            (
                d.env.clone(),
                d.app.clone(),
                l.file,
                l.line,
                l.col,
                d.kind.label(),
                d.message.clone(),
            )
        };
        self.findings.sort_by_cached_key(key);
        self.findings.dedup_by(|a, b| key(a) == key(b));
        self.suppressed.sort_by_cached_key(|(d, _)| key(d));
        self.suppressed.dedup_by(|a, b| key(&a.0) == key(&b.0));
    }

    /// Render in `format`. `rules` gives SARIF its rule metadata.
    pub fn render(
        &self,
        format: Format,
        files: &Files,
        rules: &[RuleInfo],
        opts: Options,
    ) -> String {
        match format {
            Format::Text => text::report(self, files, opts),
            Format::Json => json::report(self, files),
            Format::Sarif => sarif::report(self, files, rules),
            Format::Github => github::report(self, files, opts.verbose),
        }
    }
}

/// `3912` as `3,912`: counts in summaries people read.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Print diagnostics (a fatal error's, or a command's warnings) to stderr,
/// one message per cause.
pub fn eprint_all(diags: &[Diagnostic], files: &Files) {
    let opts = Options {
        style: Style::for_stderr(),
        verbose: false,
    };
    eprint!("{}", text::diagnostics(diags, files, opts));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;
    use crate::yaml::node::{FileId, Pos};

    #[test]
    fn identical_findings_group_with_their_places() {
        let files = Files::new();
        files.add("environments/prod/env.yaml".into(), "a: 1\n".into());
        let at = Pos::new(FileId(0), 1, 1);
        let mk = |env: &str, app: &str| {
            Diagnostic::error("automated sync is on")
                .with_kind(Kind::Lint("NX004"))
                .at(at)
                .for_app(env, Some(app))
        };
        let diags = vec![
            mk("prod/us", "web"),
            mk("prod/kr", "api"),
            mk("prod/kr", "web"),
            Diagnostic::error("other")
                .at(at)
                .for_app("prod/kr", Some("api")),
        ];
        let groups = group(&diags, &files);
        assert_eq!(groups.len(), 2);
        let g = groups
            .iter()
            .find(|g| g.first.message == "automated sync is on")
            .expect("no group");
        assert_eq!(g.places, ["prod/kr/api", "prod/kr/web", "prod/us/web"]);
        assert_eq!(g.count, 3);
        assert_eq!(
            places_text(&g.places, false),
            "prod/kr/api, prod/kr/web, prod/us/web"
        );
        let many: Vec<String> = (0..25).map(|i| format!("prod/app{i:02}")).collect();
        assert_eq!(
            places_text(&many, false),
            "prod/app00, prod/app01 and 23 more"
        );
        assert_eq!(places_text(&many, true).matches(", ").count(), 24);
    }
}
