//! What a packaged tool ships and shows: shell completions, man pages, the
//! wave graph as Graphviz and Mermaid (each checked with the real parser
//! where it is installed), the progress line, and the graph in the plan.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::util::{Repo, have, project_root};

const SUBCOMMANDS: &[&str] = &[
    "render",
    "validate",
    "explain",
    "graph",
    "ls",
    "lint",
    "check",
    "init",
    "hook",
    "plan",
    "diff",
    "set",
    "promote",
    "import",
    "completions",
    "man",
];

/// Run `program args` with `input` on stdin.
fn pipe(program: &str, args: &[&str], input: &str) -> (bool, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn completions_for_every_shell_name_every_subcommand() {
    let r = Repo::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = r.run(&["completions", shell]);
        out.code(0);
        for sub in SUBCOMMANDS {
            assert!(out.stdout.contains(sub), "{shell} completion lacks `{sub}`");
        }
    }
    r.run(&["completions", "tcsh"])
        .code(2)
        .stderr_has("possible values");
}

#[test]
fn bash_completes_a_subcommand() {
    if !have("bash") {
        eprintln!("skipped: bash is not installed");
        return;
    }
    let r = Repo::new();
    let script = r.run(&["completions", "bash"]).stdout;
    r.write("nexus.bash", &script);
    let probe = format!(
        "source {}; COMP_WORDS=(nexus pl); COMP_CWORD=1; COMP_LINE='nexus pl'; COMP_POINT=8; _nexus nexus pl nexus; echo \"${{COMPREPLY[@]}}\"",
        r.path().join("nexus.bash").display()
    );
    let out = Command::new("bash").args(["-c", &probe]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "plan",
        "{out:?}"
    );
}

#[test]
fn man_pages_render_without_warnings() {
    let r = Repo::new();
    let page = r.run(&["man"]);
    page.code(0).stdout_has(".TH nexus 1").stdout_has("render");
    let out = r.run(&["man", "man1"]);
    out.code(0);
    let pages: Vec<String> = r.tree("man1").into_iter().map(|(p, _)| p).collect();
    for sub in SUBCOMMANDS {
        assert!(
            pages.contains(&format!("nexus-{sub}.1")),
            "no page for {sub}: {pages:?}"
        );
    }
    assert!(pages.contains(&"nexus.1".to_string()));
    assert!(pages.contains(&"nexus-hook-install.1".to_string()));
    if !have("groff") {
        eprintln!("skipped: groff is not installed; the pages were not parsed");
        return;
    }
    for name in [
        "nexus.1",
        "nexus-render.1",
        "nexus-hook-install.1",
        "nexus-import.1",
    ] {
        let text = r.read(&format!("man1/{name}"));
        let (ok, shown, warnings) = pipe("groff", &["-man", "-Tutf8", "-ww", "-P-bcou"], &text);
        assert!(ok && warnings.is_empty(), "{name}: {warnings}");
        assert!(shown.contains("SYNOPSIS"), "{name}");
    }
    // A file where the directory should be is refused.
    r.write("taken", "");
    r.run(&["man", "taken"])
        .code(2)
        .stderr_has("is not a directory");
}

#[test]
fn dot_labels_break_lines_as_graphviz_reads_them() {
    let r = Repo::example();
    let out = r.run(&["graph", "prod/kr", "--format", "dot"]);
    out.code(0).stdout_has(r#""api" [label="api\nwave 1"];"#);
    assert!(!out.stdout.contains("\\\\n"), "{}", out.stdout);
    if !have("dot") {
        eprintln!("skipped: Graphviz `dot` is not installed (Debian package graphviz)");
        return;
    }
    let (ok, svg, err) = pipe("dot", &["-Tsvg"], &out.stdout);
    assert!(ok, "{err}");
    // Two text lines, no literal backslash.
    assert!(
        svg.contains(">api</text>") && svg.contains(">wave 1</text>"),
        "{svg}"
    );
    assert!(!svg.contains("\\n"), "{svg}");
}

/// The Mermaid parser installed by `.ci/run` (`npm ci` in tests/mermaid).
fn mermaid_parser() -> Option<std::path::PathBuf> {
    let dir = project_root().join("tests/mermaid");
    if !have("node") || !dir.join("node_modules/mermaid").is_dir() {
        eprintln!(
            "skipped: the Mermaid parser is not installed (run `npm ci --prefix tests/mermaid`, as .ci/run does)"
        );
        return None;
    }
    Some(dir.join("parse.mjs"))
}

#[test]
fn mermaid_graph_is_valid_mermaid() {
    let r = Repo::example();
    let one = r.run(&["graph", "prod/kr", "--format", "mermaid"]);
    one.code(0)
        .stdout_has("flowchart LR\n")
        .stdout_has("[\"wave 1\"]")
        .stdout_has(" --> ");
    // A group: one flowchart, a subgraph per environment.
    let group = r.run(&["graph", "prod", "--format", "mermaid"]);
    group
        .code(0)
        .stdout_has("[\"prod/kr\"]")
        .stdout_has("[\"prod/us\"]");
    let Some(parser) = mermaid_parser() else {
        return;
    };
    for text in [&one.stdout, &group.stdout] {
        let (ok, kind, err) = pipe("node", &[parser.to_str().unwrap()], text);
        assert!(ok, "{err}\n{text}");
        assert!(kind.starts_with("flowchart"), "{kind}");
    }
    // The parser does refuse what is not Mermaid.
    let (ok, _, _) = pipe(
        "node",
        &[parser.to_str().unwrap()],
        "flowchart LR\n  a[b --> \n",
    );
    assert!(!ok);
}

#[test]
fn plan_markdown_draws_the_waves_that_changed() {
    let r = Repo::example();
    r.run(&["render", "stage", "prod"]).code(0);
    // A value change: no graph.
    r.run(&[
        "set",
        "prod/kr",
        "web",
        "values.podAnnotations.note",
        "calm",
    ])
    .code(0);
    let calm = r.run(&["plan", "prod/kr", "--format", "markdown"]);
    calm.code(0).stdout_has("calm");
    assert!(!calm.stdout.contains("```mermaid"), "{}", calm.stdout);
    // web no longer waits for api: its wave and edge change in every
    // environment.
    let web = r
        .read("environments/apps/web.yaml")
        .replace("dependsOn: [api]", "dependsOn: []");
    r.write("environments/apps/web.yaml", &web);
    let out = r.run(&["plan", "prod/kr", "--format", "markdown"]);
    out.code(0)
        .stdout_has("Sync waves of <code>prod/kr</code>")
        .stdout_has("```mermaid\nflowchart LR\n");
    if let Some(parser) = mermaid_parser() {
        let block = out
            .stdout
            .split("```mermaid\n")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let (ok, _, err) = pipe("node", &[parser.to_str().unwrap()], block);
        assert!(ok, "{err}\n{block}");
    }
    // Too little room: the graph goes with the tables.
    let small = r.run(&[
        "plan",
        "prod/kr",
        "--format",
        "markdown",
        "--max-bytes",
        "600",
    ]);
    small.code(0);
    assert!(
        small.stdout.len() <= 600 && !small.stdout.contains("mermaid"),
        "{}",
        small.stdout
    );
}

/// Run nexus on a pseudo-terminal (util-linux `script`), returning what
/// the terminal showed.
fn on_a_terminal(r: &Repo, args: &str, env: &[(&str, &str)]) -> Option<String> {
    if !have("script") {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    }
    let log = r.path().join("terminal.log");
    let bin = env!("CARGO_BIN_EXE_nexus");
    let mut cmd = Command::new("script");
    cmd.args([
        "-q",
        "-e",
        "-c",
        &format!("{bin} {args}"),
        log.to_str().unwrap(),
    ])
    .current_dir(r.path())
    .env_remove("CI")
    .env("NEXUS_PROGRESS_AFTER_MS", "0")
    .stdin(Stdio::null())
    .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.status().unwrap();
    Some(String::from_utf8_lossy(&std::fs::read(log).unwrap()).into_owned())
}

#[test]
fn progress_only_on_a_terminal_for_people() {
    let r = Repo::example();
    // Piped (as in every test): never.
    for args in [&["render", "--all"][..], &["lint", "--all"], &["check"]] {
        let out = r.run_env(args, &[("NEXUS_PROGRESS_AFTER_MS", "0")]);
        assert!(
            !out.stderr.contains("apps  ") && !out.stderr.contains('\r'),
            "{}",
            out.stderr
        );
    }
    let Some(shown) = on_a_terminal(&r, "lint --all", &[]) else {
        return;
    };
    assert!(shown.contains("linting  "), "{shown}");
    // Erased: the last thing on the line is the summary, after a clear.
    assert!(shown.contains("\u{1b}[2K"), "{shown}");
    for (args, env) in [
        ("lint --all", vec![("CI", "true")]),
        ("lint --all --quiet", vec![]),
        ("lint --all --format json", vec![]),
        ("lint --all --format sarif", vec![]),
        ("validate --all --format github", vec![]),
    ] {
        let shown = on_a_terminal(&r, args, &env).unwrap();
        assert!(!shown.contains("ing  "), "{args} {env:?}: {shown}");
    }
}
