//! The checks `render`, `validate`, `lint` and `check` share: collect the
//! findings of rendered environments into one [`Report`].
//!
//! Rendering itself contributes `TEMPLATE` errors and `MERGE` warnings;
//! validation (`SCHEMA`) and lint (`NXnnn`) add theirs here, so every
//! command reports the same problems the same way.

use crate::config::Config;
use crate::error::{Error, Kind};
use crate::lint;
use crate::model::EnvRender;
use crate::project::Project;
use crate::report::Report;
use crate::validate;

/// Which checks to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Schema validation (README: Validation).
    pub validate: bool,
    /// Policy lint (README: Lint).
    pub lint: bool,
    /// Objects with no known schema are errors instead of infos.
    pub strict: bool,
}

/// Read `nexus.yaml` of the project (exit 2 on any problem in it).
pub fn config(project: &Project) -> Result<Config, Error> {
    let codes: Vec<&str> = lint::RULES.iter().map(|r| r.code).collect();
    Config::load(
        project.source.as_ref(),
        &project.files,
        &project.discovery,
        &codes,
    )
}

/// What validation reads of the project.
pub fn inputs(project: &Project) -> validate::Inputs<'_> {
    validate::Inputs {
        source: project.source.as_ref(),
        files: &project.files,
        layers: &project.layers,
    }
}

/// Run the selected checks over rendered environments.
pub fn run(project: &Project, renders: &[EnvRender], opts: CheckOptions) -> Result<Report, Error> {
    run_with_context(project, renders, &[], opts)
}

/// [`run`], with further environments rendered only so cross-environment
/// lint rules (parity) can compare against them; nothing is reported for
/// `context` itself.
pub fn run_with_context(
    project: &Project,
    renders: &[EnvRender],
    context: &[EnvRender],
    opts: CheckOptions,
) -> Result<Report, Error> {
    let mut report = Report::default();
    for r in renders {
        report.findings.extend(r.findings.iter().cloned());
    }
    // How Helm reads the layers: once per file, whatever uses it.
    for layer in project.layers.all() {
        report.findings.extend(layer.warnings.iter().cloned());
    }
    if opts.validate {
        report
            .findings
            .extend(validate::run(inputs(project), renders, opts.strict)?);
    }
    if opts.lint {
        let config = config(project)?;
        let policies = lint::policy::Policies::load(project.source.as_ref(), &project.files)?;
        let out = lint::run(&project.files, &config, renders, context, policies.as_ref())?;
        // A lint rule that names the problem at the very place a schema
        // error points (an ignoreDifferences entry without a kind) says it
        // better: one message for one cause.
        let linted: std::collections::HashSet<_> = out
            .findings
            .iter()
            .chain(out.suppressed.iter().map(|(d, _)| d))
            .filter_map(|d| Some((d.env.clone(), d.app.clone(), d.pos()?)))
            .collect();
        report.findings.retain(|d| {
            d.kind != Kind::Schema
                || d.pos()
                    .is_none_or(|p| !linted.contains(&(d.env.clone(), d.app.clone(), p)))
        });
        report.findings.extend(out.findings);
        report.suppressed.extend(out.suppressed);
    }
    report.normalise(&project.files);
    Ok(report)
}
