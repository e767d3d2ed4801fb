//! NX101: an image tag is missing or `latest`.

use super::prelude::*;
use crate::lint::workload::{Image, is_placeholder, parse_image};

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
Checks every image in the app's Helm values (`image` as a map with
`repository`/`tag`/`digest`, or as a string, at any depth) and in the
containers of `app.manifests`: it needs a tag other than `latest`, unless
it is pinned by digest.

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
    for img in workload::images(cx.app.values(), &cx.app.manifests) {
        match img {
            Image::Map {
                node,
                path,
                tag,
                digest,
                repository,
            } => {
                let repo = repository.and_then(Node::as_str).unwrap_or("");
                if repo.contains("{{") {
                    continue;
                }
                let in_repo = parse_image(repo);
                let has_digest = digest
                    .and_then(Node::as_str)
                    .is_some_and(|d| !d.trim().is_empty())
                    || in_repo.digest.is_some();
                match tag {
                    Some(t) => match &t.value {
                        Value::Str(s) if is_placeholder(s) => {}
                        Value::Str(s) if bad_tag(s) => out.push(
                            finding("image tag is `latest`", format!("{path}.tag"), cx.at(t))
                                .with_hint(hint),
                        ),
                        Value::Str(s)
                            if s.trim().is_empty() && !has_digest && in_repo.tag.is_none() =>
                        {
                            out.push(
                                finding("image tag is empty", format!("{path}.tag"), cx.at(t))
                                    .with_hint(hint),
                            )
                        }
                        Value::Null if !has_digest && in_repo.tag.is_none() => out.push(
                            finding("image tag is unset (null)", format!("{path}.tag"), cx.at(t))
                                .with_hint(hint),
                        ),
                        _ => {}
                    },
                    None => {
                        if let Some(t) = in_repo.tag.as_deref() {
                            if bad_tag(t) {
                                let r = repository.unwrap_or(node);
                                out.push(
                                    finding(
                                        "image tag is `latest`",
                                        format!("{path}.repository"),
                                        cx.at(r),
                                    )
                                    .with_hint(hint),
                                );
                            }
                        } else if !has_digest {
                            out.push(
                                finding(
                                    "image has no tag",
                                    format!("{path}.tag"),
                                    cx.missing(Some(node)),
                                )
                                .with_hint(hint),
                            );
                        }
                    }
                }
            }
            Image::Str {
                node,
                path,
                text: s,
            } => {
                let r = parse_image(s);
                match r.tag.as_deref() {
                    Some(t) if bad_tag(t) => out.push(
                        finding(
                            format!("image `{s}` uses the tag `latest`"),
                            path,
                            cx.at(node),
                        )
                        .with_hint(hint),
                    ),
                    None if r.digest.is_none() => out.push(
                        finding(
                            format!("image `{s}` has no tag (that means `latest`)"),
                            path,
                            cx.at(node),
                        )
                        .with_hint(hint),
                    ),
                    _ => {}
                }
            }
        }
    }
}
