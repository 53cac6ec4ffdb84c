//! The filters, in kube-scheduler's order: NodeUnschedulable, NodeName, TaintToleration,
//! NodeAffinity, NodePorts, NodeResourcesFit, VolumeBinding (node affinity of bound volumes),
//! PodTopologySpread, InterPodAffinity. The first filter that rejects a node decides its reason.
//!
//! [`run`] is the hot loop's body: it reads only precomputed fields and never allocates.

use super::model::{Effect, NodeInfo, PodInfo, UNSCHEDULABLE_TAINT};
use super::selector::any_term_matches;
use super::state::PodState;

/// Why one node was rejected. Rendered with the node (for taints) by [`Fail::reasons`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fail {
    Unschedulable,
    NodeName,
    /// Index into the node's taints of the first one not tolerated.
    Taint(usize),
    NodeAffinity,
    Ports,
    /// Bits: [`TOO_MANY_PODS`], [`NO_CPU`], [`NO_MEMORY`].
    Resources(u8),
    VolumeAffinity,
    SpreadMissingLabel,
    Spread,
    Affinity,
    AntiAffinity,
    ExistingAntiAffinity,
}

pub const TOO_MANY_PODS: u8 = 1;
pub const NO_CPU: u8 = 2;
pub const NO_MEMORY: u8 = 4;

impl Fail {
    /// Kubernetes' words for this failure on `node` (one node can fail several resources).
    pub fn reasons(self, node: &NodeInfo) -> Vec<String> {
        let text = match self {
            Fail::Unschedulable => "node(s) were unschedulable",
            Fail::NodeName => "node(s) didn't match the requested node name",
            Fail::Taint(i) => {
                let (key, value) =
                    node.taints.get(i).map_or(("", ""), |t| (t.key.as_str(), t.value.as_str()));
                return vec![format!("node(s) had untolerated taint {{{key}: {value}}}")];
            }
            Fail::NodeAffinity => "node(s) didn't match Pod's node affinity/selector",
            Fail::Ports => "node(s) didn't have free ports for the requested pod ports",
            Fail::Resources(bits) => {
                let mut out = Vec::new();
                for (bit, text) in [
                    (TOO_MANY_PODS, "Too many pods"),
                    (NO_CPU, "Insufficient cpu"),
                    (NO_MEMORY, "Insufficient memory"),
                ] {
                    if bits & bit != 0 {
                        out.push(text.to_owned());
                    }
                }
                return out;
            }
            Fail::VolumeAffinity => "node(s) had volume node affinity conflict",
            Fail::SpreadMissingLabel => {
                "node(s) didn't match pod topology spread constraints (missing required label)"
            }
            Fail::Spread => "node(s) didn't match pod topology spread constraints",
            Fail::Affinity => "node(s) didn't match pod affinity rules",
            Fail::AntiAffinity => "node(s) didn't match pod anti-affinity rules",
            Fail::ExistingAntiAffinity => {
                "node(s) didn't satisfy existing pods anti-affinity rules"
            }
        };
        vec![text.to_owned()]
    }

    /// Whether evicting pods from the node could help (kube-scheduler's Unschedulable versus
    /// UnschedulableAndUnresolvable).
    pub fn resolvable(self) -> bool {
        matches!(
            self,
            Fail::Ports
                | Fail::Resources(_)
                | Fail::Spread
                | Fail::AntiAffinity
                | Fail::ExistingAntiAffinity
        )
    }
}

/// Every filter in order; the first failure wins.
pub fn run(pod: &PodInfo, state: &PodState, node: &NodeInfo) -> Result<(), Fail> {
    static_filters(pod, node)?;
    ports(pod, node)?;
    resources(pod, node)?;
    volumes(pod, node)?;
    state.filter(node)
}

/// The filters that depend on the node alone (no evictions can change them).
pub fn static_filters(pod: &PodInfo, node: &NodeInfo) -> Result<(), Fail> {
    if node.unschedulable
        && !pod.tolerations.iter().any(|t| {
            (t.key == UNSCHEDULABLE_TAINT || (t.key.is_empty() && t.exists))
                && t.effect.is_none_or(|e| e == Effect::NoSchedule)
        })
    {
        return Err(Fail::Unschedulable);
    }
    if !pod.node_name.is_empty() && pod.node_name != node.name {
        return Err(Fail::NodeName);
    }
    if let Some(i) = untolerated_taint(pod, node) {
        return Err(Fail::Taint(i));
    }
    if !node_affinity_matches(pod, node) {
        return Err(Fail::NodeAffinity);
    }
    Ok(())
}

/// The first NoSchedule or NoExecute taint the pod does not tolerate.
fn untolerated_taint(pod: &PodInfo, node: &NodeInfo) -> Option<usize> {
    node.taints.iter().position(|taint| {
        taint.effect != Effect::PreferNoSchedule
            && !pod.tolerations.iter().any(|t| t.tolerates(taint))
    })
}

/// nodeSelector and required node affinity.
pub fn node_affinity_matches(pod: &PodInfo, node: &NodeInfo) -> bool {
    pod.node_selector.iter().all(|(k, v)| node.labels.get(k) == Some(v))
        && (pod.required_terms.is_empty()
            || any_term_matches(&pod.required_terms, &node.name, &node.labels))
}

fn ports(pod: &PodInfo, node: &NodeInfo) -> Result<(), Fail> {
    if pod.host_ports.iter().any(|want| node.used_ports.iter().any(|used| used.conflicts(want))) {
        return Err(Fail::Ports);
    }
    Ok(())
}

fn resources(pod: &PodInfo, node: &NodeInfo) -> Result<(), Fail> {
    let mut bits = 0;
    if node.pods.len() as i64 + 1 > node.allocatable_pods {
        bits |= TOO_MANY_PODS;
    }
    let want = pod.requests;
    if want.cpu_millis > 0
        && node.requested.cpu_millis + want.cpu_millis > node.allocatable.cpu_millis
    {
        bits |= NO_CPU;
    }
    if want.memory > 0 && node.requested.memory + want.memory > node.allocatable.memory {
        bits |= NO_MEMORY;
    }
    if bits != 0 { Err(Fail::Resources(bits)) } else { Ok(()) }
}

fn volumes(pod: &PodInfo, node: &NodeInfo) -> Result<(), Fail> {
    if pod.volume_terms.iter().all(|terms| any_term_matches(terms, &node.name, &node.labels)) {
        Ok(())
    } else {
        Err(Fail::VolumeAffinity)
    }
}
