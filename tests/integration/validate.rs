//! `nexus validate` (README: Validation): every source of schemas, each broken through
//! a layer override and reported once, as `SCHEMA`, at the layer line that
//! set the value; the output formats; `render` refusing invalid output.

use serde_json::Value as Json;

use crate::util::Repo;

const PROD: &str = "environments/prod/env.yaml";

/// A repository with one environment (`prod`) and the app `web` on the
/// chart `charts/web`, whose values schema (draft-07) is given.
fn chart_repo(schema: &str) -> Repo {
    let r = Repo::with_base();
    r.write(PROD, "vars: {tier: prod}\n");
    r.write(
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    r.write("charts/web/values.schema.json", schema);
    r.write(
        "environments/apps/web.yaml",
        "app:\n  chart: {path: charts/web}\n  values:\n    replicaCount: 2\n    image: {repository: nginx, tag: \"1.0\"}\n",
    );
    r
}

const WEB_SCHEMA: &str = r#"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["image"],
  "properties": {
    "replicaCount": {"type": "integer", "minimum": 1},
    "image": {"type": "object", "required": ["repository"], "additionalProperties": false,
              "properties": {"repository": {"type": "string"}, "tag": {"type": "string"}}}
  }
}"#;

/// The findings of `validate --format json`.
fn findings(r: &Repo, args: &[&str]) -> (i32, Vec<Json>) {
    let mut all = vec!["validate", "--format", "json"];
    all.extend_from_slice(args);
    let run = r.run(&all);
    let doc: Json = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n--- stderr\n{}",
            run.stdout, run.stderr
        )
    });
    let list = doc["findings"].as_array().cloned().unwrap_or_default();
    (run.code, list)
}

fn errors(list: &[Json]) -> Vec<&Json> {
    list.iter().filter(|f| f["severity"] == "error").collect()
}

#[track_caller]
/// The errors are one cause (JSON lists it once per environment and app):
/// one place and one message. Returns the first.
fn only_error_at(list: &[Json], file: &str, line: u64, column: u64) -> Json {
    let errs = errors(list);
    let causes: std::collections::BTreeSet<String> = errs
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["file"], f["line"], f["column"], f["message"]
            )
        })
        .collect();
    assert_eq!(causes.len(), 1, "expected exactly one cause: {list:#?}");
    let f = errs[0].clone();
    assert_eq!(f["rule"], "SCHEMA", "{f:#?}");
    assert_eq!(f["file"], file, "{f:#?}");
    assert_eq!(f["line"], line, "{f:#?}");
    assert_eq!(f["column"], column, "{f:#?}");
    f
}

#[test]
fn clean_repository_validates_with_exit_0() {
    let r = chart_repo(WEB_SCHEMA);
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 0, "{list:#?}");
    assert!(errors(&list).is_empty(), "{list:#?}");
}

#[test]
fn chart_directory_schema_error_points_at_the_overriding_layer() {
    let r = chart_repo(WEB_SCHEMA);
    r.write(
        "environments/prod/apps/web.yaml",
        "# prod runs three\napp:\n  values:\n    replicaCount: three\n",
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 1);
    let f = only_error_at(&list, "environments/prod/apps/web.yaml", 4, 19);
    assert_eq!(f["env"], "prod");
    assert_eq!(f["app"], "web");
    assert_eq!(f["path"], "app.values.replicaCount");
    let msg = f["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("`replicaCount` must be an integer, got the string \"three\""),
        "{msg}"
    );
    // The text format says the same, with the layer line.
    let run = r.run(&["validate", "prod"]);
    run.code(1)
        .stdout_has("environments/prod/apps/web.yaml:4:19")
        .stdout_has("must be an integer");
}

#[test]
fn unknown_key_in_values_points_at_the_key_and_suggests_one() {
    let r = chart_repo(WEB_SCHEMA);
    r.write(
        "environments/prod/apps/web.yaml",
        "app:\n  values:\n    image:\n      tga: \"2.0\"\n",
    );
    let (code, list) = findings(&r, &["prod"]);
    assert_eq!(code, 1);
    only_error_at(&list, "environments/prod/apps/web.yaml", 4, 7);
    let run = r.run(&["validate", "prod"]);
    run.stdout_has("did you mean `tag`?");
}

#[test]
fn missing_required_key_points_at_the_apps_own_layer() {
    let r = chart_repo(WEB_SCHEMA);
    r.write(
        "environments/prod/apps/web.yaml",
        "app:\n  values!:\n    replicaCount: 2\n",
    );
    let (code, list) = findings(&r, &["prod"]);
    assert_eq!(code, 1);
    let errs = errors(&list);
    assert_eq!(errs.len(), 1, "{list:#?}");
    assert_eq!(errs[0]["file"], "environments/prod/apps/web.yaml");
    assert!(
        errs[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("missing the required key `image`"),
        "{list:#?}"
    );
}

#[test]
fn helm_repository_chart_schema_under_schemas_values() {
    let r = Repo::with_base();
    r.write(PROD, "vars: {}\n");
    // Draft 2019-09, with a format that must be checked.
    r.write(
        "schemas/values/redis.schema.json",
        r#"{"$schema": "https://json-schema.org/draft/2019-09/schema",
            "type": "object",
            "properties": {
              "architecture": {"enum": ["standalone", "replication"]},
              "adminEmail": {"type": "string", "format": "email"}
            }}"#,
    );
    r.write(
        "environments/apps/cache.yaml",
        "app:\n  chart: {repoURL: https://charts.example.com, chart: redis, targetRevision: 1.0.0}\n  values:\n    architecture: standalone\n    adminEmail: ops@example.com\n",
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 0, "{list:#?}");
    r.write(
        "environments/prod/apps/cache.yaml",
        "app:\n  values:\n    architecture: cluster\n",
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 1);
    let f = only_error_at(&list, "environments/prod/apps/cache.yaml", 3, 19);
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("must be one of `standalone`, `replication`"),
        "{f:#?}"
    );
    r.write(
        "environments/prod/apps/cache.yaml",
        "app:\n  values:\n    adminEmail: not-an-address\n",
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 1);
    let f = only_error_at(&list, "environments/prod/apps/cache.yaml", 3, 17);
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("valid `email`"),
        "{f:#?}"
    );
}

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.acme.dev}
spec:
  group: acme.dev
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1}
                port: {x-kubernetes-int-or-string: true}
                note: {type: string, nullable: true}
";

fn widget_repo() -> Repo {
    let r = chart_repo(WEB_SCHEMA);
    r.write("schemas/crds/widget.yaml", WIDGET_CRD);
    r.write(
        "environments/apps/web.yaml",
        "app:\n  chart: {path: charts/web}\n  values:\n    image: {repository: nginx}\n  manifests:\n    - apiVersion: acme.dev/v1\n      kind: Widget\n      metadata: {name: w}\n      spec: {size: 2, port: http, note: null}\n",
    );
    r
}

#[test]
fn crd_under_schemas_checks_manifests() {
    let r = widget_repo();
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 0, "{list:#?}");
    r.write(
        "environments/prod/apps/web.yaml",
        "app:\n  manifests:\n    - apiVersion: acme.dev/v1\n      kind: Widget\n      metadata: {name: w}\n      spec:\n        size: big\n",
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 1);
    let f = only_error_at(&list, "environments/prod/apps/web.yaml", 7, 15);
    assert_eq!(f["path"], "app.manifests.0.spec.size");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`spec.size` must be an integer"),
        "{f:#?}"
    );
}

#[test]
fn kubeconform_layout_schema_checks_manifests() {
    let r = chart_repo(WEB_SCHEMA);
    r.write(
        "schemas/k8s/configmap-v1.json",
        r#"{"$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "properties": {"data": {"type": "object", "additionalProperties": {"type": "string"}}}}"#,
    );
    r.write(
        "environments/apps/web.yaml",
        "app:\n  chart: {path: charts/web}\n  values:\n    image: {repository: nginx}\n  manifests:\n    - apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: settings}\n      data: {mode: fast}\n",
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 0, "{list:#?}");
    assert!(list.is_empty(), "a known kind gives no info: {list:#?}");
    r.write(
        "environments/prod/apps/web.yaml",
        "app:\n  manifests:\n    - apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: settings}\n      data:\n        retries: 3\n",
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 1);
    only_error_at(&list, "environments/prod/apps/web.yaml", 7, 18);
}

#[test]
fn objects_without_a_schema_are_one_info_or_errors_with_strict() {
    let r = chart_repo(WEB_SCHEMA);
    r.write("environments/stage/env.yaml", "vars: {tier: stage}\n");
    r.write(
        "environments/apps/web.yaml",
        "app:\n  chart: {path: charts/web}\n  values:\n    image: {repository: nginx}\n  manifests:\n    - {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n    - {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n",
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 0, "{list:#?}");
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(list[0]["severity"], "info");
    assert_eq!(list[0]["rule"], "SCHEMA");
    assert!(
        list[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("v1 Namespace")
    );
    let (code, list) = findings(&r, &["--all", "--strict"]);
    assert_eq!(code, 1);
    assert_eq!(errors(&list).len(), 1, "{list:#?}");
}

#[test]
fn application_fields_map_back_to_the_argocd_layer() {
    let r = chart_repo(WEB_SCHEMA);
    // The layer schema allows a template here; rendered, it is no integer.
    r.write(
        PROD,
        "vars: {limit: lots}\nargocd:\n  syncPolicy:\n    retry:\n      limit: \"{{ vars.limit }}\"\n",
    );
    let (code, list) = findings(&r, &["prod"]);
    assert_eq!(code, 1);
    // The value was set by the var; the note names the template it went
    // through (lint and explain give the same pair).
    let f = only_error_at(&list, PROD, 1, 15);
    assert_eq!(f["path"], "argocd.syncPolicy.retry.limit");
    r.run(&["validate", "prod"]).code(1).stdout_has(
        "= note: the value comes through the template at environments/prod/env.yaml:5:14",
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("must be an integer"),
        "{f:#?}"
    );
}

#[test]
fn appproject_spec_maps_back_to_the_projects_layer() {
    let r = chart_repo(WEB_SCHEMA);
    r.write(
        PROD,
        "projects:\n  apps:\n    clusterResourceWhitelist:\n      - {group: \"\"}\n",
    );
    let (code, list) = findings(&r, &["prod"]);
    assert_eq!(code, 1);
    let errs = errors(&list);
    assert_eq!(errs.len(), 1, "{list:#?}");
    assert_eq!(errs[0]["file"], PROD);
    assert_eq!(errs[0]["line"], 4);
}

#[test]
fn layer_schema_violations_are_findings_at_the_layer_line_reported_once() {
    let r = chart_repo(WEB_SCHEMA);
    r.write(
        PROD,
        "argocd:\n  syncPolicy:\n    retry:\n      limit: five\n      backof: {duration: 5s}\n",
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 1);
    let errs = errors(&list);
    assert_eq!(errs.len(), 2, "{list:#?}");
    assert!(
        errs.iter()
            .all(|f| f["rule"] == "SCHEMA" && f["file"] == PROD)
    );
    let lines: Vec<u64> = errs.iter().filter_map(|f| f["line"].as_u64()).collect();
    assert_eq!(lines, vec![4, 5], "{list:#?}");
    assert!(
        errs[0]["message"].as_str().unwrap_or_default().contains(
            "`argocd.syncPolicy.retry.limit` must be an integer or null, got the string \"five\""
        ),
        "{list:#?}"
    );
    let run = r.run(&["validate", "--all"]);
    run.code(1).stdout_has("did you mean `backoff`?");
    // A precise reason inside an alternative: the label value is too long.
    r.write(
        PROD,
        &format!("app:\n  labels:\n    team: {}\n", "x".repeat(70)),
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 1);
    let f = only_error_at(&list, PROD, 3, 11);
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("at most 63 characters"),
        "{f:#?}"
    );
}

#[test]
fn an_error_in_a_shared_layer_is_one_finding_for_all_environments() {
    let r = chart_repo(WEB_SCHEMA);
    r.write("environments/stage/env.yaml", "vars: {}\n");
    r.write(
        "environments/apps/web.yaml",
        "app:\n  chart: {path: charts/web}\n  values:\n    replicaCount: many\n    image: {repository: nginx}\n",
    );
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 1);
    only_error_at(&list, "environments/apps/web.yaml", 4, 19);
    // JSON: one finding per environment and app; text: one message.
    let envs: Vec<&str> = errors(&list)
        .iter()
        .filter_map(|f| f["env"].as_str())
        .collect();
    assert_eq!(envs, ["prod", "stage"], "{list:#?}");
    let run = r.run(&["validate", "--all"]);
    run.code(1).stdout_has("= in: prod/web, stage/web");
    assert_eq!(
        run.stdout.matches("error[SCHEMA]").count(),
        1,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 error(s) (in 2 places)"),
        "{}",
        run.stdout
    );
}

#[test]
fn draft_2020_12_and_draft_4_chart_schemas() {
    let r = chart_repo(
        r#"{"$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"replicaCount": {"type": "integer"}, "image": {"type": "object"},
                           "ports": {"type": "array", "prefixItems": [{"type": "integer"}]}}}"#,
    );
    r.write(
        "environments/prod/apps/web.yaml",
        "app:\n  values:\n    ports: [http]\n",
    );
    let (code, list) = findings(&r, &["prod"]);
    assert_eq!(code, 1, "prefixItems is a 2020-12 keyword: {list:#?}");
    only_error_at(&list, "environments/prod/apps/web.yaml", 3, 13);

    // Draft 4: exclusiveMinimum is a boolean.
    let r = chart_repo(
        r#"{"$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "properties": {"replicaCount": {"type": "integer", "minimum": 2, "exclusiveMinimum": true}}}"#,
    );
    r.write(
        "environments/prod/apps/web.yaml",
        "app:\n  values:\n    replicaCount: 2\n",
    );
    let (code, list) = findings(&r, &["prod"]);
    assert_eq!(code, 1, "{list:#?}");
    only_error_at(&list, "environments/prod/apps/web.yaml", 3, 19);
}

#[test]
fn every_output_format_reports_the_schema_error() {
    let r = chart_repo(WEB_SCHEMA);
    r.write(
        "environments/prod/apps/web.yaml",
        "app:\n  values:\n    replicaCount: three\n",
    );
    let run = r.run(&["validate", "prod", "--format", "sarif"]);
    run.code(1);
    let sarif: Json = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let res = &sarif["runs"][0]["results"][0];
    assert_eq!(res["ruleId"], "SCHEMA");
    assert_eq!(
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "environments/prod/apps/web.yaml"
    );
    assert_eq!(
        res["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"][0]["id"],
        "SCHEMA"
    );
    let run = r.run(&["validate", "prod", "--format", "github"]);
    run.code(1)
        .stdout_has("::error file=environments/prod/apps/web.yaml,line=3,col=19,title=SCHEMA::");
    let run = r.run(&["validate", "prod", "--format", "text"]);
    run.code(1)
        .stdout_has("= in: prod/web")
        .stdout_has("environments/prod/apps/web.yaml:3:19")
        .stdout_has("1 error(s)");
}

#[test]
fn render_refuses_to_write_invalid_output() {
    let r = chart_repo(WEB_SCHEMA);
    r.write(
        "environments/prod/apps/web.yaml",
        "app:\n  values:\n    replicaCount: three\n",
    );
    let run = r.run(&["render", "prod"]);
    run.code(1)
        .stderr_has("environments/prod/apps/web.yaml:3:19")
        .stderr_has("nothing was written because of 1 schema error(s)");
    assert!(!r.exists("deploy"), "nothing may be written");
    r.run(&["render", "prod", "--check"])
        .code(1)
        .stderr_has("would be invalid");
    r.write(
        "environments/prod/apps/web.yaml",
        "app:\n  values:\n    replicaCount: 3\n",
    );
    r.run(&["render", "prod"]).code(0);
    assert!(r.exists("deploy/prod/values/web.yaml"));
}

#[test]
fn broken_schema_files_are_unusable_input() {
    let r = chart_repo("{ not json");
    let run = r.run(&["validate", "--all"]);
    run.code(2).stderr_has("charts/web/values.schema.json");
    let r = chart_repo(r#"{"type": "integr"}"#);
    let run = r.run(&["validate", "--all"]);
    run.code(2).stderr_has("not a usable JSON Schema");
}

#[test]
fn the_shipped_example_validates_cleanly() {
    let r = Repo::example();
    let (code, list) = findings(&r, &["--all"]);
    assert_eq!(code, 0, "{list:#?}");
    assert!(errors(&list).is_empty(), "{list:#?}");
    assert!(r.exists("charts/service/values.schema.json"));
    assert!(r.exists("schemas/values/postgresql.schema.json"));
}

#[test]
fn two_different_errors_at_one_value_are_both_reported() {
    let r = chart_repo(
        r#"{"$schema": "http://json-schema.org/draft-07/schema#",
            "properties": {"image": {"properties": {"tag": {"type": "string", "minLength": 3, "pattern": "^v"}}}}}"#,
    );
    r.write(
        "environments/prod/apps/web.yaml",
        "app:\n  values:\n    image:\n      tag: \"1\"\n",
    );
    let (code, list) = findings(&r, &["prod"]);
    assert_eq!(code, 1);
    let errs = errors(&list);
    assert_eq!(errs.len(), 2, "{list:#?}");
    assert!(errs.iter().all(|f| f["line"] == 4 && f["column"] == 12));
}
