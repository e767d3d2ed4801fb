//! The `nexus` binary: all the work is in the library.
//!
//! The system allocator is kept on purpose. mimalloc was tried: it made a
//! 2,000-app render about a quarter faster at the time, but its per-thread
//! pages held a third more memory than the trees in them (peak RSS
//! 222-238 MB), over the 200 MB budget. With the system allocator a
//! 2,000-app `check` now runs in 0.6-0.9 s at about 150 MB. See the
//! README's Benchmarks section.

fn main() {
    std::process::exit(nexus::cli::run());
}
