//! The `nexus` binary: all the work is in the library.
//!
//! mimalloc replaces the system allocator: a render builds and keeps
//! hundreds of thousands of small tree nodes on rayon's worker threads, and
//! glibc's per-thread arenas grow those heaps a page at a time (one
//! `mprotect` per page, 67,000 of them for 2,000 apps), which cost more
//! system time than writing the 8,000 files.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(nexus::cli::run());
}
