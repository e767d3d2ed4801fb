//! Secret masking for plans: values under secret-looking keys are replaced
//! by `***` before anything is diffed or printed, in every format.
//!
//! A plan must still say *that* a secret changed. [`secrets`] collects the
//! real secret leaves of a document by path; [`masked_text`] writes the
//! document with every secret masked, and marks the leaves listed in
//! `changed` as `*** (changed)`, so a diff of two masked documents shows a
//! changed secret without showing either value.
//!
//! What counts as secret: a value under a key [`is_secret_key`] accepts
//! (every scalar below it when it is a map or list), the `value` of a
//! Kubernetes env entry whose `name` looks secret (`{name: DB_PASSWORD,
//! value: ...}`), and everything under `data`/`stringData` of a `Secret`.

use std::collections::{BTreeMap, BTreeSet};

use crate::paths;
use crate::secrets::{MASK, is_secret_key, mask_line, names_in};
use crate::yaml::emit;
use crate::yaml::node::{Node, Pos, Value};

/// Placeholders the emitter writes plain, swapped for the mask afterwards
/// (so the mask is never quoted as the YAML string `'***'`).
const PLACEHOLDER: &str = "NEXUS_MASKED_VALUE_9D41";
const PLACEHOLDER_CHANGED: &str = "NEXUS_MASKED_CHANGED_VALUE_9D41";

/// The real value of every secret leaf, by path (`auth.password`,
/// `env[2].value`).
pub fn secrets(node: &Node) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut copy = node.clone();
    visit_secrets(&mut copy, false, &mut String::new(), &mut |path, leaf| {
        out.insert(path.to_string(), scalar_text(leaf));
    });
    out
}

/// `node` as YAML text (after `header`), secrets masked; the leaves whose
/// path is in `changed` are marked `*** (changed)`.
pub fn masked_text(header: &str, node: &Node, changed: &BTreeSet<String>) -> String {
    let mut masked = node.clone();
    visit_secrets(&mut masked, false, &mut String::new(), &mut |path, leaf| {
        let mark = if changed.contains(path) {
            PLACEHOLDER_CHANGED
        } else {
            PLACEHOLDER
        };
        *leaf = Node::str(mark, Pos::GENERATED);
    });
    let mut text = header.to_string();
    emit::write(&masked, &mut text);
    text.replace(PLACEHOLDER_CHANGED, &format!("{MASK} (changed)"))
        .replace(PLACEHOLDER, MASK)
}

/// Masking for a file that is not readable YAML: line by line, including
/// the indented lines of a block scalar under a secret key.
pub fn masked_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut block_indent: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(bi) = block_indent {
            if line.trim().is_empty() || indent > bi {
                out.push_str(&" ".repeat(indent));
                out.push_str(MASK);
                out.push('\n');
                continue;
            }
            block_indent = None;
        }
        if let Some((key, value)) = line.trim_start().trim_start_matches("- ").split_once(':') {
            let value = value.trim();
            if is_secret_key(key.trim().trim_matches(['"', '\''])) && value.starts_with(['|', '>'])
            {
                block_indent = Some(indent);
            }
        }
        out.push_str(&mask_line(line));
        out.push('\n');
    }
    out
}

fn scalar_text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        _ => emit::to_string(node),
    }
}

fn is_scalar(node: &Node) -> bool {
    !matches!(node.value, Value::Map(_) | Value::Seq(_) | Value::Null)
}

/// Which children of a map are secret: by key, by the env-entry pattern
/// and for the data of a `Secret` object.
pub(crate) fn secret_child(map_node: &Node, key: &str) -> bool {
    if is_secret_key(key) {
        // An External Secrets `secretKey` names a key: a reviewer must see it.
        return !names_in(|k| map_node.get(k).is_some(), key);
    }
    if key == "value"
        && map_node
            .get("name")
            .and_then(Node::as_str)
            .is_some_and(is_secret_key)
    {
        return true;
    }
    (key == "data" || key == "stringData")
        && map_node.get("kind").and_then(Node::as_str) == Some("Secret")
}

/// Call `visit` with the path and node of every secret scalar below `node`.
fn visit_secrets(
    node: &mut Node,
    secret: bool,
    path: &mut String,
    visit: &mut dyn FnMut(&str, &mut Node),
) {
    if secret && is_scalar(node) {
        visit(path, node);
        return;
    }
    let flags: Vec<bool> = match &node.value {
        Value::Map(m) => m.keys().map(|k| secret || secret_child(node, k)).collect(),
        _ => Vec::new(),
    };
    match &mut node.value {
        Value::Map(m) => {
            for ((k, e), child_secret) in m.iter_mut().zip(flags) {
                let len = path.len();
                paths::push_key(path, k);
                visit_secrets(&mut e.node, child_secret, path, visit);
                path.truncate(len);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = path.len();
                paths::push_index(path, i);
                visit_secrets(item, secret, path, visit);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load::{Limits, parse_one};
    use crate::yaml::node::FileId;

    fn doc(text: &str) -> Node {
        parse_one(text, FileId(0), &Limits::default())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn masks_secret_keys_env_entries_and_secret_data() {
        let d = doc(concat!(
            "auth: {username: app, password: hunter2, existingSecret: creds}\n",
            "env:\n- {name: DB_PASSWORD, value: s3cret}\n- {name: LOG_LEVEL, value: info}\n",
            "tokens: [t1, t2]\n",
            "multi: {apiKey: \"line1\\nline2\"}\n",
            "empty: {password: null}\n",
        ));
        let text = masked_text("# h\n", &d, &BTreeSet::new());
        for secret in ["hunter2", "s3cret", "t1", "t2", "line1", "NEXUS_MASKED"] {
            assert!(!text.contains(secret), "{secret} leaked:\n{text}");
        }
        assert!(text.starts_with("# h\n"));
        assert!(text.contains("password: ***"), "{text}");
        assert!(text.contains("existingSecret: creds"), "{text}");
        assert!(text.contains("value: info"), "{text}");
        assert!(text.contains("password: null"), "{text}");
        let manifest = doc("kind: Secret\nmetadata: {name: x}\ndata: {config.json: abc}\n");
        let text = masked_text("", &manifest, &BTreeSet::new());
        assert!(
            !text.contains("abc") && text.contains("config.json: ***"),
            "{text}"
        );
    }

    #[test]
    fn changed_secrets_are_marked() {
        let old = doc("auth: {password: a, token: same}\n");
        let new = doc("auth: {password: b, token: same}\n");
        let (o, n) = (secrets(&old), secrets(&new));
        assert_eq!(o["auth.password"], "a");
        let changed: BTreeSet<String> = n
            .iter()
            .filter(|(k, v)| o.get(*k).is_some_and(|ov| ov != *v))
            .map(|(k, _)| k.clone())
            .collect();
        let text = masked_text("", &new, &changed);
        assert!(text.contains("password: *** (changed)"), "{text}");
        assert!(text.contains("token: ***\n"), "{text}");
    }

    #[test]
    fn line_masking_covers_block_scalars() {
        let text = "a: 1\npassword: |\n  line one\n  line two\nb: 2\ntoken: xyz\n";
        let out = masked_lines(text);
        assert!(!out.contains("line one") && !out.contains("xyz"), "{out}");
        assert!(out.contains("b: 2") && out.contains("a: 1"), "{out}");
    }
}
