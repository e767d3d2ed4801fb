//! What Helm reads from a values file nexus writes is what Helm reads from
//! the values as the layers wrote them, checked with the YAML library Helm
//! itself uses: `tests/helmread/main.go` reads files with
//! sigs.k8s.io/yaml (gopkg.in/yaml.v2 underneath, as `chartutil.ReadValues`
//! does) and prints the result as JSON.
//!
//! Needs Go and Debian's `golang-gopkg-yaml.v2-dev` and
//! `golang-k8s-sigs-yaml-dev` (`.ci/run` installs them); without them the
//! tests say so and skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::util::{Repo, project_root};

/// Where Debian puts Go library sources.
const GOPATH: &str = "/usr/share/gocode";

/// The `helmread` binary, built once per test run; `None` (with a message
/// saying why) where Go or the packages are missing.
fn helmread() -> Option<&'static Path> {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(|| {
        let missing = |why: &str| {
            eprintln!(
                "SKIPPED: Helm conformance tests need {why}; install golang-go, golang-gopkg-yaml.v2-dev and golang-k8s-sigs-yaml-dev (`.ci/run` does)"
            );
            None
        };
        if Command::new("go").arg("version").output().is_err() {
            return missing("Go (`go` is not on PATH)");
        }
        if !Path::new(GOPATH).join("src/sigs.k8s.io/yaml").is_dir()
            || !Path::new(GOPATH).join("src/gopkg.in/yaml.v2").is_dir()
        {
            return missing(&format!("sigs.k8s.io/yaml and gopkg.in/yaml.v2 under {GOPATH}"));
        }
        // Under target/ (cargo's scratch directory for integration tests),
        // reused by later runs: nothing is left in the system temp dir.
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("helmread");
        std::fs::create_dir_all(&dir).ok()?;
        let bin = dir.join("helmread");
        let out = Command::new("go")
            .args(["build", "-o"])
            .arg(&bin)
            .arg(project_root().join("tests/helmread/main.go"))
            .env("GOPATH", GOPATH)
            .env("GO111MODULE", "off")
            .env("GOCACHE", dir.join("cache"))
            .env("GOFLAGS", "")
            .output()
            .ok()?;
        if !out.status.success() {
            return missing(&format!(
                "a working Go toolchain (building helmread failed: {})",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Some(bin)
    })
    .as_deref()
}

/// What Helm reads from each file: `Ok(json)` or `Err(message)`.
fn helm_reads(bin: &Path, files: &[PathBuf]) -> Vec<Result<Json, String>> {
    let out = Command::new(bin).args(files).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), files.len(), "helmread: {text}");
    lines
        .iter()
        .map(|l| match l.strip_prefix("OK ") {
            Some(json) => Ok(serde_json::from_str(json).unwrap()),
            None => Err(l.trim_start_matches("ERR ").to_string()),
        })
        .collect()
}

/// A repository whose one app has `values` (a values file's text) as its
/// `app.values`, indented under the key as written; the layer file ends
/// with a line break only where `values` does.
fn repo_with_values(values: &str) -> Repo {
    let r = Repo::with_base();
    r.write("environments/stage/env.yaml", "vars: {}\n");
    let mut layer = String::from(
        "app:\n  chart: {repoURL: https://charts.example.com, chart: x, targetRevision: 1.0.0}\n  values:\n",
    );
    let lines: Vec<String> = values
        .split('\n')
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect();
    layer.push_str(&lines.join("\n"));
    r.write("environments/apps/x.yaml", &layer);
    r
}

/// The first place two JSON documents differ, for a readable failure.
fn first_difference(a: &Json, b: &Json, path: &str) -> Option<String> {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &format!("{path}.{k}")),
                (p, q) => Some(format!("{path}.{k}: {p:?} vs {q:?}")),
            })
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]"))),
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

#[test]
fn helm_reads_nexus_output_as_it_reads_the_input() {
    let Some(bin) = helmread() else { return };
    let dir = project_root().join("tests/yaml-corpus");
    let mut corpus: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    corpus.sort();
    assert!(corpus.len() >= 8, "the corpus is in {}", dir.display());
    let originals = helm_reads(bin, &corpus);
    let mut problems = Vec::new();
    for (file, original) in corpus.iter().zip(originals) {
        let text = std::fs::read_to_string(file).unwrap();
        let r = repo_with_values(&text);
        let run = r.run(&["render", "stage"]);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        match original {
            // Helm refuses the input: nexus must not write something Helm
            // would read.
            Err(why) => {
                if run.code == 0 {
                    problems.push(format!(
                        "{name}: Helm refuses it ({why}), nexus rendered it"
                    ));
                }
            }
            Ok(want) => {
                if run.code != 0 {
                    problems.push(format!("{name}: nexus refused it:\n{}", run.stderr));
                    continue;
                }
                let written = r.path().join("deploy/stage/values/x.yaml");
                match helm_reads(bin, &[written]).remove(0) {
                    Ok(got) => {
                        if let Some(d) = first_difference(&want, &got, "") {
                            problems.push(format!(
                                "{name}: Helm reads nexus's output differently at {d}"
                            ));
                        }
                    }
                    Err(e) => {
                        problems.push(format!("{name}: Helm cannot read nexus's output: {e}"))
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A string as a YAML double-quoted scalar, escapes as yaml.v2 reads them.
fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            // YAML 1.1 line breaks and the BOM, which would break the line.
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn generated_strings_read_the_same_in_helm() {
    let Some(bin) = helmread() else { return };
    // Pieces strings are made of: newlines, indentation after an empty
    // line, tabs, trailing spaces, comment and key lookalikes, quotes,
    // unicode, YAML 1.1 words and numbers, long runs.
    const PIECES: &[&str] = &[
        "\n",
        "\n\n",
        "  ",
        "    ",
        "\t",
        " ",
        "x",
        "abc",
        "#",
        " #",
        "# ",
        ": ",
        ":",
        "- ",
        "-",
        "? ",
        "'",
        "\"",
        "\\",
        "{",
        "}",
        "[",
        "]",
        ",",
        "&a",
        "*a",
        "!t",
        "|",
        ">",
        "%",
        "@",
        "`",
        "é",
        "ü",
        "日本",
        "😀",
        "\u{2028}",
        "\u{85}",
        "\u{a0}",
        "yes",
        "on",
        "no",
        "~",
        "null",
        "012",
        "0x1F",
        "1e3",
        "1.5",
        ".inf",
        "2001-12-14",
        "1:20",
        "---",
        "...",
        "=",
        "<<",
        "\r",
        "\u{1}",
        "\u{7f}",
        "-----BEGIN CERTIFICATE-----",
        "a long piece of text that goes on for a while to make long lines",
    ];
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut values = String::new();
    let mut count = 0;
    for i in 0..3000 {
        let len = rng.below(8);
        let s: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        values.push_str(&format!("s{i:04}: {}\n", double_quoted(&s)));
        count += 1;
    }
    let r = repo_with_values(&values);
    r.run(&["render", "stage"]).code(0);
    let input = r.path().join("input.yaml");
    std::fs::write(&input, &values).unwrap();
    let written = r.path().join("deploy/stage/values/x.yaml");
    let read = helm_reads(bin, &[input, written]);
    let want = read[0].as_ref().unwrap();
    let got = read[1]
        .as_ref()
        .unwrap_or_else(|e| panic!("Helm cannot read nexus's output: {e}"));
    assert_eq!(want.as_object().map(|m| m.len()), Some(count));
    if let Some(d) = first_difference(want, got, "") {
        panic!("Helm reads nexus's output differently at {d}");
    }
}

/// Layer files that end inside a block scalar with no final line break
/// (chomping, indentation indicators, blank and comment-like last lines,
/// lines at, above and below the block's indentation): Helm reads nexus's
/// output as it reads the same text as a values file.
#[test]
fn block_scalars_at_the_end_of_a_file_read_the_same_in_helm() {
    let Some(bin) = helmread() else { return };
    const HEADERS: &[&str] = &["|", ">", "|+", ">+", "|-", ">-", "|2", "|2+", ">1-"];
    const LINES: &[&str] = &["x", "  y", "", " ", "  ", "   ", "# c", "a: b", "x  "];
    const ENDS: &[&str] = &["", " ", "  ", "\n", "\n  ", "\n    ", "\n\n"];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cases = Vec::new();
    for i in 0..120 {
        let header = HEADERS[rng.below(HEADERS.len())];
        let mut text = format!("before: 1\nlist:\n  - item\ns{i}: {header}\n");
        for _ in 0..1 + rng.below(4) {
            let line = LINES[rng.below(LINES.len())];
            if line.trim().is_empty() {
                text.push_str(line);
            } else {
                text.push_str("  ");
                text.push_str(line);
            }
            text.push('\n');
        }
        text.pop();
        text.push_str(ENDS[rng.below(ENDS.len())]);
        cases.push(text);
    }
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let p = dir.path().join(format!("in{i}.yaml"));
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect();
    let originals = helm_reads(bin, &inputs);
    let mut compared = 0;
    for (text, original) in cases.iter().zip(originals) {
        // Only what Helm reads: the rest is covered by the corpus test.
        let Ok(want) = original else { continue };
        let r = repo_with_values(text);
        let run = r.run(&["render", "stage"]);
        assert_eq!(run.code, 0, "{text:?}: {}", run.stderr);
        let written = r.path().join("deploy/stage/values/x.yaml");
        let got = helm_reads(bin, &[written]).remove(0).unwrap();
        if let Some(d) = first_difference(&want, &got, "") {
            panic!("{text:?}: Helm reads nexus's output differently at {d}");
        }
        compared += 1;
    }
    assert!(
        compared >= 60,
        "only {compared} of the generated files are read by Helm"
    );
}
