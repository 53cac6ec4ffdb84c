//! OpenAPI v2 (Swagger 2.0): the one document `/openapi/v2` serves, for every built-in
//! group-version and every served custom resource, derived from the v3 documents rather than
//! from a second copy of the schemas.
//!
//! [`document`] merges the v3 parts (the built-in half converted once, each custom
//! group-version's [`super::custom::document`] per CRD change) and rewrites what v3 has and
//! Swagger 2.0 lacks, the way Kubernetes' own v2 document reads: references move from
//! `#/components/schemas/` to `#/definitions/`, a `{allOf: [{$ref}]}` wrapper becomes the
//! `$ref` it wraps, `oneOf`/`anyOf`/`not`/`nullable` go, an int-or-string becomes
//! `type: string, format: int-or-string`, a request body becomes an `in: body` parameter with
//! `consumes`, and a response's `content` becomes its `schema` with `produces`. kubectl parses
//! the result strictly (every `$ref` must resolve, every array needs `items`), so the schema
//! rewrite also drops what would make a definition unreadable. [`super::gnostic`] encodes it as
//! protobuf; [`super::v2_http`] serves it.

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use super::catalog::Catalog;
use super::{builtin_parts, custom, group_versions};
use crate::crds::Crds;

const V3_SCHEMAS: &str = "#/components/schemas/";
const V2_DEFINITIONS: &str = "#/definitions/";
const V3_PARAMETERS: &str = "#/components/parameters/";
const V2_PARAMETERS: &str = "#/parameters/";

/// Keys of a v3 schema that Swagger 2.0 has no place for.
const DROPPED: &[&str] = &[
    "oneOf",
    "anyOf",
    "not",
    "nullable",
    "writeOnly",
    "deprecated",
    "patternProperties",
    "dependencies",
    "additionalItems",
    "definitions",
    "$schema",
    "id",
];

const TYPES: &[&str] = &["object", "array", "string", "number", "integer", "boolean"];

/// The `paths` and `definitions` of one or more group-versions.
#[derive(Debug, Default, Clone)]
pub(super) struct Parts {
    pub paths: Map<String, Value>,
    pub definitions: Map<String, Value>,
}

impl Parts {
    /// Adds a v3 document's paths and schemas, converted.
    pub fn add_v3(&mut self, document: &Value) {
        let empty = Map::new();
        let paths = document["paths"].as_object().unwrap_or(&empty);
        self.add(paths, document["components"]["schemas"].as_object().unwrap_or(&empty));
    }

    /// Adds v3 paths and schemas, converted. A schema already there (the shared metadata types
    /// every group-version's document repeats) is the same one and is not converted again.
    fn add(&mut self, paths: &Map<String, Value>, schemas: &Map<String, Value>) {
        for (path, item) in paths {
            self.paths.insert(path.clone(), path_item(path, item));
        }
        for (name, value) in schemas {
            self.definitions.entry(name.clone()).or_insert_with(|| schema(value));
        }
    }
}

/// The built-in group-versions, converted once.
fn builtin(catalog: &Catalog) -> &'static Parts {
    static BUILTIN: OnceLock<Parts> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let mut paths = Map::new();
        let mut roots = Vec::new();
        for (_, group, version) in group_versions() {
            builtin_parts(catalog, group, version, &mut paths, &mut roots);
        }
        let mut parts = Parts::default();
        parts.add(&paths, &catalog.reachable(&roots));
        parts
    })
}

/// The whole v2 document: the built-in group-versions and those of the CRDs `crds` serves.
pub(super) fn document(catalog: &Catalog, crds: &Crds) -> Value {
    let mut parts = builtin(catalog).clone();
    for (_, group, version) in custom::group_versions(crds) {
        parts.add_v3(&custom::document(catalog, crds, &group, version));
    }
    let mut document = Map::new();
    document.insert("swagger".into(), json!("2.0"));
    document.insert("info".into(), json!({"title": "Kubernetes", "version": "v1.32.0"}));
    document.insert("paths".into(), Value::Object(parts.paths));
    document.insert("definitions".into(), Value::Object(parts.definitions));
    Value::Object(document)
}

/// A v3 schema reference as a v2 one: `#/components/schemas/X` → `#/definitions/X`.
fn definition_ref(reference: &Value) -> Value {
    let reference = reference.as_str().unwrap_or_default();
    json!(reference.replacen(V3_SCHEMAS, V2_DEFINITIONS, 1))
}

/// A v3 schema as Swagger 2.0 writes it.
pub(super) fn schema(v3: &Value) -> Value {
    let Value::Object(map) = v3 else { return v3.clone() };
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "$ref" => {
                out.insert(key.clone(), definition_ref(value));
            }
            "allOf" => {
                // `{allOf: [{$ref}]}` is how v3 puts a description beside a reference; v2 puts
                // them side by side. Other combinations have no v2 form kubectl reads.
                if let Some([only]) = value.as_array().map(Vec::as_slice)
                    && let Some(reference) = only.get("$ref")
                {
                    out.insert("$ref".into(), definition_ref(reference));
                }
            }
            "properties" => {
                let properties = value.as_object().into_iter().flatten();
                let converted: Map<String, Value> =
                    properties.map(|(name, s)| (name.clone(), schema(s))).collect();
                out.insert(key.clone(), Value::Object(converted));
            }
            "items" => {
                let items = match value {
                    Value::Array(list) => Value::Array(list.iter().map(schema).collect()),
                    other => schema(other),
                };
                out.insert(key.clone(), items);
            }
            "additionalProperties" if value.is_object() => {
                out.insert(key.clone(), schema(value));
            }
            _ if DROPPED.contains(&key.as_str()) => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    let int_or_string = out.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
    if out.contains_key("$ref") {
        for key in ["type", "properties", "items", "additionalProperties"] {
            out.remove(key);
        }
    } else if int_or_string && !out.contains_key("type") {
        out.insert("type".into(), json!("string"));
        out.insert("format".into(), json!("int-or-string"));
    }
    let readable = match out.get("type") {
        Some(Value::String(t)) => {
            TYPES.contains(&t.as_str()) && (t != "array" || out.contains_key("items"))
        }
        Some(_) => false,
        None => true,
    };
    if !readable {
        out.remove("type");
    }
    Value::Object(out)
}

/// A v3 path item: its operations and shared parameters.
fn path_item(path: &str, v3: &Value) -> Value {
    let Value::Object(map) = v3 else { return v3.clone() };
    let mut out = Map::new();
    for (key, value) in map {
        let converted = match key.as_str() {
            "parameters" => parameters(value),
            "get" | "put" | "post" | "delete" | "patch" | "head" | "options" => {
                operation(path, value)
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    Value::Object(out)
}

fn parameters(v3: &Value) -> Value {
    Value::Array(v3.as_array().into_iter().flatten().map(parameter).collect())
}

/// `{name, in, schema: {type}}` → `{name, in, type}`.
fn parameter(v3: &Value) -> Value {
    let Value::Object(map) = v3 else { return v3.clone() };
    let mut out = Map::new();
    for (key, value) in map {
        match (key.as_str(), value) {
            ("schema", Value::Object(schema)) => out.extend(schema.clone()),
            ("$ref", Value::String(r)) => {
                out.insert(key.clone(), json!(r.replacen(V3_PARAMETERS, V2_PARAMETERS, 1)));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

fn operation(path: &str, v3: &Value) -> Value {
    let Value::Object(map) = v3 else { return v3.clone() };
    let mut out = Map::new();
    let mut params = map.get("parameters").map(parameters).unwrap_or_else(|| json!([]));
    for (key, value) in map {
        match key.as_str() {
            "parameters" => {}
            "operationId" => {
                let id = value.as_str().unwrap_or_default();
                let gvk = map.get("x-kubernetes-group-version-kind").unwrap_or(&Value::Null);
                out.insert(key.clone(), json!(operation_id(id, path, gvk)));
            }
            "requestBody" => {
                let content = value["content"].as_object();
                let types: Vec<&String> = content.into_iter().flatten().map(|(t, _)| t).collect();
                let body_schema =
                    content.and_then(|c| c.values().next()).map(|m| schema(&m["schema"]));
                out.insert("consumes".into(), json!(types));
                let required = value.get("required").cloned().unwrap_or(json!(false));
                let body = json!({"name": "body", "in": "body", "required": required, "schema": body_schema.unwrap_or(json!({}))});
                if let Some(list) = params.as_array_mut() {
                    list.insert(0, body);
                }
            }
            "responses" => {
                let mut produces: Vec<&String> = Vec::new();
                let mut responses = Map::new();
                for (code, response) in value.as_object().into_iter().flatten() {
                    let mut converted = json!({"description": response["description"].as_str().unwrap_or_default()});
                    let content = response["content"].as_object().into_iter().flatten();
                    for (media, body) in content {
                        if !produces.contains(&media) {
                            produces.push(media);
                        }
                        converted["schema"] = schema(&body["schema"]);
                    }
                    responses.insert(code.clone(), converted);
                }
                out.insert("produces".into(), json!(produces));
                out.insert(key.clone(), Value::Object(responses));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out.insert("parameters".into(), params);
    Value::Object(out)
}

/// Operation ids unique across the document, as Kubernetes spells them: `patchDeployment` on
/// `/apis/apps/v1/namespaces/{namespace}/deployments/{name}` is `patchAppsV1NamespacedDeployment`.
fn operation_id(id: &str, path: &str, gvk: &Value) -> String {
    let (group, version, kind) =
        (gvk["group"].as_str(), gvk["version"].as_str(), gvk["kind"].as_str());
    let (Some(group), Some(version), Some(kind)) = (group, version, kind) else {
        return id.to_owned();
    };
    let Some(verb) = id.strip_suffix(kind) else { return id.to_owned() };
    let group = if group.is_empty() { "core" } else { group.trim_end_matches(".k8s.io") };
    let words = group.split(['.', '-']).chain([version]).map(capitalize);
    let scope = if path.contains("{namespace}") { "Namespaced" } else { "" };
    format!("{verb}{}{scope}{kind}", words.collect::<String>())
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
