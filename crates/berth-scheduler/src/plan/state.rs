//! What the filters and scores need to know about the rest of the cluster for one incoming pod,
//! computed once before the node loop (kube-scheduler's PreFilter/PreScore state): counts of
//! matching pods per topology domain for inter-pod affinity and topology spread, and the domains
//! that existing pods' anti-affinity forbids.
//!
//! Preemption removes victims from a copy of this state with [`PodState::remove_pod`].

use std::collections::HashMap;

use super::Snapshot;
use super::filter::{Fail, node_affinity_matches};
use super::model::{NodeInfo, PodInfo, PodTerm, SpreadConstraint, WhenUnsatisfiable};

/// Whether `term`, written on a pod in `owner_ns`, selects `target`.
pub fn term_selects(term: &PodTerm, owner_ns: &str, target: &PodInfo, snapshot: &Snapshot) -> bool {
    let namespace_ok = match term.namespace_selector.as_ref() {
        Some(selector) => {
            term.namespaces.contains(&target.namespace)
                || snapshot
                    .namespace_labels(&target.namespace)
                    .is_some_and(|labels| selector.matches(labels))
        }
        None if term.namespaces.is_empty() => target.namespace == owner_ns,
        None => term.namespaces.contains(&target.namespace),
    };
    namespace_ok && term.selector.matches(&target.labels)
}

/// What an existing pod's required affinity term that selects the incoming pod adds to the
/// score of its domain (kube-scheduler's default `hardPodAffinityWeight`).
const HARD_AFFINITY_WEIGHT: i64 = 1;

#[derive(Debug, Clone)]
struct Spread {
    constraint: usize,
    counts: HashMap<String, i32>,
    self_match: i32,
    min: i32,
}

impl Spread {
    fn recompute_min(&mut self) {
        self.min = self.counts.values().copied().min().unwrap_or(0);
    }
}

/// Per-pod state shared by every node the pod is checked against.
#[derive(Debug, Clone)]
pub struct PodState<'a> {
    pod: &'a PodInfo,
    affinity: Vec<HashMap<String, i32>>,
    affinity_matched_anywhere: bool,
    affinity_matches_self: bool,
    anti: Vec<HashMap<String, i32>>,
    /// (owner pod key, topology key, value) of existing pods whose anti-affinity selects us.
    existing_anti: Vec<(String, String, String)>,
    hard_spread: Vec<Spread>,
    soft_spread: Vec<Spread>,
    /// (topology key, value, weight) from preferred (anti-)affinity, the pod's own and that of
    /// existing pods selecting it, for scoring.
    preferred: Vec<(String, String, i64)>,
}

impl<'a> PodState<'a> {
    pub fn new(pod: &'a PodInfo, snapshot: &Snapshot) -> PodState<'a> {
        let mut state = PodState {
            pod,
            affinity: vec![HashMap::new(); pod.affinity.len()],
            affinity_matched_anywhere: false,
            affinity_matches_self: pod
                .affinity
                .iter()
                .all(|t| term_selects(t, &pod.namespace, pod, snapshot)),
            anti: vec![HashMap::new(); pod.anti_affinity.len()],
            existing_anti: Vec::new(),
            hard_spread: Vec::new(),
            soft_spread: Vec::new(),
            preferred: Vec::new(),
        };
        let has_terms = !pod.affinity.is_empty()
            || !pod.anti_affinity.is_empty()
            || !pod.preferred_affinity.is_empty()
            || !pod.preferred_anti_affinity.is_empty();
        let mut preferred: HashMap<(&str, &str), i64> = HashMap::new();
        if has_terms {
            for (node, existing) in snapshot.pods() {
                state.count(node, existing, 1, snapshot);
                let weighted = pod.preferred_affinity.iter().map(|(w, t)| (*w as i64, t));
                let anti = pod.preferred_anti_affinity.iter().map(|(w, t)| (-(*w as i64), t));
                for (weight, term) in weighted.chain(anti) {
                    if let Some(value) = node.labels.get(&term.topology_key)
                        && term_selects(term, &pod.namespace, existing, snapshot)
                    {
                        *preferred.entry((&term.topology_key, value)).or_default() += weight;
                    }
                }
            }
        }
        // Symmetry: existing pods' own terms that select the incoming pod score their domains.
        for (node, existing) in snapshot.affinity_pods() {
            let required = existing.affinity.iter().map(|t| (HARD_AFFINITY_WEIGHT, t));
            let weighted = existing.preferred_affinity.iter().map(|(w, t)| (*w as i64, t));
            let anti = existing.preferred_anti_affinity.iter().map(|(w, t)| (-(*w as i64), t));
            for (weight, term) in required.chain(weighted).chain(anti) {
                if let Some(value) = node.labels.get(&term.topology_key)
                    && term_selects(term, &existing.namespace, pod, snapshot)
                {
                    *preferred.entry((&term.topology_key, value)).or_default() += weight;
                }
            }
        }
        state.preferred = preferred
            .into_iter()
            .filter(|(_, w)| *w != 0)
            .map(|((k, v), w)| (k.to_owned(), v.to_owned(), w))
            .collect();
        for (node, existing) in snapshot.anti_affinity_pods() {
            for term in &existing.anti_affinity {
                if let Some(value) = node.labels.get(&term.topology_key)
                    && term_selects(term, &existing.namespace, pod, snapshot)
                {
                    state.existing_anti.push((
                        existing.key(),
                        term.topology_key.clone(),
                        value.clone(),
                    ));
                }
            }
        }
        if !pod.spread.is_empty() {
            state.init_spread(snapshot);
        }
        state
    }

    /// Adds (`delta` 1) or removes (-1) an existing pod's contribution to the affinity counts.
    fn count(&mut self, node: &NodeInfo, existing: &PodInfo, delta: i32, snapshot: &Snapshot) {
        let pod = self.pod;
        for (i, term) in pod.affinity.iter().enumerate() {
            if let Some(value) = node.labels.get(&term.topology_key)
                && term_selects(term, &pod.namespace, existing, snapshot)
            {
                *self.affinity[i].entry(value.clone()).or_default() += delta;
                self.affinity_matched_anywhere |= delta > 0;
            }
        }
        for (i, term) in pod.anti_affinity.iter().enumerate() {
            if let Some(value) = node.labels.get(&term.topology_key)
                && term_selects(term, &pod.namespace, existing, snapshot)
            {
                *self.anti[i].entry(value.clone()).or_default() += delta;
            }
        }
    }

    fn init_spread(&mut self, snapshot: &Snapshot) {
        let pod = self.pod;
        let hard_keys: Vec<&str> = pod
            .spread
            .iter()
            .filter(|c| c.when == WhenUnsatisfiable::DoNotSchedule)
            .map(|c| c.topology_key.as_str())
            .collect();
        for (i, constraint) in pod.spread.iter().enumerate() {
            let hard = constraint.when == WhenUnsatisfiable::DoNotSchedule;
            let mut spread = Spread {
                constraint: i,
                counts: HashMap::new(),
                self_match: constraint.selector.matches(&pod.labels) as i32,
                min: 0,
            };
            for node in snapshot.nodes() {
                if !node_affinity_matches(pod, node)
                    || (hard && !hard_keys.iter().all(|k| node.labels.contains_key(*k)))
                {
                    continue;
                }
                let Some(value) = node.labels.get(&constraint.topology_key) else { continue };
                let matching = node
                    .pods
                    .iter()
                    .filter(|p| {
                        !p.terminating
                            && p.namespace == pod.namespace
                            && constraint.selector.matches(&p.labels)
                    })
                    .count() as i32;
                *spread.counts.entry(value.clone()).or_default() += matching;
            }
            spread.recompute_min();
            if hard { self.hard_spread.push(spread) } else { self.soft_spread.push(spread) }
        }
    }

    /// Takes a victim of preemption out of every count.
    pub fn remove_pod(&mut self, node: &NodeInfo, victim: &PodInfo, snapshot: &Snapshot) {
        self.adjust(node, victim, -1, snapshot);
    }

    /// Puts a pod taken out by [`PodState::remove_pod`] back.
    pub fn add_pod(&mut self, node: &NodeInfo, pod: &PodInfo, snapshot: &Snapshot) {
        self.adjust(node, pod, 1, snapshot);
    }

    fn adjust(&mut self, node: &NodeInfo, other: &PodInfo, delta: i32, snapshot: &Snapshot) {
        self.count(node, other, delta, snapshot);
        let key = other.key();
        if delta < 0 {
            self.existing_anti.retain(|(owner, _, _)| *owner != key);
        } else {
            for term in &other.anti_affinity {
                if let Some(value) = node.labels.get(&term.topology_key)
                    && term_selects(term, &other.namespace, self.pod, snapshot)
                {
                    self.existing_anti.push((
                        key.clone(),
                        term.topology_key.clone(),
                        value.clone(),
                    ));
                }
            }
        }
        let pod = self.pod;
        for spread in self.hard_spread.iter_mut().chain(self.soft_spread.iter_mut()) {
            let constraint = &pod.spread[spread.constraint];
            if other.namespace != pod.namespace
                || other.terminating
                || !constraint.selector.matches(&other.labels)
            {
                continue;
            }
            if let Some(count) =
                node.labels.get(&constraint.topology_key).and_then(|v| spread.counts.get_mut(v))
            {
                *count += delta;
            }
            spread.recompute_min();
        }
    }

    /// PodTopologySpread then InterPodAffinity.
    pub fn filter(&self, node: &NodeInfo) -> Result<(), Fail> {
        for spread in &self.hard_spread {
            let constraint = &self.pod.spread[spread.constraint];
            let Some(value) = node.labels.get(&constraint.topology_key) else {
                return Err(Fail::SpreadMissingLabel);
            };
            let count = spread.counts.get(value).copied().unwrap_or(0);
            let min =
                if (spread.counts.len() as i32) < constraint.min_domains { 0 } else { spread.min };
            if count + spread.self_match - min > constraint.max_skew {
                return Err(Fail::Spread);
            }
        }
        if !self.pod.affinity.is_empty() {
            let mut all_present = true;
            for (i, term) in self.pod.affinity.iter().enumerate() {
                let Some(value) = node.labels.get(&term.topology_key) else {
                    return Err(Fail::Affinity);
                };
                if self.affinity[i].get(value).copied().unwrap_or(0) <= 0 {
                    all_present = false;
                }
            }
            // The first pod of a group that selects itself may go anywhere.
            if !all_present && (self.affinity_matched_anywhere || !self.affinity_matches_self) {
                return Err(Fail::Affinity);
            }
        }
        for (i, term) in self.pod.anti_affinity.iter().enumerate() {
            if let Some(value) = node.labels.get(&term.topology_key)
                && self.anti[i].get(value).copied().unwrap_or(0) > 0
            {
                return Err(Fail::AntiAffinity);
            }
        }
        if self.existing_anti.iter().any(|(_, key, value)| node.labels.get(key) == Some(value)) {
            return Err(Fail::ExistingAntiAffinity);
        }
        Ok(())
    }

    /// Sum of preferred (anti-)affinity weights whose domain contains the node.
    pub fn preferred_affinity_score(&self, node: &NodeInfo) -> i64 {
        self.preferred
            .iter()
            .filter(|(k, v, _)| node.labels.get(k) == Some(v))
            .map(|(_, _, w)| *w)
            .sum()
    }

    /// The ScheduleAnyway constraints with their matching pods per domain.
    pub fn soft_spread(&self) -> impl Iterator<Item = (&SpreadConstraint, &HashMap<String, i32>)> {
        self.soft_spread.iter().map(|s| (&self.pod.spread[s.constraint], &s.counts))
    }

    pub fn has_preferred_affinity(&self) -> bool {
        !self.preferred.is_empty()
    }
}
