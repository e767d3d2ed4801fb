//! Where nexus reads its inputs from, and the table of every file it read.
//!
//! A [`Source`] answers "what is at this repository-relative path" for the
//! working tree ([`FsSource`]) and, for `nexus plan --base`, a git tree. All
//! paths are `/`-separated and relative to the repository root; a path that
//! would leave the repository (through `..` or a symlink) is refused here, so
//! no later stage can read outside it.
//!
//! [`Files`] owns the text of every file read, indexed by [`FileId`], so a
//! diagnostic can print the source line it points at.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::error::{Diagnostic, Error};
use crate::yaml::node::{FileId, Pos};

pub mod git;
pub use git::GitSource;

/// Default limit on the size of one input file (SPEC §9).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub is_dir: bool,
}

/// Read access to a repository, by repository-relative path.
pub trait Source: Send + Sync {
    /// The bytes of a file, `Ok(None)` when there is no such file.
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, Error>;
    /// Entries of a directory, sorted by name; empty when it does not exist.
    fn list_dir(&self, rel: &str) -> Result<Vec<DirEntry>, Error>;
    /// Whether a directory exists at `rel`.
    fn is_dir(&self, rel: &str) -> bool;
    /// What to call this source in messages (`working tree`, `HEAD~1`).
    fn describe(&self) -> String;
}

/// Joins `base` (a repo-relative directory) and a relative `path`, resolving
/// `.` and `..` lexically. Returns `None` when the result leaves the root or
/// `path` is absolute.
pub fn join_rel(base: &str, path: &str) -> Option<String> {
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return None;
    }
    let mut parts: Vec<&str> = base
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The directory part of a repo-relative path (`a/b/c.yaml` -> `a/b`).
pub fn parent_rel(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

/// The working tree on disk.
pub struct FsSource {
    root: PathBuf,
    canonical_root: PathBuf,
    max_file_size: u64,
}

impl FsSource {
    pub fn new(root: &Path, max_file_size: u64) -> Result<FsSource, Error> {
        let canonical_root = fs::canonicalize(root).map_err(|e| {
            Error::input(format!("cannot open repository `{}`: {e}", root.display()))
        })?;
        Ok(FsSource {
            root: root.to_path_buf(),
            canonical_root,
            max_file_size,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn canonical_root(&self) -> &Path {
        &self.canonical_root
    }

    /// The real path of `rel`, refusing anything that resolves outside the
    /// repository. `Ok(None)` when nothing exists there.
    fn resolve(&self, rel: &str) -> Result<Option<PathBuf>, Error> {
        let path = self.root.join(rel);
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::input(format!("cannot read `{rel}`: {e}"))),
            Ok(_) => {}
        }
        let real = match fs::canonicalize(&path) {
            Ok(p) => p,
            // A dangling symlink: treat as missing only if it would stay inside.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::input(format!(
                    "`{rel}` is a symlink whose target does not exist"
                ))
                .with_hint(
                    "remove the dangling symlink or point it at a file inside the repository",
                ));
            }
            Err(e) => return Err(Error::input(format!("cannot read `{rel}`: {e}"))),
        };
        if !real.starts_with(&self.canonical_root) {
            return Err(Error::input(format!(
                "`{rel}` resolves to `{}`, outside the repository",
                real.display()
            ))
            .with_hint("nexus only reads files inside the repository; copy the file in instead of linking to it"));
        }
        Ok(Some(real))
    }
}

impl Source for FsSource {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(real) = self.resolve(rel)? else {
            return Ok(None);
        };
        let meta =
            fs::metadata(&real).map_err(|e| Error::input(format!("cannot read `{rel}`: {e}")))?;
        if meta.is_dir() {
            return Ok(None);
        }
        if meta.len() > self.max_file_size {
            return Err(Error::input(format!(
                "`{rel}` is {} bytes, over the limit of {} bytes",
                meta.len(),
                self.max_file_size
            ))
            .with_hint("split the file, or raise the limit with --max-file-size"));
        }
        let bytes =
            fs::read(&real).map_err(|e| Error::input(format!("cannot read `{rel}`: {e}")))?;
        // The file may have grown between stat and read.
        if bytes.len() as u64 > self.max_file_size {
            return Err(Error::input(format!(
                "`{rel}` is over the limit of {} bytes",
                self.max_file_size
            ))
            .with_hint("split the file, or raise the limit with --max-file-size"));
        }
        Ok(Some(bytes))
    }

    fn list_dir(&self, rel: &str) -> Result<Vec<DirEntry>, Error> {
        let Some(real) = self.resolve(rel)? else {
            return Ok(Vec::new());
        };
        if !real.is_dir() {
            return Ok(Vec::new());
        }
        let rd =
            fs::read_dir(&real).map_err(|e| Error::input(format!("cannot list `{rel}`: {e}")))?;
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| Error::input(format!("cannot list `{rel}`: {e}")))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // Follow symlinks for the type; escapes are refused when read.
            let is_dir = fs::metadata(entry.path())
                .map(|m| m.is_dir())
                .unwrap_or(false);
            out.push(DirEntry { name, is_dir });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn is_dir(&self, rel: &str) -> bool {
        matches!(self.resolve(rel), Ok(Some(p)) if p.is_dir())
    }

    fn describe(&self) -> String {
        "the working tree".to_string()
    }
}

/// One file nexus has read.
#[derive(Debug)]
pub struct FileInfo {
    /// Repository-relative path with `/` separators.
    pub path: String,
    pub text: Arc<str>,
}

/// Append-only table of the files read in one run. Cheap to share between
/// threads: lookups take a read lock, and a file is added once.
#[derive(Debug, Default)]
pub struct Files {
    files: RwLock<Vec<Arc<FileInfo>>>,
}

impl Files {
    pub fn new() -> Files {
        Files::default()
    }

    pub fn add(&self, path: String, text: Arc<str>) -> FileId {
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        files.push(Arc::new(FileInfo { path, text }));
        FileId((files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> Option<Arc<FileInfo>> {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files.get(id.0 as usize).cloned()
    }

    pub fn path(&self, id: FileId) -> String {
        self.get(id)
            .map_or_else(|| "<generated>".to_string(), |f| f.path.clone())
    }

    /// The text of line `line` (1-based) of a file, without its newline.
    pub fn line_text(&self, pos: Pos) -> Option<String> {
        let file = self.get(pos.file)?;
        let line = file.text.lines().nth((pos.line as usize).checked_sub(1)?)?;
        Some(line.to_string())
    }
}

/// Reads a file as UTF-8 text, with a clear error for binary or non-UTF-8 input.
pub fn read_text(source: &dyn Source, rel: &str) -> Result<Option<String>, Error> {
    let Some(bytes) = source.read(rel)? else {
        return Ok(None);
    };
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
            Err(Error::from(
                Diagnostic::error(format!(
                    "`{rel}` is not valid UTF-8 text (first bad byte at line {line})"
                ))
                .with_hint("save the file as UTF-8"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_rel_resolves_dots_and_refuses_escapes() {
        assert_eq!(
            join_rel("environments/prod", "../mixins/a.yaml").as_deref(),
            Some("environments/mixins/a.yaml")
        );
        assert_eq!(
            join_rel("environments", "./a/./b.yaml").as_deref(),
            Some("environments/a/b.yaml")
        );
        assert_eq!(join_rel("environments", "../../x.yaml"), None);
        assert_eq!(join_rel("environments", "/etc/passwd"), None);
        assert_eq!(join_rel("", "a/../../b"), None);
    }

    #[test]
    fn parent_of_paths() {
        assert_eq!(parent_rel("a/b/c.yaml"), "a/b");
        assert_eq!(parent_rel("c.yaml"), "");
    }
}
