//! Custom Rego policies under `policies/`, with conftest's conventions.

use serde_json::Value as Json;

use crate::lint_util::{APP, good, lint_json, repo};

/// `(package, env, app, file, line, severity, message)`.
type PolicyFinding = (String, String, String, String, Option<u64>, String, String);

/// The POLICY findings of a `--format json` document.
fn policy_findings(doc: &Json) -> Vec<PolicyFinding> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "POLICY")
        .map(|f| {
            (
                f["policy"].as_str().unwrap_or("").to_string(),
                f["env"].as_str().unwrap_or("").to_string(),
                f["app"].as_str().unwrap_or("").to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64(),
                f["severity"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

const V1: &str = r#"package acme.values

import rego.v1

# Values: only prod needs two replicas here (data.nexus says where).
deny contains result if {
	data.nexus.kind == "values"
	data.nexus.env == "prod"
	input.replicaCount < 3
	result := {"msg": sprintf("%s runs %d replicas in prod", [data.nexus.app, input.replicaCount]), "path": "replicaCount"}
}

warn_team contains msg if {
	input.kind == "Application"
	not input.metadata.labels.owner
	msg := sprintf("Application %s has no owner label", [input.metadata.name])
}
"#;

const V0: &str = r#"package k8s.manifests

violation[{"msg": msg, "path": "spec.template.spec.containers[0].image"}] {
	input.kind == "Deployment"
	image := input.spec.template.spec.containers[0].image
	startswith(image, "docker.io/")
	msg := sprintf("Deployment %s pulls from Docker Hub", [input.metadata.name])
}

deny[msg] {
	input.kind == "Deployment"
	not input.metadata.labels
	msg := "a Deployment without labels"
}
"#;

fn manifests() -> String {
    "  manifests:\n    - apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: d}\n      spec:\n        replicas: 2\n        template:\n          spec:\n            containers:\n              - name: c\n                image: docker.io/library/nginx:1.27@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
        .to_string()
}

#[test]
fn conftest_policies_in_both_syntaxes_point_at_layer_lines() {
    let r = repo();
    r.write(APP, &good(&manifests(), ""));
    r.write("policies/values.rego", V1);
    r.write("policies/k8s/manifests.rego", V0);
    // OPA unit tests are not policies.
    r.write(
        "policies/values_test.rego",
        "package acme.values\n\ntest_x if { false }\n",
    );
    let doc = lint_json(&r, &["--all"], 1);
    let got = policy_findings(&doc);
    let s = |x: &str| x.to_string();
    let find = |pkg: &str, env: &str| {
        got.iter()
            .filter(|g| g.0 == pkg && g.1 == env)
            .cloned()
            .collect::<Vec<_>>()
    };
    // Values: the layer line of `replicaCount`, only in prod.
    assert_eq!(
        find("acme.values", "prod")
            .into_iter()
            .filter(|g| g.5 == "error")
            .collect::<Vec<_>>(),
        vec![(
            s("acme.values"),
            s("prod"),
            s("x"),
            s(APP),
            Some(17),
            s("error"),
            s("x runs 2 replicas in prod")
        )]
    );
    // A message string without a path: the app's own layer file; `warn_*`
    // is a warning; the Application is an input too.
    assert!(got.contains(&(
        s("acme.values"),
        s("stage"),
        s("x"),
        s(APP),
        None,
        s("warning"),
        s("Application x-stage has no owner label")
    )));
    // v0 syntax; a bracketed path into a manifest is its layer line.
    let k8s = find("k8s.manifests", "stage");
    assert!(
        k8s.contains(&(
            s("k8s.manifests"),
            s("stage"),
            s("x"),
            s(APP),
            Some(14),
            s("error"),
            s("Deployment d pulls from Docker Hub")
        )),
        "{k8s:?}"
    );
    assert!(
        k8s.iter()
            .any(|g| g.6 == "a Deployment without labels" && g.4.is_none())
    );
    // The text output names the package.
    r.run(&["lint", "stage"])
        .code(1)
        .stdout_has("error[POLICY(k8s.manifests)]: Deployment d pulls from Docker Hub")
        .stdout_has("environments/apps/x.yaml:14:");
}

#[test]
fn severities_and_suppressions_follow_nexus_yaml_and_lint_ignore() {
    let r = repo();
    r.write(APP, &good(&manifests(), ""));
    r.write("policies/k8s/manifests.rego", V0);
    r.write(
        "nexus.yaml",
        "protectedEnvs: [prod]\nlint:\n  rules:\n    POLICY(k8s.manifests): {severity: warning, envs: [stage]}\n",
    );
    let doc = lint_json(&r, &["--all"], 1);
    let sev: Vec<(String, String)> = policy_findings(&doc)
        .into_iter()
        .map(|g| (g.1, g.5))
        .collect();
    assert!(sev.contains(&("stage".into(), "warning".into())), "{sev:?}");
    assert!(sev.contains(&("prod".into(), "error".into())), "{sev:?}");
    // `POLICY: off` switches every policy off.
    r.write("nexus.yaml", "lint: {rules: {POLICY: off}}\n");
    assert!(policy_findings(&lint_json(&r, &["--all"], 0)).is_empty());
    // A reasoned lintIgnore suppresses the package's findings.
    r.write("nexus.yaml", "protectedEnvs: [prod]\n");
    r.write(
        APP,
        &good(&manifests(), "").replace(
            "app:\n",
            "app:\n  lintIgnore: {\"POLICY(k8s.manifests)\": \"mirrored by the registry proxy\"}\n",
        ),
    );
    let doc = lint_json(&r, &["--all"], 0);
    assert!(policy_findings(&doc).is_empty());
    assert_eq!(doc["suppressed"].as_array().unwrap().len(), 4);
}

#[test]
fn a_policy_that_does_not_parse_is_exit_2_at_its_line() {
    let r = repo();
    r.write(APP, &good("", ""));
    r.write(
        "policies/broken.rego",
        "package broken\n\ndeny[msg] {\n  input.kind ==\n}\n",
    );
    r.run(&["lint", "--all"])
        .code(2)
        .stderr_has("policies/broken.rego: the policy does not parse")
        .stderr_has("--> policies/broken.rego:");
    // The pre-commit check stops on it too, before writing anything.
    r.run(&["check"]).code(2).stderr_has("policies/broken.rego");
}

#[test]
fn a_runaway_policy_is_stopped() {
    let r = repo();
    r.write(APP, &good("", ""));
    r.write(
        "policies/slow.rego",
        "package slow\nimport rego.v1\n\ndeny contains msg if {\n  some i in numbers.range(1, 200000000)\n  i < 0\n  msg := \"never\"\n}\n",
    );
    r.run(&["lint", "stage"])
        .code(2)
        .stderr_has("policy")
        .stderr_has("policies/slow.rego");
}
