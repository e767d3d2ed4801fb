//! The `nexus` binary: all the work is in the library.
//!
//! The system allocator is kept on purpose. mimalloc was tried: it made a
//! 2,000-app render about a quarter faster (0.85 s against 1.12 s), but its
//! per-thread pages held more memory than the trees in them (peak RSS
//! 222-238 MB against glibc's 188-195 MB), over the 200 MB budget. See the
//! README's Benchmarks section.

fn main() {
    std::process::exit(nexus::cli::run());
}
