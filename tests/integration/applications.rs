//! Applications as real repositories have them: every kind of chart
//! source, Helm options, non-Helm sources, names kept from an existing
//! repository, ignoreDifferences, info, finalizers on a manual-sync app,
//! the root app-of-apps and AppProject metadata, and the
//! `<env>/defaults.yaml` layer. The fixture is modelled on an on-prem
//! platform (databases, Istio, Vault, monitoring; staging syncs itself,
//! production is synced by hand).

use crate::util::{Repo, at};

/// The platform: six apps in stage and prod.
fn platform() -> Repo {
    let r = Repo::new();
    r.write(
        "environments/base.yaml",
        r#"argocd:
  repoURL: https://git.acme.internal/platform/gitops.git
  targetRevision: main
  project: platform
  # Names of the existing repository: no environment suffix.
  applicationName: "{{ app.name }}"
  syncPolicy:
    syncOptions: [CreateNamespace=true]
    retry:
      limit: 5
      backoff: {duration: 10s, factor: 2, maxDuration: 3m}
  root:
    project: bootstrap
    labels: {acme.dev/tier: bootstrap}
projects:
  platform:
    metadata:
      labels: {acme.dev/owner: platform-team}
      finalizers: [resources-finalizer.argocd.argoproj.io]
    sourceRepos: ["*"]
    destinations: [{server: "*", namespace: "*"}]
    clusterResourceWhitelist: [{group: "*", kind: "*"}]
  bootstrap:
    sourceRepos: [https://git.acme.internal/platform/gitops.git]
    destinations: [{server: https://kubernetes.default.svc, namespace: argocd}]
    namespaceResourceWhitelist: [{group: argoproj.io, kind: Application}]
"#,
    )
    .write(
        "environments/stage/defaults.yaml",
        "# What stage gives every app unless the app's own file says otherwise.\nargocd:\n  syncPolicy:\n    automated: {prune: true, selfHeal: true}\napp:\n  values:\n    replicaCount: 1\n",
    )
    .write("environments/stage/env.yaml", "vars: {}\n")
    .write(
        "environments/prod/env.yaml",
        "# prod is synced by hand.\nargocd:\n  syncPolicy:\n    automated: null\n    retry!: {limit: 2}\n",
    )
    .write(
        "environments/apps/postgres.yaml",
        r#"app:
  namespace: databases
  chart: {repoURL: oci://registry-1.docker.io/bitnamicharts, chart: postgresql, targetRevision: 15.5.0}
  helm:
    releaseName: pg
    skipCrds: true
  values:
    auth: {existingSecret: pg-auth}
argocd:
  ignoreDifferences:
    - {group: apps, kind: StatefulSet, jsonPointers: [/spec/volumeClaimTemplates]}
"#,
    )
    .write(
        "environments/apps/vault.yaml",
        r#"app:
  namespace: vault
  chart: {repoURL: https://helm.releases.hashicorp.com, chart: vault, targetRevision: 0.28.1}
  helm:
    valueFiles: [values-ha.yaml]
    parameters:
      - {name: server.ha.enabled, value: "true", forceString: true}
    passCredentials: false
argocd:
  finalizers: [resources-finalizer.argocd.argoproj.io]
"#,
    )
    .write(
        "environments/apps/istio-resources.yaml",
        "app:\n  namespace: istio-system\n  sources:\n    - {path: manifests/istio-resources, directory: {recurse: true, exclude: '*.md'}}\n",
    )
    .write(
        "environments/apps/policies.yaml",
        "app:\n  namespace: kyverno\n  sources:\n    - repoURL: https://github.com/acme/policies.git\n      path: overlays/stage\n      targetRevision: v2.0.0\n      kustomize: {namePrefix: acme-}\n",
    )
    .write(
        "environments/prod/apps/policies.yaml",
        "app:\n  sources: [{repoURL: https://github.com/acme/policies.git, path: overlays/prod, targetRevision: v2.0.0, kustomize: {namePrefix: acme-}}]\n",
    )
    .write(
        "environments/apps/api.yaml",
        r#"app:
  chart: {repoURL: https://github.com/acme/charts.git, path: charts/api, targetRevision: api-1.4.0}
  values:
    replicaCount: 3
    autoscaling: {enabled: true, minReplicas: 2}
argocd:
  applicationName: "{{ app.name }}-{{ env.slug }}"
  ignoreDifferences:
    - {group: autoscaling, kind: HorizontalPodAutoscaler, jqPathExpressions: [".status"]}
    - {group: apps, kind: Deployment, name: api, jsonPointers: [/spec/replicas]}
  info:
    - {name: runbook, value: "https://wiki.acme.internal/api"}
  revisionHistoryLimit: 5
"#,
    )
    .write(
        "environments/apps/monitoring.yaml",
        "app:\n  chart: {repoURL: ghcr.io/prometheus-community/charts, chart: kube-prometheus-stack, targetRevision: 65.1.0}\n  helm: {releaseName: kps, skipCrds: false}\n",
    );
    r
}

#[test]
fn every_application_field_a_real_repository_uses() {
    let r = platform();
    r.run(&["render", "--all"]).code(0);

    // OCI chart, a release name of its own, skipCrds, ignoreDifferences.
    let pg = r.yaml("deploy/stage/apps/postgres.yaml");
    assert_eq!(at(&pg, "metadata.name"), "postgres");
    assert_eq!(
        at(&pg, "spec.sources.0.repoURL"),
        "oci://registry-1.docker.io/bitnamicharts"
    );
    assert_eq!(at(&pg, "spec.sources.0.chart"), "postgresql");
    assert_eq!(at(&pg, "spec.sources.0.helm.releaseName"), "pg");
    assert_eq!(
        at(&pg, "spec.sources.0.helm.skipCrds").as_bool(),
        Some(true)
    );
    assert_eq!(
        at(&pg, "spec.sources.0.helm.valueFiles.0"),
        "$values/deploy/stage/values/postgres.yaml"
    );
    assert_eq!(at(&pg, "spec.sources.1.ref"), "values");
    assert_eq!(
        at(&pg, "spec.ignoreDifferences.0.jsonPointers.0"),
        "/spec/volumeClaimTemplates"
    );
    assert_eq!(at(&pg, "spec.destination.namespace"), "databases");

    // The chart's own value file comes before nexus's; parameters stay
    // strings; finalizers on a manually synced app (prod).
    let vault = r.yaml("deploy/prod/apps/vault.yaml");
    assert_eq!(
        at(&vault, "spec.sources.0.helm.valueFiles.0"),
        "values-ha.yaml"
    );
    assert_eq!(
        at(&vault, "spec.sources.0.helm.valueFiles.1"),
        "$values/deploy/prod/values/vault.yaml"
    );
    assert_eq!(at(&vault, "spec.sources.0.helm.parameters.0.value"), "true");
    assert_eq!(
        at(&vault, "spec.sources.0.helm.passCredentials").as_bool(),
        Some(false)
    );
    assert_eq!(
        at(&vault, "metadata.finalizers.0"),
        "resources-finalizer.argocd.argoproj.io"
    );
    assert!(at(&vault, "spec.syncPolicy.automated").is_null());
    // `retry!` replaced the inherited retry map (no backoff left).
    assert_eq!(at(&vault, "spec.syncPolicy.retry.limit"), 2);
    assert!(at(&vault, "spec.syncPolicy.retry.backoff").is_null());

    // An app of plain manifests only: one source, this repository.
    let istio = r.yaml("deploy/stage/apps/istio-resources.yaml");
    assert_eq!(
        at(&istio, "spec.sources.0.repoURL"),
        "https://git.acme.internal/platform/gitops.git"
    );
    assert_eq!(at(&istio, "spec.sources.0.targetRevision"), "main");
    assert_eq!(
        at(&istio, "spec.sources.0.path"),
        "manifests/istio-resources"
    );
    assert_eq!(
        at(&istio, "spec.sources.0.directory.recurse").as_bool(),
        Some(true)
    );
    assert!(at(&istio, "spec.sources.1").is_null(), "no values source");
    assert!(!r.exists("deploy/stage/values/istio-resources.yaml"));

    // A kustomization from another repository, replaced in prod with `!`.
    let pol = r.yaml("deploy/prod/apps/policies.yaml");
    assert_eq!(at(&pol, "spec.sources.0.path"), "overlays/prod");
    assert_eq!(at(&pol, "spec.sources.0.targetRevision"), "v2.0.0");
    assert_eq!(at(&pol, "spec.sources.0.kustomize.namePrefix"), "acme-");

    // A chart in another git repository; info, revisionHistoryLimit, jq.
    let api = r.yaml("deploy/prod/apps/api.yaml");
    assert_eq!(at(&api, "metadata.name"), "api-prod");
    assert_eq!(
        at(&api, "spec.sources.0.repoURL"),
        "https://github.com/acme/charts.git"
    );
    assert_eq!(at(&api, "spec.sources.0.path"), "charts/api");
    assert_eq!(at(&api, "spec.sources.0.targetRevision"), "api-1.4.0");
    assert_eq!(at(&api, "spec.sources.0.helm.releaseName"), "api");
    assert_eq!(
        at(&api, "spec.info.0.value"),
        "https://wiki.acme.internal/api"
    );
    assert_eq!(at(&api, "spec.revisionHistoryLimit"), 5);
    assert_eq!(
        at(&api, "spec.ignoreDifferences.0.jqPathExpressions.0"),
        ".status"
    );

    // A scheme-less OCI registry URL, as ArgoCD accepts it.
    let kps = r.yaml("deploy/prod/apps/monitoring.yaml");
    assert_eq!(
        at(&kps, "spec.sources.0.repoURL"),
        "ghcr.io/prometheus-community/charts"
    );
    assert_eq!(at(&kps, "spec.sources.0.helm.releaseName"), "kps");

    // The root app-of-apps and the AppProject metadata.
    let root = r.yaml("deploy/stage/root.yaml");
    assert_eq!(at(&root, "metadata.name"), "root-stage");
    assert_eq!(at(&root, "spec.project"), "bootstrap");
    assert_eq!(at(&root, "metadata.labels.[acme.dev/tier]"), "bootstrap");
    let proj = r.yaml("deploy/stage/projects/platform.yaml");
    assert_eq!(
        at(&proj, "metadata.labels.[acme.dev/owner]"),
        "platform-team"
    );
    assert_eq!(
        at(&proj, "metadata.finalizers.0"),
        "resources-finalizer.argocd.argoproj.io"
    );
    assert!(at(&proj, "spec.metadata").is_null(), "metadata is not spec");
    assert_eq!(
        at(&proj, "metadata.annotations.[argocd.argoproj.io/sync-wave]"),
        "-1"
    );
    r.run(&["validate", "--all", "--strict"]).code(0);
}

#[test]
fn environment_defaults_sit_below_the_apps_own_file() {
    let r = platform();
    r.run(&["render", "stage"]).code(0);
    // stage/defaults.yaml gives replicaCount 1; api's own file says 3.
    let api = r.yaml("deploy/stage/values/api.yaml");
    assert_eq!(at(&api, "replicaCount"), 3);
    let vault = r.yaml("deploy/stage/values/vault.yaml");
    assert_eq!(at(&vault, "replicaCount"), 1);
    // The automated sync of stage/defaults.yaml reaches every app.
    let pg = r.yaml("deploy/stage/apps/postgres.yaml");
    assert_eq!(
        at(&pg, "spec.syncPolicy.automated.prune").as_bool(),
        Some(true)
    );
    // explain names the file in the chain.
    r.run(&["explain", "stage", "api", "values.replicaCount"])
        .code(0)
        .stdout_has("environments/stage/defaults.yaml:7:19  1")
        .stdout_has("* wins environments/apps/api.yaml:4:");
    r.run(&["explain", "stage", "api"])
        .code(0)
        .stdout_has("  environments/stage/defaults.yaml\n  environments/apps/api.yaml\n");
}

#[test]
fn a_kustomization_given_as_a_chart_is_refused_at_its_line() {
    let r = platform();
    r.write(
        "manifests/istio/kustomization.yaml",
        "resources: [gateway.yaml]\n",
    );
    r.write(
        "environments/apps/istio-resources.yaml",
        "app:\n  namespace: istio-system\n  chart: {path: manifests/istio}\n",
    );
    let run = r.run(&["render", "--all"]);
    run.code(2)
        .stderr_has("`manifests/istio` is a kustomization, not a Helm chart (it has no Chart.yaml)")
        .stderr_has("environments/apps/istio-resources.yaml:3:17")
        .stderr_has("sources: [{path: manifests/istio}]");
    assert!(!r.exists("deploy"), "nothing written");
    r.write(
        "manifests/plain/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\n",
    );
    r.write(
        "environments/apps/istio-resources.yaml",
        "app:\n  chart: {path: manifests/plain}\n",
    );
    r.run(&["validate", "--all"])
        .code(2)
        .stderr_has("`manifests/plain` is not a Helm chart: it has no Chart.yaml");
}

#[test]
fn two_apps_with_one_application_name_are_refused() {
    let r = platform();
    r.write(
        "environments/stage/env.yaml",
        "argocd:\n  applicationName: \"{{ env.slug }}\"\n",
    );
    r.run(&["render", "stage"])
        .code(2)
        .stderr_has("both render the Application `stage`")
        .stderr_has("environments/stage/env.yaml:2:20");
}

#[test]
fn the_old_root_project_key_says_where_it_went() {
    let r = platform();
    r.write(
        "environments/stage/env.yaml",
        "argocd:\n  rootProject: bootstrap\n",
    );
    r.run(&["render", "stage"])
        .code(2)
        .stderr_has("unknown key `rootProject` under `argocd`")
        .stderr_has("argocd: {root: {project: ...}}");
}

#[test]
fn replace_suffix_works_on_any_inherited_argocd_map() {
    let r = platform();
    r.write(
        "environments/stage/env.yaml",
        "argocd:\n  syncPolicy:\n    retry:\n      backoff!: {duration: 1m}\n    automated!: {selfHeal: true}\n",
    );
    r.run(&["render", "stage"]).code(0);
    let pg = r.yaml("deploy/stage/apps/postgres.yaml");
    assert_eq!(at(&pg, "spec.syncPolicy.retry.backoff.duration"), "1m");
    assert!(at(&pg, "spec.syncPolicy.retry.backoff.factor").is_null());
    assert!(at(&pg, "spec.syncPolicy.automated.prune").is_null());
    assert_eq!(
        at(&pg, "spec.syncPolicy.automated.selfHeal").as_bool(),
        Some(true)
    );
    // A wrong suffix gets the right hint.
    r.write(
        "environments/stage/env.yaml",
        "argocd:\n  namespace!: argocd\n",
    );
    r.run(&["render", "stage"])
        .code(2)
        .stderr_has("`namespace` is not a map, so `namespace!` (replace) does not apply");
}

#[test]
fn application_fields_are_checked_against_the_argocd_schema_at_the_layer_line() {
    let r = platform();
    r.write(
        "environments/stage/env.yaml",
        "argocd:\n  info:\n    - {name: runbook}\n  revisionHistoryLimit: -1\n",
    );
    let run = r.run(&["validate", "stage", "--format", "json"]);
    run.code(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let lines: std::collections::BTreeSet<(String, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(
        lines.contains(&("environments/stage/env.yaml".to_string(), 3)),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("environments/stage/env.yaml".to_string(), 4)),
        "{lines:?}"
    );
}

/// `lint --format json` of a repository: the findings of one rule.
fn lint_rule(r: &Repo, rule: &str) -> Vec<serde_json::Value> {
    let run = r.run(&["lint", "--all", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", run.stdout, run.stderr));
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .cloned()
        .collect()
}

#[test]
fn nx011_reports_ignore_differences_that_cannot_match() {
    let r = platform();
    r.write(
        "environments/apps/api.yaml",
        r#"app:
  chart: {repoURL: https://github.com/acme/charts.git, path: charts/api, targetRevision: api-1.4.0}
argocd:
  ignoreDifferences:
    - {group: apps, kind: Deployment, jsonPointers: [spec/replicas]}
    - {group: apps, jsonPointers: [/spec/replicas]}
    - {group: apps, kind: StatefulSet}
    - {kind: MutatingWebhookConfiguration, jqPathExpressions: ["webhooks[].clientConfig.caBundle"]}
    - {kind: Service, jqPathExpressions: [".spec.ports[0"]}
    - {kind: ConfigMap, jsonPointers: [/data/a~b]}
    - {group: apps, kind: Deployment, jsonPointers: [/spec/replicas], jqPathExpressions: [".spec.template.spec.containers[] | select(.name == \"istio-proxy\")"]}
"#,
    );
    let found = lint_rule(&r, "NX011");
    let stage: Vec<(u64, u64, String)> = found
        .iter()
        .filter(|f| f["env"] == "stage")
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let lines: Vec<u64> = stage.iter().map(|(l, _, _)| *l).collect();
    assert_eq!(lines, [5, 6, 7, 8, 9, 10], "{stage:#?}");
    assert!(
        stage[0]
            .2
            .contains("`spec/replicas` does not start with `/`"),
        "{stage:#?}"
    );
    assert_eq!(stage[0].1, 54, "the pointer itself: {stage:#?}");
    assert!(stage[1].2.contains("names no `kind`"), "{stage:#?}");
    assert!(stage[2].2.contains("says nothing to ignore"), "{stage:#?}");
    assert!(
        stage[3].2.contains("`webhooks` is not a jq function"),
        "{stage:#?}"
    );
    assert!(stage[4].2.contains("does not parse"), "{stage:#?}");
    assert!(stage[5].2.contains("`~` that is not"), "{stage:#?}");
    // The missing kind is one message (NX011), not a schema error besides.
    let run = r.run(&["lint", "stage"]);
    run.code(1);
    assert!(!run.stdout.contains("error[SCHEMA]"), "{}", run.stdout);
}

#[test]
fn nx010_environments_sharing_an_argocd_must_not_share_object_names() {
    let r = platform();
    // stage and prod on one cluster, one ArgoCD.
    r.write(
        "environments/base.yaml",
        &r.read("environments/base.yaml").replace(
            "  project: platform\n",
            "  project: platform\n  instance: main\n",
        ),
    );
    let found = lint_rule(&r, "NX010");
    // Every app named `{{ app.name }}` by base.yaml (api names itself per
    // environment), both AppProjects; the roots differ by default.
    let mut places: Vec<String> = found
        .iter()
        .map(|f| {
            format!(
                "{}/{}",
                f["env"].as_str().unwrap(),
                f["app"].as_str().unwrap_or("-")
            )
        })
        .collect();
    places.sort();
    places.dedup();
    assert_eq!(
        places,
        [
            "prod/-",
            "prod/istio-resources",
            "prod/monitoring",
            "prod/policies",
            "prod/postgres",
            "prod/vault",
            "stage/-",
            "stage/istio-resources",
            "stage/monitoring",
            "stage/policies",
            "stage/postgres",
            "stage/vault"
        ],
        "{found:#?}"
    );
    let app = found.iter().find(|f| f["app"] == "vault").unwrap();
    assert_eq!(app["file"], "environments/base.yaml");
    assert_eq!(app["line"], 7, "the applicationName line: {app:#?}");
    let proj = found
        .iter()
        .find(|f| f["app"].is_null() && f["message"].as_str().unwrap().contains("`platform`"))
        .unwrap();
    assert_eq!(proj["line"], 17, "the project's key: {proj:#?}");
    // Text: one message per cause.
    let run = r.run(&["lint", "--all"]);
    assert_eq!(
        run.stdout.matches("error[NX010]").count(),
        3,
        "applicationName, and each AppProject: {}",
        run.stdout
    );
    run.stdout_has("= note: `istio-resources` is rendered by deploy/prod/apps/istio-resources.yaml and deploy/stage/apps/istio-resources.yaml");

    // The one-cluster setup: names per environment, projects rendered by
    // prod only; stage's apps still use them (NX003 finds them in prod).
    r.write(
        "environments/base.yaml",
        &r.read("environments/base.yaml").replace(
            "  applicationName: \"{{ app.name }}\"\n",
            "  applicationName: \"{{ app.name }}-{{ env.slug }}\"\n",
        ),
    );
    r.write(
        "environments/stage/env.yaml",
        "projects:\n  platform: null\n  bootstrap: null\n",
    );
    assert_eq!(lint_rule(&r, "NX010"), Vec::<serde_json::Value>::new());
    assert_eq!(lint_rule(&r, "NX003"), Vec::<serde_json::Value>::new());
    r.run(&["render", "--all"]).code(0);
    assert!(!r.exists("deploy/stage/projects/platform.yaml"));
    assert!(r.exists("deploy/prod/projects/platform.yaml"));
}

#[test]
fn nx007_in_cluster_apps_of_environments_sharing_an_argocd_collide() {
    let r = platform();
    r.write(
        "environments/base.yaml",
        &r.read("environments/base.yaml").replace(
            "  project: platform\n",
            "  project: platform\n  instance: main\n",
        ),
    );
    // Same release, same namespace, same (in-)cluster: postgres.
    let found = lint_rule(&r, "NX007");
    let pg: Vec<&serde_json::Value> = found.iter().filter(|f| f["app"] == "postgres").collect();
    assert_eq!(pg.len(), 2, "one per environment: {found:#?}");
    assert!(
        pg[0]["message"]
            .as_str()
            .unwrap()
            .contains("Helm release `pg`"),
        "{found:#?}"
    );
    assert_eq!(pg[0]["path"], "argocd.instance", "{found:#?}");
    assert_eq!(pg[0]["line"], 5, "{found:#?}");
    // Apps of plain manifests make no Helm release.
    assert!(
        !found.iter().any(|f| f["app"] == "istio-resources"),
        "{found:#?}"
    );
    // Without the shared instance each environment has its own cluster.
    let r = platform();
    assert_eq!(lint_rule(&r, "NX007"), Vec::<serde_json::Value>::new());
}
