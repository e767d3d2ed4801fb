//! `explain`, `graph`, `ls` and the command line itself.

use crate::util::Repo;

const CHART: &str =
    "  chart: {repoURL: https://charts.example.com, chart: demo, targetRevision: 1.2.3}\n";

fn repo() -> Repo {
    let r = Repo::with_base();
    r.write("environments/apps/db.yaml", &format!("app:\n{CHART}"));
    r.write("environments/apps/api.yaml", &format!("app:\n{CHART}  dependsOn: [db]\n  values:\n    image:\n      tag: '1.0'\n    password: hunter2\n"));
    r.write(
        "environments/apps/web.yaml",
        &format!("app:\n{CHART}  dependsOn: [api]\n"),
    );
    r.write(
        "environments/apps/cron.yaml",
        &format!("app:\n{CHART}  dependsOn: [db]\n"),
    );
    r.write(
        "environments/prod/env.yaml",
        "app:\n  values:\n    image: {tag: '2.0'}\n",
    );
    r.write("environments/prod/kr/env.yaml", "");
    r.write(
        "environments/prod/kr/apps/api.yaml",
        "app:\n  values:\n    image:\n      tag: '2.1'\n",
    );
    r.write("environments/prod/us/env.yaml", "");
    r.write("environments/stage/env.yaml", "");
    r
}

#[test]
fn explain_a_path_lists_every_layer_and_the_winner() {
    let r = repo();
    let run = r.run(&["explain", "prod/kr", "api", "values.image.tag"]);
    run.code(0);
    run.stdout_has("app.values.image.tag in prod/kr / api")
        .stdout_has("= '2.1'");
    run.stdout_has("final value from environments/prod/kr/apps/api.yaml:4:12");
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(".yaml:"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("environments/apps/api.yaml:6:12") && l.contains("'1.0'")),
        "{}",
        run.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("environments/prod/env.yaml:3:18")),
        "{}",
        run.stdout
    );
    let winner = lines
        .iter()
        .find(|l| l.contains("* wins"))
        .copied()
        .unwrap_or_default();
    assert!(
        winner.contains("environments/prod/kr/apps/api.yaml:4:12"),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_without_a_path_shows_the_chain_and_masks_secrets() {
    let r = repo();
    let run = r.run(&["explain", "prod/kr", "api"]);
    run.code(0);
    run.stdout_has("environments/base.yaml")
        .stdout_has("environments/prod/apps/api.yaml  (missing)");
    run.stdout_has("app.values.image.tag = '2.1'");
    run.stdout_has("app.values.password = ***");
    assert!(!run.stdout.contains("hunter2"));
}

#[test]
fn explain_errors() {
    let r = repo();
    r.run(&["explain", "prod", "api"])
        .code(2)
        .stderr_has("is a group")
        .stderr_has("prod/kr");
    r.run(&["explain", "prod/kr", "apii"])
        .code(2)
        .stderr_has("did you mean `api`?");
    // A path nothing sets exits 1, so scripts can tell.
    r.run(&["explain", "prod/kr", "api", "values.nope"])
        .code(1)
        .stdout_has("is not set")
        .stdout_has("no layer sets it");
    r.run(&["explain", "prod/kr", "api", "values.a..b"])
        .code(2)
        .stderr_has("bad path");
}

#[test]
fn graph_text_and_dot() {
    let r = repo();
    let run = r.run(&["graph", "stage"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        "stage: 4 apps in 3 waves\nwave 0\n  db\nwave 1\n  api  <- db\n  cron  <- db\nwave 2\n  web  <- api\n"
    );
    let dot = r.run(&["graph", "stage", "--format", "dot"]);
    dot.code(0)
        .stdout_has("digraph \"stage\" {")
        .stdout_has("\"db\" -> \"api\";")
        .stdout_has("\"api\" -> \"web\";");
    r.run(&["graph", "stage", "--format", "svg"]).code(2);
}

#[test]
fn ls_lists_groups_environments_and_apps() {
    let r = repo();
    r.write(
        "environments/prod/us/apps/cron.yaml",
        "app: {enabled: false}\n",
    );
    let run = r.run(&["ls"]);
    run.code(0);
    run.stdout_has("prod  (prod/kr, prod/us)");
    run.stdout_has("prod/us: api, cron (disabled), db, web");
    run.stdout_has("stage: api, cron, db, web");
}

#[test]
fn nexus_repo_environment_variable_is_honoured() {
    let r = repo();
    let elsewhere = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nexus"))
        .args(["graph", "stage"])
        .current_dir(elsewhere.path())
        .env("NEXUS_REPO", r.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_command_lines_exit_2_and_help_exits_0() {
    let r = repo();
    r.run(&["render", "--bogus"]).code(2);
    r.run(&["frobnicate"]).code(2);
    r.run(&["--help"]).code(0).stdout_has("render");
}

#[test]
fn explain_follows_a_template_to_the_var_that_fed_it() {
    let r = repo();
    r.write(
        "environments/apps/db.yaml",
        &format!(
            "app:\n{CHART}  values:\n    replicas: \"{{{{ vars.count }}}}\"\nvars:\n  count: 1\n"
        ),
    );
    r.write("environments/prod/kr/env.yaml", "vars:\n  count: 3\n");
    let run = r.run(&["explain", "prod/kr", "db", "values.replicas"]);
    run.code(0)
        .stdout_has("= 3")
        .stdout_has("final value from environments/prod/kr/env.yaml:2:10 (through the template at environments/apps/db.yaml:4:15)");
}
