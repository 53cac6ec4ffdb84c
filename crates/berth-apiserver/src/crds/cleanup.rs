//! Deleting a CRD deletes its custom resources first, as Kubernetes' finalizer controller does.
//!
//! A delete of a CRD marks it ([`mark_terminating`]: the `customresourcecleanup` finalizer and
//! a `Terminating` condition); from then on its resources may be read and deleted but not
//! created. [`finish`] deletes them (one with finalizers of its own is marked for deletion and
//! waited for), then drops the finalizer, which lets the CRD go. The delete request runs it at
//! once; [`super::sync::run`] runs it again for CRDs still terminating, on every API server.

use berth_store::{ListOptions, Store, StoreError};
use serde_json::{Value, json};

use super::{crd_def, definition};
use crate::ApiState;
use crate::meta;
use crate::objects;
use crate::resources;
use crate::status::ApiError;

/// The finalizer that holds a CRD until its resources are gone.
pub const FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

/// What a delete request does to a CRD: adds the cleanup finalizer and the `Terminating`
/// condition.
pub fn mark_terminating(crd: &mut Value) {
    let Some(map) = crd.as_object_mut() else { return };
    if let Some(metadata) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        let finalizers = metadata.entry("finalizers").or_insert_with(|| json!([]));
        if let Some(list) = finalizers.as_array_mut()
            && !list.iter().any(|f| f == FINALIZER)
        {
            list.push(json!(FINALIZER));
        }
    }
    let status = map.entry("status").or_insert_with(|| json!({}));
    let Some(status) = status.as_object_mut() else { return };
    let conditions = status.entry("conditions").or_insert_with(|| json!([]));
    if let Some(list) = conditions.as_array_mut()
        && !list.iter().any(|c| c["type"] == "Terminating")
    {
        list.push(json!({
            "type": "Terminating", "status": "True", "lastTransitionTime": meta::now_rfc3339(),
            "reason": "InstanceDeletionInProgress", "message": "CustomResource deletion is in progress",
        }));
    }
}

fn holds_finalizer(object: &Value) -> bool {
    let finalizers = object.pointer("/metadata/finalizers").and_then(Value::as_array);
    finalizers.is_some_and(|list| list.iter().any(|f| f == FINALIZER))
}

fn deleting(object: &Value) -> bool {
    object.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null())
}

/// Deletes the custom resources of the CRD `name` if it is being deleted, then the CRD.
/// Returns whether the CRD is gone.
pub async fn finish(state: &ApiState, name: &str) -> Result<bool, ApiError> {
    let def = crd_def()?;
    let current = match state.objects.get(def, None, name).await {
        Ok(current) => current,
        Err(error) if error.code == 404 => return Ok(true),
        Err(error) => return Err(error),
    };
    let crd = &current.object;
    if !deleting(crd) || !holds_finalizer(crd) {
        return Ok(false);
    }
    if let Some(definition) = definition::parse(crd) {
        let prefix = resources::storage_prefix(&definition.group, &definition.names.plural);
        let remaining = delete_all(state.objects.store().as_ref(), &prefix)
            .await
            .map_err(|e| ApiError::from_store(e, def, name))?;
        if remaining > 0 {
            return Ok(false);
        }
    }
    let mut next = crd.clone();
    if let Some(list) = next.pointer_mut("/metadata/finalizers").and_then(Value::as_array_mut) {
        list.retain(|f| f != FINALIZER);
    }
    let others = next.pointer("/metadata/finalizers").and_then(Value::as_array);
    // Another API server (or this one's sync task) may get there first: gone is gone.
    if others.is_none_or(Vec::is_empty) {
        return match state.objects.delete(def, None, name, current.revision).await {
            Ok(Ok(())) => {
                // Only this caller needs the revision of the delete: ask for it here.
                let revision = state.objects.store().current_revision().await;
                state.crds.remove(name, revision.unwrap_or(current.revision));
                Ok(true)
            }
            Ok(Err(_conflict)) => Ok(false),
            Err(error) if error.code == 404 => Ok(true),
            Err(error) => Err(error),
        };
    }
    match state.objects.update(def, None, name, &next, current.revision).await {
        Ok(Ok(stored)) => state.crds.apply(&stored.object, stored.revision),
        Ok(Err(_conflict)) => {}
        Err(error) if error.code == 404 => return Ok(true),
        Err(error) => return Err(error),
    }
    Ok(false)
}

/// Deletes every object under `prefix`; marks those with finalizers for deletion instead.
/// Returns how many are left.
async fn delete_all(store: &dyn Store, prefix: &str) -> Result<usize, StoreError> {
    let mut remaining = 0;
    let mut options = ListOptions { limit: Some(500), ..ListOptions::prefix(prefix) };
    loop {
        let page = store.list(&options).await?;
        for kv in &page.kvs {
            let Ok(stored) = objects::decode(kv) else { continue };
            let mut object = stored.object;
            let finalizers = object.pointer("/metadata/finalizers").and_then(Value::as_array);
            if finalizers.is_some_and(|f| !f.is_empty()) {
                remaining += 1;
                if !deleting(&object) {
                    if let Some(metadata) = meta::metadata_mut(&mut object) {
                        metadata.insert("deletionTimestamp".into(), json!(meta::now_rfc3339()));
                        metadata.insert("deletionGracePeriodSeconds".into(), json!(0));
                    }
                    let Ok(value) = objects::encode(&object) else { continue };
                    match store.update(&kv.key, value, kv.mod_revision).await {
                        Ok(_) | Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => {}
                        Err(error) => return Err(error),
                    }
                }
                continue;
            }
            match store.delete(&kv.key, Some(kv.mod_revision)).await {
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(StoreError::Conflict { .. }) => remaining += 1,
                Err(error) => return Err(error),
            }
        }
        match page.continue_key() {
            Some(next) => options.start = Some(next),
            None => return Ok(remaining),
        }
    }
}
