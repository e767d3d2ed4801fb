//! All integration tests, built into one binary. Each module covers one
//! command or concern; every test runs the real binary in a fresh temp
//! repository (see `util`).
mod check;
mod core_commands;
mod core_errors;
mod core_render;
mod fuzz_regressions;
mod hardening;
mod hook;
mod init;
mod lint_config;
mod lint_output;
mod lint_rules;
mod lint_util;
mod perf_paths;
mod plan;
mod shipped;
mod util;
mod validate;
