//! DELETE of one object or of a collection: `DeleteOptions` (propagation policy, grace period,
//! preconditions, dry run), finalizers and `deletionTimestamp` holding an object until its last
//! finalizer is gone, and graceful deletion of pods that run on a node.

use axum::http::StatusCode;
use axum::response::Response;
use berth_store::Revision;
use serde_json::{Value, json};

use super::read::{Filter, get_object, list_items};
use super::write::{UPDATE_ATTEMPTS, observe, removed, string_set};
use super::{Ctx, decode_json, json_response};
use crate::crds;
use crate::meta::{self, meta_str};
use crate::resources::ResourceDef;
use crate::status::ApiError;

/// `DeleteOptions` from the body and the query.
pub(crate) struct DeleteOptions {
    propagation: String,
    grace: Option<i64>,
    uid: Option<String>,
    resource_version: Option<Revision>,
}

pub(crate) fn delete_options(ctx: &Ctx, raw: &[u8]) -> Result<DeleteOptions, ApiError> {
    let body = if raw.iter().all(u8::is_ascii_whitespace) { json!({}) } else { decode_json(raw)? };
    let mut propagation = body
        .get("propagationPolicy")
        .and_then(Value::as_str)
        .or(ctx.query.get("propagationPolicy"))
        .unwrap_or("Background")
        .to_owned();
    let orphan = body
        .get("orphanDependents")
        .and_then(Value::as_bool)
        .or_else(|| ctx.query.get("orphanDependents").map(|v| v == "true"));
    if orphan == Some(true) {
        propagation = "Orphan".into();
    }
    if !matches!(propagation.as_str(), "Background" | "Foreground" | "Orphan") {
        return Err(ApiError::bad_request(format!(
            "unsupported propagationPolicy {propagation:?}"
        )));
    }
    let grace = match body.get("gracePeriodSeconds").and_then(Value::as_i64) {
        Some(g) => Some(g),
        None => ctx.query.number("gracePeriodSeconds")?,
    };
    let preconditions = body.get("preconditions");
    let uid = preconditions.and_then(|p| p.get("uid")).and_then(Value::as_str).map(str::to_owned);
    let resource_version =
        match preconditions.and_then(|p| p.get("resourceVersion")).and_then(Value::as_str) {
            Some(rv) => {
                Some(rv.parse().map_err(|_| {
                    ApiError::bad_request(format!("invalid resourceVersion {rv:?}"))
                })?)
            }
            None => None,
        };
    Ok(DeleteOptions { propagation, grace, uid, resource_version })
}

pub(crate) async fn delete(ctx: &Ctx, raw: &[u8]) -> Result<Response, ApiError> {
    let options = delete_options(ctx, raw)?;
    let object = delete_one(ctx, &options).await?;
    Ok(json_response(StatusCode::OK, &object))
}

/// Deletes the target now, or marks it for deletion when finalizers (or a graceful pod stop)
/// hold it; returns the object as it was deleted or as it is now.
pub(crate) async fn delete_one(ctx: &Ctx, options: &DeleteOptions) -> Result<Value, ApiError> {
    let def = ctx.target.def;
    let name = ctx.target.name.as_deref().unwrap_or_default();
    for _ in 0..UPDATE_ATTEMPTS {
        let current = get_object(ctx).await?;
        let object = &current.object;
        if options.uid.as_deref().is_some_and(|uid| Some(uid) != meta_str(object, "uid")) {
            return Err(ApiError::new(
                409,
                "Conflict",
                format!(
                    "Precondition failed: UID in precondition: {}, UID in object meta: {}",
                    options.uid.as_deref().unwrap_or_default(),
                    meta_str(object, "uid").unwrap_or_default()
                ),
            ));
        }
        if options.resource_version.is_some_and(|rv| rv != current.revision) {
            return Err(ApiError::conflict(def, name));
        }
        let mut next = object.clone();
        let marked = mark_for_deletion(def, &mut next, options);
        if ctx.dry_run() {
            return Ok(next);
        }
        if marked {
            if next == *object {
                finish_crd(ctx, name).await;
                return Ok(next);
            }
            match ctx
                .state
                .objects
                .update(def, ctx.namespace(), name, &next, current.revision)
                .await?
            {
                Ok(stored) => {
                    observe(ctx, &stored.object, stored.revision);
                    finish_crd(ctx, name).await;
                    return Ok(stored.object);
                }
                Err(_) => continue,
            }
        }
        match ctx.state.objects.delete(def, ctx.namespace(), name, current.revision).await? {
            Ok(()) => {
                removed(ctx, &next, current.revision).await;
                return Ok(next);
            }
            Err(_) => continue,
        }
    }
    Err(ApiError::conflict(def, name))
}

/// A CRD marked for deletion deletes its custom resources, then goes (unless they have
/// finalizers of their own). When that cannot be done now, [`crds::sync::run`] does it later:
/// the delete itself succeeded.
async fn finish_crd(ctx: &Ctx, name: &str) {
    if crds::is_crd(ctx.target.def)
        && !ctx.dry_run()
        && let Err(error) = crds::cleanup::finish(&ctx.state, name).await
    {
        tracing::warn!(%error, crd = name, "deleting the custom resources of a deleted CRD");
    }
}

/// Sets `deletionTimestamp` (and the finalizers the propagation policy asks for) when the
/// object cannot go at once; returns whether it must stay for now. A CRD always stays until
/// its custom resources are gone.
fn mark_for_deletion(def: &ResourceDef, object: &mut Value, options: &DeleteOptions) -> bool {
    let already = object.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null());
    if crds::is_crd(def) && !already {
        crds::cleanup::mark_terminating(object);
    }
    let mut finalizers = string_set(object.pointer("/metadata/finalizers"));
    let policy_finalizer = match options.propagation.as_str() {
        "Foreground" => Some("foregroundDeletion"),
        "Orphan" => Some("orphan"),
        _ => None,
    };
    if let Some(f) = policy_finalizer
        && !already
        && !finalizers.iter().any(|x| x == f)
    {
        finalizers.push(f.to_owned());
    }
    let namespace_finalizers = def.plural == "namespaces"
        && def.group.is_empty()
        && object
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
    let pod_grace = pod_grace_period(def, object, options.grace);
    if finalizers.is_empty() && !namespace_finalizers && pod_grace.is_none() {
        return false;
    }
    if let Some(meta) = meta::metadata_mut(object) {
        if !already {
            meta.insert("deletionTimestamp".into(), json!(meta::now_rfc3339()));
            meta.insert("deletionGracePeriodSeconds".into(), json!(pod_grace.unwrap_or(0)));
        }
        if !finalizers.is_empty() {
            meta.insert("finalizers".into(), json!(finalizers));
        }
    }
    if namespace_finalizers && let Some(map) = object.as_object_mut() {
        let status = map.entry("status").or_insert_with(|| json!({}));
        if let Some(status) = status.as_object_mut() {
            status.insert("phase".into(), json!("Terminating"));
        }
    }
    true
}

/// A pod bound to a node that has not finished stops gracefully: its node agent deletes it.
fn pod_grace_period(def: &ResourceDef, pod: &Value, requested: Option<i64>) -> Option<i64> {
    if def.kind != "Pod" || !def.group.is_empty() {
        return None;
    }
    let on_node =
        pod.pointer("/spec/nodeName").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
    let terminal = matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    );
    let grace = requested
        .or_else(|| pod.pointer("/spec/terminationGracePeriodSeconds").and_then(Value::as_i64))
        .unwrap_or(30);
    (on_node && !terminal && grace > 0).then_some(grace)
}

pub(crate) async fn delete_collection(ctx: &Ctx, raw: &[u8]) -> Result<Response, ApiError> {
    let options = delete_options(ctx, raw)?;
    let filter = Filter::from_query(ctx)?;
    let listed = list_items(ctx, &filter).await?;
    let mut deleted = Vec::new();
    for item in listed.items {
        let Some(name) = meta_str(&item, "name") else { continue };
        let one = Ctx {
            state: ctx.state.clone(),
            target: crate::request::Target {
                def: ctx.target.def,
                namespace: meta_str(&item, "namespace").map(str::to_owned),
                name: Some(name.to_owned()),
                sub: None,
            },
            query: ctx.query.clone(),
            headers: ctx.headers.clone(),
        };
        match delete_one(&one, &options).await {
            Ok(object) => deleted.push(object),
            Err(error) if error.code == 404 => {}
            Err(error) => return Err(error),
        }
    }
    let def = ctx.target.def;
    let list = json!({
        "kind": format!("{}List", def.kind),
        "apiVersion": def.api_version(),
        "metadata": {"resourceVersion": listed.revision.to_string()},
        "items": deleted,
    });
    Ok(json_response(StatusCode::OK, &list))
}
