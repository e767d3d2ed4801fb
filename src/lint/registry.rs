//! The rule table: one line per rule, mapping its stable id to the rule
//! (name, summary, default severity, doc and check). `--explain`, SARIF
//! rule metadata and `nexus.yaml` validation all read this table, so a
//! rule's docs cannot drift from the rule.

use super::rules::*;
use super::{Check, DefaultSeverity};
use crate::report::RuleInfo;

/// One lint rule.
pub struct Rule {
    /// Stable id: `NX001`.
    pub code: &'static str,
    /// Short kebab-case name: `unpinned-chart`.
    pub name: &'static str,
    /// One line: what the rule finds.
    pub summary: &'static str,
    pub default: DefaultSeverity,
    /// Markdown with the headings What it does / Why is this bad? / Example.
    pub doc: &'static str,
    pub check: Check,
}

/// Every rule, by id.
pub static RULES: &[Rule] = &[
    nx000::RULE,
    nx001::RULE,
    nx002::RULE,
    nx003::RULE,
    nx004::RULE,
    nx005::RULE,
    nx006::RULE,
    nx007::RULE,
    nx008::RULE,
    nx009::RULE,
    nx010::RULE,
    nx011::RULE,
    nx101::RULE,
    nx102::RULE,
    nx103::RULE,
    nx104::RULE,
    nx105::RULE,
    nx106::RULE,
    nx107::RULE,
    nx108::RULE,
    nx109::RULE,
];

/// A rule by id (exact, upper case).
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

impl Rule {
    /// SARIF rule metadata and help.
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            id: self.code.to_string(),
            name: self.name.to_string(),
            summary: self.summary.to_string(),
            help: self.help(),
        }
    }

    /// The whole explanation: title, default severity, doc.
    pub fn help(&self) -> String {
        format!(
            "# {} ({}): {}\n\nDefault severity: {}.\n\n{}",
            self.code,
            self.name,
            self.summary,
            self.default.describe(),
            self.doc.trim()
        )
    }
}

/// Rule metadata of every rule, for SARIF.
pub fn rule_infos() -> Vec<RuleInfo> {
    RULES.iter().map(Rule::info).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sorted_and_documented() {
        let mut last = "";
        for r in RULES {
            assert!(r.code > last, "{} out of order", r.code);
            last = r.code;
            assert!(r.code.len() == 5 && r.code.starts_with("NX"), "{}", r.code);
            assert!(
                !r.summary.is_empty() && !r.summary.ends_with('.'),
                "{}",
                r.code
            );
            assert!(
                r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.code
            );
            for heading in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(r.doc.contains(heading), "{} lacks {heading}", r.code);
            }
            assert!(r.help().starts_with(&format!("# {} (", r.code)));
        }
        assert_eq!(RULES.len(), 21);
        assert!(rule("NX105").is_some());
        assert!(rule("nx105").is_none());
    }
}
