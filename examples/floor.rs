//! The speed floor `nexus render --all` is compared with: a minimal,
//! single-threaded program that only parses the layers of every app in
//! every environment (yaml-rust2, no positions), merges them naively (maps
//! recursively, later wins, `key+` appends, `key!` replaces) and writes each
//! app's values file and a plain ArgoCD Application. No provenance, no
//! templating, no validation, no lint, no atomic writes.
//!
//! It understands the layout `gen_repo` writes (top-level environments, the
//! `base.yaml` / `apps/<app>.yaml` / `<env>/env.yaml` / `<env>/apps/<app>.yaml`
//! chain, and includes). Each layer file is parsed once.
//!
//! ```sh
//! cargo run --release --example floor -- --repo DIR [--out DIR]
//! ```

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlEmitter, YamlLoader};

fn key(s: &str) -> Yaml {
    Yaml::String(s.to_string())
}

/// Merge `over` into `base`: maps recursively, `k+` appends, `k!` replaces,
/// anything else replaces.
fn merge(base: &mut Yaml, over: &Yaml) {
    let (Yaml::Hash(b), Yaml::Hash(o)) = (&mut *base, over) else {
        *base = over.clone();
        return;
    };
    for (k, v) in o {
        let name = k.as_str().unwrap_or_default();
        if let Some(plain) = name.strip_suffix('+') {
            let entry = b.entry(key(plain)).or_insert(Yaml::Array(Vec::new()));
            match (entry, v) {
                (Yaml::Array(items), Yaml::Array(more)) => items.extend(more.iter().cloned()),
                (e, v) => *e = v.clone(),
            }
        } else if let Some(plain) = name.strip_suffix('!') {
            b.insert(key(plain), v.clone());
        } else {
            match b.get_mut(k) {
                Some(existing @ Yaml::Hash(_)) if matches!(v, Yaml::Hash(_)) => merge(existing, v),
                _ => {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

struct Floor {
    root: PathBuf,
    parsed: HashMap<String, Option<Rc<Yaml>>>,
}

impl Floor {
    /// The layer at `rel` (relative to `environments/`), parsed once.
    fn layer(&mut self, rel: &str) -> Result<Option<Rc<Yaml>>, String> {
        if let Some(l) = self.parsed.get(rel) {
            return Ok(l.clone());
        }
        let path = self.root.join("environments").join(rel);
        let layer = match fs::read_to_string(&path) {
            Ok(text) => {
                let mut docs = YamlLoader::load_from_str(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                Some(Rc::new(if docs.is_empty() {
                    Yaml::Hash(Hash::new())
                } else {
                    docs.swap_remove(0)
                }))
            }
            Err(_) => None,
        };
        self.parsed.insert(rel.to_string(), layer.clone());
        Ok(layer)
    }

    /// Merge `rel` (includes first) into `doc`.
    fn merge_file(&mut self, doc: &mut Yaml, rel: &str) -> Result<(), String> {
        let Some(layer) = self.layer(rel)? else {
            return Ok(());
        };
        if let Some(includes) = layer["include"].as_vec() {
            let dir = Path::new(rel).parent().unwrap_or(Path::new(""));
            for inc in includes {
                let p = normalize(&dir.join(inc.as_str().unwrap_or_default()));
                self.merge_file(doc, &p)?;
            }
        }
        merge(doc, &layer);
        Ok(())
    }
}

fn normalize(p: &Path) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.to_str().unwrap_or_default().split('/') {
        match c {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            c => parts.push(c),
        }
    }
    parts.join("/")
}

fn emit(doc: &Yaml) -> Result<String, String> {
    let mut out = String::new();
    YamlEmitter::new(&mut out)
        .dump(doc)
        .map_err(|e| e.to_string())?;
    out.push('\n');
    Ok(out)
}

fn hash(pairs: Vec<(&str, Yaml)>) -> Yaml {
    Yaml::Hash(pairs.into_iter().map(|(k, v)| (key(k), v)).collect())
}

fn application(env: &str, app: &str, doc: &Yaml) -> Yaml {
    let a = &doc["argocd"];
    let s = |y: &Yaml| y.as_str().map_or(Yaml::Null, key);
    let chart = &doc["app"]["chart"];
    hash(vec![
        ("apiVersion", key("argoproj.io/v1alpha1")),
        ("kind", key("Application")),
        (
            "metadata",
            hash(vec![
                ("name", key(&format!("{app}-{env}"))),
                ("namespace", s(&a["namespace"])),
            ]),
        ),
        (
            "spec",
            hash(vec![
                ("project", s(&a["project"])),
                (
                    "sources",
                    Yaml::Array(vec![
                        hash(vec![
                            ("repoURL", s(&chart["repoURL"])),
                            ("chart", s(&chart["chart"])),
                            ("targetRevision", s(&chart["targetRevision"])),
                            (
                                "helm",
                                hash(vec![
                                    ("releaseName", key(app)),
                                    (
                                        "valueFiles",
                                        Yaml::Array(vec![key(&format!(
                                            "$values/deploy/{env}/values/{app}.yaml"
                                        ))]),
                                    ),
                                ]),
                            ),
                        ]),
                        hash(vec![
                            ("repoURL", s(&a["repoURL"])),
                            ("targetRevision", s(&a["targetRevision"])),
                            ("ref", key("values")),
                        ]),
                    ]),
                ),
                (
                    "destination",
                    hash(vec![
                        ("server", s(&a["destination"]["server"])),
                        ("namespace", key(app)),
                    ]),
                ),
                ("syncPolicy", a["syncPolicy"].clone()),
            ]),
        ),
    ])
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn run(repo: &Path, out: &Path) -> Result<usize, String> {
    let envs_dir = repo.join("environments");
    let mut envs: Vec<String> = Vec::new();
    for e in fs::read_dir(&envs_dir).map_err(|e| e.to_string())? {
        let e = e.map_err(|e| e.to_string())?;
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().join("env.yaml").is_file() {
            envs.push(name);
        }
    }
    envs.sort();
    let mut floor = Floor {
        root: repo.to_path_buf(),
        parsed: HashMap::new(),
    };
    let mut written = 0;
    for env in &envs {
        let mut apps: Vec<String> = Vec::new();
        for dir in [envs_dir.join("apps"), envs_dir.join(env).join("apps")] {
            if let Ok(rd) = fs::read_dir(dir) {
                for f in rd.flatten() {
                    let n = f.file_name().to_string_lossy().into_owned();
                    if let Some(app) = n.strip_suffix(".yaml") {
                        apps.push(app.to_string());
                    }
                }
            }
        }
        apps.sort();
        apps.dedup();
        for app in &apps {
            let mut doc = Yaml::Hash(Hash::new());
            for rel in [
                "base.yaml".to_string(),
                format!("apps/{app}.yaml"),
                format!("{env}/env.yaml"),
                format!("{env}/apps/{app}.yaml"),
            ] {
                floor.merge_file(&mut doc, &rel)?;
            }
            let values = &doc["app"]["values"];
            write(
                &out.join(env).join("values").join(format!("{app}.yaml")),
                &emit(values)?,
            )?;
            write(
                &out.join(env).join("apps").join(format!("{app}.yaml")),
                &emit(&application(env, app, &doc))?,
            )?;
            written += 2;
        }
    }
    Ok(written)
}

fn main() -> ExitCode {
    let mut repo = None;
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--repo" => repo = it.next().map(PathBuf::from),
            "--out" => out = it.next().map(PathBuf::from),
            other => {
                eprintln!("floor: unknown argument `{other}`; usage: floor --repo DIR [--out DIR]");
                return ExitCode::from(2);
            }
        }
    }
    let Some(repo) = repo else {
        eprintln!("floor: --repo DIR is required");
        return ExitCode::from(2);
    };
    let out = out.unwrap_or_else(|| repo.join("floor-out"));
    match run(&repo, &out) {
        Ok(n) => {
            println!("floor: wrote {n} files to {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("floor: {e}");
            ExitCode::from(2)
        }
    }
}
