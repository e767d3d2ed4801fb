//! The command line: flags parsed by clap, then one module per subcommand.
//! Every subcommand returns an exit code (0 success, 1 findings or stale
//! output, 2 unusable input); `run` prints fatal errors and maps them to 2.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::discover::EnvInfo;
use crate::error::Error;
use crate::model::EnvRender;
use crate::project::{Options, Project};
use crate::report;
use crate::source::{DEFAULT_MAX_FILE_SIZE, Files, FsSource};
use crate::yaml::load::Limits;

mod check;
mod completions;
mod diff;
mod explain;
mod graph;
mod hook;
mod import;
mod init;
mod lint;
mod ls;
mod man;
mod plan;
mod promote;
mod render;
mod set;
mod validate;

#[derive(Parser, Debug)]
#[command(
    name = "nexus",
    version,
    about = "Layered environments rendered into a validated, linted ArgoCD + Helm GitOps tree",
    long_about = None,
)]
pub struct Cli {
    /// Refuse input files larger than this many bytes.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,

    /// List every environment and app a finding applies to (text, github),
    /// not the first few.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// No progress line (it is only ever drawn on a terminal, outside CI,
    /// for output meant for people).
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render environments into deploy/<env>/ (Applications, values, AppProjects, root.yaml).
    Render(render::Args),
    /// Check layers, Helm values and rendered objects against JSON Schemas and CRDs.
    Validate(validate::Args),
    /// Show the merged value(s) of an app and every layer that set them.
    Explain(explain::Args),
    /// Show the sync-wave order of an environment's apps.
    Graph(graph::Args),
    /// List environments, groups and apps.
    Ls,
    /// Run the lint rules (and validation) over environments.
    Lint(lint::Args),
    /// What the pre-commit hook runs: render --check, validate and lint, every environment.
    Check(check::Args),
    /// Create a small working repository (base, stage, prod, two apps) and render it.
    Init(init::Args),
    /// Git hooks: `nexus hook install` writes the pre-commit hook.
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// Show what the working tree's layers change in the rendered tree (a diff per file).
    Plan(plan::Args),
    /// Compare two environments: every app setting and value that differs, with the layer that set it.
    Diff(diff::Args),
    /// Write one value into one layer with a minimal edit.
    Set(set::Args),
    /// Move values (an image tag, a digest) from one environment to another.
    Promote(promote::Args),
    /// Turn a repository of ArgoCD Applications and values files into layers, proven by a round trip.
    Import(import::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::Args),
    /// Print the man page, or write one page per command into DIR.
    Man(man::Args),
}

/// Commands that can run for seconds at thousands of apps, in a format for
/// people (`json`, `sarif` and `github` are read by programs).
fn wants_progress(command: &Command) -> bool {
    use crate::report::Format;
    match command {
        Command::Render(_) => true,
        Command::Check(a) => a.format == Format::Text,
        Command::Lint(a) => a.format == Format::Text,
        Command::Validate(a) => a.format == Format::Text,
        Command::Plan(a) => a.format != plan::PlanFormat::Json,
        _ => false,
    }
}

/// Parse the command line and run; returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    // Hostile templates end the run (exit 2) instead of exhausting memory.
    crate::guard::start(crate::guard::Limits::default());
    crate::progress::enable(!cli.quiet && wants_progress(&cli.command));
    let result = match &cli.command {
        Command::Render(a) => render::run(&cli, a),
        Command::Validate(a) => validate::run(&cli, a),
        Command::Explain(a) => explain::run(&cli, a),
        Command::Graph(a) => graph::run(&cli, a),
        Command::Ls => ls::run(&cli),
        Command::Lint(a) => lint::run(&cli, a),
        Command::Plan(a) => plan::run(&cli, a),
        Command::Check(a) => check::run(&cli, a),
        Command::Hook(c) => hook::run(c),
        Command::Init(a) => init::run(&cli, a),
        Command::Diff(a) => diff::run(&cli, a),
        Command::Set(a) => set::run(&cli, a),
        Command::Promote(a) => promote::run(&cli, a),
        Command::Import(a) => import::run(&cli, a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
    };
    match result {
        Ok(code) => code,
        Err((e, files)) => {
            report::eprint_all(&e.diagnostics, &files);
            2
        }
    }
}

impl Cli {
    /// How findings are printed on stdout.
    pub fn report_options(&self) -> report::Options {
        report::Options {
            style: report::Style::for_stdout(),
            verbose: self.verbose,
        }
    }
}

/// A fatal error together with the file table needed to print it.
pub type Failure = (Error, Files);

fn fail(e: Error) -> Failure {
    (e, Files::new())
}

/// Write `bytes` to stdout. A closed pipe (`nexus man | head`) is not an
/// error.
pub fn print_stdout(bytes: &[u8]) -> Result<i32, Failure> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(fail(Error::input(format!("cannot write to stdout: {e}")))),
    }
}

/// The repository `NEXUS_REPO` names, if it is set (it must be a
/// directory).
pub fn repo_from_env() -> Result<Option<PathBuf>, Error> {
    let Some(r) = std::env::var_os("NEXUS_REPO") else {
        return Ok(None);
    };
    let p = PathBuf::from(r);
    if !p.is_dir() {
        return Err(Error::input(format!(
            "NEXUS_REPO points at `{}`, which is not a directory",
            p.display()
        )));
    }
    Ok(Some(p))
}

/// The repository root: `NEXUS_REPO`, else the nearest directory upward
/// from the current one that has `environments/`.
pub fn repo_root() -> Result<PathBuf, Error> {
    if let Some(p) = repo_from_env()? {
        return Ok(p);
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::input(format!("cannot read the current directory: {e}")))?;
    let mut dir: &Path = &cwd;
    loop {
        if dir.join("environments").is_dir() {
            return Ok(dir.to_path_buf());
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => {
                return Err(Error::input(format!("no `environments/` directory in {} or any parent", cwd.display()))
                    .with_hint("run nexus inside a nexus repository, set NEXUS_REPO, or create one with `nexus init`"));
            }
        }
    }
}

/// Open the repository at `root` for this run.
pub fn open_project(cli: &Cli, root: &Path, out_prefix: String) -> Result<Project, Failure> {
    let source = FsSource::new(root, cli.max_file_size).map_err(fail)?;
    let options = Options {
        out_prefix,
        limits: Limits::default(),
    };
    Project::open(Box::new(source), options).map_err(fail)
}

/// Load the layers of `envs` and render them in memory. A fatal error
/// comes back with the file table needed to print it.
pub fn render_envs(project: &mut Project, envs: &[&EnvInfo]) -> Result<Vec<EnvRender>, Failure> {
    project
        .load_layers(envs)
        .and_then(|()| project.render_all(envs))
        .map_err(|e| (e, std::mem::take(&mut project.files)))
}

/// The command is done and the process is about to exit: hand the trees
/// back to the OS at once instead of freeing millions of small allocations
/// one by one on the main thread (a tenth of a large run's CPU time).
pub fn exit_without_freeing<T>(trees: T) {
    std::mem::forget(trees);
}

/// Select environments (`--all`: every one), load their layers and render
/// them in memory.
pub fn render_selected(
    project: &mut Project,
    envs: &[String],
    all: bool,
) -> Result<Vec<EnvRender>, Failure> {
    let selected: Vec<EnvInfo> = project
        .discovery
        .select(envs, all)
        .map_err(fail)?
        .into_iter()
        .cloned()
        .collect();
    let refs: Vec<&EnvInfo> = selected.iter().collect();
    render_envs(project, &refs)
}

/// `nexus render ENV` after an edit (`set --render`, `promote --render`).
pub fn render_after_edit(cli: &Cli, env: &str) -> Result<i32, Failure> {
    render::run(
        cli,
        &render::Args {
            envs: vec![env.to_string()],
            all: false,
            out: None,
            check: false,
            force: false,
        },
    )
}

/// The findings of the checks selected by `opts` over rendered environments.
pub fn run_checks(
    project: &mut Project,
    renders: &[EnvRender],
    opts: crate::checks::CheckOptions,
) -> Result<crate::report::Report, Failure> {
    crate::checks::run(project, renders, opts).map_err(|e| (e, std::mem::take(&mut project.files)))
}

/// Where output goes: `--out DIR` (relative to the current directory) or
/// `<repo>/deploy`. Returns the directory and its path relative to the
/// repository, which Applications use to point at values and manifests.
/// The output root must be inside the repository and not the repository
/// itself (or `/`), unless `force` is given.
pub fn output_root(
    root: &Path,
    out: Option<&Path>,
    force: bool,
) -> Result<(PathBuf, String), Error> {
    let Some(out) = out else {
        let deploy = root.join("deploy");
        // `deploy` itself may be a symlink: it must stay in the repository.
        if let Ok(real) = std::fs::canonicalize(&deploy) {
            let repo = std::fs::canonicalize(root)
                .map_err(|e| Error::input(format!("cannot open the repository: {e}")))?;
            if (!real.starts_with(&repo) || real == repo) && !force {
                return Err(Error::input(format!(
                    "`deploy` resolves to `{}`, outside the repository",
                    real.display()
                ))
                .in_file("deploy")
                .with_hint("nexus writes only inside the repository; replace the symlink with a directory, or pass --force"));
            }
        }
        return Ok((deploy, "deploy".to_string()));
    };
    let cwd = std::env::current_dir()
        .map_err(|e| Error::input(format!("cannot read the current directory: {e}")))?;
    let abs = if out.is_absolute() {
        out.to_path_buf()
    } else {
        cwd.join(out)
    };
    // Canonicalise the deepest existing ancestor, so symlinks are resolved.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut real = std::fs::canonicalize(&existing).map_err(|e| {
        Error::input(format!(
            "cannot use `{}` as the output directory: {e}",
            out.display()
        ))
    })?;
    for name in rest.iter().rev() {
        if name == ".." || name == "." {
            return Err(Error::input(format!(
                "`{}`: use a plain path for --out",
                out.display()
            )));
        }
        real.push(name);
    }
    let repo = std::fs::canonicalize(root)
        .map_err(|e| Error::input(format!("cannot open the repository: {e}")))?;
    if real.parent().is_none() {
        return Err(Error::input("refusing to use `/` as the output directory")
            .with_hint("pass a directory such as --out deploy"));
    }
    if real == repo {
        return Err(Error::input("refusing to use the repository root as the output directory")
            .with_hint("nexus removes stale generated files under its output root; pass a subdirectory such as --out deploy"));
    }
    match real.strip_prefix(&repo) {
        Ok(rel) => Ok((real.clone(), rel.to_string_lossy().replace('\\', "/"))),
        Err(_) if force => Ok((real, "deploy".to_string())),
        Err(_) => Err(Error::input(format!("the output directory `{}` is outside the repository", real.display()))
            .with_hint("Applications point at files inside the repository; pass --force to write elsewhere anyway (paths in Applications then assume `deploy/`)")),
    }
}
