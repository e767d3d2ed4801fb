//! The `nexus` binary: all the work is in the library.
//!
//! The system allocator is kept on purpose. mimalloc was tried: it cut a
//! 2,000-app render by about a tenth of a second, but its per-thread pages
//! held a third more memory than the trees in them (peak RSS 230 MB against
//! glibc's 195 MB), and memory is the tighter of the two budgets.

fn main() {
    std::process::exit(nexus::cli::run());
}
