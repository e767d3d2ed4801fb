//! Data-driven snapshot tests of what a user sees, in the style of
//! minijinja's `tests/test_templates.rs`: each `tests/cases/<name>.case`
//! file holds a small repository and the commands to run in it; the whole
//! output of every command (exit code, stdout, stderr) is one snapshot in
//! `tests/integration/snapshots/`.
//!
//! Case file format:
//!
//! ```text
//! # What the case shows (comment lines before the first command).
//! $ lint --all --format json        (arguments to nexus, one command a line)
//! $ @cat deploy/stage/apps/api.yaml  (show a file the commands wrote)
//! === environments/base.yaml        (a file of the repository follows)
//! ...
//! ```
//!
//! Update snapshots after a deliberate change with
//! `INSTA_UPDATE=always cargo test --test integration cases`, then read the
//! diff before committing it.

use std::path::Path;

use crate::util::Repo;

/// A parsed case: the commands and the files.
struct Case {
    commands: Vec<Vec<String>>,
    files: Vec<(String, String)>,
}

fn parse(text: &str) -> Case {
    let mut commands = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("=== ") {
            files.push((path.trim().to_string(), String::new()));
        } else if let Some((_, body)) = files.last_mut() {
            body.push_str(line);
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            commands.push(cmd.split_whitespace().map(str::to_string).collect());
        }
    }
    Case { commands, files }
}

fn run_case(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let case = parse(&text);
    assert!(
        !case.commands.is_empty(),
        "{}: no `$ ` command",
        path.display()
    );
    let repo = Repo::new();
    for (rel, body) in &case.files {
        repo.write(rel, body);
    }
    let mut out = String::new();
    for cmd in &case.commands {
        if let [at, path] = cmd.as_slice()
            && at == "@cat"
        {
            out.push_str(&format!("$ cat {path}\n{}\n", repo.read(path)));
            continue;
        }
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let run = repo.run(&args);
        out.push_str(&format!(
            "$ nexus {}\nexit: {}\n--- stdout\n{}--- stderr\n{}\n",
            cmd.join(" "),
            run.code,
            run.stdout,
            run.stderr
        ));
    }
    out
}

#[test]
fn cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no cases in {}", dir.display());
    for path in paths {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("bad case name")
            .to_string();
        let output = run_case(&path);
        insta::assert_snapshot!(name, output);
    }
}
