//! The `paths` of a group-version document: a collection and an item path per resource, with
//! the operations it supports.
//!
//! kubectl reads two things here. Its validation check looks for the PATCH operation of the
//! kind with a `fieldValidation` parameter: found, it leaves validation to the server and sends
//! `fieldValidation=Strict`. Client-side apply computes a strategic merge patch from the
//! schemas only when that PATCH operation lists `application/strategic-merge-patch+json`, which
//! a custom resource's does not (kubectl sends it a JSON merge patch).

use serde_json::{Map, Value, json};

use super::catalog::reference;
use super::kinds::{DELETE_OPTIONS, PATCH, STATUS};
use crate::resources::ResourceDef;

const PATCH_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];

/// Custom resources take every patch but a strategic merge patch.
const CUSTOM_PATCH_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
];

/// Adds the paths of one resource, whose kind has the schema `schema`.
pub(super) fn add(paths: &mut Map<String, Value>, def: &ResourceDef, schema: &str) {
    let (collection, item) = resource_paths(def);
    let gvk = json!({"group": def.group, "version": def.version, "kind": def.kind});
    let kind = def.kind;
    let write_params = || {
        vec![
            query("dryRun", "string"),
            query("fieldManager", "string"),
            query("fieldValidation", "string"),
        ]
    };
    let op = |id: String, action: &str, parameters: Vec<Value>, code: &str, answer: Value| {
        json!({
            "operationId": id,
            "parameters": parameters,
            "responses": {
                code: {"description": "OK", "content": {"application/json": {"schema": answer}}},
                "default": {"description": "error", "content": {"application/json": {"schema": reference(STATUS)}}},
            },
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
        })
    };
    let body = |op: &mut Value, types: &[&str], schema: Value| {
        let content: Map<String, Value> =
            types.iter().map(|t| ((*t).to_owned(), json!({"schema": schema}))).collect();
        op["requestBody"] = json!({"required": true, "content": content});
    };
    let list_params = ["labelSelector", "fieldSelector", "continue", "resourceVersion"]
        .iter()
        .map(|name| query(name, "string"))
        .chain([query("limit", "integer"), query("watch", "boolean")])
        .collect();
    let mut post = op(format!("create{kind}"), "post", write_params(), "201", reference(schema));
    body(&mut post, &["application/json"], reference(schema));
    let mut put = op(format!("replace{kind}"), "put", write_params(), "200", reference(schema));
    body(&mut put, &["application/json"], reference(schema));
    let mut patch_params = write_params();
    patch_params.push(query("force", "boolean"));
    let mut patch = op(format!("patch{kind}"), "patch", patch_params, "200", reference(schema));
    let patch_types = if def.custom.is_some() { CUSTOM_PATCH_TYPES } else { PATCH_TYPES };
    body(&mut patch, patch_types, reference(PATCH));
    let mut delete = op(
        format!("delete{kind}"),
        "delete",
        vec![query("dryRun", "string")],
        "200",
        reference(STATUS),
    );
    body(&mut delete, &["application/json"], reference(DELETE_OPTIONS));
    if let Some(body) = delete.get_mut("requestBody") {
        body["required"] = json!(false);
    }
    let mut scope = Vec::new();
    if def.namespaced {
        scope.push(path_param("namespace"));
    }
    let mut item_scope = scope.clone();
    item_scope.push(path_param("name"));
    paths.insert(
        collection,
        json!({
            "parameters": scope,
            "get": op(format!("list{kind}"), "list", list_params, "200", json!({"type": "object"})),
            "post": post,
        }),
    );
    paths.insert(
        item,
        json!({
            "parameters": item_scope,
            "get": op(format!("read{kind}"), "get", Vec::new(), "200", reference(schema)),
            "put": put,
            "patch": patch,
            "delete": delete,
        }),
    );
}

fn query(name: &str, kind: &str) -> Value {
    json!({"name": name, "in": "query", "schema": {"type": kind, "uniqueItems": true}})
}

fn path_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "uniqueItems": true}})
}

fn resource_paths(def: &ResourceDef) -> (String, String) {
    let base = if def.group.is_empty() {
        "/api/v1".to_owned()
    } else {
        format!("/apis/{}/{}", def.group, def.version)
    };
    let scope = if def.namespaced { "/namespaces/{namespace}" } else { "" };
    let collection = format!("{base}{scope}/{}", def.plural);
    let item = format!("{collection}/{{name}}");
    (collection, item)
}
