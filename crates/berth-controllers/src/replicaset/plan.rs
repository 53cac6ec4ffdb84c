//! What a ReplicaSet sync decides, as pure functions: how many pods to create or delete, in
//! which batches the creates go out, which pods go first when there are too many, and the
//! status the pods add up to. The driver in [`super`] reads the caches, calls these and writes.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use crate::pods;

/// At most this many creates or deletes per sync (Kubernetes' `burstReplicas`).
pub const BURST: usize = 500;

/// The pods to create (positive) or delete (negative) to reach `desired`, capped at [`BURST`].
pub fn diff(active: usize, desired: usize) -> i64 {
    let wanted = desired as i64 - active as i64;
    wanted.clamp(-(BURST as i64), BURST as i64)
}

/// Slow-start batch sizes for `count` creates: 1, 2, 4, … until all are covered. A failing
/// batch stops the rest, so a quota or a broken template costs one failed create, not hundreds.
pub fn batches(count: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut remaining = count;
    let mut size = 1;
    while remaining > 0 {
        let batch = size.min(remaining);
        sizes.push(batch);
        remaining -= batch;
        size *= 2;
    }
    sizes
}

/// The `count` pods to delete out of `candidates`, the ones that matter least first: not
/// scheduled before scheduled, Pending before Unknown before Running, not ready before ready,
/// lower `controller.kubernetes.io/pod-deletion-cost` first, pods doubled up on a node before
/// lone ones, ready for a shorter time first, more restarts first, newer before older.
pub fn pods_to_delete<'a>(candidates: &[&'a Pod], count: usize) -> Vec<&'a Pod> {
    let mut per_node: HashMap<&str, usize> = HashMap::new();
    for pod in candidates {
        if let Some(node) = node_name(pod) {
            *per_node.entry(node).or_default() += 1;
        }
    }
    let mut ranked: Vec<&Pod> = candidates.to_vec();
    ranked.sort_by(|a, b| delete_order(a, b, &per_node));
    ranked.truncate(count);
    ranked
}

fn node_name(pod: &Pod) -> Option<&str> {
    pod.spec.as_ref()?.node_name.as_deref().filter(|n| !n.is_empty())
}

fn phase_rank(pod: &Pod) -> u8 {
    match pods::phase(pod) {
        "Pending" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 3,
    }
}

fn deletion_cost(pod: &Pod) -> i64 {
    pod.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("controller.kubernetes.io/pod-deletion-cost"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn restarts(pod: &Pod) -> i32 {
    let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_deref());
    statuses.unwrap_or_default().iter().map(|c| c.restart_count).sum()
}

fn created(pod: &Pod) -> Option<Timestamp> {
    pod.metadata.creation_timestamp.as_ref().map(|t| t.0)
}

/// `Less` when `a` should be deleted before `b`.
fn delete_order(a: &Pod, b: &Pod, per_node: &HashMap<&str, usize>) -> Ordering {
    let doubled = |p: &Pod| node_name(p).and_then(|n| per_node.get(n)).copied().unwrap_or(0);
    node_name(a)
        .is_some()
        .cmp(&node_name(b).is_some())
        .then_with(|| phase_rank(a).cmp(&phase_rank(b)))
        .then_with(|| pods::is_ready(a).cmp(&pods::is_ready(b)))
        .then_with(|| deletion_cost(a).cmp(&deletion_cost(b)))
        .then_with(|| doubled(b).cmp(&doubled(a)))
        // Ready more recently (a later timestamp) goes first.
        .then_with(|| pods::ready_since(b).cmp(&pods::ready_since(a)))
        .then_with(|| restarts(b).cmp(&restarts(a)))
        // Newer first; a pod without a creation time counts as newest.
        .then_with(|| match (created(a), created(b)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => y.cmp(&x),
        })
}

/// Why the last sync could not create or delete, for the ReplicaFailure condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: &'static str,
    pub message: String,
}

/// The status `active` pods give `rs` at `now`; `failure` sets (or, when `None`, clears) the
/// ReplicaFailure condition. Counts only go up for pods the template's labels fully select.
pub fn status(
    rs: &ReplicaSet,
    active: &[&Pod],
    failure: Option<&Failure>,
    now: Timestamp,
) -> ReplicaSetStatus {
    let spec = rs.spec.as_ref();
    let min_ready = spec.and_then(|s| s.min_ready_seconds).unwrap_or(0);
    let template_labels = spec
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let fully_labeled =
        active.iter().filter(|p| has_labels(p.metadata.labels.as_ref(), &template_labels)).count();
    let ready = active.iter().filter(|p| pods::is_ready(p)).count();
    let available = active.iter().filter(|p| pods::is_available(p, min_ready, now)).count();
    let old = rs.status.clone().unwrap_or_default();
    let mut conditions: Vec<ReplicaSetCondition> = old
        .conditions
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.type_ != "ReplicaFailure")
        .collect();
    let previous = rs
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "ReplicaFailure"));
    if let Some(failure) = failure {
        // An existing failure condition stays as it is (as Kubernetes keeps the first message).
        conditions.push(previous.cloned().unwrap_or_else(|| ReplicaSetCondition {
            type_: "ReplicaFailure".to_owned(),
            status: "True".to_owned(),
            reason: Some(failure.reason.to_owned()),
            message: Some(failure.message.clone()),
            last_transition_time: Some(Time(now)),
        }));
    }
    ReplicaSetStatus {
        replicas: count(active.len()),
        fully_labeled_replicas: Some(count(fully_labeled)),
        ready_replicas: Some(count(ready)),
        available_replicas: Some(count(available)),
        observed_generation: rs.metadata.generation,
        conditions: (!conditions.is_empty()).then_some(conditions),
        terminating_replicas: old.terminating_replicas,
    }
}

/// Seconds until the next ready-but-not-yet-available pod becomes available, if any.
pub fn next_available_in(active: &[&Pod], min_ready_seconds: i32, now: Timestamp) -> Option<i64> {
    if min_ready_seconds <= 0 {
        return None;
    }
    active
        .iter()
        .filter_map(|p| pods::ready_since(p))
        .map(|since| since.as_second() + i64::from(min_ready_seconds) - now.as_second())
        .filter(|left| *left > 0)
        .min()
}

fn has_labels(
    labels: Option<&BTreeMap<String, String>>,
    wanted: &BTreeMap<String, String>,
) -> bool {
    let Some(labels) = labels else { return wanted.is_empty() };
    wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests;
