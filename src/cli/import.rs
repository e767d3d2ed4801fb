//! `nexus import [PATH...] [--env-from RULE] [--map FILE] [--dry-run]
//! [--force]`: turn a repository of ArgoCD Applications into layers, and
//! prove the layers render what it had.

use std::path::{Path, PathBuf};

use super::{Cli, Failure, fail};
use crate::error::Error;
use crate::import::{self, read::EnvFrom};
use crate::report;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or directories of Application manifests (default: the whole
    /// repository).
    pub paths: Vec<String>,
    /// How to tell environments apart (default: the first rule that does).
    #[arg(long, value_enum, value_name = "RULE")]
    pub env_from: Option<EnvFrom>,
    /// A YAML file naming each Application's environment and app:
    /// `{api-prod: {env: prod, app: api}}`.
    #[arg(long, value_name = "FILE")]
    pub map: Option<String>,
    /// Print the layers instead of writing them.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace an existing environments/.
    #[arg(long)]
    pub force: bool,
}

/// The repository: `NEXUS_REPO`, else the current directory (there are no
/// layers yet to find it by).
fn root() -> Result<PathBuf, Error> {
    match super::repo_from_env()? {
        Some(p) => Ok(p),
        None => std::env::current_dir()
            .map_err(|e| Error::input(format!("cannot read the current directory: {e}"))),
    }
}

/// `PATH` as given on the command line, repository-relative.
fn relative(root: &Path, p: &str) -> Result<String, Error> {
    let cwd = std::env::current_dir().map_err(|e| Error::input(e.to_string()))?;
    let abs = cwd.join(p);
    let real = std::fs::canonicalize(&abs).map_err(|e| Error::input(format!("`{p}`: {e}")))?;
    let real_root = std::fs::canonicalize(root).map_err(|e| Error::input(e.to_string()))?;
    let rel = real.strip_prefix(&real_root).map_err(|_| {
        Error::input(format!(
            "`{p}` is outside the repository {}",
            root.display()
        ))
    })?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    Ok(if rel.is_empty() { ".".to_string() } else { rel })
}

/// Write the layers: into a fresh directory beside `environments/`, then
/// swapped in, so an interrupted import leaves the old layers (or none).
/// With `force`, an existing `environments/` is moved to
/// `environments.orig/` (or `.orig.2` ...), never deleted; its new path is
/// returned.
fn write(
    root: &Path,
    files: &std::collections::BTreeMap<String, String>,
    force: bool,
) -> Result<Option<PathBuf>, Error> {
    let env_dir = root.join(crate::discover::ENV_DIR);
    let staging = root.join(format!(".environments.nexus-import.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    for (rel, text) in files {
        let Some(inner) = rel.strip_prefix("environments/") else {
            continue;
        };
        let path = staging.join(inner);
        if let Err(e) = crate::write::write_atomic(&path, text.as_bytes()) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(Error::input(format!("cannot write {rel}: {e}")));
        }
    }
    if !env_dir.exists() {
        return std::fs::rename(&staging, &env_dir)
            .map(|()| None)
            .map_err(|e| Error::input(format!("cannot write environments/: {e}")));
    }
    if !force {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(Error::input("environments/ already exists")
            .with_hint("pass --force to move it to environments.orig/ and write the layers"));
    }
    let kept = (1..1000)
        .map(|n| match n {
            1 => root.join("environments.orig"),
            n => root.join(format!("environments.orig.{n}")),
        })
        .find(|p| !p.exists())
        .ok_or_else(|| Error::input("environments.orig ... environments.orig.999 all exist"))?;
    std::fs::rename(&env_dir, &kept)
        .map_err(|e| Error::input(format!("cannot move environments/ aside: {e}")))?;
    if let Err(e) = std::fs::rename(&staging, &env_dir) {
        let _ = std::fs::rename(&kept, &env_dir);
        return Err(Error::input(format!("cannot write environments/: {e}")));
    }
    Ok(Some(kept))
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let root = root().map_err(fail)?;
    if import::read::has_layers(&root) && !args.force && !args.dry_run {
        return Err(fail(
            Error::input("environments/ already exists: this repository has layers")
                .with_hint("pass --force to replace them with the import, or --dry-run to see it"),
        ));
    }
    let paths: Vec<String> = if args.paths.is_empty() {
        vec![".".to_string()]
    } else {
        args.paths
            .iter()
            .map(|p| relative(&root, p))
            .collect::<Result<_, _>>()
            .map_err(fail)?
    };
    let map = match &args.map {
        Some(m) => Some(relative(&root, m).map_err(fail)?),
        None => None,
    };
    let opts = import::Options {
        paths,
        env_from: args.env_from,
        map,
        max_file_size: cli.max_file_size,
    };
    let out = import::import(&root, &opts).map_err(fail)?;
    // Files being imported from environments/ (where the layers go) are
    // moved aside with --force, never overwritten.
    let env_dir = format!("{}/", crate::discover::ENV_DIR);
    if !args.dry_run
        && !args.force
        && let Some(inside) = out.inputs.iter().find(|f| f.starts_with(&env_dir))
    {
        return Err(fail(
            Error::input(format!(
                "the files being imported are in environments/ ({inside} ...), where nexus writes its layers"
            ))
            .with_hint("pass --force to move them to environments.orig/ and write the layers, or see the result with --dry-run"),
        ));
    }
    if let Some(rule) = out.rule {
        eprintln!("nexus: environments told apart by {}", rule.describe());
    }
    for (at, why) in &out.skipped {
        eprintln!("skipped {at}: {why}");
    }
    report::eprint_all(&out.render_errors, &out.files_table);
    for d in &out.differences {
        eprintln!("differs {} ({}): {}", d.at, d.application, d.what);
    }
    for n in &out.notes {
        eprintln!("note: {n}");
    }
    let complete = out.render_errors.is_empty() && out.differences.is_empty();
    if args.dry_run {
        for (path, text) in &out.files {
            println!("==> {path} <==");
            print!("{text}");
        }
    } else if out.imported > 0 {
        // Written even when something differs: the differences are listed
        // against the original files, and the layers are where to fix them.
        if let Some(kept) = write(&root, &out.files, args.force).map_err(fail)? {
            eprintln!(
                "nexus: the previous environments/ is now {}/ (delete it once the layers are committed)",
                kept.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            );
        }
    }
    println!(
        "{} of {} Applications reproduced; {} lines of YAML became {}{}",
        out.reproduced,
        out.applications,
        report::thousands(out.old_lines),
        report::thousands(out.new_lines),
        if args.dry_run {
            " (dry run: nothing written)"
        } else if out.imported == 0 {
            " (nothing written)"
        } else if !complete {
            " (written; the differences listed above are not reproduced)"
        } else {
            ""
        }
    );
    // 0 only when everything found was imported and reproduced; what was
    // skipped (an ApplicationSet, an unreadable file ...) is work left.
    let everything = out.reproduced == out.applications && out.skipped.is_empty();
    Ok(if complete && everything { 0 } else { 1 })
}
