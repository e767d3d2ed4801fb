//! Writing the rendered tree to disk, and comparing it with what is there.
//!
//! Only files under the output root are touched. A file is written through
//! a temp file in the same directory renamed into place, so a reader (or a
//! render killed half-way) sees the old or the new file, never a partial
//! one; files whose bytes did not change are not written at all. Stale
//! files are removed only when they carry the managed header; anything else
//! is reported and left alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::error::{Diagnostic, Error};
use crate::model::is_managed;

/// Marker in the names of temp files: `.<name>.nexus-tmp.<pid>.<n>`.
const TMP_MARK: &str = ".nexus-tmp.";

/// What a render would change under the output root.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Paths relative to the output root.
    pub add: Vec<String>,
    pub change: Vec<String>,
    pub remove: Vec<String>,
    /// Unmanaged files in the way of an output (never overwritten).
    pub blocked: Vec<String>,
    /// Unmanaged files found where nexus writes, left alone.
    pub unmanaged: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.change.is_empty() && self.remove.is_empty()
    }
}

fn is_temp(name: &str) -> bool {
    name.starts_with('.') && name.contains(TMP_MARK)
}

/// Every regular file below `dir`, relative to `root`. Temp files are
/// skipped (and returned separately).
fn walk(root: &Path, dir: &Path) -> Result<(Vec<String>, Vec<PathBuf>), Error> {
    let mut files = Vec::new();
    let mut temps = Vec::new();
    if !dir.exists() {
        return Ok((files, temps));
    }
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry =
            entry.map_err(|e| Error::input(format!("cannot read the output directory: {e}")))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if is_temp(&name) {
            temps.push(entry.path().to_path_buf());
            continue;
        }
        if let Ok(rel) = entry.path().strip_prefix(root) {
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok((files, temps))
}

/// Compare `outputs` (path relative to `root` -> content) with the disk.
/// `scopes` are the directories (relative to `root`) in which stale managed
/// files count as removals.
pub fn diff(
    root: &Path,
    scopes: &[String],
    outputs: &BTreeMap<String, &str>,
) -> Result<Changes, Error> {
    let mut changes = Changes::default();
    let real = if root.exists() {
        Some(
            fs::canonicalize(root)
                .map_err(|e| Error::input(format!("cannot resolve {}: {e}", root.display())))?,
        )
    } else {
        None
    };
    // Each file is compared where it is read, so at most one existing file
    // per thread is in memory (not the whole tree).
    let compare = || -> Vec<(String, State)> {
        let _progress = crate::progress::Phase::start("comparing", 0, outputs.len(), "files");
        outputs
            .par_iter()
            .map(|(path, content)| {
                crate::progress::done();
                let state = match existing(&root.join(path)) {
                    Existing::Missing => State::Add,
                    Existing::Other => State::Blocked,
                    Existing::File(bytes) if !is_managed(&bytes) => State::Blocked,
                    Existing::File(bytes) if bytes != content.as_bytes() => State::Change,
                    Existing::File(_) => State::Same,
                };
                (path.clone(), state)
            })
            .collect()
    };
    // What is on disk in the scopes, listed while the outputs are compared.
    let list = || -> Result<Vec<String>, Error> {
        let mut files = Vec::new();
        for scope in scopes {
            if let Some(real) = &real {
                confined(real, &root.join(scope))?;
            }
            files.extend(walk(root, &root.join(scope))?.0);
        }
        Ok(files)
    };
    let (results, listed) = rayon::join(compare, list);
    for (path, state) in results {
        match state {
            State::Add => changes.add.push(path),
            State::Blocked => changes.blocked.push(path),
            State::Change => changes.change.push(path),
            State::Same => {}
        }
    }
    let mut seen = BTreeSet::new();
    for rel in listed? {
        if outputs.contains_key(&rel) || !seen.insert(rel.clone()) {
            continue;
        }
        let managed = read_head(&root.join(&rel)).is_some_and(|h| is_managed(&h));
        if managed {
            changes.remove.push(rel);
        } else {
            changes.unmanaged.push(rel);
        }
    }
    changes.remove.sort();
    changes.unmanaged.sort();
    Ok(changes)
}

/// How an output compares with what is on disk.
enum State {
    Add,
    Blocked,
    Change,
    Same,
}

/// What is at an output path.
enum Existing {
    Missing,
    File(Vec<u8>),
    /// A symlink, directory or special file: never read, written or removed.
    Other,
}

fn existing(path: &Path) -> Existing {
    match fs::symlink_metadata(path) {
        Err(_) => Existing::Missing,
        Ok(m) if m.file_type().is_file() => match fs::read(path) {
            Ok(b) => Existing::File(b),
            Err(_) => Existing::Other,
        },
        Ok(_) => Existing::Other,
    }
}

/// Refuse to work in `dir` (or write `file`) if it resolves, through
/// symlinks, outside the output root `real_root`.
pub fn confined(real_root: &Path, dir: &Path) -> Result<(), Error> {
    let mut existing = dir.to_path_buf();
    while !existing.exists() {
        if !existing.pop() {
            break;
        }
    }
    let real = fs::canonicalize(&existing)
        .map_err(|e| Error::input(format!("cannot resolve {}: {e}", existing.display())))?;
    if real.starts_with(real_root) {
        Ok(())
    } else {
        Err(Error::input(format!(
            "{} resolves to {}, outside the output directory {}",
            dir.display(),
            real.display(),
            real_root.display()
        ))
        .with_hint("a symlink inside the output directory points elsewhere; remove it so nexus writes only where it should"))
    }
}

/// [`confined`] for `root/rel`, where `root` resolves to `real_root`:
/// directories below the root are looked at one by one without following
/// links (two or three `lstat`s); a symlink (or anything else that is not a
/// directory) among them sends the whole path through [`confined`].
/// Missing directories end the walk: they will be created inside what was
/// checked.
fn confined_below(root: &Path, real_root: &Path, rel: &Path) -> Result<(), Error> {
    let mut dir = root.to_path_buf();
    for part in rel.components() {
        let std::path::Component::Normal(name) = part else {
            return confined(real_root, &root.join(rel));
        };
        dir.push(name);
        match fs::symlink_metadata(&dir) {
            Err(_) => return Ok(()),
            Ok(m) if m.file_type().is_dir() => {}
            Ok(_) => return confined(real_root, &root.join(rel)),
        }
    }
    Ok(())
}

/// The real path of the output root (created if needed).
fn real_root(root: &Path) -> Result<PathBuf, Error> {
    fs::create_dir_all(root)
        .map_err(|e| Error::input(format!("cannot create {}: {e}", root.display())))?;
    fs::canonicalize(root)
        .map_err(|e| Error::input(format!("cannot resolve {}: {e}", root.display())))
}

fn read_head(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut f = fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 64];
    let n = f.read(&mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Write `content` to `path` atomically: temp file in the same directory,
/// renamed over the target. A concurrent render may remove a directory it
/// found empty just as this one creates it, so a vanished directory is
/// created again (a few times).
///
/// The temp file is not `fsync`ed. What the spec promises is atomicity (a
/// reader, or a render killed at any moment, sees the old file or the new
/// one, never a partial one), and `rename` gives that on its own. An
/// `fsync` per file would add durability against power loss, which nexus
/// does not need (the inputs are in git and the next render rewrites any
/// file whose bytes differ), and it made a 2,000-app render spend most of
/// its wall time waiting for the disk (8,000 flushes).
pub fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut attempt = 0;
    loop {
        match write_once(path, content) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempt < 5 => {
                attempt += 1;
                fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
            }
            other => return other,
        }
    }
}

fn write_once(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}{TMP_MARK}{}.{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(content)?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Is the process that made a temp file still running?
fn temp_owner_alive(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(rest) = name.split(TMP_MARK).nth(1) else {
        return false;
    };
    let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    if pid == std::process::id() {
        return true;
    }
    Path::new("/proc").exists() && Path::new(&format!("/proc/{pid}")).exists()
}

/// Apply `changes`: write added and changed files, remove stale managed
/// ones, clean up temp files left by killed runs and empty directories.
pub fn apply(
    root: &Path,
    scopes: &[String],
    outputs: &BTreeMap<String, &str>,
    changes: &Changes,
) -> Result<(), Error> {
    if !changes.blocked.is_empty() {
        return Err(Error::many(
            changes
                .blocked
                .iter()
                .map(|p| {
                    Diagnostic::error(format!("{} exists and was not written by nexus (it has no managed header)", root.join(p).display()))
                        .with_hint("nexus never overwrites files it does not manage: move the file away, then render again")
                })
                .collect(),
        ));
    }
    let real = real_root(root)?;
    for scope in scopes {
        confined(&real, &root.join(scope))?;
    }
    let to_write: Vec<&String> = changes.add.iter().chain(&changes.change).collect();
    // Every directory on the way must stay inside the output root: checked
    // before it is created (so nothing is created through a symlink) and
    // again after (a symlink may have appeared since). Once per directory,
    // not once per file.
    let dirs: BTreeSet<&Path> = to_write
        .iter()
        .filter_map(|rel| Path::new(rel.as_str()).parent())
        .collect();
    let dir_failures: Vec<Diagnostic> = dirs
        .par_iter()
        .flat_map_iter(|rel| {
            let dir = root.join(rel);
            confined_below(root, &real, rel)
                .and_then(|()| {
                    fs::create_dir_all(&dir)
                        .map_err(|e| Error::input(format!("cannot create {}: {e}", dir.display())))
                })
                .and_then(|()| confined_below(root, &real, rel))
                .err()
                .map(|e| e.diagnostics)
                .unwrap_or_default()
        })
        .collect();
    if !dir_failures.is_empty() {
        return Err(Error::many(dir_failures));
    }
    let progress = crate::progress::Phase::start("writing", 0, to_write.len(), "files");
    let failures: Vec<Diagnostic> = to_write
        .par_iter()
        .filter_map(|rel| {
            crate::progress::done();
            let path = root.join(rel);
            // `changes` come from `diff` over these outputs; a path that is
            // not among them has nothing to write.
            let text = outputs.get(*rel)?;
            write_atomic(&path, text.as_bytes())
                .err()
                .map(|e| Diagnostic::error(format!("cannot write {}: {e}", path.display())))
        })
        .collect();
    drop(progress);
    if !failures.is_empty() {
        return Err(Error::many(failures));
    }
    for rel in &changes.remove {
        let path = root.join(rel);
        // Check the header again right before removing; never follow or
        // remove a symlink, and never anything outside the root.
        let regular = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
        let inside = path.parent().is_some_and(|d| confined(&real, d).is_ok());
        if regular && inside && read_head(&path).is_some_and(|h| is_managed(&h)) {
            fs::remove_file(&path)
                .map_err(|e| Error::input(format!("cannot remove {}: {e}", path.display())))?;
        }
    }
    for scope in scopes {
        let dir = root.join(scope);
        let (_, temps) = walk(root, &dir)?;
        for t in temps {
            if !temp_owner_alive(&t) {
                let _ = fs::remove_file(t);
            }
        }
        remove_empty_dirs(&dir);
    }
    Ok(())
}

fn remove_empty_dirs(dir: &Path) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for entry in rd.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_empty_dirs(&entry.path());
        }
    }
    // Fails (and is meant to) when not empty.
    let _ = fs::remove_dir(dir);
}
