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
pub mod quantity;
pub mod score;
pub mod selector;
pub mod state;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_affinity;
#[cfg(test)]
mod tests_preempt;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use filter::Fail;
pub use model::{NodeInfo, PodInfo, Resources};
pub use preempt::{Preemption, preempt};

use state::PodState;

/// The cluster as the scheduler last saw it: nodes with the pods bound (or assumed) to them.
#[derive(Debug, Default)]
pub struct Snapshot {
    nodes: Vec<NodeInfo>,
    index: HashMap<String, usize>,
    /// `namespace/name` → node name, for every pod placed on a known or unknown node.
    placed: HashMap<String, String>,
    /// Pods bound to nodes we have not seen yet.
    orphans: HashMap<String, Vec<Arc<PodInfo>>>,
    /// Keys of placed pods with required anti-affinity (existing pods' anti-affinity is checked
    /// for every incoming pod, so they are kept apart).
    anti_affinity: HashSet<String>,
    namespaces: HashMap<String, BTreeMap<String, String>>,
    /// Where the next pod's node loop starts; the only state [`schedule`] changes.
    next_start: AtomicUsize,
    /// 0: kube-scheduler's adaptive rule; otherwise a fixed percentage.
    pub percentage_of_nodes_to_score: u32,
}

impl Snapshot {
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.index.get(name).map(|i| &self.nodes[*i])
    }

    /// Adds a node or replaces its spec and status, keeping the pods on it.
    pub fn set_node(&mut self, mut node: NodeInfo) {
        if let Some(&i) = self.index.get(&node.name) {
            self.nodes[i].replace_spec(node);
            return;
        }
        node.pods.clear();
        for pod in self.orphans.remove(&node.name).unwrap_or_default() {
            node.add_pod(pod);
        }
        self.index.insert(node.name.clone(), self.nodes.len());
        self.nodes.push(node);
    }

    /// Removes a node; its pods are kept aside in case it comes back.
    pub fn remove_node(&mut self, name: &str) {
        let Some(i) = self.index.remove(name) else { return };
        let node = self.nodes.swap_remove(i);
        if let Some(moved) = self.nodes.get(i) {
            self.index.insert(moved.name.clone(), i);
        }
        if !node.pods.is_empty() {
            self.orphans.insert(node.name, node.pods);
        }
    }

    /// Places a pod on `pod.node_name` (replacing an earlier version of it).
    pub fn add_pod(&mut self, pod: Arc<PodInfo>) {
        self.remove_pod(&pod.namespace, &pod.name);
        let key = pod.key();
        if !pod.anti_affinity.is_empty() {
            self.anti_affinity.insert(key.clone());
        }
        self.placed.insert(key, pod.node_name.clone());
        match self.index.get(&pod.node_name) {
            Some(&i) => self.nodes[i].add_pod(pod),
            None => self.orphans.entry(pod.node_name.clone()).or_default().push(pod),
        }
    }

    /// Takes a pod out; returns it if it was placed.
    pub fn remove_pod(&mut self, namespace: &str, name: &str) -> Option<Arc<PodInfo>> {
        let key = format!("{namespace}/{name}");
        let node = self.placed.remove(&key)?;
        self.anti_affinity.remove(&key);
        match self.index.get(&node) {
            Some(&i) => self.nodes[i].remove_pod(namespace, name),
            None => {
                let pods = self.orphans.get_mut(&node)?;
                let at = pods.iter().position(|p| p.namespace == namespace && p.name == name)?;
                Some(pods.swap_remove(at))
            }
        }
    }

    /// The node a pod is placed on.
    pub fn placed_on(&self, namespace: &str, name: &str) -> Option<&str> {
        self.placed.get(&format!("{namespace}/{name}")).map(String::as_str)
    }

    /// `namespace/name` of every placed pod.
    pub fn placed_keys(&self) -> impl Iterator<Item = &String> {
        self.placed.keys()
    }

    pub fn pod_count(&self) -> usize {
        self.placed.len()
    }

    /// Namespace labels, for affinity terms with a namespace selector.
    pub fn set_namespace_labels(&mut self, namespace: &str, labels: BTreeMap<String, String>) {
        self.namespaces.insert(namespace.to_owned(), labels);
    }

    pub fn namespace_labels(&self, namespace: &str) -> Option<&BTreeMap<String, String>> {
        self.namespaces.get(namespace)
    }

    /// Every pod on a known node with its node.
    pub fn pods(&self) -> impl Iterator<Item = (&NodeInfo, &PodInfo)> {
        self.nodes.iter().flat_map(|n| n.pods.iter().map(move |p| (n, p.as_ref())))
    }

    /// Placed pods that have required anti-affinity terms, with their nodes.
    pub fn anti_affinity_pods(&self) -> impl Iterator<Item = (&NodeInfo, &PodInfo)> {
        self.anti_affinity.iter().filter_map(|key| {
            let node = self.node(self.placed.get(key)?)?;
            let (namespace, name) = key.split_once('/')?;
            let pod = node.pods.iter().find(|p| p.namespace == namespace && p.name == name)?;
            Some((node, pod.as_ref()))
        })
    }
}

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
        return Err(FitError { nodes: 0, failures: Vec::new(), postfilter: None });
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
        0 => Err(FitError::new(snapshot, &failed)),
        1 => Ok(nodes[feasible[0]].name.clone()),
        _ => Ok(nodes[feasible[score::pick(pod, &state, nodes, &feasible)]].name.clone()),
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitError {
    pub nodes: usize,
    pub failures: Vec<NodeFailure>,
    /// What preemption said (`preemption: …`), appended as its own sentence.
    pub postfilter: Option<String>,
}

impl FitError {
    fn new(snapshot: &Snapshot, failed: &[(usize, Fail)]) -> FitError {
        let failures = failed
            .iter()
            .map(|&(i, fail)| {
                let node = &snapshot.nodes[i];
                NodeFailure {
                    node: node.name.clone(),
                    reasons: fail.reasons(node),
                    resolvable: fail.resolvable(),
                }
            })
            .collect();
        FitError { nodes: snapshot.nodes.len(), failures, postfilter: None }
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
        if !histogram.is_empty() {
            write!(f, " {}.", histogram.join(", "))?;
        }
        if let Some(post) = &self.postfilter {
            write!(f, " {post}.")?;
        }
        Ok(())
    }
}

impl std::error::Error for FitError {}
