//! The structural schema of a custom resource version (`schema.openAPIV3Schema`) and the three
//! things the API server does with it, in the order kube-apiserver does them on every write:
//! [`Schema::prune`] drops the fields the schema does not specify (unless
//! `x-kubernetes-preserve-unknown-fields`), [`Schema::default`] fills `default`s, and
//! [`Schema::validate`] returns the 422 causes, worded as Kubernetes words them
//! (`spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"`).
//!
//! At the root (and in `x-kubernetes-embedded-resource` objects) `apiVersion`, `kind` and
//! `metadata` are always allowed; the root `metadata` is ObjectMeta, checked elsewhere, so only
//! the `name` and `generateName` constraints a schema may put on it are checked here.
//! Not checked: `format`, `x-kubernetes-list-type` uniqueness, CEL `x-kubernetes-validations`.

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value};

use crate::status::Cause;

/// A version's schema, with its `pattern`s compiled.
#[derive(Debug)]
pub struct Schema {
    root: Value,
    patterns: HashMap<String, Regex>,
    has_defaults: bool,
}

impl Schema {
    pub fn new(root: Value) -> Schema {
        let mut patterns = HashMap::new();
        collect_patterns(&root, &mut patterns);
        let has_defaults = declares_default(&root);
        Schema { root, patterns, has_defaults }
    }

    /// Whether any property, item or additional property of the schema has a `default`.
    pub fn has_defaults(&self) -> bool {
        self.has_defaults
    }

    /// The schema as the CRD wrote it.
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// Removes the fields the schema does not specify; returns their paths
    /// (`spec.foo`, `spec.items[0].bar`).
    pub fn prune(&self, object: &mut Value) -> Vec<String> {
        let mut pruned = Vec::new();
        prune(Some(&self.root), object, &mut String::new(), true, &mut pruned);
        pruned
    }

    /// Removes nulls that may not be null and have no default, then fills every `default` of
    /// a missing (or such a null) field, including inside defaulted values.
    pub fn default(&self, object: &mut Value) {
        prune_nulls(Some(&self.root), object);
        default(&self.root, object);
    }

    /// The causes of a 422 for `object`, empty when it is valid.
    pub fn validate(&self, object: &Value) -> Vec<Cause> {
        let mut validator = Validator { patterns: &self.patterns, causes: Vec::new() };
        validator.root(&self.root, object);
        validator.causes
    }
}

fn collect_patterns(schema: &Value, out: &mut HashMap<String, Regex>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(pattern)) = map.get("pattern")
                && let Ok(regex) = Regex::new(pattern)
            {
                out.insert(pattern.clone(), regex);
            }
            map.iter().filter(|(k, _)| *k != "default" && *k != "enum").for_each(|(_, v)| {
                collect_patterns(v, out);
            });
        }
        Value::Array(items) => items.iter().for_each(|v| collect_patterns(v, out)),
        _ => {}
    }
}

fn declares_default(schema: &Value) -> bool {
    let properties = schema.get("properties").and_then(Value::as_object);
    schema.get("default").is_some()
        || properties.is_some_and(|p| p.values().any(declares_default))
        || ["items", "additionalProperties"]
            .into_iter()
            .any(|key| schema.get(key).is_some_and(declares_default))
}

fn flag(schema: &Value, name: &str) -> bool {
    schema.get(name).and_then(Value::as_bool) == Some(true)
}

/// The schema of `key` in an object described by `schema`: its property, or else the
/// `additionalProperties` schema.
fn child<'a>(schema: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    let schema = schema?;
    if let Some(property) = schema.get("properties").and_then(|p| p.get(key)) {
        return Some(property);
    }
    match schema.get("additionalProperties") {
        Some(additional @ Value::Object(_)) => Some(additional),
        // `true` (only valid beside preserve-unknown-fields): anything goes below.
        Some(Value::Bool(true)) => Some(&PRESERVE),
        _ => None,
    }
}

static PRESERVE: Value = Value::Null;

fn preserves(schema: &Value) -> bool {
    std::ptr::eq(schema, &PRESERVE) || flag(schema, "x-kubernetes-preserve-unknown-fields")
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// Whether `key` of an object is one of the fields every resource (the root, an embedded
/// resource) has whatever its schema says.
fn resource_field(resource: bool, key: &str) -> bool {
    resource && matches!(key, "apiVersion" | "kind" | "metadata")
}

fn embedded(schema: Option<&Value>) -> bool {
    schema.is_some_and(|s| flag(s, "x-kubernetes-embedded-resource"))
}

/// kube-apiserver's structural pruning.
fn prune(
    schema: Option<&Value>,
    value: &mut Value,
    path: &mut String,
    resource: bool,
    pruned: &mut Vec<String>,
) {
    if let Some(s) = schema
        && preserves(s)
    {
        return skip_prune(s, value, path, resource, pruned);
    }
    match value {
        Value::Object(map) => {
            let mut unknown = Vec::new();
            for (key, child_value) in map.iter_mut() {
                if resource_field(resource, key) {
                    continue;
                }
                let len = path.len();
                push_key(path, key);
                match child(schema, key) {
                    Some(s) => prune(Some(s), child_value, path, embedded(Some(s)), pruned),
                    None => {
                        pruned.push(path.clone());
                        unknown.push(key.clone());
                    }
                }
                path.truncate(len);
            }
            for key in unknown {
                map.shift_remove(&key);
            }
        }
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.get("items"));
            for (i, item) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                prune(item_schema, item, path, embedded(item_schema), pruned);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Below `x-kubernetes-preserve-unknown-fields`: unknown fields stay, known ones are pruned
/// by their own schemas.
fn skip_prune(
    schema: &Value,
    value: &mut Value,
    path: &mut String,
    resource: bool,
    pruned: &mut Vec<String>,
) {
    if std::ptr::eq(schema, &PRESERVE) {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child_value) in map.iter_mut() {
                if resource_field(resource, key) {
                    continue;
                }
                if let Some(s) = child(Some(schema), key) {
                    let len = path.len();
                    push_key(path, key);
                    prune(Some(s), child_value, path, embedded(Some(s)), pruned);
                    path.truncate(len);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    skip_prune(item_schema, item, path, embedded(Some(item_schema)), pruned);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}

fn nullable(schema: &Value) -> bool {
    flag(schema, "nullable")
}

/// `PruneNonNullableNullsWithoutDefaults`.
fn prune_nulls(schema: Option<&Value>, value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, v| {
                let s = child(schema, key);
                let drop =
                    v.is_null() && s.is_some_and(|s| !nullable(s) && s.get("default").is_none());
                !drop
            });
            for (key, v) in map.iter_mut() {
                prune_nulls(child(schema, key), v);
            }
        }
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.get("items"));
            items.iter_mut().for_each(|item| prune_nulls(item_schema, item));
        }
        _ => {}
    }
}

/// Kubernetes' structural defaulting: missing properties (and non-nullable nulls) get their
/// `default`, then defaulting goes on inside every value.
fn default(schema: &Value, value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (key, property) in properties {
                    let Some(default) = property.get("default") else { continue };
                    let missing = match map.get(key) {
                        None => true,
                        Some(v) => v.is_null() && !nullable(property),
                    };
                    if missing {
                        map.insert(key.clone(), default.clone());
                    }
                }
            }
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (key, v) in map.iter_mut() {
                let property = schema.get("properties").and_then(|p| p.get(key));
                match (property, additional) {
                    (Some(s), _) => default(s, v),
                    (None, Some(s)) => {
                        if v.is_null()
                            && !nullable(s)
                            && let Some(d) = s.get("default")
                        {
                            *v = d.clone();
                        }
                        default(s, v);
                    }
                    (None, None) => {}
                }
            }
        }
        Value::Array(items) => {
            let Some(item_schema) = schema.get("items") else { return };
            for item in items.iter_mut() {
                if item.is_null()
                    && !nullable(item_schema)
                    && let Some(d) = item_schema.get("default")
                {
                    *item = d.clone();
                }
                default(item_schema, item);
            }
        }
        _ => {}
    }
}

/// A value as `field.Invalid` prints it.
fn shown(value: &Value) -> String {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => value.to_string(),
        other => format!("{:?}", json_type(other)),
    }
}

/// The JSON type of a value, as schema errors name it.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => is_integer(value),
        "number" => value.is_number(),
        _ => true,
    }
}

struct Validator<'a> {
    patterns: &'a HashMap<String, Regex>,
    causes: Vec<Cause>,
}

impl Validator<'_> {
    fn invalid(&mut self, path: &str, value: &Value, detail: String) {
        let message = format!("Invalid value: {}: {path} in body {detail}", shown(value));
        self.causes.push(Cause::invalid(path, message));
    }

    fn cause(&mut self, kind: &'static str, path: &str, message: String) {
        self.causes.push(Cause { kind, field: path.to_owned(), message });
    }

    /// The object at the root: everything but `apiVersion`, `kind` and `metadata` by the
    /// schema, and of `metadata` only what a CRD may constrain (`name`, `generateName`).
    fn root(&mut self, schema: &Value, object: &Value) {
        let mut path = String::new();
        if let Some(meta_schema) = schema.get("properties").and_then(|p| p.get("metadata")) {
            for field in ["name", "generateName"] {
                if let (Some(s), Some(v)) = (
                    meta_schema.get("properties").and_then(|p| p.get(field)),
                    object.get("metadata").and_then(|m| m.get(field)),
                ) {
                    self.value(s, v, &mut format!("metadata.{field}"), false);
                }
            }
        }
        self.value(schema, object, &mut path, true);
    }

    fn value(&mut self, schema: &Value, value: &Value, path: &mut String, resource: bool) {
        if value.is_null() {
            let typed = schema.get("type").is_some() || flag(schema, "x-kubernetes-int-or-string");
            if typed && !nullable(schema) {
                let expected = expected_type(schema);
                let message = format!(
                    "Invalid value: \"null\": {path} in body must be of type {expected}: \"null\""
                );
                self.cause("FieldValueTypeInvalid", path, message);
            }
            return;
        }
        if !self.type_matches(schema, value, path) {
            return;
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            let supported: Vec<String> = options
                .iter()
                .map(|o| match o {
                    Value::String(s) => format!("{s:?}"),
                    other => format!("{:?}", other.to_string()),
                })
                .collect();
            let message = format!(
                "Unsupported value: {}: supported values: {}",
                shown(value),
                supported.join(", ")
            );
            self.cause("FieldValueNotSupported", path, message);
        }
        match value {
            Value::String(s) => self.string(schema, value, s, path),
            Value::Number(_) => self.number(schema, value, path),
            Value::Array(items) => self.array(schema, value, items, path),
            Value::Object(map) => self.object(schema, value, map, path, resource),
            _ => {}
        }
        self.combinators(schema, value, path, resource);
    }

    fn type_matches(&mut self, schema: &Value, value: &Value, path: &str) -> bool {
        let int_or_string = flag(schema, "x-kubernetes-int-or-string");
        let ok = if int_or_string {
            is_integer(value) || value.is_string()
        } else {
            schema.get("type").and_then(Value::as_str).is_none_or(|t| has_type(value, t))
        };
        if !ok {
            let actual = json_type(value);
            let expected = expected_type(schema);
            let message = format!(
                "Invalid value: \"{actual}\": {path} in body must be of type {expected}: \"{actual}\""
            );
            self.cause("FieldValueTypeInvalid", path, message);
        }
        ok
    }

    fn string(&mut self, schema: &Value, value: &Value, s: &str, path: &str) {
        let length = s.chars().count() as u64;
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && length > max
        {
            self.cause(
                "FieldValueTooLong",
                path,
                format!("Too long: may not be longer than {max}"),
            );
        }
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && length < min
        {
            self.invalid(path, value, format!("should be at least {min} chars long"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && let Some(regex) = self.patterns.get(pattern)
            && !regex.is_match(s)
        {
            self.invalid(path, value, format!("should match '{pattern}'"));
        }
    }

    fn number(&mut self, schema: &Value, value: &Value, path: &str) {
        let Some(n) = value.as_f64() else { return };
        let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
        let text = |key: &str| schema.get(key).map(Value::to_string).unwrap_or_default();
        if let Some(max) = bound("maximum") {
            if flag(schema, "exclusiveMaximum") && n >= max {
                self.invalid(path, value, format!("should be less than {}", text("maximum")));
            } else if n > max {
                let detail = format!("should be less than or equal to {}", text("maximum"));
                self.invalid(path, value, detail);
            }
        }
        if let Some(min) = bound("minimum") {
            if flag(schema, "exclusiveMinimum") && n <= min {
                self.invalid(path, value, format!("should be greater than {}", text("minimum")));
            } else if n < min {
                let detail = format!("should be greater than or equal to {}", text("minimum"));
                self.invalid(path, value, detail);
            }
        }
        if let Some(factor) = bound("multipleOf").filter(|f| *f > 0.0)
            && (n / factor).fract() != 0.0
        {
            self.invalid(path, value, format!("should be a multiple of {}", text("multipleOf")));
        }
    }

    fn array(&mut self, schema: &Value, value: &Value, items: &[Value], path: &mut String) {
        let count = items.len() as u64;
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && count > max
        {
            let message = format!("Too many: {count}: must have at most {max} items");
            self.cause("FieldValueTooMany", path, message);
        }
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && count < min
        {
            let value = Value::from(count);
            self.invalid(path, &value, format!("should have at least {min} items"));
        }
        if flag(schema, "uniqueItems")
            && items.iter().enumerate().any(|(i, a)| items[i + 1..].contains(a))
        {
            self.invalid(path, value, "shouldn't contain duplicates".to_owned());
        }
        let Some(item_schema) = schema.get("items") else { return };
        for (i, item) in items.iter().enumerate() {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            self.value(item_schema, item, path, embedded(Some(item_schema)));
            path.truncate(len);
        }
    }

    fn object(
        &mut self,
        schema: &Value,
        value: &Value,
        map: &Map<String, Value>,
        path: &mut String,
        resource: bool,
    ) {
        if flag(schema, "x-kubernetes-embedded-resource") {
            for field in ["apiVersion", "kind"] {
                if map.get(field).and_then(Value::as_str).is_none_or(str::is_empty) {
                    let len = path.len();
                    push_key(path, field);
                    self.causes.push(Cause::required(path.clone()));
                    path.truncate(len);
                }
            }
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for field in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(field) {
                    let len = path.len();
                    push_key(path, field);
                    self.causes.push(Cause::required(path.clone()));
                    path.truncate(len);
                }
            }
        }
        let count = map.len() as u64;
        if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64)
            && count > max
        {
            let message = format!("Too many: {count}: must have at most {max} items");
            self.cause("FieldValueTooMany", path, message);
        }
        if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
            && count < min
        {
            self.invalid(path, value, format!("should have at least {min} properties"));
        }
        for (key, v) in map {
            if resource_field(resource, key) {
                continue;
            }
            let Some(s) = child(Some(schema), key).filter(|s| !std::ptr::eq(*s, &PRESERVE)) else {
                continue;
            };
            let len = path.len();
            push_key(path, key);
            self.value(s, v, path, embedded(Some(s)));
            path.truncate(len);
        }
    }

    /// `allOf`, `anyOf`, `oneOf` and `not`, which in a structural schema only add value
    /// validations.
    fn combinators(&mut self, schema: &Value, value: &Value, path: &mut String, resource: bool) {
        let branches = |key: &str| schema.get(key).and_then(Value::as_array);
        if let Some(all) = branches("allOf") {
            for branch in all {
                self.value(branch, value, path, resource);
            }
        }
        let passes = |this: &Self, branch: &Value, path: &str| {
            let mut probe = Validator { patterns: this.patterns, causes: Vec::new() };
            probe.value(branch, value, &mut path.to_owned(), resource);
            probe.causes.is_empty()
        };
        if let Some(any) = branches("anyOf")
            && !any.iter().any(|b| passes(self, b, path))
        {
            self.invalid(path, value, "must validate at least one schema (anyOf)".to_owned());
        }
        if let Some(one) = branches("oneOf") {
            let valid = one.iter().filter(|b| passes(self, b, path)).count();
            if valid != 1 {
                let detail = format!(
                    "must validate one and only one schema (oneOf). Found {valid} valid alternatives"
                );
                self.invalid(path, value, detail);
            }
        }
        if let Some(not) = schema.get("not")
            && passes(self, not, path)
        {
            self.invalid(path, value, "must not validate the schema (not)".to_owned());
        }
    }
}

/// The type a schema asks for, as its errors name it.
fn expected_type(schema: &Value) -> String {
    if flag(schema, "x-kubernetes-int-or-string") {
        return "integer,string".to_owned();
    }
    schema.get("type").and_then(Value::as_str).unwrap_or("object").to_owned()
}
