//! Lint on a platform shaped like the real ones: kube-prometheus-stack,
//! Bitnami PostgreSQL and Redis, Loki, ingress-nginx, cert-manager, Argo CD
//! and External Secrets, configured the way their charts' values files and
//! CRDs are written, on an EKS cluster. A correct platform has no error
//! findings; planted problems are each found. The fixtures are our own,
//! modelled on those charts' shapes.

use serde_json::Value as Json;

use crate::lint_util::{f, lint_json, of};
use crate::util::Repo;

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const HEX: &str = "3333333333333333333333333333333333333333333333333333333333333333";
const EKS: &str = "https://9F7C3B1E2D4A5F6E7D8C9B0A1F2E3D4C.gr7.eu-central-1.eks.amazonaws.com";
const EKS_STAGE: &str =
    "https://0A1B2C3D4E5F60718293A4B5C6D7E8F9.yl4.eu-central-1.eks.amazonaws.com";

fn platform() -> Repo {
    let r = Repo::new();
    r.write("nexus.yaml", "protectedEnvs: [prod]\n");
    r.write(
        "environments/base.yaml",
        &format!(
            r#"argocd:
  repoURL: https://github.com/acme/platform-gitops.git
  targetRevision: main
  project: platform
projects:
  platform:
    sourceRepos:
      - https://github.com/acme/**
      - https://prometheus-community.github.io/helm-charts
      - registry-1.docker.io/bitnamicharts
      - https://grafana.github.io/helm-charts
      - https://kubernetes.github.io/ingress-nginx
      - https://charts.jetstack.io
      - https://argoproj.github.io/argo-helm
      - https://charts.external-secrets.io
    destinations:
      - {{server: "https://*.eks.amazonaws.com", namespace: "*"}}
      - {{server: "{EKS}", namespace: "!kube-system"}}
"#
        ),
    );
    r.write(
        "environments/stage/env.yaml",
        &format!("vars: {{tier: stage}}\nargocd: {{destination: {{server: \"{EKS_STAGE}\"}}}}\n"),
    );
    r.write(
        "environments/prod/env.yaml",
        &format!("vars: {{tier: prod}}\nargocd: {{destination: {{server: \"{EKS}\"}}}}\n"),
    );
    r.write(
        "environments/apps/monitoring.yaml",
        &format!(
            r#"app:
  labels: {{team: observability}}
  namespace: monitoring
  chart: {{repoURL: https://prometheus-community.github.io/helm-charts, chart: kube-prometheus-stack, targetRevision: 65.1.0}}
  values:
    crds: {{enabled: true}}
    grafana:
      replicas: 2
      admin:
        existingSecret: grafana-admin
        userKey: admin-user
        passwordKey: admin-password
      resources: {{requests: {{cpu: 100m, memory: 256Mi}}, limits: {{cpu: 500m, memory: 512Mi}}}}
    alertmanager:
      alertmanagerSpec:
        replicas: 3
        resources: {{requests: {{cpu: 50m, memory: 128Mi}}, limits: {{cpu: 200m, memory: 256Mi}}}}
        storage:
          volumeClaimTemplate:
            spec:
              storageClassName: gp3
              resources: {{requests: {{storage: 10Gi}}}}
    prometheus:
      prometheusSpec:
        replicas: 2
        retention: 30d
        resources: {{requests: {{cpu: "1", memory: 4Gi}}, limits: {{cpu: "2", memory: 8Gi}}}}
        storageSpec:
          volumeClaimTemplate:
            spec:
              storageClassName: gp3
              accessModes: [ReadWriteOnce]
              resources: {{requests: {{storage: 50Gi}}}}
        additionalScrapeConfigsSecret:
          enabled: true
          name: additional-scrape-configs
          key: prometheus-additional.yaml
    prometheusOperator:
      image: {{registry: quay.io, repository: prometheus-operator/prometheus-operator, tag: v0.77.1, sha: "{HEX}"}}
      resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{cpu: 200m, memory: 256Mi}}}}
"#
        ),
    );
    r.write(
        "environments/apps/postgres.yaml",
        &format!(
            r#"app:
  labels: {{team: data}}
  namespace: data
  chart: {{repoURL: registry-1.docker.io/bitnamicharts, chart: postgresql, targetRevision: 16.0.3}}
  values:
    global: {{storageClass: gp3}}
    image: {{registry: docker.io, repository: bitnami/postgresql, tag: 17.0.0-debian-12-r6, digest: "{D1}"}}
    auth:
      username: app
      database: app
      existingSecret: postgres-credentials
      secretKeys:
        adminPasswordKey: postgres-password
        userPasswordKey: password
        replicationPasswordKey: replication-password
      usePasswordFiles: false
    architecture: replication
    primary:
      resourcesPreset: medium
      persistence: {{size: 50Gi}}
    readReplicas:
      replicaCount: 2
      resourcesPreset: medium
    metrics:
      enabled: true
      image: {{registry: docker.io, repository: bitnami/postgres-exporter, tag: 0.15.0-debian-12-r43, digest: "{D2}"}}
    volumePermissions:
      enabled: false
      image: {{registry: docker.io, repository: bitnami/os-shell, tag: latest}}
"#
        ),
    );
    r.write(
        "environments/apps/redis.yaml",
        r#"app:
  labels: {team: data}
  namespace: data
  chart: {repoURL: registry-1.docker.io/bitnamicharts, chart: redis, targetRevision: 20.2.1}
  values:
    architecture: replication
    auth:
      enabled: true
      existingSecret: redis-auth
      existingSecretPasswordKey: redis-password
    master:
      resourcesPreset: small
      persistence: {size: 8Gi}
    replica:
      replicaCount: 3
      resourcesPreset: small
    sentinel: {enabled: true}
"#,
    );
    r.write(
        "environments/apps/loki.yaml",
        r#"app:
  labels: {team: observability}
  namespace: monitoring
  chart: {repoURL: https://grafana.github.io/helm-charts, chart: loki, targetRevision: 6.18.0}
  values:
    deploymentMode: SimpleScalable
    loki:
      auth_enabled: false
      storage:
        type: s3
        bucketNames: {chunks: acme-loki-chunks, ruler: acme-loki-ruler, admin: acme-loki-admin}
        s3: {region: eu-central-1, s3ForcePathStyle: false, insecure: false}
      schemaConfig:
        configs:
          - {from: "2024-04-01", store: tsdb, object_store: s3, schema: v13, index: {prefix: loki_index_, period: 24h}}
    serviceAccount:
      annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/loki"}
    write: {replicas: 3, resources: {requests: {cpu: 200m, memory: 512Mi}, limits: {cpu: "1", memory: 1Gi}}}
    read: {replicas: 3, resources: {requests: {cpu: 200m, memory: 512Mi}, limits: {cpu: "1", memory: 1Gi}}}
    backend: {replicas: 3, resources: {requests: {cpu: 200m, memory: 512Mi}, limits: {cpu: "1", memory: 1Gi}}}
    gateway: {replicas: 2, resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}}
    minio: {enabled: false}
"#,
    );
    r.write(
        "environments/apps/ingress-nginx.yaml",
        &format!(
            r#"app:
  labels: {{team: platform}}
  namespace: ingress-nginx
  chart: {{repoURL: https://kubernetes.github.io/ingress-nginx, chart: ingress-nginx, targetRevision: 4.11.3}}
  values:
    controller:
      replicaCount: 3
      image: {{registry: registry.k8s.io, image: ingress-nginx/controller, tag: v1.11.3, digest: "{D1}", digestChroot: "{D2}"}}
      resources: {{requests: {{cpu: 100m, memory: 90Mi}}, limits: {{cpu: "1", memory: 512Mi}}}}
      config: {{use-forwarded-headers: "true"}}
      service:
        annotations: {{service.beta.kubernetes.io/aws-load-balancer-type: nlb}}
      admissionWebhooks:
        patch:
          image: {{registry: registry.k8s.io, image: ingress-nginx/kube-webhook-certgen, tag: v1.4.4, digest: "{D2}"}}
"#
        ),
    );
    r.write(
        "environments/apps/cert-manager.yaml",
        &format!(
            r#"app:
  labels: {{team: platform}}
  namespace: cert-manager
  chart: {{repoURL: https://charts.jetstack.io, chart: cert-manager, targetRevision: v1.16.1}}
  values:
    crds: {{enabled: true}}
    replicaCount: 2
    image: {{repository: quay.io/jetstack/cert-manager-controller, tag: v1.16.1, digest: "{D1}"}}
    resources: {{requests: {{cpu: 50m, memory: 128Mi}}, limits: {{cpu: 200m, memory: 256Mi}}}}
    podDisruptionBudget: {{enabled: true, minAvailable: 1}}
    webhook:
      replicaCount: 2
      image: {{repository: quay.io/jetstack/cert-manager-webhook, tag: v1.16.1, digest: "{D1}"}}
      resources: {{requests: {{cpu: 20m, memory: 64Mi}}, limits: {{cpu: 100m, memory: 128Mi}}}}
    cainjector:
      replicaCount: 2
      image: {{repository: quay.io/jetstack/cert-manager-cainjector, tag: v1.16.1, digest: "{D2}"}}
      resources: {{requests: {{cpu: 20m, memory: 128Mi}}, limits: {{cpu: 100m, memory: 256Mi}}}}
"#
        ),
    );
    r.write(
        "environments/apps/argocd.yaml",
        r#"app:
  labels: {team: platform}
  namespace: argocd
  chart: {repoURL: https://argoproj.github.io/argo-helm, chart: argo-cd, targetRevision: 7.6.12}
  values:
    configs:
      cm: {url: "https://argocd.{{ vars.tier }}.acme.example", admin.enabled: "false"}
      params: {server.insecure: true}
      secret:
        # bcrypt, as the chart asks for
        argocdServerAdminPassword: "$2a$10$rRyBsGSHK6.uc8fntPwVIuLVHgsAhAX7TcdrqW/RADU0uh7CaChLa"
        argocdServerAdminPasswordMtime: "2024-05-01T10:00:00Z"
    server: {replicas: 2, resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}}
    repoServer: {replicas: 2, resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: "1", memory: 1Gi}}}
    redis-ha: {enabled: true}
    dex: {enabled: false}
"#,
    );
    r.write(
        "environments/apps/db-secrets.yaml",
        r#"app:
  labels: {team: data}
  namespace: data
  manifests:
    - apiVersion: external-secrets.io/v1beta1
      kind: ExternalSecret
      metadata: {name: postgres-credentials}
      spec:
        refreshInterval: 1h
        secretStoreRef: {name: vault-backend, kind: ClusterSecretStore}
        target: {name: postgres-credentials, creationPolicy: Owner}
        data:
          - secretKey: postgres-password
            remoteRef: {key: secret/data/postgres, property: admin-password}
          - secretKey: password
            remoteRef: {key: secret/data/postgres, property: app-password}
    - apiVersion: external-secrets.io/v1beta1
      kind: ClusterSecretStore
      metadata: {name: vault-backend}
      spec:
        provider:
          vault:
            server: https://vault.acme.example
            path: secret
            version: v2
            auth:
              kubernetes: {mountPath: kubernetes, role: external-secrets, serviceAccountRef: {name: external-secrets}}
"#,
    );
    r
}

fn errors(doc: &Json) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            format!(
                "{} {}/{} {} {}",
                f["rule"], f["env"], f["app"], f["path"], f["message"]
            )
        })
        .collect()
}

#[test]
fn a_correct_platform_has_no_errors() {
    let r = platform();
    let doc = lint_json(&r, &["--all"], 0);
    assert_eq!(errors(&doc), Vec::<String>::new(), "{doc:#}");
    // What the warnings are, so none slips in unnoticed.
    let warnings: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "warning")
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(warnings, Vec::<&str>::new(), "{doc:#}");
}

#[test]
fn planted_problems_are_each_found() {
    let r = platform();
    r.write(
        "nexus.yaml",
        "protectedEnvs: [prod]\nlint: {kubernetesVersion: \"1.29\"}\n",
    );
    // A literal password beside the references.
    r.write(
        "environments/prod/apps/monitoring.yaml",
        "app:\n  values:\n    grafana:\n      adminPassword: Sup3r-S3cret-2024\n",
    );
    // `latest` in a custom resource, a privileged DaemonSet, removed and
    // deprecated APIs.
    r.write(
        "environments/prod/apps/otel.yaml",
        r#"app:
  labels: {team: observability}
  namespace: monitoring
  manifests:
    - apiVersion: opentelemetry.io/v1alpha1
      kind: Instrumentation
      metadata: {name: java}
      spec:
        exporter: {endpoint: "http://otel-collector:4317"}
        java:
          image: ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-java:latest
    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: node-agent}
      spec:
        template:
          spec:
            containers:
              - name: agent
                image: ghcr.io/acme/node-agent:1.4.0@sha256:4444444444444444444444444444444444444444444444444444444444444444
                securityContext: {privileged: true}
                resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {cpu: 100m, memory: 64Mi}}
                livenessProbe: {tcpSocket: {port: 9100}}
                readinessProbe: {tcpSocket: {port: 9100}}
    - apiVersion: batch/v1beta1
      kind: CronJob
      metadata: {name: cleanup}
    - apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
      kind: FlowSchema
      metadata: {name: acme}
"#,
    );
    // Four images without digests in prod: four findings.
    r.write(
        "environments/prod/apps/redis.yaml",
        "app:\n  values:\n    image: {registry: docker.io, repository: bitnami/redis, tag: 7.4.1}\n    sentinel: {image: {registry: docker.io, repository: bitnami/redis-sentinel, tag: 7.4.1}}\n    metrics: {enabled: true, image: {registry: docker.io, repository: bitnami/redis-exporter, tag: 1.65.0}}\n    kubectl: {image: {registry: docker.io, repository: bitnami/kubectl, tag: 1.31.1}}\n",
    );
    let doc = lint_json(&r, &["prod"], 1);
    let otel = "environments/prod/apps/otel.yaml";
    assert_eq!(
        of(&doc, "NX105"),
        vec![f(
            "prod",
            "monitoring",
            "environments/prod/apps/monitoring.yaml",
            Some(4),
            "error"
        )]
    );
    assert_eq!(
        of(&doc, "NX101"),
        vec![f("prod", "otel", otel, Some(11), "error")]
    );
    assert_eq!(
        of(&doc, "NX106"),
        vec![f("prod", "otel", otel, Some(21), "error")]
    );
    assert_eq!(
        of(&doc, "NX109"),
        vec![
            f("prod", "otel", otel, Some(25), "error"),
            f("prod", "otel", otel, Some(28), "warning"),
        ]
    );
    let nx102: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NX102" && f["app"] == "redis")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        nx102,
        [
            "image `docker.io/bitnami/redis` is not pinned by digest",
            "image `docker.io/bitnami/redis-sentinel` is not pinned by digest",
            "image `docker.io/bitnami/redis-exporter` is not pinned by digest",
            "image `docker.io/bitnami/kubectl` is not pinned by digest",
        ]
        .map(String::from)
        .to_vec(),
        "every image, not the first one"
    );
    let removed = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "NX109" && f["severity"] == "error")
        .unwrap();
    assert_eq!(
        removed["message"],
        "CronJob `cleanup` uses `batch/v1beta1`, removed in Kubernetes 1.25 (the clusters run 1.29)"
    );
    // The text output shows each of the four images.
    let text = r.run(&["lint", "prod"]);
    for img in ["redis`", "redis-exporter", "redis-sentinel", "kubectl"] {
        text.stdout_has(&format!("docker.io/bitnami/{img}"));
    }
}

#[test]
fn kubernetes_version_must_be_a_quoted_version() {
    let r = platform();
    r.write("nexus.yaml", "lint: {kubernetesVersion: 1.30}\n");
    r.run(&["lint", "--all"])
        .code(2)
        .stderr_has("YAML reads `1.3` as a number")
        .stderr_has("kubernetesVersion: \"1.31\"");
    r.write("nexus.yaml", "lint: {kubernetesVersion: \"one.thirty\"}\n");
    r.run(&["lint", "--all"])
        .code(2)
        .stderr_has("must be a Kubernetes version");
    r.write("nexus.yaml", "lint: {kubernetesVersion: \"v1.31.2\"}\n");
    r.run(&["lint", "--all"]).code(0);
}

/// Long cloud endpoints match themselves and globs over them; patterns that
/// make a backtracking matcher take forever are answered.
#[test]
fn project_globs_of_any_length_and_shape() {
    let r = platform();
    let adversarial = "*a".repeat(40) + "!";
    r.write(
        "environments/prod/env.yaml",
        &format!(
            "vars: {{tier: prod}}\nargocd: {{destination: {{server: \"{EKS}\"}}}}\nprojects:\n  platform:\n    sourceRepos+: [\"{}\"]\n    destinations:\n      - {{server: \"{adversarial}\", namespace: \"*\"}}\n      - {{server: \"{EKS}\", namespace: \"*\"}}\n",
            "*a".repeat(40)
        ),
    );
    r.write(
        "environments/prod/apps/aaa.yaml",
        &format!(
            "argocd:\n  destination: {{server: \"https://{}.eks.amazonaws.com\"}}\napp:\n  labels: {{team: a}}\n  namespace: x\n  sources: [{{repoURL: \"https://github.com/acme/{}\", path: p}}]\n",
            "a".repeat(200),
            "a".repeat(300)
        ),
    );
    let doc = lint_json(&r, &["prod"], 1);
    let nx003: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NX003")
        .filter_map(|f| f["message"].as_str())
        .collect();
    // The long EKS endpoint of the other apps is allowed; `aaa`'s cluster
    // matches no destination (the adversarial pattern needs a `!` at the
    // end), and neither does the rest: exactly one finding.
    assert_eq!(nx003.len(), 1, "{nx003:?}");
    assert!(nx003[0].contains("is not allowed by AppProject `platform`"));
    assert!(nx003[0].contains(&"a".repeat(200)));
}

#[test]
fn chart_defaults_are_under_the_layers() {
    let r = Repo::with_base();
    r.write("nexus.yaml", "protectedEnvs: [prod]\n");
    r.write("environments/prod/env.yaml", "vars: {}\n");
    r.write(
        "charts/svc/Chart.yaml",
        "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
    );
    r.write(
        "charts/svc/values.yaml",
        "replicaCount: 1\nimage:\n  repository: ghcr.io/acme/svc\n  tag: latest\nresources:\n  requests: {cpu: 100m, memory: 64Mi}\n  limits: {cpu: 200m, memory: 128Mi}\nlivenessProbe: {httpGet: {path: /, port: 80}}\nreadinessProbe: {httpGet: {path: /, port: 80}}\n",
    );
    let app = "environments/apps/svc.yaml";
    r.write(
        app,
        &format!("app:\n  labels: {{team: a}}\n  chart: {{path: charts/svc}}\n  values:\n    replicaCount: 3\n    image: {{digest: \"{D1}\"}}\n"),
    );
    let doc = lint_json(&r, &["prod"], 1);
    // The chart's `tag: latest` is reported at the app's own layer, with a
    // note at the chart's line; its resources and probes count; the
    // layer's replicaCount wins over the chart's 1.
    assert_eq!(
        of(&doc, "NX101"),
        vec![f("prod", "svc", app, None, "error")]
    );
    let nx101 = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "NX101")
        .unwrap();
    assert_eq!(
        nx101["message"],
        "image `ghcr.io/acme/svc` uses the tag `latest`"
    );
    for rule in ["NX103", "NX104", "NX107"] {
        assert_eq!(of(&doc, rule), vec![], "{rule}: {doc:#}");
    }
    let text = r.run(&["lint", "prod"]);
    text.stdout_has("charts/svc/values.yaml:4");
    // A null in a layer removes the chart's default, as in Helm.
    r.write(
        app,
        &format!("app:\n  labels: {{team: a}}\n  chart: {{path: charts/svc}}\n  values:\n    replicaCount: 3\n    image: {{tag: 1.0.0, digest: \"{D1}\"}}\n    resources: null\n"),
    );
    let doc = lint_json(&r, &["prod"], 0);
    assert_eq!(of(&doc, "NX101"), vec![]);
    assert_eq!(
        of(&doc, "NX103"),
        vec![f("prod", "svc", app, Some(4), "warning")]
    );
    // explain names the chart's line when the default wins.
    let run = r.run(&[
        "explain",
        "prod",
        "svc",
        "values.livenessProbe.httpGet.path",
    ]);
    run.code(0)
        .stdout_has("final value from charts/svc/values.yaml:8")
        .stdout_has("the chart's default: no layer sets it");
    r.run(&["explain", "prod", "svc", "values.resources"])
        .code(0)
        .stdout_has("removes the chart's default (charts/svc/values.yaml:6:3)");
    r.run(&["explain", "prod", "svc", "values.image.tag"])
        .code(0)
        .stdout_has("over the chart's default latest at charts/svc/values.yaml:4");
    r.run(&["explain", "prod", "svc"])
        .code(0)
        .stdout_has("chart defaults Helm applies under them (charts/svc/values.yaml)")
        .stdout_has("app.values.image.repository = ghcr.io/acme/svc");
    // The values file nexus writes holds only the layers' values.
    r.run(&["render", "prod"]).code(0);
    let values = r.read("deploy/prod/values/svc.yaml");
    assert!(!values.contains("livenessProbe"), "{values}");
}

/// Names a reviewer must read are not masked; secrets still are.
#[test]
fn names_are_shown_and_secrets_masked() {
    let r = platform();
    r.run(&[
        "explain",
        "prod",
        "postgres",
        "values.auth.secretKeys.adminPasswordKey",
    ])
    .code(0)
    .stdout_has("= postgres-password");
    r.git_init();
    r.run(&["render", "--all"]).code(0);
    r.commit("rendered");
    r.write(
        "environments/apps/db-secrets.yaml",
        &r.read("environments/apps/db-secrets.yaml")
            .replace("secretKey: password", "secretKey: app-password")
            .replace("name: vault-backend, kind", "name: vault-prod, kind"),
    );
    r.write(
        "environments/prod/apps/monitoring.yaml",
        "app:\n  values:\n    grafana:\n      adminPassword: \"{{ vars.tier }}-not-shown\"\n",
    );
    let plan = r.run(&["plan", "--base", "HEAD"]);
    plan.stdout_has("secretKey: app-password")
        .stdout_has("vault-prod");
    assert!(!plan.stdout.contains("prod-not-shown"), "{}", plan.stdout);
}
