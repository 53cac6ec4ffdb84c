//! Server-side apply of a custom resource, whose lists and maps merge as its CRD's structural
//! schema declares ([`Schema::structural`]).

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;

const NOW: &str = "2025-01-01T00:00:00Z";

/// A CRD version's `openAPIV3Schema` with one list or map of each kind.
fn widget_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    // A map list keyed by `name`.
                    "items": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object", "properties": {
                            "name": {"type": "string"}, "value": {"type": "string"}}},
                    },
                    // A map list with two keys, the second defaulted.
                    "ports": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["port", "protocol"],
                        "items": {"type": "object", "properties": {
                            "port": {"type": "integer"},
                            "protocol": {"type": "string", "default": "TCP"},
                            "name": {"type": "string"}}},
                    },
                    "tags": {"type": "array", "x-kubernetes-list-type": "set",
                        "items": {"type": "string"}},
                    // No list type: atomic.
                    "args": {"type": "array", "items": {"type": "string"}},
                    "selector": {"type": "object", "x-kubernetes-map-type": "atomic",
                        "additionalProperties": {"type": "string"}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        },
    })
}

fn widget(spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec})
}

fn run(live: Option<&Value>, applied: &Value, manager: &str) -> Result<ApplyOutcome, ApplyError> {
    let schema = Schema::structural(&widget_schema());
    apply(&ApplyRequest {
        live,
        applied,
        manager,
        force: false,
        kind: "Widget",
        api_version: "example.com/v1",
        schema: &schema,
        subresource: None,
        now: NOW,
    })
}

fn applied(live: Option<&Value>, config: &Value, manager: &str) -> Value {
    match run(live, config, manager).unwrap() {
        ApplyOutcome::Applied(object) => object,
        ApplyOutcome::Conflicts(conflicts) => panic!("unexpected conflicts: {conflicts:?}"),
    }
}

fn conflicts(live: &Value, config: &Value, manager: &str) -> Vec<String> {
    match run(Some(live), config, manager).unwrap() {
        ApplyOutcome::Conflicts(conflicts) => conflicts.into_iter().map(|c| c.field).collect(),
        ApplyOutcome::Applied(object) => panic!("no conflict: {object}"),
    }
}

#[test]
fn managers_of_different_elements_of_a_map_list_keep_theirs() {
    let a = widget(json!({"items": [{"name": "a", "value": "1"}]}));
    let b = widget(json!({"items": [{"name": "b", "value": "2"}]}));
    let live = applied(None, &a, "a");
    let live = applied(Some(&live), &b, "b");
    assert_eq!(
        live["spec"]["items"],
        json!([{"name": "a", "value": "1"}, {"name": "b", "value": "2"}])
    );
    // Changing another manager's element conflicts on its field, not on the list.
    let steal = widget(json!({"items": [{"name": "a", "value": "9"}]}));
    assert_eq!(conflicts(&live, &steal, "b"), [r#".spec.items[name="a"].value"#]);
    // A manager that stops applying its element removes it, and only it.
    let none = widget(json!({"items": []}));
    let live = applied(Some(&live), &none, "a");
    assert_eq!(live["spec"]["items"], json!([{"name": "b", "value": "2"}]));
}

#[test]
fn set_lists_merge_by_value_and_atomic_ones_conflict() {
    let live = applied(None, &widget(json!({"tags": ["x"], "args": ["--a"]})), "a");
    let live = applied(Some(&live), &widget(json!({"tags": ["y"]})), "b");
    assert_eq!(live["spec"]["tags"], json!(["x", "y"]));
    // An undeclared list is one value, owned whole by its manager.
    assert_eq!(conflicts(&live, &widget(json!({"args": ["--b"]})), "b"), [".spec.args"]);
}

#[test]
fn atomic_maps_are_one_value_and_granular_ones_are_not() {
    let live = applied(None, &widget(json!({"selector": {"app": "x"}, "labels": {"a": "1"}})), "a");
    let live = applied(Some(&live), &widget(json!({"labels": {"b": "2"}})), "b");
    assert_eq!(live["spec"]["labels"], json!({"a": "1", "b": "2"}));
    let other_key = widget(json!({"selector": {"tier": "y"}}));
    assert_eq!(conflicts(&live, &other_key, "b"), [".spec.selector"]);
}

#[test]
fn map_lists_with_several_keys_tell_elements_apart_by_all() {
    // The same port over TCP (by default) and UDP is two elements.
    let tcp = widget(json!({"ports": [{"port": 53, "name": "dns-tcp"}]}));
    let udp = widget(json!({"ports": [{"port": 53, "protocol": "UDP", "name": "dns"}]}));
    let live = applied(None, &tcp, "a");
    let live = applied(Some(&live), &udp, "b");
    assert_eq!(live["spec"]["ports"].as_array().unwrap().len(), 2, "{}", live["spec"]);
    let fields = &live["metadata"]["managedFields"][1]["fieldsV1"]["f:spec"]["f:ports"];
    assert!(fields.get(r#"k:{"port":53,"protocol":"UDP"}"#).is_some(), "{fields}");

    // A key without a default may not be omitted.
    let nameless = widget(json!({"items": [{"value": "1"}]}));
    let error = run(None, &nameless, "a").unwrap_err();
    assert_eq!(error.http_status(), 422);
    assert!(error.to_string().contains(r#"omits key field "name""#), "{error}");
}

#[test]
fn metadata_of_a_custom_resource_merges_as_object_meta() {
    let mut a = widget(json!({}));
    a["metadata"]["finalizers"] = json!(["example.com/a"]);
    let mut b = widget(json!({}));
    b["metadata"]["finalizers"] = json!(["example.com/b"]);
    let live = applied(None, &a, "a");
    let live = applied(Some(&live), &b, "b");
    assert_eq!(live["metadata"]["finalizers"], json!(["example.com/a", "example.com/b"]));
}

#[test]
fn updates_own_only_the_element_they_change() {
    let schema = Schema::structural(&widget_schema());
    let live = applied(None, &widget(json!({"items": [{"name": "a", "value": "1"}]})), "a");
    let mut new = live.clone();
    new["spec"]["items"][0]["value"] = json!("2");
    record_update(&schema, Some(&live), &mut new, "editor", "example.com/v1", NOW, None);
    let entries = new["metadata"]["managedFields"].as_array().unwrap();
    let editor = entries.iter().find(|e| e["manager"] == "editor").unwrap();
    assert_eq!(
        editor["fieldsV1"],
        json!({"f:spec": {"f:items": {r#"k:{"name":"a"}"#: {"f:value": {}}}}})
    );
    // With the built-in rules of an unknown kind the list would be atomic, owned whole.
    let mut whole = live.clone();
    whole["spec"]["items"][0]["value"] = json!("2");
    record_update(&Schema::for_kind("Widget"), Some(&live), &mut whole, "editor", "v", NOW, None);
    let entries = whole["metadata"]["managedFields"].as_array().unwrap();
    let editor = entries.iter().find(|e| e["manager"] == "editor").unwrap();
    assert_eq!(editor["fieldsV1"], json!({"f:spec": {"f:items": {}}}));
}
