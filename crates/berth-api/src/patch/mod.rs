//! The Kubernetes patch types, applied to objects held as JSON values.
//!
//! A `PATCH` request names one of three documents, each with its own function here:
//! [`json_patch()`] (RFC 6902, `application/json-patch+json`), [`merge_patch()`] (RFC 7386,
//! `application/merge-patch+json`) and [`strategic_merge_patch`]
//! (`application/strategic-merge-patch+json`, which kubectl's client-side `apply` sends). The
//! strategic patch needs to know how each list merges; [`PatchMeta`] answers that, and
//! [`BuiltinPatchMeta`] holds the answers for the built-in kinds.
//!
//! Every function is pure: it reads the stored object and the patch and returns the patched
//! object or a [`PatchError`], leaving both inputs untouched. Patches come from clients, so
//! the nesting of every patch document is measured without recursion before any recursive step
//! (see [`MAX_DEPTH`]) and a JSON patch is bounded in operations and in copied values.

mod json_patch;
mod merge_patch;
mod meta;
mod pointer;
mod strategic;

use serde_json::Value;

pub use json_patch::{MAX_COPIED_VALUES, MAX_JSON_PATCH_OPERATIONS, json_patch};
pub use merge_patch::merge_patch;
pub use meta::{BuiltinPatchMeta, ListStrategy, PatchMeta};
pub use strategic::strategic_merge_patch;

/// How deeply a patch document (or a value a JSON patch places) may nest maps and lists.
///
/// Kubernetes objects nest a dozen levels; serde_json refuses to parse more than 128.
pub const MAX_DEPTH: usize = 100;

/// Why a patch could not be applied.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PatchError {
    /// The patch document is malformed: wrong shape, unknown operation or directive, bad
    /// JSON pointer, missing merge key.
    #[error("invalid patch: {message}")]
    Invalid { message: String },
    /// A JSON patch `test` operation found a different value, or none.
    #[error("json patch test operation failed at {path:?}")]
    TestFailed { path: String },
    /// A JSON patch operation names a location that does not exist.
    #[error("json patch path {path:?} does not exist")]
    PathNotFound { path: String },
    /// A JSON patch has more than [`MAX_JSON_PATCH_OPERATIONS`] operations.
    #[error("the allowed maximum operations in a json patch is {limit}, got {count}")]
    TooManyOperations { count: usize, limit: usize },
    /// The patch, or a value it would place, nests deeper than [`MAX_DEPTH`].
    #[error("the patch nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    /// The `copy` (and deepening `move`) operations of a JSON patch would duplicate more than
    /// [`MAX_COPIED_VALUES`] JSON values in total.
    #[error("the json patch copies more than {limit} values")]
    TooLarge { limit: usize },
}

impl PatchError {
    /// The HTTP status Kubernetes answers with: 400 for a malformed or too deeply nested
    /// document, 413 for too many operations, 422 when a well-formed JSON patch cannot be
    /// applied to this object.
    pub fn http_status(&self) -> u16 {
        match self {
            PatchError::Invalid { .. } | PatchError::TooDeep { .. } => 400,
            PatchError::TooManyOperations { .. } => 413,
            PatchError::TestFailed { .. }
            | PatchError::PathNotFound { .. }
            | PatchError::TooLarge { .. } => 422,
        }
    }

    fn invalid(message: impl Into<String>) -> PatchError {
        PatchError::Invalid { message: message.into() }
    }
}

/// How many levels of maps and lists `value` nests (a scalar is 0, `{}` and `[]` are 1), or
/// `None` once that exceeds `limit`. Walks with an explicit stack, so any depth is safe.
fn nesting(value: &Value, limit: usize) -> Option<usize> {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, above)) = stack.pop() {
        let (Value::Object(_) | Value::Array(_)) = value else { continue };
        let depth = above + 1;
        if depth > limit {
            return None;
        }
        deepest = deepest.max(depth);
        match value {
            Value::Object(map) => stack.extend(map.values().map(|child| (child, depth))),
            Value::Array(items) => stack.extend(items.iter().map(|child| (child, depth))),
            _ => {}
        }
    }
    Some(deepest)
}

/// Fails with [`PatchError::TooDeep`] when `patch` nests deeper than [`MAX_DEPTH`].
fn check_depth(patch: &Value) -> Result<(), PatchError> {
    match nesting(patch, MAX_DEPTH) {
        Some(_) => Ok(()),
        None => Err(PatchError::TooDeep { limit: MAX_DEPTH }),
    }
}

/// JSON equality in which numbers compare by value (`80` equals `80.0`), as RFC 6902's `test`
/// and the Go implementation of merge keys (where every number is a float64) both require.
/// Recursion follows the shallower side, so it is bounded when one side is a checked patch.
fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| values_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Builds `{"a":{"a":...}}` `levels` deep without recursion.
    pub(super) fn deeply_nested(levels: usize) -> Value {
        let mut value = Value::Null;
        for _ in 0..levels {
            let mut map = serde_json::Map::new();
            map.insert("a".to_owned(), value);
            value = Value::Object(map);
        }
        value
    }

    /// Takes a value apart with an explicit stack; serde_json's own drop recurses.
    pub(super) fn drop_iteratively(value: Value) {
        let mut stack = vec![value];
        while let Some(mut value) = stack.pop() {
            match &mut value {
                Value::Object(map) => {
                    let keys: Vec<String> = map.keys().cloned().collect();
                    stack.extend(keys.iter().filter_map(|key| map.remove(key)));
                }
                Value::Array(items) => stack.append(items),
                _ => {}
            }
        }
    }

    #[test]
    fn nesting_counts_levels_of_maps_and_lists() {
        let cases = [
            (json!(1), Some(0)),
            (json!({}), Some(1)),
            (json!([]), Some(1)),
            (json!({"a": [1, {"b": null}]}), Some(3)),
            (json!({"a": {"b": {"c": {}}}}), None),
        ];
        for (value, expected) in cases {
            assert_eq!(nesting(&value, 3), expected, "{value}");
        }
    }

    #[test]
    fn check_depth_handles_a_hundred_thousand_levels() {
        let deep = deeply_nested(100_000);
        assert_eq!(check_depth(&deep), Err(PatchError::TooDeep { limit: MAX_DEPTH }));
        drop_iteratively(deep);
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(values_equal(&json!(80), &json!(80.0)));
        assert!(values_equal(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!values_equal(&json!(1), &json!("1")));
        assert!(!values_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(values_equal(&json!(u64::MAX), &json!(u64::MAX)));
        assert!(!values_equal(&json!(-1), &json!(u64::MAX)));
    }

    #[test]
    fn errors_map_to_kubernetes_status_codes() {
        assert_eq!(PatchError::invalid("x").http_status(), 400);
        assert_eq!(PatchError::TooDeep { limit: 1 }.http_status(), 400);
        assert_eq!(PatchError::TooManyOperations { count: 2, limit: 1 }.http_status(), 413);
        assert_eq!(PatchError::TestFailed { path: "/a".into() }.http_status(), 422);
        assert_eq!(PatchError::PathNotFound { path: "/a".into() }.http_status(), 422);
        assert_eq!(PatchError::TooLarge { limit: 1 }.http_status(), 422);
    }
}
