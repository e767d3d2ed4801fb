//! NX105: a secret-looking key holds a literal value.

use super::prelude::*;
use crate::error::Mask;
use crate::secrets::is_secret_key;

pub const RULE: Rule = Rule {
    code: "NX105",
    name: "literal-secret",
    summary: "secret-looking key holds a literal value (not a reference, not encrypted)",
    default: DefaultSeverity::Always(Severity::Error),
    doc: DOC,
    check: Check::App(check),
};

const DOC: &str = r#"
## What it does
Looks through the app's Helm values and `app.manifests` for keys that
name a secret (`password`, `passwd`, `secret`, `token`, `apiKey`,
`api_key`, `privateKey`, `credentials` ...) holding a literal value, for
`{name: DB_PASSWORD, value: ...}` environment entries with a literal
value, and for `data`/`stringData` of a `Secret` object. A value is fine
when it is a reference or cannot be read: `existingSecret`,
`secretKeyRef`, `valueFrom`, a `{{ ... }}` template left for the chart, a
SOPS `ENC[...]` value, a `<path:...>` or `ref+...` placeholder, an empty
string, `null` or a boolean. The value is never printed.

## Why is this bad?
Everything in this repository is copied to every clone, CI log and
rendered `deploy/` file, forever: git history does not forget. A secret
committed once has to be rotated.

## Example
```yaml
app:
  values:
    auth:
      password: hunter2
```
Use instead:
```yaml
app:
  values:
    auth:
      existingSecret: postgres-credentials   # created by External Secrets / SOPS
```
"#;

/// Is this scalar a literal secret (not a reference, not encrypted)?
/// Numbers count only under keys that end in a secret word (`pin:` no,
/// `dbPassword: 1234` yes), so `tokenTTL: 3600` is left alone.
fn literal_for(key: &str, n: &Node) -> bool {
    match &n.value {
        Value::Int(_) | Value::Float(_) => {
            let k: String = key
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            [
                "password",
                "passwd",
                "pwd",
                "token",
                "secret",
                "apikey",
                "passphrase",
            ]
            .iter()
            .any(|w| k.ends_with(w))
        }
        _ => literal(n),
    }
}

/// Is this scalar a literal secret string (not a reference, not encrypted)?
fn literal(n: &Node) -> bool {
    match &n.value {
        Value::Str(s) => {
            let t = s.trim();
            !(t.is_empty()
                || t.contains("{{")
                || t.starts_with("ENC[")
                || t.starts_with("<path:")
                || t.starts_with("ref+")
                || (t.starts_with("${") && t.ends_with('}')))
        }
        _ => false,
    }
}

/// Keys that name secrets rather than hold them (`imagePullSecrets: [ghcr]`).
fn names_secrets(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("pullsecret") || k.ends_with("secrets")
}

const HINT: &str = "reference a Secret instead (`existingSecret`, `valueFrom.secretKeyRef`) or encrypt the value with SOPS";

fn walk(cx: &AppCx, out: &mut Sink, node: &Node, path: &mut String, secret_parent: bool) {
    match &node.value {
        Value::Map(m) => {
            // {name: SOME_PASSWORD, value: literal}
            if let (Some(name), Some(value)) = (m.get("name"), m.get("value"))
                && name.node.as_str().is_some_and(is_secret_key)
                && literal(&value.node)
            {
                out.push(
                    finding(
                        format!(
                            "`{}` is set to a literal value",
                            name.node.as_str().unwrap_or("")
                        ),
                        format!("{path}.value"),
                        cx.at(&value.node),
                    )
                    .with_hint(HINT)
                    .with_mask(Mask::Value),
                );
            }
            for (k, e) in m.iter() {
                if matches!(k.as_str(), "valueFrom" | "secretKeyRef" | "secretRef") {
                    continue;
                }
                let len = path.len();
                path.push('.');
                path.push_str(k);
                // `vault.hashicorp.com/agent-inject-secret-db` names an
                // annotation, not a secret field.
                let secret = is_secret_key(k) && !names_secrets(k) && !k.contains('/');
                match &e.node.value {
                    Value::Map(_) | Value::Seq(_) => walk(cx, out, &e.node, path, secret),
                    _ if (secret || secret_parent && !k.is_empty() && is_secret_key_soft(k))
                        && literal_for(k, &e.node) =>
                    {
                        out.push(
                            finding(
                                format!("`{k}` holds a literal secret value"),
                                path.clone(),
                                cx.at(&e.node),
                            )
                            .with_hint(HINT)
                            .with_mask(Mask::Value),
                        );
                    }
                    _ => {}
                }
                path.truncate(len);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!(".{i}"));
                if secret_parent && item.as_map().is_none() && item.as_seq().is_none() {
                    if literal(item) {
                        out.push(
                            finding(
                                "a secret list holds a literal value",
                                path.clone(),
                                cx.at(item),
                            )
                            .with_hint(HINT)
                            .with_mask(Mask::Value),
                        );
                    }
                } else {
                    walk(cx, out, item, path, secret_parent);
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Below a secret-looking key (`credentials: {user: ..., key: ...}`), keys
/// that hold key material count too.
fn is_secret_key_soft(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    matches!(k.as_str(), "key" | "value" | "pass" | "cert" | "tls.key")
}

fn check(cx: &AppCx, out: &mut Sink) {
    let mut path = "app.values".to_string();
    walk(cx, out, cx.app.values(), &mut path, false);
    for (i, obj) in cx.app.manifests.iter().enumerate() {
        let kind = obj.get("kind").and_then(Node::as_str).unwrap_or("");
        if kind == "Secret" {
            for part in ["data", "stringData"] {
                if let Some(m) = obj.get(part).and_then(Node::as_map) {
                    for (k, e) in m {
                        if literal(&e.node) {
                            out.push(
                                finding(
                                    format!("Secret `{}` holds a literal value for `{k}`", obj.get_path("metadata.name").and_then(Node::as_str).unwrap_or("?")),
                                    format!("app.manifests.{i}.{part}.{k}"),
                                    cx.at(&e.node),
                                )
                                .with_hint("commit a SealedSecret, an ExternalSecret or a SOPS-encrypted file instead of a plain Secret")
                                .with_mask(Mask::Value),
                            );
                        }
                    }
                }
            }
            continue;
        }
        let mut path = format!("app.manifests.{i}");
        walk(cx, out, obj, &mut path, false);
    }
}
