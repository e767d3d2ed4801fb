//! NX003: the AppProject is missing, or the app's destination or source
//! repositories fall outside what the project allows.

use super::prelude::*;
use crate::model::ChartSource;

pub const RULE: Rule = Rule {
    code: "NX003",
    name: "project-scope",
    summary: "AppProject missing, or destination / source repo outside its scope",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks the app's `argocd.project` against the AppProjects the environment
defines under `projects:`. The project must exist (`default` is ArgoCD's
own and always exists), the Application's destination (server or cluster
name, and namespace) must match one of the project's `destinations`, and
every source repository (the chart's `repoURL`, and this repository for
`$values` and manifests) must match one of its `sourceRepos`. Matching
follows ArgoCD: `*` and other glob patterns, and `!` entries that deny.

## Why is this bad?
ArgoCD refuses to sync such an Application ("application destination is
not permitted in project", "application repo is not permitted in
project"). The error shows up only in the cluster, after the merge; here
it shows up before the commit.

## Example
```yaml
argocd: {project: apps}
projects:
  apps:
    sourceRepos: [https://github.com/acme/gitops.git]
    destinations: [{server: https://kubernetes.default.svc, namespace: api}]
app:
  namespace: payments
```
Use instead: add `{server: https://kubernetes.default.svc, namespace: payments}`
to the project's `destinations`, or deploy into a namespace it allows.
"#;

/// ArgoCD's glob: `*` (any run of characters, or of non-separators when a
/// separator is given), `?`, `[...]` classes and `{a,b}` alternatives.
pub fn glob(pattern: &str, text: &str, sep: Option<char>) -> bool {
    fn go(p: &[char], t: &[char], sep: Option<char>, depth: usize) -> bool {
        if depth > 64 {
            return false;
        }
        let Some(&c) = p.first() else {
            return t.is_empty();
        };
        match c {
            '*' => {
                let super_star = p.get(1) == Some(&'*');
                let rest = if super_star { &p[2..] } else { &p[1..] };
                for i in 0..=t.len() {
                    if go(rest, &t[i..], sep, depth + 1) {
                        return true;
                    }
                    if i < t.len() && !super_star && Some(t[i]) == sep {
                        return false;
                    }
                }
                false
            }
            '?' => !t.is_empty() && Some(t[0]) != sep && go(&p[1..], &t[1..], sep, depth + 1),
            '[' => {
                let Some(end) = p.iter().position(|&x| x == ']') else {
                    return !t.is_empty() && t[0] == '[' && go(&p[1..], &t[1..], sep, depth + 1);
                };
                let Some(&ch) = t.first() else { return false };
                let class = &p[1..end];
                let (neg, class) = match class.first() {
                    Some('!') | Some('^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        hit |= class[i] <= ch && ch <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == ch;
                        i += 1;
                    }
                }
                hit != neg && go(&p[end + 1..], &t[1..], sep, depth + 1)
            }
            '{' => {
                let Some(end) = p.iter().position(|&x| x == '}') else {
                    return !t.is_empty() && t[0] == '{' && go(&p[1..], &t[1..], sep, depth + 1);
                };
                let inner: String = p[1..end].iter().collect();
                inner.split(',').any(|alt| {
                    let mut q: Vec<char> = alt.chars().collect();
                    q.extend_from_slice(&p[end + 1..]);
                    go(&q, t, sep, depth + 1)
                })
            }
            '\\' if p.len() > 1 => {
                !t.is_empty() && t[0] == p[1] && go(&p[2..], &t[1..], sep, depth + 1)
            }
            _ => !t.is_empty() && t[0] == c && go(&p[1..], &t[1..], sep, depth + 1),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t, sep, 0)
}

/// ArgoCD's `globMatch` with negation: a `!pattern` matches what the
/// pattern does not.
fn glob_neg(pattern: &str, text: &str, sep: Option<char>) -> bool {
    match pattern.strip_prefix('!') {
        Some(p) => !glob(p, text, sep),
        None => glob(pattern, text, sep),
    }
}

fn deny(pattern: &str) -> bool {
    pattern.starts_with('!')
}

/// ArgoCD's `NormalizeGitURL`, simplified: lower case, no `.git`, no
/// trailing slash, `git@host:org/repo` as `host/org/repo`.
pub fn normalise_repo(url: &str) -> String {
    let mut u = url.trim().to_ascii_lowercase();
    if let Some(rest) = u.strip_prefix("git@")
        && let Some((host, path)) = rest.split_once(':')
    {
        u = format!("ssh://git@{host}/{path}");
    }
    while u.ends_with('/') {
        u.pop();
    }
    if let Some(s) = u.strip_suffix(".git") {
        u = s.to_string();
    }
    u
}

/// Is the repository allowed by `sourceRepos`? (ArgoCD `IsSourcePermitted`.)
pub fn repo_permitted(patterns: &[String], repo: &str) -> bool {
    let src = normalise_repo(repo);
    let mut any = false;
    for p in patterns {
        let norm = match p.strip_prefix('!') {
            Some(rest) => format!("!{}", normalise_repo(rest)),
            None => normalise_repo(p),
        };
        let matched = if norm == "*" {
            true
        } else {
            glob_neg(&norm, &src, Some('/'))
        };
        if matched {
            any = true;
        } else if deny(&norm) {
            return false;
        }
    }
    any
}

/// One `destinations` entry of an AppProject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dest {
    pub server: String,
    pub name: String,
    pub namespace: String,
}

/// Is the destination allowed? (ArgoCD `isDestinationMatched`.)
pub fn dest_permitted(items: &[Dest], dst: &Dest) -> bool {
    let mut any = false;
    let mut no_deny = true;
    for item in items {
        let name_m = !dst.name.is_empty() && glob_neg(&item.name, &dst.name, None);
        let server_m = !dst.server.is_empty() && glob_neg(&item.server, &dst.server, None);
        let ns_m = glob_neg(&item.namespace, &dst.namespace, None);
        let matched = (server_m || name_m) && ns_m;
        if matched {
            any = true;
        } else if (((!name_m && deny(&item.name)) || (!server_m && deny(&item.server))) && ns_m)
            || ((server_m || name_m) && !ns_m && deny(&item.namespace))
        {
            no_deny = false;
        }
    }
    any && no_deny
}

fn str_list(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .map(|items| {
            items
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn dests(node: Option<&Node>) -> Vec<Dest> {
    let s = |n: &Node, k: &str| n.get(k).and_then(Node::as_str).unwrap_or("").to_string();
    node.and_then(Node::as_seq)
        .map(|items| {
            items
                .iter()
                .map(|n| Dest {
                    server: s(n, "server"),
                    name: s(n, "name"),
                    namespace: s(n, "namespace"),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn check(cx: &AppCx, out: &mut Sink) {
    let a = &cx.app.argocd;
    if a.project == "default" {
        return;
    }
    let project_at = match cx.doc("argocd.project") {
        Some(n) => cx.at(n),
        None => cx.own_file(),
    };
    // An environment sharing its ArgoCD with others may leave the project
    // to the one that renders it.
    let defined = std::iter::once(cx.env)
        .chain(cx.peers.iter().copied())
        .find_map(|r| r.model.projects.iter().find(|(n, _)| *n == a.project));
    let Some((_, spec)) = defined else {
        let known: Vec<&str> = cx
            .env
            .model
            .projects
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        let mut d = finding(
            format!(
                "AppProject `{}` is not defined in this environment's layers",
                a.project
            ),
            "argocd.project",
            project_at,
        );
        d = match crate::error::did_you_mean(&a.project, known.iter().copied()) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d.with_hint(format!(
                "define it under `projects: {{{}: {{sourceRepos: [...], destinations: [...]}}}}` in an environment layer (or in an environment that shares this ArgoCD through `argocd.instance`)",
                a.project
            )),
        };
        out.push(d);
        return;
    };
    let project_pos = spec.pos;
    let related = |w: Where| Where {
        related: (!project_pos.is_generated()).then(|| {
            (
                format!("AppProject `{}` is defined", a.project),
                project_pos,
            )
        }),
        ..w
    };
    let dst = Dest {
        server: a
            .destination
            .get("server")
            .and_then(|e| e.node.as_str())
            .unwrap_or("")
            .to_string(),
        name: a
            .destination
            .get("name")
            .and_then(|e| e.node.as_str())
            .unwrap_or("")
            .to_string(),
        namespace: cx.app.namespace.clone(),
    };
    let allowed = dests(spec.get("destinations"));
    if !dest_permitted(&allowed, &dst) {
        let cluster = if dst.server.is_empty() {
            format!("cluster `{}`", dst.name)
        } else {
            format!("`{}`", dst.server)
        };
        // Blame the namespace when the cluster is allowed for some namespace.
        let any_ns = Dest {
            namespace: String::new(),
            ..dst.clone()
        };
        let cluster_ok = allowed.iter().any(|item| {
            let wild = Dest {
                namespace: "*".into(),
                ..item.clone()
            };
            dest_permitted(&[wild], &any_ns)
        });
        let (path, at) = if cluster_ok {
            (
                "app.namespace",
                match cx.doc("app.namespace") {
                    Some(n) => cx.at(n),
                    None => cx.own_file(),
                },
            )
        } else {
            let key = if dst.server.is_empty() {
                "name"
            } else {
                "server"
            };
            (
                if key == "name" {
                    "argocd.destination.name"
                } else {
                    "argocd.destination.server"
                },
                match cx.doc(&format!("argocd.destination.{key}")) {
                    Some(n) => cx.at(n),
                    None => cx.own_file(),
                },
            )
        };
        out.push(
            finding(
                format!(
                    "destination {cluster} namespace `{}` is not allowed by AppProject `{}`",
                    dst.namespace, a.project
                ),
                path,
                related(at),
            )
            .with_hint(format!(
                "add `{{server: {}, namespace: {}}}` to `projects.{}.destinations`, or deploy where the project allows",
                if dst.server.is_empty() { "..." } else { &dst.server },
                dst.namespace,
                a.project
            )),
        );
    }
    let repos = str_list(spec.get("sourceRepos"));
    let mut sources: Vec<(String, String)> = Vec::new();
    if let Some(ChartSource::Repo { repo_url, .. } | ChartSource::Git { repo_url, .. }) =
        &cx.app.chart
    {
        sources.push((repo_url.clone(), "app.chart.repoURL".into()));
    }
    sources.push((a.repo_url.clone(), "argocd.repoURL".into()));
    for (i, src) in cx.app.sources.iter().enumerate() {
        if let Some(repo) = src.get("repoURL").and_then(Node::as_str) {
            sources.push((repo.to_string(), format!("app.sources.{i}.repoURL")));
        }
    }
    for (repo, path) in sources {
        let path = path.as_str();
        if repo.is_empty() || repo_permitted(&repos, &repo) {
            continue;
        }
        let at = match cx.doc(path) {
            Some(n) => cx.at(n),
            None => cx.own_file(),
        };
        out.push(
            finding(
                format!(
                    "source repository `{repo}` is not allowed by AppProject `{}`",
                    a.project
                ),
                path,
                related(at),
            )
            .with_hint(format!(
                "add `{repo}` to `projects.{}.sourceRepos`",
                a.project
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(server: &str, ns: &str) -> Dest {
        Dest {
            server: server.into(),
            name: String::new(),
            namespace: ns.into(),
        }
    }

    #[test]
    fn globs_follow_argocd() {
        assert!(glob("*", "anything/at/all", None));
        assert!(!glob(
            "https://github.com/acme/*",
            "https://github.com/acme/a/b",
            Some('/')
        ));
        assert!(glob(
            "https://github.com/acme/*",
            "https://github.com/acme/a",
            Some('/')
        ));
        assert!(glob(
            "https://github.com/**",
            "https://github.com/acme/a",
            Some('/')
        ));
        assert!(glob("team-?", "team-a", None));
        assert!(glob("{api,web}", "web", None));
        assert!(glob("ns-[a-c]", "ns-b", None));
        assert!(!glob("ns-[a-c]", "ns-d", None));
    }

    #[test]
    fn destinations_allow_and_deny() {
        let items = vec![d("*", "*"), d("*", "!kube-system")];
        assert!(dest_permitted(&items, &d("https://x", "api")));
        assert!(!dest_permitted(&items, &d("https://x", "kube-system")));
        assert!(!dest_permitted(
            &[d("https://a", "api")],
            &d("https://b", "api")
        ));
        assert!(!dest_permitted(
            &[d("https://a", "api")],
            &d("https://a", "web")
        ));
        assert!(dest_permitted(
            &[d("https://a", "team-*")],
            &d("https://a", "team-x")
        ));
        let by_name = Dest {
            server: String::new(),
            name: "prod".into(),
            namespace: "api".into(),
        };
        let item = Dest {
            server: String::new(),
            name: "prod".into(),
            namespace: "*".into(),
        };
        assert!(dest_permitted(&[item], &by_name));
    }

    #[test]
    fn source_repos_allow_and_deny() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(repo_permitted(&s(&["*"]), "https://github.com/acme/x.git"));
        assert!(repo_permitted(
            &s(&["https://github.com/acme/gitops.git"]),
            "https://github.com/ACME/gitops"
        ));
        assert!(!repo_permitted(
            &s(&["https://github.com/acme/gitops.git"]),
            "https://charts.example.com"
        ));
        assert!(!repo_permitted(
            &s(&["*", "!https://github.com/evil/*"]),
            "https://github.com/evil/x"
        ));
        assert!(repo_permitted(
            &s(&["https://github.com/acme/*"]),
            "https://github.com/acme/x"
        ));
    }
}
