//! nexus: layered environments rendered into a GitOps deploy tree.
pub mod yaml;
