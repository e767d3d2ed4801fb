//! `nexus init`: the files of a small, working repository.
//!
//! base, stage and prod layers, two apps where one depends on the other
//! (`api` on the chart in `charts/service`, `postgres` on a pinned Bitnami
//! chart), the output templates, the layer and settings schemas (so editors
//! complete and check layers), `nexus.yaml` and a `.gitignore`. It renders,
//! validates and lints cleanly: pinned charts, non-default AppProjects that
//! cover their destinations and repositories, images with tags (and digests
//! in prod), resources, probes, non-root containers, two replicas in prod,
//! a `team` label, no literal secrets, manual sync in prod. One small
//! example policy (`policies/ingress.rego`) shows custom Rego rules.
//!
//! The files are compiled into the binary; the templates, schemas and chart
//! are the ones shipped at the project root, so they never drift apart.

/// `(path in the new repository, content)`, in the order they are written.
pub const FILES: &[(&str, &str)] = &[
    ("nexus.yaml", include_str!("scaffold/nexus.yaml")),
    (".gitignore", include_str!("scaffold/gitignore")),
    (
        "environments/base.yaml",
        include_str!("scaffold/environments/base.yaml"),
    ),
    (
        "environments/apps/api.yaml",
        include_str!("scaffold/environments/apps/api.yaml"),
    ),
    (
        "environments/apps/postgres.yaml",
        include_str!("scaffold/environments/apps/postgres.yaml"),
    ),
    (
        "environments/stage/defaults.yaml",
        include_str!("scaffold/environments/stage/defaults.yaml"),
    ),
    (
        "environments/stage/env.yaml",
        include_str!("scaffold/environments/stage/env.yaml"),
    ),
    (
        "environments/prod/env.yaml",
        include_str!("scaffold/environments/prod/env.yaml"),
    ),
    (
        "environments/prod/apps/api.yaml",
        include_str!("scaffold/environments/prod/apps/api.yaml"),
    ),
    (
        "environments/prod/apps/postgres.yaml",
        include_str!("scaffold/environments/prod/apps/postgres.yaml"),
    ),
    (
        "templates/application.yaml.j2",
        include_str!("../../templates/application.yaml.j2"),
    ),
    (
        "templates/appproject.yaml.j2",
        include_str!("../../templates/appproject.yaml.j2"),
    ),
    (
        "templates/root.yaml.j2",
        include_str!("../../templates/root.yaml.j2"),
    ),
    (
        "schemas/layer.schema.json",
        include_str!("../../schemas/layer.schema.json"),
    ),
    (
        "schemas/nexus.schema.json",
        include_str!("../../schemas/nexus.schema.json"),
    ),
    (
        "schemas/values/postgresql.schema.json",
        include_str!("../../schemas/values/postgresql.schema.json"),
    ),
    (
        "policies/ingress.rego",
        include_str!("../../policies/ingress.rego"),
    ),
    (
        "charts/service/Chart.yaml",
        include_str!("../../charts/service/Chart.yaml"),
    ),
    (
        "charts/service/values.yaml",
        include_str!("../../charts/service/values.yaml"),
    ),
    (
        "charts/service/values.schema.json",
        include_str!("../../charts/service/values.schema.json"),
    ),
    (
        "charts/service/templates/_helpers.tpl",
        include_str!("../../charts/service/templates/_helpers.tpl"),
    ),
    (
        "charts/service/templates/deployment.yaml",
        include_str!("../../charts/service/templates/deployment.yaml"),
    ),
    (
        "charts/service/templates/service.yaml",
        include_str!("../../charts/service/templates/service.yaml"),
    ),
    (
        "charts/service/templates/ingress.yaml",
        include_str!("../../charts/service/templates/ingress.yaml"),
    ),
    (
        "charts/service/templates/hpa.yaml",
        include_str!("../../charts/service/templates/hpa.yaml"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_names_the_schema_with_the_right_relative_path() {
        for (path, content) in FILES.iter().filter(|(p, _)| p.starts_with("environments/")) {
            let depth = path.matches('/').count();
            let expected = format!(
                "# yaml-language-server: $schema={}schemas/layer.schema.json",
                "../".repeat(depth)
            );
            assert!(content.starts_with(&expected), "{path}");
        }
        let mut paths: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), FILES.len(), "a path is listed twice");
    }
}
