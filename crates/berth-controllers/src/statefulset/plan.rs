//! The StatefulSet decision: which ordinals to create, delete or roll next.
//!
//! [`plan`] is a pure function of the set's policy and what each ordinal's pod is doing. Under
//! `OrderedReady` it acts on one ordinal at a time: ordinal i is created only once 0..i are
//! running and ready, and scale-down removes the highest ordinal and waits for it to be gone.
//! Under `Parallel` every missing pod is created and every condemned one deleted at once. A
//! `RollingUpdate` then deletes pods of an old revision from the highest ordinal down to
//! `partition`, never leaving more than `maxUnavailable` pods unavailable; the next pass recreates
//! them from the update revision. `OnDelete` leaves old pods alone.

use std::collections::BTreeMap;

/// What one ordinal's pod is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Made from the update revision.
    pub updated: bool,
    /// Has a deletionTimestamp.
    pub terminating: bool,
    /// Phase Failed or Succeeded: to be replaced.
    pub finished: bool,
    /// Running with Ready=True.
    pub running_ready: bool,
    /// Ready for minReadySeconds.
    pub available: bool,
}

/// How the set rolls out a new template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    Rolling { partition: i32, max_unavailable: i32 },
    OnDelete,
}

/// The set's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub replicas: i32,
    /// `OrderedReady` (true) or `Parallel` (false).
    pub ordered: bool,
    pub update: Update,
}

/// One write the controller makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Create the pod of this ordinal; `updated` says from which revision.
    Create { ordinal: i32, updated: bool },
    /// Delete the pod of this ordinal.
    Delete { ordinal: i32 },
}

impl Policy {
    /// Ordinals below this keep the current revision when (re)created.
    fn partition(&self) -> i32 {
        match self.update {
            Update::Rolling { partition, .. } => partition,
            Update::OnDelete => i32::MAX,
        }
    }
}

/// The steps to take now, in order, given each ordinal's pod (absent: no pod).
pub fn plan(policy: &Policy, pods: &BTreeMap<i32, Slot>) -> Vec<Step> {
    let mut steps = Vec::new();
    let replicas = policy.replicas.max(0);
    // Bring up 0..replicas, replacing finished pods.
    for ordinal in 0..replicas {
        match pods.get(&ordinal) {
            None => {
                steps.push(Step::Create { ordinal, updated: ordinal >= policy.partition() });
                if policy.ordered {
                    return steps;
                }
            }
            Some(slot) if slot.finished && !slot.terminating => {
                steps.push(Step::Delete { ordinal });
                if policy.ordered {
                    return steps;
                }
            }
            Some(slot) if policy.ordered && (slot.terminating || !slot.running_ready) => {
                return steps;
            }
            Some(_) => {}
        }
    }
    // Scale down from the highest ordinal.
    for (&ordinal, slot) in pods.range(replicas..).rev() {
        if slot.terminating {
            if policy.ordered {
                return steps;
            }
            continue;
        }
        steps.push(Step::Delete { ordinal });
        if policy.ordered {
            return steps;
        }
    }
    if policy.ordered && !steps.is_empty() {
        return steps;
    }
    rolling(policy, pods, &mut steps);
    steps
}

/// Deletes old-revision pods from the highest ordinal down, within `maxUnavailable`.
fn rolling(policy: &Policy, pods: &BTreeMap<i32, Slot>, steps: &mut Vec<Step>) {
    let Update::Rolling { partition, max_unavailable } = policy.update else { return };
    let replicas = policy.replicas.max(0);
    let unavailable = (0..replicas)
        .filter(|o| pods.get(o).is_none_or(|s| s.terminating || !s.available))
        .count() as i32;
    let mut budget = max_unavailable.max(1) - unavailable;
    for ordinal in (partition.max(0)..replicas).rev() {
        let Some(slot) = pods.get(&ordinal) else { continue };
        if slot.updated || slot.terminating {
            continue;
        }
        if steps.iter().any(|s| matches!(s, Step::Delete { ordinal: o } if *o == ordinal)) {
            continue;
        }
        // Replacing a pod that is unavailable anyway costs nothing from the budget.
        if slot.available {
            if budget <= 0 {
                continue;
            }
            budget -= 1;
        }
        steps.push(Step::Delete { ordinal });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READY: Slot = Slot {
        updated: true,
        terminating: false,
        finished: false,
        running_ready: true,
        available: true,
    };
    const STARTING: Slot = Slot { running_ready: false, available: false, ..READY };
    const GOING: Slot = Slot { terminating: true, ..READY };
    const FAILED: Slot = Slot { finished: true, running_ready: false, available: false, ..READY };
    const OLD: Slot = Slot { updated: false, ..READY };

    fn pods(slots: &[(i32, Slot)]) -> BTreeMap<i32, Slot> {
        slots.iter().copied().collect()
    }

    fn policy(replicas: i32, ordered: bool, update: Update) -> Policy {
        Policy { replicas, ordered, update }
    }

    type Case = (&'static str, Policy, BTreeMap<i32, Slot>, Vec<Step>);

    const ROLL: Update = Update::Rolling { partition: 0, max_unavailable: 1 };

    #[test]
    fn ordered_and_parallel_scaling() {
        use Step::*;
        let cases: Vec<Case> = vec![
            (
                "empty set creates ordinal 0 only",
                policy(3, true, ROLL),
                pods(&[]),
                vec![Create { ordinal: 0, updated: true }],
            ),
            ("waits for 0 to be ready", policy(3, true, ROLL), pods(&[(0, STARTING)]), vec![]),
            (
                "then creates 1",
                policy(3, true, ROLL),
                pods(&[(0, READY)]),
                vec![Create { ordinal: 1, updated: true }],
            ),
            (
                "fills a hole below",
                policy(3, true, ROLL),
                pods(&[(1, READY), (2, READY)]),
                vec![Create { ordinal: 0, updated: true }],
            ),
            (
                "a pod going away blocks recreation",
                policy(2, true, ROLL),
                pods(&[(0, GOING)]),
                vec![],
            ),
            (
                "parallel creates all at once",
                policy(3, false, ROLL),
                pods(&[(1, STARTING)]),
                vec![Create { ordinal: 0, updated: true }, Create { ordinal: 2, updated: true }],
            ),
            (
                "failed pods are replaced",
                policy(2, true, ROLL),
                pods(&[(0, READY), (1, FAILED)]),
                vec![Delete { ordinal: 1 }],
            ),
            (
                "scale down removes the highest first",
                policy(1, true, ROLL),
                pods(&[(0, READY), (1, READY), (2, READY)]),
                vec![Delete { ordinal: 2 }],
            ),
            (
                "and waits for it to be gone",
                policy(1, true, ROLL),
                pods(&[(0, READY), (1, READY), (2, GOING)]),
                vec![],
            ),
            (
                "ordered scale down waits for lower pods to be ready",
                policy(1, true, ROLL),
                pods(&[(0, STARTING), (1, READY)]),
                vec![],
            ),
            (
                "parallel scale down deletes every condemned pod",
                policy(1, false, ROLL),
                pods(&[(0, READY), (1, READY), (2, GOING), (3, READY)]),
                vec![Delete { ordinal: 3 }, Delete { ordinal: 1 }],
            ),
            (
                "below the partition a recreated pod keeps the current revision",
                policy(3, true, Update::Rolling { partition: 2, max_unavailable: 1 }),
                pods(&[(0, READY), (2, READY)]),
                vec![Create { ordinal: 1, updated: false }],
            ),
            (
                "under OnDelete recreated pods keep the current revision",
                policy(1, true, Update::OnDelete),
                pods(&[]),
                vec![Create { ordinal: 0, updated: false }],
            ),
        ];
        for (name, policy, pods, want) in cases {
            assert_eq!(plan(&policy, &pods), want, "{name}");
        }
    }

    #[test]
    fn rolling_updates() {
        use Step::*;
        let roll = |partition, max_unavailable| Update::Rolling { partition, max_unavailable };
        let three_old = pods(&[(0, OLD), (1, OLD), (2, OLD)]);
        let cases: Vec<Case> = vec![
            (
                "highest first",
                policy(3, true, roll(0, 1)),
                three_old.clone(),
                vec![Delete { ordinal: 2 }],
            ),
            (
                "one at a time: waits for the new pod",
                policy(3, true, roll(0, 1)),
                pods(&[(0, OLD), (1, OLD), (2, STARTING)]),
                vec![],
            ),
            (
                "parallel also waits for the new pod",
                policy(3, false, roll(0, 1)),
                pods(&[(0, OLD), (1, OLD), (2, STARTING)]),
                vec![],
            ),
            (
                "then the next one down",
                policy(3, true, roll(0, 1)),
                pods(&[(0, OLD), (1, OLD), (2, READY)]),
                vec![Delete { ordinal: 1 }],
            ),
            (
                "not below the partition",
                policy(3, true, roll(2, 1)),
                pods(&[(0, OLD), (1, OLD), (2, READY)]),
                vec![],
            ),
            (
                "maxUnavailable 2 takes two",
                policy(3, false, roll(0, 2)),
                three_old.clone(),
                vec![Delete { ordinal: 2 }, Delete { ordinal: 1 }],
            ),
            (
                "an unavailable old pod is replaced without waiting",
                policy(3, false, roll(0, 1)),
                pods(&[(0, OLD), (1, READY), (2, Slot { available: false, ..OLD })]),
                vec![Delete { ordinal: 2 }],
            ),
            ("OnDelete never deletes", policy(3, true, Update::OnDelete), three_old, vec![]),
        ];
        for (name, policy, pods, want) in cases {
            assert_eq!(plan(&policy, &pods), want, "{name}");
        }
    }
}
