//! PodTopologySpread scoring (kube-scheduler's `ScheduleAnyway` half): fewer matching pods in
//! a node's domains is better.
//!
//! The pod's own `ScheduleAnyway` constraints are scored when it has any spread constraints;
//! otherwise, if the pod belongs to a ReplicaSet, StatefulSet or ReplicationController
//! ([`PodInfo::spread_owner`]), the system defaults apply: maxSkew 3 per hostname and 5 per
//! zone, counting the pods of the same owner. For every constraint whose key the node has,
//! the raw score is `count × ln(domains + 2) + maxSkew − 1` (domains among the feasible
//! nodes); the rounded sum is then inverted and normalised so that the least crowded node
//! gets 100. Nodes missing a key of the pod's own constraints score 0; the defaults ignore a
//! missing zone, so hostname spreading works on clusters without zones.

use std::collections::{HashMap, HashSet};

use super::Snapshot;
use super::filter::node_affinity_matches;
use super::model::{NodeInfo, PodInfo};
use super::state::PodState;

pub const HOSTNAME: &str = "kubernetes.io/hostname";
pub const ZONE: &str = "topology.kubernetes.io/zone";

const MAX: i64 = 100;
/// The system default constraints: (topology key, maxSkew).
const DEFAULTS: [(&str, i32); 2] = [(HOSTNAME, 3), (ZONE, 5)];

/// Where a constraint's counts come from.
#[derive(Debug)]
enum Counts<'a> {
    /// Matching pods per domain value (the pod's own constraints, from [`PodState`]).
    Domains(&'a HashMap<String, i32>),
    /// The owner's pods on the node itself (default hostname constraint).
    Owner(&'a str),
    /// The owner's pods per zone (default zone constraint).
    OwnerZones(HashMap<&'a str, i64>),
}

#[derive(Debug)]
struct Constraint<'a> {
    key: &'a str,
    max_skew: i32,
    counts: Counts<'a>,
    /// ln(domains + 2).
    weight: f64,
}

/// The spread scores of one pod over its feasible nodes.
#[derive(Debug)]
pub struct Spreading<'a> {
    constraints: Vec<Constraint<'a>>,
    /// Whether a node must have every key to be scored (the pod's own constraints).
    require_all: bool,
}

impl<'a> Spreading<'a> {
    /// None when the pod has nothing to spread by.
    pub fn new(
        pod: &'a PodInfo,
        state: &'a PodState,
        snapshot: &'a Snapshot,
        feasible: &[&NodeInfo],
    ) -> Option<Spreading<'a>> {
        let mut constraints = Vec::new();
        let require_all = !pod.spread.is_empty();
        if require_all {
            for (constraint, counts) in state.soft_spread() {
                constraints.push(Constraint {
                    key: &constraint.topology_key,
                    max_skew: constraint.max_skew,
                    counts: Counts::Domains(counts),
                    weight: 0.0,
                });
            }
        } else if !pod.spread_owner.is_empty() {
            constraints.push(Constraint {
                key: HOSTNAME,
                max_skew: DEFAULTS[0].1,
                counts: Counts::Owner(&pod.spread_owner),
                weight: 0.0,
            });
            if snapshot.has_zones() {
                let mut zones: HashMap<&str, i64> = HashMap::new();
                let owned = snapshot.owner_pods(&pod.spread_owner);
                for (name, count) in owned.into_iter().flatten() {
                    let Some(node) = snapshot.node(name) else { continue };
                    if let Some(zone) = node.labels.get(ZONE)
                        && node_affinity_matches(pod, node)
                    {
                        *zones.entry(zone.as_str()).or_default() += *count as i64;
                    }
                }
                constraints.push(Constraint {
                    key: ZONE,
                    max_skew: DEFAULTS[1].1,
                    counts: Counts::OwnerZones(zones),
                    weight: 0.0,
                });
            }
        }
        if constraints.is_empty() {
            return None;
        }
        let mut spreading = Spreading { constraints, require_all };
        spreading.weigh(feasible);
        Some(spreading)
    }

    /// Sets each constraint's weight from the number of domains among the scored nodes.
    fn weigh(&mut self, feasible: &[&NodeInfo]) {
        let scored: Vec<&NodeInfo> =
            feasible.iter().copied().filter(|n| !self.ignored(n)).collect();
        for constraint in &mut self.constraints {
            let domains = if constraint.key == HOSTNAME {
                scored.len()
            } else {
                let values: HashSet<&str> = scored
                    .iter()
                    .filter_map(|n| n.labels.get(constraint.key).map(String::as_str))
                    .collect();
                values.len()
            };
            constraint.weight = ((domains + 2) as f64).ln();
        }
    }

    fn ignored(&self, node: &NodeInfo) -> bool {
        self.require_all && !self.constraints.iter().all(|c| node.labels.contains_key(c.key))
    }

    /// The raw (lower is better) score of a node; None for a node that is not scored.
    pub fn raw(&self, node: &NodeInfo) -> Option<i64> {
        if self.ignored(node) {
            return None;
        }
        let mut score = 0.0;
        for constraint in &self.constraints {
            let count = match &constraint.counts {
                Counts::Owner(owner) if node.has_hostname => node.owner_count(owner) as i64,
                Counts::Owner(_) => continue,
                Counts::Domains(counts) => {
                    let Some(value) = node.labels.get(constraint.key) else { continue };
                    counts.get(value).copied().unwrap_or(0) as i64
                }
                Counts::OwnerZones(zones) => {
                    let Some(value) = node.labels.get(constraint.key) else { continue };
                    zones.get(value.as_str()).copied().unwrap_or(0)
                }
            };
            score += count as f64 * constraint.weight + (constraint.max_skew - 1) as f64;
        }
        Some(score.round() as i64)
    }
}

/// Turns raw scores (None: not scored) into 0–100, the least crowded node highest.
pub fn normalize(raws: &[Option<i64>]) -> Vec<i64> {
    let scored = raws.iter().flatten();
    let min = scored.clone().copied().min().unwrap_or(0);
    let max = scored.copied().max().unwrap_or(0);
    raws.iter()
        .map(|raw| match raw {
            None => 0,
            Some(_) if max == 0 => MAX,
            Some(s) => MAX * (max + min - s) / max,
        })
        .collect()
}
