//! The scheduling decision: a pure function from a pod and a [`Snapshot`] of the cluster to a
//! node name, or a [`FitError`] that reads exactly like kube-scheduler's.
//!
//! Start at [`schedule`]: it builds the pod's cluster-wide state once ([`state::PodState`]),
//! runs the [`filter`]s over nodes from a rotating start until it has enough feasible ones
//! (kube-scheduler's `percentageOfNodesToScore` rule), then [`score`]s those. When nothing fits,
//! [`preempt::preempt`] looks for the cheapest set of lower-priority victims.
//!
//! The snapshot keeps per-node sums (requests, ports) up to date as pods come and go, so the
//! filter loop only compares integers and does not allocate.

pub mod filter;
pub mod model;
pub mod preempt;
pub mod resources;
pub mod score;
pub mod selector;
pub mod snapshot;
pub mod spreading;
pub mod state;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_affinity;
#[cfg(test)]
mod tests_preempt;
#[cfg(test)]
mod tests_reserved;
#[cfg(test)]
mod tests_spread;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::Ordering;

pub use filter::Fail;
pub use model::{NodeInfo, PodInfo, Resources};
pub use preempt::{Preemption, preempt};
pub use snapshot::Snapshot;

use state::PodState;

/// How many feasible nodes to find before scoring (kube-scheduler's `numFeasibleNodesToFind`):
/// all below 100 nodes; otherwise 50% − nodes/125 (at least 5%), and never fewer than 100.
pub fn nodes_to_find(all: usize, percentage: u32) -> usize {
    const MIN_NODES: usize = 100;
    if all < MIN_NODES || percentage >= 100 {
        return all;
    }
    let percentage = if percentage == 0 {
        (50 - (all / 125) as i64).max(5) as usize
    } else {
        percentage as usize
    };
    (all * percentage / 100).max(MIN_NODES)
}

/// Chooses a node for `pod`, or says why none fits.
pub fn schedule(pod: &PodInfo, snapshot: &Snapshot) -> Result<String, FitError> {
    let nodes = &snapshot.nodes;
    if nodes.is_empty() {
        return Err(FitError::default());
    }
    if let Some(message) = &pod.volume_error {
        return Err(FitError::prefilter(snapshot, message));
    }
    let state = PodState::new(pod, snapshot);
    if let Some(node) = snapshot.node(&pod.nominated_node)
        && filter::run(pod, &state, node).is_ok()
    {
        return Ok(node.name.clone());
    }
    let want = nodes_to_find(nodes.len(), snapshot.percentage_of_nodes_to_score);
    let start = snapshot.next_start.load(Ordering::Relaxed) % nodes.len();
    let mut feasible = Vec::with_capacity(want);
    let mut failed = Vec::new();
    let mut processed = 0;
    for step in 0..nodes.len() {
        let i = (start + step) % nodes.len();
        processed += 1;
        match filter::run(pod, &state, &nodes[i]) {
            Ok(()) => {
                feasible.push(i);
                if feasible.len() >= want {
                    break;
                }
            }
            Err(fail) => failed.push((i, fail)),
        }
    }
    snapshot.next_start.store((start + processed) % nodes.len(), Ordering::Relaxed);
    match feasible.len() {
        0 => Err(FitError::new(pod, snapshot, &failed)),
        1 => Ok(nodes[feasible[0]].name.clone()),
        _ => Ok(nodes[feasible[score::pick(pod, &state, snapshot, &feasible)]].name.clone()),
    }
}

/// Why a node rejected the pod, kept for preemption and for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFailure {
    pub node: String,
    pub reasons: Vec<String>,
    /// Whether evicting pods could help.
    pub resolvable: bool,
}

/// No node fits. Renders as kube-scheduler's message, e.g.
/// `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}.`
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FitError {
    pub nodes: usize,
    pub failures: Vec<NodeFailure>,
    /// A reason that rules out every node before any is looked at (kube-scheduler's PreFilter
    /// message), shown instead of the per-node histogram.
    pub prefilter: Option<String>,
    /// What preemption said (`preemption: …`), appended as its own sentence.
    pub postfilter: Option<String>,
}

impl FitError {
    fn new(pod: &PodInfo, snapshot: &Snapshot, failed: &[(usize, Fail)]) -> FitError {
        let failures = failed
            .iter()
            .map(|&(i, fail)| {
                let node = &snapshot.nodes[i];
                NodeFailure {
                    node: node.name.clone(),
                    reasons: fail.reasons(pod, node),
                    resolvable: fail.resolvable(),
                }
            })
            .collect();
        FitError { nodes: snapshot.nodes.len(), failures, ..FitError::default() }
    }

    /// Every node is ruled out for the same reason, which evictions cannot fix.
    fn prefilter(snapshot: &Snapshot, message: &str) -> FitError {
        let failures = snapshot
            .nodes
            .iter()
            .map(|node| NodeFailure {
                node: node.name.clone(),
                reasons: vec![message.to_owned()],
                resolvable: false,
            })
            .collect();
        FitError {
            nodes: snapshot.nodes.len(),
            failures,
            prefilter: Some(message.to_owned()),
            postfilter: None,
        }
    }

    /// `N reason` for each distinct reason, sorted as strings (as kube-scheduler does).
    pub fn histogram(&self) -> Vec<String> {
        histogram(self.failures.iter().flat_map(|f| f.reasons.iter().map(String::as_str)))
    }
}

/// Counts reasons and renders `count reason`, sorted as plain strings.
pub(crate) fn histogram<'a>(reasons: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for reason in reasons {
        *counts.entry(reason).or_default() += 1;
    }
    let mut lines: Vec<String> =
        counts.into_iter().map(|(reason, n)| format!("{n} {reason}")).collect();
    lines.sort();
    lines
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nodes == 0 {
            return write!(f, "no nodes available to schedule pods");
        }
        write!(f, "0/{} nodes are available:", self.nodes)?;
        let histogram = self.histogram();
        if let Some(message) = &self.prefilter {
            write!(f, " {message}.")?;
        } else if !histogram.is_empty() {
            write!(f, " {}.", histogram.join(", "))?;
        }
        if let Some(post) = &self.postfilter {
            write!(f, " {post}.")?;
        }
        Ok(())
    }
}

impl std::error::Error for FitError {}
