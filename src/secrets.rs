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

fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-' && *c != '.')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Does a key with this name look like it holds a secret?
pub fn is_secret_key(key: &str) -> bool {
    let k = normalise(key);
    if REFERENCE_KEYS.contains(&k.as_str())
        || k.ends_with("ref")
        || k.ends_with("name")
        || k.starts_with("existing")
    {
        return false;
    }
    SECRET_WORDS.iter().any(|w| k.contains(w))
}

/// The mask printed instead of a secret value.
pub const MASK: &str = "***";

/// Mask the value on a `key: value` source line when the key looks secret.
pub fn mask_line(line: &str) -> String {
    let trimmed = line.trim_start().trim_start_matches("- ");
    let Some(colon) = trimmed.find(':') else {
        return line.to_string();
    };
    let key = trimmed[..colon].trim().trim_matches(['"', '\'']);
    let rest = &trimmed[colon + 1..];
    if !is_secret_key(key)
        || rest.trim().is_empty()
        || rest.trim_start().starts_with(['|', '>', '{', '[']) && rest.trim().len() <= 2
    {
        return line.to_string();
    }
    let prefix_len = line.len() - trimmed.len() + colon + 1;
    format!("{} {MASK}", &line[..prefix_len])
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
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn masking_source_lines() {
        assert_eq!(mask_line("  password: hunter2"), "  password: ***");
        assert_eq!(mask_line("  - token: abc"), "  - token: ***");
        assert_eq!(mask_line("  image: nginx"), "  image: nginx");
        assert_eq!(mask_line("  password:"), "  password:");
    }
}
