//! All integration tests, built into one binary. Each module covers one
//! command or concern; every test runs the real binary in a fresh temp
//! repository (see `util`).
mod core_commands;
mod core_errors;
mod core_render;
mod fuzz_regressions;
mod hardening;
mod util;
