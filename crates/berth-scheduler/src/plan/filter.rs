//! The filters, in kube-scheduler's order: NodeUnschedulable, NodeName, TaintToleration,
//! NodeAffinity, NodePorts, NodeResourcesFit, VolumeBinding (node affinity of bound volumes),
//! PodTopologySpread, InterPodAffinity. The first filter that rejects a node decides its reason.
//!
//! Pods nominated to a node by preemption (status.nominatedNodeName) hold their requests and
//! ports there against pods of lower or equal priority, as if they were already placed.
//!
//! [`run`] is the hot loop's body: it reads only precomputed fields and never allocates.

use super::model::{Effect, NodeInfo, PodInfo, Resources, UNSCHEDULABLE_TAINT};
use super::resources::scalar;
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
    /// Bits: [`TOO_MANY_PODS`], [`NO_CPU`], [`NO_MEMORY`], [`NO_EPHEMERAL_STORAGE`], then
    /// one bit per entry of the pod's [`PodInfo::scalars`] from [`FIRST_SCALAR`] on.
    Resources(u32),
    VolumeAffinity,
    SpreadMissingLabel,
    Spread,
    Affinity,
    AntiAffinity,
    ExistingAntiAffinity,
}

pub const TOO_MANY_PODS: u32 = 1;
pub const NO_CPU: u32 = 2;
pub const NO_MEMORY: u32 = 4;
pub const NO_EPHEMERAL_STORAGE: u32 = 8;
/// The bit of the pod's first extended resource; later ones follow (at most 28).
pub const FIRST_SCALAR: u32 = 4;

impl Fail {
    /// Kubernetes' words for this failure of `pod` on `node` (one node can fail several
    /// resources).
    pub fn reasons(self, pod: &PodInfo, node: &NodeInfo) -> Vec<String> {
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
                    (NO_EPHEMERAL_STORAGE, "Insufficient ephemeral-storage"),
                ] {
                    if bits & bit != 0 {
                        out.push(text.to_owned());
                    }
                }
                for (i, (name, _)) in pod.scalars.iter().enumerate().take(28) {
                    if bits & (1 << (FIRST_SCALAR + i as u32)) != 0 {
                        out.push(format!("Insufficient {name}"));
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
    // Nominated pods that outrank (or equal) this one, other than itself.
    let reserved = node
        .nominated
        .iter()
        .filter(|n| {
            n.priority >= pod.priority && (n.name != pod.name || n.namespace != pod.namespace)
        })
        .map(|n| n.as_ref());
    ports(pod, node, reserved.clone())?;
    resources(pod, node, reserved)?;
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

fn ports<'a>(
    pod: &PodInfo,
    node: &NodeInfo,
    reserved: impl Iterator<Item = &'a PodInfo>,
) -> Result<(), Fail> {
    if pod.host_ports.is_empty() {
        return Ok(());
    }
    let mut used = node.used_ports.iter().chain(reserved.flat_map(|n| n.host_ports.iter()));
    if used.any(|used| pod.host_ports.iter().any(|want| used.conflicts(want))) {
        return Err(Fail::Ports);
    }
    Ok(())
}

fn resources<'a>(
    pod: &PodInfo,
    node: &NodeInfo,
    reserved: impl Iterator<Item = &'a PodInfo> + Clone,
) -> Result<(), Fail> {
    let (mut requested, mut pods) = (node.requested, node.pods.len() as i64);
    for nominated in reserved.clone() {
        requested = requested.plus(nominated.requests);
        pods += 1;
    }
    let mut bits = 0;
    if pods + 1 > node.allocatable_pods {
        bits |= TOO_MANY_PODS;
    }
    let (want, have) = (pod.requests, node.allocatable);
    let short = |want: i64, requested: i64, have: i64| want > 0 && requested + want > have;
    let Resources { cpu_millis, memory, ephemeral_storage } = requested;
    if short(want.cpu_millis, cpu_millis, have.cpu_millis) {
        bits |= NO_CPU;
    }
    if short(want.memory, memory, have.memory) {
        bits |= NO_MEMORY;
    }
    if short(want.ephemeral_storage, ephemeral_storage, have.ephemeral_storage) {
        bits |= NO_EPHEMERAL_STORAGE;
    }
    for (i, (name, amount)) in pod.scalars.iter().enumerate().take(28) {
        let used = scalar(&node.requested_scalars, name)
            + reserved.clone().map(|n| scalar(&n.scalars, name)).sum::<i64>();
        if short(*amount, used, scalar(&node.allocatable_scalars, name)) {
            bits |= 1 << (FIRST_SCALAR + i as u32);
        }
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
