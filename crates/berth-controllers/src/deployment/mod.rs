//! The Deployment controller: rolls a deployment's pod template out through ReplicaSets.
//!
//! Start at [`run`]: a kube-runtime `Controller` over Deployments, triggered also by every
//! change of a ReplicaSet (mapped to its controlling deployment, or for an orphan to the
//! deployments whose selector matches). [`reconcile`] claims ReplicaSets, then either scales
//! proportionally ([`scale`]: paused, or `spec.replicas` changed) or takes one rollout step
//! ([`rolling`] or [`recreate`]), and writes the status ([`status`]). Which ReplicaSet is new,
//! its name (`<deployment>-<template hash>`) and the revision annotations are in [`revision`];
//! the writes are methods of [`DeploymentSync`] in [`write`].

mod recreate;
mod revision;
mod rolling;
mod scale;
mod status;
mod write;

use std::sync::Arc;

use futures_util::{StreamExt, future};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, ResourceExt};

use crate::replicaset::Retries;
use crate::{Context, Error, pods};

pub(crate) use write::DeploymentSync;

struct State {
    ctx: Arc<Context>,
    sets: Store<ReplicaSet>,
    retries: Retries,
}

/// Runs the controller until its watches end.
pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let (sets, writer) = reflector::store();
    let set_events =
        watcher(Api::<ReplicaSet>::all(ctx.client.clone()), watcher::Config::default())
            .default_backoff()
            .reflect(writer)
            .touched_objects();
    let controller =
        Controller::new(Api::<Deployment>::all(ctx.client.clone()), watcher::Config::default());
    let deployments = controller.store();
    let state = Arc::new(State { ctx: ctx.clone(), sets, retries: Retries::default() });
    controller
        .watches_stream(set_events, move |rs| deployments_for_set(&deployments, &rs))
        .run(reconcile, error_policy, state)
        .for_each(|result| {
            if let Err(error) = result {
                tracing::debug!(%error, "deployment controller");
            }
            future::ready(())
        })
        .await;
    Ok(())
}

/// The deployments a ReplicaSet event concerns: its controller, or for an orphan each
/// deployment in its namespace whose selector matches (one may adopt it).
fn deployments_for_set(
    deployments: &Store<Deployment>,
    rs: &ReplicaSet,
) -> Vec<ObjectRef<Deployment>> {
    let namespace = rs.namespace().unwrap_or_default();
    if let Some(owner) = rs.owner_references().iter().find(|r| r.controller == Some(true)) {
        if owner.kind == "Deployment" {
            return vec![ObjectRef::new(&owner.name).within(&namespace)];
        }
        return Vec::new();
    }
    deployments
        .state()
        .iter()
        .filter(|d| d.namespace().as_deref() == Some(namespace.as_str()))
        .filter(|d| {
            pods::selects(d.spec.as_ref().map(|s| &s.selector), rs.metadata.labels.as_ref())
        })
        .map(|d| ObjectRef::from_obj(d.as_ref()))
        .collect()
}

fn error_policy(deployment: Arc<Deployment>, error: &Error, state: Arc<State>) -> Action {
    let key = format!("{}/{}", deployment.namespace().unwrap_or_default(), deployment.name_any());
    let wait = state.retries.failed(&key);
    if error.is_conflict() {
        tracing::debug!(deployment = key, %error, "conflict; retrying");
    } else {
        tracing::warn!(deployment = key, %error, ?wait, "deployment sync failed");
    }
    Action::requeue(wait)
}

async fn reconcile(deployment: Arc<Deployment>, state: Arc<State>) -> Result<Action, Error> {
    let key = format!("{}/{}", deployment.namespace().unwrap_or_default(), deployment.name_any());
    crate::cache::ready(&state.sets).await;
    let mut sync = DeploymentSync::new(&state.ctx, deployment.as_ref().clone(), Timestamp::now());
    let action = sync_deployment(&mut sync, &state).await?;
    state.retries.succeeded(&key);
    Ok(action)
}

async fn sync_deployment(sync: &mut DeploymentSync<'_>, state: &State) -> Result<Action, Error> {
    let selector = sync.deployment.spec.as_ref().map(|s| s.selector.clone()).unwrap_or_default();
    if selector.match_labels.as_ref().is_none_or(|l| l.is_empty())
        && selector.match_expressions.as_ref().is_none_or(|e| e.is_empty())
    {
        // Selects nothing: only say the spec was seen.
        let mut status = sync.deployment.status.clone().unwrap_or_default();
        status.observed_generation = sync.deployment.metadata.generation;
        sync.write_status(status).await?;
        return Ok(Action::await_change());
    }
    let sets = sync.claim(&state.sets).await?;
    if sync.deployment.metadata.deletion_timestamp.is_some() {
        let (new, old) = sync.new_and_old(sets, false).await?;
        return sync.sync_status(&old, new.as_ref()).await;
    }
    let paused = scale::paused(&sync.deployment);
    if let Some(status) = status::paused_condition(&sync.deployment, paused, sync.now) {
        sync.write_status(status).await?;
    }
    if paused || scaling_event(&sync.deployment, &sets) {
        return scale::sync(sync, sets).await;
    }
    if scale::is_rolling(&sync.deployment) {
        rolling::rollout(sync, sets).await
    } else {
        recreate::rollout(sync, sets).await
    }
}

/// Whether `spec.replicas` changed since the active ReplicaSets were sized.
fn scaling_event(deployment: &Deployment, sets: &[ReplicaSet]) -> bool {
    let desired = deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let refs: Vec<&ReplicaSet> = sets.iter().collect();
    scale::is_scaling_event(desired, &refs)
}
