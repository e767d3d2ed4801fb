//! Schema errors in words a person understands.
//!
//! The validator says "`\"three\"` is not of type `integer`" about
//! `/replicaCount`; nexus says "`replicaCount` must be an integer, got the
//! string \"three\"". For `anyOf`/`oneOf` and unknown keys the schema
//! itself is consulted (through local `$ref`s) to name the allowed types
//! and the nearest valid key.

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind as Kind;
use serde_json::Value as Json;

use super::positions::{dotted, tokens};
use crate::error::did_you_mean;
use crate::secrets::is_secret_key;

/// A schema error explained: the message, an optional hint, and for
/// unknown keys the key (so the position can be the key's own).
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    pub message: String,
    pub hint: Option<String>,
    /// Pointer to the value the error is about (for an unknown key, the
    /// key's entry; for a missing key, the map missing it).
    pub pointer: String,
    pub missing_key: bool,
}

/// The schema value at a keyword location, following local `$ref`s.
pub fn schema_at<'a>(root: &'a Json, location: &str) -> Option<&'a Json> {
    let mut cur = root;
    for t in tokens(location) {
        if t == "$ref" || t == "$dynamicRef" || t == "$recursiveRef" {
            let r = cur.get(&t)?.as_str()?;
            let frag = r.strip_prefix('#')?;
            cur = if frag.is_empty() {
                root
            } else {
                root.pointer(frag)?
            };
            continue;
        }
        cur = match cur {
            Json::Object(m) => m.get(&t)?,
            Json::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn article_type(t: &str) -> &'static str {
    match t {
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "boolean" => "true or false",
        "object" => "a map",
        "array" => "a list",
        "null" => "null",
        _ => "a value of another type",
    }
}

/// The JSON types a schema allows, if it says (`type`, or the union of its
/// `anyOf`/`oneOf` alternatives).
fn allowed_types(root: &Json, schema: &Json, depth: usize) -> Vec<String> {
    if depth > 8 {
        return Vec::new();
    }
    let schema = match schema
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        Some("") => root,
        Some(frag) => root.pointer(frag).unwrap_or(schema),
        None => schema,
    };
    match schema.get("type") {
        Some(Json::String(t)) => return vec![t.clone()],
        Some(Json::Array(ts)) => {
            return ts
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect();
        }
        _ => {}
    }
    ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Json::as_array))
        .next()
        .map(|alts| union_types(root, alts, depth + 1))
        .unwrap_or_default()
}

/// The types any of `alts` allows; empty when one of them does not say.
fn union_types(root: &Json, alts: &[Json], depth: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for alt in alts {
        let sub = allowed_types(root, alt, depth);
        if sub.is_empty() {
            return Vec::new();
        }
        for t in sub {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

fn type_list(types: &[String]) -> String {
    let words: Vec<&str> = types.iter().map(|t| article_type(t)).collect();
    match words.len() {
        0 => "something else".into(),
        1 => words[0].into(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// "the string \"three\"", "the integer 3", "a map" (secret-looking keys
/// are masked).
pub fn describe(v: &Json, secret: bool) -> String {
    let short = |s: &str| {
        let mut t: String = s.chars().take(60).collect();
        if t.len() < s.len() {
            t.push('…');
        }
        t
    };
    if secret && !matches!(v, Json::Array(_) | Json::Object(_) | Json::Null) {
        return format!("{} (value masked)", article_type(json_type(v)));
    }
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("`{b}`"),
        Json::Number(n) if n.is_i64() || n.is_u64() => format!("the integer {n}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => format!("the string {:?}", short(s)),
        Json::Array(_) => "a list".into(),
        Json::Object(_) => "a map".into(),
    }
}

fn compact(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Explain one validation error. `prefix` names the document in messages
/// (`values`, or empty); `root` is the schema the validator was built from;
/// `base` is the pointer of the validated instance in the whole document.
pub fn explain(err: &ValidationError<'_>, root: &Json, prefix: &str, base: &str) -> Explained {
    let pointer = format!("{base}{}", err.instance_path().as_str());
    let schema_path = err.schema_path().as_str();
    let rel = dotted(&pointer);
    let name = match (prefix.is_empty(), rel.is_empty()) {
        (_, true) if prefix.is_empty() => "the document".to_string(),
        (_, true) => format!("`{prefix}`"),
        _ => format!("`{rel}`"),
    };
    let secret = tokens(&pointer).last().is_some_and(|k| is_secret_key(k));
    let got = describe(err.instance(), secret);
    let mut hint = None;
    let mut out_pointer = pointer.clone();
    let mut missing_key = false;
    let message = match err.kind() {
        Kind::Type { .. } => {
            let types = schema_at(root, schema_path)
                .map(|t| match t {
                    Json::String(s) => vec![s.clone()],
                    Json::Array(a) => a
                        .iter()
                        .filter_map(Json::as_str)
                        .map(str::to_string)
                        .collect(),
                    _ => Vec::new(),
                })
                .unwrap_or_default();
            if types
                .iter()
                .any(|t| t == "integer" || t == "number" || t == "boolean")
                && err.instance().as_str().is_some_and(looks_typed)
            {
                hint = Some("remove the quotes so YAML reads a number or boolean".into());
            } else if types.iter().any(|t| t == "string") && !err.instance().is_string() {
                hint = Some("quote the value".into());
            }
            format!("{name} must be {}, got {got}", type_list(&types))
        }
        Kind::AnyOf { .. } | Kind::OneOfNotValid { .. } => {
            let alts: Vec<Json> = schema_at(root, schema_path)
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default();
            let (templates, plain): (Vec<Json>, Vec<Json>) =
                alts.into_iter().partition(|a| is_template_alt(root, a));
            let types = union_types(root, &plain, 0);
            let actual = json_type(err.instance());
            let fits = types
                .iter()
                .any(|t| t == actual || (t == "number" && actual == "integer"));
            if !templates.is_empty() && err.instance().is_string() {
                hint =
                    Some("a template expression such as \"{{ vars.x }}\" is also accepted".into());
            }
            if !types.is_empty() && !fits {
                format!("{name} must be {}, got {got}", type_list(&types))
            } else {
                format!("{name} matches none of the allowed forms, got {got}")
            }
        }
        Kind::OneOfMultipleValid { .. } => {
            format!("{name} matches more than one of the allowed forms (`oneOf`)")
        }
        Kind::AdditionalProperties { unexpected } | Kind::UnevaluatedProperties { unexpected } => {
            let key = unexpected.first().cloned().unwrap_or_default();
            out_pointer = format!("{pointer}/{}", super::positions::escape(&key));
            let known: Vec<String> = schema_at(root, super::positions::parent(schema_path))
                .and_then(|s| s.get("properties"))
                .and_then(Json::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            hint = match did_you_mean(&key, known.iter().map(String::as_str)) {
                Some(s) => Some(format!("did you mean `{s}`?")),
                None if !known.is_empty() => Some(format!("known keys here: {}", known.join(", "))),
                None => None,
            };
            let more = if unexpected.len() > 1 {
                format!(
                    " (and {})",
                    unexpected[1..]
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            };
            if rel.is_empty() && prefix.is_empty() {
                format!("unknown key `{key}`{more}")
            } else {
                format!("unknown key `{key}`{more} in {name}")
            }
        }
        Kind::Required { property } => {
            missing_key = true;
            let p = compact(property);
            if rel.is_empty() && prefix.is_empty() {
                format!("the required key `{p}` is missing")
            } else {
                format!("{name} is missing the required key `{p}`")
            }
        }
        Kind::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(|o| format!("`{}`", compact(o))).collect())
                .unwrap_or_default();
            format!("{name} must be one of {}, got {got}", opts.join(", "))
        }
        Kind::Constant { expected_value } => {
            format!("{name} must be `{}`, got {got}", compact(expected_value))
        }
        Kind::Pattern { pattern } => {
            format!("{name} must match the pattern `{pattern}`, got {got}")
        }
        Kind::Format { format } => format!("{name} must be a valid `{format}`, got {got}"),
        Kind::Minimum { limit } => format!("{name} must be at least {limit}, got {got}"),
        Kind::Maximum { limit } => format!("{name} must be at most {limit}, got {got}"),
        Kind::ExclusiveMinimum { limit } => {
            format!("{name} must be greater than {limit}, got {got}")
        }
        Kind::ExclusiveMaximum { limit } => format!("{name} must be less than {limit}, got {got}"),
        Kind::MinLength { limit } => {
            format!("{name} must be at least {limit} characters long, got {got}")
        }
        Kind::MaxLength { limit } => {
            format!("{name} must be at most {limit} characters long, got {got}")
        }
        Kind::MinItems { limit } => format!("{name} must have at least {limit} item(s)"),
        Kind::MaxItems { limit } => format!("{name} must have at most {limit} item(s)"),
        Kind::MinProperties { limit } => format!("{name} must have at least {limit} key(s)"),
        Kind::MaxProperties { limit } => format!("{name} must have at most {limit} key(s)"),
        Kind::UniqueItems => format!("{name} has duplicate items"),
        Kind::MultipleOf { multiple_of } => {
            format!("{name} must be a multiple of {multiple_of}, got {got}")
        }
        Kind::Not { schema } => {
            let what = schema
                .get("description")
                .and_then(Json::as_str)
                .unwrap_or("a form the schema forbids");
            format!("{name} must not match {what}")
        }
        Kind::PropertyNames { error } => {
            let key = compact(error.instance());
            format!(
                "{name} has a key `{key}` the schema does not allow: {}",
                error
            )
        }
        Kind::FalseSchema => {
            if let Some(key) = tokens(&pointer).last() {
                hint = Some(format!("remove `{key}`"));
            }
            format!("{name} is not allowed here")
        }
        _ => format!("{name}: {err}"),
    };
    Explained {
        message,
        hint,
        pointer: out_pointer,
        missing_key,
    }
}

/// The one alternative of a failed `anyOf`/`oneOf` at `location` whose
/// type fits `instance` (a map or list), as a standalone schema that keeps
/// the root's definitions so local `$ref`s still resolve.
pub fn single_alternative(root: &Json, location: &str, instance: &Json) -> Option<Json> {
    let alts = schema_at(root, location)?.as_array()?;
    let actual = json_type(instance);
    let fitting: Vec<&Json> = alts
        .iter()
        .filter(|a| !is_template_alt(root, a))
        .filter(|a| {
            allowed_types(root, a, 0)
                .iter()
                .any(|t| t == actual || (t == "number" && actual == "integer"))
        })
        .collect();
    let [alt] = fitting.as_slice() else {
        return None;
    };
    let mut sub = serde_json::Map::new();
    for key in ["$schema", "$defs", "definitions"] {
        if let Some(v) = root.get(key) {
            sub.insert(key.to_string(), v.clone());
        }
    }
    sub.insert("allOf".to_string(), Json::Array(vec![(*alt).clone()]));
    Some(Json::Object(sub))
}

/// Is this alternative the "or a minijinja expression" escape hatch of the
/// layer schema (a string whose pattern looks for `{{`)?
fn is_template_alt(root: &Json, alt: &Json) -> bool {
    let alt = match alt
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        Some(frag) if !frag.is_empty() => root.pointer(frag).unwrap_or(alt),
        _ => alt,
    };
    alt.get("pattern")
        .and_then(Json::as_str)
        .is_some_and(|p| p.contains("\\{\\{") || p.contains("{{"))
}

/// Does a string look like a number or boolean YAML would read unquoted?
fn looks_typed(s: &str) -> bool {
    s.parse::<f64>().is_ok() || matches!(s, "true" | "false")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn first(schema: &Json, instance: &Json) -> Explained {
        let v = jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .unwrap();
        let e = v.iter_errors(instance).next().unwrap();
        explain(&e, schema, "values", "")
    }

    #[test]
    fn type_errors_read_like_a_sentence() {
        let s = json!({"properties": {"replicaCount": {"type": "integer"}}});
        let e = first(&s, &json!({"replicaCount": "three"}));
        assert_eq!(
            e.message,
            "`replicaCount` must be an integer, got the string \"three\""
        );
        assert_eq!(e.pointer, "/replicaCount");
        assert_eq!(e.hint, None);
        let e = first(&s, &json!({"replicaCount": "3"}));
        assert_eq!(
            e.hint.as_deref(),
            Some("remove the quotes so YAML reads a number or boolean")
        );
    }

    #[test]
    fn any_of_names_the_allowed_types_through_refs() {
        let s = json!({"$defs": {"t": {"type": "string", "pattern": "^x"}},
            "properties": {"a": {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/t"}, {"type": "null"}]}}});
        let e = first(&s, &json!({"a": true}));
        assert_eq!(
            e.message,
            "`a` must be an integer, a string or null, got `true`"
        );
        let e = first(&s, &json!({"a": "y"}));
        assert!(
            e.message.contains("none of the allowed forms"),
            "{}",
            e.message
        );
    }

    #[test]
    fn unknown_keys_get_a_suggestion_and_point_at_the_key() {
        let s = json!({"type": "object", "additionalProperties": false,
            "properties": {"image": {"type": "object", "additionalProperties": false, "properties": {"tag": {}, "repository": {}}}}});
        let e = first(&s, &json!({"image": {"tga": "1"}}));
        assert_eq!(e.message, "unknown key `tga` in `image`");
        assert_eq!(e.hint.as_deref(), Some("did you mean `tag`?"));
        assert_eq!(e.pointer, "/image/tga");
    }

    #[test]
    fn required_enum_format_and_secrets() {
        let s = json!({"required": ["name"], "properties": {
            "mode": {"enum": ["a", "b"]}, "mail": {"format": "email"}, "password": {"type": "integer"}}});
        let e = first(&s, &json!({}));
        assert!(e.missing_key);
        assert_eq!(e.message, "`values` is missing the required key `name`");
        let e = first(&s, &json!({"name": 1, "mode": "c"}));
        assert_eq!(
            e.message,
            "`mode` must be one of `a`, `b`, got the string \"c\""
        );
        let e = first(&s, &json!({"name": 1, "mail": "nope"}));
        assert_eq!(
            e.message,
            "`mail` must be a valid `email`, got the string \"nope\""
        );
        let e = first(&s, &json!({"name": 1, "password": "hunter2"}));
        assert!(!e.message.contains("hunter2"), "{}", e.message);
    }
}
