//! OpenAPI v3 documents for the group-versions of custom resources, as kube-apiserver builds
//! them from CRDs: the version's schema under `<reversed group>.<version>.<Kind>` with
//! `apiVersion`, `kind` and a reference to `ObjectMeta` put in, a `<Kind>List`, the paths of
//! [`super::paths`] (whose PATCH takes no strategic merge patch), and the shared meta schemas.
//! kubectl reads them for `explain` and to leave field validation to the server on `apply`.
//!
//! Documents are rebuilt when a CRD changes, not on every request ([`Crds::memo`]).

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::catalog::{Catalog, reference};
use super::paths;
use crate::crds::Crds;
use crate::resources::Sub;

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
const SCALE: &str = "io.k8s.api.autoscaling.v1.Scale";

const API_VERSION: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const METADATA: &str = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// The served custom group-versions, as OpenAPI path names (`apis/example.com/v1`).
pub fn group_versions(crds: &Crds) -> Vec<(String, String, &'static str)> {
    let mut out = Vec::new();
    for group in crds.groups() {
        for version in crds.versions(&group) {
            out.push((format!("apis/{group}/{version}"), group.clone(), version));
        }
    }
    out
}

/// The JSON of a custom group-version's document, built once per CRD change.
pub fn document_json(catalog: &Catalog, crds: &Crds, group: &str, version: &str) -> Option<Bytes> {
    if crds.served_versions(group, version).is_empty() {
        return None;
    }
    let key = format!("openapi/apis/{group}/{version}");
    Some(crds.memo(&key, || Bytes::from(document(catalog, crds, group, version).to_string())))
}

/// `com.example.v1.Widget` for `example.com/v1` `Widget`.
fn schema_name(group: &str, version: &str, kind: &str) -> String {
    let reversed: Vec<&str> = group.split('.').rev().collect();
    format!("{}.{version}.{kind}", reversed.join("."))
}

pub fn document(catalog: &Catalog, crds: &Crds, group: &str, version: &str) -> Value {
    let mut paths_out = Map::new();
    let mut schemas = Map::new();
    let mut roots = vec![OBJECT_META, LIST_META];
    for served in crds.served_versions(group, version) {
        let def = served.def;
        let name = schema_name(group, version, def.kind);
        let list_kind =
            def.custom.map_or_else(|| format!("{}List", def.kind), |c| c.list_kind.to_owned());
        let gvk = |kind: &str| json!([{"group": group, "version": version, "kind": kind}]);
        let mut schema = served.schema.as_ref().map(|s| s.root().clone()).unwrap_or_else(
            || json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
        );
        if let Some(map) = schema.as_object_mut() {
            let properties = map.entry("properties").or_insert_with(|| json!({}));
            if let Some(properties) = properties.as_object_mut() {
                properties.insert(
                    "apiVersion".into(),
                    json!({"type": "string", "description": API_VERSION}),
                );
                properties.insert("kind".into(), json!({"type": "string", "description": KIND}));
                properties.insert(
                    "metadata".into(),
                    json!({"allOf": [reference(OBJECT_META)], "description": METADATA}),
                );
            }
            map.insert("x-kubernetes-group-version-kind".into(), gvk(def.kind));
        }
        let list = json!({
            "description": format!("{list_kind} is a list of {}", def.kind),
            "type": "object",
            "required": ["items"],
            "properties": {
                "apiVersion": {"type": "string", "description": API_VERSION},
                "items": {
                    "description": format!("List of {}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md", def.plural),
                    "type": "array",
                    "items": reference(&name),
                },
                "kind": {"type": "string", "description": KIND},
                "metadata": {"allOf": [reference(LIST_META)], "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"},
            },
            "x-kubernetes-group-version-kind": gvk(&list_kind),
        });
        paths::add(&mut paths_out, def, &name);
        if def.has(Sub::Scale) {
            roots.push(SCALE);
        }
        schemas.insert(name.clone(), schema);
        schemas.insert(schema_name(group, version, &list_kind), list);
    }
    let mut components = catalog.reachable(&roots);
    components.extend(schemas);
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes CRD Swagger", "version": "v0.1.0"},
        "paths": paths_out,
        "components": {"schemas": components},
    })
}
