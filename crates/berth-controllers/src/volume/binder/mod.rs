//! The PersistentVolume binder: binds claims to volumes, both ways, and reclaims volumes whose
//! claim is gone.
//!
//! Start at [`run`]: it caches claims, volumes, classes, nodes and pods, and after every batch of
//! changes (and every 30 s) computes [`plan::plan`] over the whole of them and performs the
//! steps. A bind writes the volume first (`spec.claimRef` with the claim's uid, phase Bound),
//! then the claim (`spec.volumeName`, the bind-completed and bound-by-controller annotations,
//! phase Bound); each write carries the resourceVersion read, so a concurrent change makes it
//! fail and the next pass redo it. A volume is deleted or Released only after a live read shows
//! its claim really gone.

mod plan;
#[cfg(test)]
mod tests;

pub use plan::{DEFAULT_CLASS, SELECTED_NODE, class_of, consumers, key};

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    Node, ObjectReference, PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimStatus,
    Pod,
};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};

use crate::{Context, Error, cache};
use plan::{Key, Step, World};

const BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
const BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";

/// Runs the binder until its watches end.
pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (claims, claim_events) =
        cache::watch_all::<PersistentVolumeClaim>(Api::all(client.clone()));
    let (volumes, volume_events) = cache::watch_all::<PersistentVolume>(Api::all(client.clone()));
    let (classes, class_events) = cache::watch_all::<StorageClass>(Api::all(client.clone()));
    let (nodes, node_events) = cache::watch_all::<Node>(Api::all(client.clone()));
    let (pods, pod_events) = cache::watch_all::<Pod>(Api::all(client));
    let changes =
        cache::changes(vec![claim_events, volume_events, class_events, node_events, pod_events]);
    cache::passes(changes, "persistentvolume-binder", || async {
        let ready = cache::is_ready(&claims)
            && cache::is_ready(&volumes)
            && cache::is_ready(&classes)
            && cache::is_ready(&nodes)
            && cache::is_ready(&pods);
        if !ready {
            return Ok(());
        }
        let (claims, volumes) = (claims.state(), volumes.state());
        let (classes, nodes, pods) = (classes.state(), nodes.state(), pods.state());
        let world = World {
            claims: claims.iter().map(|c| &**c).collect(),
            volumes: volumes.iter().map(|v| &**v).collect(),
            classes: classes.iter().map(|c| &**c).collect(),
            nodes: nodes.iter().map(|n| &**n).collect(),
            consumers: plan::consumers(pods.iter().map(|p| &**p)),
        };
        let mut failed = None;
        for step in plan::plan(&world) {
            if let Err(error) = perform(&ctx, &world, &step).await {
                tracing::warn!(%error, ?step, "binder step failed");
                failed = Some(error);
            }
        }
        failed.map_or(Ok(()), Err)
    })
    .await
}

async fn perform(ctx: &Context, world: &World<'_>, step: &Step) -> Result<(), Error> {
    let claim = |key: &Key| {
        world.claims.iter().find(|c| {
            c.metadata.namespace.as_ref() == Some(&key.0)
                && c.metadata.name.as_ref() == Some(&key.1)
        })
    };
    let volume =
        |name: &str| world.volumes.iter().find(|v| v.metadata.name.as_deref() == Some(name));
    let claims =
        |namespace: &str| Api::<PersistentVolumeClaim>::namespaced(ctx.client.clone(), namespace);
    let volumes: Api<PersistentVolume> = Api::all(ctx.client.clone());
    ctx.ensure_leader()?;
    match step {
        Step::SetClass { claim: (namespace, name), class } => {
            // Only while still empty, as the DefaultStorageClass admission plugin would.
            let patch = serde_json::json!({
                "metadata": {"resourceVersion": claim(&(namespace.clone(), name.clone())).and_then(|c| c.metadata.resource_version.clone())},
                "spec": {"storageClassName": class}
            });
            claims(namespace)
                .patch(name, &PatchParams::default(), &Patch::Merge(patch))
                .await
                .map_err(|e| {
                    Error::api(format!("setting the class of claim {namespace}/{name}"), e)
                })?;
        }
        Step::SelectNode { claim: (namespace, name), node } => {
            let patch = serde_json::json!({"metadata": {"annotations": {SELECTED_NODE: node}}});
            claims(namespace)
                .patch(name, &PatchParams::default(), &Patch::Merge(patch))
                .await
                .map_err(|e| Error::api(format!("annotating claim {namespace}/{name}"), e))?;
        }
        Step::Bind { claim: key, volume: name } => {
            let (Some(c), Some(v)) = (claim(key), volume(name)) else { return Ok(()) };
            bind(ctx, &volumes, &claims(&key.0), c, v).await?;
        }
        Step::Lost { claim: (namespace, name) } => {
            let patch = serde_json::json!({"status": {"phase": "Lost"}});
            claims(namespace)
                .patch_status(name, &PatchParams::default(), &Patch::Merge(patch))
                .await
                .map_err(|e| Error::api(format!("marking claim {namespace}/{name} lost"), e))?;
        }
        Step::Reclaim { volume: name, delete } => {
            let Some(v) = volume(name) else { return Ok(()) };
            if claim_exists(ctx, v).await? {
                return Ok(());
            }
            if *delete {
                match volumes.delete(name, &DeleteParams::default()).await {
                    Ok(_) => tracing::info!(volume = %name, "deleted released volume"),
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) => return Err(Error::api(format!("deleting volume {name}"), e)),
                }
            } else {
                set_volume_phase(&volumes, v, "Released").await?;
            }
        }
        Step::Available { volume: name } => {
            let Some(v) = volume(name) else { return Ok(()) };
            set_volume_phase(&volumes, v, "Available").await?;
        }
    }
    Ok(())
}

/// Does the claim the volume points at still exist (a live read, not the cache)?
async fn claim_exists(ctx: &Context, volume: &PersistentVolume) -> Result<bool, Error> {
    let Some(r) = volume.spec.as_ref().and_then(|s| s.claim_ref.as_ref()) else { return Ok(false) };
    let (Some(namespace), Some(name)) = (&r.namespace, &r.name) else { return Ok(false) };
    let api = Api::<PersistentVolumeClaim>::namespaced(ctx.client.clone(), namespace);
    match api.get_opt(name).await {
        Ok(found) => Ok(found.is_some_and(|c| c.metadata.uid == r.uid)),
        Err(e) => Err(Error::api(format!("reading claim {namespace}/{name}"), e)),
    }
}

async fn set_volume_phase(
    api: &Api<PersistentVolume>,
    volume: &PersistentVolume,
    phase: &str,
) -> Result<(), Error> {
    let mut volume = volume.clone();
    let name = volume.metadata.name.clone().unwrap_or_default();
    volume.status.get_or_insert_with(Default::default).phase = Some(phase.to_owned());
    api.replace_status(&name, &PostParams::default(), &volume)
        .await
        .map_err(|e| Error::api(format!("marking volume {name} {phase}"), e))?;
    Ok(())
}

/// Completes whatever half of the bind is missing.
async fn bind(
    ctx: &Context,
    volumes: &Api<PersistentVolume>,
    claims: &Api<PersistentVolumeClaim>,
    claim: &PersistentVolumeClaim,
    volume: &PersistentVolume,
) -> Result<(), Error> {
    let volume_name = volume.metadata.name.clone().unwrap_or_default();
    let claim_name = claim.metadata.name.clone().unwrap_or_default();
    let mut volume = volume.clone();
    let spec = volume.spec.get_or_insert_with(Default::default);
    let has_uid =
        spec.claim_ref.as_ref().is_some_and(|r| r.uid.is_some() && r.uid == claim.metadata.uid);
    if !has_uid {
        if spec.claim_ref.is_none() {
            annotate(&mut volume.metadata.annotations, BOUND_BY_CONTROLLER);
        }
        volume.spec.get_or_insert_with(Default::default).claim_ref = Some(ObjectReference {
            api_version: Some("v1".to_owned()),
            kind: Some("PersistentVolumeClaim".to_owned()),
            namespace: claim.metadata.namespace.clone(),
            name: claim.metadata.name.clone(),
            uid: claim.metadata.uid.clone(),
            resource_version: claim.metadata.resource_version.clone(),
            ..ObjectReference::default()
        });
        ctx.ensure_leader()?;
        volume =
            volumes.replace(&volume_name, &PostParams::default(), &volume).await.map_err(|e| {
                Error::api(format!("claiming volume {volume_name} for {claim_name}"), e)
            })?;
    }
    if volume.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Bound") {
        set_volume_phase(volumes, &volume, "Bound").await?;
    }
    let mut claim = claim.clone();
    let bound_here =
        claim.spec.as_ref().and_then(|s| s.volume_name.as_deref()) != Some(volume_name.as_str());
    let completed =
        claim.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(BIND_COMPLETED));
    if bound_here || !completed {
        claim.spec.get_or_insert_with(Default::default).volume_name = Some(volume_name.clone());
        annotate(&mut claim.metadata.annotations, BIND_COMPLETED);
        if bound_here {
            annotate(&mut claim.metadata.annotations, BOUND_BY_CONTROLLER);
        }
        ctx.ensure_leader()?;
        claim = claims
            .replace(&claim_name, &PostParams::default(), &claim)
            .await
            .map_err(|e| Error::api(format!("binding claim {claim_name} to {volume_name}"), e))?;
    }
    let vspec = volume.spec.clone().unwrap_or_default();
    let status = PersistentVolumeClaimStatus {
        phase: Some("Bound".to_owned()),
        access_modes: vspec.access_modes.clone(),
        capacity: vspec.capacity.clone(),
        ..claim.status.clone().unwrap_or_default()
    };
    if claim.status.as_ref() != Some(&status) {
        claim.status = Some(status);
        ctx.ensure_leader()?;
        claims
            .replace_status(&claim_name, &PostParams::default(), &claim)
            .await
            .map_err(|e| Error::api(format!("marking claim {claim_name} bound"), e))?;
    }
    tracing::info!(claim = %claim_name, volume = %volume_name, "bound");
    Ok(())
}

fn annotate(annotations: &mut Option<BTreeMap<String, String>>, key: &str) {
    annotations.get_or_insert_with(BTreeMap::new).insert(key.to_owned(), "yes".to_owned());
}
