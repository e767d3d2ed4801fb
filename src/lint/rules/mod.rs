//! The built-in rules, one per file. Each file holds the rule's table entry
//! (`RULE`), its documentation (`DOC`: What it does / Why is this bad? /
//! Example, printed by `nexus lint --explain` and used as SARIF help) and
//! its check.

pub mod nx000;
pub mod nx001;
pub mod nx002;
pub mod nx003;
pub mod nx004;
pub mod nx005;
pub mod nx006;
pub mod nx007;
pub mod nx008;
pub mod nx009;
pub mod nx010;
pub mod nx011;
pub mod nx101;
pub mod nx102;
pub mod nx103;
pub mod nx104;
pub mod nx105;
pub mod nx106;
pub mod nx107;
pub mod nx108;
pub mod nx109;

/// What every rule file needs.
mod prelude {
    pub use crate::error::Severity;
    pub use crate::lint::registry::Rule;
    pub use crate::lint::workload;
    pub use crate::lint::{AppCx, Check, DefaultSeverity, RepoCx, Sink, Where, finding};
    pub use crate::yaml::node::{Node, Value};
}
