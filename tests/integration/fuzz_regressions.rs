//! Replays the inputs kept in `tests/fuzz_regressions/<target>/` through
//! the same entry points the fuzz targets use (`nexus::fuzzing`): each
//! input once crashed, hung or blew up a target, or guards a case the
//! fuzzers should keep covering. Every one must now return normally.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    replay_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz_regressions")
            .join(target),
        run,
    );
}

/// The seed inputs the fuzzers start from (`fuzz/seeds/<target>/`) pass
/// the targets' checks too.
#[test]
fn seeds() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    replay_dir(&seeds.join("load"), nexus::fuzzing::load);
    replay_dir(&seeds.join("render"), nexus::fuzzing::render);
}

fn replay_dir(dir: &Path, run: fn(&[u8])) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "no inputs in {}", dir.display());
    for path in entries {
        let data = std::fs::read(&path).unwrap();
        let start = std::time::Instant::now();
        run(&data);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{} took {:?}",
            path.display(),
            start.elapsed()
        );
    }
}

#[test]
fn load_inputs() {
    replay("load", nexus::fuzzing::load);
}

#[test]
fn merge_inputs() {
    replay("merge", nexus::fuzzing::merge);
}

#[test]
fn render_inputs() {
    replay("render", nexus::fuzzing::render);
}
