//! The output templates: the repository's `templates/*.j2`, else the
//! built-in ones, compiled once and shared by every thread. What a template
//! renders is read back as YAML, so every file is written the canonical,
//! YAML 1.1-safe way whatever the template did.

use minijinja::value::Value as JValue;

use crate::error::{Diagnostic, Error};
use crate::source::{Files, Source, read_text};
use crate::template::Templater;
use crate::yaml::load::{self, Limits};
use crate::yaml::node::{FileId, Node, Pos};

const BUILTIN: [(&str, &str); 3] = [
    (
        "application.yaml.j2",
        include_str!("../../templates/application.yaml.j2"),
    ),
    (
        "appproject.yaml.j2",
        include_str!("../../templates/appproject.yaml.j2"),
    ),
    ("root.yaml.j2", include_str!("../../templates/root.yaml.j2")),
];

/// The output templates, compiled once and shared by every thread.
pub struct OutputTemplates {
    pub(super) templater: Templater,
    /// The repository has its own `templates/application.yaml.j2`. When it
    /// does not, Applications are built directly (see
    /// [`builtin_application`]) instead of through the built-in template.
    pub(super) custom_application: bool,
    /// The file of each template the repository has (by template name).
    repo_files: Vec<(&'static str, FileId)>,
}

impl OutputTemplates {
    /// Load `templates/*.j2` from the repository, falling back to the
    /// built-in templates for any that are missing.
    pub fn load(source: &dyn Source, files: &Files) -> Result<OutputTemplates, Error> {
        let mut templater = Templater::with_files(files);
        let mut custom_application = false;
        let mut repo_files = Vec::new();
        for (name, builtin) in BUILTIN {
            let rel = format!("templates/{name}");
            let (text, from_repo) = match read_text(source, &rel)? {
                Some(t) => (t, true),
                None => (builtin.to_string(), false),
            };
            let mut at = None;
            if from_repo {
                let id = files.add(rel.clone(), text.clone().into());
                repo_files.push((name, id));
                at = Some(id);
                // A copy of the built-in template (as in `nexus init`) is
                // not custom: it gives the same objects.
                custom_application |= name == "application.yaml.j2" && text != builtin;
            }
            templater
                .env_mut()
                .add_template_owned(name.to_string(), text)
                .map_err(|e| {
                    let line = e.line().unwrap_or(1) as u32;
                    let d = Diagnostic::error(format!(
                        "{rel}: {}",
                        e.detail()
                            .map_or_else(|| e.kind().to_string(), str::to_string)
                    ))
                    .with_hint(
                        "fix the template syntax, or delete the file to use the built-in template",
                    );
                    Error::from(match at {
                        Some(id) => d.at(Pos::new(id, line, 1)),
                        None => d.in_file(rel.clone()),
                    })
                })?;
        }
        Ok(OutputTemplates {
            templater,
            custom_application,
            repo_files,
        })
    }

    /// Point at `line` of the repository's template `name`, or name the file.
    fn locate(&self, d: Diagnostic, name: &str, line: Option<usize>) -> Diagnostic {
        let rel = format!("templates/{name}");
        match (self.repo_files.iter().find(|(n, _)| *n == name), line) {
            (Some((_, id)), Some(l)) => d.at(Pos::new(*id, l as u32, 1)),
            _ => d.in_file(rel),
        }
    }

    /// Render template `name` for `subject` (`` `api` in `prod` ``) into
    /// the one object it must produce.
    pub(super) fn render(&self, name: &str, ctx: JValue, subject: &str) -> Result<Node, Error> {
        let rel = format!("templates/{name}");
        let tmpl = self
            .templater
            .env()
            .get_template(name)
            .map_err(|e| Error::input(format!("{rel}: {e}")))?;
        let _watched = crate::guard::enter(|| rel.clone());
        let text = crate::template::render_capped(&tmpl, &ctx).map_err(|e| {
            let missing = (e.kind() == minijinja::ErrorKind::UndefinedError)
                .then(|| undefined_on_line(self.templater.env(), tmpl.source(), e.line(), &ctx))
                .flatten();
            let d = match missing {
                Some(path) => Diagnostic::error(format!("{rel}: `{path}` is undefined for {subject}"))
                    .with_hint(format!("guard it (`{{% if {path} is defined %}}`) or give it a default (`{path} | default(...)`); see the README's template context")),
                None => Diagnostic::error(format!(
                    "{rel}: rendering for {subject} failed: {}",
                    e.detail().map_or_else(|| e.kind().to_string(), str::to_string)
                ))
                .with_hint("the template context has `application`/`project`/`root`, `app`, `argocd`, `vars` and `env` (see the README's template context)"),
            };
            Error::from(self.locate(d, name, e.line()))
        })?;
        match load::parse_one(&text, FileId(u32::MAX), &Limits::default()) {
            Ok(Some(node)) if node.as_map().is_some() => Ok(node),
            Ok(_) => Err(Error::input(format!(
                "{rel} rendered something other than a YAML map for {subject}"
            ))
            .in_file(rel)
            .with_hint("the template must produce one Kubernetes object")),
            Err(e) => Err(Error::input(format!(
                "{rel} produced invalid YAML for {subject}: {} (line {} of the output)",
                e.message, e.line
            ))
            .in_file(rel)
            .with_hint("pass values through `| tojson` so they are quoted correctly")),
        }
    }
}

/// The first name read on line `line` of a template that the context does
/// not define, as a dotted path (`app.chart`): minijinja's error says only
/// that something on the line was undefined.
fn undefined_on_line(
    env: &minijinja::Environment<'_>,
    source: &str,
    line: Option<usize>,
    ctx: &JValue,
) -> Option<String> {
    let text = source.lines().nth(line?.checked_sub(1)?)?;
    for seg in crate::template::classify::segments(text) {
        let Ok(expr) = env.compile_expression(seg.inner.trim()) else {
            continue;
        };
        let mut names: Vec<String> = expr.undeclared_variables(true).into_iter().collect();
        names.sort();
        for name in names {
            let mut value = ctx.clone();
            let mut seen = Vec::new();
            for part in name.split('.') {
                seen.push(part);
                value = value.get_attr(part).unwrap_or_default();
                if value.is_undefined() {
                    return Some(seen.join("."));
                }
            }
        }
    }
    None
}
