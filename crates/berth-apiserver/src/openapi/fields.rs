//! Unknown fields: finding them in a request object by walking the kind's schema, dropping
//! them before the object is stored, and what `?fieldValidation=` makes of them.
//!
//! Kubernetes decodes built-in objects into typed structs, so a field the type lacks is lost on
//! the way in; `fieldValidation` only decides whether the client hears about it: `Strict`
//! refuses the request (400, `Deployment in version "v1" cannot be handled as a Deployment:
//! strict decoding error: unknown field "spec.foo"`), `Warn` (the server default) answers with a
//! `Warning` header per field, `Ignore` says nothing. Paths are written as Kubernetes writes
//! them: `spec.template.spec.containers[0].imagee`.

use axum::http::HeaderValue;
use axum::response::Response;
use serde_json::Value;

use super::catalog::Catalog;
use crate::status::{ApiError, Cause};

/// What a write does about unknown fields (`?fieldValidation=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

impl FieldValidation {
    /// The query parameter's value; absent means `Warn`, as in Kubernetes since 1.25.
    pub fn parse(value: Option<&str>) -> Result<FieldValidation, ApiError> {
        match value {
            None | Some("" | "Warn") => Ok(FieldValidation::Warn),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some(other) => {
                let message = format!(
                    "Unsupported value: \"{other}\": supported values: \"Ignore\", \"Strict\", \"Warn\""
                );
                let cause = Cause::invalid("fieldValidation", message.clone());
                Err(ApiError::new(422, "Invalid", format!("fieldValidation: {message}"))
                    .with_causes(vec![cause]))
            }
        }
    }
}

/// Drops the fields of `object` that the kind's schema does not know and applies `mode` to
/// them: an error for `Strict`, the warnings to send for `Warn`. Fields already unknown in
/// `previous` (the stored object a patch started from) are dropped without a word, since the
/// client did not send them. A kind without a schema keeps everything.
pub fn enforce(
    catalog: &Catalog,
    mode: FieldValidation,
    (group, version, kind): (&str, &str, &str),
    object: &mut Value,
    previous: Option<&Value>,
) -> Result<Vec<String>, ApiError> {
    let walk =
        |object: &mut Value, prune: bool| walk_kind(catalog, group, version, kind, object, prune);
    report(mode, (version, kind), object, previous, walk)
}

/// [`enforce`] with another way of finding unknown fields: `walk(object, prune)` returns
/// their paths, and drops them when `prune` (custom resources walk their CRD's schema).
pub fn report(
    mode: FieldValidation,
    (version, kind): (&str, &str),
    object: &mut Value,
    previous: Option<&Value>,
    walk: impl Fn(&mut Value, bool) -> Vec<String>,
) -> Result<Vec<String>, ApiError> {
    let mut dropped = walk(object, true);
    if let Some(previous) = previous {
        let mut previous = previous.clone();
        let before = walk(&mut previous, false);
        dropped.retain(|path| !before.contains(path));
    }
    let messages: Vec<String> = dropped.iter().map(|p| format!("unknown field \"{p}\"")).collect();
    match mode {
        FieldValidation::Strict if !messages.is_empty() => {
            let error = format!("strict decoding error: {}", messages.join(", "));
            // A request body is decoded as its kind, and Kubernetes says so; a patch result is not.
            Err(ApiError::bad_request(match previous {
                None => format!(
                    "{kind} in version \"{version}\" cannot be handled as a {kind}: {error}"
                ),
                Some(_) => error,
            }))
        }
        FieldValidation::Warn => Ok(messages),
        _ => Ok(Vec::new()),
    }
}

/// Adds a `Warning: 299 - "<message>"` header per message, as Kubernetes does.
pub fn with_warnings(mut response: Response, warnings: &[String]) -> Response {
    for warning in warnings {
        let escaped = warning.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(value) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            response.headers_mut().append("warning", value);
        }
    }
    response
}

/// The paths of the fields of `object` that the kind's schema does not know.
pub(super) fn walk_kind(
    catalog: &Catalog,
    group: &str,
    version: &str,
    kind: &str,
    object: &mut Value,
    prune: bool,
) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(schema) = catalog.kind(group, version, kind).and_then(|name| catalog.get(name)) {
        let mut walker = Walker { catalog, prune, found: &mut found };
        walker.walk(schema, object, &mut String::new());
    }
    found
}

struct Walker<'a> {
    catalog: &'a Catalog,
    prune: bool,
    found: &'a mut Vec<String>,
}

impl<'a> Walker<'a> {
    fn walk(&mut self, schema: &'a Value, value: &mut Value, path: &mut String) {
        let Some(schema) = self.resolve(schema, value) else { return };
        if flag(schema, "x-kubernetes-int-or-string") {
            return;
        }
        match value {
            Value::Object(map) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                let additional = schema.get("additionalProperties").filter(|a| a.is_object());
                if properties.is_none() && additional.is_none() {
                    return; // free-form: RawExtension, FieldsV1, JSON
                }
                let preserve = flag(schema, "x-kubernetes-preserve-unknown-fields");
                let mut unknown = Vec::new();
                for (key, child) in map.iter_mut() {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                    match properties.and_then(|p| p.get(key)).or(additional) {
                        Some(child_schema) => self.walk(child_schema, child, path),
                        None if preserve => {}
                        None => {
                            self.found.push(path.clone());
                            unknown.push(key.clone());
                        }
                    }
                    path.truncate(len);
                }
                if self.prune {
                    for key in unknown {
                        map.shift_remove(&key);
                    }
                }
            }
            Value::Array(items) => {
                let Some(item_schema) = schema.get("items") else { return };
                for (i, item) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    self.walk(item_schema, item, path);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// Follows `$ref` and single-element `allOf`, and picks the `oneOf`/`anyOf` branch that
    /// fits the value.
    fn resolve(&self, mut schema: &'a Value, value: &Value) -> Option<&'a Value> {
        for _ in 0..16 {
            if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
                schema = self.catalog.by_ref(reference)?;
            } else if let Some([only]) =
                schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice)
            {
                schema = only;
            } else if let Some(branches) =
                schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array)
            {
                schema = branches.iter().find(|b| self.fits(b, value))?;
            } else {
                return Some(schema);
            }
        }
        None
    }

    /// Whether a `oneOf` branch can describe the value: the same JSON type.
    fn fits(&self, branch: &'a Value, value: &Value) -> bool {
        let branch = match branch.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.catalog.by_ref(reference),
            None => Some(branch),
        };
        let Some(branch) = branch else { return false };
        let expected = branch.get("type").and_then(Value::as_str);
        match value {
            Value::Object(_) => expected == Some("object") || branch.get("properties").is_some(),
            Value::Array(_) => expected == Some("array"),
            Value::String(_) => expected == Some("string"),
            Value::Bool(_) => expected == Some("boolean"),
            Value::Number(_) => matches!(expected, Some("integer" | "number")),
            Value::Null => false,
        }
    }
}

fn flag(schema: &Value, name: &str) -> bool {
    schema.get(name).and_then(Value::as_bool) == Some(true)
}
