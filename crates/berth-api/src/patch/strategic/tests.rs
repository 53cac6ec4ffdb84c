//! Tests for [`strategic_merge_patch`]: what `kubectl apply` sends, every directive, the
//! ordering rule and the errors. The generic cases use a small metadata table shaped like the
//! one Kubernetes' own tests use; the rest use the built-in kinds.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;
use crate::patch::tests::{deeply_nested, drop_iteratively};
use crate::patch::{BuiltinPatchMeta, ListStrategy, MAX_DEPTH};

/// `mergingList` merges by `name` and `mergingIntList` as a set, at any depth; every other
/// list is replaced.
struct TestMeta;

impl PatchMeta for TestMeta {
    fn list_strategy(&self, path: &[&str]) -> ListStrategy {
        match path.last() {
            Some(&"mergingList") => ListStrategy::Merge { key: "name" },
            Some(&"mergingIntList") => ListStrategy::MergePrimitive,
            _ => ListStrategy::Replace,
        }
    }
}

fn apply(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    strategic_merge_patch(target, patch, &TestMeta)
}

fn invalid() -> Result<Value, ()> {
    Err(())
}

#[test]
fn kubectl_apply_updates_the_image_and_keeps_the_ports() {
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [
            {"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}
        ]}}}
    });
    let patch = json!({
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"new\":1}"}},
        "spec": {"replicas": 3, "template": {"spec": {
            "$setElementOrder/containers": [{"name": "nginx"}],
            "containers": [{"image": "nginx:1.26", "name": "nginx"}]
        }}}
    });
    let expected = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"new\":1}"}},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "nginx", "image": "nginx:1.26", "ports": [{"containerPort": 80}]}
        ]}}}
    });
    let meta = BuiltinPatchMeta::for_kind("Deployment");
    assert_eq!(strategic_merge_patch(&deployment, &patch, &meta), Ok(expected));
}

#[test]
fn applies_maps_lists_and_directives() {
    let cases: Vec<(&str, Value, Value, Result<Value, ()>)> = vec![
        (
            "maps merge and null deletes",
            json!({"a": {"b": 1, "c": 2}, "d": 3}),
            json!({"a": {"b": null, "e": 4}, "d": null, "f": 5}),
            Ok(json!({"a": {"c": 2, "e": 4}, "f": 5})),
        ),
        (
            "a list without strategy is replaced",
            json!({"other": [1, 2]}),
            json!({"other": [3]}),
            Ok(json!({"other": [3]})),
        ),
        (
            "scalars merge as a set",
            json!({"mergingIntList": [1, 2]}),
            json!({"mergingIntList": [2, 3]}),
            Ok(json!({"mergingIntList": [1, 2, 3]})),
        ),
        (
            "objects merge by key",
            json!({"mergingList": [{"name": "a", "v": 1}, {"name": "b", "v": 2}]}),
            json!({"mergingList": [{"name": "b", "v": 3, "w": 4}]}),
            Ok(json!({"mergingList": [{"name": "a", "v": 1}, {"name": "b", "v": 3, "w": 4}]})),
        ),
        (
            "a new element goes before the live ones it is not ordered against",
            json!({"mergingList": [{"name": "a"}, {"name": "b"}]}),
            json!({"mergingList": [{"name": "c"}]}),
            Ok(json!({"mergingList": [{"name": "c"}, {"name": "a"}, {"name": "b"}]})),
        ),
        (
            "the patch's order wins over the live order",
            json!({"mergingList": [{"name": "1"}, {"name": "2", "v": "b"}, {"name": "3"}]}),
            json!({"mergingList": [{"name": "3", "v": "c"}, {"name": "1", "v": "a"}]}),
            Ok(
                json!({"mergingList": [{"name": "2", "v": "b"}, {"name": "3", "v": "c"}, {"name": "1", "v": "a"}]}),
            ),
        ),
        (
            "merge keys compare numbers by value",
            json!({"mergingList": [{"name": 80, "v": 1}]}),
            json!({"mergingList": [{"name": 80.0, "w": 2}]}),
            Ok(json!({"mergingList": [{"name": 80.0, "v": 1, "w": 2}]})),
        ),
        (
            "$patch delete removes every element with the key",
            json!({"mergingList": [{"name": 1}, {"name": 1}, {"name": 2, "v": "a"}, {"name": 3}]}),
            json!({"mergingList": [{"name": 1, "$patch": "delete"}, {"name": 3, "$patch": "delete"}]}),
            Ok(json!({"mergingList": [{"name": 2, "v": "a"}]})),
        ),
        (
            "$patch replace in a list keeps only the other elements",
            json!({"mergingList": [{"name": "a", "v": 1}, {"name": "b"}]}),
            json!({"mergingList": [{"name": "a", "w": 2}, {"$patch": "replace"}]}),
            Ok(json!({"mergingList": [{"name": "a", "w": 2}]})),
        ),
        (
            "$patch replace alone empties a list",
            json!({"mergingList": [{"name": 1}, {"name": 2}]}),
            json!({"mergingList": [{"$patch": "replace"}]}),
            Ok(json!({"mergingList": []})),
        ),
        (
            "$patch replace in a map",
            json!({"m": {"a": 1, "b": 2}, "n": 1}),
            json!({"m": {"$patch": "replace", "c": 3}}),
            Ok(json!({"m": {"c": 3}, "n": 1})),
        ),
        (
            "$patch replace at the root",
            json!({"a": 1, "b": 1}),
            json!({"other": "x", "$patch": "replace"}),
            Ok(json!({"other": "x"})),
        ),
        (
            "$patch delete in a map removes it",
            json!({"m": {"a": 1}, "n": 1}),
            json!({"m": {"$patch": "delete"}}),
            Ok(json!({"n": 1})),
        ),
        (
            "$patch delete at the root empties the object",
            json!({"a": 1}),
            json!({"$patch": "delete"}),
            Ok(json!({})),
        ),
        (
            "$patch merge is the default",
            json!({"m": {"a": 1}}),
            json!({"m": {"$patch": "merge", "b": 2}}),
            Ok(json!({"m": {"a": 1, "b": 2}})),
        ),
        (
            "$retainKeys clears unlisted fields",
            json!({"m": {"name": "foo", "other": "a"}}),
            json!({"m": {"$retainKeys": ["name", "value"], "value": "bar"}}),
            Ok(json!({"m": {"name": "foo", "value": "bar"}})),
        ),
        (
            "$retainKeys in a list element",
            json!({"mergingList": [{"name": "bar"}, {"name": "foo", "old": 1}]}),
            json!({"$setElementOrder/mergingList": [{"name": "bar"}, {"name": "foo"}],
                   "mergingList": [{"$retainKeys": ["name", "value"], "name": "foo", "value": "a"}]}),
            Ok(json!({"mergingList": [{"name": "bar"}, {"name": "foo", "value": "a"}]})),
        ),
        (
            "$setElementOrder interleaves live-only elements",
            json!({"mergingList": [{"name": 1, "o": "a"}, {"name": 2}, {"name": 7}, {"name": 9},
                                   {"name": 8}, {"name": 3}, {"name": 4}]}),
            json!({"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}, {"name": 4}, {"name": 3}]}),
            Ok(
                json!({"mergingList": [{"name": 2}, {"name": 1, "o": "a"}, {"name": 7}, {"name": 9},
                                      {"name": 8}, {"name": 4}, {"name": 3}]}),
            ),
        ),
        (
            "$setElementOrder places new elements",
            json!({"mergingList": [{"name": 1, "o": "a"}, {"name": 2}]}),
            json!({"$setElementOrder/mergingList": [{"name": 1}, {"name": 4}, {"name": 2}, {"name": 3}],
                   "mergingList": [{"name": 4}, {"name": 3}]}),
            Ok(
                json!({"mergingList": [{"name": 1, "o": "a"}, {"name": 4}, {"name": 2}, {"name": 3}]}),
            ),
        ),
        (
            "$setElementOrder keeps live duplicates together",
            json!({"mergingList": [{"name": 1}, {"name": 2, "v": 1}, {"name": 3}, {"name": 2, "v": 2}]}),
            json!({"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}, {"name": 3}]}),
            Ok(
                json!({"mergingList": [{"name": 2, "v": 1}, {"name": 2, "v": 2}, {"name": 1}, {"name": 3}]}),
            ),
        ),
        (
            "$setElementOrder never adds elements",
            json!({"mergingIntList": [1, 3]}),
            json!({"$setElementOrder/mergingIntList": [3, 2, 1]}),
            Ok(json!({"mergingIntList": [3, 1]})),
        ),
        (
            "$setElementOrder of a missing list adds nothing",
            json!({}),
            json!({"$setElementOrder/mergingList": [{"name": 1}]}),
            Ok(json!({})),
        ),
        (
            "$setElementOrder that contradicts the patch",
            json!({"mergingList": [{"name": 1}, {"name": 3}, {"name": 2}]}),
            json!({"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}, {"name": 3}],
                   "mergingList": [{"name": 3}, {"name": 1}]}),
            invalid(),
        ),
        (
            "$deleteFromPrimitiveList with an addition",
            json!({"mergingIntList": [1, 2, 3]}),
            json!({"$setElementOrder/mergingIntList": [1, 2, 4], "$deleteFromPrimitiveList/mergingIntList": [3],
                   "mergingIntList": [4]}),
            Ok(json!({"mergingIntList": [1, 2, 4]})),
        ),
        (
            "$deleteFromPrimitiveList of a missing value",
            json!({"mergingIntList": [1, 2]}),
            json!({"$deleteFromPrimitiveList/mergingIntList": [3]}),
            Ok(json!({"mergingIntList": [1, 2]})),
        ),
        (
            "$deleteFromPrimitiveList of a missing list",
            json!({"foo": ["bar"]}),
            json!({"$deleteFromPrimitiveList/mergingIntList": [3]}),
            Ok(json!({"foo": ["bar"]})),
        ),
        (
            "a new map is applied to an empty one",
            json!({}),
            json!({"m": {"$patch": "merge", "a": null, "b": {"c": null}, "mergingList": [{"name": 1, "$patch": "delete"}]}}),
            Ok(json!({"m": {"b": {}, "mergingList": []}})),
        ),
        (
            "directives in a new list element are dropped",
            json!({"mergingList": []}),
            json!({"mergingList": [{"name": "a", "m": {"$patch": "replace", "x": 1}}]}),
            Ok(json!({"mergingList": [{"name": "a", "m": {"x": 1}}]})),
        ),
        (
            "a value of another type replaces",
            json!({"a": [1], "b": {"c": 1}}),
            json!({"a": {"x": 1}, "b": 2}),
            Ok(json!({"a": {"x": 1}, "b": 2})),
        ),
        (
            "nested merging lists",
            json!({"mergingList": [{"name": 1, "mergingList": [{"name": "x", "v": 1}]}]}),
            json!({"mergingList": [{"name": 1, "mergingList": [{"name": "x", "w": 2}]}]}),
            Ok(
                json!({"mergingList": [{"name": 1, "mergingList": [{"name": "x", "v": 1, "w": 2}]}]}),
            ),
        ),
        (
            "missing merge key",
            json!({"mergingList": [{"name": 1}]}),
            json!({"mergingList": [{"value": "b"}]}),
            invalid(),
        ),
        ("unknown $patch", json!({"m": {}}), json!({"m": {"$patch": "explode"}}), invalid()),
        (
            "$patch merge in a list",
            json!({}),
            json!({"mergingList": [{"name": 1, "$patch": "merge"}]}),
            invalid(),
        ),
        (
            "$retainKeys that misses a patched field",
            json!({"m": {}}),
            json!({"m": {"$retainKeys": ["a"], "b": 1}}),
            invalid(),
        ),
        (
            "$retainKeys that is not a list of names",
            json!({"m": {}}),
            json!({"m": {"$retainKeys": [1]}}),
            invalid(),
        ),
        ("directive without a field", json!({}), json!({"$setElementOrder": [1]}), invalid()),
        (
            "$deleteFromPrimitiveList of objects",
            json!({}),
            json!({"$deleteFromPrimitiveList/x": [{}]}),
            invalid(),
        ),
        (
            "lists of lists",
            json!({"mergingIntList": [[1]]}),
            json!({"mergingIntList": [[2]]}),
            invalid(),
        ),
        (
            "objects in a set of scalars",
            json!({"mergingIntList": [1]}),
            json!({"mergingIntList": [{"a": 1}]}),
            invalid(),
        ),
    ];
    for (name, target, patch, expected) in cases {
        assert_eq!(apply(&target, &patch).map_err(|_| ()), expected, "{name}");
    }
}

#[test]
fn merges_the_lists_of_built_in_kinds() {
    let cases: Vec<(&str, Value, Value, Value)> = vec![
        (
            "ConfigMap",
            json!({"metadata": {"finalizers": ["a"], "ownerReferences": [{"uid": "1", "name": "x"}]}}),
            json!({"metadata": {"finalizers": ["b", "a"], "ownerReferences": [{"uid": "2", "name": "y"}]}}),
            json!({"metadata": {"finalizers": ["b", "a"], "ownerReferences": [{"uid": "2", "name": "y"}, {"uid": "1", "name": "x"}]}}),
        ),
        (
            "Pod",
            json!({"spec": {"volumes": [{"name": "v", "configMap": {"name": "c"}}], "tolerations": [{"key": "a"}]}}),
            json!({"spec": {"volumes": [{"$retainKeys": ["emptyDir", "name"], "name": "v", "emptyDir": {}}],
                            "tolerations": [{"key": "b"}]}}),
            json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}], "tolerations": [{"key": "b"}]}}),
        ),
        (
            "Pod",
            json!({"spec": {"containers": [{"name": "c", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]}}),
            json!({"spec": {"containers": [{"name": "c", "env": [{"name": "B", "value": "3"}]}]}}),
            json!({"spec": {"containers": [{"name": "c", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]}]}}),
        ),
        (
            "Deployment",
            json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}),
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
            json!({"spec": {"strategy": {"type": "Recreate"}}}),
        ),
        (
            "Service",
            json!({"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443}]}}),
            json!({"spec": {"ports": [{"port": 443, "name": "https"}]}}),
            json!({"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}}),
        ),
        (
            "Node",
            json!({"status": {"conditions": [{"type": "Ready", "status": "False"}], "addresses": [{"type": "Hostname", "address": "n"}]}}),
            json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
            json!({"status": {"conditions": [{"type": "Ready", "status": "True"}], "addresses": [{"type": "Hostname", "address": "n"}]}}),
        ),
        (
            "CronJob",
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1"}]}}}}}}),
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a", "args": ["x"]}]}}}}}}),
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1", "args": ["x"]}]}}}}}}),
        ),
        (
            "Widget",
            json!({"spec": {"containers": [{"name": "a", "image": "1"}]}}),
            json!({"spec": {"containers": [{"name": "a"}]}}),
            json!({"spec": {"containers": [{"name": "a"}]}}),
        ),
    ];
    for (kind, target, patch, expected) in cases {
        let meta = BuiltinPatchMeta::for_kind(kind);
        assert_eq!(strategic_merge_patch(&target, &patch, &meta), Ok(expected), "{kind}");
    }
}

#[test]
fn leaves_the_target_untouched() {
    let target = json!({"mergingList": [{"name": 1}], "a": 1});
    let patch = json!({"mergingList": [{"name": 1, "$patch": "delete"}], "a": null});
    assert_eq!(apply(&target, &patch), Ok(json!({"mergingList": []})));
    assert_eq!(target, json!({"mergingList": [{"name": 1}], "a": 1}));
}

#[test]
fn rejects_patches_and_targets_that_are_not_objects() {
    assert!(matches!(apply(&json!({}), &json!([])), Err(PatchError::Invalid { .. })));
    assert!(matches!(apply(&json!([]), &json!({})), Err(PatchError::Invalid { .. })));
}

#[test]
fn a_hundred_thousand_levels_deep_patch_fails_without_recursing() {
    let patch = deeply_nested(100_000);
    assert_eq!(apply(&json!({}), &patch), Err(PatchError::TooDeep { limit: MAX_DEPTH }));
    drop_iteratively(patch);
}

#[test]
fn long_lists_merge_in_linear_time() {
    let live: Vec<Value> = (0..50_000).map(|i| json!({"name": i, "v": 0})).collect();
    let patch: Vec<Value> = (0..50_000).rev().map(|i| json!({"name": i, "w": 1})).collect();
    let merged = apply(&json!({"mergingList": live}), &json!({"mergingList": patch})).unwrap();
    assert_eq!(merged["mergingList"][0], json!({"name": 49_999, "v": 0, "w": 1}));
}
