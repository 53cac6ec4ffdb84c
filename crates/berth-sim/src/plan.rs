//! What a simulated node does next with one of its pods: a pure function of the pod, the
//! node's timing settings and the clock.
//!
//! [`next_step`] is level-triggered: it reads only the pod (phase, conditions, annotations,
//! deletion mark), so a restarted simulator picks up where the last one stopped. The pod driver
//! ([`crate::pods`]) performs the step; [`crate::pod_status`] builds the status it writes.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use crate::parse::parse_duration;

/// Annotation: the containers exit 0 this long after they started (`"2s"`).
pub const COMPLETE_AFTER: &str = "sim.berth.dev/complete-after";
/// Annotation: the containers exit 1 this long after they started.
pub const FAIL_AFTER: &str = "sim.berth.dev/fail-after";
/// Annotation: `"false"` keeps the running containers not ready (flip it at any time).
pub const READY: &str = "sim.berth.dev/ready";

/// The timing settings of the simulated nodes that [`next_step`] needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub startup_delay: Duration,
    pub stop_delay: Duration,
    pub fail_fraction: f64,
}

/// The next thing to do with a pod.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Nothing until the pod changes.
    Nothing,
    /// At `at`, start the pod: Running, or Failed when `fail` (the failure fraction picked it).
    Start { at: Timestamp, fail: bool },
    /// At `at`, the containers exit with `code` (terminal or a restart, by restart policy).
    Exit { at: Timestamp, code: i32 },
    /// Now, set the containers' readiness.
    SetReady(bool),
    /// After `after`, delete the pod (it was marked for deletion).
    Delete { after: Duration },
}

impl Step {
    /// Whether two steps are the same piece of work, so a second one need not be queued.
    pub fn same_work(&self, other: &Step) -> bool {
        match (self, other) {
            (Step::Start { .. }, Step::Start { .. })
            | (Step::Delete { .. }, Step::Delete { .. }) => true,
            _ => self == other,
        }
    }
}

/// Decides what the node does next with `pod` (already known to be bound to one of ours).
pub fn next_step(pod: &Pod, timing: &Timing, now: Timestamp) -> Step {
    if pod.metadata.deletion_timestamp.is_some() {
        return Step::Delete { after: timing.stop_delay };
    }
    let status = pod.status.as_ref();
    match status.and_then(|s| s.phase.as_deref()) {
        Some("Succeeded" | "Failed") => Step::Nothing,
        Some("Running") => running_step(pod, now),
        _ => {
            let scheduled = condition_time(pod, "PodScheduled").unwrap_or(now);
            let at = add(scheduled, timing.startup_delay);
            let fail =
                pod.metadata.uid.as_deref().is_some_and(|uid| fails(uid, timing.fail_fraction));
            Step::Start { at, fail }
        }
    }
}

/// Whether the pod's containers should report ready (the [`READY`] annotation is not "false").
pub fn wants_ready(pod: &Pod) -> bool {
    annotation(pod, READY) != Some("false")
}

fn running_step(pod: &Pod, now: Timestamp) -> Step {
    let want_ready = wants_ready(pod);
    let ready = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True");
    if ready != want_ready {
        return Step::SetReady(want_ready);
    }
    let exit = [(COMPLETE_AFTER, 0), (FAIL_AFTER, 1)].into_iter().find_map(|(key, code)| {
        annotation(pod, key).and_then(|d| parse_duration(d).ok()).map(|d| (d, code))
    });
    match (exit, containers_started(pod).unwrap_or(now)) {
        (Some((after, code)), started) => Step::Exit { at: add(started, after), code },
        (None, _) => Step::Nothing,
    }
}

/// Whether the failure fraction picks this pod: a hash of its UID, so the choice is stable.
pub fn fails(uid: &str, fraction: f64) -> bool {
    if fraction <= 0.0 {
        return false;
    }
    // FNV-1a: small, stable across runs and platforms.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in uid.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // FNV's high bits barely move between similar UIDs: mix them (splitmix64's finaliser).
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^= hash >> 31;
    ((hash >> 11) as f64 / (1u64 << 53) as f64) < fraction
}

fn annotation<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata.annotations.as_ref()?.get(key).map(String::as_str)
}

fn condition_time(pod: &Pod, type_: &str) -> Option<Timestamp> {
    let conditions = pod.status.as_ref()?.conditions.as_ref()?;
    let condition = conditions.iter().find(|c| c.type_ == type_ && c.status == "True")?;
    condition.last_transition_time.as_ref().map(|t| t.0)
}

/// When the running containers last started (the latest start over all containers).
fn containers_started(pod: &Pod) -> Option<Timestamp> {
    let statuses = pod.status.as_ref()?.container_statuses.as_ref()?;
    statuses
        .iter()
        .filter_map(|s| s.state.as_ref()?.running.as_ref()?.started_at.as_ref().map(|t| t.0))
        .max()
}

fn add(at: Timestamp, after: Duration) -> Timestamp {
    SignedDuration::try_from(after).ok().and_then(|d| at.checked_add(d).ok()).unwrap_or(at)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
