//! All integration tests, built into one binary. Each module covers one
//! command or concern; every test runs the real binary in a fresh temp
//! repository (see `util`).
//!
//! This crate is test code throughout, helpers included: a failed
//! `unwrap` is a failed test, so the workspace's unwrap/expect lints (which
//! `clippy.toml` already relaxes inside `#[test]` functions) are off here.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod applications;
mod cases;
mod check;
mod core_commands;
mod core_errors;
mod core_render;
mod edits;
mod fuzz_regressions;
mod hardening;
mod helm_conformance;
mod hook;
mod import;
mod init;
mod lint_config;
mod lint_output;
mod lint_precision;
mod lint_rules;
mod lint_util;
mod perf_paths;
mod plan;
mod policies;
mod release;
mod shipped;
mod shipping;
mod structure;
mod templating;
mod util;
mod validate;
