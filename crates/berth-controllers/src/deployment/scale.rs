//! Scaling a deployment without rolling it: when `spec.replicas` changes (or the deployment is
//! paused) the ReplicaSets grow or shrink in proportion to their size, so that a rollout in
//! progress keeps its shape. Pure: [`is_scaling_event`] and [`plan`]; [`sync`] performs it.

use std::cmp::Reverse;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::ResourceExt;
use kube::runtime::controller::Action;

use super::DeploymentSync;
use super::revision::{DESIRED_REPLICAS, MAX_REPLICAS, annotation_i32};
use super::rolling::{Limits, available, replicas};
use crate::Error;

/// Whether some active ReplicaSet was sized for another `spec.replicas` than the current one.
pub fn is_scaling_event(desired: i32, sets: &[&ReplicaSet]) -> bool {
    sets.iter()
        .filter(|rs| replicas(rs) > 0)
        .filter_map(|rs| annotation_i32(rs, DESIRED_REPLICAS))
        .any(|annotated| annotated != desired)
}

/// The size every ReplicaSet to touch should have (unchanged sizes included: their replica
/// annotations are refreshed). `status_replicas` is the deployment's `status.replicas`, the
/// base for sets without a max-replicas annotation.
pub fn plan(
    limits: Limits,
    rolling: bool,
    status_replicas: i32,
    new: Option<&ReplicaSet>,
    old: &[&ReplicaSet],
) -> Vec<(String, i32)> {
    let desired = limits.desired;
    let mut newest_first: Vec<&ReplicaSet> = old.to_vec();
    newest_first.sort_by_key(|rs| Reverse(rs.metadata.creation_timestamp.as_ref().map(|t| t.0)));
    let active: Vec<&ReplicaSet> =
        new.into_iter().chain(newest_first.iter().copied()).filter(|rs| replicas(rs) > 0).collect();
    // One active set (or none: then the newest) simply takes the whole size.
    let only = match active.len() {
        0 => new.or(newest_first.first().copied()),
        1 => Some(active[0]),
        _ => None,
    };
    if let Some(rs) = only {
        return vec![(rs.name_any(), desired)];
    }
    if let Some(new) = new
        && annotation_i32(new, DESIRED_REPLICAS) == Some(desired)
        && replicas(new) == desired
        && available(new) == desired
    {
        return old.iter().filter(|rs| replicas(rs) > 0).map(|rs| (rs.name_any(), 0)).collect();
    }
    if !rolling {
        return Vec::new();
    }
    let total: i32 = active.iter().map(|rs| replicas(rs)).sum();
    let allowed = if desired > 0 { desired + limits.surge } else { 0 };
    let to_add = allowed - total;
    let mut ordered = active.clone();
    // Growing: the biggest (then newest) first; shrinking: the biggest (then oldest) first.
    let created = |rs: &ReplicaSet| rs.metadata.creation_timestamp.as_ref().map(|t| t.0);
    if to_add > 0 {
        ordered.sort_by(|a, b| replicas(b).cmp(&replicas(a)).then(created(b).cmp(&created(a))));
    } else {
        ordered.sort_by(|a, b| replicas(b).cmp(&replicas(a)).then(created(a).cmp(&created(b))));
    }
    let mut added = 0;
    let mut sizes: Vec<(String, i32)> = Vec::new();
    for rs in &ordered {
        let mut size = replicas(rs);
        if to_add != 0 && to_add != added {
            let share = share(rs, desired, limits.surge, status_replicas);
            let proportion =
                if to_add > 0 { share.min(to_add - added) } else { share.max(to_add - added) };
            size += proportion;
            added += proportion;
        }
        sizes.push((rs.name_any(), size));
    }
    if added != to_add
        && let Some(first) = sizes.first_mut()
    {
        first.1 = (first.1 + to_add - added).max(0);
    }
    sizes
}

/// How many replicas `rs` gains (or loses) when the deployment goes to `desired`: its size
/// scaled by the new total over the total it was sized for.
fn share(rs: &ReplicaSet, desired: i32, surge: i32, status_replicas: i32) -> i32 {
    if desired == 0 {
        return -replicas(rs);
    }
    let total = desired + surge;
    let was = annotation_i32(rs, MAX_REPLICAS).unwrap_or(status_replicas);
    if was <= 0 {
        return 0;
    }
    let scaled = (f64::from(replicas(rs)) * f64::from(total) / f64::from(was)).round();
    scaled as i32 - replicas(rs)
}

/// Scales without rolling (a scaling event, or a paused deployment), then writes the status.
pub(super) async fn sync(
    sync: &mut DeploymentSync<'_>,
    sets: Vec<ReplicaSet>,
) -> Result<Action, Error> {
    let (mut new, mut old) = sync.new_and_old(sets, false).await?;
    let limits = super::rolling::limits(&sync.deployment);
    let status_replicas = sync.deployment.status.as_ref().and_then(|s| s.replicas).unwrap_or(0);
    let old_refs: Vec<&ReplicaSet> = old.iter().collect();
    let plan = plan(limits, is_rolling(&sync.deployment), status_replicas, new.as_ref(), &old_refs);
    for (name, size) in plan {
        if let Some(rs) = new.as_mut().filter(|rs| rs.name_any() == name) {
            *rs = sync.scale(rs, size).await?;
        } else if let Some(rs) = old.iter_mut().find(|rs| rs.name_any() == name) {
            *rs = sync.scale(rs, size).await?;
        }
    }
    if paused(&sync.deployment) {
        sync.cleanup(&old).await?;
    }
    sync.sync_status(&old, new.as_ref()).await
}

pub fn is_rolling(deployment: &Deployment) -> bool {
    let strategy = deployment.spec.as_ref().and_then(|s| s.strategy.as_ref());
    strategy.and_then(|s| s.type_.as_deref()) != Some("Recreate")
}

pub fn paused(deployment: &Deployment) -> bool {
    deployment.spec.as_ref().and_then(|s| s.paused).unwrap_or(false)
}
