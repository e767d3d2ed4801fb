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
use crate::yaml::node::{FileId, Node, Pos, Trace, Via};

pub mod git;
pub use git::GitSource;

/// Default limit on the size of one input file (README: Limits and safety).
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

    /// The real path of `rel` when no part of it below the root is a
    /// symlink (checked without following links, one `lstat` per part):
    /// the common case, and much cheaper than resolving the whole path.
    fn plain_path(&self, rel: &str) -> Option<PathBuf> {
        let mut path = self.root.clone();
        let mut parts = 0;
        for part in Path::new(rel).components() {
            let std::path::Component::Normal(name) = part else {
                return None;
            };
            path.push(name);
            if fs::symlink_metadata(&path).ok()?.file_type().is_symlink() {
                return None;
            }
            parts += 1;
        }
        (parts > 0).then(|| self.canonical_root.join(rel))
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
        if let Some(real) = self.plain_path(rel) {
            return Ok(Some(real));
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
        // A FIFO, socket or device would block or never end: refuse it
        // before opening it.
        if !meta.is_file() {
            return Err(Error::input(format!("`{rel}` is not a regular file"))
                .in_file(rel.to_string())
                .with_hint("nexus reads only regular files (no FIFOs, sockets or devices)"));
        }
        if meta.len() > self.max_file_size {
            return Err(too_big(rel, Some(meta.len()), self.max_file_size));
        }
        let file =
            fs::File::open(&real).map_err(|e| Error::input(format!("cannot read `{rel}`: {e}")))?;
        // Read at most one byte past the limit: the file may have grown
        // between the stat and the read.
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        io::Read::read_to_end(
            &mut io::Read::take(file, self.max_file_size.saturating_add(1)),
            &mut bytes,
        )
        .map_err(|e| Error::input(format!("cannot read `{rel}`: {e}")))?;
        if bytes.len() as u64 > self.max_file_size {
            return Err(too_big(rel, None, self.max_file_size));
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
            // The listing gives the type without a `stat`, except for a
            // symlink: that one is followed (escapes are refused when read).
            let is_dir = match entry.file_type() {
                Ok(t) if !t.is_symlink() => t.is_dir(),
                _ => fs::metadata(entry.path())
                    .map(|m| m.is_dir())
                    .unwrap_or(false),
            };
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

fn too_big(rel: &str, size: Option<u64>, limit: u64) -> Error {
    let size = size.map_or_else(|| "over".to_string(), |n| format!("{n} bytes,"));
    Error::input(format!("`{rel}` is {size} over the limit of {limit} bytes"))
        .in_file(rel.to_string())
        .with_hint("split the file, or raise the limit with --max-file-size")
}

/// A repository held in memory: for tests and the fuzz targets. Paths are
/// normalised with [`join_rel`], so nothing can name a file outside it.
#[derive(Debug, Default, Clone)]
pub struct MemSource {
    files: std::collections::BTreeMap<String, Vec<u8>>,
    max_file_size: u64,
}

impl MemSource {
    pub fn new() -> MemSource {
        MemSource {
            files: std::collections::BTreeMap::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }

    /// Add (or replace) a file. Paths that would leave the root are ignored.
    pub fn insert(&mut self, rel: &str, content: impl Into<Vec<u8>>) -> &mut MemSource {
        if let Some(path) = join_rel("", rel).filter(|p| !p.is_empty()) {
            self.files.insert(path, content.into());
        }
        self
    }

    pub fn with_max_file_size(mut self, limit: u64) -> MemSource {
        self.max_file_size = limit;
        self
    }
}

impl Source for MemSource {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(path) = join_rel("", rel) else {
            return Err(Error::input(format!("`{rel}` is outside the repository")));
        };
        match self.files.get(&path) {
            Some(b) if b.len() as u64 > self.max_file_size => {
                Err(too_big(rel, Some(b.len() as u64), self.max_file_size))
            }
            Some(b) => Ok(Some(b.clone())),
            None => Ok(None),
        }
    }

    fn list_dir(&self, rel: &str) -> Result<Vec<DirEntry>, Error> {
        let Some(dir) = join_rel("", rel) else {
            return Ok(Vec::new());
        };
        let prefix = if dir.is_empty() {
            dir
        } else {
            format!("{dir}/")
        };
        let mut out: Vec<DirEntry> = Vec::new();
        for path in self.files.keys() {
            let Some(rest) = path.strip_prefix(&prefix) else {
                continue;
            };
            let (name, is_dir) = match rest.split_once('/') {
                Some((d, _)) => (d, true),
                None => (rest, false),
            };
            if !out.iter().any(|e| e.name == name && e.is_dir == is_dir) {
                out.push(DirEntry {
                    name: name.to_string(),
                    is_dir,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn is_dir(&self, rel: &str) -> bool {
        let Some(dir) = join_rel("", rel) else {
            return false;
        };
        let prefix = format!("{dir}/");
        dir.is_empty() || self.files.keys().any(|p| p.starts_with(&prefix))
    }

    fn describe(&self) -> String {
        "an in-memory repository".to_string()
    }
}

/// A repository seen with some files replaced: everything under `hidden`
/// (`environments`) comes from `overlay` only, everything else from `base`
/// unless the overlay has it. What `nexus import` checks its layers with
/// before (or without) writing them.
pub struct OverlaySource {
    base: Box<dyn Source>,
    overlay: MemSource,
    hidden: String,
}

impl OverlaySource {
    pub fn new(base: Box<dyn Source>, overlay: MemSource, hidden: &str) -> OverlaySource {
        OverlaySource {
            base,
            overlay,
            hidden: hidden.trim_end_matches('/').to_string(),
        }
    }

    fn is_hidden(&self, rel: &str) -> bool {
        let rel = rel.trim_start_matches("./");
        rel == self.hidden || rel.starts_with(&format!("{}/", self.hidden))
    }
}

impl Source for OverlaySource {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, Error> {
        if let Some(b) = self.overlay.read(rel)? {
            return Ok(Some(b));
        }
        if self.is_hidden(rel) {
            return Ok(None);
        }
        self.base.read(rel)
    }

    fn list_dir(&self, rel: &str) -> Result<Vec<DirEntry>, Error> {
        let mut out = self.overlay.list_dir(rel)?;
        if !self.is_hidden(rel) {
            let dir = rel.trim_end_matches('/');
            for e in self.base.list_dir(rel)? {
                let child = if dir.is_empty() {
                    e.name.clone()
                } else {
                    format!("{dir}/{}", e.name)
                };
                if !self.is_hidden(&child) && !out.iter().any(|o| o.name == e.name) {
                    out.push(e);
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn is_dir(&self, rel: &str) -> bool {
        self.overlay.is_dir(rel) || (!self.is_hidden(rel) && self.base.is_dir(rel))
    }

    fn describe(&self) -> String {
        format!("{} with the imported layers", self.base.describe())
    }
}

/// One file nexus has read.
#[derive(Debug)]
pub struct FileInfo {
    /// Repository-relative path with `/` separators.
    pub path: String,
    pub text: Arc<str>,
}

/// Append-only table of the files read in one run, and of the template
/// strings values came through ([`Via`]). Cheap to share between threads:
/// lookups take a read lock, and an entry is added once.
#[derive(Debug, Default)]
pub struct Files {
    inner: Arc<Tables>,
}

/// A clone is another handle on the same table, as [`Files::share`].
impl Clone for Files {
    fn clone(&self) -> Files {
        self.share()
    }
}

#[derive(Debug, Default)]
struct Tables {
    files: RwLock<Vec<Arc<FileInfo>>>,
    /// `Via(n)` is the position at index `n - 1`.
    vias: RwLock<Vec<Pos>>,
}

impl Files {
    pub fn new() -> Files {
        Files::default()
    }

    /// Another handle on the same table (files added through either are
    /// seen by both): lets the templater and its watchdog name files.
    pub fn share(&self) -> Files {
        Files {
            inner: Arc::clone(&self.inner),
        }
    }

    pub fn add(&self, path: String, text: Arc<str>) -> FileId {
        let mut files = self.inner.files.write().unwrap_or_else(|e| e.into_inner());
        files.push(Arc::new(FileInfo { path, text }));
        FileId((files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> Option<Arc<FileInfo>> {
        let files = self.inner.files.read().unwrap_or_else(|e| e.into_inner());
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

    /// Remember that a value came through the template string at `used`.
    pub fn record_via(&self, used: Pos) -> Via {
        if used.is_generated() {
            return Via::NONE;
        }
        let mut vias = self.inner.vias.write().unwrap_or_else(|e| e.into_inner());
        vias.push(used);
        Via(u32::try_from(vias.len()).unwrap_or(0))
    }

    /// Where a value was set, and the template it came through: the one
    /// answer every consumer (validate, lint, explain, plan) gives.
    pub fn trace(&self, node: &Node) -> Trace {
        let via = match node.via.0 {
            n if n == Via::NONE.0 || n == Via::LITERAL.0 || n == Via::BINARY.0 => None,
            n => {
                let vias = self.inner.vias.read().unwrap_or_else(|e| e.into_inner());
                vias.get(n as usize - 1).copied()
            }
        };
        Trace { set: node.pos, via }
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
    fn mem_source_lists_and_reads() {
        let mut m = MemSource::new();
        m.insert("environments/base.yaml", "a: 1\n")
            .insert("environments/prod/env.yaml", "")
            .insert("../outside.yaml", "x");
        let names: Vec<_> = m
            .list_dir("environments")
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.is_dir))
            .collect();
        assert_eq!(
            names,
            vec![("base.yaml".to_string(), false), ("prod".to_string(), true)]
        );
        assert!(m.is_dir("environments/prod"));
        assert!(!m.is_dir("environments/base.yaml"));
        assert!(matches!(m.read("environments/base.yaml"), Ok(Some(b)) if b == b"a: 1\n"));
        assert!(m.read("../outside.yaml").is_err());
        let small = m.with_max_file_size(2);
        assert!(small.read("environments/base.yaml").is_err());
    }

    #[test]
    fn parent_of_paths() {
        assert_eq!(parent_rel("a/b/c.yaml"), "a/b");
        assert_eq!(parent_rel("c.yaml"), "");
    }
}
