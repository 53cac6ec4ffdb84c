//! OpenAPI v3 documents, one per group-version, enough for kubectl: every resource's paths with
//! the operations it supports (PATCH carries the `fieldValidation` parameter, so kubectl leaves
//! validation to the server) and a schema per kind tagged with its group-version-kind.
//!
//! Field-level schemas (types and descriptions for `kubectl explain`) are not generated yet.

use serde_json::{Map, Value, json};

use crate::resources::{self, BUILTINS, ResourceDef};

/// The group-versions served, as OpenAPI path names (`api/v1`, `apis/apps/v1`).
pub fn group_versions() -> Vec<(String, &'static str, &'static str)> {
    let mut out = vec![("api/v1".to_owned(), "", "v1")];
    for group in resources::groups() {
        for version in resources::versions(group) {
            out.push((format!("apis/{group}/{version}"), group, version));
        }
    }
    out
}

/// `/openapi/v3`: the index, with a hash per document so that clients may cache them.
pub fn index() -> Value {
    let mut paths = Map::new();
    for (path, group, version) in group_versions() {
        let hash = document_hash(&document(group, version));
        paths.insert(
            path.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={hash}")}),
        );
    }
    json!({"paths": paths})
}

fn document_hash(document: &Value) -> String {
    // FNV-1a: stable across runs and enough to tell documents apart.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in document.to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016X}")
}

/// `/openapi/v3/<group-version path>`
pub fn document(group: &str, version: &str) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for def in BUILTINS.iter().filter(|r| r.group == group && r.version == version) {
        let gvk = json!({"group": group, "version": version, "kind": def.kind});
        let (collection, item) = resource_paths(def);
        let params = json!([
            {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
        ]);
        let op = |id: String, action: &str| {
            json!({"operationId": id, "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk,
                   "parameters": params, "responses": {"200": {"description": "OK"}}})
        };
        let mut patch = op(format!("patch{}", def.kind), "patch");
        if let Some(p) = patch["parameters"].as_array_mut() {
            p.push(json!({"name": "force", "in": "query", "schema": {"type": "boolean"}}))
        }
        paths.insert(collection, json!({"get": op(format!("list{}", def.kind), "list"), "post": op(format!("create{}", def.kind), "post")}));
        paths.insert(
            item,
            json!({
                "get": op(format!("read{}", def.kind), "get"),
                "put": op(format!("replace{}", def.kind), "put"),
                "patch": patch,
                "delete": op(format!("delete{}", def.kind), "delete"),
            }),
        );
        schemas.insert(schema_name(def), json!({
            "type": "object",
            "description": format!("{} is a {} resource.", def.kind, def.api_version()),
            "x-kubernetes-group-version-kind": [gvk],
            "properties": {
                "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."},
                "kind": {"type": "string", "description": "Kind is a string value representing the REST resource this object represents."},
                "metadata": {"type": "object", "description": "Standard object's metadata.", "x-kubernetes-preserve-unknown-fields": true},
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            },
            "x-kubernetes-preserve-unknown-fields": true,
        }));
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

fn schema_name(def: &ResourceDef) -> String {
    let group = if def.group.is_empty() {
        "core"
    } else {
        def.group.split('.').next().unwrap_or(def.group)
    };
    format!("io.k8s.api.{group}.{}.{}", def.version, def.kind)
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
