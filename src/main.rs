//! The `nexus` binary: all the work is in the library.
fn main() {
    std::process::exit(nexus::cli::run());
}
