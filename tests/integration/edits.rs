//! `nexus set`, `nexus promote`, `nexus diff`, the layers behind each
//! change in `plan`, and paths with brackets in `explain`.

use serde_json::Value as Json;

use crate::util::Repo;

/// stage and prod (a group of kr and us), an app `api` whose layers are
/// written the way people write them: comments, flow maps, quoted and plain
/// scalars, an anchor.
fn repo() -> Repo {
    let r = Repo::with_base();
    r.write("environments/stage/env.yaml", "vars: {tier: stage}\n");
    r.write("environments/prod/env.yaml", "vars: {tier: prod}\n");
    r.write("environments/prod/kr/env.yaml", "vars: {region: kr}\n");
    r.write("environments/prod/us/env.yaml", "vars: {region: us}\n");
    r.write(
        "environments/apps/api.yaml",
        r#"# The api, every environment.
app:
  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 2.0.0}
  values:
    image:
      repository: ghcr.io/acme/api   # the registry
      tag: "1.8.0"                   # bumped by the release pipeline
    replicaCount: 2
    ingress: {enabled: true, annotations: {alb.ingress.kubernetes.io/scheme: internal}}
    env:
      - {name: LOG_LEVEL, value: info}
      - name: DB_HOST
        value: 'db.internal'

    # Resources for every environment.
    resources: &res
      requests: {cpu: 100m, memory: 128Mi}
    auth: {password: hunter2}
"#,
    );
    r.write(
        "environments/stage/apps/api.yaml",
        "app:\n  values:\n    image: {tag: 1.9.0-rc.1}\n    replicaCount: 1\n",
    );
    r
}

/// Everything but the lines that differ between two texts.
fn changed_lines(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let b: Vec<&str> = before.lines().collect();
    let a: Vec<&str> = after.lines().collect();
    let removed = b
        .iter()
        .filter(|l| !a.contains(l))
        .map(|l| l.to_string())
        .collect();
    let added = a
        .iter()
        .filter(|l| !b.contains(l))
        .map(|l| l.to_string())
        .collect();
    (removed, added)
}

#[test]
fn set_changes_only_the_value_bytes() {
    let r = repo();
    let file = "environments/apps/api.yaml";
    let before = r.read(file);
    r.run(&["set", "stage", "api", "values.image.repository", "ghcr.io/acme/api-v2", "--layer", file])
        .code(0)
        .stdout_has("values.image.repository: ghcr.io/acme/api -> ghcr.io/acme/api-v2 (environments/apps/api.yaml:6)");
    let after = r.read(file);
    assert_eq!(
        after,
        before.replace("ghcr.io/acme/api   #", "ghcr.io/acme/api-v2   #"),
        "only the value's bytes change"
    );
    // A key with dots in brackets; quoting kept; a list item by index.
    r.run(&[
        "set",
        "stage",
        "api",
        "values.ingress.annotations[\"alb.ingress.kubernetes.io/scheme\"]",
        "internet-facing",
        "--layer",
        file,
    ])
    .code(0);
    r.run(&[
        "set",
        "stage",
        "api",
        "values.env[1].value",
        "db2.internal",
        "--layer",
        file,
    ])
    .code(0);
    let after2 = r.read(file);
    let (removed, added) = changed_lines(&after, &after2);
    assert_eq!(
        removed,
        [
            "    ingress: {enabled: true, annotations: {alb.ingress.kubernetes.io/scheme: internal}}",
            "        value: 'db.internal'"
        ]
    );
    assert_eq!(
        added,
        [
            "    ingress: {enabled: true, annotations: {alb.ingress.kubernetes.io/scheme: internet-facing}}",
            "        value: 'db2.internal'"
        ]
    );
    // `explain` shows the new value from that layer.
    r.run(&["explain", "stage", "api", "values.env[1].value"])
        .code(0)
        .stdout_has("= db2.internal")
        .stdout_has("final value from environments/apps/api.yaml:13:");
}

#[test]
fn set_inserts_a_missing_key_and_creates_the_file() {
    let r = repo();
    // The default layer: the app's own file in the environment, created
    // with the schema header.
    r.run(&["set", "prod/kr", "api", "values.image.tag", "1.9.0"])
        .code(0)
        .stdout_has("values.image.tag: 1.8.0 -> 1.9.0 (environments/prod/kr/apps/api.yaml:5)");
    assert_eq!(
        r.read("environments/prod/kr/apps/api.yaml"),
        "# yaml-language-server: $schema=../../../../schemas/layer.schema.json\napp:\n  values:\n    image:\n      tag: 1.9.0\n"
    );
    // Into an existing file: under its parent, at its indentation.
    r.run(&[
        "set",
        "stage",
        "api",
        "values.resources.limits.memory",
        "256Mi",
    ])
    .code(0);
    assert_eq!(
        r.read("environments/stage/apps/api.yaml"),
        "app:\n  values:\n    image: {tag: 1.9.0-rc.1}\n    replicaCount: 1\n    resources:\n      limits:\n        memory: 256Mi\n"
    );
    r.run(&["set", "stage", "api", "values.image.pullPolicy", "Always"])
        .code(0);
    assert!(
        r.read("environments/stage/apps/api.yaml")
            .contains("image: {tag: 1.9.0-rc.1, pullPolicy: Always}")
    );
    // A re-render equals the render of the same values written by hand.
    r.run(&["render", "--all"]).code(0);
    let by_set = r.tree("deploy");
    let hand = repo();
    hand.write(
        "environments/prod/kr/apps/api.yaml",
        "app: {values: {image: {tag: 1.9.0}}}\n",
    );
    hand.write(
        "environments/stage/apps/api.yaml",
        "app:\n  values:\n    image: {tag: 1.9.0-rc.1, pullPolicy: Always}\n    replicaCount: 1\n    resources: {limits: {memory: 256Mi}}\n",
    );
    hand.run(&["render", "--all"]).code(0);
    assert_eq!(by_set, hand.tree("deploy"));
}

#[test]
fn set_refuses_when_a_later_layer_overrides() {
    let r = repo();
    let shared = "environments/apps/api.yaml";
    let before = r.read(shared);
    let run = r.run(&[
        "set",
        "stage",
        "api",
        "values.replicaCount",
        "5",
        "--layer",
        shared,
    ]);
    run.code(1)
        .stderr_has(
            "nothing was written: environments/stage/apps/api.yaml:4 sets `values.replicaCount`",
        )
        .stderr_has("--layer environments/stage/apps/api.yaml");
    assert_eq!(r.read(shared), before);
    // Not a layer of the app.
    r.run(&[
        "set",
        "stage",
        "api",
        "values.x",
        "1",
        "--layer",
        "environments/prod/env.yaml",
    ])
    .code(2)
    .stderr_has("is not a layer of `api` in `stage`");
    // Through an anchor's alias: refused, nothing written.
    r.write(
        "environments/stage/apps/api.yaml",
        "app:\n  values:\n    base: &b {cpu: 1}\n    resources: {requests: *b}\n",
    );
    let before = r.read("environments/stage/apps/api.yaml");
    r.run(&["set", "stage", "api", "values.resources.requests.cpu", "2"])
        .code(2)
        .stderr_has("alias");
    assert_eq!(r.read("environments/stage/apps/api.yaml"), before);
    // `--string` keeps text that YAML would read as a number.
    r.run(&[
        "set",
        "stage",
        "api",
        "values.image.tag",
        "1.10",
        "--string",
    ])
    .code(0);
    r.run(&["explain", "stage", "api", "values.image.tag"])
        .code(0)
        .stdout_has("= '1.10'");
}

#[test]
fn promote_moves_the_image_between_environments() {
    let r = repo();
    r.write(
        "environments/prod/kr/apps/api.yaml",
        "# kr only\napp:\n  values:\n    image:\n      tag: \"1.7.0\"  # old\n",
    );
    // Dry run: printed, nothing written.
    let kr = r.read("environments/prod/kr/apps/api.yaml");
    r.run(&["promote", "api", "--from", "stage", "--to", "prod/kr", "--dry-run"])
        .code(0)
        .stdout_has("api would set values.image.tag: 1.7.0 -> 1.9.0-rc.1 (environments/prod/kr/apps/api.yaml:5)");
    assert_eq!(r.read("environments/prod/kr/apps/api.yaml"), kr);
    // Where the target sets it now, in that file's own quoting.
    r.run(&["promote", "api", "--from", "stage", "--to", "prod/kr"])
        .code(0);
    assert_eq!(
        r.read("environments/prod/kr/apps/api.yaml"),
        kr.replace("\"1.7.0\"", "\"1.9.0-rc.1\"")
    );
    // Nothing to do: they agree.
    r.run(&["promote", "api", "--from", "stage", "--to", "prod/kr"])
        .code(0)
        .stdout_has("already matches");
    // nexus.yaml paths, --path added; a shared layer is not written: the
    // value goes to the target's own file.
    r.write("nexus.yaml", "promote:\n  paths: [values.replicaCount]\n");
    r.run(&[
        "promote",
        "api",
        "--from",
        "stage",
        "--to",
        "prod/us",
        "--path",
        "values.image.tag",
    ])
    .code(0)
    .stdout_has("api values.replicaCount: 2 -> 1 (environments/prod/us/apps/api.yaml:")
    .stdout_has("api values.image.tag: 1.8.0 -> 1.9.0-rc.1 (environments/prod/us/apps/api.yaml:");
    assert!(!r.read("environments/apps/api.yaml").contains("1.9.0-rc.1"));
    // A later layer of the target overrides: exit 1, named.
    r.write(
        "environments/prod/us/env.yaml",
        "vars: {region: us}\napp: {values: {replicaCount: 4}}\n",
    );
    r.write(
        "environments/stage/apps/api.yaml",
        "app:\n  values:\n    image: {tag: 1.9.0-rc.1}\n    replicaCount: 3\n",
    );
    r.run(&[
        "promote",
        "api",
        "--from",
        "stage",
        "--to",
        "prod/us",
        "--layer",
        "environments/apps/api.yaml",
    ])
    .code(1)
    .stderr_has("not promoted: environments/prod/us/env.yaml:2 sets it later");
    // Bad input: exit 2.
    r.run(&["promote", "nope", "--from", "stage", "--to", "prod/us"])
        .code(2);
    r.run(&["promote", "api", "--from", "stage", "--to", "prod"])
        .code(2)
        .stderr_has("is a group");
}

fn diff_json(r: &Repo, args: &[&str], code: i32) -> Json {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let run = r.run(&all);
    run.code(code);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn diff_shows_each_leaf_with_its_layer() {
    let r = repo();
    r.write(
        "environments/apps/worker.yaml",
        "app:\n  chart: {repoURL: https://charts.example.com, chart: worker, targetRevision: 1.0.0}\n",
    );
    r.write(
        "environments/prod/apps/worker.yaml",
        "app: {enabled: false}\n",
    );
    r.write(
        "environments/prod/kr/apps/api.yaml",
        "app:\n  values:\n    replicaCount: 3\n    auth: {password: other}\n",
    );
    let doc = diff_json(&r, &["stage", "prod/kr", "--exit-code"], 1);
    let pair = &doc["pairs"][0];
    assert_eq!(
        (pair["a"].as_str(), pair["b"].as_str()),
        (Some("stage"), Some("prod/kr"))
    );
    let apps = pair["apps"].as_array().unwrap();
    let worker = apps.iter().find(|a| a["app"] == "worker").unwrap();
    assert_eq!(worker["status"], "only_a");
    let api = apps.iter().find(|a| a["app"] == "api").unwrap();
    let diffs: Vec<(String, Json, Json)> = api["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["a"].clone(),
                d["b"].clone(),
            )
        })
        .collect();
    let find = |p: &str| {
        diffs
            .iter()
            .find(|d| d.0 == p)
            .unwrap_or_else(|| panic!("{p}: {diffs:?}"))
    };
    let tag = find("values.image.tag");
    assert_eq!(tag.1["value"], "1.9.0-rc.1");
    assert_eq!(tag.1["file"], "environments/stage/apps/api.yaml");
    assert_eq!(tag.1["line"], 3);
    assert_eq!(tag.2["value"], "1.8.0");
    assert_eq!(tag.2["file"], "environments/apps/api.yaml");
    assert_eq!(tag.2["line"], 7);
    let replicas = find("values.replicaCount");
    assert_eq!(
        (replicas.1["value"].as_str(), replicas.2["value"].as_str()),
        (Some("1"), Some("3"))
    );
    assert_eq!(replicas.2["file"], "environments/prod/kr/apps/api.yaml");
    // Secrets: masked, still reported.
    let pw = find("values.auth.password");
    assert_eq!(pw.1["value"], "*** (differs)");
    assert!(!serde_json::to_string(&doc).unwrap().contains("hunter2"));
    assert!(!serde_json::to_string(&doc).unwrap().contains("other"));
    assert_eq!(diffs.len(), 3, "{diffs:?}");
    // A group on one side: each member; text and markdown.
    let text = r.run(&["diff", "prod", "stage", "api"]);
    text.code(0)
        .stdout_has("prod/kr vs stage")
        .stdout_has("prod/us vs stage")
        .stdout_has("environments/stage/apps/api.yaml:3");
    r.run(&["diff", "stage", "prod/kr", "--format", "markdown"])
        .code(0)
        .stdout_has("| Path | `stage` | `prod/kr` |")
        .stdout_has(
            "| `values.image.tag` | `1.9.0-rc.1`<br><sub>environments/stage/apps/api.yaml:3</sub>",
        );
    // The same environment on both sides of a group pair is skipped; two
    // groups are refused.
    r.run(&["diff", "prod", "prod"])
        .code(2)
        .stderr_has("both groups");
    r.run(&["diff", "prod/kr", "prod/us", "--exit-code"])
        .code(1);
}

#[test]
fn plan_names_the_layer_behind_each_change() {
    let r = repo();
    r.git_init();
    r.run(&["render", "--all"]).code(0);
    r.commit("render");
    r.run(&["set", "prod/kr", "api", "values.replicaCount", "4"])
        .code(0);
    r.write(
        "environments/apps/api.yaml",
        &r.read("environments/apps/api.yaml")
            .replace("targetRevision: 2.0.0", "targetRevision: 2.1.0"),
    );
    let run = r.run(&["plan", "--base", "HEAD", "prod/kr"]);
    run.code(0)
        .stdout_has("replicaCount 2 -> 4 — environments/prod/kr/apps/api.yaml:4 (was environments/apps/api.yaml:8)")
        .stdout_has("spec.sources[0].targetRevision 2.0.0 -> 2.1.0 — environments/apps/api.yaml:3");
    let json: Json = serde_json::from_str(
        &r.run(&["plan", "--base", "HEAD", "--format", "json"])
            .stdout,
    )
    .unwrap();
    let why: Vec<&Json> = json["environments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["files"].as_array().unwrap())
        .flat_map(|f| f["why"].as_array().unwrap())
        .collect();
    assert!(why.iter().any(|w| w["path"] == "replicaCount"
        && w["file"] == "environments/prod/kr/apps/api.yaml"
        && w["line"] == 4
        && w["oldFile"] == "environments/apps/api.yaml"));
    r.run(&["plan", "--base", "HEAD", "--format", "markdown"])
        .stdout_has("- `replicaCount` `2` → `4` — `environments/prod/kr/apps/api.yaml:4`");
}

#[test]
fn explain_of_a_map_lists_each_leaf_with_its_layer() {
    let r = repo();
    r.write(
        "environments/prod/kr/apps/api.yaml",
        "app:\n  values:\n    image: {pullPolicy: Always}\n",
    );
    let run = r.run(&["explain", "prod/kr", "api", "values.image"]);
    run.code(0)
        .stdout_has(
            "app.values.image.repository = ghcr.io/acme/api    environments/apps/api.yaml:6:",
        )
        .stdout_has(
            "app.values.image.pullPolicy = Always    environments/prod/kr/apps/api.yaml:3:",
        );
    r.run(&[
        "explain",
        "prod/kr",
        "api",
        "values.ingress.annotations[\"alb.ingress.kubernetes.io/scheme\"]",
    ])
    .code(0)
    .stdout_has("= internal");
    r.run(&["explain", "prod/kr", "api", "values.auth"])
        .code(0)
        .stdout_has("app.values.auth.password = ***");
}
