//! `nexus hook install [--force]`: write the git pre-commit hook that runs
//! `nexus check`, so a commit with a stale `deploy/` tree (or layers that
//! fail validation or lint) is refused.
//!
//! The hook is a small shell script marked with [`MARKER`]; a hook with
//! the marker is ours and is replaced freely, any other hook only with
//! `--force` (it is kept as `pre-commit.before-nexus`). The git directory
//! and `core.hooksPath` come from git2, so worktrees and custom hook
//! directories work.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Failure, fail, repo_root};
use crate::error::Error;

/// The comment that marks a hook as written by nexus.
pub const MARKER: &str = "# nexus-managed-hook";

#[derive(clap::Subcommand, Debug)]
pub enum HookCommand {
    /// Write .git/hooks/pre-commit, which runs `nexus check`.
    Install {
        /// Replace an existing pre-commit hook that nexus did not write (a copy is kept).
        #[arg(long)]
        force: bool,
    },
}

/// The hook script. `subdir` is the nexus repository inside the git work
/// tree (`""` at its top).
pub fn script(subdir: &str) -> String {
    let cd = if subdir.is_empty() {
        String::new()
    } else {
        format!("cd \"$(git rev-parse --show-toplevel)/{subdir}\" || exit 1\n")
    };
    format!(
        r#"#!/bin/sh
{MARKER}
# Installed by `nexus hook install`; run it again to update, delete this file to remove.
# Refuses a commit whose deploy/ tree is stale or whose layers fail
# validation or lint. Skip once with `git commit --no-verify`.
{cd}if ! command -v nexus >/dev/null 2>&1; then
  echo "nexus pre-commit hook: the nexus command is not on PATH." >&2
  echo "Install it (cargo install --git <nexus repository>) or skip once with git commit --no-verify." >&2
  exit 1
fi
nexus check || exit 1
# nexus checked the working tree: the commit must carry that deploy/ tree.
if ! git diff --quiet -- deploy || [ -n "$(git ls-files --others --exclude-standard -- deploy)" ]; then
  echo "nexus pre-commit hook: deploy/ has changes that are not staged; run: git add deploy" >&2
  exit 1
fi
"#
    )
}

/// Where hooks go: `core.hooksPath` when set, else `<common git dir>/hooks`.
fn hooks_dir(repo: &git2::Repository) -> PathBuf {
    if let Ok(cfg) = repo.config()
        && let Ok(p) = cfg.get_path("core.hooksPath")
    {
        if p.is_absolute() {
            return p;
        }
        if let Some(w) = repo.workdir() {
            return w.join(p);
        }
    }
    repo.commondir().join("hooks")
}

/// Write `content` to `path` with mode 0755, atomically.
fn write_executable(path: &Path, content: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".pre-commit.nexus-tmp.{}", std::process::id()));
    let result = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o755);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
        drop(f);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

pub fn run(cmd: &HookCommand) -> Result<i32, Failure> {
    let HookCommand::Install { force } = cmd;
    let root = repo_root().map_err(fail)?;
    let repo = git2::Repository::discover(&root).map_err(|e| {
        fail(
            Error::input(format!(
                "`{}` is not inside a git repository: {}",
                root.display(),
                e.message()
            ))
            .with_hint("run `git init` first"),
        )
    })?;
    let subdir = match repo.workdir() {
        Some(w) => {
            let (w, r) = (fs::canonicalize(w), fs::canonicalize(&root));
            match (w, r) {
                (Ok(w), Ok(r)) => r
                    .strip_prefix(&w)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default(),
                _ => String::new(),
            }
        }
        None => {
            return Err(fail(Error::input(
                "this is a bare git repository: there are no commits to check here",
            )));
        }
    };
    let path = hooks_dir(&repo).join("pre-commit");
    let content = script(&subdir);
    match fs::read(&path) {
        Ok(existing) if existing == content.as_bytes() => {
            println!("{} is already installed and up to date", path.display());
            return Ok(0);
        }
        Ok(existing) if !String::from_utf8_lossy(&existing).contains(MARKER) => {
            if !force {
                return Err(fail(
                    Error::input(format!(
                        "{} exists and was not written by nexus",
                        path.display()
                    ))
                    .with_hint("add `nexus check` to that hook yourself, or pass --force to replace it (a copy is kept as pre-commit.before-nexus)"),
                ));
            }
            let backup = path.with_file_name("pre-commit.before-nexus");
            fs::copy(&path, &backup).map_err(|e| {
                fail(Error::input(format!(
                    "cannot keep a copy of the hook at {}: {e}",
                    backup.display()
                )))
            })?;
            println!("kept the previous hook as {}", backup.display());
        }
        _ => {}
    }
    write_executable(&path, &content).map_err(|e| {
        fail(Error::input(format!(
            "cannot write {}: {e}",
            path.display()
        )))
    })?;
    println!(
        "installed {}: every commit now runs `nexus check`",
        path.display()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_marked_and_changes_directory_when_nested() {
        let s = script("");
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains(MARKER));
        assert!(s.contains("nexus check || exit 1"));
        assert!(!s.contains("cd \""));
        assert!(
            script("ops/gitops").contains("cd \"$(git rev-parse --show-toplevel)/ops/gitops\"")
        );
    }
}
