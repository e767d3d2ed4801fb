//! `nexus hook install` and the hook itself, run by `git commit`.

use crate::util::{Repo, bin_dir};

fn repo() -> Repo {
    let r = Repo::stage_prod();
    r.run(&["render", "--all"]).code(0);
    r.git_init();
    r.commit("initial");
    r
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn installs_an_executable_hook_and_reinstalls_it() {
    let r = repo();
    r.run(&["hook", "install"]).code(0).stdout_has("installed");
    let hook = r.path().join(".git/hooks/pre-commit");
    let text = r.read(".git/hooks/pre-commit");
    assert!(text.starts_with("#!/bin/sh\n"), "{text}");
    assert!(text.contains("nexus check"), "{text}");
    #[cfg(unix)]
    assert_eq!(mode(&hook), 0o755);
    r.run(&["hook", "install"])
        .code(0)
        .stdout_has("already installed");
}

#[test]
fn refuses_a_foreign_hook_without_force() {
    let r = repo();
    r.write(".git/hooks/pre-commit", "#!/bin/sh\necho mine\n");
    r.run(&["hook", "install"])
        .code(2)
        .stderr_has("not written by nexus")
        .stderr_has("--force");
    assert_eq!(r.read(".git/hooks/pre-commit"), "#!/bin/sh\necho mine\n");
    r.run(&["hook", "install", "--force"]).code(0);
    assert!(r.read(".git/hooks/pre-commit").contains("nexus check"));
    assert_eq!(
        r.read(".git/hooks/pre-commit.before-nexus"),
        "#!/bin/sh\necho mine\n"
    );
}

#[test]
fn outside_git_it_says_so() {
    let r = Repo::with_base();
    r.write("environments/stage/env.yaml", "{}\n");
    r.run(&["hook", "install"])
        .code(2)
        .stderr_has("not inside a git repository");
}

#[test]
fn the_hook_blocks_a_stale_commit_and_allows_it_after_rendering() {
    let r = repo();
    r.run(&["hook", "install"]).code(0);
    let path = bin_dir();
    r.write("environments/stage/env.yaml", "vars: {tag: '1.2'}\n");
    r.git(&["add", "-A"], None).code(0);
    let blocked = r.git(&["commit", "-m", "stale"], Some(&path));
    // git sends a hook's output to stderr.
    blocked
        .code(1)
        .stderr_has("stale   deploy/stage/values/api.yaml");
    // Rendered but not staged: still refused, with the fix.
    r.run(&["render", "--all"]).code(0);
    r.git(&["commit", "-m", "unstaged"], Some(&path))
        .code(1)
        .stderr_has("git add deploy");
    r.git(&["add", "-A"], None).code(0);
    r.git(&["commit", "-m", "fresh"], Some(&path)).code(0);
    let log = r.git(&["log", "--format=%s"], None);
    assert_eq!(log.stdout, "fresh\ninitial\n");
}

#[test]
fn the_hook_explains_a_missing_nexus() {
    let r = repo();
    r.run(&["hook", "install"]).code(0);
    // A PATH with git and sh but no nexus.
    let bare = tempfile::tempdir().unwrap();
    for tool in ["git", "sh"] {
        let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|d| d.join(tool))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("{tool} not on PATH"));
        std::os::unix::fs::symlink(&found, bare.path().join(tool)).unwrap();
    }
    let out = std::process::Command::new(bare.path().join("git"))
        .args(["commit", "--allow-empty", "-m", "x"])
        .current_dir(r.path())
        .env("PATH", bare.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not on PATH"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
