//! NX102: an image is not pinned by digest.

use super::prelude::*;
use crate::lint::workload::{Image, is_placeholder, parse_image, valid_digest};

pub const RULE: Rule = Rule {
    code: "NX102",
    name: "image-without-digest",
    summary: "image not pinned by digest",
    default: DefaultSeverity::PROTECTED_ONLY,
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Checks every image in the app's Helm values and in the containers of
`app.manifests` for a content digest: `image.digest: sha256:<64 hex>` in
values, or `repository@sha256:...` in an image string. A digest that is
not `sha256:` plus 64 hex digits is reported too. By default the rule is
on in protected environments only.

## Why is this bad?
A tag is a name that can be moved: a re-pushed `1.7.2` changes what
production runs with no commit here. A digest names exactly one image,
so what was reviewed is what runs, and a compromised registry cannot
swap it.

## Example
```yaml
# environments/prod/apps/api.yaml
app:
  values:
    image: {repository: ghcr.io/acme/api, tag: 1.7.2}
```
Use instead:
```yaml
app:
  values:
    image:
      repository: ghcr.io/acme/api
      tag: 1.7.2
      digest: sha256:3929bc09ccf3effc684791bdfd8befa45d5ca1a5e090990d4dda4c22179d09e0
```
"#;

fn check(cx: &AppCx, out: &mut Sink) {
    let hint = "pin the image by digest: `digest: sha256:<64 hex>` (or `image@sha256:...`)";
    for img in workload::images(cx.app.values(), &cx.app.manifests) {
        match img {
            Image::Map {
                node,
                path,
                digest,
                repository,
                tag,
            } => {
                let repo = repository.and_then(Node::as_str).unwrap_or("");
                if is_placeholder(repo) || tag.and_then(Node::as_str).is_some_and(is_placeholder) {
                    continue;
                }
                let in_repo = parse_image(repo).digest;
                match (digest, in_repo) {
                    (_, Some(d)) if valid_digest(&d) => {}
                    (Some(d), _) => match d.as_str() {
                        Some(s) if is_placeholder(s) || valid_digest(s.trim()) => {}
                        Some(s) if !s.trim().is_empty() => out.push(
                            finding(
                                format!("image digest `{s}` is not `sha256:` and 64 hex digits"),
                                format!("{path}.digest"),
                                cx.at(d),
                            )
                            .with_hint(hint),
                        ),
                        _ => out.push(
                            finding(
                                "image is not pinned by digest (`digest` is empty)",
                                format!("{path}.digest"),
                                cx.at(d),
                            )
                            .with_hint(hint),
                        ),
                    },
                    (None, _) => out.push(
                        finding(
                            "image is not pinned by digest",
                            format!("{path}.digest"),
                            cx.missing(Some(node)),
                        )
                        .with_hint(hint),
                    ),
                }
            }
            Image::Str {
                node,
                path,
                text: s,
            } => match parse_image(s).digest {
                Some(d) if valid_digest(&d) => {}
                Some(d) => out.push(
                    finding(
                        format!("image digest `{d}` is not `sha256:` and 64 hex digits"),
                        path,
                        cx.at(node),
                    )
                    .with_hint(hint),
                ),
                None => out.push(
                    finding(
                        format!("image `{s}` is not pinned by digest"),
                        path,
                        cx.at(node),
                    )
                    .with_hint(hint),
                ),
            },
        }
    }
}
