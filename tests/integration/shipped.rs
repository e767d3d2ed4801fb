//! The files shipped for other tools: `.pre-commit-hooks.yaml` for the
//! pre-commit framework and `action.yml`, the GitHub composite action.

use serde_yaml::Value;

use crate::util::project_root;

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(project_root().join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"))
}

#[test]
fn pre_commit_hooks_run_nexus_without_filenames() {
    let hooks = load(".pre-commit-hooks.yaml");
    let hooks = hooks.as_sequence().expect("a list");
    let ids: Vec<&str> = hooks.iter().filter_map(|h| h["id"].as_str()).collect();
    assert!(
        ids.contains(&"nexus-check") && ids.contains(&"nexus-render-check"),
        "{ids:?}"
    );
    for h in hooks {
        for key in ["id", "name", "entry", "language"] {
            assert!(h[key].is_string(), "{key} in {h:?}");
        }
        assert!(
            matches!(h["language"].as_str(), Some("rust" | "system")),
            "{h:?}"
        );
        assert_eq!(h["pass_filenames"].as_bool(), Some(false), "{h:?}");
        assert!(h["entry"].as_str().is_some_and(|e| e.starts_with("nexus ")));
    }
    let check = hooks.iter().find(|h| h["id"] == "nexus-check");
    assert_eq!(check.and_then(|h| h["entry"].as_str()), Some("nexus check"));
}

#[test]
fn the_action_is_a_composite_that_checks_lints_plans_and_comments() {
    let action = load("action.yml");
    assert!(action["name"].is_string() && action["description"].is_string());
    for input in [
        "environments",
        "base-ref",
        "comment",
        "max-bytes",
        "version",
    ] {
        assert!(
            action["inputs"][input]["description"].is_string(),
            "input {input}"
        );
    }
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_sequence().expect("steps");
    for step in steps {
        // Composite run steps must name their shell.
        if step["run"].is_string() {
            assert!(step["shell"].is_string(), "{step:?}");
        } else {
            assert!(step["uses"].is_string(), "{step:?}");
        }
    }
    let runs: String = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for cmd in [
        "nexus check",
        "nexus render",
        "nexus lint --all --format sarif",
        "nexus plan",
        "--format markdown",
    ] {
        assert!(runs.contains(cmd), "no `{cmd}` step");
    }
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@"))
    );
    let script = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/github-script@"))
        })
        .and_then(|s| s["with"]["script"].as_str())
        .expect("no github-script step");
    assert!(script.contains("<!-- nexus-plan -->"));
    assert!(script.contains("updateComment") && script.contains("createComment"));
}
