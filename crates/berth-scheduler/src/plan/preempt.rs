//! Preemption (kube-scheduler's DefaultPreemption PostFilter): when no node fits, find a node
//! where evicting lower-priority pods makes room, with the fewest and least important victims.
//!
//! For each node whose failure eviction could fix, all lower-priority pods are taken away; if
//! the pod then fits, victims are reprieved one by one, most important first, as long as it
//! still fits. Among the candidates the node whose most important victim has the lowest
//! priority wins, then the lowest sum of victim priorities, then the fewest victims. The driver
//! deletes the victims and sets `status.nominatedNodeName`.

use std::sync::Arc;

use super::model::{NodeInfo, PodInfo};
use super::state::PodState;
use super::{FitError, Snapshot, filter, histogram};

/// A pod to evict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Victim {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub priority: i32,
}

/// The node the pod is nominated to and the pods to evict there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preemption {
    pub node: String,
    pub victims: Vec<Victim>,
}

const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

/// Tries to make room for `pod`, which failed with `error`. On failure returns the text that
/// goes into [`FitError::postfilter`] (`preemption: 0/3 nodes are available: …`).
pub fn preempt(pod: &PodInfo, snapshot: &Snapshot, error: &FitError) -> Result<Preemption, String> {
    if pod.preempt_never {
        return Err("preemption: not eligible due to preemptionPolicy=Never".to_owned());
    }
    if let Some(node) = snapshot.node(&pod.nominated_node)
        && node.pods.iter().any(|p| p.terminating && p.priority < pod.priority)
    {
        return Err(
            "preemption: not eligible due to a terminating pod on the nominated node".to_owned()
        );
    }
    let state = PodState::new(pod, snapshot);
    let mut statuses: Vec<Vec<String>> = Vec::new();
    let mut best: Option<(Key, Preemption)> = None;
    for failure in &error.failures {
        let node = match snapshot.node(&failure.node) {
            Some(node) if failure.resolvable => node,
            _ => {
                statuses.push(vec![NOT_HELPFUL.to_owned()]);
                continue;
            }
        };
        match victims_on(pod, &state, snapshot, node) {
            Ok(victims) => {
                let key = Key::of(&victims);
                if best.as_ref().is_none_or(|(k, _)| key < *k) {
                    let victims = victims
                        .iter()
                        .map(|v| Victim {
                            namespace: v.namespace.clone(),
                            name: v.name.clone(),
                            uid: v.uid.clone(),
                            priority: v.priority,
                        })
                        .collect();
                    best = Some((key, Preemption { node: node.name.clone(), victims }));
                }
            }
            Err(reasons) => statuses.push(reasons),
        }
    }
    match best {
        Some((_, preemption)) => Ok(preemption),
        None => {
            let lines = histogram(statuses.iter().flatten().map(String::as_str));
            Err(format!("preemption: 0/{} nodes are available: {}", error.nodes, lines.join(", ")))
        }
    }
}

/// How candidates compare: lower is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    highest_priority: i32,
    priority_sum: i64,
    count: usize,
}

impl Key {
    fn of(victims: &[Arc<PodInfo>]) -> Key {
        Key {
            highest_priority: victims.iter().map(|v| v.priority).max().unwrap_or(i32::MIN),
            priority_sum: victims.iter().map(|v| v.priority as i64).sum(),
            count: victims.len(),
        }
    }
}

/// The minimal victims on one node, or the reasons the pod cannot fit there even so.
fn victims_on(
    pod: &PodInfo,
    state: &PodState,
    snapshot: &Snapshot,
    node: &NodeInfo,
) -> Result<Vec<Arc<PodInfo>>, Vec<String>> {
    let mut lower: Vec<Arc<PodInfo>> =
        node.pods.iter().filter(|p| p.priority < pod.priority).cloned().collect();
    if lower.is_empty() {
        return Err(vec![NO_VICTIMS.to_owned()]);
    }
    let mut trial = node.clone();
    let mut state = state.clone();
    for victim in &lower {
        trial.remove_pod(&victim.namespace, &victim.name);
        state.remove_pod(node, victim, snapshot);
    }
    if let Err(fail) = filter::run(pod, &state, &trial) {
        return Err(fail.reasons(pod, &trial));
    }
    // Most important first: they are the ones we most want to keep.
    lower.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.start_time.cmp(&b.start_time)));
    let mut victims = Vec::new();
    for candidate in lower {
        trial.add_pod(candidate.clone());
        state.add_pod(node, &candidate, snapshot);
        if filter::run(pod, &state, &trial).is_err() {
            trial.remove_pod(&candidate.namespace, &candidate.name);
            state.remove_pod(node, &candidate, snapshot);
            victims.push(candidate);
        }
    }
    Ok(victims)
}
