//! [`GitSource`]: the repository as it is at a git revision, read straight
//! from the object database (no checkout, no temporary worktree).
//!
//! `nexus plan --base REF` renders the layers at `REF` through this source
//! and the working tree through [`FsSource`](super::FsSource), then compares
//! the two. The same rules hold as on disk: paths are repository-relative,
//! symlinks (tree entries with mode `120000`) are resolved lexically and
//! refused when they leave the repository, and files over the size limit are
//! refused. When the nexus repository is a subdirectory of the git
//! repository, paths are taken relative to that subdirectory.

use std::path::Path;
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository, Tree};

use super::{DirEntry, Source};
use crate::error::Error;

/// Mode of a symlink entry in a git tree.
const MODE_LINK: i32 = 0o120000;
/// Symlinks followed while resolving one path, at most (as Linux's ELOOP).
const MAX_LINK_HOPS: usize = 40;

/// Read access to the tree of one commit.
pub struct GitSource {
    /// `git2::Repository` is `Send` but not `Sync`; reads are short, so one
    /// lock serialises them.
    repo: Mutex<Repository>,
    /// The tree of the nexus root at the revision (`None` when that
    /// directory did not exist there).
    root: Option<Oid>,
    rev: String,
    short_id: String,
    max_file_size: u64,
}

/// What a path resolves to.
enum Found {
    Blob(Oid),
    Tree(Oid),
    Missing,
}

fn git_err(what: &str, e: &git2::Error) -> Error {
    Error::input(format!("{what}: {}", e.message()))
}

impl GitSource {
    /// Open the git repository containing `nexus_root` and look up `rev`
    /// (a branch, tag, commit id or any `git rev-parse` expression).
    pub fn open(nexus_root: &Path, rev: &str, max_file_size: u64) -> Result<GitSource, Error> {
        let repo = Repository::discover(nexus_root).map_err(|e| {
            Error::input(format!(
                "`{}` is not inside a git repository: {}",
                nexus_root.display(),
                e.message()
            ))
            .with_hint("--base reads the layers from git; run nexus inside a git checkout, or leave out --base to compare with deploy/ on disk")
        })?;
        let commit = repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| {
                Error::input(format!("unknown git revision `{rev}`: {}", e.message()))
                    .with_hint("pass a branch, tag or commit that exists locally (in CI, fetch the base branch first, e.g. `git fetch origin main`)")
            })?;
        let tree = commit
            .tree()
            .map_err(|e| git_err(&format!("cannot read the tree of `{rev}`"), &e))?;
        let prefix = prefix_in_repo(&repo, nexus_root)?;
        let root = if prefix.is_empty() {
            Some(tree.id())
        } else {
            match tree.get_path(Path::new(&prefix)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => Some(entry.id()),
                _ => None,
            }
        };
        let short_id = commit.id().to_string().chars().take(10).collect();
        drop(tree);
        drop(commit);
        Ok(GitSource {
            repo: Mutex::new(repo),
            root,
            rev: rev.to_string(),
            short_id,
            max_file_size,
        })
    }

    /// The revision as given on the command line.
    pub fn rev(&self) -> &str {
        &self.rev
    }

    /// The abbreviated commit id the revision resolved to.
    pub fn commit(&self) -> &str {
        &self.short_id
    }

    fn resolve(&self, repo: &Repository, rel: &str) -> Result<Found, Error> {
        let Some(root) = self.root else {
            return Ok(Found::Missing);
        };
        let mut pending: Vec<String> = components(rel).into_iter().rev().collect();
        // The directories resolved so far: names and tree ids.
        let mut names: Vec<String> = Vec::new();
        let mut trees: Vec<Oid> = vec![root];
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                if names.pop().is_none() {
                    return Err(self.escape(rel));
                }
                trees.pop();
                continue;
            }
            let current = *trees.last().unwrap_or(&root);
            let tree = self.tree(repo, current)?;
            let Some(entry) = tree.get_name(&comp) else {
                return Ok(Found::Missing);
            };
            if entry.filemode() == MODE_LINK {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return Err(Error::input(format!(
                        "`{rel}` at `{}`: too many levels of symlinks",
                        self.rev
                    ))
                    .with_hint("a symlink points at itself or at a parent; fix the link"));
                }
                let blob = repo
                    .find_blob(entry.id())
                    .map_err(|e| git_err(&format!("cannot read the symlink `{rel}`"), &e))?;
                let target = String::from_utf8_lossy(blob.content()).into_owned();
                if target.starts_with('/') || target.contains('\0') || target.contains('\\') {
                    return Err(self.escape(rel));
                }
                // The target is relative to the directory holding the link.
                for c in components(&target).into_iter().rev() {
                    pending.push(c);
                }
                continue;
            }
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    names.push(comp);
                    trees.push(entry.id());
                }
                Some(ObjectType::Blob) if pending.is_empty() => return Ok(Found::Blob(entry.id())),
                // A file used as a directory, or a submodule.
                _ => return Ok(Found::Missing),
            }
        }
        Ok(Found::Tree(*trees.last().unwrap_or(&root)))
    }

    fn tree<'r>(&self, repo: &'r Repository, id: Oid) -> Result<Tree<'r>, Error> {
        repo.find_tree(id)
            .map_err(|e| git_err(&format!("cannot read a tree at `{}`", self.rev), &e))
    }

    fn escape(&self, rel: &str) -> Error {
        Error::input(format!(
            "`{rel}` at `{}` is a symlink that resolves outside the repository",
            self.rev
        ))
        .with_hint("nexus only reads files inside the repository; copy the file in instead of linking to it")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Repository> {
        self.repo.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The path components of `rel`, without empty ones and `.`.
fn components(rel: &str) -> Vec<String> {
    rel.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect()
}

/// Where `nexus_root` is inside the git work tree (`""` at its top).
fn prefix_in_repo(repo: &Repository, nexus_root: &Path) -> Result<String, Error> {
    let Some(workdir) = repo.workdir() else {
        return Ok(String::new());
    };
    let canon = |p: &Path| {
        std::fs::canonicalize(p)
            .map_err(|e| Error::input(format!("cannot open `{}`: {e}", p.display())))
    };
    let (workdir, root) = (canon(workdir)?, canon(nexus_root)?);
    let rel = root.strip_prefix(&workdir).map_err(|_| {
        Error::input(format!(
            "`{}` is outside the git work tree `{}`",
            root.display(),
            workdir.display()
        ))
    })?;
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

impl Source for GitSource {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, Error> {
        let repo = self.lock();
        let Found::Blob(id) = self.resolve(&repo, rel)? else {
            return Ok(None);
        };
        let blob = repo
            .find_blob(id)
            .map_err(|e| git_err(&format!("cannot read `{rel}` at `{}`", self.rev), &e))?;
        if blob.size() as u64 > self.max_file_size {
            return Err(Error::input(format!(
                "`{rel}` at `{}` is {} bytes, over the limit of {} bytes",
                self.rev,
                blob.size(),
                self.max_file_size
            ))
            .with_hint("split the file, or raise the limit with --max-file-size"));
        }
        Ok(Some(blob.content().to_vec()))
    }

    fn list_dir(&self, rel: &str) -> Result<Vec<DirEntry>, Error> {
        let repo = self.lock();
        let Found::Tree(id) = self.resolve(&repo, rel)? else {
            return Ok(Vec::new());
        };
        let tree = self.tree(&repo, id)?;
        let mut out = Vec::new();
        for entry in tree.iter() {
            let Some(name) = entry.name() else { continue };
            let is_dir = if entry.filemode() == MODE_LINK {
                // Follow the link for its type; an escaping link is refused
                // when it is read.
                let path = if rel.is_empty() {
                    name.to_string()
                } else {
                    format!("{rel}/{name}")
                };
                matches!(self.resolve(&repo, &path), Ok(Found::Tree(_)))
            } else {
                entry.kind() == Some(ObjectType::Tree)
            };
            out.push(DirEntry {
                name: name.to_string(),
                is_dir,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn is_dir(&self, rel: &str) -> bool {
        let repo = self.lock();
        matches!(self.resolve(&repo, rel), Ok(Found::Tree(_)))
    }

    fn describe(&self) -> String {
        format!("`{}` ({})", self.rev, self.short_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::Signature;

    /// A repository with one commit made from `(path, content, mode)`.
    fn repo_with(files: &[(&str, &str, i32)]) -> (tempfile::TempDir, Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        {
            let mut index = repo.index().unwrap();
            for (path, content, mode) in files {
                let id = repo.blob(content.as_bytes()).unwrap();
                let entry = git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: *mode as u32,
                    uid: 0,
                    gid: 0,
                    file_size: content.len() as u32,
                    id,
                    flags: 0,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                };
                index.add(&entry).unwrap();
            }
            let tree_id = index.write_tree().unwrap();
            let tree = repo.find_tree(tree_id).unwrap();
            let sig = Signature::now("t", "t@example.com").unwrap();
            repo.commit(Some("HEAD"), &sig, &sig, "one", &tree, &[])
                .unwrap();
        }
        (dir, repo)
    }

    #[test]
    fn reads_blobs_and_lists_trees() {
        let (dir, _repo) = repo_with(&[
            ("environments/base.yaml", "vars: {}\n", 0o100644),
            ("environments/prod/env.yaml", "a: 1\n", 0o100644),
        ]);
        let src = GitSource::open(dir.path(), "HEAD", 1024).unwrap();
        assert_eq!(
            src.read("environments/base.yaml").unwrap().unwrap(),
            b"vars: {}\n"
        );
        assert!(src.read("environments/missing.yaml").unwrap().is_none());
        assert!(src.read("environments").unwrap().is_none());
        assert!(src.is_dir("environments/prod"));
        assert!(!src.is_dir("environments/base.yaml"));
        let names: Vec<(String, bool)> = src
            .list_dir("environments")
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.is_dir))
            .collect();
        assert_eq!(
            names,
            vec![("base.yaml".into(), false), ("prod".into(), true)]
        );
        assert!(src.describe().contains("HEAD"));
    }

    #[test]
    fn follows_symlinks_inside_and_refuses_escapes() {
        let (dir, _repo) = repo_with(&[
            ("environments/mixins/a.yaml", "x: 1\n", 0o100644),
            ("environments/link.yaml", "mixins/a.yaml", MODE_LINK),
            ("environments/dirlink", "mixins", MODE_LINK),
            ("environments/out.yaml", "../../etc/passwd", MODE_LINK),
            ("environments/abs.yaml", "/etc/passwd", MODE_LINK),
            ("environments/loop.yaml", "loop.yaml", MODE_LINK),
        ]);
        let src = GitSource::open(dir.path(), "HEAD", 1024).unwrap();
        assert_eq!(
            src.read("environments/link.yaml").unwrap().unwrap(),
            b"x: 1\n"
        );
        assert_eq!(
            src.read("environments/dirlink/a.yaml").unwrap().unwrap(),
            b"x: 1\n"
        );
        assert!(src.is_dir("environments/dirlink"));
        let err = src.read("environments/out.yaml").unwrap_err();
        assert!(err.to_string().contains("outside the repository"), "{err}");
        assert!(src.read("environments/abs.yaml").is_err());
        let err = src.read("environments/loop.yaml").unwrap_err();
        assert!(err.to_string().contains("symlinks"), "{err}");
    }

    #[test]
    fn size_limit_and_unknown_revisions() {
        let (dir, _repo) = repo_with(&[("environments/base.yaml", "0123456789", 0o100644)]);
        let src = GitSource::open(dir.path(), "HEAD", 5).unwrap();
        let err = src.read("environments/base.yaml").unwrap_err();
        assert!(err.to_string().contains("over the limit"), "{err}");
        let Err(err) = GitSource::open(dir.path(), "no-such-branch", 5) else {
            panic!("opened an unknown revision");
        };
        assert!(err.to_string().contains("unknown git revision"), "{err}");
    }

    #[test]
    fn a_subdirectory_is_the_root() {
        let (dir, _repo) = repo_with(&[("ops/environments/base.yaml", "a: 1\n", 0o100644)]);
        std::fs::create_dir_all(dir.path().join("ops")).unwrap();
        let src = GitSource::open(&dir.path().join("ops"), "HEAD", 1024).unwrap();
        assert!(src.is_dir("environments"));
        assert!(src.read("environments/base.yaml").unwrap().is_some());
        // `..` out of the root is refused even though git has the file.
        assert!(src.read("../ops/environments/base.yaml").is_err());
    }
}
