//! Server-side apply (`application/apply-patch+yaml`) and the field ownership of every other
//! write.
//!
//! [`apply`] runs [`berth_api::apply::apply`] against the live object inside [`update_with`],
//! so a write that gets in between makes it start over on the newer object; when the object
//! does not exist the apply creates it (201). Conflicts with other field managers answer 409
//! with one `FieldManagerConflict` cause per field, as kube-apiserver does. [`record_write`]
//! is how create, update and the other patch types keep `metadata.managedFields` current.

use axum::http::StatusCode;
use axum::http::header::USER_AGENT;
use axum::response::Response;
use berth_api::apply::{self as ssa, ApplyError, ApplyOutcome, ApplyRequest, Conflict};
use berth_store::Revision;
use serde_json::Value;

use super::write::{create, update_with};
use super::{Ctx, json_response};
use crate::meta::{self, meta_str};
use crate::resources::{ResourceDef, Sub};
use crate::status::{ApiError, Cause};

/// The media type of an apply patch.
const APPLY_PATCH: &str = "application/apply-patch+yaml";

pub(crate) async fn apply(ctx: &Ctx, document: Value) -> Result<Response, ApiError> {
    let def = ctx.target.def;
    let name = ctx.target.name.clone().unwrap_or_default();
    let Some(manager) = ctx.query.get("fieldManager").filter(|m| !m.is_empty()) else {
        let cause = Cause::required("fieldManager");
        let message = "fieldManager: Required value: is required for apply patch";
        return Err(ApiError::new(422, "Invalid", message).with_causes(vec![cause]));
    };
    if !document.is_object() {
        return Err(ApiError::bad_request("an apply patch must be a JSON or YAML object"));
    }
    if document.pointer("/metadata/managedFields").is_some_and(|m| !m.is_null()) {
        return Err(ApiError::bad_request("metadata.managedFields must be nil in an apply patch"));
    }
    let subresource = match ctx.target.sub {
        None => None,
        Some(Sub::Status) => Some("status"),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "server-side apply is not supported for the {} subresource",
                other.name()
            )));
        }
    };
    if let Some(body_name) = meta_str(&document, "name").filter(|n| !n.is_empty() && *n != name) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let precondition = match meta_str(&document, "resourceVersion").filter(|rv| !rv.is_empty()) {
        None => None,
        Some(rv) => Some(
            rv.parse::<Revision>()
                .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv:?}")))?,
        ),
    };
    let api_version = def.api_version();
    let schema = schema(ctx);
    let request = |live: Option<&Value>, now: &str| -> Result<Value, ApiError> {
        let request = ApplyRequest {
            live,
            applied: &document,
            manager,
            force: ctx.query.flag("force"),
            kind: def.kind,
            api_version: &api_version,
            schema: &schema,
            subresource,
            now,
        };
        match ssa::apply(&request) {
            Ok(ApplyOutcome::Applied(object)) => Ok(object),
            Ok(ApplyOutcome::Conflicts(conflicts)) => Err(conflict_error(&conflicts)),
            Err(error) => Err(apply_error(def, &name, &error)),
        }
    };

    match super::read::get_object(ctx).await {
        Err(error) if error.code == 404 && subresource.is_none() && precondition.is_none() => {
            let object = request(None, &meta::now_rfc3339())?;
            match create(ctx, object).await {
                // Created by someone else since the read: apply to theirs.
                Err(error) if error.reason == "AlreadyExists" => {}
                created => return created,
            }
        }
        Err(error) => return Err(error),
        Ok(_) => {}
    }
    let updated =
        update_with(ctx, precondition, |current| request(Some(current), &meta::now_rfc3339()))
            .await?;
    Ok(json_response(StatusCode::OK, &updated))
}

/// How the lists and maps of the request's resource merge: as its CRD's structural schema
/// declares for a custom resource, by the built-in table otherwise.
fn schema(ctx: &Ctx) -> ssa::Schema {
    let def = ctx.target.def;
    let declared = match def.custom {
        Some(_) => ctx.state.crds.served(def).and_then(|served| served.apply_schema.clone()),
        None => None,
    };
    declared.unwrap_or_else(|| ssa::Schema::for_kind(def.kind))
}

/// The 409 for conflicts with other field managers.
fn conflict_error(conflicts: &[Conflict]) -> ApiError {
    let causes = conflicts
        .iter()
        .map(|c| Cause {
            kind: "FieldManagerConflict",
            field: c.field.clone(),
            message: c.message(),
        })
        .collect();
    ApiError::new(409, "Conflict", ssa::conflicts_message(conflicts)).with_causes(causes)
}

fn apply_error(def: &ResourceDef, name: &str, error: &ApplyError) -> ApiError {
    match error.http_status() {
        400 => ApiError::bad_request(error.to_string()),
        _ => ApiError::new(422, "Invalid", format!("{} \"{name}\": {error}", def.qualified())),
    }
}

/// Records a create, update or patch in `new`'s `managedFields` for the request's field
/// manager: the `fieldManager` parameter, or else the User-Agent up to its first `/` (as
/// kube-apiserver names them). An apply patch records its own and is left alone here.
pub(crate) fn record_write(ctx: &Ctx, old: Option<&Value>, new: &mut Value) {
    if super::content_type(&ctx.headers) == APPLY_PATCH {
        return;
    }
    let manager = match ctx.query.get("fieldManager").filter(|m| !m.is_empty()) {
        Some(manager) => manager.to_owned(),
        None => {
            let agent = ctx.headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
            agent.split('/').next().unwrap_or_default().chars().take(128).collect()
        }
    };
    let api_version = ctx.target.def.api_version();
    let subresource = ctx.target.sub.map(Sub::name);
    let now = meta::now_rfc3339();
    ssa::record_update(&schema(ctx), old, new, &manager, &api_version, &now, subresource);
}
