//! A progress line on a terminal for work that takes more than about a
//! second: `rendering  3/4 environments  1,234/2,000 apps  1.4s`, drawn on
//! stderr by indicatif and erased when the work is done.
//!
//! Off unless the command line turned it on ([`enable`]), which it does
//! only when stderr is a terminal, `CI` is not set, `--quiet` was not
//! given and the output format is for people. The work reports through
//! [`Phase`] (one per stretch of work: while it is alive nothing else is
//! printed) and the counters [`done`] / [`env_done`], which cost one
//! relaxed atomic add when the line is off.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);
static STARTED: OnceLock<Instant> = OnceLock::new();
static DONE: AtomicUsize = AtomicUsize::new(0);
static ENVS_DONE: AtomicUsize = AtomicUsize::new(0);
/// One phase at a time draws; nested phases (a render inside a plan) count
/// into the outer one.
static ACTIVE: Mutex<bool> = Mutex::new(false);

/// Show progress from now on. `CI` in the environment or a stderr that is
/// not a terminal keeps it off whatever the caller asks.
pub fn enable(wanted: bool) {
    use std::io::IsTerminal;
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let on = wanted && !ci && std::io::stderr().is_terminal();
    ENABLED.store(on, Ordering::Relaxed);
    let _ = STARTED.set(Instant::now());
}

/// One app (or file) of the current phase is done.
pub fn done() {
    DONE.fetch_add(1, Ordering::Relaxed);
}

pub fn env_done() {
    ENVS_DONE.fetch_add(1, Ordering::Relaxed);
}

/// A stretch of work with known totals. The line appears once the command
/// has run for a second, and is erased when the phase ends (on drop).
pub struct Phase {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn line(what: &str, envs: usize, total: usize, unit: &str) -> String {
    let e = ENVS_DONE.load(Ordering::Relaxed).min(envs);
    let a = DONE.load(Ordering::Relaxed).min(total);
    let envs_part = if envs == 0 {
        String::new()
    } else {
        format!("  {e}/{envs} environments")
    };
    format!(
        "{what}{envs_part}  {}/{} {unit}",
        crate::report::thousands(a),
        crate::report::thousands(total)
    )
}

impl Phase {
    /// Start a phase over `envs` environments (0: not counted) and `total`
    /// `unit`s (apps, files).
    pub fn start(what: &'static str, envs: usize, total: usize, unit: &'static str) -> Phase {
        let idle = Phase {
            stop: None,
            thread: None,
        };
        if !ENABLED.load(Ordering::Relaxed) {
            return idle;
        }
        {
            let Ok(mut active) = ACTIVE.lock() else {
                return idle;
            };
            if *active {
                return idle;
            }
            *active = true;
        }
        DONE.store(0, Ordering::Relaxed);
        ENVS_DONE.store(0, Ordering::Relaxed);
        let started = *STARTED.get_or_init(Instant::now);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            // Nothing for the first second of the command
            // (`NEXUS_PROGRESS_AFTER_MS` moves that, for tests).
            let after = std::env::var("NEXUS_PROGRESS_AFTER_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .map_or(Duration::from_secs(1), Duration::from_millis);
            let wait = after.saturating_sub(started.elapsed());
            if rx.recv_timeout(wait) != Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                return;
            }
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template("{msg}") {
                bar.set_style(style);
            }
            loop {
                // Elapsed since the command started, not since this phase.
                let secs = started.elapsed().as_secs_f64();
                bar.set_message(format!("{}  {secs:.1}s", line(what, envs, total, unit)));
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
            bar.finish_and_clear();
        });
        Phase {
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        let Some(stop) = self.stop.take() else {
            return;
        };
        let _ = stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Ok(mut active) = ACTIVE.lock() {
            *active = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_and_caps() {
        DONE.store(1234, Ordering::Relaxed);
        ENVS_DONE.store(9, Ordering::Relaxed);
        assert_eq!(
            line("rendering", 4, 2000, "apps"),
            "rendering  4/4 environments  1,234/2,000 apps"
        );
        assert_eq!(line("writing", 0, 5, "files"), "writing  5/5 files");
        // Off (no terminal in tests): a phase is inert.
        let p = Phase::start("rendering", 1, 1, "apps");
        assert!(p.thread.is_none());
    }
}
