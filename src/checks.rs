//! The checks `render`, `validate`, `lint` and `check` share: collect the
//! findings of rendered environments into one [`Report`].
//!
//! Rendering itself contributes `TEMPLATE` errors and `MERGE` warnings;
//! validation (`SCHEMA`) and lint (`NXnnn`) add theirs here, so every
//! command reports the same problems the same way.

use crate::error::Error;
use crate::findings::Report;
use crate::project::{EnvRender, Project};
use crate::validate;

/// Which checks to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Schema validation (SPEC §7).
    pub validate: bool,
    /// Policy lint (SPEC §8).
    pub lint: bool,
    /// Objects with no known schema are errors instead of infos.
    pub strict: bool,
}

/// Run the selected checks over rendered environments.
pub fn run(project: &Project, renders: &[EnvRender], opts: CheckOptions) -> Result<Report, Error> {
    let mut report = Report::default();
    for r in renders {
        report.findings.extend(r.findings.iter().cloned());
    }
    if opts.validate {
        report
            .findings
            .extend(validate::run(project, renders, opts.strict)?);
    }
    report.normalise(&project.files);
    Ok(report)
}
