//! The shape of the source tree: top-level modules depend on each other
//! without cycles, the driver stays small, and the README's module table
//! names every module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::util::project_root;

/// The top-level module a source file belongs to (`lint/rules/nx003.rs`
/// is `lint`); `None` for the crate roots.
fn module_of(rel: &Path) -> Option<String> {
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

/// `crate::<module>` references in the non-test code of every file.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let src = project_root().join("src");
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in walkdir::WalkDir::new(&src) {
        let e = e.unwrap();
        if !e.file_type().is_file() || e.path().extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let Some(module) = module_of(e.path().strip_prefix(&src).unwrap()) else {
            continue;
        };
        let text = std::fs::read_to_string(e.path()).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let entry = deps.entry(module.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, _) in line.match_indices("crate::") {
                let name: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                    .collect();
                if !name.is_empty() && name != module {
                    entry.insert(name);
                }
            }
        }
    }
    deps
}

/// A cycle through `start`, if there is one.
fn cycle_from(start: &str, deps: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in deps.get(&at).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_string());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

#[test]
fn modules_have_no_cycles() {
    let deps = dependencies();
    assert!(deps.len() > 20, "{deps:?}");
    // The check finds a cycle when there is one.
    let mut planted = deps.clone();
    planted
        .entry("yaml".into())
        .or_default()
        .insert("cli".into());
    assert!(cycle_from("yaml", &planted).is_some());
    for module in deps.keys() {
        if let Some(cycle) = cycle_from(module, &deps) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_driver_stays_small() {
    let lines = std::fs::read_to_string(project_root().join("src/project.rs"))
        .unwrap()
        .lines()
        .count();
    assert!(lines < 300, "src/project.rs has {lines} lines");
}

#[test]
fn the_readme_names_every_module() {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let src = project_root().join("src");
    for e in std::fs::read_dir(&src).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if matches!(name.as_str(), "lib.rs" | "main.rs") {
            continue;
        }
        // A file as `name.rs`; a directory as `name/` or by a file in it.
        let shown = if name.ends_with(".rs") {
            format!("`{name}`")
        } else {
            format!("`{name}/")
        };
        assert!(
            readme.contains(&shown),
            "the README's module table lacks {shown}"
        );
    }
}
