//! Templating that real values survive: other people's `{{ }}` is kept
//! byte for byte, `{#` is text, `!literal` keeps a whole block, quoted
//! keys are literal, unknown tags are refused, and only nexus expressions
//! (on `env`, `app`, `vars`) are rendered. The fixtures have the shapes of
//! kube-prometheus-stack alert rules, Grafana dashboards, Loki and
//! ingress-nginx configuration, Helm `tpl` strings and shell in `args`.

use crate::util::{Repo, at};

fn repo() -> Repo {
    let r = Repo::with_base();
    r.write("environments/stage/env.yaml", "vars: {team: payments}\n");
    r
}

/// Values written the way real charts' values files write them; none of
/// the template text in them is nexus's.
const FOREIGN_VALUES: &str = r#"    nameOverride: "{{ .Release.Name }}-metrics"
    podLabels:
      app.kubernetes.io/instance: '{{ .Release.Name }}'
    extraLabels: |
      {{- include "common.labels.standard" . | nindent 4 }}
    additionalPrometheusRules:
      - name: node
        groups:
          - name: node.rules
            rules:
              - alert: NodeDown
                expr: up{job="node"} == 0
                for: 5m
                labels: {severity: critical}
                annotations:
                  summary: "Node {{ $labels.instance }} is down"
                  description: '{{ $labels.instance }} of {{ $labels.job }} has been down for {{ $value | humanizeDuration }}.'
                  runbook: "{{ \"{{ $labels.node }}\" }}"
              - alert: Watchdog
                expr: vector(1)
                annotations:
                  message: "{{ range .Alerts }}{{ .Labels.alertname }} {{ end }}"
    grafana:
      dashboards:
        default:
          pods:
            json: |
              {"panels": [{"targets": [{"expr": "sum by (pod) (rate(container_cpu_usage_seconds_total[5m]))", "legendFormat": "{{pod}}"}]}]}
    loki:
      structuredConfig: |
        storage_config:
          {{- with .Values.loki.storage }}
          bucket: {{ .bucketNames.chunks }}
          {{- end }}
        {{/* a Go template comment */}}
    controller:
      config:
        log-format-upstream: '$remote_addr - $request_id [$time_local] "$request" $status'
    job:
      command: ["/bin/sh", "-c"]
      args:
        - 'n=${#arr[@]}; m=x#}y; echo {#not a comment#}'
        - |
          for f in /etc/conf.d/*; do
            [ "${#f}" -gt 0 ] && echo "{{ not nexus }}"
          done
    tpl: '{{ tpl .Values.extraConfig . }}'
    goTemplate: '{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 }}'
    empty: '{{ end }}'
"#;

#[test]
fn other_peoples_template_text_is_kept_byte_for_byte() {
    let r = repo();
    let layer = format!(
        "app:\n  chart: {{repoURL: https://charts.example.com, chart: kps, targetRevision: 65.1.0}}\n  values:\n{FOREIGN_VALUES}"
    );
    r.write("environments/apps/monitoring.yaml", &layer);
    let run = r.run(&["render", "stage"]);
    run.code(0);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    // What the values file holds is exactly what the layer wrote.
    let written = r.yaml("deploy/stage/values/monitoring.yaml");
    let input: serde_yaml::Value = serde_yaml::from_str(&layer).unwrap();
    assert_eq!(written, input["app"]["values"]);
    assert_eq!(
        at(&written, "job.args.0"),
        "n=${#arr[@]}; m=x#}y; echo {#not a comment#}"
    );
}

#[test]
fn nexus_expressions_render_next_to_kept_text_in_other_strings() {
    let r = repo();
    r.write(
        "environments/apps/api.yaml",
        r#"app:
  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 1.0.0}
  values:
    team: "{{ vars.team }}"
    release: "{{ .Release.Name }}"
    # nexus's own text next to shell's `{#`: rendered, the `{#` kept.
    script: "echo {{ app.name }}: ${#ARGS[@]} #}"
    # An escape written the old way still works.
    raw: "{% raw %}{{ .Release.Name }}{% endraw %}-{{ env.slug }}"
"#,
    );
    r.run(&["render", "stage"]).code(0);
    let v = r.yaml("deploy/stage/values/api.yaml");
    assert_eq!(at(&v, "team"), "payments");
    assert_eq!(at(&v, "release"), "{{ .Release.Name }}");
    assert_eq!(at(&v, "script"), "echo api: ${#ARGS[@]} #}");
    assert_eq!(at(&v, "raw"), "{{ .Release.Name }}-stage");
}

#[test]
fn a_near_miss_is_a_warning_with_did_you_mean() {
    let r = repo();
    r.write(
        "environments/apps/api.yaml",
        "app:\n  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 1.0.0}\n  values:\n    image: \"{{ var.registry }}/api\"\n    owner: \"{{ ap.name }}\"\n    goEnd: \"{{ end }}\"\n",
    );
    let run = r.run(&["render", "stage"]);
    run.code(0)
        .stderr_has("warning[TEMPLATE]: `var.registry` is kept as written")
        .stderr_has("did you mean `vars.registry`?")
        .stderr_has("environments/apps/api.yaml:4:12")
        .stderr_has("did you mean `app.name`?");
    assert!(!run.stderr.contains("`end`"), "{}", run.stderr);
    // Kept verbatim: a near miss is never rendered.
    let v = r.yaml("deploy/stage/values/api.yaml");
    assert_eq!(at(&v, "image"), "{{ var.registry }}/api");
}

#[test]
fn undefined_vars_stay_errors_with_the_closest_name() {
    let r = repo();
    r.write(
        "environments/apps/api.yaml",
        "app:\n  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 1.0.0}\n  values:\n    owner: \"{{ vars.taem }}\"\n",
    );
    r.run(&["render", "stage"])
        .code(1)
        .stderr_has("error[TEMPLATE]: undefined variable in template `{{ vars.taem }}`")
        .stderr_has("did you mean `vars.team`?");
}

#[test]
fn a_literal_tag_keeps_a_whole_block_verbatim() {
    let r = repo();
    r.write(
        "environments/apps/api.yaml",
        r#"app:
  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 1.0.0}
  values:
    # Alert text that looks like nexus's: kept, the whole block.
    rules: !literal
      - alert: TeamDown
        annotations:
          summary: "{{ vars.team }} is down in {{ env.name }}"
    note: !literal "{{ app.name }}"
    rendered: "{{ app.name }}"
"#,
    );
    r.run(&["render", "stage"]).code(0);
    let v = r.yaml("deploy/stage/values/api.yaml");
    assert_eq!(
        at(&v, "rules.0.annotations.summary"),
        "{{ vars.team }} is down in {{ env.name }}"
    );
    assert_eq!(at(&v, "note"), "{{ app.name }}");
    assert_eq!(at(&v, "rendered"), "api");
}

#[test]
fn quoted_keys_are_literal_and_plain_operators_keep_their_meaning() {
    let r = repo();
    r.write(
        "environments/base.yaml",
        &format!(
            "{}app:\n  values:\n    args: [a]\n    compilers: {{\"c++\": {{std: 14}}}}\n",
            r.read("environments/base.yaml")
        ),
    );
    r.write(
        "environments/apps/api.yaml",
        "app:\n  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 1.0.0}\n  values:\n    args+: [b]\n    compilers:\n      \"c++\": {std: 17}\n      \"weird!\": 1\n",
    );
    r.run(&["render", "stage"]).code(0);
    let v = r.yaml("deploy/stage/values/api.yaml");
    assert_eq!(at(&v, "args.1"), "b");
    assert_eq!(at(&v, "compilers.[c++].std"), 17);
    assert_eq!(at(&v, "compilers.[weird!]"), 1);
    // Unquoted, `c++` is `c+` with the append operator: the hint says to quote.
    r.write(
        "environments/apps/api.yaml",
        "app:\n  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 1.0.0}\n  values:\n    c++: {std: 17}\n",
    );
    r.run(&["render", "stage"])
        .code(2)
        .stderr_has("`app.values.c++` appends to a list")
        .stderr_has("quote it: `\"c++\":`");
}

#[test]
fn unknown_tags_are_refused_with_file_and_line() {
    let r = repo();
    r.write(
        "environments/apps/api.yaml",
        "app:\n  chart: {repoURL: https://charts.example.com, chart: api, targetRevision: 1.0.0}\n  values:\n    password: !vault secret/data/db#password\n",
    );
    r.run(&["render", "stage"])
        .code(2)
        .stderr_has("unknown YAML tag `!vault`")
        .stderr_has("environments/apps/api.yaml:4:15");
}

#[test]
fn a_repositorys_own_template_names_the_missing_attribute_and_line() {
    let r = repo();
    r.write(
        "templates/application.yaml.j2",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {{ application.name | tojson }}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {{ app.chart.repoURL | tojson }}\n  destination: {{ application.destination | tojson }}\n",
    );
    r.write(
        "environments/apps/db-migration.yaml",
        "app:\n  manifests:\n    - {apiVersion: v1, kind: ConfigMap, metadata: {name: m}}\n",
    );
    r.run(&["render", "stage"])
        .code(2)
        .stderr_has("`app.chart` is undefined for `db-migration`")
        .stderr_has("templates/application.yaml.j2:9");
}
