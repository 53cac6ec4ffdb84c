//! Create, update (PUT), patch, and the write subresources (binding, scale, status,
//! finalize). Deletes are in [`super::delete`], evictions in [`super::eviction`].
//!
//! Every change to an existing object goes through [`update_with`]: read, compute the new
//! object, keep what the caller may not change, write with compare-and-swap on the revision
//! read, retry on a conflict unless the caller named a resourceVersion.
//!
//! Custom resources and CRDs take a few detours ([`crate::crds`]): [`admit_custom`] prunes,
//! defaults and validates them by their schema (or sets a CRD's status), [`observe`] tells the
//! registry about every CRD written, a deleted CRD takes its resources with it, and the scale
//! subresource follows the CRD's paths.

use axum::http::StatusCode;
use axum::response::Response;
use berth_api::patch::{self, BuiltinPatchMeta, PatchError};
use berth_store::Revision;
use serde_json::{Map, Value, json};

use super::read::{get_object, scale_of};
use super::{Ctx, json_response};
use crate::crds;
use crate::defaults;
use crate::meta::{self, meta_str};
use crate::openapi;
use crate::resources::{ResourceDef, Sub};
use crate::services;
use crate::status::ApiError;

/// How many times an update without a precondition is retried after losing a race.
pub(crate) const UPDATE_ATTEMPTS: usize = 16;

pub(crate) async fn create(ctx: &Ctx, mut object: Value) -> Result<Response, ApiError> {
    let def = ctx.target.def;
    if let Some(served) = custom(ctx)?
        && served.terminating
    {
        return Err(crds::terminating_error(&served));
    }
    check_type(def, &object)?;
    set_type(def, &mut object);
    let warnings = check_fields(ctx, &mut object, None)?;
    let namespace = match (ctx.namespace(), meta_str(&object, "namespace")) {
        (Some(url), Some(body)) if !body.is_empty() && body != url => {
            return Err(ApiError::bad_request(format!(
                "the namespace of the provided object ({body}) does not match the namespace sent on the request ({url})"
            )));
        }
        (url, _) => url.map(str::to_owned),
    };
    let generate = meta_str(&object, "generateName").filter(|g| !g.is_empty()).map(str::to_owned);
    let mut name = meta_str(&object, "name").unwrap_or_default().to_owned();
    if name.is_empty() {
        match &generate {
            Some(base) => name = meta::generate_name(base),
            None => {
                let causes = vec![crate::status::Cause {
                    kind: "FieldValueRequired",
                    field: "metadata.name".into(),
                    message: "name or generateName is required".into(),
                }];
                return Err(ApiError::invalid(def, def.kind, "", causes));
            }
        }
    }
    let causes = meta::validate_name(&name, meta::name_rule(def.group, def.plural));
    if !causes.is_empty() {
        return Err(ApiError::invalid(def, def.kind, &name, causes));
    }
    if let Some(ns) = &namespace {
        check_namespace(ctx, ns, &name).await?;
    }
    let Some(metadata) = meta::metadata_mut(&mut object) else {
        return Err(ApiError::bad_request("the request body must be a JSON object"));
    };
    metadata.insert("name".into(), json!(name));
    if let Some(ns) = &namespace {
        metadata.insert("namespace".into(), json!(ns));
    }
    for field in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"]
    {
        metadata.remove(field);
    }
    metadata.insert("uid".into(), json!(meta::new_uid()));
    metadata.insert("creationTimestamp".into(), json!(meta::now_rfc3339()));
    if tracks_generation(def, &object)
        && let Some(metadata) = meta::metadata_mut(&mut object)
    {
        metadata.insert("generation".into(), json!(1));
    }
    defaults::apply(def, &mut object);
    if def.group.is_empty() && def.kind == "Pod" {
        defaults::default_tolerations(&mut object, ctx.state.config.default_toleration_seconds);
        crate::priority::admit(&ctx.state, &mut object, &name).await?;
    }
    defaults::validate(def, &object, None)
        .map_err(|causes| ApiError::invalid(def, def.kind, &name, causes))?;
    crate::priority::classes::admit(&ctx.state, def, &object, true).await?;
    admit_custom(ctx, &mut object, None)?;
    super::apply::record_write(ctx, None, &mut object);
    if ctx.dry_run() {
        return Ok(openapi::with_warnings(json_response(StatusCode::CREATED, &object), &warnings));
    }
    let mut attempts = if generate.is_some() { 8 } else { 1 };
    loop {
        let held = if is_service(def) {
            let store = ctx.state.objects.store().as_ref();
            Some(services::allocate(store, ctx.state.config.service_cidr, &mut object, None).await?)
        } else {
            None
        };
        let created = ctx.state.objects.create(def, namespace.as_deref(), &name, &object).await;
        if let (Err(_), Some(held)) = (&created, &held) {
            let owner = format!("{}/{name}", namespace.as_deref().unwrap_or_default());
            services::release(ctx.state.objects.store().as_ref(), held, &owner).await;
        }
        match created {
            Ok(stored) => {
                observe(ctx, &stored.object, stored.revision);
                let response = json_response(StatusCode::CREATED, &stored.object);
                return Ok(openapi::with_warnings(response, &warnings));
            }
            Err(error) if error.code == 409 && attempts > 1 => {
                attempts -= 1;
                name = meta::generate_name(generate.as_deref().unwrap_or_default());
                if let Some(metadata) = meta::metadata_mut(&mut object) {
                    metadata.insert("name".into(), json!(name));
                }
            }
            Err(error) => return Err(error),
        }
    }
}

fn is_service(def: &ResourceDef) -> bool {
    def.group.is_empty() && def.kind == "Service"
}

/// What follows an object's removal: a service's addresses are released, a CRD stops being
/// served (at the revision of its delete, so that the sync task does not bring it back).
pub(crate) async fn removed(ctx: &Ctx, object: &Value, deleted_at: Revision) {
    if is_service(ctx.target.def) {
        services::released(ctx.state.objects.store().as_ref(), object).await;
    }
    if crds::is_crd(ctx.target.def) {
        let revision = ctx.state.objects.store().current_revision().await.unwrap_or(deleted_at);
        ctx.state.crds.remove(ctx.target.name.as_deref().unwrap_or_default(), revision);
    }
}

/// The object's `apiVersion` and `kind`, when given, must be the URL's.
fn check_type(def: &ResourceDef, object: &Value) -> Result<(), ApiError> {
    if let Some(kind) = object.get("kind").and_then(Value::as_str).filter(|k| !k.is_empty())
        && kind != def.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the body ({kind}) does not match the kind of the resource ({})",
            def.kind
        )));
    }
    if let Some(version) =
        object.get("apiVersion").and_then(Value::as_str).filter(|v| !v.is_empty())
        && version != def.api_version()
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({version}) does not match the expected API version ({})",
            def.api_version()
        )));
    }
    Ok(())
}

fn set_type(def: &ResourceDef, object: &mut Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert("apiVersion".into(), json!(def.api_version()));
        map.insert("kind".into(), json!(def.kind));
    }
}

/// Objects with a spec (and every custom resource) count the changes to it in
/// `metadata.generation`.
fn tracks_generation(def: &ResourceDef, object: &Value) -> bool {
    def.has(Sub::Status) || object.get("spec").is_some() || def.custom.is_some()
}

/// The served version behind a custom resource request; `None` for a built-in resource.
fn custom(ctx: &Ctx) -> Result<Option<std::sync::Arc<crds::Served>>, ApiError> {
    if ctx.target.def.custom.is_none() {
        return Ok(None);
    }
    // The CRD went away since the request was routed.
    ctx.state.crds.served(ctx.target.def).map(Some).ok_or_else(ApiError::no_route)
}

/// What custom resources and CRDs go through after the built-in defaults: a custom resource
/// is pruned, defaulted and validated by its schema; a CRD is defaulted, validated and gets
/// the status that makes it served. `old` is the stored object on an update.
fn admit_custom(ctx: &Ctx, object: &mut Value, old: Option<&Value>) -> Result<(), ApiError> {
    let def = ctx.target.def;
    let result = if let Some(served) = custom(ctx)? {
        crds::admit(&served, object, old.is_none())
    } else if crds::is_crd(def) {
        crds::prepare_definition(&ctx.state.crds, object, old)
    } else {
        return Ok(());
    };
    result.map_err(|causes| {
        let name = meta_str(object, "name").unwrap_or_default();
        ApiError::invalid(def, def.kind, name, causes)
    })
}

/// Tells the registry about a CRD this server wrote.
pub(crate) fn observe(ctx: &Ctx, object: &Value, revision: Revision) {
    if crds::is_crd(ctx.target.def) {
        ctx.state.crds.apply(object, revision);
    }
}

/// A namespaced object may only be created in a namespace that exists and is not terminating.
async fn check_namespace(ctx: &Ctx, namespace: &str, name: &str) -> Result<(), ApiError> {
    let namespaces =
        crate::resources::find("", "v1", "namespaces").ok_or_else(ApiError::no_route)?;
    // The watch cache knows nearly every namespace; only one it has not seen yet (created a
    // moment ago) costs a store read.
    let key = crate::objects::Objects::key(namespaces, None, namespace);
    let phase = match ctx.state.cache.as_ref().and_then(|cache| cache.get(&key)) {
        Some(entry) => {
            Some(entry.view.field("status.phase").to_owned()).filter(|phase| !phase.is_empty())
        }
        None => {
            let stored = ctx.state.objects.get(namespaces, None, namespace).await?;
            stored.object.pointer("/status/phase").and_then(Value::as_str).map(str::to_owned)
        }
    };
    if phase.as_deref() == Some("Terminating") {
        let def = ctx.target.def;
        return Err(ApiError::forbidden(format!(
            "{} \"{name}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
            def.qualified()
        )));
    }
    Ok(())
}

/// PUT of the object, its status, or (namespaces) its finalizers.
pub(crate) async fn replace(ctx: &Ctx, mut body: Value) -> Result<Response, ApiError> {
    check_type(ctx.target.def, &body)?;
    let warnings = check_fields(ctx, &mut body, None)?;
    let name = ctx.target.name.as_deref().unwrap_or_default();
    if let Some(body_name) = meta_str(&body, "name").filter(|n| !n.is_empty() && *n != name) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let precondition = resource_version_of(&body)?;
    let updated = update_with(ctx, precondition, |_| Ok(body.clone())).await?;
    Ok(openapi::with_warnings(json_response(StatusCode::OK, &updated), &warnings))
}

/// `?fieldValidation=`: drops the fields the kind's schema does not know, and refuses them
/// (`Strict`) or returns the warnings to send (`Warn`, the default). A patch passes the object
/// it started from, whose own unknown fields are not the client's doing.
fn check_fields(
    ctx: &Ctx,
    object: &mut Value,
    previous: Option<&Value>,
) -> Result<Vec<String>, ApiError> {
    let def = ctx.target.def;
    let validation = ctx.query.get("fieldValidation");
    if let Some(served) = custom(ctx)? {
        let walk = |object: &mut Value, prune: bool| crds::unknown_fields(&served, object, prune);
        return openapi::check_fields_with(
            validation,
            (def.version, def.kind),
            object,
            previous,
            walk,
        );
    }
    openapi::check_fields(validation, (def.group, def.version, def.kind), object, previous)
}

/// `metadata.resourceVersion` of a body, as a precondition.
fn resource_version_of(body: &Value) -> Result<Option<Revision>, ApiError> {
    match meta_str(body, "resourceVersion").filter(|rv| !rv.is_empty()) {
        None => Ok(None),
        Some(rv) => rv
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv:?}"))),
    }
}

/// Reads the object, applies `change` and writes the result, keeping what `change` may not
/// alter. Retries when another write got in between, unless `precondition` pins a revision.
pub(crate) async fn update_with(
    ctx: &Ctx,
    precondition: Option<Revision>,
    change: impl Fn(&Value) -> Result<Value, ApiError>,
) -> Result<Value, ApiError> {
    let def = ctx.target.def;
    let name = ctx.target.name.as_deref().unwrap_or_default();
    for _ in 0..UPDATE_ATTEMPTS {
        let current = get_object(ctx).await?;
        if precondition.is_some_and(|rv| rv != current.revision) {
            return Err(ApiError::conflict(def, name));
        }
        let mut next = change(&current.object)?;
        keep_managed_fields(ctx, &current.object, &mut next)?;
        crate::priority::classes::admit(&ctx.state, def, &next, false).await?;
        super::apply::record_write(ctx, Some(&current.object), &mut next);
        if ctx.dry_run() {
            return Ok(next);
        }
        // A write that changes nothing is not a write: no new resourceVersion, no event.
        if same_content(&next, &current.object) {
            return Ok(current.object);
        }
        if deletion_finished(&next) {
            match ctx.state.objects.delete(def, ctx.namespace(), name, current.revision).await? {
                Ok(()) => {
                    removed(ctx, &next, current.revision).await;
                    return Ok(next);
                }
                Err(_) if precondition.is_none() => continue,
                Err(_) => return Err(ApiError::conflict(def, name)),
            }
        }
        if is_service(def) {
            let store = ctx.state.objects.store().as_ref();
            let range = ctx.state.config.service_cidr;
            services::allocate(store, range, &mut next, Some(&current.object)).await?;
        }
        let written =
            ctx.state.objects.update(def, ctx.namespace(), name, &next, current.revision).await?;
        if is_service(def) {
            // Release what the losing side of the write no longer holds.
            let (kept, dropped) = match &written {
                Ok(_) => (&next, &current.object),
                Err(_) => (&current.object, &next),
            };
            let owner = format!("{}/{name}", ctx.namespace().unwrap_or_default());
            let keep = services::held_by(kept);
            let mut gone = services::held_by(dropped);
            gone.ports.retain(|p| !keep.ports.contains(p));
            gone.ip = gone.ip.filter(|ip| keep.ip != Some(*ip));
            services::release(ctx.state.objects.store().as_ref(), &gone, &owner).await;
        }
        match written {
            Ok(stored) => {
                observe(ctx, &stored.object, stored.revision);
                return Ok(stored.object);
            }
            Err(_) if precondition.is_none() => continue,
            Err(_) => return Err(ApiError::conflict(def, name)),
        }
    }
    Err(ApiError::conflict(def, name))
}

/// Carries over what a write through this endpoint may not change: identity and creation
/// metadata always; the status through the main resource; everything but the status through
/// `/status`; everything but `spec.finalizers` through `/finalize`.
fn keep_managed_fields(ctx: &Ctx, old: &Value, next: &mut Value) -> Result<(), ApiError> {
    let def = ctx.target.def;
    if !next.is_object() {
        return Err(ApiError::bad_request("the object must be a JSON object"));
    }
    match ctx.target.sub {
        Some(Sub::Status) => {
            let mut body = std::mem::replace(next, old.clone());
            let status = body.as_object_mut().and_then(|map| map.remove("status"));
            set_or_remove(next, "status", status);
            crate::conversion::keep_status_annotations(def, &body, next);
        }
        Some(Sub::Finalize) => {
            let finalizers = next.pointer("/spec/finalizers").cloned();
            *next = old.clone();
            if let Some(spec) = next.get_mut("spec").and_then(Value::as_object_mut) {
                match finalizers {
                    Some(f) => spec.insert("finalizers".into(), f),
                    None => spec.remove("finalizers"),
                };
            }
        }
        _ if def.has(Sub::Status) => {
            set_or_remove(next, "status", old.get("status").cloned());
            crate::conversion::keep_status_annotations(def, old, next);
        }
        _ => {}
    }
    set_type(def, next);
    let old_meta = old.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
    let Some(meta) = meta::metadata_mut(next) else {
        return Err(ApiError::bad_request("metadata must be an object"));
    };
    for field in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        match old_meta.get(field) {
            Some(value) => meta.insert(field.into(), value.clone()),
            None => meta.remove(field),
        };
    }
    if old_meta.contains_key("deletionTimestamp") {
        let before = string_set(old_meta.get("finalizers"));
        let added = string_set(meta.get("finalizers")).into_iter().any(|f| !before.contains(&f));
        if added {
            let name = old_meta.get("name").and_then(Value::as_str).unwrap_or_default();
            let cause = crate::status::Cause::invalid(
                "metadata.finalizers",
                "Forbidden: no new finalizers can be added if the object is being deleted",
            );
            return Err(ApiError::invalid(def, def.kind, name, vec![cause]));
        }
    }
    if let Some(generation) = old_meta.get("generation").and_then(Value::as_i64)
        && spec_changed(old, next)
        && let Some(meta) = meta::metadata_mut(next)
    {
        meta.insert("generation".into(), json!(generation + 1));
    }
    defaults::apply(def, next);
    let name = ctx.target.name.as_deref().unwrap_or_default();
    defaults::validate(def, next, Some(old))
        .map_err(|causes| ApiError::invalid(def, def.kind, name, causes))?;
    admit_custom(ctx, next, Some(old))
}

fn set_or_remove(object: &mut Value, field: &str, value: Option<Value>) {
    if let Some(map) = object.as_object_mut() {
        match value {
            Some(v) => map.insert(field.into(), v),
            None => map.remove(field),
        };
    }
}

pub(crate) fn string_set(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Whether anything outside `metadata` and `status` changed.
fn spec_changed(old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| -> Map<String, Value> {
        let mut map = v.as_object().cloned().unwrap_or_default();
        map.remove("metadata");
        map.remove("status");
        map
    };
    strip(old) != strip(new)
}

/// Whether two versions of an object differ only in `resourceVersion`.
fn same_content(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("resourceVersion");
        }
        v
    };
    strip(a) == strip(b)
}

/// An object being deleted whose last finalizer is gone goes away.
fn deletion_finished(object: &Value) -> bool {
    let meta = object.get("metadata");
    let deleting = meta.and_then(|m| m.get("deletionTimestamp")).is_some_and(|t| !t.is_null());
    let finalizers = meta
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty());
    deleting && !finalizers && !graceful_pod_pending(object)
}

/// A pod on a node is deleted by its node agent once its containers stopped.
fn graceful_pod_pending(object: &Value) -> bool {
    object.get("kind").and_then(Value::as_str) == Some("Pod")
        && object
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64)
            .is_some_and(|g| g > 0)
        && object.pointer("/spec/nodeName").and_then(Value::as_str).is_some_and(|n| !n.is_empty())
}

pub(crate) async fn patch(
    ctx: &Ctx,
    content_type: &str,
    raw: bytes::Bytes,
) -> Result<Response, ApiError> {
    let mut document: Value = if content_type == "application/apply-patch+yaml" {
        super::decode_yaml(&raw)?
    } else {
        serde_json::from_slice(&raw)
            .map_err(|e| ApiError::bad_request(format!("the patch is not valid JSON: {e}")))?
    };
    let kind = match content_type {
        "application/json-patch+json" => PatchKind::Json,
        "application/merge-patch+json" => PatchKind::Merge,
        "application/strategic-merge-patch+json" => PatchKind::Strategic,
        "application/apply-patch+yaml" => PatchKind::Apply,
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    let def = ctx.target.def;
    let name = ctx.target.name.clone().unwrap_or_default();
    if kind == PatchKind::Strategic && def.custom.is_some() {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {content_type:?})"
            ),
        ));
    }
    if kind == PatchKind::Apply {
        let warnings = check_fields(ctx, &mut document, None)?;
        return Ok(openapi::with_warnings(super::apply::apply(ctx, document).await?, &warnings));
    }
    let precondition = match kind {
        PatchKind::Json => None,
        _ => resource_version_of(&document)?,
    };
    let scale = ctx.target.sub == Some(Sub::Scale);
    let apply_patch = |target: &Value| -> Result<Value, ApiError> {
        let result = match kind {
            PatchKind::Json => patch::json_patch(target, &document),
            PatchKind::Merge => patch::merge_patch(target, &document),
            PatchKind::Strategic | PatchKind::Apply => patch::strategic_merge_patch(
                target,
                &document,
                &BuiltinPatchMeta::for_kind(def.kind),
            ),
        };
        result.map_err(|e| patch_error(def, &name, e))
    };
    let warnings = std::sync::Mutex::new(Vec::new());
    let updated = update_with(ctx, precondition, |current| {
        let mut current = current.clone();
        if scale {
            let patched = apply_patch(&scale_view(def, &current))?;
            set_replicas(def, &mut current, &patched)?;
            return Ok(current);
        }
        let mut patched = apply_patch(&current)?;
        if !patched.is_object() {
            return Err(ApiError::bad_request("the patch did not produce an object"));
        }
        let found = check_fields(ctx, &mut patched, Some(&current))?;
        if let Ok(mut warnings) = warnings.lock() {
            *warnings = found;
        }
        Ok(patched)
    })
    .await?;
    let answer = if scale { scale_view(def, &updated) } else { updated };
    let warnings = warnings.into_inner().unwrap_or_default();
    Ok(openapi::with_warnings(json_response(StatusCode::OK, &answer), &warnings))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PatchKind {
    Json,
    Merge,
    Strategic,
    Apply,
}

fn patch_error(def: &ResourceDef, name: &str, error: PatchError) -> ApiError {
    match error.http_status() {
        400 => ApiError::bad_request(error.to_string()),
        413 => ApiError::new(413, "RequestEntityTooLarge", error.to_string()),
        _ => ApiError::new(422, "Invalid", format!("{} \"{name}\": {error}", def.qualified())),
    }
}

/// The `Scale` of a workload, or of a custom resource by its CRD's paths.
pub(crate) fn scale_view(def: &ResourceDef, object: &Value) -> Value {
    match def.custom.and_then(|c| c.scale) {
        Some(paths) => crds::scale::view(&paths, object),
        None => scale_of(object),
    }
}

/// Copies `spec.replicas` of a Scale onto the workload (a custom resource: to the CRD's spec
/// replicas path).
fn set_replicas(def: &ResourceDef, workload: &mut Value, scale: &Value) -> Result<(), ApiError> {
    let replicas = scale.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0);
    if replicas < 0 {
        let cause = crate::status::Cause::invalid(
            "spec.replicas",
            format!("Invalid value: {replicas}: must be greater than or equal to 0"),
        );
        return Err(ApiError::new(422, "Invalid", format!("Scale.autoscaling \"\" is invalid: spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0")).with_causes(vec![cause]));
    }
    if let Some(paths) = def.custom.and_then(|c| c.scale) {
        if !crds::scale::set_replicas(&paths, workload, replicas) {
            return Err(ApiError::bad_request(format!(
                "cannot set replicas at {} of this object",
                paths.spec_replicas
            )));
        }
        return Ok(());
    }
    if let Some(spec) = workload.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("replicas".into(), json!(replicas));
    }
    Ok(())
}

pub(crate) async fn replace_scale(ctx: &Ctx, body: Value) -> Result<Response, ApiError> {
    let precondition = resource_version_of(&body)?;
    let def = ctx.target.def;
    let updated = update_with(ctx, precondition, |current| {
        let mut current = current.clone();
        set_replicas(def, &mut current, &body)?;
        Ok(current)
    })
    .await?;
    Ok(json_response(StatusCode::OK, &scale_view(def, &updated)))
}

/// `pods/binding`: assigns an unbound pod to a node.
pub(crate) async fn bind(ctx: &Ctx, binding: Value) -> Result<Response, ApiError> {
    let node =
        binding.pointer("/target/name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let name = ctx.target.name.clone().unwrap_or_default();
    if node.is_empty() {
        let cause = crate::status::Cause::required("target.name");
        return Err(ApiError::invalid(ctx.target.def, "Binding", &name, vec![cause]));
    }
    update_with(ctx, None, |pod| {
        let mut pod = pod.clone();
        let current = pod.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or_default();
        if !current.is_empty() {
            return Err(ApiError::new(409, "Conflict", format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is already assigned to node \"{current}\"")));
        }
        if pod.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null()) {
            return Err(ApiError::new(409, "Conflict", format!("pod {name} is being deleted, cannot be assigned to a host")));
        }
        if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("nodeName".into(), json!(node));
        }
        Ok(pod)
    })
    .await?;
    Ok(json_response(StatusCode::CREATED, &success()))
}

pub(crate) fn success() -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201})
}
