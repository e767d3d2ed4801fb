//! Paths into a layer document, as people write them on the command line
//! (`explain`, `set`, `promote`, `diff`) and as nexus prints them (`diff`,
//! `plan`): dotted keys, `[0]` for a list index, and a key with dots,
//! slashes or brackets in quotes and brackets:
//! `values.ingress.annotations["alb.ingress.kubernetes.io/scheme"]`,
//! `values.env[0].value`.

use crate::yaml::node::{Node, Value};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Parse a path. A bare segment of digits (`env.0.value`) is a key, which
/// [`get`] also takes as an index into a list.
pub fn parse(path: &str) -> Result<Vec<Seg>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = path.chars().collect();
    let mut i = 0;
    let mut cur = String::new();
    // Whether `cur` is a key being read (so `a..b` and a trailing `.` are
    // caught).
    let mut after_dot = true;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                if cur.is_empty() && after_dot {
                    return Err(format!(
                        "empty key in `{path}` (two dots, or a dot at an end)"
                    ));
                }
                if !cur.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut cur)));
                }
                after_dot = true;
                i += 1;
            }
            '[' => {
                if !cur.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut cur)));
                }
                i += 1;
                match chars.get(i) {
                    Some(q @ ('"' | '\'')) => {
                        let q = *q;
                        i += 1;
                        let mut key = String::new();
                        loop {
                            match chars.get(i) {
                                None => return Err(format!("unclosed {q} in `{path}`")),
                                Some('\\') if chars.get(i + 1).is_some() => {
                                    key.push(chars[i + 1]);
                                    i += 2;
                                }
                                Some(c) if *c == q => {
                                    i += 1;
                                    break;
                                }
                                Some(c) => {
                                    key.push(*c);
                                    i += 1;
                                }
                            }
                        }
                        if chars.get(i) != Some(&']') {
                            return Err(format!("expected `]` after the quoted key in `{path}`"));
                        }
                        i += 1;
                        out.push(Seg::Key(key));
                    }
                    _ => {
                        let start = i;
                        while chars.get(i).is_some_and(|c| *c != ']') {
                            i += 1;
                        }
                        if chars.get(i) != Some(&']') {
                            return Err(format!("unclosed `[` in `{path}`"));
                        }
                        let inner: String = chars[start..i].iter().collect();
                        i += 1;
                        match inner.trim().parse::<usize>() {
                            Ok(n) => out.push(Seg::Index(n)),
                            Err(_) => {
                                return Err(format!(
                                    "`[{inner}]` in `{path}` is neither a list index nor a quoted key: write `[0]` or `[\"{inner}\"]`"
                                ));
                            }
                        }
                    }
                }
                after_dot = false;
                match chars.get(i) {
                    None | Some('.' | '[') => {}
                    Some(c) => {
                        return Err(format!(
                            "expected `.` or `[` after `]` in `{path}`, found `{c}`"
                        ));
                    }
                }
                if chars.get(i) == Some(&'.') {
                    i += 1;
                    after_dot = true;
                    if i == chars.len() {
                        return Err(format!("empty key in `{path}` (a dot at the end)"));
                    }
                }
            }
            c => {
                cur.push(c);
                after_dot = false;
                i += 1;
            }
        }
    }
    if !cur.is_empty() {
        out.push(Seg::Key(cur));
    } else if after_dot && !out.is_empty() {
        return Err(format!("empty key in `{path}` (a dot at the end)"));
    }
    if out.is_empty() {
        return Err("the path is empty".to_string());
    }
    Ok(out)
}

/// A user path as a path in the layer document: `values.image.tag` is
/// `app.values.image.tag`; paths starting with `app`, `argocd` or `vars`
/// stay as they are.
pub fn in_document(path: &str) -> Result<Vec<Seg>, String> {
    let trimmed = path.trim().trim_matches('.');
    if trimmed.is_empty() {
        return Ok(vec![Seg::Key("app".into())]);
    }
    let mut segs = parse(trimmed)?;
    let top = matches!(segs.first(), Some(Seg::Key(k)) if matches!(k.as_str(), "app" | "argocd" | "vars"));
    if !top {
        segs.insert(0, Seg::Key("app".into()));
    }
    Ok(segs)
}

/// Does a key need brackets to be read back as one key?
fn needs_brackets(key: &str) -> bool {
    key.is_empty()
        || key.contains(['.', '[', ']', '"', '\'', '\\'])
        || key.starts_with(char::is_whitespace)
        || key.ends_with(char::is_whitespace)
}

/// Append a key to a printed path (`a` -> `a.b`, or `a["b.c"]`).
pub fn push_key(path: &mut String, key: &str) {
    if needs_brackets(key) {
        path.push_str("[\"");
        for c in key.chars() {
            if c == '"' || c == '\\' {
                path.push('\\');
            }
            path.push(c);
        }
        path.push_str("\"]");
    } else {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    }
}

/// Append a list index to a printed path (`a[0]`).
pub fn push_index(path: &mut String, i: usize) {
    path.push('[');
    path.push_str(&i.to_string());
    path.push(']');
}

/// A path printed so that [`parse`] reads it back.
pub fn display(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => push_key(&mut out, k),
            Seg::Index(i) => push_index(&mut out, *i),
        }
    }
    out
}

/// A printed path without its document prefix (`app.values.x` ->
/// `values.x`), as people write it.
pub fn display_user(segs: &[Seg]) -> String {
    match segs.first() {
        Some(Seg::Key(k)) if k == "app" && segs.len() > 1 => display(&segs[1..]),
        _ => display(segs),
    }
}

/// The node at `segs` below `root`. A key of digits indexes a list.
pub fn get<'n>(root: &'n Node, segs: &[Seg]) -> Option<&'n Node> {
    let mut node = root;
    for s in segs {
        node = match (s, &node.value) {
            (Seg::Key(k), Value::Map(m)) => &m.get(k)?.node,
            (Seg::Key(k), Value::Seq(items)) => items.get(k.parse::<usize>().ok()?)?,
            (Seg::Index(i), Value::Seq(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Every leaf below `node` (scalars, and empty maps and lists) with its
/// printed path, `base` first; maps in key order, lists by index.
pub fn leaves<'n>(node: &'n Node, base: &str, out: &mut Vec<(String, &'n Node)>) {
    match &node.value {
        Value::Map(m) if !m.is_empty() => {
            for (k, e) in m.iter() {
                let mut p = base.to_string();
                push_key(&mut p, k);
                leaves(&e.node, &p, out);
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let mut p = base.to_string();
                push_index(&mut p, i);
                leaves(item, &p, out);
            }
        }
        _ => out.push((base.to_string(), node)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    #[test]
    fn parses_every_spelling() {
        assert_eq!(
            parse("values.image.tag").unwrap(),
            vec![k("values"), k("image"), k("tag")]
        );
        assert_eq!(
            parse("values.ingress.annotations[\"alb.ingress.kubernetes.io/scheme\"]").unwrap(),
            vec![
                k("values"),
                k("ingress"),
                k("annotations"),
                k("alb.ingress.kubernetes.io/scheme")
            ]
        );
        assert_eq!(
            parse("values.env[0].value").unwrap(),
            vec![k("values"), k("env"), Seg::Index(0), k("value")]
        );
        assert_eq!(
            parse("a['b\"c'].d").unwrap(),
            vec![k("a"), k("b\"c"), k("d")]
        );
        assert_eq!(parse("a[\"x\\\"y\"]").unwrap(), vec![k("a"), k("x\"y")]);
        assert_eq!(
            parse("m[0][1]").unwrap(),
            vec![k("m"), Seg::Index(0), Seg::Index(1)]
        );
        for bad in [
            "", "a..b", "a.", ".", "a[", "a[x]", "a[\"b", "a[\"b\"c", "a[0]b",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn printing_reads_back() {
        for segs in [
            vec![k("values"), k("image"), k("tag")],
            vec![k("annotations"), k("alb.ingress.kubernetes.io/scheme")],
            vec![k("env"), Seg::Index(2), k("value")],
            vec![k("odd\"key"), k("a[b]"), k(" padded ")],
        ] {
            let shown = display(&segs);
            assert_eq!(parse(&shown).unwrap(), segs, "{shown}");
        }
        assert_eq!(display(&[k("a"), k("b.c"), Seg::Index(0)]), "a[\"b.c\"][0]");
        assert_eq!(
            in_document("values.x").unwrap(),
            vec![k("app"), k("values"), k("x")]
        );
        assert_eq!(
            in_document("argocd.project").unwrap(),
            vec![k("argocd"), k("project")]
        );
        assert_eq!(display_user(&in_document("values.x").unwrap()), "values.x");
    }
}
