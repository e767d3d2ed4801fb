//! NX102: an image is not pinned by digest.

use super::prelude::*;
use crate::lint::workload::{
    self, ImageForm, is_placeholder, parse_image, valid_digest, valid_sha,
};

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
Checks every image of the app (the same images as NX101: `image` and
`<something>Image` keys in the values and in every manifest, custom
resources included) for a content digest: `digest: sha256:<64 hex>` (or
kube-prometheus-stack's `sha: <64 hex>`) in an image map, or
`repository@sha256:...` in an image string. Each image gets its own
finding. A digest that is not well formed is reported too. By default
the rule is on in protected environments only.

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
    for img in workload::images(cx.values(), &cx.app.manifests) {
        let name = &img.name;
        match img.form {
            ImageForm::Map {
                repository,
                tag,
                digest,
            } => {
                let repo = repository.and_then(Node::as_str).unwrap_or("");
                if is_placeholder(repo) || tag.and_then(Node::as_str).is_some_and(is_placeholder) {
                    continue;
                }
                if parse_image(repo).digest.is_some_and(|d| valid_digest(&d)) {
                    continue;
                }
                match digest {
                    Some((field, d)) => match d.as_str().map(str::trim) {
                        Some(s) if is_placeholder(s) => {}
                        Some(s) if field == "sha" && valid_sha(s) => {}
                        Some(s) if field == "digest" && valid_digest(s) => {}
                        Some(s) if !s.is_empty() => out.push(
                            finding(
                                format!(
                                    "image `{name}`: `{field}: {s}` is not {}",
                                    if field == "sha" {
                                        "64 hex digits"
                                    } else {
                                        "`sha256:` and 64 hex digits"
                                    }
                                ),
                                format!("{}.{field}", img.path),
                                cx.at(d),
                            )
                            .with_hint(hint),
                        ),
                        _ => out.push(
                            finding(
                                format!(
                                    "image `{name}` is not pinned by digest (`{field}` is empty)"
                                ),
                                format!("{}.{field}", img.path),
                                cx.at(d),
                            )
                            .with_hint(hint),
                        ),
                    },
                    None => out.push(
                        finding(
                            format!("image `{name}` is not pinned by digest"),
                            format!("{}.digest", img.path),
                            cx.missing(Some(img.node)),
                        )
                        .with_hint(hint),
                    ),
                }
            }
            ImageForm::Str { text } => match parse_image(text).digest {
                Some(d) if valid_digest(&d) => {}
                Some(d) => out.push(
                    finding(
                        format!("image `{text}`: digest `{d}` is not `sha256:` and 64 hex digits"),
                        img.path,
                        cx.at(img.node),
                    )
                    .with_hint(hint),
                ),
                None => out.push(
                    finding(
                        format!("image `{text}` is not pinned by digest"),
                        img.path,
                        cx.at(img.node),
                    )
                    .with_hint(hint),
                ),
            },
        }
    }
}
