//! The RollingUpdate strategy: bring the new ReplicaSet up as far as `maxSurge` allows, take old
//! ones down as far as `maxUnavailable` allows, one of the two per sync. The arithmetic is pure
//! ([`limits`], [`scale_up_new`], [`scale_down_old`]); [`rollout`] performs one step.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use kube::runtime::controller::Action;

use super::DeploymentSync;
use crate::Error;

/// The bounds of a rollout: `desired` replicas, at most `desired + surge` pods in all, at
/// least `desired - unavailable` available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub desired: i32,
    pub surge: i32,
    pub unavailable: i32,
}

/// `maxSurge` and `maxUnavailable` resolved against `spec.replicas`: a surge percentage rounds
/// up, an unavailable one down, and when both come to zero one pod may be unavailable.
/// Recreate deployments (and zero replicas, for unavailability) get zero.
pub fn limits(deployment: &Deployment) -> Limits {
    let spec = deployment.spec.as_ref();
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let strategy = spec.and_then(|s| s.strategy.as_ref());
    if strategy.and_then(|s| s.type_.as_deref()) == Some("Recreate") {
        return Limits { desired, surge: 0, unavailable: 0 };
    }
    let rolling = strategy.and_then(|s| s.rolling_update.as_ref());
    let default = IntOrString::String("25%".to_owned());
    let surge_spec = rolling.and_then(|r| r.max_surge.as_ref()).unwrap_or(&default);
    let unavailable_spec = rolling.and_then(|r| r.max_unavailable.as_ref()).unwrap_or(&default);
    let surge = scaled(surge_spec, desired, true);
    let mut unavailable = scaled(unavailable_spec, desired, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    if desired == 0 {
        unavailable = 0;
    }
    Limits { desired, surge, unavailable: unavailable.min(desired) }
}

/// An int, or a percentage of `total` rounded up or down.
pub fn scaled(value: &IntOrString, total: i32, round_up: bool) -> i32 {
    match value {
        IntOrString::Int(n) => (*n).max(0),
        IntOrString::String(text) => {
            let percent: i64 = text.trim_end_matches('%').parse().unwrap_or(0);
            let product = i64::from(total.max(0)) * percent.max(0);
            let value = if round_up { (product + 99) / 100 } else { product / 100 };
            i32::try_from(value).unwrap_or(i32::MAX)
        }
    }
}

pub fn replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

pub fn available(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0)
}

/// How big the new ReplicaSet may be now (Kubernetes' NewRSNewReplicas for rolling updates):
/// up to the surge ceiling counted over every ReplicaSet's `spec.replicas`, never past desired.
pub fn new_replicas(limits: Limits, all: &[&ReplicaSet], new_current: i32) -> i32 {
    let total: i32 = all.iter().map(|rs| replicas(rs)).sum();
    let ceiling = limits.desired + limits.surge;
    if total >= ceiling {
        return new_current;
    }
    let room = (ceiling - total).min(limits.desired - new_current).max(0);
    new_current + room
}

/// The new ReplicaSet's next size, when it should change.
pub fn scale_up_new(limits: Limits, all: &[&ReplicaSet], new: &ReplicaSet) -> Option<i32> {
    let current = replicas(new);
    if current == limits.desired {
        return None;
    }
    if current > limits.desired {
        return Some(limits.desired);
    }
    let next = new_replicas(limits, all, current);
    (next != current).then_some(next)
}

/// Which old ReplicaSets shrink to what: first their unavailable pods (oldest set first), then
/// available ones while more than `desired - unavailable` pods would stay available.
pub fn scale_down_old(
    limits: Limits,
    old: &[&ReplicaSet],
    new: Option<&ReplicaSet>,
) -> Vec<(String, i32)> {
    // A set's status may still count pods its last scale-down is deleting: it will keep no
    // more than `spec.replicas`, so no more count as available.
    let settled = |rs: &ReplicaSet| available(rs).min(replicas(rs));
    let mut sizes: Vec<(String, i32, i32)> =
        old.iter().map(|rs| (rs.name_any(), replicas(rs), settled(rs))).collect();
    let old_total: i32 = sizes.iter().map(|s| s.1).sum();
    if old_total == 0 {
        return Vec::new();
    }
    let new_replicas = new.map(replicas).unwrap_or(0);
    let new_available = new.map(settled).unwrap_or(0);
    let all_total = old_total + new_replicas;
    let min_available = limits.desired - limits.unavailable;
    let new_unavailable = (new_replicas - new_available).max(0);
    let max_scaled_down = all_total - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return Vec::new();
    }
    // Unhealthy pods first: they count against nothing.
    let mut cleaned = 0;
    for (_, size, available) in sizes.iter_mut() {
        if cleaned >= max_scaled_down {
            break;
        }
        let unhealthy = (*size - *available).max(0);
        if *size == 0 || unhealthy == 0 {
            continue;
        }
        let down = unhealthy.min(max_scaled_down - cleaned);
        *size -= down;
        cleaned += down;
    }
    // Then available pods, while availability stays above the floor.
    let available_total: i32 = sizes.iter().map(|s| s.2).sum::<i32>() + new_available;
    if available_total > min_available {
        let wanted = available_total - min_available;
        let mut done = 0;
        for (_, size, _) in sizes.iter_mut() {
            if done >= wanted {
                break;
            }
            if *size == 0 {
                continue;
            }
            let down = (*size).min(wanted - done);
            *size -= down;
            done += down;
        }
    }
    old.iter()
        .zip(sizes)
        .filter(|(rs, (_, size, _))| replicas(rs) != *size)
        .map(|(_, (name, size, _))| (name, size))
        .collect()
}

/// One rolling-update step, then the rollout status.
pub(super) async fn rollout(
    sync: &mut DeploymentSync<'_>,
    sets: Vec<ReplicaSet>,
) -> Result<Action, Error> {
    let (new, mut old) = sync.new_and_old(sets, true).await?;
    let limits = limits(&sync.deployment);
    if let Some(new_rs) = &new {
        let all: Vec<&ReplicaSet> = old.iter().chain(Some(new_rs)).collect();
        if let Some(size) = scale_up_new(limits, &all, new_rs) {
            let scaled = sync.scale(new_rs, size).await?;
            return sync.rollout_status(&old, Some(&scaled)).await;
        }
    }
    let mut active: Vec<&ReplicaSet> = old.iter().filter(|rs| replicas(rs) > 0).collect();
    super::revision::by_creation_refs(&mut active);
    let plan = scale_down_old(limits, &active, new.as_ref());
    if !plan.is_empty() {
        for (name, size) in plan {
            if let Some(slot) = old.iter_mut().find(|rs| rs.name_any() == name) {
                *slot = sync.scale(slot, size).await?;
            }
        }
        return sync.rollout_status(&old, new.as_ref()).await;
    }
    if sync.complete(&old, new.as_ref()) {
        sync.cleanup(&old).await?;
    }
    sync.rollout_status(&old, new.as_ref()).await
}

#[cfg(test)]
mod tests;
