//! Sync waves from `dependsOn` (README: What `nexus render <env>` writes).
//!
//! An app with no dependencies is wave 0; otherwise it is one more than the
//! highest wave among its dependencies. A pinned `syncWave` must be higher
//! than every dependency's wave. Cycles are reported with their members in
//! order; a dependency on an app that is not in the environment is named,
//! with a "did you mean" when there is a near miss.

use std::collections::BTreeMap;

use crate::error::{Diagnostic, Error, did_you_mean};
use crate::model::AppSpec;

/// Compute the wave of every app. `apps` must be sorted by name.
pub fn compute(
    env: &str,
    apps: &[AppSpec],
    disabled: &[String],
) -> Result<BTreeMap<String, i64>, Error> {
    let index: BTreeMap<&str, usize> = apps
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.as_str(), i))
        .collect();
    let mut problems = Vec::new();
    for app in apps {
        for (dep, pos) in &app.depends_on {
            if index.contains_key(dep.as_str()) {
                if dep == &app.name {
                    problems.push(
                        Diagnostic::error(format!("app `{}` depends on itself", app.name))
                            .at(*pos)
                            .for_app(env, Some(&app.name)),
                    );
                }
                continue;
            }
            let mut d = Diagnostic::error(if disabled.contains(dep) {
                format!(
                    "app `{}` depends on `{dep}`, which is disabled in environment `{env}`",
                    app.name
                )
            } else {
                format!(
                    "app `{}` depends on `{dep}`, which does not exist in environment `{env}`",
                    app.name
                )
            })
            .at(*pos)
            .for_app(env, Some(&app.name));
            if let Some(s) = did_you_mean(dep, index.keys().copied()) {
                d = d.with_hint(format!("did you mean `{s}`?"));
            } else if disabled.contains(dep) {
                d = d.with_hint(format!(
                    "enable `{dep}` in `{env}` or remove it from dependsOn"
                ));
            } else {
                d = d.with_hint(format!(
                    "add environments/apps/{dep}.yaml, or remove `{dep}` from dependsOn"
                ));
            }
            problems.push(d);
        }
    }
    if !problems.is_empty() {
        return Err(Error::many(problems));
    }
    // Iterative depth-first search with colours, so deep chains cannot
    // overflow the stack.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; apps.len()];
    let mut wave = vec![0i64; apps.len()];
    for start in 0..apps.len() {
        if mark[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let deps = &apps[node].depends_on;
            if *next < deps.len() {
                let dep = index[deps[*next].0.as_str()];
                let dep_pos = deps[*next].1;
                *next += 1;
                match mark[dep] {
                    Mark::New => {
                        mark[dep] = Mark::Open;
                        stack.push((dep, 0));
                    }
                    Mark::Open => {
                        let from = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut members: Vec<&str> = stack[from..]
                            .iter()
                            .map(|(n, _)| apps[*n].name.as_str())
                            .collect();
                        members.push(apps[dep].name.as_str());
                        return Err(Error::from(
                            Diagnostic::error(format!(
                                "dependency cycle in environment `{env}`: {}",
                                members.join(" -> ")
                            ))
                            .at(dep_pos)
                            .for_app(env, Some(&apps[node].name))
                            .with_hint("remove one of these dependsOn entries"),
                        ));
                    }
                    Mark::Done => {}
                }
            } else {
                let computed = deps
                    .iter()
                    .map(|(d, _)| wave[index[d.as_str()]] + 1)
                    .max()
                    .unwrap_or(0);
                let app = &apps[node];
                wave[node] = match app.sync_wave {
                    None => computed,
                    Some((pinned, pos)) => {
                        if !deps.is_empty() && pinned < computed {
                            let (dep, dep_wave) = deps
                                .iter()
                                .map(|(d, _)| (d.as_str(), wave[index[d.as_str()]]))
                                .max_by_key(|(_, w)| *w)
                                .unwrap_or(("", 0));
                            return Err(Error::from(
                                Diagnostic::error(format!(
                                    "app `{}` pins syncWave {pinned}, but its dependency `{dep}` is in wave {dep_wave}",
                                    app.name
                                ))
                                .at(pos)
                                .for_app(env, Some(&app.name))
                                .with_hint(format!("pin a wave above {dep_wave}, or remove syncWave to have it computed")),
                            ));
                        }
                        pinned
                    }
                };
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    Ok(apps
        .iter()
        .zip(wave)
        .map(|(a, w)| (a.name.clone(), w))
        .collect())
}
