//! `nexus lint` output and behaviour: suppression, formats, `--explain`,
//! and the shipped example staying clean.

use crate::lint_util::{APP, good, lint_json, of, repo};
use crate::util::Repo;

fn violating() -> Repo {
    let r = repo();
    r.write(APP, &good("", "").replace("tag: 1.0.0", "tag: latest"));
    r
}

#[test]
fn the_shipped_example_is_lint_clean_everywhere() {
    let r = Repo::example();
    let doc = lint_json(&r, &["--all"], 0);
    let lint: Vec<_> = doc["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc}"))
        .iter()
        .filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("NX")))
        .collect();
    assert!(lint.is_empty(), "{lint:?}");
    assert_eq!(doc["suppressed"], serde_json::json!([]));
}

#[test]
fn suppression_inherits_and_is_listed() {
    let r = violating();
    r.write(
        "environments/base.yaml",
        &format!(
            "{}app:\n  lintIgnore: {{NX101: \"pinned by the release pipeline\"}}\n",
            r.read("environments/base.yaml")
        ),
    );
    let doc = lint_json(&r, &["--all"], 0);
    assert_eq!(of(&doc, "NX101"), vec![]);
    let s = doc["suppressed"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(s.len(), 2);
    assert_eq!(s[0]["rule"], "NX101");
    assert_eq!(s[0]["env"], "prod");
    assert_eq!(s[0]["reason"], "pinned by the release pipeline");
    assert_eq!(s[0]["file"], APP);
    assert_eq!(doc["summary"]["suppressed"], 2);
    r.run(&["lint", "--all"])
        .code(0)
        .stdout_has("0 error(s), 0 warning(s), 0 info(s), 2 suppressed");
    // A later layer can take the suppression back.
    r.write(
        "environments/prod/apps/x.yaml",
        "app:\n  lintIgnore: {NX101: null}\n",
    );
    let doc = lint_json(&r, &["--all"], 1);
    assert_eq!(of(&doc, "NX101").len(), 1);
    assert_eq!(doc["suppressed"].as_array().map(Vec::len), Some(1));
}

#[test]
fn text_output_is_one_message_per_cause_with_the_source_line() {
    let r = violating();
    let run = r.run(&["lint", "stage"]);
    run.code(1);
    assert_eq!(
        run.stdout,
        "error[NX101]: image `ghcr.io/acme/x` uses the tag `latest`\n --> environments/apps/x.yaml:5:46\n  |\n5 |     image: {repository: ghcr.io/acme/x, tag: latest, digest: \"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\n  |                                              ^^^^^^\n  |\n  = in: stage/x\n  = help: set an explicit version tag (or pin a digest)\n\n1 error(s), 0 warning(s), 0 info(s), 0 suppressed\n"
    );
    let color = r.run_env(&["lint", "stage"], &[("NO_COLOR", "")]);
    assert!(!color.stdout.contains('\u{1b}'), "no colour when piped");
}

#[test]
fn github_annotations_are_exact() {
    let r = violating();
    let run = r.run(&["lint", "stage", "--format", "github"]);
    run.code(1);
    assert_eq!(
        run.stdout,
        "::error file=environments/apps/x.yaml,line=5,col=46,title=NX101::image `ghcr.io/acme/x` uses the tag `latest` (in stage/x)%0Aset an explicit version tag (or pin a digest)\n"
    );
}

#[test]
fn sarif_has_rule_metadata_help_and_locations() {
    let r = violating();
    r.write(
        "environments/prod/apps/x.yaml",
        "app:\n  lintIgnore: {NX101: \"accepted\"}\n",
    );
    let run = r.run(&["lint", "--all", "--format", "sarif"]);
    run.code(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let rules = &doc["runs"][0]["tool"]["driver"]["rules"];
    assert_eq!(rules[0]["id"], "NX101");
    assert_eq!(rules[0]["name"], "image-tag-latest");
    let help = rules[0]["help"]["text"].as_str().unwrap_or("");
    assert!(
        help.contains("## What it does")
            && help.contains("## Why is this bad?")
            && help.contains("## Example"),
        "{help}"
    );
    let results = doc["runs"][0]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(results.len(), 2);
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], APP);
    assert_eq!(loc["region"]["startLine"], 5);
    assert_eq!(loc["region"]["startColumn"], 46);
    let suppressed: Vec<_> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "accepted"
    );
}

#[test]
fn explain_works_without_a_repository() {
    let dir = Repo::new();
    let run = dir.run(&["lint", "--explain", "NX105"]);
    run.code(0)
        .stdout_has("# NX105 (literal-secret)")
        .stdout_has("Default severity: error.")
        .stdout_has("## Why is this bad?");
    dir.run(&["lint", "--explain", "NX1O5"])
        .code(2)
        .stderr_has("did you mean `NX105`?");
    dir.run(&["lint", "--explain", "nx001"])
        .code(0)
        .stdout_has("error in protected environments, warning elsewhere");
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let r = violating();
    r.write(
        "environments/apps/y.yaml",
        &good("", "").replace("replicaCount: 2", "replicaCount: 1"),
    );
    let one = r.run_env(
        &["lint", "--all", "--format", "json"],
        &[("RAYON_NUM_THREADS", "1")],
    );
    let many = r.run_env(
        &["lint", "--all", "--format", "json"],
        &[("RAYON_NUM_THREADS", "8")],
    );
    assert_eq!(one.stdout, many.stdout);
    assert_eq!(one.code, 1);
}
