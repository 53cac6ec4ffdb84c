//! `pods/eviction`: deleting a pod while honouring the PodDisruptionBudgets that cover it.
//!
//! As kube-apiserver does it: a pod that is not running (pending, succeeded, failed) or already
//! being deleted goes without a check; otherwise the one budget whose selector matches the pod
//! must have been observed by the disruption controller (`status.observedGeneration`) and allow
//! a disruption (`status.disruptionsAllowed > 0`). The eviction then takes one disruption from
//! the budget (and records the pod in `status.disruptedPods`) with a compare-and-swap on the
//! budget, and deletes the pod. Refusals are 429 TooManyRequests, which `kubectl drain` retries.

use axum::http::StatusCode;
use axum::response::Response;
use berth_api::selector::LabelSelector;
use serde_json::{Value, json};

use super::delete::{delete_one, delete_options};
use super::read::get_object;
use super::write::success;
use super::{Ctx, json_response};
use crate::objects::{self, Objects};
use crate::resources;
use crate::status::{ApiError, Cause};

pub(crate) async fn evict(ctx: &Ctx, eviction: Value) -> Result<Response, ApiError> {
    let raw = eviction.get("deleteOptions").map(|o| o.to_string()).unwrap_or_default();
    let options = delete_options(ctx, raw.as_bytes())?;
    let pod = get_object(ctx).await?.object;
    if needs_budget(&pod) {
        take_disruption(ctx, &pod).await?;
    }
    delete_one(ctx, &options).await?;
    Ok(json_response(StatusCode::CREATED, &success()))
}

/// Pods that are not running, or already going, are evicted without asking a budget.
fn needs_budget(pod: &Value) -> bool {
    let deleting = pod.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null());
    let phase = pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("Pending");
    !deleting && phase == "Running"
}

/// The 429 an eviction gets when the budget says no, with the budget's reason as the cause.
fn refused(reason: String) -> ApiError {
    let cause = Cause { kind: "DisruptionBudget", field: String::new(), message: reason };
    let message = "Cannot evict pod as it would violate the pod's disruption budget.";
    ApiError::new(429, "TooManyRequests", message).with_causes(vec![cause])
}

/// Takes one allowed disruption from the budget covering `pod`, if there is one.
async fn take_disruption(ctx: &Ctx, pod: &Value) -> Result<(), ApiError> {
    let pdbs =
        resources::find("policy", "v1", "poddisruptionbudgets").ok_or_else(ApiError::no_route)?;
    let namespace = ctx.namespace();
    let labels =
        pod.pointer("/metadata/labels").and_then(Value::as_object).cloned().unwrap_or_default();
    let name = ctx.target.name.clone().unwrap_or_default();
    for _ in 0..8 {
        let listed = ctx
            .state
            .objects
            .list_page(pdbs, &berth_store::ListOptions::prefix(Objects::prefix(pdbs, namespace)))
            .await?;
        let mut covering = Vec::new();
        for kv in &listed.kvs {
            let budget = objects::decode(kv)?;
            let selector = budget.object.pointer("/spec/selector").cloned().unwrap_or(Value::Null);
            if LabelSelector::from_label_selector_json(&selector)
                .is_ok_and(|s| !s.is_nothing() && s.matches(&labels))
            {
                covering.push(budget);
            }
        }
        let budget = match covering.as_slice() {
            [] => return Ok(()),
            [one] => one,
            _ => {
                return Err(ApiError::internal(
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                ));
            }
        };
        let object = &budget.object;
        let budget_name = crate::meta::meta_str(object, "name").unwrap_or_default().to_owned();
        let generation =
            object.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0);
        let observed =
            object.pointer("/status/observedGeneration").and_then(Value::as_i64).unwrap_or(0);
        if observed < generation {
            return Err(refused(format!(
                "The disruption budget {budget_name} is still being processed by the server."
            )));
        }
        let allowed =
            object.pointer("/status/disruptionsAllowed").and_then(Value::as_i64).unwrap_or(0);
        if allowed <= 0 {
            let healthy =
                object.pointer("/status/currentHealthy").and_then(Value::as_i64).unwrap_or(0);
            let desired =
                object.pointer("/status/desiredHealthy").and_then(Value::as_i64).unwrap_or(0);
            return Err(refused(format!(
                "The disruption budget {budget_name} needs {desired} healthy pods and has {healthy} currently"
            )));
        }
        let mut next = object.clone();
        if let Some(status) = next.get_mut("status").and_then(Value::as_object_mut) {
            status.insert("disruptionsAllowed".into(), json!(allowed - 1));
            let disrupted = status.entry("disruptedPods").or_insert_with(|| json!({}));
            if let Some(disrupted) = disrupted.as_object_mut() {
                disrupted.insert(name.clone(), json!(crate::meta::now_rfc3339()));
            }
        }
        match ctx
            .state
            .objects
            .update(pdbs, namespace, &budget_name, &next, budget.revision)
            .await?
        {
            Ok(_) => return Ok(()),
            Err(_) => continue,
        }
    }
    Err(ApiError::new(429, "TooManyRequests", "the disruption budget kept changing; try again"))
}
