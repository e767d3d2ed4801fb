//! NX101: an image tag is missing or `latest`.

use super::prelude::*;
use crate::lint::workload::{self, ImageForm, is_placeholder, parse_image};

pub const RULE: Rule = Rule {
    code: "NX101",
    name: "image-tag-latest",
    summary: "image tag missing or `latest`",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks every image of the app: `image` and `<something>Image` keys at any
depth of the Helm values (the chart's own `values.yaml` under them, for a
chart in this repository) and of every object in `app.manifests`, custom
resources included (an OpenTelemetry `Instrumentation`'s
`spec.java.image`). An image written as a string needs a tag other than
`latest` (no tag means `latest`) unless it is pinned by digest. In the map
form charts use (`{registry, repository, tag, digest}`, `image.image` in
ingress-nginx, `sha` in kube-prometheus-stack) `tag: latest` is reported,
and an empty or missing tag is not: the chart then uses its
`appVersion`, which the chart version pins (`helm create`'s default, and
Bitnami's `{registry, repository}` images).

## Why is this bad?
`latest`, or no tag (which means `latest`), is whatever was pushed last.
Two nodes can run different code under the same Deployment, a restart
can upgrade silently, and there is no way back to "the version before".

## Example
```yaml
app:
  values:
    image: {repository: ghcr.io/acme/api, tag: latest}
```
Use instead:
```yaml
app:
  values:
    image: {repository: ghcr.io/acme/api, tag: 1.7.2}
```
"#;

fn bad_tag(tag: &str) -> bool {
    tag.trim().eq_ignore_ascii_case("latest")
}

fn check(cx: &AppCx, out: &mut Sink) {
    let hint = "set an explicit version tag (or pin a digest)";
    for img in workload::images(cx.values(), &cx.app.manifests) {
        let name = &img.name;
        match img.form {
            ImageForm::Map {
                repository, tag, ..
            } => {
                let repo = repository.and_then(Node::as_str).unwrap_or("");
                if is_placeholder(repo) {
                    continue;
                }
                // A tag written into the repository (`nginx:latest`).
                let in_repo = parse_image(repo).tag;
                if let Some(t) = in_repo.as_deref().filter(|t| bad_tag(t)) {
                    out.push(
                        finding(
                            format!("image `{name}` uses the tag `{t}`"),
                            format!("{}.repository", img.path),
                            cx.at(repository.unwrap_or(img.node)),
                        )
                        .with_hint(hint),
                    );
                    continue;
                }
                // An empty, null or missing tag is the chart's appVersion,
                // pinned by the chart version: fine.
                if let Some(t) = tag
                    && let Some(s) = t.as_str()
                    && !is_placeholder(s)
                    && bad_tag(s)
                {
                    out.push(
                        finding(
                            format!("image `{name}` uses the tag `latest`"),
                            format!("{}.tag", img.path),
                            cx.at(t),
                        )
                        .with_hint(hint),
                    );
                }
            }
            ImageForm::Str { text } => {
                let r = parse_image(text);
                match r.tag.as_deref() {
                    Some(t) if bad_tag(t) => out.push(
                        finding(
                            format!("image `{text}` uses the tag `latest`"),
                            img.path,
                            cx.at(img.node),
                        )
                        .with_hint(hint),
                    ),
                    None if r.digest.is_none() => out.push(
                        finding(
                            format!("image `{text}` has no tag (that means `latest`)"),
                            img.path,
                            cx.at(img.node),
                        )
                        .with_hint(hint),
                    ),
                    _ => {}
                }
            }
        }
    }
}
