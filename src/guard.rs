//! The last line of defence against a hostile template or policy: a
//! watchdog that ends the run (exit 2, naming the string being rendered or
//! the policy being evaluated) when one evaluation runs too long or makes
//! the process grow too much.
//!
//! minijinja's fuel bounds the number of instructions and nexus caps what a
//! template prints, but a few instructions can still build huge values
//! (`{% set s = s ~ s %}` repeated, `replace` with a long replacement, a
//! recursive loop that doubles a string): the engine offers no hook to bound
//! the size of intermediate values. So the command line starts this
//! watchdog: every template evaluation registers itself (file, line,
//! start time); a background thread samples the resident memory and, when
//! an evaluation it has seen before is still running and either the process
//! has grown by [`Limits::memory`] since, or it has run for
//! [`Limits::time`], prints an error and exits with 2. Nothing is written
//! before rendering has finished, so exiting here never leaves a partial
//! file. Library users (tests, the fuzz targets) do not start it; then
//! registering costs one atomic load.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::Diagnostic;
use crate::report::{self, Style};
use crate::source::Files;

static ENABLED: AtomicBool = AtomicBool::new(false);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static IN_FLIGHT: Mutex<Vec<Flight>> = Mutex::new(Vec::new());

/// How often the watchdog looks.
const TICK: Duration = Duration::from_millis(5);

/// When the watchdog stops a template.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Growth of the resident memory while one evaluation runs.
    pub memory: u64,
    /// Wall-clock time of one evaluation.
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            memory: 384 * 1024 * 1024,
            time: Duration::from_secs(2),
        }
    }
}

struct Flight {
    id: u64,
    /// What runs: `template`, `policy`.
    what: &'static str,
    /// `file:line:col` of the string, or the template file.
    at: String,
    started: Instant,
    /// Resident memory when the watchdog first saw this evaluation.
    seen_rss: Option<u64>,
}

/// An evaluation in progress; unregisters itself when dropped.
#[must_use]
pub struct Evaluating(Option<u64>);

impl Drop for Evaluating {
    fn drop(&mut self) {
        if let Some(id) = self.0 {
            let mut flights = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
            flights.retain(|f| f.id != id);
        }
    }
}

/// Register a template evaluation; `at` names it in the error (only called
/// when the watchdog runs).
pub fn enter(at: impl FnOnce() -> String) -> Evaluating {
    enter_as("template", at)
}

/// Register an evaluation of `what` (`policy`): the same bounds as a
/// template.
pub fn enter_as(what: &'static str, at: impl FnOnce() -> String) -> Evaluating {
    if !ENABLED.load(Ordering::Relaxed) {
        return Evaluating(None);
    }
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let flight = Flight {
        id,
        what,
        at: at(),
        started: Instant::now(),
        seen_rss: None,
    };
    IN_FLIGHT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(flight);
    Evaluating(Some(id))
}

/// `file:line:col` of a position, for [`enter`].
pub fn describe(files: Option<&Files>, pos: crate::yaml::node::Pos) -> String {
    match files {
        Some(f) => format!("{}:{}:{}", f.path(pos.file), pos.line, pos.col),
        None => format!("line {}", pos.line),
    }
}

/// Resident memory of this process in bytes (Linux); `None` elsewhere.
pub fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Start the watchdog for the rest of the process (idempotent).
pub fn start(limits: Limits) {
    if ENABLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("nexus-watchdog".to_string())
        .spawn(move || {
            loop {
                std::thread::sleep(TICK);
                if let Some((what, at, why)) = check(limits) {
                    let hint = if what == "template" {
                        "templates are bounded: build smaller values (no doubling loops, huge repetitions or recursion)"
                    } else {
                        "policies are bounded: iterate over the input, not over huge generated ranges"
                    };
                    let d = Diagnostic::error(format!("{what} at {at} {why}"))
                        .in_file(at)
                        .with_hint(hint);
                    eprint!("{}", report::format(&d, &Files::new(), Style::for_stderr()));
                    std::process::exit(2);
                }
            }
        });
    if spawned.is_err() {
        ENABLED.store(false, Ordering::SeqCst);
    }
}

/// One look at the evaluations in flight: the one to stop (what, where),
/// and why.
fn check(limits: Limits) -> Option<(&'static str, String, String)> {
    let mut flights = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    if flights.is_empty() {
        return None;
    }
    let now = rss();
    for f in flights.iter_mut() {
        if f.started.elapsed() >= limits.time {
            return Some((
                f.what,
                f.at.clone(),
                format!("ran for more than {} seconds", limits.time.as_secs()),
            ));
        }
        match (f.seen_rss, now) {
            (None, Some(n)) => f.seen_rss = Some(n),
            (Some(seen), Some(n)) if n.saturating_sub(seen) > limits.memory => {
                return Some((
                    f.what,
                    f.at.clone(),
                    format!(
                        "made nexus grow by more than {} MiB",
                        limits.memory / (1024 * 1024)
                    ),
                ));
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_guard_registers_nothing() {
        let g = enter(|| panic!("not called when disabled"));
        assert!(g.0.is_none());
    }

    #[test]
    fn rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(rss().is_some_and(|n| n > 0));
        }
    }
}
