//! The bridge from client-side to server-side apply, for the manager `kubectl` only.
//!
//! An object created with `kubectl apply` (client-side) carries the annotation
//! `kubectl.kubernetes.io/last-applied-configuration` and its fields are owned by the
//! `Update` manager `kubectl-client-side-apply`. Like kube-apiserver, berth lets the first
//! `kubectl apply --server-side` take over fields whose live value is still what the
//! annotation says was last applied ([`allowed_conflicts`]), and keeps the annotation in step
//! with each server-side apply ([`refresh`]) so a later client-side apply diffs against it.

use serde_json::Value;

use super::fieldpath::{FieldSet, canonical_json};
use super::typed::Typed;

/// The manager name `kubectl apply --server-side` uses.
pub const KUBECTL: &str = "kubectl";

const ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Fields the last client-side apply set and that still hold the value it set: a conflict
/// on them is no conflict for `kubectl`.
pub fn allowed_conflicts(typed: &Typed, live: &Value) -> FieldSet {
    let Some(text) = live.pointer("/metadata/annotations").and_then(|a| a.get(ANNOTATION)) else {
        return FieldSet::new();
    };
    let Some(last) = text.as_str().and_then(|t| serde_json::from_str::<Value>(t).ok()) else {
        return FieldSet::new();
    };
    let Ok(applied) = typed.field_set(&last) else { return FieldSet::new() };
    applied.difference(&typed.compare(&last, live).changed())
}

/// Rewrites the annotation, when `object` has it, to the configuration just applied.
pub fn refresh(object: &mut Value, applied: &Value) {
    let Some(annotations) =
        object.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut)
    else {
        return;
    };
    if !annotations.contains_key(ANNOTATION) {
        return;
    }
    let mut config = applied.clone();
    if let Some(meta) = config.get_mut("metadata").and_then(Value::as_object_mut) {
        let now_empty = meta
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
            .map(|own| {
                own.shift_remove(ANNOTATION);
                own.is_empty()
            })
            .unwrap_or(false);
        if now_empty {
            meta.shift_remove("annotations");
        }
    }
    annotations.insert(ANNOTATION.into(), Value::String(canonical_json(&config)));
}
