//! Server-side apply (`application/apply-patch+yaml`).
//!
//! Today this is the first step: a field manager is required, a missing object is created
//! (201) and an existing one is merged with the applied configuration using the strategic
//! merge rules (200). Field ownership in `managedFields`, conflicts between managers and the
//! removal of fields a manager stopped applying are not implemented yet.

use axum::http::StatusCode;
use axum::response::Response;
use berth_api::patch::{self, BuiltinPatchMeta};
use serde_json::Value;

use super::write::{create, update_with};
use super::{Ctx, json_response};
use crate::status::{ApiError, Cause};

pub(crate) async fn apply(ctx: &Ctx, document: Value) -> Result<Response, ApiError> {
    let def = ctx.target.def;
    let name = ctx.target.name.clone().unwrap_or_default();
    if ctx.query.get("fieldManager").is_none_or(str::is_empty) {
        let cause = Cause::required("fieldManager");
        let message = "fieldManager: Required value: is required for apply patch";
        return Err(ApiError::new(422, "Invalid", message).with_causes(vec![cause]));
    }
    if !document.is_object() {
        return Err(ApiError::bad_request("an apply patch must be a JSON or YAML object"));
    }
    if document.pointer("/metadata/managedFields").is_some_and(|m| !m.is_null()) {
        return Err(ApiError::bad_request("metadata.managedFields must be nil in an apply patch"));
    }
    match super::read::get_object(ctx).await {
        Err(error) if error.code == 404 => {
            let mut object = document;
            if let Some(meta) = crate::meta::metadata_mut(&mut object) {
                meta.insert("name".into(), Value::String(name));
            }
            create(ctx, object).await
        }
        Err(error) => Err(error),
        Ok(_) => {
            let meta = BuiltinPatchMeta::for_kind(def.kind);
            let updated = update_with(ctx, None, |current| {
                patch::strategic_merge_patch(&current, &document, &meta)
                    .map_err(|e| ApiError::bad_request(e.to_string()))
            })
            .await?;
            Ok(json_response(StatusCode::OK, &updated))
        }
    }
}
