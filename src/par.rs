//! Work in parallel that reports every failure: each item runs on the
//! rayon pool, results keep the order of the items, and when any item
//! fails, the diagnostics of all failures come back together, sorted by
//! file and line, so one run shows every problem and the output does not
//! depend on which thread finished first.

use rayon::prelude::*;

use crate::error::{Diagnostic, Error};
use crate::source::Files;

/// `f` over every item, in parallel. All results in item order, or every
/// error of every failed item.
pub fn try_map<I, T, F>(items: &[I], files: &Files, f: F) -> Result<Vec<T>, Error>
where
    I: Sync,
    T: Send,
    F: Fn(&I) -> Result<T, Error> + Sync + Send,
{
    let results: Vec<Result<T, Error>> = items.par_iter().map(f).collect();
    collect(results, files)
}

/// Every `Ok` in order, or the diagnostics of every `Err`, sorted.
pub fn collect<T>(results: Vec<Result<T, Error>>, files: &Files) -> Result<Vec<T>, Error> {
    let mut out = Vec::with_capacity(results.len());
    let mut problems = Vec::new();
    for r in results {
        match r {
            Ok(v) => out.push(v),
            Err(e) => problems.extend(e.diagnostics),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        sort(&mut problems, files);
        Err(Error::many(problems))
    }
}

/// Sort diagnostics by file, line, column and message, for output that is
/// the same whatever the thread count.
pub fn sort(diags: &mut [Diagnostic], files: &Files) {
    diags.sort_by_cached_key(|d| {
        let file = d
            .pos()
            .map(|p| files.path(p.file))
            .or_else(|| d.file.clone())
            .unwrap_or_default();
        (
            file,
            d.pos().map(|p| (p.line, p.col)),
            d.env.clone(),
            d.app.clone(),
            d.message.clone(),
        )
    });
}
