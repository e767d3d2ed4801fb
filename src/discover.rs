//! Discovery: which environments, groups and apps a repository has, and the
//! layer chain of each (README: The repository nexus works on).
//!
//! An environment is a directory under `environments/` (not an `apps/`
//! directory) holding an `env.yaml` and no environments below it; one with
//! environments below it is a group. The layer chain of app A in `prod/kr` is
//! `base.yaml`, `prod/defaults.yaml`, `prod/kr/defaults.yaml`, `apps/A.yaml`,
//! `prod/env.yaml`, `prod/apps/A.yaml`, `prod/kr/env.yaml`,
//! `prod/kr/apps/A.yaml`: deeper directories win, and within one directory
//! the app's own file wins over the shared one. `defaults.yaml` holds what
//! an environment gives every app unless the app's own all-environment file
//! says otherwise, so it comes before `apps/A.yaml`; `env.yaml` holds what
//! the environment imposes.

use std::collections::BTreeSet;

use crate::error::{Diagnostic, Error, did_you_mean};
use crate::source::Source;

pub const ENV_DIR: &str = "environments";
const MAX_ENV_DEPTH: usize = 16;

/// One environment (a leaf: groups are only prefixes of environments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvInfo {
    /// Path relative to `environments/`: `prod/kr`.
    pub name: String,
    /// The directories of the chain, shallowest first: `["", "prod", "prod/kr"]`.
    pub levels: Vec<String>,
    /// Every app that has an app file somewhere on this environment's path.
    pub apps: Vec<String>,
}

impl EnvInfo {
    /// Last path segment (`kr` for `prod/kr`).
    pub fn leaf(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// The `defaults.yaml` of every level below the root, shallowest first.
    fn defaults_chain(&self) -> impl Iterator<Item = String> + '_ {
        self.levels
            .iter()
            .filter(|l| !l.is_empty())
            .map(|l| defaults_file(l))
    }

    /// The environment's own layers, first to last: `base.yaml`,
    /// `prod/defaults.yaml`, `prod/env.yaml` ... (files may not exist).
    pub fn env_chain(&self) -> Vec<String> {
        let mut out = vec![env_file("")];
        out.extend(self.defaults_chain());
        out.extend(self.levels.iter().skip(1).map(|l| env_file(l)));
        out
    }

    /// The layer chain of one app, first to last (files may not exist).
    pub fn app_chain(&self, app: &str) -> Vec<String> {
        let mut out = Vec::with_capacity(self.levels.len() * 3);
        out.push(env_file(""));
        out.extend(self.defaults_chain());
        out.push(app_file("", app));
        for level in self.levels.iter().skip(1) {
            out.push(env_file(level));
            out.push(app_file(level, app));
        }
        out
    }
}

/// The shared layer of a level: `environments/base.yaml` at the root.
pub fn env_file(level: &str) -> String {
    if level.is_empty() {
        format!("{ENV_DIR}/base.yaml")
    } else {
        join(&[ENV_DIR, "/", level, "/env.yaml"])
    }
}

/// An environment's defaults for every app, below the apps' own files.
pub fn defaults_file(level: &str) -> String {
    join(&[ENV_DIR, "/", level, "/defaults.yaml"])
}

/// The app's own layer at a level.
pub fn app_file(level: &str, app: &str) -> String {
    if level.is_empty() {
        join(&[ENV_DIR, "/apps/", app, ".yaml"])
    } else {
        join(&[ENV_DIR, "/", level, "/apps/", app, ".yaml"])
    }
}

/// Concatenate parts into one allocation (chains are built for every app
/// of every environment, several times a run).
fn join(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// What discovery found.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub envs: Vec<EnvInfo>,
    /// Directories with an `env.yaml` and environments below them.
    pub groups: Vec<String>,
}

impl Discovery {
    pub fn env(&self, name: &str) -> Option<&EnvInfo> {
        self.envs.iter().find(|e| e.name == name)
    }

    /// Resolve command-line names (environments or groups) to environments,
    /// in name order and without repeats. `all` selects every environment.
    pub fn select(&self, names: &[String], all: bool) -> Result<Vec<&EnvInfo>, Error> {
        if all || names.is_empty() {
            if !all {
                let list: Vec<&str> = self.envs.iter().map(|e| e.name.as_str()).collect();
                return Err(Error::input("name an environment or pass --all")
                    .with_hint(format!("environments here: {}", list.join(", "))));
            }
            return Ok(self.envs.iter().collect());
        }
        let mut picked = BTreeSet::new();
        for raw in names {
            let name = raw.trim_end_matches('/');
            let below = format!("{name}/");
            let matched: Vec<usize> = self
                .envs
                .iter()
                .enumerate()
                .filter(|(_, e)| e.name == name || e.name.starts_with(&below))
                .map(|(i, _)| i)
                .collect();
            if matched.is_empty() {
                let names: Vec<&str> = self
                    .envs
                    .iter()
                    .map(|e| e.name.as_str())
                    .chain(self.groups.iter().map(String::as_str))
                    .collect();
                let mut err = Error::input(format!("unknown environment `{name}`"));
                err = match did_you_mean(name, names.iter().copied()) {
                    Some(s) => err.with_hint(format!("did you mean `{s}`? (environments are directories under environments/ with an env.yaml)")),
                    None => err.with_hint(format!("environments here: {}", names.join(", "))),
                };
                return Err(err);
            }
            picked.extend(matched);
        }
        Ok(picked.into_iter().map(|i| &self.envs[i]).collect())
    }
}

/// Is `s` usable as an environment path segment or app name? They end up in
/// Kubernetes object names, so: lowercase DNS labels.
pub fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 53
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Walk `environments/` and find environments, groups and apps.
pub fn discover(source: &dyn Source) -> Result<Discovery, Error> {
    if !source.is_dir(ENV_DIR) {
        return Err(Error::input(format!("no `{ENV_DIR}/` directory in {}", source.describe()))
            .with_hint("run nexus from a repository that has environments/, set NEXUS_REPO, or create one with `nexus init`"));
    }
    // Every directory (relative to environments/) that holds an env.yaml.
    let mut candidates: Vec<String> = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let full = if dir.is_empty() {
            ENV_DIR.to_string()
        } else {
            format!("{ENV_DIR}/{dir}")
        };
        let entries = source.list_dir(&full)?;
        if !dir.is_empty() && entries.iter().any(|e| !e.is_dir && e.name == "env.yaml") {
            candidates.push(dir.clone());
        }
        for e in entries.iter().filter(|e| e.is_dir) {
            if e.name == "apps" || e.name.starts_with('.') {
                continue;
            }
            if depth + 1 > MAX_ENV_DEPTH {
                return Err(Error::input(format!("`{full}/{}` is nested more than {MAX_ENV_DEPTH} levels deep", e.name))
                    .with_hint("flatten the environment tree; a symlink pointing at a parent directory causes this too"));
            }
            let child = if dir.is_empty() {
                e.name.clone()
            } else {
                format!("{dir}/{}", e.name)
            };
            stack.push((child, depth + 1));
        }
    }
    candidates.sort();
    let mut disc = Discovery::default();
    for (i, cand) in candidates.iter().enumerate() {
        let below = format!("{cand}/");
        let is_group = candidates.iter().skip(i + 1).any(|c| c.starts_with(&below));
        if let Some(bad) = cand.split('/').find(|s| !valid_name(s)) {
            problems.push(
                Diagnostic::error(format!("environment directory `{bad}` in `{ENV_DIR}/{cand}` is not a valid name"))
                    .in_file(format!("{ENV_DIR}/{cand}/env.yaml"))
                    .with_hint("environment names become part of Application names: use lowercase letters, digits and `-`"),
            );
            continue;
        }
        if is_group {
            disc.groups.push(cand.clone());
            continue;
        }
        let mut levels = vec![String::new()];
        let mut acc = String::new();
        for seg in cand.split('/') {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(seg);
            levels.push(acc.clone());
        }
        let mut apps = BTreeSet::new();
        for level in &levels {
            let dir = if level.is_empty() {
                format!("{ENV_DIR}/apps")
            } else {
                format!("{ENV_DIR}/{level}/apps")
            };
            for e in source.list_dir(&dir)? {
                if e.is_dir || e.name.starts_with('.') {
                    continue;
                }
                let Some(app) = e.name.strip_suffix(".yaml") else {
                    if e.name.ends_with(".yml") {
                        problems.push(
                            Diagnostic::error(format!(
                                "`{dir}/{}` uses the `.yml` extension",
                                e.name
                            ))
                            .in_file(format!("{dir}/{}", e.name))
                            .with_hint(
                                "rename it to `.yaml`: nexus reads app files named <app>.yaml",
                            ),
                        );
                    }
                    continue;
                };
                if !valid_name(app) {
                    problems.push(
                        Diagnostic::error(format!("app file `{dir}/{}`: `{app}` is not a valid app name", e.name))
                            .in_file(format!("{dir}/{}", e.name))
                            .with_hint("app names become Helm release and Application names: use lowercase letters, digits and `-`, at most 53 characters"),
                    );
                    continue;
                }
                apps.insert(app.to_string());
            }
        }
        disc.envs.push(EnvInfo {
            name: cand.clone(),
            levels,
            apps: apps.into_iter().collect(),
        });
    }
    if !problems.is_empty() {
        problems.sort_by(|a, b| a.file.cmp(&b.file));
        problems.dedup();
        return Err(Error::many(problems));
    }
    Ok(disc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_order_matches_the_spec() {
        let env = EnvInfo {
            name: "prod/kr".into(),
            levels: vec!["".into(), "prod".into(), "prod/kr".into()],
            apps: vec![],
        };
        assert_eq!(
            env.app_chain("a"),
            vec![
                "environments/base.yaml",
                "environments/prod/defaults.yaml",
                "environments/prod/kr/defaults.yaml",
                "environments/apps/a.yaml",
                "environments/prod/env.yaml",
                "environments/prod/apps/a.yaml",
                "environments/prod/kr/env.yaml",
                "environments/prod/kr/apps/a.yaml",
            ]
        );
        assert_eq!(
            env.env_chain(),
            vec![
                "environments/base.yaml",
                "environments/prod/defaults.yaml",
                "environments/prod/kr/defaults.yaml",
                "environments/prod/env.yaml",
                "environments/prod/kr/env.yaml",
            ]
        );
        assert_eq!(env.leaf(), "kr");
    }

    #[test]
    fn names_are_dns_labels() {
        assert!(valid_name("api-2"));
        assert!(!valid_name("Api"));
        assert!(!valid_name("-api"));
        assert!(!valid_name("a_b"));
        assert!(!valid_name(""));
    }
}
