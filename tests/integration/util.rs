//! A small harness: each test gets a fresh repository in a temp dir, writes
//! files into it, runs the real `nexus` binary there and looks at the exit
//! code, output and files written.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Repo {
    dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Assert the exit code, showing the output when it is wrong.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n--- stdout\n{}",
            self.stdout
        );
        self
    }
}

/// The project root (where the shipped example lives).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::Builder::new()
            .prefix("nexus-test-")
            .tempdir()
            .expect("tempdir");
        Repo { dir }
    }

    /// A repository with a minimal base layer (repoURL and a project set).
    pub fn with_base() -> Repo {
        let r = Repo::new();
        r.write(
            "environments/base.yaml",
            "projects:\n  apps:\n    sourceRepos: ['*']\n    destinations: [{server: '*', namespace: '*'}]\nargocd:\n  repoURL: https://example.com/gitops.git\n  targetRevision: main\n  project: apps\n",
        );
        r
    }

    /// `with_base` plus `stage` and `prod` (each setting `vars.tag`) and an
    /// app `api` on a pinned remote chart whose image tag is `vars.tag`.
    pub fn stage_prod() -> Repo {
        let r = Repo::with_base();
        r.write("environments/stage/env.yaml", "vars: {tag: '1.1'}\n")
            .write("environments/prod/env.yaml", "vars: {tag: '1.0'}\n")
            .write(
                "environments/apps/api.yaml",
                "app:\n  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 2.0.0}\n  values:\n    image: {tag: '{{ vars.tag }}'}\n",
            );
        r
    }

    /// A copy of the example repository shipped at the project root.
    pub fn example() -> Repo {
        let r = Repo::new();
        for dir in [
            "environments",
            "templates",
            "schemas",
            "charts",
            "manifests",
            "policies",
        ] {
            copy_dir(&project_root().join(dir), &r.path().join(dir));
        }
        if project_root().join("nexus.yaml").exists() {
            std::fs::copy(
                project_root().join("nexus.yaml"),
                r.path().join("nexus.yaml"),
            )
            .unwrap();
        }
        r
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: &str) -> &Repo {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
        }
        std::fs::write(&p, content).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        self
    }

    pub fn remove(&self, rel: &str) -> &Repo {
        std::fs::remove_file(self.path().join(rel)).unwrap_or_else(|e| panic!("remove {rel}: {e}"));
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path().join(rel).exists()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nexus"));
        cmd.args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("NEXUS_REPO");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run nexus");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Every file below `rel`, as (path, content), sorted.
    pub fn tree(&self, rel: &str) -> Vec<(String, String)> {
        let root = self.path().join(rel);
        let mut out = Vec::new();
        if !root.exists() {
            return out;
        }
        for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let e = e.unwrap();
            if e.file_type().is_file() {
                let p = e
                    .path()
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((p, std::fs::read_to_string(e.path()).unwrap_or_default()));
            }
        }
        out
    }

    /// Parse a written YAML file (the header is a comment) with serde_yaml.
    pub fn yaml(&self, rel: &str) -> serde_yaml::Value {
        serde_yaml::from_str(&self.read(rel)).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"))
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    if !from.exists() {
        return;
    }
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Look up a dotted path in a serde_yaml value (`spec.sources.0.chart`);
/// a key with dots goes in brackets (`metadata.annotations.[a.b/c]`).
pub fn at<'a>(v: &'a serde_yaml::Value, path: &str) -> &'a serde_yaml::Value {
    let mut cur = v;
    let mut parts = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            parts.push(&r[..end]);
            rest = r.get(end + 1..).unwrap_or("").trim_start_matches('.');
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            parts.push(&rest[..end]);
            rest = rest.get(end + 1..).unwrap_or("");
        }
    }
    for part in parts {
        cur = match part.parse::<usize>() {
            Ok(i) if cur.is_sequence() => &cur[i],
            _ => &cur[part],
        };
    }
    cur
}

/// Git repositories for `plan --base` and the hook, built with git2.
impl Repo {
    /// `git init` the repository (with a committer identity for the CLI).
    pub fn git_init(&self) -> &Repo {
        let repo = git2::Repository::init(self.path()).expect("git init");
        let mut cfg = repo.config().expect("git config");
        cfg.set_str("user.name", "nexus test").unwrap();
        cfg.set_str("user.email", "test@example.com").unwrap();
        self
    }

    /// Stage everything (deletions too) and commit it; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        let repo = git2::Repository::open(self.path()).expect("open");
        let mut index = repo.index().expect("index");
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.update_all(["*"], None).expect("update");
        index.write().expect("write index");
        let tree_id = index.write_tree().expect("tree");
        let tree = repo.find_tree(tree_id).unwrap();
        let sig = git2::Signature::now("nexus test", "test@example.com").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .expect("commit")
            .to_string()
    }

    /// Run the `git` command line here (for hooks, which git2 does not run).
    pub fn git(&self, args: &[&str], path_prefix: Option<&Path>) -> Run {
        let mut cmd = Command::new("git");
        cmd.args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("NEXUS_REPO")
            .env("GIT_AUTHOR_NAME", "nexus test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "nexus test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com");
        if let Some(dir) = path_prefix {
            let old = std::env::var_os("PATH").unwrap_or_default();
            let mut paths = vec![dir.to_path_buf()];
            paths.extend(std::env::split_paths(&old));
            cmd.env("PATH", std::env::join_paths(paths).unwrap());
        }
        let out = cmd.output().expect("run git");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The directory of the nexus binary under test, for PATH.
pub fn bin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nexus"))
        .parent()
        .expect("binary has no directory")
        .to_path_buf()
}

/// Is `tool` on PATH? (Tests that need an outside tool skip, saying so,
/// when it is not.)
pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
