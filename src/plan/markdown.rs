//! The plan as a pull-request comment.
//!
//! It starts with a hidden marker ([`MARKER`]) so a workflow can find and
//! update its own comment instead of adding one per push, then the summary
//! line, a table per environment (app, change, files), and one collapsible
//! `<details>` per changed file holding its masked diff. GitHub refuses
//! comments over 65,536 characters, so the comment is kept under a byte
//! budget: whole file sections are dropped last-first and a note says how
//! many (and which) were not shown.

use super::{Change, FileChange, Plan};

/// Hidden marker identifying nexus's plan comment.
pub const MARKER: &str = "<!-- nexus-plan -->";
/// Default `--max-bytes`: under GitHub's 65,536-character comment limit.
pub const DEFAULT_MAX_BYTES: usize = 65000;
/// File names listed in the "not shown" note, at most.
const NOTE_NAMES: usize = 20;

/// Why the comment could not be made small enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooSmall {
    pub needed: usize,
}

fn head(plan: &Plan, tables: bool) -> String {
    let mut out = format!("{MARKER}\n### nexus plan\n\n");
    out.push_str(&format!("Comparing {} with this branch.\n\n", plan.base));
    out.push_str(&format!("**{}**\n\n", plan.summary()));
    if !tables {
        out.push_str("_The per-environment tables were left out to keep this comment short._\n\n");
        return out;
    }
    let mut unchanged = Vec::new();
    for env in &plan.envs {
        let files: Vec<&FileChange> = plan.env_files(env).collect();
        if files.is_empty() {
            unchanged.push(format!("`{env}`"));
            continue;
        }
        out.push_str(&format!(
            "#### `{env}`\n\n| App | Change | Files |\n|---|---|---|\n"
        ));
        // Rows by subject (app, AppProject, root), in path order of first file.
        let mut rows: Vec<(String, Vec<&FileChange>)> = Vec::new();
        for f in files {
            let s = f.subject();
            match rows.iter_mut().find(|(k, _)| *k == s) {
                Some((_, v)) => v.push(f),
                None => rows.push((s, vec![f])),
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        for (subject, fs) in rows {
            let kind = if fs.iter().all(|f| f.change == Change::Add) {
                Change::Add
            } else if fs.iter().all(|f| f.change == Change::Destroy) {
                Change::Destroy
            } else {
                Change::Change
            };
            let list: Vec<String> = fs
                .iter()
                .map(|f| format!("{} `{}`", f.change.symbol(), f.file))
                .collect();
            out.push_str(&format!(
                "| {} | {} {} | {} |\n",
                escape_cell(&subject),
                kind.symbol(),
                kind.as_str(),
                list.join("<br>")
            ));
        }
        out.push('\n');
    }
    if !unchanged.is_empty() {
        out.push_str(&format!("No changes in {}.\n\n", unchanged.join(", ")));
    }
    for (env, graph) in &plan.graphs {
        out.push_str(&format!(
            "<details><summary>Sync waves of <code>{env}</code> (changed)</summary>\n\n```mermaid\n{graph}```\n\n</details>\n\n"
        ));
    }
    out
}

fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A code fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Changed values listed per file under its diff, at most.
const WHY_LINES: usize = 12;

/// "Why" for a file: each changed value and the layer line that set it.
fn why_list(f: &FileChange) -> String {
    if f.why.is_empty() {
        return String::new();
    }
    let mut out = format!("`{}` changes because of:\n", f.path);
    for w in f.why.iter().take(WHY_LINES) {
        let v = |s: &Option<String>| s.clone().unwrap_or_else(|| "(none)".into());
        out.push_str(&format!(
            "- `{}` {} → {}",
            w.path.replace('`', "'"),
            code(&v(&w.old)),
            code(&v(&w.new))
        ));
        match (&w.new_at, &w.old_at) {
            (Some((file, line)), _) => out.push_str(&format!(" — `{file}:{line}`")),
            (None, Some((file, line))) => {
                out.push_str(&format!(" — removed (was `{file}:{line}`)"))
            }
            (None, None) => {}
        }
        out.push('\n');
    }
    if f.why.len() > WHY_LINES {
        out.push_str(&format!("- and {} more\n", f.why.len() - WHY_LINES));
    }
    out.push('\n');
    out
}

/// A value as inline code (cut when long).
fn code(s: &str) -> String {
    let short = crate::secrets::shorten(s);
    format!("`{}`", short.replace('`', "'"))
}

fn section(f: &FileChange) -> String {
    let fence = fence(&f.diff);
    format!(
        "{}<details><summary><code>{}</code> ({} {})</summary>\n\n{fence}diff\n{}{}{fence}\n\n</details>\n\n",
        why_list(f),
        f.path,
        f.change.symbol(),
        f.change.as_str(),
        f.diff,
        if f.diff.ends_with('\n') { "" } else { "\n" },
    )
}

fn note(cut: &[&FileChange], total: usize, max_bytes: usize, names: usize) -> String {
    if cut.is_empty() {
        return String::new();
    }
    let mut listed: Vec<String> = cut
        .iter()
        .take(names)
        .map(|f| format!("`{}`", f.path))
        .collect();
    if cut.len() > names {
        listed.push(format!("and {} more", cut.len() - names));
    }
    format!(
        "> [!NOTE]\n> {} of {} file diffs not shown, to keep this comment under {max_bytes} bytes{}{}. Run `nexus plan` locally to see them.\n",
        cut.len(),
        total,
        if names > 0 { ": " } else { "" },
        if names > 0 {
            listed.join(", ")
        } else {
            String::new()
        },
    )
}

/// The comment, at most `max_bytes` bytes long.
pub fn render(plan: &Plan, max_bytes: usize) -> Result<String, TooSmall> {
    let sections: Vec<String> = plan.files.iter().map(section).collect();
    let total_files = plan.files.len();
    let build = |head: &str, shown: usize, names: usize| {
        let mut out = head.to_string();
        for s in &sections[..shown] {
            out.push_str(s);
        }
        let cut: Vec<&FileChange> = plan.files[shown..].iter().collect();
        out.push_str(&note(&cut, total_files, max_bytes, names));
        out
    };
    for tables in [true, false] {
        let h = head(plan, tables);
        // Sizes only grow with `shown`: find the most sections that fit.
        for shown in (0..=sections.len()).rev() {
            let out = build(&h, shown, NOTE_NAMES);
            if out.len() <= max_bytes {
                return Ok(out);
            }
        }
        let out = build(&h, 0, 0);
        if out.len() <= max_bytes {
            return Ok(out);
        }
    }
    Err(TooSmall {
        needed: build(&head(plan, false), 0, 0).len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(n: usize) -> Plan {
        let files = (0..n)
            .map(|i| FileChange {
                path: format!("deploy/prod/values/app{i:02}.yaml"),
                env: "prod".into(),
                file: format!("values/app{i:02}.yaml"),
                kind: "values",
                app: Some(format!("app{i:02}")),
                change: Change::Change,
                diff: format!("@@ -1 +1 @@\n-a: {i}\n+a: {}\n{}", i + 1, "x\n".repeat(200)),
                why: vec![crate::plan::Why {
                    path: "a".into(),
                    old: Some(i.to_string()),
                    new: Some((i + 1).to_string()),
                    new_at: Some(("environments/prod/env.yaml".into(), 7)),
                    old_at: None,
                }],
            })
            .collect();
        Plan {
            graphs: Vec::new(),
            base: "`HEAD`".into(),
            envs: vec!["prod".into(), "stage".into()],
            files,
            unchanged: 3,
        }
    }

    #[test]
    fn has_marker_summary_table_and_details() {
        let md = render(&plan(2), DEFAULT_MAX_BYTES).unwrap();
        assert!(md.starts_with(MARKER));
        assert!(md.contains("Plan: 0 to add, 2 to change, 0 to destroy."));
        assert!(
            md.contains("| app00 | ~ change | ~ `values/app00.yaml` |"),
            "{md}"
        );
        assert_eq!(md.matches("<details>").count(), 2);
        assert!(md.contains("No changes in `stage`."));
        assert!(!md.contains("not shown"));
    }

    #[test]
    fn cuts_whole_sections_last_first_with_a_note() {
        let p = plan(10);
        let md = render(&p, 2500).unwrap();
        assert!(md.len() <= 2500, "{}", md.len());
        let shown = md.matches("<details>").count();
        assert!(shown < 10 && shown > 0, "{shown}");
        assert!(md.contains("app00.yaml</code>"));
        assert!(!md.contains("app09.yaml</code>"));
        assert!(
            md.contains(&format!("{} of 10 file diffs not shown", 10 - shown)),
            "{md}"
        );
        assert!(md.contains("`deploy/prod/values/app09.yaml`"));
        // Balanced: every opened section is closed.
        assert_eq!(shown, md.matches("</details>").count());
    }

    #[test]
    fn tables_go_last_and_tiny_budgets_are_refused() {
        let p = plan(40);
        let md = render(&p, 800).unwrap();
        assert!(md.len() <= 800, "{}", md.len());
        assert!(md.contains("40 of 40 file diffs not shown"), "{md}");
        assert!(render(&p, 50).is_err());
    }

    #[test]
    fn fences_outgrow_backticks() {
        assert_eq!(fence("a ``` b"), "````");
        assert_eq!(fence("plain"), "```");
    }
}
