//! JSON merge patch (RFC 7386): the patch is a partial object laid over the target.
//!
//! [`merge_patch`] merges objects member by member, deletes a member whose patch value is
//! `null`, and replaces everything else (lists included) with the patch value. It is the same
//! for built-in kinds and custom resources; the strategic merge patch builds on this with list
//! merging.

use serde_json::{Map, Value};

use super::{PatchError, check_depth};

/// Applies the RFC 7386 merge patch `patch` to `target`.
pub fn merge_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    check_depth(patch)?;
    let mut document = target.clone();
    merge_into(&mut document, patch);
    Ok(document)
}

/// Lays `patch` over `target`. Recursion follows the patch, whose depth was checked.
fn merge_into(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(members) = target else { return };
    for (key, value) in patch {
        if value.is_null() {
            members.shift_remove(key);
        } else {
            merge_into(members.entry(key.as_str()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::MAX_DEPTH;
    use crate::patch::tests::{deeply_nested, drop_iteratively};
    use serde_json::json;

    #[test]
    fn applies_the_rfc_7386_examples() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": "b", "b": "c"}), json!({"a": null}), json!({"b": "c"})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (json!({"a": [{"b": "c"}]}), json!({"a": [1]}), json!({"a": [1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (json!({"e": null}), json!({"a": 1}), json!({"e": null, "a": 1})),
            (json!([1, 2]), json!({"a": "b", "c": null}), json!({"a": "b"})),
            (json!({}), json!({"a": {"bb": {"ccc": null}}}), json!({"a": {"bb": {}}})),
        ];
        for (target, patch, expected) in cases {
            assert_eq!(merge_patch(&target, &patch), Ok(expected), "{target} + {patch}");
        }
    }

    #[test]
    fn merges_a_kubernetes_object() {
        let target = json!({
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a"}]}}}
        });
        let patch = json!({
            "metadata": {"labels": {"tier": null, "team": "x"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "b"}]}}}
        });
        let expected = json!({
            "metadata": {"name": "web", "labels": {"app": "web", "team": "x"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "b"}]}}}
        });
        assert_eq!(merge_patch(&target, &patch), Ok(expected));
    }

    #[test]
    fn a_hundred_thousand_levels_deep_patch_fails_without_recursing() {
        let patch = deeply_nested(100_000);
        assert_eq!(merge_patch(&json!({}), &patch), Err(PatchError::TooDeep { limit: MAX_DEPTH }));
        drop_iteratively(patch);
    }

    #[test]
    fn a_patch_at_the_depth_limit_applies() {
        let patch = deeply_nested(MAX_DEPTH);
        assert!(merge_patch(&json!({}), &patch).is_ok());
    }
}
