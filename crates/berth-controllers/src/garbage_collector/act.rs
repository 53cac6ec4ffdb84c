//! The collector's workers: take a uid from the queue, ask the graph what it calls for, and do
//! it against the live objects: delete a dependent whose owners are all gone, drop references to
//! gone owners, delete the dependents of an owner in foreground deletion, orphan the dependents
//! of an owner deleted with `propagationPolicy=Orphan`, and remove the finalizer that held an
//! owner once its work is done. Every write reads the object first and carries its uid or
//! resourceVersion, so a stale graph can delay work but never make a wrong delete.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{
    DeleteParams, DynamicObject, Patch, PatchParams, Preconditions, PropagationPolicy,
};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::Shared;
use super::graph::{Decision, FOREGROUND, Node, ORPHAN, OwnerState, Verdict, verdict};
use crate::Error;

/// One worker: runs until the process ends.
pub(super) async fn work(shared: Arc<Shared>) {
    loop {
        let uid = shared.queue.pop().await;
        let result = handle(&shared, &uid).await;
        shared.queue.done(&uid);
        match result {
            Ok(()) => shared.retries.succeeded(&uid),
            Err(error) => {
                let wait = shared.retries.failed(&uid);
                tracing::debug!(uid, %error, ?wait, "garbage collection step failed; retrying");
                let shared = shared.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    shared.queue.push(uid);
                });
            }
        }
    }
}

async fn handle(shared: &Shared, uid: &str) -> Result<(), Error> {
    let (decision, node) = {
        let graph = shared.graph();
        (graph.decide(uid), graph.get(uid).cloned())
    };
    let Some(node) = node else { return Ok(()) };
    match decision {
        Decision::Nothing => Ok(()),
        Decision::Visit(uids) => {
            uids.into_iter().for_each(|u| shared.queue.push(u));
            Ok(())
        }
        Decision::RemoveFinalizer(finalizer) => {
            remove_finalizer(shared, &node, uid, finalizer).await
        }
        Decision::Orphan(dependents) => {
            for dependent in dependents {
                let found = shared.graph().get(&dependent).cloned();
                if let Some(found) = found {
                    remove_references(shared, &found, &dependent, &[uid.to_owned()]).await?;
                }
            }
            remove_finalizer(shared, &node, uid, ORPHAN).await
        }
        Decision::CheckOwners => check_owners(shared, &node, uid).await,
    }
}

fn api_for(shared: &Shared, node: &Node) -> Api<DynamicObject> {
    let client = shared.ctx.client.clone();
    match (&node.namespace, node.kind.namespaced) {
        (Some(namespace), true) => Api::namespaced_with(client, namespace, &node.kind.resource),
        _ => Api::all_with(client, &node.kind.resource),
    }
}

fn step(what: &str, node: &Node) -> String {
    let namespace = node.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
    format!("{what} {} {namespace}{}", node.kind.resource.kind, node.name)
}

/// The object as it is now, if it is still the one with `uid`.
async fn live(
    api: &Api<DynamicObject>,
    node: &Node,
    uid: &str,
) -> Result<Option<DynamicObject>, Error> {
    let object = api.get_opt(&node.name).await.map_err(|e| Error::api(step("reading", node), e))?;
    Ok(object.filter(|o| o.uid().as_deref() == Some(uid)))
}

/// 404 and 409 mean the object changed under us: the watch brings the next step.
fn settled(result: Result<(), kube::Error>, what: String) -> Result<(), Error> {
    match result {
        Ok(()) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(error) => Err(Error::api(what, error)),
    }
}

async fn remove_finalizer(
    shared: &Shared,
    node: &Node,
    uid: &str,
    finalizer: &str,
) -> Result<(), Error> {
    let api = api_for(shared, node);
    let Some(object) = live(&api, node, uid).await? else { return Ok(()) };
    let before = object.finalizers();
    let after: Vec<&String> = before.iter().filter(|f| *f != finalizer).collect();
    if after.len() == before.len() {
        return Ok(());
    }
    shared.ctx.ensure_leader()?;
    let patch =
        json!({"metadata": {"resourceVersion": object.resource_version(), "finalizers": after}});
    let result =
        api.patch(&node.name, &PatchParams::default(), &Patch::Merge(patch)).await.map(drop);
    settled(result, step(&format!("removing finalizer {finalizer} from"), node))
}

async fn remove_references(
    shared: &Shared,
    node: &Node,
    uid: &str,
    owners: &[String],
) -> Result<(), Error> {
    let api = api_for(shared, node);
    let Some(object) = live(&api, node, uid).await? else { return Ok(()) };
    let kept: Vec<&OwnerReference> =
        object.owner_references().iter().filter(|r| !owners.contains(&r.uid)).collect();
    if kept.len() == object.owner_references().len() {
        return Ok(());
    }
    shared.ctx.ensure_leader()?;
    let patch = json!({"metadata": {"resourceVersion": object.resource_version(), "ownerReferences": kept}});
    let result =
        api.patch(&node.name, &PatchParams::default(), &Patch::Merge(patch)).await.map(drop);
    settled(result, step("removing owner references from", node))
}

/// Reads the dependent and each owner the graph cannot vouch for, then acts on the verdict.
async fn check_owners(shared: &Shared, node: &Node, uid: &str) -> Result<(), Error> {
    let api = api_for(shared, node);
    let Some(object) = live(&api, node, uid).await? else { return Ok(()) };
    if object.metadata.deletion_timestamp.is_some() {
        return Ok(());
    }
    let mut states = Vec::new();
    for owner in object.owner_references() {
        let known = shared.graph().owner_state(owner);
        let state = match known {
            Some(state) => state,
            None => owner_state(shared, node, owner).await?,
        };
        states.push((owner.uid.clone(), state));
    }
    let has_dependents = !shared.graph().dependents_of(uid).is_empty();
    match verdict(&states, has_dependents) {
        Verdict::Keep => Ok(()),
        Verdict::RemoveReferences(owners) => remove_references(shared, node, uid, &owners).await,
        Verdict::Delete { foreground } => {
            shared.ctx.ensure_leader()?;
            let params = DeleteParams {
                propagation_policy: Some(if foreground {
                    PropagationPolicy::Foreground
                } else {
                    PropagationPolicy::Background
                }),
                preconditions: Some(Preconditions {
                    uid: Some(uid.to_owned()),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            tracing::debug!(object = step("deleting", node), foreground, "owners gone");
            match api.delete(&node.name, &params).await {
                Ok(_) => Ok(()),
                // Gone, or the name now belongs to another object: nothing to do.
                Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => Ok(()),
                Err(error) => Err(Error::api(step("deleting", node), error)),
            }
        }
    }
}

/// An owner the graph does not know, read live. An owner of a kind not watched counts as
/// present: nothing is deleted on a guess.
async fn owner_state(
    shared: &Shared,
    node: &Node,
    owner: &OwnerReference,
) -> Result<OwnerState, Error> {
    let Some(kind) = shared.kind(&owner.api_version, &owner.kind) else {
        return Ok(OwnerState::Solid);
    };
    let client = shared.ctx.client.clone();
    let api: Api<DynamicObject> = match (&node.namespace, kind.namespaced) {
        (Some(namespace), true) => Api::namespaced_with(client, namespace, &kind.resource),
        (None, true) => return Ok(OwnerState::Solid),
        (_, false) => Api::all_with(client, &kind.resource),
    };
    let found = api
        .get_opt(&owner.name)
        .await
        .map_err(|e| Error::api(format!("reading owner {} {}", owner.kind, owner.name), e))?;
    Ok(match found {
        None => OwnerState::Dangling,
        Some(o) if o.uid().as_deref() != Some(owner.uid.as_str()) => OwnerState::Dangling,
        Some(o)
            if o.metadata.deletion_timestamp.is_some()
                && o.finalizers().iter().any(|f| f == FOREGROUND) =>
        {
            OwnerState::Waiting
        }
        Some(_) => OwnerState::Solid,
    })
}
