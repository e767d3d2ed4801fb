//! Writes a synthetic nexus repository for benchmarks: N apps (default
//! 2,000) across `stage` and `prod`, with realistic Helm values (40-70
//! lines each: image, resources, env lists, probes, ingress), per-environment
//! overrides for about half the apps, a shared include for a third of them
//! and a sparse dependency graph.
//!
//! The output is deterministic: a seeded xorshift generator, no clock, no
//! dependency. Same `--apps` and `--seed` give the same bytes.
//!
//! ```sh
//! cargo run --release --example gen_repo -- --apps 2000 --out /tmp/bench-repo
//! ```

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// xorshift64*: tiny, seeded, good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const DOMAINS: [&str; 12] = [
    "billing", "orders", "search", "users", "catalog", "payments", "media", "reports", "auth",
    "notify", "ledger", "shipping",
];
const ROLES: [&str; 8] = [
    "api", "worker", "web", "gateway", "cron", "indexer", "consumer", "proxy",
];
const TEAMS: [&str; 6] = [
    "backend", "frontend", "data", "platform", "payments", "growth",
];
const CPUS: [&str; 5] = ["50m", "100m", "250m", "500m", "1"];
const MEMS: [&str; 5] = ["64Mi", "128Mi", "256Mi", "512Mi", "1Gi"];
const ENV_KEYS: [&str; 14] = [
    "LOG_LEVEL",
    "LOG_FORMAT",
    "HTTP_PORT",
    "METRICS_PORT",
    "DATABASE_HOST",
    "DATABASE_NAME",
    "CACHE_URL",
    "QUEUE_URL",
    "FEATURE_FLAGS",
    "TRACING_ENDPOINT",
    "TIMEOUT_SECONDS",
    "MAX_CONNECTIONS",
    "REGION",
    "WORKERS",
];

struct Args {
    apps: usize,
    out: PathBuf,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut apps = 2000;
    let mut out = None;
    let mut seed = 42;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--apps" => {
                apps = value("--apps")?
                    .parse()
                    .map_err(|e| format!("--apps: {e}"))?
            }
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--seed" => {
                seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "-h" | "--help" => {
                return Err("usage: gen_repo [--apps N] [--seed S] --out DIR".to_string());
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let out = out.ok_or("--out DIR is required")?;
    Ok(Args { apps, out, seed })
}

fn write(root: &Path, rel: &str, text: &str) -> Result<(), String> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

const BASE: &str = r#"# Base layer: every environment, every app.
vars:
  registry: ghcr.io/acme
  domain: acme.dev
  cluster: https://kubernetes.default.svc
  replicas: 1
argocd:
  namespace: argocd
  project: apps
  root: {project: platform}
  repoURL: https://github.com/acme/gitops.git
  targetRevision: main
  destination:
    server: "{{ vars.cluster }}"
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true, ServerSideApply=true]
projects:
  platform:
    description: Root app-of-apps Applications
    sourceRepos: [https://github.com/acme/gitops.git]
    destinations:
      - {server: https://kubernetes.default.svc, namespace: argocd}
  apps:
    description: Product services
    sourceRepos: [https://github.com/acme/gitops.git, https://charts.acme.dev]
    destinations:
      - {server: "{{ vars.cluster }}", namespace: "*"}
app:
  namespace: "{{ app.name }}"
  chart: {repoURL: https://charts.acme.dev, chart: service, targetRevision: 2.4.1}
  labels:
    app.kubernetes.io/part-of: acme
  values:
    replicaCount: "{{ vars.replicas }}"
    podSecurityContext:
      runAsNonRoot: true
      runAsUser: 10001
      fsGroup: 10001
      seccompProfile: {type: RuntimeDefault}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
"#;

const STAGE: &str = r#"# stage: automated sync, one replica.
vars:
  domain: stage.acme.dev
  replicas: 1
  release: 1.9.0-rc.1
"#;

const PROD: &str = r#"# prod: manual sync, two replicas.
vars:
  domain: acme.com
  replicas: 2
  release: 1.8.3
argocd:
  syncPolicy:
    automated: null
    syncOptions+: [PruneLast=true]
"#;

const OBSERVABILITY: &str = r#"# Shared mixin: metrics and tracing for the apps that include it.
app:
  annotations:
    acme.dev/observed: "true"
  values:
    podAnnotations:
      prometheus.io/scrape: "true"
      prometheus.io/port: "9090"
    metrics:
      enabled: true
      serviceMonitor: {enabled: true, interval: 30s}
"#;

fn app_name(i: usize) -> String {
    format!(
        "{}-{}-{i:05}",
        DOMAINS[i % DOMAINS.len()],
        ROLES[(i / DOMAINS.len()) % ROLES.len()]
    )
}

/// The app's own layer, `environments/apps/<app>.yaml` (40-70 lines).
fn app_layer(rng: &mut Rng, i: usize, names: &[String]) -> String {
    let name = &names[i];
    let mut t = String::with_capacity(2048);
    t.push_str("# One app, every environment.\n");
    if rng.chance(33) {
        t.push_str("include: [../mixins/observability.yaml]\n");
    }
    t.push_str("app:\n");
    let _ = writeln!(t, "  labels:\n    team: {}", rng.pick(&TEAMS));
    // Sparse dependency graph: about one app in eight depends on one or two
    // earlier apps.
    if i > 0 && rng.chance(12) {
        let a = rng.range(0, i as u64 - 1) as usize;
        let b = rng.range(0, i as u64 - 1) as usize;
        if a == b {
            let _ = writeln!(t, "  dependsOn: [{}]", names[a]);
        } else {
            let _ = writeln!(t, "  dependsOn: [{}, {}]", names[a], names[b]);
        }
    }
    t.push_str("  values:\n");
    let _ = writeln!(
        t,
        "    image:\n      repository: \"{{{{ vars.registry }}}}/{{{{ app.name }}}}\"\n      tag: \"{{{{ vars.release }}}}\"\n      pullPolicy: IfNotPresent"
    );
    let _ = writeln!(t, "    nameOverride: {name}");
    t.push_str("    service:\n      type: ClusterIP\n");
    let port = 8000 + rng.range(0, 99);
    let _ = writeln!(t, "      port: {port}");
    let (rc, rm) = (rng.range(0, 2) as usize, rng.range(0, 2) as usize);
    let _ = writeln!(
        t,
        "    resources:\n      requests:\n        cpu: {}\n        memory: {}\n      limits:\n        cpu: {}\n        memory: {}",
        CPUS[rc],
        MEMS[rm],
        CPUS[rc + 2],
        MEMS[rm + 2]
    );
    t.push_str("    env:\n");
    let n_env = rng.range(1, 9) as usize;
    let start = rng.range(0, ENV_KEYS.len() as u64 - 1) as usize;
    for k in 0..n_env {
        let key = ENV_KEYS[(start + k) % ENV_KEYS.len()];
        let value = match key {
            "LOG_LEVEL" => "info".to_string(),
            "LOG_FORMAT" => "json".to_string(),
            "HTTP_PORT" => format!("\"{port}\""),
            "METRICS_PORT" => "\"9090\"".to_string(),
            "DATABASE_HOST" => format!("{name}-db.{name}.svc.cluster.local"),
            "DATABASE_NAME" => name.replace('-', "_"),
            "CACHE_URL" => "redis://redis.cache.svc:6379/0".to_string(),
            "QUEUE_URL" => "amqp://rabbitmq.queue.svc:5672".to_string(),
            "FEATURE_FLAGS" => "\"new-checkout,fast-search\"".to_string(),
            "TRACING_ENDPOINT" => "http://otel-collector.observability:4317".to_string(),
            "TIMEOUT_SECONDS" => format!("\"{}\"", rng.range(5, 60)),
            "MAX_CONNECTIONS" => format!("\"{}\"", rng.range(10, 200)),
            "REGION" => "eu-west-1".to_string(),
            _ => format!("\"{}\"", rng.range(1, 16)),
        };
        let _ = writeln!(t, "      - name: {key}\n        value: {value}");
    }
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let _ = writeln!(
            t,
            "    {probe}:\n      httpGet:\n        path: {path}\n        port: http\n      initialDelaySeconds: {}\n      periodSeconds: {}",
            rng.range(0, 30),
            rng.range(5, 20)
        );
    }
    let _ = writeln!(
        t,
        "    ingress:\n      enabled: true\n      className: nginx\n      annotations:\n        cert-manager.io/cluster-issuer: letsencrypt\n      hosts:\n        - host: \"{name}.{{{{ vars.domain }}}}\"\n          paths:\n            - path: /\n              pathType: Prefix\n      tls:\n        - secretName: {name}-tls\n          hosts: [\"{name}.{{{{ vars.domain }}}}\"]"
    );
    t
}

/// An environment override, `environments/<env>/apps/<app>.yaml`.
fn override_layer(rng: &mut Rng, env: &str) -> String {
    let mut t = String::with_capacity(512);
    let _ = writeln!(t, "# {env} override.\napp:\n  values:");
    if env == "prod" {
        let _ = writeln!(t, "    replicaCount: {}", rng.range(2, 6));
        let _ = writeln!(
            t,
            "    resources:\n      limits:\n        memory: {}",
            rng.pick(&["512Mi", "1Gi", "2Gi"])
        );
        t.push_str("    autoscaling:\n      enabled: true\n      minReplicas: 2\n");
        let _ = writeln!(t, "      maxReplicas: {}", rng.range(4, 20));
    } else {
        t.push_str("    image:\n      pullPolicy: Always\n");
        t.push_str("    env+:\n      - name: DEBUG\n        value: \"true\"\n");
    }
    if rng.chance(20) {
        t.push_str("    ingress:\n      enabled: false\n");
    }
    t
}

fn generate(args: &Args) -> Result<usize, String> {
    if args.out.join("environments").exists() {
        fs::remove_dir_all(args.out.join("environments")).map_err(|e| e.to_string())?;
    }
    let root = &args.out;
    let mut rng = Rng::new(args.seed);
    let mut files = 0;
    let fixed = [
        ("environments/base.yaml", BASE),
        ("environments/stage/env.yaml", STAGE),
        ("environments/prod/env.yaml", PROD),
        ("environments/mixins/observability.yaml", OBSERVABILITY),
    ];
    for (rel, text) in fixed {
        write(root, rel, text)?;
        files += 1;
    }
    let names: Vec<String> = (0..args.apps).map(app_name).collect();
    for i in 0..args.apps {
        let text = app_layer(&mut rng, i, &names);
        write(root, &format!("environments/apps/{}.yaml", names[i]), &text)?;
        files += 1;
        // About half the apps have per-environment overrides.
        if rng.chance(50) {
            for env in ["stage", "prod"] {
                if env == "stage" && rng.chance(30) {
                    continue;
                }
                let text = override_layer(&mut rng, env);
                write(
                    root,
                    &format!("environments/{env}/apps/{}.yaml", names[i]),
                    &text,
                )?;
                files += 1;
            }
        }
    }
    Ok(files)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_repo: {e}");
            return ExitCode::from(2);
        }
    };
    match generate(&args) {
        Ok(files) => {
            println!(
                "wrote {} apps ({files} layer files) to {}",
                args.apps,
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_repo: {e}");
            ExitCode::from(2)
        }
    }
}
