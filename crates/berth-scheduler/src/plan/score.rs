//! Scores for the feasible nodes, each normalised to 0–100 and weighted as kube-scheduler's
//! default profile does: TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
//! InterPodAffinity 2, NodeResourcesFit (least allocated) 1, NodeResourcesBalancedAllocation 1.
//! The highest total wins; ties are broken at random, so identical nodes fill evenly.

use super::Snapshot;
use super::model::{Effect, NodeInfo, PodInfo};
use super::selector::NodeTerm;
use super::spreading::{self, Spreading};
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
}

/// Picks the best of `feasible` (indices into the snapshot's nodes); returns its position in
/// `feasible`. Among equally good nodes each is equally likely to win.
pub fn pick(pod: &PodInfo, state: &PodState, snapshot: &Snapshot, feasible: &[usize]) -> usize {
    let nodes: Vec<&NodeInfo> = feasible.iter().map(|&i| &snapshot.nodes()[i]).collect();
    let use_affinity = !pod.preferred_terms.is_empty();
    let use_inter_pod = state.has_preferred_affinity();
    let mut raws = Vec::with_capacity(nodes.len());
    let (mut max_affinity, mut max_taints) = (0, 0);
    let (mut min_inter, mut max_inter) = (i64::MAX, i64::MIN);
    for node in &nodes {
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
        };
        max_affinity = max_affinity.max(raw.affinity);
        max_taints = max_taints.max(raw.taints);
        min_inter = min_inter.min(raw.inter_pod);
        max_inter = max_inter.max(raw.inter_pod);
        raws.push(raw);
    }
    let spread = Spreading::new(pod, state, snapshot, &nodes).map(|spreading| {
        let raws: Vec<Option<i64>> = nodes.iter().map(|n| spreading.raw(n)).collect();
        spreading::normalize(&raws)
    });
    let (mut best, mut best_total, mut ties) = (0, i64::MIN, 0);
    for (position, (node, raw)) in nodes.iter().zip(&raws).enumerate() {
        let mut total = least_allocated(pod, node) + balanced_allocation(pod, node);
        if max_affinity > 0 {
            total += 2 * raw.affinity * MAX / max_affinity;
        }
        total += 3 * if max_taints > 0 { MAX - raw.taints * MAX / max_taints } else { MAX };
        if max_inter > min_inter {
            total += 2 * (raw.inter_pod - min_inter) * MAX / (max_inter - min_inter);
        }
        if let Some(spread) = &spread {
            total += 2 * spread[position];
        }
        if total > best_total {
            (best, best_total, ties) = (position, total, 1);
        } else if total == best_total {
            // Reservoir sampling: the k-th node of equal score replaces the pick with p = 1/k.
            ties += 1;
            if snapshot.random_below(ties) == 0 {
                best = position;
            }
        }
    }
    best
}
