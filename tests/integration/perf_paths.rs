//! The fast paths of the render pipeline give exactly what the general
//! paths give: Applications built directly equal what the built-in
//! template renders, and a re-render of an unchanged tree writes nothing.
//! (Speed itself is measured by `bench/run.sh`, not by tests.)

use std::time::SystemTime;

use crate::util::Repo;

/// The built-in Application template with a comment added: the same
/// objects, but the repository now has "its own" template, which nexus
/// renders through minijinja instead of building the object directly.
fn force_template_path(r: &Repo) {
    let builtin =
        std::fs::read_to_string(crate::util::project_root().join("templates/application.yaml.j2"))
            .unwrap();
    r.write(
        "templates/application.yaml.j2",
        &format!("{{# a custom template #}}\n{builtin}"),
    );
}

/// Every file of a tree: (path, content).
type Tree = Vec<(String, String)>;

fn render_both_ways(r: &Repo) -> (Tree, Tree) {
    r.run(&["render", "--all"]).code(0);
    let direct = r.tree("deploy");
    std::fs::remove_dir_all(r.path().join("deploy")).unwrap();
    force_template_path(r);
    r.run(&["render", "--all"]).code(0);
    (direct, r.tree("deploy"))
}

fn assert_same(direct: &[(String, String)], templated: &[(String, String)]) {
    assert_eq!(direct.len(), templated.len());
    for ((p1, t1), (p2, t2)) in direct.iter().zip(templated) {
        assert_eq!(p1, p2);
        assert_eq!(
            t1, t2,
            "{p1} differs between the direct and the template path"
        );
    }
}

#[test]
fn applications_built_directly_equal_the_builtin_template_output() {
    let r = Repo::example();
    let (direct, templated) = render_both_ways(&r);
    assert!(
        direct.iter().filter(|(p, _)| p.contains("/apps/")).count() >= 8,
        "{direct:?}"
    );
    assert_same(&direct, &templated);
}

#[test]
fn direct_applications_match_the_template_in_edge_cases() {
    let r = Repo::new();
    // No labels, no prune (no finalizer), float-like and odd strings in the
    // sync policy, and an environment without a sync policy at all.
    r.write(
        "environments/base.yaml",
        "argocd:\n  repoURL: https://example.com/gitops.git\n  syncPolicy:\n    syncOptions: ['yes', '012', '1.5', 'a: b', \"<&>\"]\n    retry: {limit: 2, backoff: {factor: 3, duration: 5s}}\n    automated: {prune: false}\n",
    );
    r.write(
        "environments/apps/plain.yaml",
        "app:\n  chart: {repoURL: https://charts.example.com, chart: demo, targetRevision: 1.0.0}\n  values: {a: 1}\n",
    );
    r.write(
        "environments/apps/labelled.yaml",
        "app:\n  chart: {path: charts/x}\n  labels: {team: 'on', tier: '1'}\n  annotations: {note: \"multi\\nline\"}\n  manifests:\n    - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n",
    );
    r.write("environments/stage/env.yaml", "");
    r.write(
        "charts/x/Chart.yaml",
        "apiVersion: v2\nname: x\nversion: 0.1.0\n",
    );
    r.write(
        "environments/prod/env.yaml",
        "argocd:\n  syncPolicy: null\n",
    );
    let (direct, templated) = render_both_ways(&r);
    assert!(direct.len() >= 8, "{direct:?}");
    assert_same(&direct, &templated);
    let stage = direct
        .iter()
        .find(|(p, _)| p == "stage/apps/plain.yaml")
        .unwrap_or_else(|| panic!("{direct:?}"));
    assert!(stage.1.contains("factor: 3"), "{}", stage.1);
    assert!(stage.1.contains("- '1.5'"), "{}", stage.1);
    assert!(!stage.1.contains("finalizers"), "{}", stage.1);
    let prod = direct
        .iter()
        .find(|(p, _)| p == "prod/apps/plain.yaml")
        .unwrap_or_else(|| panic!("{direct:?}"));
    assert!(!prod.1.contains("syncPolicy"), "{}", prod.1);
}

#[test]
fn rerendering_an_unchanged_tree_writes_nothing() {
    let r = Repo::example();
    r.run(&["render", "--all"]).code(0);
    let mtimes = |r: &Repo| -> Vec<(String, SystemTime)> {
        r.tree("deploy")
            .into_iter()
            .map(|(p, _)| {
                let m = std::fs::metadata(r.path().join("deploy").join(&p))
                    .and_then(|m| m.modified())
                    .unwrap_or_else(|e| panic!("{p}: {e}"));
                (p, m)
            })
            .collect()
    };
    let before = mtimes(&r);
    std::thread::sleep(std::time::Duration::from_millis(20));
    r.run(&["render", "--all"])
        .code(0)
        .stdout_has(&format!("0 written, 0 removed, {} unchanged", before.len()));
    assert_eq!(before, mtimes(&r));
}
