//! The v2 document: the conversion from v3, its protobuf encoding (read back with a small
//! decoder of our own), negotiation and ETags.

use serde_json::{Value, json};

use super::v2::{self, schema};
use super::v2_http::{Format, body, negotiate, not_modified};
use super::{catalog, gnostic};
use crate::crds::Crds;

fn document() -> Value {
    v2::document(catalog(), &Crds::default())
}

pub(super) fn widgets() -> Crds {
    let crds = Crds::default();
    add_widgets(&crds);
    crds
}

fn add_widgets(crds: &Crds) {
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {"spec": {"type": "object", "properties": {
                    "size": {"type": "integer", "description": "How big."},
                    "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                    "note": {"type": "string", "nullable": true},
                }}},
            }}}],
        },
        "status": {"conditions": [
            {"type": "NamesAccepted", "status": "True"}, {"type": "Established", "status": "True"},
        ]},
    });
    crds.apply(&crd, 1);
}

#[test]
fn schemas_are_rewritten_as_swagger_two_writes_them() {
    #[rustfmt::skip]
    let cases = [
        (json!({"$ref": "#/components/schemas/a.B"}), json!({"$ref": "#/definitions/a.B"})),
        (json!({"description": "d", "allOf": [{"$ref": "#/components/schemas/a.B"}]}),
         json!({"description": "d", "$ref": "#/definitions/a.B"})),
        (json!({"description": "q", "x-kubernetes-int-or-string": true}),
         json!({"description": "q", "x-kubernetes-int-or-string": true, "type": "string", "format": "int-or-string"})),
        (json!({"oneOf": [{"type": "boolean"}], "description": "o"}), json!({"description": "o"})),
        (json!({"type": "string", "nullable": true}), json!({"type": "string"})),
        (json!({"type": "array"}), json!({})),
        (json!({"type": "null"}), json!({})),
        (json!({"type": ["string", "null"]}), json!({})),
        (json!({"type": "object", "additionalProperties": true}), json!({"type": "object", "additionalProperties": true})),
        (json!({"type": "object", "additionalProperties": {"allOf": [{"$ref": "#/components/schemas/a.B"}]}}),
         json!({"type": "object", "additionalProperties": {"$ref": "#/definitions/a.B"}})),
        (json!({"type": "array", "items": {"nullable": true, "type": "integer"}, "x-kubernetes-list-type": "set"}),
         json!({"type": "array", "items": {"type": "integer"}, "x-kubernetes-list-type": "set"})),
        // Property names are names, not keywords.
        (json!({"type": "object", "properties": {"oneOf": {"type": "string"}, "$ref": {"type": "string"}}}),
         json!({"type": "object", "properties": {"oneOf": {"type": "string"}, "$ref": {"type": "string"}}})),
    ];
    for (v3, v2) in cases {
        assert_eq!(schema(&v3), v2, "{v3}");
    }
}

#[test]
fn definitions_carry_kinds_merge_keys_and_references() {
    let document = document();
    assert_eq!(document["swagger"], "2.0");
    let definitions = &document["definitions"];
    assert_eq!(
        definitions["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"],
        json!([{"group": "apps", "version": "v1", "kind": "Deployment"}])
    );
    let spec = &definitions["io.k8s.api.core.v1.Pod"]["properties"]["spec"];
    assert_eq!(spec["$ref"], "#/definitions/io.k8s.api.core.v1.PodSpec");
    assert!(spec["description"].as_str().is_some_and(|d| d.contains("desired behavior")));
    let containers = &definitions["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["items"]["$ref"], "#/definitions/io.k8s.api.core.v1.Container");
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    let target = &definitions["io.k8s.api.core.v1.ContainerPort"]["properties"]["containerPort"];
    assert_eq!(target["type"], "integer");
    let int_or_string = &definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
    assert_eq!(
        (&int_or_string["type"], &int_or_string["format"]),
        (&json!("string"), &json!("int-or-string"))
    );
}

/// What kubectl's parser of the v2 document insists on: references that resolve, arrays with
/// items, one type, no type beside a reference.
fn check(schema: &Value, definitions: &Value, at: &str) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name =
            reference.strip_prefix("#/definitions/").unwrap_or_else(|| panic!("{at}: {reference}"));
        assert!(definitions.get(name).is_some(), "{at}: {reference} does not resolve");
        assert!(schema.get("type").is_none() && schema.get("properties").is_none(), "{at}");
    }
    assert!(schema.get("allOf").is_none() && schema.get("nullable").is_none(), "{at}");
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => assert!(schema.get("items").is_some(), "{at}"),
        Some(t) => assert!(t.is_string(), "{at}"),
        None => {}
    }
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        check(property, definitions, &format!("{at}.{name}"));
    }
    for key in ["items", "additionalProperties"] {
        if schema.get(key).is_some_and(Value::is_object) {
            check(&schema[key], definitions, &format!("{at}[{key}]"));
        }
    }
}

#[test]
fn every_definition_is_readable_by_kubectl_with_and_without_crds() {
    for document in [document(), v2::document(catalog(), &widgets())] {
        let definitions = &document["definitions"];
        for (name, definition) in definitions.as_object().into_iter().flatten() {
            check(definition, definitions, name);
        }
        let text = document.to_string();
        assert!(!text.contains("#/components/"), "a v3 reference is left");
    }
}

#[test]
fn operations_have_unique_ids_and_v2_bodies() {
    let document = document();
    let item = &document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
    let patch = &item["patch"];
    assert_eq!(patch["operationId"], "patchAppsV1NamespacedDeployment");
    assert_eq!(patch["x-kubernetes-group-version-kind"]["kind"], "Deployment");
    let consumes = patch["consumes"].as_array().cloned().unwrap_or_default();
    assert!(consumes.contains(&json!("application/strategic-merge-patch+json")), "{consumes:?}");
    let params = patch["parameters"].as_array().cloned().unwrap_or_default();
    assert!(params.contains(&json!({"name": "body", "in": "body", "required": true,
        "schema": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}})));
    assert!(params.contains(
        &json!({"name": "fieldValidation", "in": "query", "type": "string", "uniqueItems": true})
    ));
    assert_eq!(
        patch["responses"]["200"]["schema"]["$ref"],
        "#/definitions/io.k8s.api.apps.v1.Deployment"
    );
    assert_eq!(patch["produces"], json!(["application/json"]));
    assert_eq!(item["parameters"][0]["type"], "string");
    let mut ids = Vec::new();
    for item in document["paths"].as_object().into_iter().flatten().map(|(_, i)| i) {
        ids.extend(
            item.as_object().into_iter().flatten().filter_map(|(_, op)| op["operationId"].as_str()),
        );
    }
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "operation ids repeat");
    assert!(
        ids.contains(&"listCoreV1Node") && ids.contains(&"readRbacAuthorizationV1NamespacedRole")
    );
}

#[test]
fn custom_resources_join_the_document_without_strategic_merge() {
    let document = v2::document(catalog(), &widgets());
    let widget = &document["definitions"]["com.example.v1.Widget"];
    assert_eq!(widget["x-kubernetes-group-version-kind"][0]["kind"], "Widget");
    assert_eq!(
        widget["properties"]["metadata"]["$ref"],
        "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    );
    let spec = &widget["properties"]["spec"]["properties"];
    assert_eq!(spec["port"]["format"], "int-or-string");
    assert!(spec["port"].get("anyOf").is_none());
    assert_eq!(spec["note"], json!({"type": "string"}));
    let patch =
        &document["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"];
    let consumes = patch["consumes"].as_array().cloned().unwrap_or_default();
    assert!(
        !consumes.is_empty()
            && !consumes.contains(&json!("application/strategic-merge-patch+json"))
    );
    assert!(document["definitions"]["io.k8s.api.core.v1.Pod"].is_object(), "built-ins stay");
}

#[test]
fn accept_headers_choose_the_representation() {
    let protobuf = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
    #[rustfmt::skip]
    let cases = [
        (None, Some(Format::Json)),
        (Some(""), Some(Format::Json)),
        (Some("application/json"), Some(Format::Json)),
        (Some("*/*"), Some(Format::Json)),
        (Some("application/json, */*"), Some(Format::Json)),
        (Some(protobuf), Some(Format::Protobuf)),
        (Some("application/com.github.proto-openapi.spec.v2.v1.0+protobuf"), Some(Format::Protobuf)),
        (Some("application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf"), Some(Format::Protobuf)),
        (Some("application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0, application/json"), Some(Format::Json)),
        (Some("application/yaml"), None),
        (Some("text/html, application/xml;q=0.9"), None),
    ];
    for (accept, format) in cases {
        assert_eq!(negotiate(accept), format, "{accept:?}");
    }
}

#[test]
fn if_none_match_compares_etags() {
    let etag = "\"0123456789ABCDEF\"";
    #[rustfmt::skip]
    let cases = [
        (None, false),
        (Some("\"0123456789ABCDEF\""), true),
        (Some("W/\"0123456789ABCDEF\""), true),
        (Some("\"other\", \"0123456789ABCDEF\""), true),
        (Some("*"), true),
        (Some("\"0123456789ABCDEE\""), false),
    ];
    for (header, expected) in cases {
        assert_eq!(not_modified(header, etag), expected, "{header:?}");
    }
}

#[test]
fn bodies_are_cached_until_the_crds_change() {
    let crds = Crds::default();
    let (json_body, json_tag) = body(&crds, Format::Json);
    let (pb_body, pb_tag) = body(&crds, Format::Protobuf);
    assert_ne!(json_tag, pb_tag);
    assert_eq!(body(&crds, Format::Json).0.as_ptr(), json_body.as_ptr(), "built once");
    let parsed: Value = serde_json::from_slice(&json_body).expect("JSON");
    assert_eq!(parsed["swagger"], "2.0");
    assert_eq!(pb_body.as_ref(), gnostic::encode(&parsed).as_slice());
    add_widgets(&crds);
    let (with_widgets, tag) = body(&crds, Format::Json);
    assert_ne!(tag, json_tag);
    assert!(String::from_utf8_lossy(&with_widgets).contains("com.example.v1.Widget"));
}
