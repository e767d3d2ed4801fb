//! Finding workloads where the workload rules (NX101..NX108) look: in Helm
//! values by the common chart conventions, and in the Pod-bearing objects
//! of `app.manifests`.
//!
//! Values have no fixed shape, so the walk visits every map of the values
//! tree (inside lists too) and rules look for the conventional keys there
//! (`image`, `resources`, `replicaCount`, `autoscaling`, `securityContext`,
//! `podSecurityContext`, `hostNetwork`, probes). A map that says
//! `enabled: false` switches its part of the chart off, so its subtree is
//! skipped. Manifests are typed: Deployment, StatefulSet, DaemonSet,
//! ReplicaSet, Job, CronJob and Pod, with their containers.

use crate::yaml::node::{Node, Value};

/// Does this map switch its part of the chart off (`enabled: false`)?
pub fn disabled(map: &Node) -> bool {
    map.get("enabled").and_then(Node::as_bool) == Some(false)
}

/// Visit every enabled map of a values tree with its dotted path
/// (`app.values.primary`); list items get their index.
pub fn walk_maps<'a>(values: &'a Node, f: &mut dyn FnMut(&str, &'a Node)) {
    walk_maps_at(values, "app.values", f);
}

/// [`walk_maps`] from `root`, whose path is `base`.
pub fn walk_maps_at<'a>(root: &'a Node, base: &str, f: &mut dyn FnMut(&str, &'a Node)) {
    fn go<'a>(node: &'a Node, path: &mut String, f: &mut dyn FnMut(&str, &'a Node)) {
        match &node.value {
            Value::Map(m) => {
                if disabled(node) {
                    return;
                }
                f(path, node);
                for (k, e) in m.iter() {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    go(&e.node, path, f);
                    path.truncate(len);
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    let _ = std::fmt::Write::write_fmt(path, format_args!(".{i}"));
                    go(item, path, f);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut path = base.to_string();
    go(root, &mut path, f);
}

/// Is `key` set anywhere in the enabled part of the values tree?
pub fn values_have(values: &Node, key: &str) -> bool {
    let mut found = false;
    walk_maps(values, &mut |_, m| {
        if m.get(key).is_some() {
            found = true;
        }
    });
    found
}

/// Keys that make a values tree describe a workload: when none of them
/// appears, the app's values configure something else and the "missing"
/// checks (resources, probes, replicas) have nothing to say.
const WORKLOAD_KEYS: &[&str] = &[
    "image",
    "replicaCount",
    "replicas",
    "resources",
    "livenessProbe",
    "readinessProbe",
    "securityContext",
    "podSecurityContext",
    "containerSecurityContext",
    "autoscaling",
];

pub fn describes_workload(values: &Node) -> bool {
    WORKLOAD_KEYS.iter().any(|k| values_have(values, k))
}

/// A Pod template found in `app.manifests`.
pub struct Pod<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    /// The whole object.
    pub object: &'a Node,
    /// The pod spec.
    pub spec: &'a Node,
    /// Dotted path of the pod spec: `app.manifests.0.spec.template.spec`.
    pub path: String,
}

impl Pod<'_> {
    /// Long-running workloads, where probes and replicas matter.
    pub fn long_running(&self) -> bool {
        matches!(
            self.kind,
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod"
        )
    }

    /// Kinds with a `spec.replicas`.
    pub fn replicated(&self) -> bool {
        matches!(self.kind, "Deployment" | "StatefulSet" | "ReplicaSet")
    }
}

/// The Pod templates of the Pod-bearing objects in `app.manifests`.
pub fn pods(manifests: &[Node]) -> Vec<Pod<'_>> {
    let mut out = Vec::new();
    for (i, obj) in manifests.iter().enumerate() {
        let Some(kind) = obj.get("kind").and_then(Node::as_str) else {
            continue;
        };
        let name = obj
            .get_path("metadata.name")
            .and_then(Node::as_str)
            .unwrap_or("");
        let rel = match kind {
            "Pod" => "spec",
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                "spec.template.spec"
            }
            "CronJob" => "spec.jobTemplate.spec.template.spec",
            _ => continue,
        };
        if let Some(spec) = obj.get_path(rel)
            && spec.as_map().is_some()
        {
            out.push(Pod {
                kind,
                name,
                object: obj,
                spec,
                path: format!("app.manifests.{i}.{rel}"),
            });
        }
    }
    out
}

/// A container of a Pod template.
pub struct Container<'a> {
    pub node: &'a Node,
    pub name: &'a str,
    pub path: String,
    /// `initContainers` rather than `containers`.
    pub init: bool,
}

/// `containers` and `initContainers` of a pod spec.
pub fn containers<'a>(pod: &Pod<'a>) -> Vec<Container<'a>> {
    let mut out = Vec::new();
    for (list, init) in [("containers", false), ("initContainers", true)] {
        if let Some(items) = pod.spec.get(list).and_then(Node::as_seq) {
            for (i, c) in items.iter().enumerate() {
                if c.as_map().is_some() {
                    out.push(Container {
                        node: c,
                        name: c.get("name").and_then(Node::as_str).unwrap_or(""),
                        path: format!("{}.{list}.{i}", pod.path),
                        init,
                    });
                }
            }
        }
    }
    out
}

/// An image reference split into its parts. `registry:5000/app:1.2@sha256:..`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageRef {
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

pub fn parse_image(s: &str) -> ImageRef {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d.to_string())),
        None => (s, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (
            rest[..last_slash + i].to_string(),
            Some(rest[last_slash + i + 1..].to_string()),
        ),
        None => (rest.to_string(), None),
    };
    ImageRef {
        name,
        tag: tag.filter(|t| !t.is_empty()),
        digest: digest.filter(|d| !d.is_empty()),
    }
}

/// Is `d` a well-formed content digest (`sha256:` + 64 hex)? For the
/// `sha` field of kube-prometheus-stack images, the hex alone.
pub fn valid_sha(d: &str) -> bool {
    d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Is `d` a well-formed content digest (`sha256:` + 64 hex)?
pub fn valid_digest(d: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    match d.split_once(':') {
        Some(("sha256", h)) => hex(h, 64),
        Some(("sha384", h)) => hex(h, 96),
        Some(("sha512", h)) => hex(h, 128),
        _ => false,
    }
}

/// A string nexus cannot judge: Helm template text left for the chart's
/// `tpl`, or a placeholder another tool fills in.
pub fn is_placeholder(s: &str) -> bool {
    s.contains("{{") || s.contains("${") || s.starts_with("<path:") || s.starts_with("ref+")
}

/// An image found in values or manifests.
pub struct Image<'a> {
    /// The `image` value (a map or a string).
    pub node: &'a Node,
    /// Its dotted path (`app.values.primary.image`).
    pub path: String,
    /// What to call it in a message: `registry/repository` or the string.
    pub name: String,
    pub form: ImageForm<'a>,
}

pub enum ImageForm<'a> {
    /// `image: {registry, repository, tag, digest}` as charts write it
    /// (`image.image` in ingress-nginx, `sha` for the digest hex in
    /// kube-prometheus-stack, `name` in some).
    Map {
        repository: Option<&'a Node>,
        tag: Option<&'a Node>,
        /// `digest` (`sha256:...`) or `sha` (64 hex).
        digest: Option<(&'static str, &'a Node)>,
    },
    /// `image: repo:tag@digest` in values or manifests (placeholders such
    /// as Helm template text are left out).
    Str { text: &'a str },
}

/// Keys that hold an image: `image`, and `<something>Image`
/// (`configReloaderImage`, `initImage`, `metricsExporterImage`).
fn image_key(k: &str) -> bool {
    k == "image" || (k.len() > 5 && k.ends_with("Image"))
}

/// A string that can be an image reference: no spaces, the characters of
/// `registry:port/path/name:tag@sha256:hex`.
fn looks_like_image(s: &str) -> bool {
    let duration = s.trim_end_matches(char::is_alphabetic);
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b':' | b'@' | b'-' | b'_'))
        // `24h`: a duration under a key that happens to be `image`.
        && !(duration.len() < s.len() && !duration.is_empty() && duration.bytes().all(|b| b.is_ascii_digit()))
}

/// Every image of an app: `image`/`*Image` maps and strings at any depth
/// of the values (parts switched off with `enabled: false` left out) and
/// of every manifest, custom resources included.
pub fn images<'a>(values: &'a Node, manifests: &'a [Node]) -> Vec<Image<'a>> {
    let mut out: Vec<Image<'a>> = Vec::new();
    // The fields of an image map (`image.image` in ingress-nginx) are not
    // images of their own. The walk visits a map before its children, so
    // its image maps are known by then.
    let mut image_maps: std::collections::HashSet<*const Node> = Default::default();
    let mut found = |path: &str, m: &'a Node| {
        if image_maps.contains(&(m as *const Node)) {
            return;
        }
        let Some(map) = m.as_map() else { return };
        for (k, e) in map.iter() {
            if !image_key(k) {
                continue;
            }
            let img = &e.node;
            let path = format!("{path}.{k}");
            match &img.value {
                Value::Map(_) => {
                    if disabled(img) {
                        continue;
                    }
                    let repository = ["repository", "image", "name"]
                        .iter()
                        .find_map(|f| img.get(f).filter(|n| n.as_str().is_some()));
                    let tag = img.get("tag");
                    let digest = img
                        .get("digest")
                        .map(|d| ("digest", d))
                        .or_else(|| img.get("sha").map(|d| ("sha", d)));
                    if repository.is_none() && tag.is_none() && digest.is_none() {
                        continue;
                    }
                    image_maps.insert(img as *const Node);
                    let repo = repository.and_then(Node::as_str).unwrap_or("");
                    let name = match img.get("registry").and_then(Node::as_str) {
                        Some(r) if !r.is_empty() && !repo.is_empty() => format!("{r}/{repo}"),
                        _ if !repo.is_empty() => repo.to_string(),
                        _ => path.trim_start_matches("app.").to_string(),
                    };
                    out.push(Image {
                        node: img,
                        path,
                        name,
                        form: ImageForm::Map {
                            repository,
                            tag,
                            digest,
                        },
                    });
                }
                Value::Str(s) => {
                    let s = s.trim();
                    if is_placeholder(s) || !looks_like_image(s) {
                        continue;
                    }
                    out.push(Image {
                        node: img,
                        path,
                        name: s.to_string(),
                        form: ImageForm::Str { text: s },
                    });
                }
                _ => {}
            }
        }
    };
    walk_maps(values, &mut found);
    for (i, obj) in manifests.iter().enumerate() {
        walk_maps_at(obj, &format!("app.manifests.{i}"), &mut found);
    }
    out
}

/// An integer, also when written as a string (`"3"`).
pub fn int(node: &Node) -> Option<i64> {
    match &node.value {
        Value::Int(i) => Some(*i),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_at_the_right_colon() {
        let r = parse_image("registry:5000/team/app:1.2.3@sha256:abc");
        assert_eq!(r.name, "registry:5000/team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2.3"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
        let r = parse_image("registry:5000/app");
        assert_eq!((r.tag, r.digest), (None, None));
        assert_eq!(parse_image("nginx:latest").tag.as_deref(), Some("latest"));
        assert!(valid_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!valid_digest("sha256:abc"));
    }
}
