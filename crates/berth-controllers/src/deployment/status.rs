//! A deployment's status and conditions from its ReplicaSets, as `kubectl rollout status`
//! reads them: replica counts, `Available` (MinimumReplicasAvailable/Unavailable), `Progressing`
//! (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable,
//! ProgressDeadlineExceeded, DeploymentPaused/Resumed) and `ReplicaFailure` copied from a
//! ReplicaSet. All pure; the driver writes what [`rollout`] or [`calculate`] return.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;

use super::rolling::{Limits, replicas};

pub const AVAILABLE: &str = "Available";
pub const PROGRESSING: &str = "Progressing";
pub const REPLICA_FAILURE: &str = "ReplicaFailure";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";

/// A condition stamped `now`.
pub fn condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    now: Timestamp,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message),
        last_update_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    }
}

pub fn get<'a>(status: &'a DeploymentStatus, type_: &str) -> Option<&'a DeploymentCondition> {
    status.conditions.as_ref()?.iter().find(|c| c.type_ == type_)
}

/// Sets `new`: nothing changes when a condition of its type already has its status and reason;
/// the transition time stays when only the reason changes.
pub fn set(status: &mut DeploymentStatus, mut new: DeploymentCondition) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    if let Some(current) = conditions.iter().find(|c| c.type_ == new.type_) {
        if current.status == new.status && current.reason == new.reason {
            return;
        }
        if current.status == new.status {
            new.last_transition_time = current.last_transition_time.clone();
        }
    }
    conditions.retain(|c| c.type_ != new.type_);
    conditions.push(new);
}

pub fn remove(status: &mut DeploymentStatus, type_: &str) {
    if let Some(conditions) = status.conditions.as_mut() {
        conditions.retain(|c| c.type_ != type_);
    }
}

fn sum(sets: &[&ReplicaSet], field: impl Fn(&ReplicaSet) -> i32) -> i32 {
    sets.iter().map(|rs| field(rs)).sum()
}

fn status_replicas(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().map(|s| s.replicas).unwrap_or(0)
}

/// Counts from the ReplicaSets, and the `Available` condition.
pub fn calculate(
    deployment: &Deployment,
    all: &[&ReplicaSet],
    new: Option<&ReplicaSet>,
    limits: Limits,
    now: Timestamp,
) -> DeploymentStatus {
    let available =
        sum(all, |rs| rs.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0));
    let total = sum(all, replicas);
    let mut status = deployment.status.clone().unwrap_or_default();
    status.observed_generation = deployment.metadata.generation;
    status.replicas = Some(sum(all, status_replicas));
    status.updated_replicas = Some(new.map(status_replicas).unwrap_or(0));
    status.ready_replicas =
        Some(sum(all, |rs| rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0)));
    status.available_replicas = Some(available);
    status.unavailable_replicas = Some((total - available).max(0));
    if available >= limits.desired - limits.unavailable {
        let message = "Deployment has minimum availability.".to_owned();
        set(&mut status, condition(AVAILABLE, "True", "MinimumReplicasAvailable", message, now));
    } else {
        let message = "Deployment does not have minimum availability.".to_owned();
        set(&mut status, condition(AVAILABLE, "False", "MinimumReplicasUnavailable", message, now));
    }
    status
}

fn deadline(deployment: &Deployment) -> Option<i32> {
    deployment.spec.as_ref()?.progress_deadline_seconds.filter(|s| *s != i32::MAX)
}

/// Every replica updated, present and available, for the current generation.
pub fn complete(deployment: &Deployment, status: &DeploymentStatus) -> bool {
    let desired = deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    status.updated_replicas == Some(desired)
        && status.replicas == Some(desired)
        && status.available_replicas == Some(desired)
        && status.observed_generation >= deployment.metadata.generation
}

fn progressed(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    let n = |v: Option<i32>| v.unwrap_or(0);
    let old_stale = n(old.replicas) - n(old.updated_replicas);
    let new_stale = n(new.replicas) - n(new.updated_replicas);
    n(new.updated_replicas) > n(old.updated_replicas)
        || new_stale < old_stale
        || n(new.ready_replicas) > n(old.ready_replicas)
        || n(new.available_replicas) > n(old.available_replicas)
}

fn timed_out(deployment: &Deployment, status: &DeploymentStatus, now: Timestamp) -> bool {
    let Some(seconds) = deadline(deployment) else { return false };
    let Some(progressing) = get(status, PROGRESSING) else { return false };
    match progressing.reason.as_deref() {
        Some(NEW_RS_AVAILABLE) => false,
        Some(TIMED_OUT) => true,
        _ => progressing
            .last_update_time
            .as_ref()
            .is_some_and(|t| t.0.as_second() + i64::from(seconds) < now.as_second()),
    }
}

/// The status after a rollout step: [`calculate`], then `Progressing` advanced (progress,
/// completion or the deadline passing) and `ReplicaFailure` copied from the ReplicaSets.
pub fn rollout(
    deployment: &Deployment,
    all: &[&ReplicaSet],
    new: Option<&ReplicaSet>,
    limits: Limits,
    now: Timestamp,
) -> DeploymentStatus {
    let old = deployment.status.clone().unwrap_or_default();
    let mut status = calculate(deployment, all, new, limits, now);
    if deadline(deployment).is_none() {
        remove(&mut status, PROGRESSING);
    }
    let current = get(&old, PROGRESSING).cloned();
    let done = status.replicas == status.updated_replicas
        && current.as_ref().and_then(|c| c.reason.as_deref()) == Some(NEW_RS_AVAILABLE);
    if deadline(deployment).is_some() && !done {
        let name = new.map(ResourceExt::name_any).unwrap_or_default();
        if complete(deployment, &status) {
            let message = format!("ReplicaSet \"{name}\" has successfully progressed.");
            set(&mut status, condition(PROGRESSING, "True", NEW_RS_AVAILABLE, message, now));
        } else if progressed(&old, &status) {
            let message = format!("ReplicaSet \"{name}\" is progressing.");
            let mut updated = condition(PROGRESSING, "True", "ReplicaSetUpdated", message, now);
            if let Some(current) = current.as_ref().filter(|c| c.status == "True") {
                updated.last_transition_time = current.last_transition_time.clone();
            }
            remove(&mut status, PROGRESSING);
            set(&mut status, updated);
        } else if timed_out(deployment, &status, now) {
            let message = format!("ReplicaSet \"{name}\" has timed out progressing.");
            set(&mut status, condition(PROGRESSING, "False", TIMED_OUT, message, now));
        }
    }
    let failure = new.into_iter().chain(all.iter().copied()).find_map(|rs| {
        let conditions = rs.status.as_ref()?.conditions.as_ref()?;
        conditions.iter().find(|c| c.type_ == REPLICA_FAILURE && c.status == "True").cloned()
    });
    match failure {
        Some(c) => set(
            &mut status,
            condition(
                REPLICA_FAILURE,
                "True",
                c.reason.as_deref().unwrap_or_default(),
                c.message.unwrap_or_default(),
                now,
            ),
        ),
        None => remove(&mut status, REPLICA_FAILURE),
    }
    status
}

/// When to look again to notice a missed progress deadline, if the rollout may still miss it.
pub fn check_deadline_in(
    deployment: &Deployment,
    status: &DeploymentStatus,
    now: Timestamp,
) -> Option<Duration> {
    let seconds = deadline(deployment)?;
    let progressing = get(status, PROGRESSING)?;
    if complete(deployment, status) || progressing.reason.as_deref() == Some(TIMED_OUT) {
        return None;
    }
    let since = progressing.last_update_time.as_ref()?.0.as_second();
    let left = since + i64::from(seconds) - now.as_second();
    Some(Duration::from_secs(left.max(1).unsigned_abs()))
}

/// The `Progressing` condition for a paused (or just resumed) deployment, when it changes.
pub fn paused_condition(
    deployment: &Deployment,
    paused: bool,
    now: Timestamp,
) -> Option<DeploymentStatus> {
    deadline(deployment)?;
    let mut status = deployment.status.clone().unwrap_or_default();
    let reason = get(&status, PROGRESSING).and_then(|c| c.reason.clone());
    if reason.as_deref() == Some(TIMED_OUT) {
        return None;
    }
    let is_paused = reason.as_deref() == Some(PAUSED);
    if paused && !is_paused {
        set(
            &mut status,
            condition(PROGRESSING, "Unknown", PAUSED, "Deployment is paused".to_owned(), now),
        );
    } else if !paused && is_paused {
        set(
            &mut status,
            condition(PROGRESSING, "Unknown", RESUMED, "Deployment is resumed".to_owned(), now),
        );
    } else {
        return None;
    }
    Some(status)
}
