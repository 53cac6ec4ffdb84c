//! Scores for the feasible nodes, each normalised to 0–100 and weighted as kube-scheduler's
//! default profile does: TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
//! InterPodAffinity 2, NodeResourcesFit (least allocated) 1, NodeResourcesBalancedAllocation 1.
//! The highest total wins; ties go to the node looked at first (the rotating start spreads them).

use super::model::{Effect, NodeInfo, PodInfo};
use super::selector::NodeTerm;
use super::state::PodState;

const MAX: i64 = 100;

/// Free share of cpu and memory after placing the pod, averaged (emptier is better).
pub fn least_allocated(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let one = |requested: i64, allocatable: i64| {
        if allocatable <= 0 || requested > allocatable {
            0
        } else {
            (allocatable - requested) * MAX / allocatable
        }
    };
    let cpu = one(
        node.non_zero_requested.cpu_millis + pod.non_zero.cpu_millis,
        node.allocatable.cpu_millis,
    );
    let memory = one(node.non_zero_requested.memory + pod.non_zero.memory, node.allocatable.memory);
    (cpu + memory) / 2
}

/// How evenly cpu and memory would be used: 100 when both fractions are equal.
pub fn balanced_allocation(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let fraction = |requested: i64, allocatable: i64| {
        if allocatable <= 0 { 1.0 } else { (requested as f64 / allocatable as f64).min(1.0) }
    };
    let cpu = fraction(
        node.non_zero_requested.cpu_millis + pod.non_zero.cpu_millis,
        node.allocatable.cpu_millis,
    );
    let memory =
        fraction(node.non_zero_requested.memory + pod.non_zero.memory, node.allocatable.memory);
    let deviation = (cpu - memory).abs() / 2.0;
    ((1.0 - deviation) * MAX as f64) as i64
}

fn preferred_node_affinity(terms: &[(i32, NodeTerm)], node: &NodeInfo) -> i64 {
    terms.iter().filter(|(_, t)| t.matches(&node.name, &node.labels)).map(|(w, _)| *w as i64).sum()
}

fn intolerable_prefer_no_schedule(pod: &PodInfo, node: &NodeInfo) -> i64 {
    node.taints
        .iter()
        .filter(|taint| {
            taint.effect == Effect::PreferNoSchedule
                && !pod.tolerations.iter().any(|t| {
                    (t.effect.is_none() || t.effect == Some(Effect::PreferNoSchedule))
                        && t.tolerates(taint)
                })
        })
        .count() as i64
}

/// Raw per-node values of the scores that need the other nodes to normalise.
#[derive(Debug, Clone, Copy, Default)]
struct Raw {
    affinity: i64,
    taints: i64,
    inter_pod: i64,
    spread: Option<i64>,
}

/// Picks the best of `feasible` (indices into `nodes`); returns its position in `feasible`.
pub fn pick(pod: &PodInfo, state: &PodState, nodes: &[NodeInfo], feasible: &[usize]) -> usize {
    let use_affinity = !pod.preferred_terms.is_empty();
    let use_inter_pod = state.has_preferred_affinity();
    let mut raws = Vec::with_capacity(feasible.len());
    let (mut max_affinity, mut max_taints) = (0, 0);
    let (mut min_inter, mut max_inter) = (i64::MAX, i64::MIN);
    let (mut min_spread, mut max_spread) = (i64::MAX, i64::MIN);
    for &i in feasible {
        let node = &nodes[i];
        let raw = Raw {
            affinity: if use_affinity {
                preferred_node_affinity(&pod.preferred_terms, node)
            } else {
                0
            },
            taints: if node.taints.is_empty() {
                0
            } else {
                intolerable_prefer_no_schedule(pod, node)
            },
            inter_pod: if use_inter_pod { state.preferred_affinity_score(node) } else { 0 },
            spread: state.soft_spread_count(node),
        };
        max_affinity = max_affinity.max(raw.affinity);
        max_taints = max_taints.max(raw.taints);
        min_inter = min_inter.min(raw.inter_pod);
        max_inter = max_inter.max(raw.inter_pod);
        if let Some(s) = raw.spread {
            min_spread = min_spread.min(s);
            max_spread = max_spread.max(s);
        }
        raws.push(raw);
    }
    let mut best = (0, i64::MIN);
    for (position, (&i, raw)) in feasible.iter().zip(&raws).enumerate() {
        let node = &nodes[i];
        let mut total = least_allocated(pod, node) + balanced_allocation(pod, node);
        if max_affinity > 0 {
            total += 2 * raw.affinity * MAX / max_affinity;
        }
        total += 3 * if max_taints > 0 { MAX - raw.taints * MAX / max_taints } else { MAX };
        if max_inter > min_inter {
            total += 2 * (raw.inter_pod - min_inter) * MAX / (max_inter - min_inter);
        }
        total += 2 * match raw.spread {
            Some(_) if max_spread == min_spread => MAX,
            Some(s) => (max_spread - s) * MAX / (max_spread - min_spread),
            None => 0,
        };
        if total > best.1 {
            best = (position, total);
        }
    }
    best.0
}
