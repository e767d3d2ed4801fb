//! NX003: the AppProject is missing, or the app's destination or source
//! repositories fall outside what the project allows.

use super::prelude::*;
use crate::lint::glob;
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
follows ArgoCD exactly: its glob library's syntax (`*` stops at `/` in
`sourceRepos` and matches anything in `destinations`, `**` crosses `/`,
`?`, `[a-z]`, `[!abc]`, `{a,b}`), repository URLs normalised as ArgoCD
does (`git@host:org/repo.git` is `git@host/org/repo`), and `!` entries
that deny whatever else allows. Patterns and URLs of any length match
(an EKS endpoint of 70 characters and more, a `https://*.eks.amazonaws.com`
glob over it), in time proportional to pattern and URL, so no pattern a
pull request adds can stall the check.

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

/// ArgoCD's `globMatch`: `!pattern` matches what the pattern does not
/// (so a deny pattern that does not compile matches everything), `*`
/// matches anything, the rest is [`glob::matches`].
fn glob_match(pattern: &str, text: &str, separators: &[char]) -> bool {
    if let Some(p) = pattern.strip_prefix('!') {
        return !glob::matches(p, text, separators);
    }
    pattern == "*" || glob::matches(pattern, text, separators)
}

fn deny(pattern: &str) -> bool {
    pattern.starts_with('!')
}

/// Is the repository allowed by `sourceRepos`? (ArgoCD `IsSourcePermitted`.)
pub fn repo_permitted(patterns: &[String], repo: &str) -> bool {
    let src = crate::model::normalise_repo(repo);
    let mut any = false;
    for p in patterns {
        let norm = match p.strip_prefix('!') {
            Some(rest) => format!("!{}", crate::model::normalise_repo(rest)),
            None => crate::model::normalise_repo(p),
        };
        let matched = glob_match(&norm, &src, &['/']);
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

/// Is the destination allowed? (ArgoCD `isDestinationMatched`, where a
/// deny entry that applies refuses whatever other entries allow. ArgoCD
/// knows the cluster's server and name both; nexus knows only what the
/// Application names. An allow on the other one is given the benefit of
/// the doubt (`{server: '*'}` admits an Application that names its
/// cluster: ArgoCD infers the server), a deny on it is not assumed to
/// apply, and a namespace deny applies to a cluster matched either way.)
pub fn dest_permitted(items: &[Dest], dst: &Dest) -> bool {
    let mut any = false;
    let unknown_allows = |pattern: &str| !pattern.is_empty() && !deny(pattern);
    for item in items {
        let name_m = if dst.name.is_empty() {
            unknown_allows(&item.name)
        } else {
            glob_match(&item.name, &dst.name, &[])
        };
        let server_m = if dst.server.is_empty() {
            unknown_allows(&item.server)
        } else {
            glob_match(&item.server, &dst.server, &[])
        };
        let ns_m = glob_match(&item.namespace, &dst.namespace, &[]);
        if (server_m || name_m) && ns_m {
            any = true;
        } else if (!dst.name.is_empty() && !name_m && deny(&item.name))
            || (!dst.server.is_empty() && !server_m && deny(&item.server) && ns_m)
            || (!ns_m && deny(&item.namespace) && (server_m || name_m))
        {
            return false;
        }
    }
    any
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
    fn argocd_glob_match() {
        assert!(glob_match("*", "anything/at/all", &['/']));
        assert!(glob_match("!kube-*", "default", &[]));
        assert!(!glob_match("!kube-*", "kube-system", &[]));
        // A deny pattern that does not compile denies nothing.
        assert!(glob_match("![oops", "x", &[]));
        assert!(!glob_match("[oops", "[oops", &[]));
    }

    #[test]
    fn repository_urls_normalise_as_argocd_does() {
        assert_eq!(
            crate::model::normalise_repo(" https://GitHub.com/Acme/GitOps.git "),
            "https://github.com/acme/gitops"
        );
        assert_eq!(
            crate::model::normalise_repo("git@github.com:acme/gitops.git"),
            "git@github.com/acme/gitops"
        );
        assert_eq!(
            crate::model::normalise_repo("ssh://git@github.com/acme/gitops"),
            "git@github.com/acme/gitops"
        );
        // A trailing slash is kept, as in ArgoCD.
        assert_eq!(
            crate::model::normalise_repo("https://charts.example.com/"),
            "https://charts.example.com/"
        );
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
        // ArgoCD infers the server of a named cluster: `server: '*'`
        // admits it, in the namespaces the entry allows.
        assert!(dest_permitted(&[d("*", "*")], &by_name));
        assert!(!dest_permitted(&[d("*", "web")], &by_name));
        assert!(!dest_permitted(&[d("*", "*"), d("*", "!api")], &by_name));
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
        // SSH and HTTPS spellings, and globs over both.
        assert!(repo_permitted(
            &s(&["git@github.com:acme/*"]),
            "ssh://git@github.com/acme/gitops.git"
        ));
        assert!(!repo_permitted(
            &s(&["https://github.com/acme/*"]),
            "https://github.com/acme/team/x"
        ));
        assert!(repo_permitted(
            &s(&["https://github.com/acme/**"]),
            "https://github.com/acme/team/x"
        ));
    }

    /// A cluster endpoint of any length matches itself and globs over it;
    /// a deny for the namespace wins over an allow-all.
    #[test]
    fn cloud_cluster_endpoints() {
        let eks = "https://9F7C3B1E2D4A5F6E7D8C9B0A1F2E3D4C.gr7.eu-central-1.eks.amazonaws.com";
        assert!(dest_permitted(&[d(eks, "payments")], &d(eks, "payments")));
        assert!(dest_permitted(
            &[d("https://*.eks.amazonaws.com", "*")],
            &d(eks, "payments")
        ));
        let gke = "https://34.141.200.17";
        assert!(dest_permitted(
            &[d("https://34.141.*", "team-*")],
            &d(gke, "team-a")
        ));
        let items = vec![d("*", "*"), d(eks, "!kube-*")];
        assert!(!dest_permitted(&items, &d(eks, "kube-system")));
        assert!(dest_permitted(&items, &d(eks, "payments")));
        // A deny on the cluster name refuses whatever the namespace.
        let deny_name = Dest {
            server: String::new(),
            name: "!prod-*".into(),
            namespace: "other".into(),
        };
        let by_name = Dest {
            server: String::new(),
            name: "prod-eu".into(),
            namespace: "api".into(),
        };
        let allow = Dest {
            server: String::new(),
            name: "*".into(),
            namespace: "*".into(),
        };
        assert!(!dest_permitted(&[allow, deny_name], &by_name));
    }
}
