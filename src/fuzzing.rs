//! Entry points for the fuzz targets in `fuzz/` (and for the regression
//! tests that replay the inputs they found, `tests/fuzz_regressions/`).
//!
//! Each function takes arbitrary bytes and must return normally: errors are
//! fine, panics, hangs and memory blow-ups are bugs. They also check a few
//! properties the fuzzer cannot see otherwise, such as "every file nexus
//! writes reads back as exactly the values it was written from": a failed
//! check panics, which the fuzzer reports as a crash.

use crate::layer;
use crate::merge::Merger;
use crate::model::{AppSpec, OutputKind};
use crate::project::{Options, Project};
use crate::source::{Files, MemSource};
use crate::yaml::emit;
use crate::yaml::load::{self, Limits};
use crate::yaml::node::{FileId, Node, Pos};

/// The layer loader on one file.
pub fn load(data: &[u8]) {
    let mut src = MemSource::new();
    src.insert("environments/base.yaml", data);
    let files = Files::new();
    let _ = layer::load(&src, &files, "environments/base.yaml", &Limits::default());
}

/// Two documents (split at the first NUL byte) merged as two layers.
pub fn merge(data: &[u8]) {
    let mut parts = data.splitn(2, |b| *b == 0);
    let (a, b) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let parse = |bytes: &[u8], id: u32| {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| load::parse_one(t, FileId(id), &Limits::default()).ok())
            .flatten()
    };
    let (Some(a), Some(b)) = (parse(a, 0), parse(b, 1)) else {
        return;
    };
    let mut doc = Node::map(Pos::GENERATED);
    let mut merger = Merger::new();
    if merger.merge_layer(&mut doc, &a).is_ok() {
        let _ = merger.merge_layer(&mut doc, &b);
    }
}

/// The whole pipeline on a small repository: the input is split at NUL
/// bytes into an app layer, an environment layer and a base layer (each
/// optional), next to a fixed base that makes a valid repository.
pub fn render(data: &[u8]) {
    let mut parts = data.split(|b| *b == 0);
    let app = parts.next().unwrap_or_default();
    let env = parts.next();
    let extra = parts.next();
    let mut src = MemSource::new();
    src.insert(
        "environments/base.yaml",
        "argocd: {repoURL: https://example.com/g.git, project: apps}\nprojects: {apps: {sourceRepos: ['*'], destinations: [{server: '*', namespace: '*'}]}}\napp: {chart: {repoURL: https://charts.example.com, chart: web, targetRevision: 1.0.0}}\n",
    );
    src.insert(
        "environments/prod/env.yaml",
        env.unwrap_or(b"vars: {tier: prod}\n"),
    );
    src.insert("environments/prod/apps/api.yaml", app);
    src.insert(
        "environments/apps/db.yaml",
        "app: {values: {password: hunter2}}\n",
    );
    if let Some(extra) = extra {
        src.insert("environments/mixins/extra.yaml", extra);
    }
    let Ok(mut project) = Project::open(Box::new(src), Options::default()) else {
        return;
    };
    let envs: Vec<_> = project.discovery.envs.to_vec();
    let refs: Vec<_> = envs.iter().collect();
    if project.load_layers(&refs).is_err() {
        return;
    }
    let renders = match project.render_all(&refs) {
        Ok(r) => r,
        Err(e) => {
            // The writer's own check refused a file: a writer bug.
            let text = e.to_string();
            assert!(!text.contains("reads back differently"), "{text}");
            return;
        }
    };
    for r in &renders {
        for o in &r.outputs {
            if let Err(e) = load::parse_all(&o.text, FileId(u32::MAX), &Limits::default()) {
                panic!("{} does not parse back: {e}\n{}", o.path, o.text);
            }
            // Every file reads back as exactly what was written: a values
            // file as the app's merged values, the rest as their object.
            let want = match (o.kind, o.app.as_deref()) {
                (OutputKind::Values, Some(app)) => {
                    r.apps.iter().find(|a| a.name == app).map(AppSpec::values)
                }
                _ => Some(&o.object),
            };
            if let Some(want) = want {
                assert!(
                    emit::reads_back_exactly(want, &o.text),
                    "{} does not read back as written:\n{}",
                    o.path,
                    o.text
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_accept_odd_input() {
        for input in [
            &b""[..],
            b"\0\0\0",
            b"app: {values: {a: 1}}",
            b"app: {values: {a: &a [*a]}}",
            b"app:\n  values:\n    x: \"{{ vars.tier }}\"\0vars: {tier: 1}",
            b"\xff\xfe",
        ] {
            load(input);
            merge(input);
            render(input);
        }
    }
}
