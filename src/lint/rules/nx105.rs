//! NX105: a secret-looking key holds a literal value.

use super::prelude::*;
use crate::error::Mask;
use crate::secrets::{is_secret_key, names_in, names_secret_keys};

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
Looks through the app's Helm values (the chart's own `values.yaml` under
them, for a chart in this repository) and `app.manifests` for keys that
hold a secret (`password`, `passwd`, `secret`, `token`, `apiKey`,
`privateKey`, `secretKey`, `clientSecret`, `credentials` ...) set to a
literal value, for `{name: DB_PASSWORD, value: ...}` environment entries
with a literal value, and for `data`/`stringData` of a `Secret` object.
The value is never printed.

Names of secrets and of their keys are not secrets, and are left alone,
as real charts write them: `existingSecret`, `secretName`, `*Ref`,
`passwordKey` and Bitnami's `auth.secretKeys.adminPasswordKey:
postgres-password`, `kubeconfigSecret: my-kubeconfig`,
`initdbScriptsSecret: db-init`, `clusterSecretKey: cluster`, an External
Secrets `secretKey` (beside its `remoteRef`, or anywhere in an
`ExternalSecret`), `secretStore`/`secretStoreRef`, a `{name, key}`
reference map, settings about a secret (`passwordFile`, `tokenTTL`,
`argocdServerAdminPasswordMtime`) and parts switched off with `enabled:
false`. So are values that are not secrets: a reference or template
(`{{ ... }}`, `${VAR}`, `$(VAR)`, `<path:...>`, `ref+...`), encrypted
data (SOPS `ENC[...]`, a `SealedSecret`, sealed ciphertext), a password
hash (bcrypt `$2a$...` as Argo CD's admin password, `$6$`, htpasswd
lines), a placeholder (`<YOUR_API_KEY>`, `your_key_here`, `changeme`,
`****`), an empty string, `null` or a boolean.

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

/// Is this scalar a literal secret string (not a reference, not encrypted,
/// not a placeholder or a hash)?
fn literal(n: &Node) -> bool {
    match &n.value {
        Value::Str(s) => {
            let t = s.trim();
            !(t.is_empty()
                || t.contains("{{")
                || t.starts_with("ENC[")
                || t.starts_with("<path:")
                || t.starts_with("ref+")
                || (t.starts_with("${") && t.ends_with('}'))
                || (t.starts_with("$(") && t.ends_with(')'))
                || placeholder(t)
                || password_hash(t)
                || sealed(t)
                || empty_pem(t)
                // `e`, `h`: a stand-in, not a secret.
                || t.chars().count() < 3)
        }
        _ => false,
    }
}

/// `<YOUR_API_KEY>`, `your_key_here`, `changeme`, `********`: text that
/// stands for a value to fill in, not a value.
fn placeholder(t: &str) -> bool {
    let l = t.to_ascii_lowercase();
    let words: String = l.chars().filter(char::is_ascii_alphanumeric).collect();
    (t.starts_with('<') && t.ends_with('>') && t.len() > 2)
        || (t.len() >= 3 && t.chars().all(|c| c == '*' || c == 'x' || c == 'X'))
        || words.starts_with("your")
        || words.starts_with("putyour")
        || words.starts_with("insertyour")
        || words.starts_with("enteryour")
        || (words.ends_with("here") && words.len() > 4 && l.contains(['_', '-', ' ']))
        || matches!(
            words.as_str(),
            "changeme" | "replaceme" | "changeit" | "placeholder" | "redacted" | "todo" | "tbd"
        )
}

/// A password hash (`$2a$10$...` bcrypt as Argo CD's `admin.password`,
/// `$6$` sha512-crypt, `$apr1$`/`{SHA}` htpasswd entries, argon2): a
/// hash is what is meant to be stored.
fn password_hash(t: &str) -> bool {
    let hashed = |s: &str| {
        [
            "$2a$", "$2b$", "$2y$", "$2x$", "$5$", "$6$", "$apr1$", "$argon2", "$y$", "{SHA}",
            "{SSHA}",
        ]
        .iter()
        .any(|p| s.starts_with(p))
    };
    hashed(t)
        || t.lines().all(|l| {
            l.split_once(':')
                .is_some_and(|(user, h)| !user.is_empty() && hashed(h))
        })
}

/// A PEM block with nothing between its `BEGIN` and `END` lines.
fn empty_pem(t: &str) -> bool {
    let lines: Vec<&str> = t.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.len() == 2 && lines[0].starts_with("-----BEGIN ") && lines[1].starts_with("-----END ")
}

/// Sealed Secrets ciphertext (`AgB...`, long base64).
fn sealed(t: &str) -> bool {
    t.len() >= 200
        && t.starts_with("Ag")
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// A reference to a key of a Secret: `{name: db, key: password}`
/// (`additionalScrapeConfigsSecret`, `secretKeyRef`-like maps).
fn reference_map(node: &Node) -> bool {
    const REF_KEYS: &[&str] = &[
        "name",
        "key",
        "optional",
        "enabled",
        "namespace",
        "kind",
        "property",
        "secretName",
        "secretKey",
    ];
    node.as_map().is_some_and(|m| {
        (m.contains_key("name") || m.contains_key("secretName"))
            && m.keys().all(|k| REF_KEYS.contains(&k.as_str()))
    })
}

/// Keys that name secrets rather than hold them (`imagePullSecrets: [ghcr]`).
fn names_secrets(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("pullsecret") || k.ends_with("secrets")
}

const HINT: &str = "reference a Secret instead (`existingSecret`, `valueFrom.secretKeyRef`) or encrypt the value with SOPS";

/// What the walk knows about where it is.
#[derive(Clone, Copy)]
struct Walk<'a> {
    /// Below a secret-looking key.
    secret_parent: bool,
    /// The `kind` of the manifest being walked (none in values).
    kind: &'a str,
}

fn walk(cx: &AppCx, out: &mut Sink, node: &Node, path: &mut String, w: Walk) {
    let secret_parent = w.secret_parent;
    match &node.value {
        Value::Map(m) => {
            // A part of the chart switched off.
            if workload::disabled(node) {
                return;
            }
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
                // annotation, not a secret field; an External Secrets
                // `secretKey` names the key to create.
                // (Asked only of secret-looking keys: this runs for every
                // key of every document.)
                let secret = is_secret_key(k)
                    && !(names_secrets(k)
                        || k.contains('/')
                        || names_in(|h| node.get(h).is_some(), k)
                        || (names_secret_keys(w.kind) && k == "secretKey"));
                match &e.node.value {
                    Value::Map(_) if reference_map(&e.node) => {}
                    Value::Map(_) | Value::Seq(_) => walk(
                        cx,
                        out,
                        &e.node,
                        path,
                        Walk {
                            secret_parent: secret,
                            ..w
                        },
                    ),
                    _ if (secret
                        || secret_parent && is_secret_key_soft(k) && !describes_a_secret(node))
                        && literal_for(k, &e.node)
                        && !names_by_value(k, &e.node) =>
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
                    walk(cx, out, item, path, w);
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// A map that describes a Secret object rather than holding secrets
/// (`secret: {create: true, name: "", key: snykApiToken}`): its `key` is
/// the name of a key.
fn describes_a_secret(map: &Node) -> bool {
    ["name", "create", "existingSecret", "secretName"]
        .iter()
        .any(|k| map.get(k).is_some())
}

/// What a Kubernetes name or a key of a Secret looks like: lower case
/// letters, digits, `-`, `.` and `_`, up to 253 characters
/// (`backstage-postgresql-initdb`, `credentials.json`, `key-password`).
fn name_like(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_')
        })
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Stems of `<stem>Secret` keys that hold the secret itself (an OAuth
/// `clientSecret`, Argo CD's `githubSecret` webhook secret, a
/// `jwtSecret`), however the value looks.
const HOLDING_SECRET_STEMS: &[&str] = &[
    "client",
    "jwt",
    "cookie",
    "webhook",
    "shared",
    "session",
    "app",
    "api",
    "hmac",
    "signing",
    "encryption",
    "consumer",
    "master",
    "root",
    "github",
    "gitlab",
    "bitbucket",
    "bitbucketserver",
    "gogs",
    "azuredevops",
    "slack",
    "hook",
    "csrf",
    "auth0",
];

/// Stems of `<stem>SecretKey` keys that are cloud key material
/// (`awsSecretKey`), not the name of a key in a Secret.
const CLOUD_STEMS: &[&str] = &[
    "aws", "s3", "minio", "gcs", "oss", "cos", "storage", "bucket", "cloud", "spaces", "r2", "b2",
];

/// A key of the form `<stem>Secret`, `<stem>SecretKey` or
/// `<stem>Secret<what>Key` whose value is a name
/// (`initdbScriptsSecret: backstage-postgresql-initdb`,
/// `clusterSecretKey: cluster`, `passwordsSecretKeystoreKey:
/// keystore-password`): the name of a Secret or of one of its keys, unless
/// the stem says the key holds the secret itself.
fn names_by_value(key: &str, value: &Node) -> bool {
    let Some(text) = value.as_str() else {
        return false;
    };
    let k: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let ends = |stem: &str, list: &[&str]| list.iter().any(|w| stem.ends_with(w));
    let named = if let Some(stem) = k.strip_suffix("secretkey") {
        !stem.is_empty() && !ends(stem, CLOUD_STEMS)
    } else if let Some(at) = k.rfind("secret").filter(|&i| i > 0 && k.ends_with("key")) {
        // `passwordsSecretKeystoreKey`: a key of the `passwordsSecret`.
        !ends(&k[..at], CLOUD_STEMS)
    } else if let Some(stem) = k.strip_suffix("secret") {
        !stem.is_empty() && !ends(stem, HOLDING_SECRET_STEMS)
    } else {
        false
    };
    named && name_like(text)
}

/// Below a secret-looking key (`credentials: {user: ..., key: ...}`), keys
/// that hold key material count too.
fn is_secret_key_soft(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    matches!(k.as_str(), "key" | "value" | "pass" | "cert" | "tls.key")
}

fn check(cx: &AppCx, out: &mut Sink) {
    let mut path = "app.values".to_string();
    let top = Walk {
        secret_parent: false,
        kind: "",
    };
    walk(cx, out, cx.values(), &mut path, top);
    for (i, obj) in cx.app.manifests.iter().enumerate() {
        let kind = obj.get("kind").and_then(Node::as_str).unwrap_or("");
        // Encrypted for the cluster's key: nothing readable here.
        if kind == "SealedSecret" {
            continue;
        }
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
        walk(cx, out, obj, &mut path, Walk { kind, ..top });
    }
}
