//! The Recreate strategy: scale every old ReplicaSet to zero, wait until none of their pods
//! is left (or all have finished), then create the new ReplicaSet at full size.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};

use super::DeploymentSync;
use super::rolling::replicas;
use crate::{Error, pods};

/// While old pods linger (graceful termination), look again this often.
const OLD_PODS_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// One Recreate step, then the rollout status.
pub(super) async fn rollout(
    sync: &mut DeploymentSync<'_>,
    sets: Vec<ReplicaSet>,
) -> Result<Action, Error> {
    let (new, mut old) = sync.new_and_old(sets.clone(), false).await?;
    let mut scaled_down = false;
    for rs in old.iter_mut().filter(|rs| replicas(rs) > 0) {
        *rs = sync.scale(rs, 0).await?;
        scaled_down = true;
    }
    if scaled_down {
        return sync.rollout_status(&old, new.as_ref()).await;
    }
    if old_pods_running(sync, new.as_ref(), &old).await? {
        sync.rollout_status(&old, new.as_ref()).await?;
        return Ok(Action::requeue(OLD_PODS_POLL));
    }
    let (new, old) = match new {
        Some(new) => (Some(new), old),
        None => sync.new_and_old(sets, true).await?,
    };
    let desired = super::rolling::limits(&sync.deployment).desired;
    let new = match new {
        Some(rs) => Some(sync.scale(&rs, desired).await?),
        None => None,
    };
    if sync.complete(&old, new.as_ref()) {
        sync.cleanup(&old).await?;
    }
    sync.rollout_status(&old, new.as_ref()).await
}

/// Whether any old ReplicaSet still has pods: by its status first, then by a live list of the
/// deployment's pods (a pod terminating gracefully no longer counts in the status).
async fn old_pods_running(
    sync: &DeploymentSync<'_>,
    new: Option<&ReplicaSet>,
    old: &[ReplicaSet],
) -> Result<bool, Error> {
    if old.iter().any(|rs| rs.status.as_ref().is_some_and(|s| s.replicas > 0)) {
        return Ok(true);
    }
    let old_uids: Vec<String> = old.iter().filter_map(ResourceExt::uid).collect();
    if old_uids.is_empty() {
        return Ok(false);
    }
    let namespace = sync.deployment.namespace().unwrap_or_default();
    let api: Api<Pod> = Api::namespaced(sync.ctx.client.clone(), &namespace);
    let selector = sync.selector_string();
    let listed = api.list(&ListParams::default().labels(&selector)).await.map_err(|e| {
        Error::api(
            format!("listing the pods of deployment {namespace}/{}", sync.deployment.name_any()),
            e,
        )
    })?;
    let new_uid = new.and_then(ResourceExt::uid);
    Ok(listed.items.iter().any(|pod| {
        let owner = pods::controller_uid(&pod.metadata);
        owner
            .is_some_and(|uid| old_uids.iter().any(|o| o == uid) && Some(uid) != new_uid.as_deref())
            && !pods::is_terminal(pod)
    }))
}
