//! The namespace controller: empties a namespace that is being deleted, then lets it go.
//!
//! Start at [`reconcile`]. A namespace with a `deletionTimestamp` (the API server puts it in phase
//! Terminating) has every namespaced resource of every kind the server serves deleted — the
//! kinds come from discovery, so custom resources are included. While something remains the
//! namespace is requeued, with a `NamespaceContentRemaining` condition; once nothing is left,
//! its `kubernetes` finalizer is removed through `PUT /api/v1/namespaces/{name}/finalize`, and
//! the API server deletes it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, NamespaceCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, DynamicObject, ListParams, PostParams};
use kube::discovery::{Discovery, Scope, verbs};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use kube::{Api, ResourceExt};

use crate::{Context, Error};

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    Controller::new(Api::<Namespace>::all(ctx.client.clone()), watcher::Config::default())
        .run(reconcile, error_policy, ctx)
        .for_each(|_| async {})
        .await;
    Err(Error::Stopped("namespace"))
}

fn error_policy(_ns: Arc<Namespace>, error: &Error, _ctx: Arc<Context>) -> Action {
    tracing::debug!(%error, "namespace reconcile failed");
    Action::requeue(Duration::from_secs(2))
}

async fn reconcile(ns: Arc<Namespace>, ctx: Arc<Context>) -> Result<Action, Error> {
    if ns.metadata.deletion_timestamp.is_none() {
        return Ok(Action::await_change());
    }
    let name = ns.name_any();
    let remaining = delete_contents(&ctx, &name).await?;
    let api: Api<Namespace> = Api::all(ctx.client.clone());
    if remaining > 0 {
        let message = format!("Some resources are remaining: {remaining} objects");
        set_condition(&ctx, &api, &ns, "NamespaceContentRemaining", &message).await?;
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    let finalizers = ns.spec.as_ref().and_then(|s| s.finalizers.clone()).unwrap_or_default();
    if !finalizers.iter().any(|f| f == "kubernetes") {
        return Ok(Action::await_change());
    }
    let mut next = (*ns).clone();
    next.spec.get_or_insert_default().finalizers =
        Some(finalizers.into_iter().filter(|f| f != "kubernetes").collect());
    ctx.ensure_leader()?;
    match api
        .replace_subresource::<Namespace>("finalize", &name, &PostParams::default(), &next)
        .await
    {
        Ok(_) => Ok(Action::await_change()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(Action::await_change()),
        Err(e) => Err(Error::api(format!("finalizing namespace {name}"), e)),
    }
}

/// Deletes everything namespaced in `namespace`; returns how many objects were still there.
async fn delete_contents(ctx: &Context, namespace: &str) -> Result<usize, Error> {
    let discovery = Discovery::new(ctx.client.clone())
        .run()
        .await
        .map_err(|e| Error::api("discovering the server's resources", e))?;
    let mut remaining = 0;
    for group in discovery.groups() {
        for (resource, caps) in group.recommended_resources() {
            if caps.scope != Scope::Namespaced
                || !caps.supports_operation(verbs::LIST)
                || !caps.supports_operation(verbs::DELETE)
            {
                continue;
            }
            let api: Api<DynamicObject> =
                Api::namespaced_with(ctx.client.clone(), namespace, &resource);
            let list = match api.list_metadata(&ListParams::default()).await {
                Ok(list) => list,
                Err(kube::Error::Api(s)) if s.code == 404 || s.code == 405 => continue,
                Err(e) => {
                    return Err(Error::api(
                        format!("listing {} in {namespace}", resource.plural),
                        e,
                    ));
                }
            };
            for object in list.items {
                remaining += 1;
                if object.metadata.deletion_timestamp.is_some() {
                    continue;
                }
                ctx.ensure_leader()?;
                let params = DeleteParams::background();
                match api.delete(&object.name_any(), &params).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
                    Err(e) => {
                        return Err(Error::api(
                            format!(
                                "deleting {} {namespace}/{}",
                                resource.plural,
                                object.name_any()
                            ),
                            e,
                        ));
                    }
                }
            }
        }
    }
    Ok(remaining)
}

async fn set_condition(
    ctx: &Context,
    api: &Api<Namespace>,
    ns: &Namespace,
    kind: &str,
    message: &str,
) -> Result<(), Error> {
    let mut status = ns.status.clone().unwrap_or_default();
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    if conditions.iter().any(|c| c.type_ == kind && c.status == "True") {
        return Ok(());
    }
    conditions.retain(|c| c.type_ != kind);
    conditions.push(NamespaceCondition {
        type_: kind.to_owned(),
        status: "True".to_owned(),
        reason: Some("SomeResourcesRemain".to_owned()),
        message: Some(message.to_owned()),
        last_transition_time: Some(Time(Timestamp::now())),
    });
    let mut next = ns.clone();
    next.status = Some(status);
    ctx.ensure_leader()?;
    match api.replace_status(&ns.name_any(), &PostParams::default(), &next).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
        Err(e) => Err(Error::api(format!("updating the status of namespace {}", ns.name_any()), e)),
    }
}
