//! Unusable input: every case exits 2 (or 1 for findings) with a message
//! naming the file and line, never panics, and writes nothing.

use crate::util::Repo;

const CHART: &str =
    "  chart: {repoURL: https://charts.example.com, chart: demo, targetRevision: 1.2.3}\n";

/// A repository with one app in `stage`, plus whatever `extra` writes.
fn repo() -> Repo {
    let r = Repo::with_base();
    r.write("environments/apps/api.yaml", &format!("app:\n{CHART}"));
    r.write("environments/stage/env.yaml", "vars: {x: 1}\n");
    r
}

#[track_caller]
fn fails(r: &Repo, code: i32, needles: &[&str]) {
    let run = r.run(&["render", "stage"]);
    run.code(code);
    for n in needles {
        run.stderr_has(n);
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        !r.exists("deploy"),
        "nothing may be written when rendering fails"
    );
}

#[test]
fn malformed_yaml() {
    let r = repo();
    r.write("environments/stage/env.yaml", "vars:\n  a: [1, 2\n  b: 3\n");
    fails(&r, 2, &["environments/stage/env.yaml:"]);
}

#[test]
fn tabs_in_indentation() {
    let r = repo();
    r.write("environments/stage/env.yaml", "vars:\n\ta: 1\n");
    fails(&r, 2, &["environments/stage/env.yaml:2", "tab"]);
}

#[test]
fn a_layer_that_is_not_a_map() {
    let r = repo();
    r.write("environments/stage/env.yaml", "- just\n- a list\n");
    fails(&r, 2, &["environments/stage/env.yaml:1:1", "must be a map"]);
}

#[test]
fn unknown_keys_get_a_did_you_mean() {
    let r = repo();
    r.write("environments/stage/env.yaml", "app:\n  valuse: {a: 1}\n");
    fails(
        &r,
        2,
        &[
            "unknown key `valuse`",
            "environments/stage/env.yaml:2:3",
            "did you mean `values`?",
        ],
    );
    r.write("environments/stage/env.yaml", "argcd: {}\n");
    fails(&r, 2, &["unknown key `argcd`", "did you mean `argocd`?"]);
}

#[test]
fn missing_include() {
    let r = repo();
    r.write(
        "environments/stage/env.yaml",
        "include: [../mixins/nope.yaml]\n",
    );
    fails(
        &r,
        2,
        &[
            "environments/mixins/nope.yaml",
            "does not exist",
            "environments/stage/env.yaml:1:11",
        ],
    );
}

#[test]
fn include_cycle_names_its_members() {
    let r = repo();
    r.write(
        "environments/stage/env.yaml",
        "include: [../mixins/a.yaml]\n",
    );
    r.write("environments/mixins/a.yaml", "include: [b.yaml]\n");
    r.write("environments/mixins/b.yaml", "include: [a.yaml]\n");
    fails(
        &r,
        2,
        &[
            "include cycle",
            "environments/mixins/a.yaml -> environments/mixins/b.yaml -> environments/mixins/a.yaml",
        ],
    );
}

#[test]
fn includes_cannot_leave_the_repository() {
    let r = repo();
    r.write(
        "environments/stage/env.yaml",
        "include: [../../../../../../etc/passwd]\n",
    );
    fails(
        &r,
        2,
        &["leaves the repository", "environments/stage/env.yaml:1:11"],
    );
}

#[cfg(unix)]
#[test]
fn symlinks_cannot_leave_the_repository() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("evil.yaml"), "vars: {stolen: true}\n").unwrap();
    let r = repo();
    std::os::unix::fs::symlink(
        outside.path().join("evil.yaml"),
        r.path().join("environments/mixin.yaml"),
    )
    .unwrap();
    r.write("environments/stage/env.yaml", "include: [../mixin.yaml]\n");
    fails(
        &r,
        2,
        &["environments/mixin.yaml", "outside the repository"],
    );
}

#[test]
fn dependency_cycle_lists_the_cycle() {
    let r = repo();
    r.write(
        "environments/apps/a.yaml",
        &format!("app:\n{CHART}  dependsOn: [b]\n"),
    );
    r.write(
        "environments/apps/b.yaml",
        &format!("app:\n{CHART}  dependsOn: [c]\n"),
    );
    r.write(
        "environments/apps/c.yaml",
        &format!("app:\n{CHART}  dependsOn: [a]\n"),
    );
    fails(
        &r,
        2,
        &[
            "dependency cycle in environment `stage`: a -> b -> c -> a",
            "environments/apps/c.yaml:3:15",
        ],
    );
}

#[test]
fn missing_dependency_is_named() {
    let r = repo();
    r.write(
        "environments/apps/web.yaml",
        &format!("app:\n{CHART}  dependsOn: [apii]\n"),
    );
    fails(
        &r,
        2,
        &[
            "depends on `apii`, which does not exist",
            "did you mean `api`?",
            "environments/apps/web.yaml:3:15",
        ],
    );
}

#[test]
fn pinned_wave_below_a_dependency() {
    let r = repo();
    r.write(
        "environments/apps/web.yaml",
        &format!("app:\n{CHART}  dependsOn: [api]\n  syncWave: 0\n"),
    );
    fails(
        &r,
        2,
        &[
            "pins syncWave 0",
            "`api` is in wave 0",
            "environments/apps/web.yaml:4:13",
        ],
    );
}

#[test]
fn unknown_environment() {
    let r = repo();
    let run = r.run(&["render", "stgae"]);
    run.code(2)
        .stderr_has("unknown environment `stgae`")
        .stderr_has("did you mean `stage`?");
}

#[test]
fn no_environment_named() {
    repo().run(&["render"]).code(2).stderr_has("--all");
}

#[test]
fn undefined_template_variable_names_file_and_line() {
    let r = repo();
    r.write(
        "environments/stage/apps/api.yaml",
        "app:\n  values:\n    host: \"{{ vars.domian }}\"\n",
    );
    fails(
        &r,
        1,
        &[
            "undefined variable",
            "environments/stage/apps/api.yaml:3:11",
            "TEMPLATE",
        ],
    );
}

#[test]
fn helm_template_text_is_kept_and_a_mix_suggests_raw() {
    let r = repo();
    r.write(
        "environments/stage/apps/api.yaml",
        "app:\n  values:\n    name: \"{{ .Release.Name }}\"\n",
    );
    r.run(&["render", "stage"]).code(0);
    assert!(
        r.read("deploy/stage/values/api.yaml")
            .contains("name: '{{ .Release.Name }}'"),
        "Helm's text reaches Helm"
    );
    let r = repo();
    r.write(
        "environments/stage/apps/api.yaml",
        "app:\n  values:\n    name: \"{{ app.name }}-{{ .Release.Name }}\"\n",
    );
    fails(
        &r,
        1,
        &[
            "mixes a nexus expression (`{{ app.name }}`) with template text nexus keeps as written (`{{ .Release.Name }}`)",
            "`{% raw %}{{ .Release.Name }}{% endraw %}`",
            "environments/stage/apps/api.yaml:3:11",
        ],
    );
}

#[test]
fn runaway_template_is_stopped() {
    let r = repo();
    r.write(
        "environments/stage/apps/api.yaml",
        "app:\n  values:\n    x: \"{{ app.name }}{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\"\n",
    );
    fails(&r, 2, &["environments/stage/apps/api.yaml:3:8", "budget"]);
}

#[test]
fn missing_chart_points_at_the_apps_own_file() {
    let r = repo();
    r.write("environments/apps/api.yaml", "app:\n  values: {a: 1}\n");
    fails(
        &r,
        2,
        &[
            "app `api` has nothing to deploy: no `app.chart`, `app.sources` or `app.manifests`",
            "environments/apps/api.yaml",
        ],
    );
}

#[test]
fn wrong_types_of_nexus_keys() {
    let r = repo();
    r.write(
        "environments/stage/apps/api.yaml",
        "app:\n  syncWave: three\n",
    );
    fails(
        &r,
        2,
        &[
            "`app.syncWave` must be an integer, got a string",
            "environments/stage/apps/api.yaml:2:13",
        ],
    );
    r.write(
        "environments/stage/apps/api.yaml",
        "app:\n  dependsOn: api\n",
    );
    fails(&r, 2, &["`app.dependsOn` must be a list"]);
}

#[test]
fn bad_app_file_name() {
    let r = repo();
    r.write("environments/apps/Bad_Name.yaml", "app: {}\n");
    fails(&r, 2, &["`Bad_Name` is not a valid app name"]);
}

#[test]
fn no_environments_directory() {
    let r = Repo::new();
    r.run(&["render", "--all"])
        .code(2)
        .stderr_has("no `environments/` directory");
}

#[test]
fn file_over_the_size_limit() {
    let r = repo();
    r.write(
        "environments/stage/env.yaml",
        &format!("vars:\n  big: \"{}\"\n", "x".repeat(4096)),
    );
    let run = r.run(&["--max-file-size", "1000", "render", "stage"]);
    run.code(2)
        .stderr_has("environments/stage/env.yaml")
        .stderr_has("--max-file-size");
}

#[test]
fn alias_bomb_is_refused() {
    let r = repo();
    let mut bomb = String::from("vars:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!(
            "  a{i}: &a{i} [{}]\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    r.write("environments/stage/env.yaml", &bomb);
    fails(&r, 2, &["environments/stage/env.yaml", "alias"]);
}

#[test]
fn deep_nesting_is_refused() {
    let r = repo();
    r.write(
        "environments/stage/env.yaml",
        &format!("vars:\n  x: {}\n", "[".repeat(100_000)),
    );
    fails(&r, 2, &["environments/stage/env.yaml"]);
}

#[test]
fn invalid_utf8() {
    let r = repo();
    std::fs::write(
        r.path().join("environments/stage/env.yaml"),
        b"vars: {a: \"\xff\xfe\"}\n",
    )
    .unwrap();
    fails(&r, 2, &["environments/stage/env.yaml", "UTF-8"]);
}
