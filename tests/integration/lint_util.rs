//! Shared fixtures of the lint tests: a repository with `stage` and a
//! protected `prod`, a compliant app, and helpers to run `nexus lint
//! --format json` and pick findings.
#![allow(dead_code)]

use serde_json::Value as Json;

use crate::util::Repo;

pub const DIGEST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// A repository with `stage` and `prod` (protected), project `apps`
/// allowing everything, and no apps.
pub fn repo() -> Repo {
    let r = Repo::with_base();
    r.write("environments/stage/env.yaml", "vars: {}\n");
    r.write("environments/prod/env.yaml", "vars: {}\n");
    r.write("nexus.yaml", "protectedEnvs: [prod]\n");
    r
}

/// A compliant app file; `extra` is appended under `app.values` (indented
/// by 4), `app_extra` under `app` (indented by 2).
pub fn good(app_extra: &str, extra: &str) -> String {
    format!(
        "app:\n  labels: {{team: a}}\n  chart: {{repoURL: https://charts.example.com, chart: demo, targetRevision: 1.2.3}}\n{app_extra}  values:\n    image: {{repository: ghcr.io/acme/x, tag: 1.0.0, digest: \"{DIGEST}\"}}\n    replicaCount: 2\n    resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{cpu: 200m, memory: 128Mi}}}}\n    securityContext: {{runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false}}\n    livenessProbe: {{httpGet: {{path: /, port: 80}}}}\n    readinessProbe: {{httpGet: {{path: /, port: 80}}}}\n{extra}"
    )
}

/// A compliant Deployment for `app.manifests` (list item at indent 4).
pub fn deployment(container_extra: &str, pod_extra: &str) -> String {
    format!(
        "  manifests:\n    - apiVersion: apps/v1\n      kind: Deployment\n      metadata: {{name: d}}\n      spec:\n        replicas: 2\n        template:\n          spec:\n{pod_extra}            containers:\n              - name: c\n                image: ghcr.io/acme/x:1.0.0@{DIGEST}\n                resources: {{requests: {{cpu: 1, memory: 1Gi}}, limits: {{cpu: 1, memory: 1Gi}}}}\n                livenessProbe: {{tcpSocket: {{port: 80}}}}\n                readinessProbe: {{tcpSocket: {{port: 80}}}}\n{container_extra}"
    )
}

/// `nexus lint ARGS --format json`, parsed; the exit code must be `code`.
pub fn lint_json(r: &Repo, args: &[&str], code: i32) -> Json {
    let mut all = vec!["lint"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let run = r.run(&all);
    run.code(code);
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON: {e}\n{}\n{}", run.stdout, run.stderr))
}

/// Findings of one rule as `(env, app, file, line, severity)`.
pub fn of(doc: &Json, rule: &str) -> Vec<(String, String, String, Option<u64>, String)> {
    doc["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {doc}"))
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["env"].as_str().unwrap_or("").to_string(),
                f["app"].as_str().unwrap_or("").to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64(),
                f["severity"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// One finding tuple, for comparisons.
pub fn f(
    env: &str,
    app: &str,
    file: &str,
    line: Option<u64>,
    sev: &str,
) -> (String, String, String, Option<u64>, String) {
    (env.into(), app.into(), file.into(), line, sev.into())
}

pub const APP: &str = "environments/apps/x.yaml";
