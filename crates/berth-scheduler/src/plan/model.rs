//! The scheduler's own view of nodes and pods: what the filters and scores read, taken out of
//! the API objects once (quantities parsed, selectors flattened) so that the per-node loop only
//! compares integers and short strings.
//!
//! [`NodeInfo::from_node`] and [`PodInfo::from_pod`] are the only places that look at the API
//! types; everything else in [`crate::plan`] works on these structs.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Node, NodeSelector, NodeSelectorTerm as ApiTerm, Pod, PodAffinityTerm as ApiPodTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as ApiSelector;

use super::resources::{PodRequests, add_scalars, node_allocatable, pod_requests};
pub use super::resources::{Resources, Scalars};
use super::selector::{LabelSelector, NodeTerm};
pub use berth_api::quantity::{parse_bytes, parse_cpu_millis};

/// A taint's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl Effect {
    fn parse(text: &str) -> Option<Effect> {
        match text {
            "NoSchedule" => Some(Effect::NoSchedule),
            "PreferNoSchedule" => Some(Effect::PreferNoSchedule),
            "NoExecute" => Some(Effect::NoExecute),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: Effect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toleration {
    /// Empty with `exists` tolerates every key.
    pub key: String,
    pub exists: bool,
    pub value: String,
    /// None tolerates every effect.
    pub effect: Option<Effect>,
}

impl Toleration {
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if self.effect.is_some_and(|e| e != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        self.exists || self.value == taint.value
    }
}

/// A host port a pod asks for: `(hostIP, protocol, port)`; an empty IP means every address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub ip: String,
    pub protocol: String,
    pub port: i32,
}

impl HostPort {
    pub fn conflicts(&self, other: &HostPort) -> bool {
        let any = |ip: &str| ip.is_empty() || ip == "0.0.0.0";
        self.port == other.port
            && self.protocol == other.protocol
            && (any(&self.ip) || any(&other.ip) || self.ip == other.ip)
    }
}

/// One pod (anti-)affinity term.
#[derive(Debug, Clone)]
pub struct PodTerm {
    pub selector: LabelSelector,
    /// Namespaces the term looks in; empty with no namespace selector means the pod's own.
    pub namespaces: Vec<String>,
    pub namespace_selector: Option<LabelSelector>,
    pub topology_key: String,
}

/// `whenUnsatisfiable` of a topology spread constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnsatisfiable {
    DoNotSchedule,
    ScheduleAnyway,
}

#[derive(Debug, Clone)]
pub struct SpreadConstraint {
    pub max_skew: i32,
    pub topology_key: String,
    pub when: WhenUnsatisfiable,
    pub selector: LabelSelector,
    pub min_domains: i32,
}

/// A pod as the scheduler sees it, both the one being placed and those already on nodes.
#[derive(Debug, Clone, Default)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    pub priority: i32,
    pub preempt_never: bool,
    /// `spec.nodeName`: the node it is bound to, or (for a pod being placed) asks for.
    pub node_name: String,
    pub nominated_node: String,
    pub terminating: bool,
    /// Seconds since the epoch the pod started (or was created): victims that started later go first.
    pub start_time: i64,
    pub requests: Resources,
    /// Requests with the scoring defaults (100m, 200Mi) for containers that ask for nothing.
    pub non_zero: Resources,
    /// Extended resources requested (only those above 0).
    pub scalars: Scalars,
    pub host_ports: Vec<HostPort>,
    pub node_selector: Vec<(String, String)>,
    pub required_terms: Vec<NodeTerm>,
    pub preferred_terms: Vec<(i32, NodeTerm)>,
    pub tolerations: Vec<Toleration>,
    pub affinity: Vec<PodTerm>,
    pub anti_affinity: Vec<PodTerm>,
    pub preferred_affinity: Vec<(i32, PodTerm)>,
    pub preferred_anti_affinity: Vec<(i32, PodTerm)>,
    pub spread: Vec<SpreadConstraint>,
    /// Uid of the owning ReplicaSet, StatefulSet or ReplicationController: pods of the same
    /// owner are spread by the default topology spread constraints.
    pub spread_owner: String,
    /// Node affinity of the persistent volumes the pod's claims are bound to (resolved by the
    /// caller): each entry must be satisfied by the node.
    pub volume_terms: Vec<Vec<NodeTerm>>,
    /// Why the pod's volumes keep it off every node (a missing claim, an unbound claim of an
    /// Immediate class), resolved by the caller like [`PodInfo::volume_terms`].
    pub volume_error: Option<String>,
}

fn node_terms(selector: &NodeSelector) -> Vec<NodeTerm> {
    selector.node_selector_terms.iter().map(NodeTerm::from_api).collect()
}

fn pod_term(term: &ApiPodTerm) -> PodTerm {
    PodTerm {
        selector: term
            .label_selector
            .as_ref()
            .map(LabelSelector::from_api)
            .unwrap_or_else(LabelSelector::nothing),
        namespaces: term.namespaces.clone().unwrap_or_default(),
        namespace_selector: term.namespace_selector.as_ref().map(LabelSelector::from_api),
        topology_key: term.topology_key.clone(),
    }
}

fn selector_or_nothing(selector: Option<&ApiSelector>) -> LabelSelector {
    selector.map(LabelSelector::from_api).unwrap_or_else(LabelSelector::nothing)
}

impl PodInfo {
    /// Reads everything the plan needs out of a pod. Volume node affinity is left empty: the
    /// caller resolves it from the pod's claims and sets [`PodInfo::volume_terms`].
    pub fn from_pod(pod: &Pod) -> PodInfo {
        let meta = &pod.metadata;
        let PodRequests { requests, non_zero, scalars } =
            pod.spec.as_ref().map(pod_requests).unwrap_or_default();
        let mut info = PodInfo {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            labels: meta.labels.clone().unwrap_or_default(),
            terminating: meta.deletion_timestamp.is_some(),
            requests,
            non_zero,
            scalars,
            ..PodInfo::default()
        };
        let started = pod
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .or(meta.creation_timestamp.as_ref());
        info.start_time = started.map_or(0, |t| t.0.as_second());
        info.spread_owner = meta
            .owner_references
            .iter()
            .flatten()
            .find(|o| {
                o.controller == Some(true)
                    && matches!(
                        o.kind.as_str(),
                        "ReplicaSet" | "StatefulSet" | "ReplicationController"
                    )
            })
            .map(|o| o.uid.clone())
            .unwrap_or_default();
        info.nominated_node =
            pod.status.as_ref().and_then(|s| s.nominated_node_name.clone()).unwrap_or_default();
        let Some(spec) = pod.spec.as_ref() else { return info };
        info.priority = spec.priority.unwrap_or(0);
        info.preempt_never = spec.preemption_policy.as_deref() == Some("Never");
        info.node_name = spec.node_name.clone().unwrap_or_default();
        for container in spec.containers.iter().chain(spec.init_containers.iter().flatten()) {
            for port in container.ports.iter().flatten() {
                if let Some(host_port) = port.host_port.filter(|p| *p > 0) {
                    info.host_ports.push(HostPort {
                        ip: port.host_ip.clone().unwrap_or_default(),
                        protocol: port.protocol.clone().unwrap_or_else(|| "TCP".to_owned()),
                        port: host_port,
                    });
                }
            }
        }
        info.node_selector =
            spec.node_selector.iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
        info.tolerations = spec
            .tolerations
            .iter()
            .flatten()
            .map(|t| Toleration {
                key: t.key.clone().unwrap_or_default(),
                exists: t.operator.as_deref() == Some("Exists"),
                value: t.value.clone().unwrap_or_default(),
                effect: t.effect.as_deref().and_then(Effect::parse),
            })
            .collect();
        for constraint in spec.topology_spread_constraints.iter().flatten() {
            info.spread.push(SpreadConstraint {
                max_skew: constraint.max_skew.max(1),
                topology_key: constraint.topology_key.clone(),
                when: if constraint.when_unsatisfiable == "ScheduleAnyway" {
                    WhenUnsatisfiable::ScheduleAnyway
                } else {
                    WhenUnsatisfiable::DoNotSchedule
                },
                selector: selector_or_nothing(constraint.label_selector.as_ref()),
                min_domains: constraint.min_domains.unwrap_or(1).max(1),
            });
        }
        let Some(affinity) = spec.affinity.as_ref() else { return info };
        if let Some(node) = affinity.node_affinity.as_ref() {
            if let Some(required) =
                node.required_during_scheduling_ignored_during_execution.as_ref()
            {
                info.required_terms = node_terms(required);
            }
            for preferred in
                node.preferred_during_scheduling_ignored_during_execution.iter().flatten()
            {
                let term: &ApiTerm = &preferred.preference;
                info.preferred_terms.push((preferred.weight, NodeTerm::from_api(term)));
            }
        }
        if let Some(pods) = affinity.pod_affinity.as_ref() {
            info.affinity = pods
                .required_during_scheduling_ignored_during_execution
                .iter()
                .flatten()
                .map(pod_term)
                .collect();
            info.preferred_affinity = pods
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .flatten()
                .map(|w| (w.weight, pod_term(&w.pod_affinity_term)))
                .collect();
        }
        if let Some(pods) = affinity.pod_anti_affinity.as_ref() {
            info.anti_affinity = pods
                .required_during_scheduling_ignored_during_execution
                .iter()
                .flatten()
                .map(pod_term)
                .collect();
            info.preferred_anti_affinity = pods
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .flatten()
                .map(|w| (w.weight, pod_term(&w.pod_affinity_term)))
                .collect();
        }
        info
    }

    /// Whether this pod, once placed, scores incoming pods through its own affinity terms:
    /// required affinity and preferred (anti-)affinity (kube-scheduler's symmetry).
    pub fn scores_others(&self) -> bool {
        !self.affinity.is_empty()
            || !self.preferred_affinity.is_empty()
            || !self.preferred_anti_affinity.is_empty()
    }

    /// `namespace/name`, the key the snapshot keeps pods under.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// A node as the scheduler sees it, with the sums of the pods placed on it kept up to date.
#[derive(Debug, Clone, Default)]
pub struct NodeInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub ready: bool,
    pub allocatable: Resources,
    pub allocatable_pods: i64,
    pub allocatable_scalars: Scalars,
    /// Sums over [`NodeInfo::pods`], maintained by [`NodeInfo::add_pod`] and [`NodeInfo::remove_pod`].
    pub requested: Resources,
    pub non_zero_requested: Resources,
    pub requested_scalars: Scalars,
    pub used_ports: Vec<HostPort>,
    pub pods: Vec<std::sync::Arc<PodInfo>>,
    /// Pending pods nominated to this node by preemption; they hold their room against pods
    /// of lower or equal priority.
    pub nominated: Vec<std::sync::Arc<PodInfo>>,
    /// Live pods here per [`PodInfo::spread_owner`] (a short list: scanning beats hashing).
    pub owner_counts: Vec<(String, u32)>,
    /// Whether the node has the `kubernetes.io/hostname` label (looked up once, not per pod).
    pub has_hostname: bool,
}

impl NodeInfo {
    /// Reads a node. A node whose Ready condition is not True gets the not-ready NoSchedule
    /// taint the node lifecycle controller would put on it, so it fails the taint filter.
    pub fn from_node(node: &Node) -> NodeInfo {
        let spec = node.spec.as_ref();
        let status = node.status.as_ref();
        let allocatable = status.and_then(|s| s.allocatable.as_ref().or(s.capacity.as_ref()));
        let (allocatable, allocatable_pods, allocatable_scalars) = node_allocatable(allocatable);
        let ready = status
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
            .is_some_and(|c| c.status == "True");
        let mut taints: Vec<Taint> = spec
            .and_then(|s| s.taints.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|t| {
                Some(Taint {
                    key: t.key.clone(),
                    value: t.value.clone().unwrap_or_default(),
                    effect: Effect::parse(&t.effect)?,
                })
            })
            .collect();
        if !ready && !taints.iter().any(|t| t.key == NOT_READY_TAINT) {
            taints.push(Taint {
                key: NOT_READY_TAINT.to_owned(),
                value: String::new(),
                effect: Effect::NoSchedule,
            });
        }
        NodeInfo {
            name: node.metadata.name.clone().unwrap_or_default(),
            labels: node.metadata.labels.clone().unwrap_or_default(),
            taints,
            unschedulable: spec.and_then(|s| s.unschedulable).unwrap_or(false),
            ready,
            allocatable,
            allocatable_pods,
            allocatable_scalars,
            has_hostname: node
                .metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.contains_key(super::spreading::HOSTNAME)),
            ..NodeInfo::default()
        }
    }

    /// Live pods of one owner on this node.
    pub fn owner_count(&self, owner: &str) -> u32 {
        self.owner_counts.iter().find(|(o, _)| o == owner).map_or(0, |(_, n)| *n)
    }

    /// Takes the scheduling-relevant fields of `other` and keeps this node's pods.
    pub fn replace_spec(&mut self, other: NodeInfo) {
        let pods = std::mem::take(&mut self.pods);
        let nominated = std::mem::take(&mut self.nominated);
        *self = NodeInfo { nominated, owner_counts: Vec::new(), ..other };
        for pod in pods {
            self.add_pod(pod);
        }
    }

    pub fn add_pod(&mut self, pod: std::sync::Arc<PodInfo>) {
        self.requested = self.requested.plus(pod.requests);
        self.non_zero_requested = self.non_zero_requested.plus(pod.non_zero);
        add_scalars(&mut self.requested_scalars, &pod.scalars, 1);
        self.used_ports.extend(pod.host_ports.iter().cloned());
        if !pod.spread_owner.is_empty() && !pod.terminating {
            match self.owner_counts.iter_mut().find(|(o, _)| *o == pod.spread_owner) {
                Some((_, count)) => *count += 1,
                None => self.owner_counts.push((pod.spread_owner.clone(), 1)),
            }
        }
        self.pods.push(pod);
    }

    /// Removes the pod with this key; returns it if it was here.
    pub fn remove_pod(&mut self, namespace: &str, name: &str) -> Option<std::sync::Arc<PodInfo>> {
        let at = self.pods.iter().position(|p| p.namespace == namespace && p.name == name)?;
        let pod = self.pods.swap_remove(at);
        self.requested = self.requested.minus(pod.requests);
        self.non_zero_requested = self.non_zero_requested.minus(pod.non_zero);
        add_scalars(&mut self.requested_scalars, &pod.scalars, -1);
        for port in &pod.host_ports {
            if let Some(i) = self.used_ports.iter().position(|p| p == port) {
                self.used_ports.swap_remove(i);
            }
        }
        if !pod.spread_owner.is_empty()
            && !pod.terminating
            && let Some(i) = self.owner_counts.iter().position(|(o, _)| *o == pod.spread_owner)
        {
            self.owner_counts[i].1 -= 1;
            if self.owner_counts[i].1 == 0 {
                self.owner_counts.swap_remove(i);
            }
        }
        Some(pod)
    }
}

/// The taint a node that is not Ready carries.
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
/// The taint (and toleration key) of a cordoned node.
pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";
