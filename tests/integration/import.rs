//! `nexus import`: a repository of hand-written Applications becomes
//! layers, and the layers render what it had. Each claim is checked here
//! without nexus: the values against a stacking of the original files done
//! with serde_yaml (as Helm's `-f` stacks them, then inline values, then
//! `--set`), the Applications field by field.

use std::collections::BTreeMap;

use serde_yaml::{Mapping, Value};

use crate::util::Repo;

const REPO: &str = "https://github.com/acme/platform-gitops.git";

/// A platform repository shaped like the ones nexus is for: environments
/// `stage`, `prod/eu` and `prod/us` (directories), an app-of-apps per
/// environment, AppProjects in one multi-document file, a chart in the
/// repository with value files beside it, remote charts from a Helm
/// repository and an OCI registry fed `$values/...` files, inline values
/// (text and object), parameters, plain manifests, and the Application
/// fields real repositories use.
fn platform() -> Repo {
    let r = Repo::new();
    r.write(
        "charts/api/Chart.yaml",
        "apiVersion: v2\nname: api\nversion: 0.3.0\nappVersion: \"1.8.0\"\n",
    );
    r.write(
        "charts/api/values.yaml",
        "replicaCount: 1\nimage:\n  repository: ghcr.io/acme/api\n  tag: \"\"\n  pullPolicy: IfNotPresent\nservice:\n  port: 8080\nresources: {}\n",
    );
    r.write(
        "charts/api/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    );
    // A chart's own template that renders an Application: Go template
    // text, not a manifest to import (and not readable YAML).
    r.write(
        "charts/api/templates/preview.yaml",
        "{{- if .Values.preview }}\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {{ .Release.Name }}-preview\n{{- end }}\n",
    );
    r.write(
        "values/api/common.yaml",
        r#"# Shared by every environment.
image:
  tag: "1.8.0"
env:
  - name: LOG_FORMAT
    value: json
  - name: OTEL_EXPORTER_OTLP_ENDPOINT
    value: http://otel-collector.observability:4317
podAnnotations:
  prometheus.io/scrape: "true"
  prometheus.io/port: "8080"
"#,
    );
    r.write(
        "values/api/stage.yaml",
        "image:\n  tag: 1.9.0-rc.1\ningress:\n  enabled: true\n  hosts: [api.stage.acme.example]\n",
    );
    r.write(
        "values/api/prod.yaml",
        r#"replicaCount: 3
ingress:
  enabled: true
resources:
  requests: {cpu: 500m, memory: 512Mi}
  limits: {memory: 1Gi}
podDisruptionBudget:
  minAvailable: 2
"#,
    );
    r.write(
        "values/api/prod-eu.yaml",
        "ingress:\n  hosts: [api.eu.acme.example]\n",
    );
    r.write(
        "values/api/prod-us.yaml",
        "ingress:\n  hosts: [api.us.acme.example]\nreplicaCount: 4\n",
    );
    r.write(
        "values/ingress-nginx/common.yaml",
        r#"controller:
  ingressClassResource:
    default: true
  metrics:
    enabled: true
  config:
    use-forwarded-headers: "true"
    log-format-upstream: '$remote_addr - $request_id - [$time_local] "$request" $status'
  admissionWebhooks:
    enabled: true
"#,
    );
    r.write(
        "values/ingress-nginx/prod.yaml",
        "controller:\n  replicaCount: 2\n  autoscaling:\n    enabled: true\n    maxReplicas: 10\n",
    );
    r.write(
        "manifests/istio/stage/gateway.yaml",
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: public\n",
    );
    r.write(
        "manifests/istio/prod/gateway.yaml",
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: public\n",
    );
    r.write(
        "clusters/projects.yaml",
        r#"apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: platform
  namespace: argocd
spec:
  description: Shared platform services
  sourceRepos:
    - https://github.com/acme/platform-gitops.git
    - https://kubernetes.github.io/ingress-nginx
    - ghcr.io/prometheus-community/charts
  destinations:
    - {server: '*', namespace: '*'}
  clusterResourceWhitelist:
    - {group: '*', kind: '*'}
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: apps
  namespace: argocd
spec:
  sourceRepos: [https://github.com/acme/platform-gitops.git]
  destinations:
    - {server: '*', namespace: api}
---
# Not ArgoCD's: read past.
apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  owner: platform-team
"#,
    );
    for (env, server, ns_suffix) in [
        ("stage", "https://stage.k8s.acme.example", "stage"),
        ("prod/eu", "https://eu.k8s.acme.example", "prod-eu"),
        ("prod/us", "https://us.k8s.acme.example", "prod-us"),
    ] {
        let tier = env.split('/').next().unwrap();
        let dir = format!("clusters/{env}");
        let auto = if tier == "stage" {
            "  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n    syncOptions:\n      - CreateNamespace=true\n"
        } else {
            "  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n"
        };
        let finalizers = if tier == "stage" {
            "  finalizers:\n    - resources-finalizer.argocd.argoproj.io\n"
        } else {
            ""
        };
        r.write(
            &format!("{dir}/root.yaml"),
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root-{ns_suffix}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {REPO}\n    targetRevision: main\n    path: {dir}/apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n  syncPolicy:\n    automated:\n      prune: true\n"
            ),
        );
        let region_file = if tier == "stage" {
            String::new()
        } else {
            format!("        - ../../values/api/{ns_suffix}.yaml\n")
        };
        // The chart of this repository, value files relative to it.
        r.write(
            &format!("{dir}/apps/api.yaml"),
            &format!(
                r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api-{ns_suffix}
  namespace: argocd
  labels:
    team: backend
  annotations:
    argocd.argoproj.io/sync-wave: "2"
    notifications.argoproj.io/subscribe.on-sync-failed.slack: backend-alerts
{finalizers}spec:
  project: apps
  source:
    repoURL: {REPO}
    targetRevision: main
    path: charts/api
    helm:
      valueFiles:
        - values.yaml
        - ../../values/api/common.yaml
        - ../../values/api/{tier}.yaml
{region_file}      parameters:
        - name: image.tag
          value: "1.8.1"
        - name: podAnnotations.checksum
          value: "0123"
          forceString: true
  destination:
    server: {server}
    namespace: api
{auto}  ignoreDifferences:
    - group: autoscaling
      kind: HorizontalPodAutoscaler
      jsonPointers:
        - /spec/metrics
"#
            ),
        );
        // A Helm repository chart fed from this repository.
        let prod_values = if tier == "prod" {
            "          - $values/values/ingress-nginx/prod.yaml\n"
        } else {
            ""
        };
        r.write(
            &format!("{dir}/apps/ingress-nginx.yaml"),
            &format!(
                r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ingress-nginx
  namespace: argocd
  annotations:
    argocd.argoproj.io/sync-wave: "-1"
{finalizers}spec:
  project: platform
  sources:
    - repoURL: https://kubernetes.github.io/ingress-nginx
      chart: ingress-nginx
      targetRevision: 4.11.3
      helm:
        releaseName: ingress-nginx
        valueFiles:
          - $values/values/ingress-nginx/common.yaml
{prod_values}        parameters:
          - name: controller.service.annotations.service\.beta\.kubernetes\.io/aws-load-balancer-type
            value: nlb
          - name: controller.extraArgs.default-ssl-certificate
            value: ingress-nginx/wildcard-{ns_suffix}
    - repoURL: {REPO}
      targetRevision: main
      ref: values
  destination:
    server: {server}
    namespace: ingress-nginx
{auto}    managedNamespaceMetadata:
      labels:
        istio-injection: disabled
"#
            ),
        );
        // Plain manifests of this repository.
        r.write(
            &format!("{dir}/apps/istio-config.yaml"),
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: istio-config-{ns_suffix}\n  namespace: argocd\nspec:\n  project: platform\n  source:\n    repoURL: {REPO}\n    targetRevision: main\n    path: manifests/istio/{tier}\n    directory:\n      recurse: true\n  destination:\n    server: {server}\n    namespace: istio-system\n{auto}"
            ),
        );
    }
    // An OCI chart with inline values full of other people's templates,
    // in stage and eu only.
    for (env, ns_suffix, retention) in [("stage", "stage", "3d"), ("prod/eu", "prod-eu", "30d")] {
        r.write(
            &format!("clusters/{env}/apps/monitoring.yaml"),
            &format!(
                r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: monitoring-{ns_suffix}
  namespace: argocd
spec:
  project: platform
  source:
    repoURL: ghcr.io/prometheus-community/charts
    chart: kube-prometheus-stack
    targetRevision: 65.1.0
    helm:
      releaseName: kps
      skipCrds: true
      valuesObject:
        prometheus:
          prometheusSpec:
            retention: {retention}
            ruleSelectorNilUsesHelmValues: false
        additionalPrometheusRulesMap:
          node:
            groups:
              - name: node
                rules:
                  - alert: NodeDown
                    expr: up{{job="node-exporter"}} == 0
                    annotations:
                      summary: "{{{{ $labels.instance }}}} is down"
                      description: '{{{{ printf "%.2f" $value }}}} for {{{{ .Labels.job }}}}'
        grafana:
          adminPassword: ""
          sidecar:
            dashboards:
              enabled: true
              label: grafana_dashboard
      values: |
        alertmanager:
          enabled: false
  destination:
    name: {ns_suffix}
    namespace: monitoring
  syncPolicy:
    syncOptions:
      - ServerSideApply=true
      - CreateNamespace=true
  ignoreDifferences:
    - group: ""
      kind: Secret
      name: kps-grafana
      jsonPointers: [/data]
  info:
    - name: runbook
      value: https://wiki.acme.example/monitoring
  revisionHistoryLimit: 5
"#
            ),
        );
    }
    r
}

/// The YAML documents of every `.yaml` file under `dir` (parsed by
/// serde_yaml: nexus is not asked), with the file each came from.
fn documents(r: &Repo, dir: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (path, text) in r.tree(dir) {
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v = <Value as serde::Deserialize>::deserialize(doc).unwrap();
            if !v.is_null() {
                out.push((format!("{dir}/{path}"), v));
            }
        }
    }
    out
}

/// Helm's `-f` stacking: maps merge, anything else replaces.
fn stack(dst: &mut Value, src: &Value) {
    match (dst, src) {
        (Value::Mapping(d), Value::Mapping(s)) => {
            for (k, v) in s {
                match d.get_mut(k) {
                    Some(dv) if dv.is_mapping() && v.is_mapping() => stack(dv, v),
                    _ => {
                        d.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (d, s) => *d = s.clone(),
    }
}

/// `--set name=value` for the paths used above (dotted, `\.` in a key);
/// typed as Helm types it unless forced to a string.
fn set(values: &mut Value, name: &str, value: &str, force_string: bool) {
    let mut keys = Vec::new();
    let mut cur = String::new();
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cur.extend(chars.next()),
            '.' => keys.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    keys.push(cur);
    let typed = if force_string || value.starts_with('0') && value != "0" {
        Value::String(value.into())
    } else if let Ok(i) = value.parse::<i64>() {
        Value::Number(i.into())
    } else if value == "true" || value == "false" {
        Value::Bool(value == "true")
    } else {
        Value::String(value.into())
    };
    let mut node = values;
    for (i, k) in keys.iter().enumerate() {
        if !node.is_mapping() {
            *node = Value::Mapping(Mapping::new());
        }
        let m = node.as_mapping_mut().unwrap();
        if i + 1 == keys.len() {
            m.insert(Value::String(k.clone()), typed);
            return;
        }
        node = m
            .entry(Value::String(k.clone()))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
    }
}

/// What Helm gets for an original Application: its value files of this
/// repository (the chart's own values.yaml included, as listed), then its
/// inline values, then its parameters.
fn original_values(r: &Repo, app: &Value, file: &str) -> Value {
    let sources: Vec<Value> = match app["spec"]["sources"].as_sequence() {
        Some(s) => s.clone(),
        None => vec![app["spec"]["source"].clone()],
    };
    let chart = sources.iter().find(|s| s.get("ref").is_none()).unwrap();
    let helm = &chart["helm"];
    let mut values = Value::Mapping(Mapping::new());
    for f in helm["valueFiles"].as_sequence().into_iter().flatten() {
        let f = f.as_str().unwrap();
        let path = if let Some(rest) = f.strip_prefix("$values/") {
            rest.to_string()
        } else {
            let dir = chart["path"].as_str().unwrap();
            let mut parts: Vec<&str> = dir.split('/').collect();
            for seg in f.split('/') {
                match seg {
                    ".." => {
                        parts.pop();
                    }
                    s => parts.push(s),
                }
            }
            parts.join("/")
        };
        let v: Value = serde_yaml::from_str(&r.read(&path)).unwrap();
        stack(&mut values, &v);
    }
    if let Some(obj) = helm.get("valuesObject") {
        stack(&mut values, obj);
    } else if let Some(text) = helm["values"].as_str() {
        stack(&mut values, &serde_yaml::from_str(text).unwrap());
    }
    for p in helm["parameters"].as_sequence().into_iter().flatten() {
        set(
            &mut values,
            p["name"].as_str().unwrap(),
            p["value"].as_str().unwrap(),
            p["forceString"].as_bool() == Some(true),
        );
    }
    assert!(
        values.as_mapping().is_some_and(|m| !m.is_empty()),
        "{file}: no values"
    );
    values
}

/// Every rendered Application by environment and name, with its file.
fn rendered_apps(r: &Repo) -> BTreeMap<(String, String), (String, Value)> {
    let mut out = BTreeMap::new();
    for (path, doc) in documents(r, "deploy") {
        if doc["kind"] == "Application" {
            let env = path
                .strip_prefix("deploy/")
                .and_then(|p| {
                    p.rsplit_once("/apps/")
                        .map(|(e, _)| e)
                        .or_else(|| p.rsplit_once('/').map(|(e, _)| e))
                })
                .unwrap()
                .to_string();
            let name = doc["metadata"]["name"].as_str().unwrap().to_string();
            let prev = out.insert((env, name.clone()), (path, doc));
            assert!(prev.is_none(), "two rendered Applications are named {name}");
        }
    }
    out
}

/// An annotation map without the sync-wave, and the wave (ArgoCD reads a
/// missing one as 0).
fn split_wave(meta: &Value) -> (Value, i64) {
    let mut ann = meta["annotations"]
        .as_mapping()
        .cloned()
        .unwrap_or_default();
    let wave = ann
        .remove("argocd.argoproj.io/sync-wave")
        .map_or(0, |w| w.as_str().unwrap().parse().unwrap());
    (Value::Mapping(ann), wave)
}

/// A chart source without the parts that now point at `deploy/`, with
/// ArgoCD's defaults written out (the release name is the Application's
/// name unless given).
fn chart_identity(src: &Value, app_name: &str) -> Value {
    let mut m = Mapping::new();
    for k in ["repoURL", "chart", "path", "targetRevision"] {
        if let Some(v) = src.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    let release = src["helm"]["releaseName"].as_str().unwrap_or(app_name);
    m.insert("releaseName".into(), release.into());
    for k in [
        "skipCrds",
        "passCredentials",
        "skipTests",
        "skipSchemaValidation",
    ] {
        if let Some(v) = src["helm"].get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    Value::Mapping(m)
}

fn sources_of(app: &Value) -> Vec<Value> {
    match app["spec"]["sources"].as_sequence() {
        Some(s) => s.clone(),
        None => vec![app["spec"]["source"].clone()],
    }
}

fn is_chart(src: &Value) -> bool {
    src.get("chart").is_some() || src.get("helm").is_some() || src["path"] == "charts/api"
}

/// Compare one original Application with what the layers render.
fn assert_same(r: &Repo, file: &str, orig: &Value, got: &Value) {
    let name = orig["metadata"]["name"].as_str().unwrap();
    let ctx = format!("{file} ({name})");
    for k in ["name", "namespace", "labels"] {
        assert_eq!(
            orig["metadata"][k], got["metadata"][k],
            "{ctx}: metadata.{k}"
        );
    }
    assert_eq!(
        split_wave(&orig["metadata"]),
        split_wave(&got["metadata"]),
        "{ctx}: annotations"
    );
    let fin = |v: &Value| {
        v["metadata"]["finalizers"]
            .as_sequence()
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(fin(orig), fin(got), "{ctx}: finalizers");
    for k in [
        "project",
        "destination",
        "syncPolicy",
        "ignoreDifferences",
        "info",
        "revisionHistoryLimit",
    ] {
        assert_eq!(orig["spec"][k], got["spec"][k], "{ctx}: spec.{k}");
    }
    let (o_src, g_src) = (sources_of(orig), sources_of(got));
    let o_chart = o_src.iter().find(|s| s.get("ref").is_none() && is_chart(s));
    let g_chart = g_src
        .iter()
        .find(|s| s.get("ref").is_none() && s.get("helm").is_some());
    let o_plain: Vec<&Value> = o_src
        .iter()
        .filter(|s| s.get("ref").is_none() && !is_chart(s))
        .collect();
    let g_plain: Vec<&Value> = g_src
        .iter()
        .filter(|s| s.get("ref").is_none() && s.get("helm").is_none())
        .collect();
    assert_eq!(o_plain, g_plain, "{ctx}: sources other than the chart");
    match (o_chart, g_chart) {
        (None, None) => {}
        (Some(o), Some(g)) => {
            assert_eq!(
                chart_identity(o, name),
                chart_identity(g, name),
                "{ctx}: chart"
            );
            // The values now come from deploy/: one file, Helm's stacking
            // of the original value files, inline values and parameters.
            let files = g["helm"]["valueFiles"].as_sequence().unwrap();
            assert_eq!(files.len(), 1, "{ctx}: value files {files:?}");
            let f = files[0].as_str().unwrap();
            let rel = f.strip_prefix("$values/").unwrap_or(f);
            assert!(rel.starts_with("deploy/"), "{ctx}: {f}");
            let got_values: Value = serde_yaml::from_str(&r.read(rel)).unwrap();
            assert_eq!(
                original_values(r, orig, file),
                got_values,
                "{ctx}: values in {rel}"
            );
        }
        (o, g) => panic!("{ctx}: chart {o:?} became {g:?}"),
    }
}

#[test]
fn a_platform_repository_round_trips_and_gets_shorter() {
    let r = platform();
    let out = r.run(&["import", "clusters"]);
    out.code(0)
        .stderr_has("environments told apart by the directory of each Application's file")
        .stdout_has("14 of 14 Applications reproduced");
    assert!(!out.stderr.contains("skipped"), "{}", out.stderr);
    // The claim of fewer lines, counted here.
    let original: usize = r
        .tree("clusters")
        .iter()
        .chain(r.tree("values").iter())
        .map(|(_, t)| t.lines().count())
        .sum();
    let layers: usize = r
        .tree("environments")
        .iter()
        .map(|(_, t)| t.lines().count())
        .sum();
    assert!(
        layers * 2 < original,
        "layers {layers} lines, originals {original}"
    );
    let line = out.stdout.lines().last().unwrap();
    assert!(
        line.ends_with(&format!("lines of YAML became {layers}")),
        "{line}"
    );

    // DRY: what every environment shares is said once.
    let api = r.yaml("environments/apps/api.yaml");
    assert_eq!(api["app"]["chart"]["path"], "charts/api");
    assert_eq!(
        api["app"]["values"]["env"][0]["name"], "LOG_FORMAT",
        "{api:?}"
    );
    assert_eq!(api["app"]["labels"]["team"], "backend");
    let prod_api = r.yaml("environments/prod/apps/api.yaml");
    assert_eq!(
        prod_api["app"]["values"]["podDisruptionBudget"]["minAvailable"],
        2
    );
    let eu_api = r.yaml("environments/prod/eu/apps/api.yaml");
    assert_eq!(
        eu_api["app"]["values"]["ingress"]["hosts"][0],
        "api.eu.acme.example"
    );
    assert!(
        eu_api["app"]["values"].get("podDisruptionBudget").is_none(),
        "{eu_api:?}"
    );
    let base = r.yaml("environments/base.yaml");
    assert_eq!(base["argocd"]["repoURL"], REPO);
    assert_eq!(
        base["projects"]["platform"]["description"],
        "Shared platform services"
    );
    // Names that were not nexus's default stay what they were.
    let nginx = r.yaml("environments/apps/ingress-nginx.yaml");
    assert_eq!(
        nginx["argocd"]["applicationName"], "ingress-nginx",
        "{nginx:?}"
    );
    // Names that were (`api-prod-eu`) are not written at all.
    assert!(
        eu_api["argocd"].get("applicationName").is_none(),
        "{eu_api:?}"
    );
    for env in ["stage", "prod/eu", "prod/us"] {
        assert!(r.exists(&format!("environments/{env}/env.yaml")), "{env}");
    }

    // Render every environment and check each original independently.
    r.run(&["render", "stage", "prod"]).code(0);
    let rendered = rendered_apps(&r);
    let originals: Vec<(String, Value)> = documents(&r, "clusters")
        .into_iter()
        .filter(|(_, d)| d["kind"] == "Application")
        .collect();
    assert_eq!(originals.len(), 14);
    for (file, orig) in &originals {
        let name = orig["metadata"]["name"].as_str().unwrap();
        let env = file
            .strip_prefix("clusters/")
            .and_then(|f| {
                f.rsplit_once("/apps/")
                    .map(|(e, _)| e)
                    .or_else(|| f.rsplit_once('/').map(|(e, _)| e))
            })
            .unwrap();
        let Some((path, got)) = rendered.get(&(env.to_string(), name.to_string())) else {
            panic!(
                "{file}: no rendered Application {name}; have {:?}",
                rendered.keys()
            );
        };
        if name.starts_with("root-") {
            // The app-of-apps: same name, settings and destination; its
            // source is now the environment's deploy directory.
            for k in ["project", "destination", "syncPolicy"] {
                assert_eq!(orig["spec"][k], got["spec"][k], "{file}: spec.{k}");
            }
            let srcs = sources_of(got);
            let dirs: Vec<&str> = srcs.iter().filter_map(|s| s["path"].as_str()).collect();
            assert!(
                dirs.contains(&format!("deploy/{env}/apps").as_str()),
                "{path}: {dirs:?}"
            );
            continue;
        }
        assert_same(&r, file, orig, got);
    }
    // AppProjects as they were.
    for (_, orig) in documents(&r, "clusters")
        .iter()
        .filter(|(_, d)| d["kind"] == "AppProject")
    {
        let name = orig["metadata"]["name"].as_str().unwrap();
        let got = r.yaml(&format!("deploy/stage/projects/{name}.yaml"));
        assert_eq!(orig["spec"], got["spec"], "AppProject {name}");
    }
    // Templates that are not nexus's came through byte for byte.
    let mon: Value = r.yaml("deploy/prod/eu/values/monitoring.yaml");
    let rule = &mon["additionalPrometheusRulesMap"]["node"]["groups"][0]["rules"][0];
    assert_eq!(
        rule["annotations"]["summary"],
        "{{ $labels.instance }} is down"
    );
    assert_eq!(rule["expr"], "up{job=\"node-exporter\"} == 0");
    // The layers are a working repository: lint and validate do not refuse.
    let check = r.run(&["check"]);
    assert!(!check.stderr.contains("error"), "{}", check.stderr);
    check.code(0);
}

#[test]
fn dry_run_writes_nothing_and_existing_layers_need_force() {
    let r = platform();
    let out = r.run(&["import", "clusters", "--dry-run"]);
    out.code(0)
        .stdout_has("==> environments/apps/api.yaml <==")
        .stdout_has("(dry run: nothing written)");
    assert!(!r.exists("environments"), "a dry run wrote layers");

    r.write("environments/base.yaml", "argocd: {project: mine}\n");
    r.run(&["import", "clusters"])
        .code(2)
        .stderr_has("environments/ already exists")
        .stderr_has("--force");
    assert_eq!(
        r.read("environments/base.yaml"),
        "argocd: {project: mine}\n"
    );
    r.run(&["import", "clusters", "--force"])
        .code(0)
        .stderr_has("the previous environments/ is now environments.orig/");
    assert!(r.read("environments/base.yaml").contains(REPO));
    // Moved aside, never deleted.
    assert_eq!(
        r.read("environments.orig/base.yaml"),
        "argocd: {project: mine}\n"
    );
    // Nothing of the swap is left behind.
    let stray: Vec<String> = std::fs::read_dir(r.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".environments"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn what_cannot_be_imported_is_reported_and_skipped() {
    let r = platform();
    r.write(
        "clusters/stage/apps/generated.yaml",
        r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: tenants
spec:
  generators:
    - list: {elements: [{name: a}]}
  template:
    metadata: {name: '{{name}}'}
    spec: {project: default}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: odd
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: twochart-stage
spec:
  project: platform
  sources:
    - {repoURL: https://charts.example.com, chart: a, targetRevision: 1.0.0}
    - {repoURL: https://charts.example.com, chart: b, targetRevision: 1.0.0}
  destination: {server: https://stage.k8s.acme.example, namespace: x}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: broken-values-stage
spec:
  project: platform
  source:
    repoURL: https://charts.example.com
    chart: c
    targetRevision: 1.0.0
    helm:
      valueFiles: [$nope/values.yaml]
  destination: {server: https://stage.k8s.acme.example, namespace: x}
---
- just
- a list
"#,
    );
    r.write(
        "clusters/stage/apps/notyaml.yaml",
        "kind: Application\napiVersion: argoproj.io/v1alpha1\nmetadata: {name: [\n",
    );
    let out = r.run(&["import", "clusters"]);
    out.code(1)
        .stderr_has("clusters/stage/apps/generated.yaml:1: ApplicationSet `tenants`")
        .stderr_has("Rollout `odd` is not imported")
        .stderr_has("Application `twochart-stage` has more than one Helm chart source")
        .stderr_has("`$nope/values.yaml` names no `ref` source")
        .stderr_has("clusters/stage/apps/notyaml.yaml:4: not readable YAML")
        .stdout_has("14 of 16 Applications reproduced");
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    // What could be imported was, and renders.
    assert!(r.exists("environments/apps/api.yaml"));
    r.run(&["render", "stage"]).code(0);
}

#[test]
fn applications_that_cannot_be_placed_are_never_guessed() {
    let r = Repo::new();
    for name in ["api", "worker"] {
        r.write(
            &format!("argocd/{name}.yaml"),
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\nspec:\n  project: default\n  source: {{repoURL: https://charts.example.com, chart: {name}, targetRevision: 1.0.0}}\n  destination: {{server: https://kubernetes.default.svc, namespace: {name}}}\n"
            ),
        );
    }
    // No rule tells environments apart: every Application is reported.
    let out = r.run(&["import", "argocd"]);
    out.code(1)
        .stderr_has("argocd/api.yaml:1: Application `api`: its environment cannot be told")
        .stderr_has("--map")
        .stdout_has("0 of 2 Applications reproduced");
    assert!(!r.exists("environments"));
    // A map places them; names stay as they were.
    r.write(
        "map.yaml",
        "api: {env: prod, app: api}\nworker: {env: prod, app: worker}\n",
    );
    r.run(&["import", "argocd", "--map", "map.yaml"])
        .code(0)
        .stdout_has("2 of 2 Applications reproduced");
    r.run(&["render", "prod"]).code(0);
    let api = r.yaml("deploy/prod/apps/api.yaml");
    assert_eq!(api["metadata"]["name"], "api");
    assert_eq!(api["spec"]["sources"][0]["helm"]["releaseName"], "api");
    // A bad map is an input error naming the line.
    r.write("bad.yaml", "api: {env: Prod}\n");
    r.run(&["import", "argocd", "--map", "bad.yaml", "--force"])
        .code(2)
        .stderr_has("bad.yaml:1: `api` needs `env` and `app`");
}

#[test]
fn env_from_name_suffix_and_list_parameters() {
    let r = Repo::new();
    for (env, replicas) in [("staging", "1"), ("production", "3")] {
        r.write(
            &format!("apps/worker-{env}.yaml"),
            &format!(
                r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: worker-{env}
spec:
  project: default
  source:
    repoURL: https://charts.example.com
    chart: worker
    targetRevision: 2.1.0
    helm:
      parameters:
        - {{name: replicas, value: "{replicas}"}}
        - {{name: queues, value: "{{high,low}}"}}
        - {{name: "args[0]", value: --verbose}}
  destination: {{server: https://kubernetes.default.svc, namespace: worker-{env}}}
"#
            ),
        );
    }
    r.run(&["import", "apps", "--env-from", "name-suffix"])
        .code(0)
        .stderr_has("the suffix of each Application's name")
        .stderr_has("note: no Application names this repository")
        .stdout_has("2 of 2 Applications reproduced");
    r.run(&["render", "staging", "production"]).code(0);
    let v = r.yaml("deploy/production/values/worker.yaml");
    assert_eq!(v["replicas"], 3);
    assert_eq!(
        v["queues"],
        serde_yaml::from_str::<Value>("[high, low]").unwrap()
    );
    assert_eq!(v["args"][0], "--verbose");
    let shared = r.yaml("environments/apps/worker.yaml");
    assert_eq!(shared["app"]["values"]["queues"][1], "low", "{shared:?}");
}

/// nexus's own output is a repository of Applications too: importing the
/// example's `deploy/` gives layers that render the same values and the
/// same Applications and AppProjects.
#[test]
fn the_example_rendered_imports_back() {
    let r = Repo::example();
    r.run(&["render", "stage", "prod"]).code(0);
    let before = r.tree("deploy");
    std::fs::rename(
        r.path().join("environments"),
        r.path().join("original-layers"),
    )
    .unwrap();
    let out = r.run(&["import", "deploy"]);
    // The api syncs hook manifests nexus rendered into deploy/: that is
    // reported, not imported into a directory render would replace.
    out.code(1)
        .stderr_has("Application `api-stage` syncs `deploy/stage/manifests/api`, inside `deploy/`")
        .stdout_has("15 of 18 Applications reproduced");
    assert!(r.exists("environments/base.yaml"));
    assert!(
        r.tree("environments")
            .iter()
            .all(|(p, _)| !p.ends_with("/api.yaml"))
    );
    r.run(&["render", "stage", "prod"]).code(0);
    let after: BTreeMap<String, String> = r.tree("deploy").into_iter().collect();
    let mut compared = 0;
    for (path, text) in &before {
        if path.contains("/api.yaml") || path.contains("/manifests/") {
            continue;
        }
        let got = after
            .get(path)
            .unwrap_or_else(|| panic!("{path} is no longer rendered"));
        // Equal as values (a key shared by fewer environments can come
        // after the keys of a more shared layer: order is the layers').
        let (a, b): (Value, Value) = (
            serde_yaml::from_str(text).unwrap(),
            serde_yaml::from_str(got).unwrap(),
        );
        assert_eq!(a, b, "{path}");
        compared += 1;
    }
    assert!(compared >= 30, "{compared}");
}

/// A difference between the layers' render and an original is listed with
/// the original's file and line, and the exit code says so. Here the
/// repository's own Application template drops labels.
#[test]
fn differences_are_listed_with_the_original_file() {
    let r = platform();
    let template =
        std::fs::read_to_string(crate::util::project_root().join("templates/application.yaml.j2"))
            .unwrap();
    let dropped = template.replace("{%- if application.labels %}", "{%- if false %}");
    assert_ne!(template, dropped, "the template changed: update this test");
    r.write("templates/application.yaml.j2", &dropped);
    let out = r.run(&["import", "clusters"]);
    out.code(1)
        .stderr_has("differs clusters/stage/apps/api.yaml:1 (api-stage):")
        .stderr_has("labels")
        .stdout_has("11 of 14 Applications reproduced")
        .stdout_has("written; the differences listed above are not reproduced");
}

/// A layout many repositories use: each environment's Application and
/// values file under `environments/<env>/`, where nexus keeps its layers.
/// Read from there, written only with --force (the originals moved to
/// environments.orig/), and a field ArgoCD does not have is dropped with a
/// note, never silently.
#[test]
fn applications_kept_in_environments_are_moved_aside_not_lost() {
    let r = Repo::new();
    for (env, tag) in [("dev", "1.1"), ("prod", "1.0")] {
        r.write(
            &format!("environments/{env}/application.yaml"),
            &format!(
                r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {env}-shop
  namespace: argocd
spec:
  project: default
  sources:
    - repoURL: https://github.com/acme/shop.git
      targetRevision: main
      path: chart
      helm:
        valueFiles: [$values/environments/{env}/values.yaml]
    - repoURL: https://github.com/acme/shop-gitops.git
      targetRevision: main
      ref: values
  destination: {{server: https://kubernetes.default.svc, namespace: shop}}
  syncPolicy:
    automated: {{prune: true, selfHeal: true, createNamespace: true}}
"#
            ),
        );
        r.write(
            &format!("environments/{env}/values.yaml"),
            &format!("image:\n  repository: ghcr.io/acme/shop\n  tag: \"{tag}\"\nservice: {{port: 8080}}\n"),
        );
    }
    let out = r.run(&["import"]);
    out.code(2)
        .stderr_has("the files being imported are in environments/")
        .stderr_has("--force");
    assert!(r.exists("environments/dev/application.yaml"));
    let out = r.run(&["import", "--force"]);
    out.code(0)
        .stdout_has("2 of 2 Applications reproduced")
        .stderr_has("`spec.syncPolicy.automated.createNamespace` is not an ArgoCD field");
    assert!(r.exists("environments.orig/dev/application.yaml"));
    assert!(r.exists("environments.orig/prod/values.yaml"));
    // The environments are dev and prod (not environments/dev), the app is
    // `shop`, and what both share is said once.
    let shop = r.yaml("environments/apps/shop.yaml");
    assert_eq!(shop["app"]["values"]["service"]["port"], 8080, "{shop:?}");
    let dev = r.yaml("environments/dev/apps/shop.yaml");
    assert_eq!(dev["app"]["values"]["image"]["tag"], "1.1");
    assert_eq!(dev["argocd"]["applicationName"], "dev-shop");
    r.run(&["render", "dev"]).code(0);
    let app = r.yaml("deploy/dev/apps/shop.yaml");
    assert_eq!(app["metadata"]["name"], "dev-shop");
    assert_eq!(app["spec"]["sources"][0]["helm"]["releaseName"], "dev-shop");
    assert_eq!(app["spec"]["syncPolicy"]["automated"]["selfHeal"], true);
    assert!(
        app["spec"]["syncPolicy"]["automated"]
            .get("createNamespace")
            .is_none()
    );
}

/// Everything reproduced but an ApplicationSet left behind: the layers are
/// written and the exit code says work is left.
#[test]
fn a_skipped_applicationset_is_work_left() {
    let r = platform();
    r.write(
        "clusters/stage/appset.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: previews}\nspec: {generators: []}\n",
    );
    r.run(&["import", "clusters"])
        .code(1)
        .stdout_has("14 of 14 Applications reproduced")
        .stderr_has("ApplicationSet `previews`");
    assert!(r.exists("environments/apps/api.yaml"));
}
