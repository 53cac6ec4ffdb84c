//! Tests for [`json_patch`]: the cases of RFC 6902 appendix A (with our own data), the error
//! kinds and the limits.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;
use crate::patch::tests::{deeply_nested, drop_iteratively};

fn invalid() -> Result<Value, &'static str> {
    Err("invalid")
}

/// Runs `json_patch` and reduces an error to its kind, so tables stay short.
fn run(target: &Value, patch: &Value) -> Result<Value, &'static str> {
    json_patch(target, patch).map_err(|error| match error {
        PatchError::Invalid { .. } => "invalid",
        PatchError::TestFailed { .. } => "test failed",
        PatchError::PathNotFound { .. } => "not found",
        PatchError::TooManyOperations { .. } => "too many",
        PatchError::TooDeep { .. } => "too deep",
        PatchError::TooLarge { .. } => "too large",
    })
}

#[test]
fn applies_the_rfc_6902_appendix_a_cases() {
    let cases: Vec<(&str, Value, Value, Result<Value, &str>)> = vec![
        (
            "a.1 add an object member",
            json!({"app": "web"}),
            json!([{"op": "add", "path": "/tier", "value": "front"}]),
            Ok(json!({"app": "web", "tier": "front"})),
        ),
        (
            "a.2 add an array element",
            json!({"args": ["-v", "--once"]}),
            json!([{"op": "add", "path": "/args/1", "value": "-q"}]),
            Ok(json!({"args": ["-v", "-q", "--once"]})),
        ),
        (
            "a.3 remove an object member",
            json!({"app": "web", "tier": "front"}),
            json!([{"op": "remove", "path": "/tier"}]),
            Ok(json!({"app": "web"})),
        ),
        (
            "a.4 remove an array element",
            json!({"args": ["-v", "-q", "--once"]}),
            json!([{"op": "remove", "path": "/args/1"}]),
            Ok(json!({"args": ["-v", "--once"]})),
        ),
        (
            "a.5 replace a value",
            json!({"image": "nginx:1.25", "name": "web"}),
            json!([{"op": "replace", "path": "/image", "value": "nginx:1.26"}]),
            Ok(json!({"image": "nginx:1.26", "name": "web"})),
        ),
        (
            "a.6 move a value",
            json!({"old": {"replicas": 3, "paused": false}, "spec": {"selector": "x"}}),
            json!([{"op": "move", "from": "/old/replicas", "path": "/spec/replicas"}]),
            Ok(json!({"old": {"paused": false}, "spec": {"selector": "x", "replicas": 3}})),
        ),
        (
            "a.7 move an array element",
            json!({"steps": ["build", "test", "lint", "ship"]}),
            json!([{"op": "move", "from": "/steps/1", "path": "/steps/3"}]),
            Ok(json!({"steps": ["build", "lint", "ship", "test"]})),
        ),
        (
            "a.8 test passes",
            json!({"name": "web", "ports": [80, 443]}),
            json!([
                {"op": "test", "path": "/name", "value": "web"},
                {"op": "test", "path": "/ports", "value": [80, 443]}
            ]),
            Ok(json!({"name": "web", "ports": [80, 443]})),
        ),
        (
            "a.9 test fails",
            json!({"name": "web"}),
            json!([{"op": "test", "path": "/name", "value": "db"}]),
            Err("test failed"),
        ),
        (
            "a.10 add a nested object",
            json!({"spec": {}}),
            json!([{"op": "add", "path": "/spec/template", "value": {"spec": {"x": 1}}}]),
            Ok(json!({"spec": {"template": {"spec": {"x": 1}}}})),
        ),
        (
            "a.11 unknown members of an operation are ignored",
            json!({"a": 1}),
            json!([{"op": "add", "path": "/b", "value": 2, "note": "ignored"}]),
            Ok(json!({"a": 1, "b": 2})),
        ),
        (
            "a.12 add below a missing parent",
            json!({"a": 1}),
            json!([{"op": "add", "path": "/missing/b", "value": 2}]),
            Err("not found"),
        ),
        ("a.13 an operation without op", json!({}), json!([{"path": "/a", "value": 1}]), invalid()),
        (
            "a.14 escapes: ~01 means the key ~1",
            json!({"/": 9, "~1": 10}),
            json!([{"op": "test", "path": "/~01", "value": 10}]),
            Ok(json!({"/": 9, "~1": 10})),
        ),
        (
            "a.15 a string never equals a number",
            json!({"/": 9, "~1": 10}),
            json!([{"op": "test", "path": "/~01", "value": "10"}]),
            Err("test failed"),
        ),
        (
            "a.16 add an array as a value",
            json!({"args": ["-v"]}),
            json!([{"op": "add", "path": "/args/-", "value": ["-q", "-x"]}]),
            Ok(json!({"args": ["-v", ["-q", "-x"]]})),
        ),
    ];
    for (name, target, patch, expected) in cases {
        assert_eq!(run(&target, &patch), expected, "{name}");
    }
}

#[test]
fn covers_the_edges_of_each_operation() {
    let doc = json!({"a": {"b": [1, 2]}, "n": null});
    let cases: Vec<(&str, Value, Result<Value, &str>)> = vec![
        (
            "add at the end index",
            json!([{"op": "add", "path": "/a/b/2", "value": 3}]),
            Ok(json!({"a": {"b": [1, 2, 3]}, "n": null})),
        ),
        (
            "add past the end",
            json!([{"op": "add", "path": "/a/b/3", "value": 3}]),
            Err("not found"),
        ),
        (
            "add with a leading-zero index",
            json!([{"op": "add", "path": "/a/b/01", "value": 3}]),
            Err("not found"),
        ),
        (
            "add replaces an existing member",
            json!([{"op": "add", "path": "/a", "value": 0}]),
            Ok(json!({"a": 0, "n": null})),
        ),
        (
            "add the whole document",
            json!([{"op": "add", "path": "", "value": [1]}]),
            Ok(json!([1])),
        ),
        (
            "add below a scalar",
            json!([{"op": "add", "path": "/a/b/0/x", "value": 1}]),
            Err("not found"),
        ),
        (
            "add a null value",
            json!([{"op": "add", "path": "/z", "value": null}]),
            Ok(json!({"a": {"b": [1, 2]}, "n": null, "z": null})),
        ),
        ("remove a missing member", json!([{"op": "remove", "path": "/x"}]), Err("not found")),
        ("remove with -", json!([{"op": "remove", "path": "/a/b/-"}]), Err("not found")),
        ("remove the whole document", json!([{"op": "remove", "path": ""}]), invalid()),
        (
            "remove a null member",
            json!([{"op": "remove", "path": "/n"}]),
            Ok(json!({"a": {"b": [1, 2]}})),
        ),
        (
            "replace a missing member",
            json!([{"op": "replace", "path": "/x", "value": 1}]),
            Err("not found"),
        ),
        (
            "replace the whole document",
            json!([{"op": "replace", "path": "", "value": 7}]),
            Ok(json!(7)),
        ),
        (
            "move into its own child",
            json!([{"op": "move", "from": "/a", "path": "/a/c"}]),
            invalid(),
        ),
        ("move onto itself", json!([{"op": "move", "from": "/a", "path": "/a"}]), Ok(doc.clone())),
        (
            "move from a missing path",
            json!([{"op": "move", "from": "/x", "path": "/y"}]),
            Err("not found"),
        ),
        (
            "copy a subtree",
            json!([{"op": "copy", "from": "/a/b", "path": "/c"}]),
            Ok(json!({"a": {"b": [1, 2]}, "n": null, "c": [1, 2]})),
        ),
        (
            "copy into an array",
            json!([{"op": "copy", "from": "/a/b/1", "path": "/a/b/0"}]),
            Ok(json!({"a": {"b": [2, 1, 2]}, "n": null})),
        ),
        (
            "test numbers by value",
            json!([{"op": "test", "path": "/a/b/0", "value": 1.0}]),
            Ok(doc.clone()),
        ),
        (
            "test a missing path",
            json!([{"op": "test", "path": "/x", "value": null}]),
            Err("test failed"),
        ),
        (
            "a later failure undoes nothing visible",
            json!([
                {"op": "remove", "path": "/a"},
                {"op": "test", "path": "/a", "value": 1}
            ]),
            Err("test failed"),
        ),
        ("unknown op", json!([{"op": "merge", "path": "/a"}]), invalid()),
        ("missing value", json!([{"op": "add", "path": "/a"}]), invalid()),
        ("missing from", json!([{"op": "copy", "path": "/a"}]), invalid()),
        ("path that is not a pointer", json!([{"op": "remove", "path": "a"}]), invalid()),
        ("operation that is not an object", json!(["add"]), invalid()),
        ("patch that is not a list", json!({"op": "add"}), invalid()),
        ("empty patch", json!([]), Ok(doc.clone())),
    ];
    for (name, patch, expected) in cases {
        assert_eq!(run(&doc, &patch), expected, "{name}");
    }
}

#[test]
fn leaves_the_target_untouched() {
    let target = json!({"a": 1});
    let patched = json_patch(&target, &json!([{"op": "remove", "path": "/a"}])).unwrap();
    assert_eq!(patched, json!({}));
    assert_eq!(target, json!({"a": 1}));
}

#[test]
fn more_than_ten_thousand_operations_fail_fast() {
    let operation = json!({"op": "add", "path": "/x", "value": 1});
    let too_many = Value::Array(vec![operation.clone(); MAX_JSON_PATCH_OPERATIONS + 1]);
    assert_eq!(
        json_patch(&json!({}), &too_many),
        Err(PatchError::TooManyOperations { count: 10_001, limit: 10_000 })
    );
    let just_enough = Value::Array(vec![operation; MAX_JSON_PATCH_OPERATIONS]);
    assert_eq!(json_patch(&json!({}), &just_enough), Ok(json!({"x": 1})));
}

#[test]
fn a_hundred_thousand_levels_deep_value_fails_without_recursing() {
    let patch = json!([{"op": "add", "path": "/x", "value": null}]);
    let mut patch = patch;
    patch[0]["value"] = deeply_nested(100_000);
    assert_eq!(json_patch(&json!({}), &patch), Err(PatchError::TooDeep { limit: MAX_DEPTH }));
    patch[0]["op"] = json!("test");
    assert_eq!(json_patch(&json!({}), &patch), Err(PatchError::TooDeep { limit: MAX_DEPTH }));
    drop_iteratively(patch);
}

#[test]
fn values_may_not_be_placed_too_deep() {
    // Each of these stays within the limit on its own but would end up deeper.
    let target = json!({"deep": deeply_nested(60), "shelf": deeply_nested(50)});
    let below_shelf = format!("/shelf{}", "/a".repeat(49));
    for op in ["move", "copy"] {
        let patch = json!([{"op": op, "from": "/deep", "path": below_shelf}]);
        assert_eq!(run(&target, &patch), Err("too deep"), "{op}");
    }
    let patch = json!([{"op": "add", "path": below_shelf, "value": deeply_nested(60)}]);
    assert_eq!(run(&target, &patch), Err("too deep"));
    let shallow = json!([{"op": "move", "from": "/deep", "path": "/shelf/a/b"}]);
    assert!(run(&target, &shallow).is_ok());
}

#[test]
fn copies_that_double_the_document_are_bounded() {
    let target = json!({"a": [0]});
    let double = json!({"op": "copy", "from": "/a", "path": "/a/-"});
    let patch = Value::Array(vec![double; 40]);
    assert_eq!(run(&target, &patch), Err("too large"));
}
