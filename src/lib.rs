//! nexus: layered environments rendered into a GitOps deploy tree.
//!
//! The pipeline, one module per stage: [`source`] and [`discover`] find the
//! files, [`layer`] parses them with positions, [`merge`] stacks them the
//! way Helm does, [`template`] renders strings, [`model`] types the result,
//! [`waves`] orders apps, [`render`] builds the output files and [`write`]
//! puts them on disk. [`project`] drives the pipeline; [`cli`] is the
//! command line.
pub mod charts;
pub mod checks;
pub mod cli;
pub mod config;
pub mod discover;
pub mod edit;
pub mod error;
pub mod fuzzing;
pub mod guard;
pub mod import;
pub mod init;
pub mod layer;
pub mod lint;
pub mod merge;
pub mod model;
pub mod par;
pub mod paths;
pub mod plan;
pub mod progress;
pub mod project;
pub mod render;
pub mod report;
pub mod secrets;
pub mod source;
pub mod template;
pub mod validate;
pub mod waves;
pub mod write;
pub mod yaml;
