//! Secret hygiene: which keys look secret, and masking their values
//! wherever nexus prints text (plans, diffs, error excerpts, messages).

/// Key name fragments that mark a value as secret (case-insensitive, with
/// `_`/`-` ignored): `password`, `db_passwd`, `apiKey`, `client-secret` ...
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "credential",
    "accesskey",
    "secretkey",
    "passphrase",
    "connectionstring",
    "dsn",
    "encryptionkey",
    "signingkey",
];

/// Key names that contain a secret word but hold a reference, not a value.
const REFERENCE_KEYS: &[&str] = &[
    "existingsecret",
    "secretname",
    "secretref",
    "secretkeyref",
    "existingsecretpasswordkey",
    "passwordkey",
    "tokenkey",
    "usesecret",
    "secretsname",
    "secretproviderclass",
    "serviceaccounttoken",
    "automountserviceaccounttoken",
    "tokenrequest",
];

/// Endings that make a key with a secret word describe the secret rather
/// than hold it: its name, where it is (`passwordFile`, `secretPath`,
/// `secretStore`), when it changed (`argocdServerAdminPasswordMtime`),
/// settings about it (`tokenTTL`, `passwordPolicy`).
const DESCRIBING_ENDINGS: &[&str] = &[
    "ref",
    "refs",
    "name",
    "names",
    "store",
    "stores",
    "class",
    "classname",
    "path",
    "paths",
    "file",
    "files",
    "filename",
    "dir",
    "mount",
    "mountpath",
    "mtime",
    "time",
    "ttl",
    "expiry",
    "expiration",
    "length",
    "policy",
    "enabled",
    "mode",
    "type",
    "format",
    "version",
    "rotation",
    "duration",
    "interval",
    "annotations",
    "labels",
    "header",
    "field",
    "property",
    "selector",
    "provider",
    "template",
    "url",
    "uri",
    "endpoint",
    "issuer",
    "audience",
    "prefix",
    "suffix",
    "alg",
    "algorithm",
    "config",
];

/// What is kept in a Secret when a key is `<thing>Secret`: such a key
/// holds the Secret's name (`kubeconfigSecret: my-kubeconfig`,
/// `tlsSecret: api-tls`), unlike `clientSecret` or `jwtSecret`, which
/// hold the secret itself.
const STORED_IN_SECRETS: &[&str] = &[
    "kubeconfig",
    "tls",
    "cert",
    "certificate",
    "certificates",
    "ca",
    "credentials",
    "credential",
    "password",
    "passwords",
    "token",
    "auth",
    "basicauth",
    "config",
    "configuration",
    "env",
    "ssh",
    "sshkey",
    "registry",
    "docker",
    "dockerconfig",
    "imagepull",
    "gpg",
    "keystore",
    "truststore",
    "license",
    "htpasswd",
    "smtp",
    "oauth",
    "oidc",
    "ldap",
    "s3",
    "gcs",
    "azure",
    "storage",
    "objectstorage",
    "bucket",
    "admin",
    "user",
    "users",
    "database",
    "db",
];

/// Secret words that end in `key`: `apiKey` holds a key; `passwordKey`
/// names the key of a Secret that holds the password.
const KEY_WORDS: &[&str] = &[
    "api",
    "access",
    "private",
    "secret",
    "ssh",
    "encryption",
    "signing",
];

fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-' && *c != '.')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Does a key with this name look like it holds a secret?
pub fn is_secret_key(key: &str) -> bool {
    // Lint asks this of every key of every rendered document: short ASCII
    // keys (nearly all) are normalised on the stack.
    let mut buf = [0u8; 48];
    if key.len() <= buf.len() && key.is_ascii() {
        let mut n = 0;
        for b in key.bytes().filter(|b| !matches!(b, b'_' | b'-' | b'.')) {
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
        return is_secret_normalised(&buf[..n]);
    }
    is_secret_normalised(normalise(key).as_bytes())
}

fn is_secret_normalised(k: &[u8]) -> bool {
    let contains = |word: &str| k.windows(word.len()).any(|w| w == word.as_bytes());
    if !SECRET_WORDS.iter().any(|w| contains(w)) {
        return false;
    }
    if REFERENCE_KEYS.iter().any(|r| r.as_bytes() == k)
        || k.starts_with(b"existing")
        || k.starts_with(b"use")
        || k.starts_with(b"create")
        || k.starts_with(b"enable")
        || k.starts_with(b"generate")
        || DESCRIBING_ENDINGS.iter().any(|e| k.ends_with(e.as_bytes()))
    {
        return false;
    }
    // `adminPasswordKey`, `userPasswordKey`, `secretKeys`: the name of a
    // key in a Secret. `apiKey`, `accessKey`, `secretKey`: key material.
    for suffix in [&b"keys"[..], b"key"] {
        if let Some(stem) = k.strip_suffix(suffix) {
            let names_key = SECRET_WORDS.iter().any(|w| stem.ends_with(w.as_bytes()))
                && !KEY_WORDS.iter().any(|w| stem.ends_with(w.as_bytes()));
            if names_key || (suffix == b"keys" && stem == b"secret") {
                return false;
            }
        }
    }
    // `kubeconfigSecret`, `tlsSecret`: the name of a Secret.
    if let Some(stem) = k.strip_suffix(b"secret")
        && STORED_IN_SECRETS.iter().any(|w| w.as_bytes() == stem)
    {
        return false;
    }
    true
}

/// Whether `key`, in a map that has the keys `holder_has` says it has,
/// names a secret rather than holds one, though its name alone says
/// secret: an External Secrets entry's `secretKey` (beside its
/// `remoteRef`) is the key to create in the Secret.
pub fn names_in(holder_has: impl Fn(&str) -> bool, key: &str) -> bool {
    // `secretKey`, `secret_key`, `SECRET-KEY` ..., compared without
    // allocating.
    key.bytes()
        .filter(|c| !matches!(c, b'_' | b'-' | b'.'))
        .map(|c| c.to_ascii_lowercase())
        .eq(b"secretkey".iter().copied())
        && (holder_has("remoteRef") || holder_has("remoteKey") || holder_has("match"))
}

/// Kinds whose every `secretKey` names a key of a Secret they manage
/// (External Secrets).
pub fn names_secret_keys(kind: &str) -> bool {
    matches!(
        kind,
        "ExternalSecret" | "ClusterExternalSecret" | "PushSecret"
    )
}

/// The mask printed instead of a secret value.
pub const MASK: &str = "***";

/// Mask the values of secret-looking keys on a source line: block style
/// (`  password: hunter2`) and flow style (`{user: x, password: hunter2}`).
pub fn mask_line(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        // A `:` followed by a space or the end of the line ends a key.
        if b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' ' || b[i + 1] == b'\t') {
            let key_start = line[..i]
                .rfind(['{', ',', '[', ' ', '\t'])
                .map_or(0, |k| k + 1);
            let key = line[key_start..i].trim().trim_matches(['"', '\'']);
            let mut j = i + 1;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            // Maps, lists and block scalar headers hold no value here.
            let rest = &line[j..];
            let structure = rest.starts_with(['{', '['])
                || (rest.starts_with(['|', '>']) && rest.trim_end().len() <= 2);
            if is_secret_key(key) && !rest.trim().is_empty() && !structure {
                let end = value_end(b, j);
                out.push_str(&line[copied..i + 1]);
                out.push(' ');
                out.push_str(MASK);
                copied = end;
                i = end.max(i + 1);
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&line[copied..]);
    out
}

/// Where a value starting at `start` ends: the end of the line, or in flow
/// style the next `,`, `}` or `]` outside quotes.
fn value_end(b: &[u8], start: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut j = start;
    while j < b.len() {
        match (quote, b[j]) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, q @ (b'"' | b'\'')) if j == start => quote = Some(q),
            (None, b',' | b'}' | b']') => return j,
            (None, b'#') if j > start && b[j - 1] == b' ' => return j - 1,
            _ => {}
        }
        j += 1;
    }
    b.len()
}

/// A template or value shortened for a message (long strings cut).
pub fn shorten(s: &str) -> String {
    let one_line: String = s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
    if one_line.chars().count() > 80 {
        let cut: String = one_line.chars().take(77).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn secret_key_entries_name_secrets() {
        let has = |k: &str| k == "remoteRef";
        for k in ["secretKey", "secret_key", "SECRET-KEY", "secret.key"] {
            assert!(names_in(has, k), "{k}");
        }
        for k in ["secretKeys", "secret", "key", "mysecretkey", ""] {
            assert!(!names_in(has, k), "{k}");
        }
        assert!(!names_in(|_| false, "secretKey"));
    }

    use super::*;

    #[test]
    fn secret_keys() {
        for k in [
            "password",
            "dbPassword",
            "POSTGRES_PASSWORD",
            "apiKey",
            "api_key",
            "privateKey",
            "client-secret",
            "token",
            "credentials",
            "passwd",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "existingSecret",
            "secretName",
            "passwordKey",
            "secretKeyRef",
            "name",
            "image",
            "keyboard",
            // Names of keys in a Secret (Bitnami `auth.secretKeys`, Grafana).
            "adminPasswordKey",
            "userPasswordKey",
            "replicationPasswordKey",
            "secretKeys",
            "tokenKey",
            // Names of Secrets and stores (External Secrets, Flux, Argo CD).
            "kubeconfigSecret",
            "tlsSecret",
            "secretStore",
            "secretStoreRef",
            "credentialsSecret",
            // About a secret, not the secret.
            "argocdServerAdminPasswordMtime",
            "passwordFile",
            "secretPath",
            "tokenTTL",
            "usePasswordFiles",
            "createSecret",
            "tokenUrl",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
        // Key material and secrets named after what they protect.
        for k in [
            "secretKey",
            "accessKey",
            "secretAccessKey",
            "sshPrivateKey",
            "clientSecret",
            "jwtSecret",
            "cookieSecret",
            "githubSecret",
            "webhookSecret",
            "adminPassword",
            "postgresPassword",
            "encryptionKey",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        // Long and non-ASCII keys take the allocating path: same answers.
        let long = format!("{}_password", "x".repeat(60));
        assert!(is_secret_key(&long));
        assert!(!is_secret_key(&format!("{long}_ref")));
        assert!(is_secret_key("Geheimes-PASSWORT-é-password"));
        assert!(!is_secret_key("schlüssel"));
    }

    #[test]
    fn masking_source_lines() {
        assert_eq!(mask_line("  password: hunter2"), "  password: ***");
        assert_eq!(mask_line("  - token: abc"), "  - token: ***");
        assert_eq!(mask_line("  image: nginx"), "  image: nginx");
        assert_eq!(mask_line("  password:"), "  password:");
        assert_eq!(
            mask_line("  db: {user: app, password: hunter2, port: 5432}"),
            "  db: {user: app, password: ***, port: 5432}"
        );
        assert_eq!(mask_line("  - {token: \"a, b\"}"), "  - {token: ***}");
        assert_eq!(mask_line("  apiKey: abc # note"), "  apiKey: *** # note");
        assert_eq!(mask_line("url: http://x"), "url: http://x");
        assert_eq!(mask_line("  - api-key: abc"), "  - api-key: ***");
    }
}
