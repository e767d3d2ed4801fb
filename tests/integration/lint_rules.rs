//! One failing and one passing fixture per lint rule, asserting rule,
//! environment, app, file, line and severity through `--format json`.

use crate::lint_util::{APP, DIGEST, deployment, f, good, lint_json, of, repo};

#[test]
fn the_compliant_app_has_no_findings_anywhere() {
    let r = repo();
    r.write(APP, &good("", ""));
    r.write(
        "environments/apps/y.yaml",
        &good("", "").replace("team: a", "team: b"),
    );
    let doc = lint_json(&r, &["--all"], 0);
    assert_eq!(doc["findings"], serde_json::json!([]), "{doc}");
    assert_eq!(doc["summary"]["errors"], 0);
}

#[test]
fn nx000_suppression_without_reason_or_for_unknown_rule() {
    let r = repo();
    r.write(APP, &good("", ""));
    r.write(
        "environments/prod/apps/x.yaml",
        "app:\n  lintIgnore:\n    NX104: \"\"\n    NX999: because\n  values:\n    replicaCount: 1\n",
    );
    let doc = lint_json(&r, &["prod"], 1);
    let file = "environments/prod/apps/x.yaml";
    assert_eq!(
        of(&doc, "NX000"),
        vec![
            f("prod", "x", file, Some(3), "error"),
            f("prod", "x", file, Some(4), "error")
        ]
    );
    // An empty reason suppresses nothing.
    assert_eq!(
        of(&doc, "NX104"),
        vec![f("prod", "x", file, Some(6), "error")]
    );
    assert_eq!(doc["suppressed"], serde_json::json!([]));
}

#[test]
fn nx001_unpinned_chart_is_an_error_only_where_protected() {
    let r = repo();
    r.write(
        APP,
        &good("", "").replace("targetRevision: 1.2.3", "targetRevision: ^1.2"),
    );
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX001"),
        vec![
            f("prod", "x", APP, Some(3), "error"),
            f("stage", "x", APP, Some(3), "warning")
        ]
    );
    // An env override pins it again: a later layer removes the finding.
    r.write(
        "environments/prod/apps/x.yaml",
        "app:\n  chart: {targetRevision: 1.2.4}\n",
    );
    let doc = lint_json(&r, &["--all"], 0);
    assert_eq!(
        of(&doc, "NX001"),
        vec![f("stage", "x", APP, Some(3), "warning")]
    );
}

#[test]
fn nx001_charts_in_this_repo_follow_the_values_revision() {
    let r = repo();
    let body = good("", "").replace(
        "{repoURL: https://charts.example.com, chart: demo, targetRevision: 1.2.3}",
        "{path: charts/x}",
    );
    r.write(APP, &body);
    r.write(
        "charts/x/Chart.yaml",
        "apiVersion: v2\nname: x\nversion: 0.1.0\n",
    );
    let doc = lint_json(&r, &["--all"], 0);
    assert_eq!(of(&doc, "NX001"), vec![]);
    r.write(
        APP,
        &body.replace("{path: charts/x}", "{path: charts/x, targetRevision: HEAD}"),
    );
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX001"),
        vec![
            f("prod", "x", APP, Some(3), "error"),
            f("stage", "x", APP, Some(3), "warning")
        ]
    );
}

#[test]
fn nx002_default_project() {
    let r = repo();
    r.write(
        APP,
        &format!("argocd: {{project: default}}\n{}", good("", "")),
    );
    let doc = lint_json(&r, &["--all"], 0);
    assert_eq!(
        of(&doc, "NX002"),
        vec![
            f("prod", "x", APP, Some(1), "warning"),
            f("stage", "x", APP, Some(1), "warning")
        ]
    );
    r.write(APP, &good("", ""));
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX002"), vec![]);
}

#[test]
fn nx003_missing_project_and_scope() {
    let r = repo();
    r.write(APP, &format!("argocd: {{project: nope}}\n{}", good("", "")));
    let doc = lint_json(&r, &["stage"], 1);
    assert_eq!(
        of(&doc, "NX003"),
        vec![f("stage", "x", APP, Some(1), "error")]
    );
    // A project that allows only some namespaces and repositories.
    r.write(
        "environments/stage/env.yaml",
        "projects:\n  apps:\n    sourceRepos: [https://example.com/gitops.git]\n    destinations: [{server: '*', namespace: 'team-*'}]\n",
    );
    r.write(APP, &good("  namespace: other\n", ""));
    let doc = lint_json(&r, &["stage"], 1);
    assert_eq!(
        of(&doc, "NX003"),
        vec![
            f("stage", "x", APP, Some(3), "error"),
            f("stage", "x", APP, Some(4), "error")
        ],
        "{doc}"
    );
    r.write(
        "environments/stage/env.yaml",
        "projects:\n  apps:\n    sourceRepos: [https://example.com/gitops.git, 'https://charts.example.com']\n    destinations: [{server: '*', namespace: 'team-*'}]\n",
    );
    r.write(APP, &good("  namespace: team-x\n", ""));
    assert_eq!(of(&lint_json(&r, &["stage"], 0), "NX003"), vec![]);
}

#[test]
fn nx004_automated_sync_in_protected_env_and_its_removal() {
    let r = repo();
    r.write(
        "environments/base.yaml",
        &format!(
            "{}  syncPolicy:\n    automated: {{prune: true}}\n",
            r.read("environments/base.yaml")
        ),
    );
    r.write(APP, &good("", ""));
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX004"),
        vec![f("prod", "x", "environments/base.yaml", Some(10), "error")]
    );
    // Merged with an override in prod: the finding points at the layer
    // that last turned it on.
    r.write(
        "environments/prod/env.yaml",
        "argocd:\n  syncPolicy:\n    automated:\n      selfHeal: true\n",
    );
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX004"),
        vec![f(
            "prod",
            "x",
            "environments/prod/env.yaml",
            Some(4),
            "error"
        )]
    );
    r.write(
        "environments/prod/env.yaml",
        "argocd:\n  syncPolicy:\n    automated: null\n",
    );
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX004"), vec![]);
}

#[test]
fn nx005_sync_options() {
    let r = repo();
    r.write(APP, &good("", ""));
    r.write("environments/stage/env.yaml", "argocd:\n  syncPolicy:\n    syncOptions: [CreateNamespace=true, CreateNamespace=True, PrunePropagationPolicy=all]\n");
    let doc = lint_json(&r, &["--all"], 1);
    let file = "environments/stage/env.yaml";
    assert_eq!(
        of(&doc, "NX005"),
        vec![
            f("stage", "x", file, Some(3), "error"),
            f("stage", "x", file, Some(3), "error")
        ]
    );
    r.write("environments/stage/env.yaml", "argocd:\n  syncPolicy:\n    syncOptions: [CreateNamespace=true, PrunePropagationPolicy=foreground, Prune=confirm]\n");
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX005"), vec![]);
}

#[test]
fn nx006_hooks_and_waves() {
    let r = repo();
    let job = |ann: &str| {
        format!(
            "  manifests:\n    - apiVersion: batch/v1\n      kind: Job\n      metadata:\n        name: migrate\n        annotations:\n{ann}      spec:\n        template:\n          spec:\n            containers:\n              - name: m\n                image: ghcr.io/acme/x:1.0.0@{DIGEST}\n                resources: {{requests: {{cpu: 1, memory: 1Gi}}, limits: {{cpu: 1, memory: 1Gi}}}}\n"
        )
    };
    r.write(APP, &good(&job("          argocd.argoproj.io/hook: presync\n          argocd.argoproj.io/sync-wave: \"one\"\n"), ""));
    let doc = lint_json(&r, &["stage"], 1);
    assert_eq!(
        of(&doc, "NX006"),
        vec![
            f("stage", "x", APP, Some(10), "error"),
            f("stage", "x", APP, Some(10), "warning"),
            f("stage", "x", APP, Some(11), "error")
        ]
    );
    r.write(
        APP,
        &good(&job("          argocd.argoproj.io/hook: PreSync\n"), ""),
    );
    let doc = lint_json(&r, &["stage"], 0);
    assert_eq!(
        of(&doc, "NX006"),
        vec![f("stage", "x", APP, Some(10), "warning")]
    );
    r.write(APP, &good(&job("          argocd.argoproj.io/hook: PreSync,PostSync\n          argocd.argoproj.io/hook-delete-policy: BeforeHookCreation\n          argocd.argoproj.io/sync-wave: \"-2\"\n"), ""));
    assert_eq!(of(&lint_json(&r, &["stage"], 0), "NX006"), vec![]);
}

#[test]
fn nx007_two_apps_render_the_same_objects_into_one_namespace() {
    let r = repo();
    r.write(
        APP,
        &good("  namespace: shared\n", "    fullnameOverride: web\n"),
    );
    r.write(
        "environments/apps/y.yaml",
        &good("  namespace: shared\n", "    fullnameOverride: web\n"),
    );
    let doc = lint_json(&r, &["stage"], 1);
    assert_eq!(
        of(&doc, "NX007"),
        vec![
            f("stage", "x", APP, Some(12), "error"),
            f("stage", "y", "environments/apps/y.yaml", Some(12), "error")
        ]
    );
    r.write(
        "environments/apps/y.yaml",
        &good("  namespace: other\n", "    fullnameOverride: web\n"),
    );
    assert_eq!(of(&lint_json(&r, &["stage"], 0), "NX007"), vec![]);
}

#[test]
fn nx007_two_environments_deploying_to_the_same_external_cluster() {
    let r = repo();
    r.write(APP, &good("", ""));
    r.write(
        "environments/prod/kr/env.yaml",
        "argocd: {destination: {server: https://prod.example.com}}\n",
    );
    r.write(
        "environments/prod/us/env.yaml",
        "argocd: {destination: {server: https://prod.example.com}}\n",
    );
    let doc = lint_json(&r, &["prod"], 1);
    assert_eq!(
        of(&doc, "NX007"),
        vec![
            f(
                "prod/kr",
                "x",
                "environments/prod/kr/env.yaml",
                Some(1),
                "error"
            ),
            f(
                "prod/us",
                "x",
                "environments/prod/us/env.yaml",
                Some(1),
                "error"
            )
        ]
    );
    r.write(
        "environments/prod/us/env.yaml",
        "argocd: {destination: {server: https://us.example.com}}\n",
    );
    assert_eq!(of(&lint_json(&r, &["prod"], 0), "NX007"), vec![]);
}

#[test]
fn nx008_required_labels() {
    let r = repo();
    r.write(
        "nexus.yaml",
        "protectedEnvs: [prod]\nlint:\n  requiredLabels: [team, tier]\n",
    );
    r.write(APP, &good("", ""));
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX008"),
        vec![
            f("prod", "x", APP, Some(2), "error"),
            f("stage", "x", APP, Some(2), "error")
        ]
    );
    r.write(APP, &good("", "").replace("team: a", "team: a, tier: web"));
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX008"), vec![]);
}

#[test]
fn nx009_parity_between_environments() {
    let r = repo();
    r.write(
        "nexus.yaml",
        "protectedEnvs: [prod]\nlint:\n  parity: [[stage, prod]]\n",
    );
    r.write(APP, &good("", ""));
    r.write("environments/stage/apps/y.yaml", &good("", ""));
    // Linting stage alone still compares with prod.
    let doc = lint_json(&r, &["stage"], 0);
    assert_eq!(
        of(&doc, "NX009"),
        vec![f(
            "stage",
            "y",
            "environments/stage/apps/y.yaml",
            None,
            "info"
        )]
    );
    r.write("environments/prod/apps/y.yaml", &good("", ""));
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX009"), vec![]);
    // Disabled counts as absent.
    r.write("environments/prod/apps/x.yaml", "app: {enabled: false}\n");
    let doc = lint_json(&r, &["--all"], 0);
    assert_eq!(of(&doc, "NX009"), vec![f("stage", "x", APP, None, "info")]);
}

#[test]
fn nx101_latest_tag_set_in_an_environment_override() {
    let r = repo();
    r.write(APP, &good("", ""));
    r.write(
        "environments/stage/apps/x.yaml",
        "app:\n  values:\n    image: {tag: latest}\n",
    );
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX101"),
        vec![f(
            "stage",
            "x",
            "environments/stage/apps/x.yaml",
            Some(3),
            "error"
        )]
    );
    // Containers in manifests: no tag means latest.
    r.remove("environments/stage/apps/x.yaml");
    r.write(
        APP,
        &good(
            &deployment("", "").replace(&format!("ghcr.io/acme/x:1.0.0@{DIGEST}"), "nginx"),
            "",
        ),
    );
    let doc = lint_json(&r, &["stage"], 1);
    assert_eq!(
        of(&doc, "NX101"),
        vec![f("stage", "x", APP, Some(14), "error")]
    );
    r.write(APP, &good(&deployment("", ""), ""));
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX101"), vec![]);
}

#[test]
fn nx101_tag_from_a_var_points_at_the_var() {
    let r = repo();
    r.write(
        APP,
        &good("", "").replace("tag: 1.0.0", "tag: \"{{ vars.release }}\""),
    );
    r.write("environments/stage/env.yaml", "vars:\n  release: latest\n");
    r.write("environments/prod/env.yaml", "vars:\n  release: 1.0.0\n");
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX101"),
        vec![f(
            "stage",
            "x",
            "environments/stage/env.yaml",
            Some(2),
            "error"
        )]
    );
}

#[test]
fn nx102_digest_required_only_where_protected() {
    let r = repo();
    r.write(
        APP,
        &good("", "").replace(&format!(", digest: \"{DIGEST}\""), ""),
    );
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX102"),
        vec![f("prod", "x", APP, Some(5), "error")]
    );
    r.write(
        "environments/prod/apps/x.yaml",
        &format!("app:\n  values:\n    image: {{digest: \"{DIGEST}\"}}\n"),
    );
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX102"), vec![]);
}

#[test]
fn nx103_resources_missing_or_removed_by_an_override() {
    let r = repo();
    r.write(
        APP,
        &good("", "").replace(", limits: {cpu: 200m, memory: 128Mi}", ""),
    );
    let doc = lint_json(&r, &["stage"], 0);
    assert_eq!(
        of(&doc, "NX103"),
        vec![f("stage", "x", APP, Some(7), "warning")]
    );
    // No resources anywhere: the `values:` line of the app's own file.
    r.write(
        APP,
        &good("", "").replace(
            "    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}\n",
            "",
        ),
    );
    let doc = lint_json(&r, &["stage"], 0);
    assert_eq!(
        of(&doc, "NX103"),
        vec![f("stage", "x", APP, Some(4), "warning")]
    );
    // Only in prod/apps/x.yaml's environment the own file is that file.
    r.write(
        "environments/prod/apps/x.yaml",
        "app: {labels: {tier: a}}\n",
    );
    let doc = lint_json(&r, &["prod"], 0);
    assert_eq!(
        of(&doc, "NX103"),
        vec![f(
            "prod",
            "x",
            "environments/prod/apps/x.yaml",
            None,
            "warning"
        )]
    );
    r.remove("environments/prod/apps/x.yaml");
    r.write(APP, &good("", ""));
    r.write(
        "environments/stage/apps/x.yaml",
        "app:\n  values:\n    resources: null\n",
    );
    let doc = lint_json(&r, &["--all"], 0);
    assert_eq!(
        of(&doc, "NX103"),
        vec![f(
            "stage",
            "x",
            "environments/stage/apps/x.yaml",
            Some(3),
            "warning"
        )]
    );
    r.remove("environments/stage/apps/x.yaml");
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX103"), vec![]);
}

#[test]
fn nx104_replicas_in_protected_envs() {
    let r = repo();
    r.write(APP, &good("", ""));
    r.write(
        "environments/prod/apps/x.yaml",
        "app:\n  values:\n    replicaCount: 1\n",
    );
    r.write(
        "environments/stage/apps/x.yaml",
        "app:\n  values:\n    replicaCount: 1\n",
    );
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX104"),
        vec![f(
            "prod",
            "x",
            "environments/prod/apps/x.yaml",
            Some(3),
            "error"
        )]
    );
    r.write(
        "environments/prod/apps/x.yaml",
        "app:\n  values:\n    replicaCount: 1\n    autoscaling: {enabled: true, minReplicas: 2, maxReplicas: 5}\n",
    );
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX104"), vec![]);
    r.write(
        "environments/prod/apps/x.yaml",
        "app:\n  values:\n    autoscaling: {enabled: true, minReplicas: 1}\n",
    );
    let doc = lint_json(&r, &["prod"], 1);
    assert_eq!(
        of(&doc, "NX104"),
        vec![f(
            "prod",
            "x",
            "environments/prod/apps/x.yaml",
            Some(3),
            "error"
        )]
    );
}

#[test]
fn nx105_literal_secrets_in_a_shared_layer_and_references_that_are_fine() {
    let r = repo();
    r.write(
        "environments/base.yaml",
        &format!(
            "{}app:\n  values:\n    auth: {{password: hunter2}}\n",
            r.read("environments/base.yaml")
        ),
    );
    r.write(APP, &good("", ""));
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(
        of(&doc, "NX105"),
        vec![
            f("prod", "x", "environments/base.yaml", Some(11), "error"),
            f("stage", "x", "environments/base.yaml", Some(11), "error")
        ]
    );
    // The value is never printed, not even in the source excerpt.
    let text = r.run(&["lint", "stage"]);
    assert!(!text.stdout.contains("hunter2"), "{}", text.stdout);
    let good_refs = "    auth: {password: null, existingSecret: db, apiKey: \"ENC[AES256_GCM,data:abc]\", token: \"\"}\n    env:\n      - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}\n      - {name: API_TOKEN, value: \"{% raw %}{{ .Values.token }}{% endraw %}\"}\n    usePasswordFiles: true\n    imagePullSecrets: [ghcr-pull]\n    tokenTTL: 3600\n    podAnnotations: {vault.hashicorp.com/agent-inject-secret-db: database/creds/api}\n";
    r.write(APP, &good("", good_refs));
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX105"), vec![]);
    r.write(
        APP,
        &good("", "    env:\n      - {name: API_TOKEN, value: abc123}\n"),
    );
    let doc = lint_json(&r, &["stage"], 1);
    assert!(
        of(&doc, "NX105").contains(&f("stage", "x", APP, Some(12), "error")),
        "{doc}"
    );
}

#[test]
fn nx106_privileged_escalation_and_root() {
    let r = repo();
    r.write(APP, &good(&deployment("                securityContext: {privileged: true, allowPrivilegeEscalation: true}\n", "            securityContext: {runAsUser: 0}\n"), ""));
    let doc = lint_json(&r, &["stage"], 1);
    assert_eq!(
        of(&doc, "NX106"),
        vec![
            f("stage", "x", APP, Some(12), "error"),
            f("stage", "x", APP, Some(19), "error"),
            f("stage", "x", APP, Some(19), "error")
        ]
    );
    // The container's non-root user overrides the pod's root.
    r.write(
        APP,
        &good(
            &deployment(
                "                securityContext: {runAsUser: 1000}\n",
                "            securityContext: {runAsUser: 0}\n",
            ),
            "",
        ),
    );
    assert_eq!(of(&lint_json(&r, &["stage"], 0), "NX106"), vec![]);
    r.write(
        "environments/stage/apps/x.yaml",
        "app:\n  values:\n    securityContext: {runAsNonRoot: false, runAsUser: null}\n",
    );
    let doc = lint_json(&r, &["stage"], 1);
    assert_eq!(
        of(&doc, "NX106"),
        vec![f(
            "stage",
            "x",
            "environments/stage/apps/x.yaml",
            Some(3),
            "error"
        )]
    );
}

#[test]
fn nx107_probes() {
    let r = repo();
    r.write(APP, &good("", ""));
    r.write(
        "environments/stage/apps/x.yaml",
        "app:\n  values:\n    readinessProbe: null\n",
    );
    let doc = lint_json(&r, &["--all"], 0);
    assert_eq!(
        of(&doc, "NX107"),
        vec![f(
            "stage",
            "x",
            "environments/stage/apps/x.yaml",
            Some(3),
            "info"
        )]
    );
    r.remove("environments/stage/apps/x.yaml");
    r.write(
        APP,
        &good(
            &deployment("", "").replace(
                "                livenessProbe: {tcpSocket: {port: 80}}\n",
                "",
            ),
            "",
        ),
    );
    let doc = lint_json(&r, &["stage"], 0);
    assert_eq!(
        of(&doc, "NX107"),
        vec![f("stage", "x", APP, Some(13), "info")]
    );
    r.write(APP, &good(&deployment("", ""), ""));
    assert_eq!(of(&lint_json(&r, &["--all"], 0), "NX107"), vec![]);
}

#[test]
fn nx108_host_namespaces() {
    let r = repo();
    r.write(
        APP,
        &good(
            &deployment("", "            hostPID: true\n"),
            "    hostNetwork: true\n",
        ),
    );
    let doc = lint_json(&r, &["stage"], 1);
    assert_eq!(
        of(&doc, "NX108"),
        vec![
            f("stage", "x", APP, Some(12), "error"),
            f("stage", "x", APP, Some(26), "error")
        ]
    );
    r.write(
        APP,
        &good(
            &deployment("", "            hostPID: false\n"),
            "    hostNetwork: false\n",
        ),
    );
    assert_eq!(of(&lint_json(&r, &["stage"], 0), "NX108"), vec![]);
}

#[test]
fn a_shared_pod_setting_is_one_finding_not_one_per_container() {
    let r = repo();
    let two = format!(
        "  manifests:\n    - apiVersion: v1\n      kind: Pod\n      metadata: {{name: p}}\n      spec:\n        securityContext: {{runAsUser: 0}}\n        containers:\n          - {{name: a, image: \"ghcr.io/acme/a:1.0.0@{DIGEST}\", resources: {{requests: {{cpu: 1, memory: 1Gi}}, limits: {{cpu: 1, memory: 1Gi}}}}, livenessProbe: {{exec: {{command: [x]}}}}, readinessProbe: {{exec: {{command: [x]}}}}}}\n          - {{name: b, image: \"ghcr.io/acme/b:1.0.0@{DIGEST}\", resources: {{requests: {{cpu: 1, memory: 1Gi}}, limits: {{cpu: 1, memory: 1Gi}}}}, livenessProbe: {{exec: {{command: [x]}}}}, readinessProbe: {{exec: {{command: [x]}}}}}}\n"
    );
    r.write(APP, &good(&two, ""));
    let doc = lint_json(&r, &["stage"], 1);
    assert_eq!(
        of(&doc, "NX106"),
        vec![f("stage", "x", APP, Some(9), "error")]
    );
    assert_eq!(doc["summary"]["errors"], 1, "{doc}");
}
