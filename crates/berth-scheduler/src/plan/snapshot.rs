//! The cluster as the scheduler last saw it: nodes with the pods bound (or assumed) to them,
//! plus the indexes that keep [`super::schedule`] from walking every pod for every decision
//! (pods with anti-affinity, pods per owning controller and node, how many nodes have zones).
//!
//! The driver changes it between decisions; [`super::schedule`] only reads it, except for the
//! rotating start of the node loop and the random number that breaks ties between nodes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::model::{NodeInfo, PodInfo};
use super::spreading::ZONE;

#[derive(Debug, Default)]
pub struct Snapshot {
    pub(super) nodes: Vec<NodeInfo>,
    index: HashMap<String, usize>,
    /// `namespace/name` → node name, for every pod placed on a known or unknown node.
    placed: HashMap<String, String>,
    /// Pods bound to nodes we have not seen yet.
    orphans: HashMap<String, Vec<Arc<PodInfo>>>,
    /// Keys of placed pods with required anti-affinity (existing pods' anti-affinity is checked
    /// for every incoming pod, so they are kept apart).
    anti_affinity: HashSet<String>,
    /// Keys of placed pods with required affinity or preferred (anti-)affinity terms, which
    /// score every incoming pod they select.
    affinity: HashSet<String>,
    /// Owner uid ([`PodInfo::spread_owner`]) → node name → live pods of that owner there.
    owners: HashMap<String, HashMap<String, u32>>,
    /// `namespace/name` → node of pending pods nominated there by preemption.
    nominations: HashMap<String, String>,
    /// Nodes that carry the zone label.
    zoned_nodes: usize,
    namespaces: HashMap<String, BTreeMap<String, String>>,
    /// Where the next pod's node loop starts.
    pub(super) next_start: AtomicUsize,
    /// State of the generator that breaks ties between the best nodes.
    rng: AtomicU64,
    /// 0: kube-scheduler's adaptive rule; otherwise a fixed percentage.
    pub percentage_of_nodes_to_score: u32,
}

impl Snapshot {
    /// An empty snapshot whose tie-breaking is the same on every run (tests rely on that).
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    /// Seeds the generator that breaks ties between equally good nodes.
    pub fn seed(&mut self, seed: u64) {
        *self.rng.get_mut() = seed;
    }

    /// A uniformly distributed number below `n` (splitmix64; `n` > 0).
    pub(super) fn random_below(&self, n: u64) -> u64 {
        let state = self.rng.load(Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.rng.store(state, Ordering::Relaxed);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }

    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.index.get(name).map(|i| &self.nodes[*i])
    }

    /// Adds a node or replaces its spec and status, keeping the pods on it.
    pub fn set_node(&mut self, mut node: NodeInfo) {
        let zoned = node.labels.contains_key(ZONE);
        if let Some(&i) = self.index.get(&node.name) {
            let was_zoned = self.nodes[i].labels.contains_key(ZONE);
            self.zoned_nodes = self.zoned_nodes + zoned as usize - was_zoned as usize;
            self.nodes[i].replace_spec(node);
            return;
        }
        self.zoned_nodes += zoned as usize;
        node.pods.clear();
        node.nominated.clear();
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
        self.zoned_nodes -= node.labels.contains_key(ZONE) as usize;
        if let Some(moved) = self.nodes.get(i) {
            self.index.insert(moved.name.clone(), i);
        }
        if !node.pods.is_empty() {
            self.orphans.insert(node.name, node.pods);
        }
    }

    /// Whether any node carries the zone label (the default zone spreading has work to do).
    pub fn has_zones(&self) -> bool {
        self.zoned_nodes > 0
    }

    /// Places a pod on `pod.node_name` (replacing an earlier version of it).
    pub fn add_pod(&mut self, pod: Arc<PodInfo>) {
        self.remove_pod(&pod.namespace, &pod.name);
        let key = pod.key();
        if !pod.anti_affinity.is_empty() {
            self.anti_affinity.insert(key.clone());
        }
        if pod.scores_others() {
            self.affinity.insert(key.clone());
        }
        if !pod.spread_owner.is_empty() && !pod.terminating {
            let nodes = self.owners.entry(pod.spread_owner.clone()).or_default();
            *nodes.entry(pod.node_name.clone()).or_default() += 1;
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
        self.affinity.remove(&key);
        let pod = match self.index.get(&node) {
            Some(&i) => self.nodes[i].remove_pod(namespace, name),
            None => {
                let pods = self.orphans.get_mut(&node)?;
                let at = pods.iter().position(|p| p.namespace == namespace && p.name == name)?;
                Some(pods.swap_remove(at))
            }
        }?;
        if !pod.spread_owner.is_empty() && !pod.terminating {
            self.uncount_owner(&pod.spread_owner, &node);
        }
        Some(pod)
    }

    fn uncount_owner(&mut self, owner: &str, node: &str) {
        let Some(nodes) = self.owners.get_mut(owner) else { return };
        if let Some(count) = nodes.get_mut(node) {
            *count -= 1;
            if *count == 0 {
                nodes.remove(node);
            }
        }
        if nodes.is_empty() {
            self.owners.remove(owner);
        }
    }

    /// A pending pod nominated to `pod.nominated_node` holds its room there (replacing an
    /// earlier nomination of it). Nominations to unknown nodes are ignored.
    pub fn nominate(&mut self, pod: Arc<PodInfo>) {
        let key = pod.key();
        self.unnominate(&key);
        let Some(&i) = self.index.get(&pod.nominated_node) else { return };
        self.nominations.insert(key, pod.nominated_node.clone());
        self.nodes[i].nominated.push(pod);
    }

    /// The pod is no longer nominated (bound, gone, or nominated nowhere).
    pub fn unnominate(&mut self, key: &str) {
        if self.nominations.is_empty() {
            return;
        }
        let Some(node) = self.nominations.remove(key) else { return };
        let Some(&i) = self.index.get(&node) else { return };
        let (namespace, name) = key.split_once('/').unwrap_or(("", key));
        self.nodes[i].nominated.retain(|p| p.namespace != namespace || p.name != name);
    }

    /// Live pods of one owner per node name.
    pub fn owner_pods(&self, owner: &str) -> Option<&HashMap<String, u32>> {
        self.owners.get(owner)
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

    pub fn remove_namespace(&mut self, namespace: &str) {
        self.namespaces.remove(namespace);
    }

    pub fn namespace_labels(&self, namespace: &str) -> Option<&BTreeMap<String, String>> {
        self.namespaces.get(namespace)
    }

    /// Every pod on a known node with its node.
    pub fn pods(&self) -> impl Iterator<Item = (&NodeInfo, &PodInfo)> {
        self.nodes.iter().flat_map(|n| n.pods.iter().map(move |p| (n, p.as_ref())))
    }

    fn indexed<'s>(
        &'s self,
        keys: &'s HashSet<String>,
    ) -> impl Iterator<Item = (&'s NodeInfo, &'s PodInfo)> {
        keys.iter().filter_map(|key| {
            let node = self.node(self.placed.get(key)?)?;
            let (namespace, name) = key.split_once('/')?;
            let pod = node.pods.iter().find(|p| p.namespace == namespace && p.name == name)?;
            Some((node, pod.as_ref()))
        })
    }

    /// Placed pods that have required anti-affinity terms, with their nodes.
    pub fn anti_affinity_pods(&self) -> impl Iterator<Item = (&NodeInfo, &PodInfo)> {
        self.indexed(&self.anti_affinity)
    }

    /// Placed pods whose affinity terms score incoming pods ([`PodInfo::scores_others`]).
    pub fn affinity_pods(&self) -> impl Iterator<Item = (&NodeInfo, &PodInfo)> {
        self.indexed(&self.affinity)
    }
}
