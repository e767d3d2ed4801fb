//! `nexus plan`: against a git revision (read from git objects) and against
//! `deploy/` on disk, in every format; exact counts, masked secrets, the
//! markdown size budget and `--exit-code`.

use crate::util::Repo;

/// Two environments (stage, prod) with two apps (api depends on db),
/// rendered and committed.
fn fixture() -> Repo {
    let r = Repo::stage_prod();
    r.write(
            "environments/apps/db.yaml",
            "app:\n  chart: {repoURL: https://charts.example.com, chart: db, targetRevision: 1.2.3}\n  values:\n    auth: {existingSecret: db-creds}\n",
        )
        .write(
            "environments/apps/api.yaml",
            "app:\n  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 2.0.0}\n  dependsOn: [db]\n  values:\n    image: {repository: ghcr.io/acme/api, tag: '{{ vars.tag }}'}\n    replicaCount: 1\n",
        );
    r.run(&["render", "--all"]).code(0);
    r.git_init();
    r.commit("initial");
    r
}

/// A third app, in every environment.
fn add_cache(r: &Repo) {
    r.write(
        "environments/apps/cache.yaml",
        "app:\n  chart: {repoURL: https://charts.example.com, chart: cache, targetRevision: 0.1.0}\n",
    );
}

fn summary(add: usize, change: usize, destroy: usize) -> String {
    format!("Plan: {add} to add, {change} to change, {destroy} to destroy.")
}

#[test]
fn no_changes_against_head_and_against_deploy() {
    let r = fixture();
    let run = r.run(&["plan", "--base", "HEAD", "--exit-code"]);
    run.code(0)
        .stdout_has(&summary(0, 0, 0))
        .stdout_has("No changes");
    r.run(&["plan", "--exit-code"])
        .code(0)
        .stdout_has(&summary(0, 0, 0));
}

#[test]
fn adding_an_app_adds_its_files_in_every_environment() {
    let r = fixture();
    add_cache(&r);
    let run = r.run(&["plan", "--base", "HEAD", "--exit-code"]);
    run.code(1).stdout_has(&summary(4, 0, 0));
    run.stdout_has("+ deploy/prod/apps/cache.yaml (add)")
        .stdout_has("+ deploy/stage/values/cache.yaml (add)")
        .stdout_has("--- /dev/null");
    // Against deploy/ on disk (not rendered yet): the same.
    r.run(&["plan"]).code(0).stdout_has(&summary(4, 0, 0));
}

#[test]
fn removing_an_app_destroys_its_files() {
    let r = fixture();
    r.remove("environments/apps/db.yaml");
    r.write(
        "environments/apps/api.yaml",
        "app:\n  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 2.0.0}\n  values:\n    image: {repository: ghcr.io/acme/api, tag: '{{ vars.tag }}'}\n    replicaCount: 1\n",
    );
    // db goes (2 files x 2 envs); api's wave drops from 1 to 0 (1 x 2 envs).
    let run = r.run(&["plan", "--base", "HEAD", "--format", "json"]);
    run.code(0);
    let v: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout));
    assert_eq!(v["summary"]["add"], 0);
    assert_eq!(v["summary"]["change"], 2);
    assert_eq!(v["summary"]["destroy"], 4);
    assert_eq!(v["summaryLine"], summary(0, 2, 4));
    let prod = v["environments"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["name"] == "prod"))
        .unwrap_or_else(|| panic!("no prod in {v}"));
    let destroyed: Vec<&str> = prod["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["change"] == "destroy")
        .map(|f| f["path"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        destroyed,
        vec!["deploy/prod/apps/db.yaml", "deploy/prod/values/db.yaml"]
    );
    let api = prod["files"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["path"] == "deploy/prod/apps/api.yaml"))
        .unwrap_or_else(|| panic!("api change missing in {prod}"));
    assert_eq!(api["kind"], "application");
    assert_eq!(api["app"], "api");
    assert!(
        api["diff"]
            .as_str()
            .unwrap_or("")
            .contains("+    argocd.argoproj.io/sync-wave: '0'"),
        "{api}"
    );
}

#[test]
fn changing_a_value_in_one_environment_changes_one_file() {
    let r = fixture();
    r.write("environments/prod/env.yaml", "vars: {tag: '1.0.1'}\n");
    let run = r.run(&["plan", "--base", "HEAD", "--exit-code"]);
    run.code(1)
        .stdout_has(&summary(0, 1, 0))
        .stdout_has("~ deploy/prod/values/api.yaml (change)")
        .stdout_has("-  tag: '1.0'\n+  tag: 1.0.1\n");
    // Naming an environment limits the plan to it.
    r.run(&["plan", "stage", "--base", "HEAD"])
        .code(0)
        .stdout_has(&summary(0, 0, 0));
    r.run(&["plan", "prod", "--base", "HEAD"])
        .code(0)
        .stdout_has(&summary(0, 1, 0));
}

/// `plan --base HEAD` in every format: one change, no secret value, and
/// `shown` where the secret was.
fn plans_mask_secrets(r: &Repo, extra: &[&str], code: i32, shown: &str) {
    for format in ["text", "markdown", "json"] {
        let mut args = vec!["plan", "--base", "HEAD", "--format", format];
        args.extend_from_slice(extra);
        let run = r.run(&args);
        run.code(code).stdout_has(&summary(0, 1, 0));
        assert!(
            !run.stdout.contains("hunter2") && !run.stdout.contains("tok-first"),
            "{format} leaks a secret:\n{}",
            run.stdout
        );
        assert!(run.stdout.contains(shown), "{format}:\n{}", run.stdout);
    }
}

#[test]
fn secrets_never_appear_in_any_format() {
    let r = fixture();
    r.write(
        "environments/stage/apps/db.yaml",
        "app:\n  values:\n    auth: {password: hunter2-first, username: app}\n    env: [{name: API_TOKEN, value: tok-first}]\n",
    );
    plans_mask_secrets(&r, &[], 0, "password: ***");
    // Commit the secret, then change it: the change shows, neither value does.
    r.run(&["render", "--all"]).code(0);
    r.commit("add a secret");
    r.write(
        "environments/stage/apps/db.yaml",
        "app:\n  values:\n    auth: {password: hunter2-second, username: app}\n    env: [{name: API_TOKEN, value: tok-first}]\n",
    );
    plans_mask_secrets(&r, &["--exit-code"], 1, "password: *** (changed)");
    // Against deploy/ on disk too (the committed file holds the old secret).
    let run = r.run(&["plan"]);
    run.code(0).stdout_has("password: *** (changed)");
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
}

#[test]
fn markdown_is_a_comment_with_marker_tables_and_details() {
    let r = fixture();
    r.write("environments/prod/env.yaml", "vars: {tag: '1.0.1'}\n");
    add_cache(&r);
    let run = r.run(&["plan", "--base", "HEAD", "--format", "markdown"]);
    run.code(0);
    let md = &run.stdout;
    assert!(md.starts_with("<!-- nexus-plan -->\n"), "{md}");
    assert!(md.contains(&summary(4, 1, 0)), "{md}");
    assert!(
        md.contains("#### `prod`") && md.contains("#### `stage`"),
        "{md}"
    );
    assert!(md.contains("| App | Change | Files |"), "{md}");
    assert!(md.contains("| cache | + add |"), "{md}");
    assert!(
        md.contains("| api | ~ change | ~ `values/api.yaml` |"),
        "{md}"
    );
    assert_eq!(md.matches("<details>").count(), 5, "{md}");
    assert_eq!(md.matches("</details>").count(), 5, "{md}");
    assert!(md.contains("```diff\n"), "{md}");
    assert!(!md.contains("not shown"), "{md}");
}

#[test]
fn max_bytes_cuts_whole_sections_and_says_so() {
    let r = fixture();
    for i in 0..12 {
        r.write(
            &format!("environments/apps/svc{i:02}.yaml"),
            "app:\n  chart: {repoURL: https://charts.example.com, chart: svc, targetRevision: 1.0.0}\n  values: {a: 1, b: 2, c: 3}\n",
        );
    }
    let full = r.run(&["plan", "--base", "HEAD", "--format", "markdown"]);
    full.code(0).stdout_has(&summary(48, 0, 0));
    assert_eq!(full.stdout.matches("<details>").count(), 48);
    let run = r.run(&[
        "plan",
        "--base",
        "HEAD",
        "--format",
        "markdown",
        "--max-bytes",
        "6000",
    ]);
    run.code(0);
    let md = &run.stdout;
    assert!(md.len() <= 6000, "{} bytes", md.len());
    assert!(md.contains(&summary(48, 0, 0)), "{md}");
    let shown = md.matches("<details>").count();
    assert!(shown > 0 && shown < 48, "{shown} shown");
    assert_eq!(shown, md.matches("</details>").count());
    assert!(
        md.contains(&format!("{} of 48 file diffs not shown", 48 - shown)),
        "{md}"
    );
    // The first files are kept, the last ones cut.
    assert!(
        md.contains("<code>deploy/prod/apps/svc00.yaml</code>"),
        "{md}"
    );
    assert!(
        !md.contains("<code>deploy/stage/values/svc11.yaml</code>"),
        "{md}"
    );
    // A budget below the smallest comment is refused.
    r.run(&[
        "plan",
        "--base",
        "HEAD",
        "--format",
        "markdown",
        "--max-bytes",
        "40",
    ])
    .code(2)
    .stderr_has("--max-bytes");
}

#[test]
fn environments_added_and_removed_are_planned_over_the_union() {
    let r = fixture();
    r.write("environments/dev/env.yaml", "vars: {tag: dev}\n");
    std::fs::remove_dir_all(r.path().join("environments/stage")).unwrap();
    // dev: 2 apps x 2 files + root + AppProject; stage loses the same.
    let run = r.run(&["plan", "--base", "HEAD"]);
    run.code(0).stdout_has(&summary(6, 0, 6));
    run.stdout_has("+ deploy/dev/root.yaml (add)")
        .stdout_has("- deploy/stage/root.yaml (destroy)");
    // Naming the removed environment works against the base as well.
    r.run(&["plan", "stage", "--base", "HEAD"])
        .code(0)
        .stdout_has(&summary(0, 0, 6));
}

#[test]
fn plan_against_deploy_sees_hand_edits_and_stale_files() {
    let r = fixture();
    let rel = "deploy/prod/values/api.yaml";
    let edited = r.read(rel).replace("replicaCount: 1", "replicaCount: 5");
    r.write(rel, &edited);
    r.run(&["plan", "--exit-code"])
        .code(1)
        .stdout_has(&summary(0, 1, 0))
        .stdout_has("-replicaCount: 5\n+replicaCount: 1\n");
    // A managed file no layer produces is destroyed; an unmanaged one is not ours.
    r.write(
        "deploy/prod/apps/old.yaml",
        "# Generated by nexus from environments/prod; do not edit.\nkind: Application\n",
    );
    r.write("deploy/prod/README.md", "hand-written\n");
    r.run(&["plan", "prod"])
        .code(0)
        .stdout_has(&summary(0, 1, 1))
        .stdout_has("- deploy/prod/apps/old.yaml (destroy)");
}

#[test]
fn a_base_without_environments_makes_everything_new() {
    let r = Repo::new();
    r.git_init();
    r.write("README.md", "before nexus\n");
    r.commit("before");
    r.write(
        "environments/base.yaml",
        "argocd: {repoURL: https://example.com/g.git}\n",
    )
    .write("environments/stage/env.yaml", "{}\n");
    r.run(&["plan", "--base", "HEAD"])
        .code(0)
        .stdout_has(&summary(1, 0, 0));
}

#[test]
fn bad_revisions_and_names_are_unusable_input() {
    let r = fixture();
    r.run(&["plan", "--base", "no-such-branch"])
        .code(2)
        .stderr_has("unknown git revision `no-such-branch`");
    r.run(&["plan", "prd", "--base", "HEAD"])
        .code(2)
        .stderr_has("did you mean `prod`");
    let plain = Repo::with_base();
    plain.write("environments/stage/env.yaml", "{}\n");
    plain
        .run(&["plan", "--base", "HEAD"])
        .code(2)
        .stderr_has("not inside a git repository");
}

#[test]
fn plan_reads_the_base_from_git_objects_not_the_disk() {
    let r = fixture();
    let first = r.commit("nothing new");
    r.write("environments/prod/env.yaml", "vars: {tag: '2.0'}\n");
    r.run(&["render", "--all"]).code(0);
    r.commit("prod 2.0");
    r.write("environments/prod/env.yaml", "vars: {tag: '3.0'}\n");
    // Against the first commit: one change (1.0 -> 3.0), whatever is on disk.
    let run = r.run(&["plan", "--base", &first]);
    run.code(0)
        .stdout_has(&summary(0, 1, 0))
        .stdout_has("-  tag: '1.0'")
        .stdout_has("+  tag: '3.0'");
    let run = r.run(&["plan", "--base", "HEAD~1"]);
    run.code(0).stdout_has("-  tag: '1.0'");
    r.run(&["plan", "--base", "HEAD"])
        .code(0)
        .stdout_has("-  tag: '2.0'");
}
