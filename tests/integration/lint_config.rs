//! `nexus.yaml` for lint: protected environments and groups, severity per
//! rule and environment, unknown keys and rule ids.

use crate::lint_util::{APP, f, good, lint_json, of, repo};

#[test]
fn severity_per_environment_group_and_off() {
    let r = repo();
    r.write("environments/prod/kr/env.yaml", "vars: {}\n");
    r.write("environments/prod/us/env.yaml", "vars: {}\n");
    r.write(
        "nexus.yaml",
        "protectedEnvs: [prod]\nlint:\n  rules:\n    NX002: {severity: error, envs: [prod]}\n    NX107: off\n",
    );
    r.write(
        APP,
        &format!(
            "argocd: {{project: default}}\n{}",
            good("", "").replace("    livenessProbe: {httpGet: {path: /, port: 80}}\n", "")
        ),
    );
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX002"),
        vec![
            f("prod/kr", "x", APP, Some(1), "error"),
            f("prod/us", "x", APP, Some(1), "error"),
            f("stage", "x", APP, Some(1), "warning")
        ]
    );
    assert_eq!(of(&doc, "NX107"), vec![]);
}

#[test]
fn protected_groups_cover_nested_environments() {
    let r = repo();
    r.write("environments/prod/kr/env.yaml", "vars: {}\n");
    r.write(
        APP,
        &good("", "").replace("replicaCount: 2", "replicaCount: 1"),
    );
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX104"),
        vec![f("prod/kr", "x", APP, Some(6), "error")]
    );
    // A rule that is off by default outside protected environments can be
    // turned on there.
    r.write(
        "nexus.yaml",
        "protectedEnvs: [prod]\nlint:\n  rules:\n    NX104: {severity: warning, envs: [stage]}\n",
    );
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX104"),
        vec![
            f("prod/kr", "x", APP, Some(6), "error"),
            f("stage", "x", APP, Some(6), "warning")
        ]
    );
}

#[test]
fn unknown_keys_rules_severities_and_envs_are_errors_with_hints() {
    let r = repo();
    r.write(APP, &good("", ""));
    for (text, needle) in [
        ("protectedEnv: [prod]\n", "did you mean `protectedEnvs`?"),
        ("lint:\n  rule: {}\n", "did you mean `rules`?"),
        ("lint:\n  rules:\n    NX1O1: off\n", "did you mean `NX101`?"),
        (
            "lint:\n  rules:\n    NX101: eror\n",
            "did you mean `error`?",
        ),
        (
            "lint:\n  rules:\n    NX101: {severity: error, env: [prod]}\n",
            "did you mean `envs`?",
        ),
        ("protectedEnvs: [prd]\n", "did you mean `prod`?"),
        ("lint:\n  parity: [[stage]]\n", "pair of environments"),
        ("maxFileSize: 0\n", "maxFileSize"),
    ] {
        r.write("nexus.yaml", text);
        let run = r.run(&["lint", "--all"]);
        run.code(2).stderr_has(needle).stderr_has("nexus.yaml");
    }
}

#[test]
fn the_schema_backs_the_hand_checks() {
    let r = repo();
    r.write(APP, &good("", ""));
    r.write("nexus.yaml", "protectedEnvs: [prod, prod]\n");
    r.run(&["lint", "--all"])
        .code(2)
        .stderr_has("schemas/nexus.schema.json")
        .stderr_has("nexus.yaml:1:16");
}
