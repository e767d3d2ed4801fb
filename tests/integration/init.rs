//! `nexus init`: a repository that renders and checks cleanly, and never
//! overwrites anything.

use crate::util::Repo;

#[test]
fn scaffolds_a_repository_that_renders_and_checks_cleanly() {
    let r = Repo::new();
    r.run(&["init", "gitops"])
        .code(0)
        .stdout_has("created a nexus repository");
    let sub = |rel: &str| format!("gitops/{rel}");
    for f in [
        "nexus.yaml",
        ".gitignore",
        "environments/base.yaml",
        "environments/stage/env.yaml",
        "environments/prod/env.yaml",
        "environments/apps/api.yaml",
        "environments/apps/postgres.yaml",
        "templates/application.yaml.j2",
        "schemas/layer.schema.json",
        "charts/service/Chart.yaml",
        "deploy/prod/root.yaml",
    ] {
        assert!(r.exists(&sub(f)), "{f} missing");
    }
    assert!(
        r.read(&sub("environments/base.yaml"))
            .starts_with("# yaml-language-server: $schema=../schemas/layer.schema.json")
    );
    let in_repo = |args: &[&str]| {
        r.run_env(
            args,
            &[("NEXUS_REPO", &r.path().join("gitops").to_string_lossy())],
        )
    };
    in_repo(&["check"])
        .code(0)
        .stdout_has("deploy/ is up to date");
    in_repo(&["render", "--all"])
        .code(0)
        .stdout_has("0 written, 0 removed");
    // api depends on postgres: a later sync wave.
    let api = r.yaml(&sub("deploy/prod/apps/api.yaml"));
    let pg = r.yaml(&sub("deploy/prod/apps/postgres.yaml"));
    let wave = |v: &serde_yaml::Value| {
        crate::util::at(v, "metadata.annotations.[argocd.argoproj.io/sync-wave]")
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!((wave(&pg).as_str(), wave(&api).as_str()), ("0", "1"));
    // prod syncs by hand, stage automatically.
    assert!(crate::util::at(&api, "spec.syncPolicy.automated").is_null());
    let stage = r.yaml(&sub("deploy/stage/apps/api.yaml"));
    assert!(crate::util::at(&stage, "spec.syncPolicy.automated").is_mapping());
    // Two replicas and a digest in prod.
    let values = r.yaml(&sub("deploy/prod/values/api.yaml"));
    assert_eq!(crate::util::at(&values, "replicaCount").as_i64(), Some(2));
    assert!(
        crate::util::at(&values, "image.digest")
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:"))
    );
}

#[test]
fn init_in_the_current_directory() {
    let r = Repo::new();
    r.run(&["init"]).code(0);
    r.run(&["check"]).code(0);
    r.run(&["ls"])
        .code(0)
        .stdout_has("prod")
        .stdout_has("stage");
}

#[test]
fn refuses_to_overwrite_and_writes_nothing() {
    let r = Repo::new();
    r.write("gitops/nexus.yaml", "mine: true\n");
    r.write("gitops/environments/base.yaml", "vars: {}\n");
    let run = r.run(&["init", "gitops"]);
    run.code(2)
        .stderr_has("would overwrite 2 existing file(s)")
        .stderr_has("gitops/nexus.yaml")
        .stderr_has("gitops/environments/base.yaml");
    assert_eq!(r.read("gitops/nexus.yaml"), "mine: true\n");
    assert!(!r.exists("gitops/.gitignore"));
    assert!(!r.exists("gitops/deploy"));
}
