//! The DaemonSet decision: on which nodes to create a pod and which pods to delete.
//!
//! [`plan`] is pure. Per node it keeps exactly one daemon pod where one should run (creating it,
//! replacing a failed one, deleting extras) and none where it may not stay. Pods on nodes that
//! no longer exist are deleted. A `RollingUpdate` then replaces old-revision pods: with
//! `maxSurge` 0 it deletes old pods while at most `maxUnavailable` nodes lack an available pod;
//! with `maxSurge` it first starts the new pod beside the old one and deletes the old one once
//! the new one is available.

use std::collections::BTreeMap;

use super::nodes::Fit;

/// What one daemon pod is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daemon {
    pub name: String,
    /// Made from the current template (its hash label).
    pub updated: bool,
    pub terminating: bool,
    /// Phase Failed (or Succeeded): replace it.
    pub failed: bool,
    /// Running with Ready=True.
    pub ready: bool,
    /// Ready for minReadySeconds.
    pub available: bool,
}

/// A node as the plan sees it: how the template fits it and the daemon pods pinned to it
/// (oldest first). A node that is absent from the map does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub fit: Fit,
    pub pods: Vec<Daemon>,
}

/// How the set rolls out a new template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    Rolling { max_unavailable: i32, max_surge: i32 },
    OnDelete,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Nodes to create a pod (of the current template) for.
    pub create: Vec<String>,
    /// Pods to delete, by name.
    pub delete: Vec<String>,
}

/// The plan for one DaemonSet; `orphans` are its pods pinned to nodes that do not exist.
pub fn plan(places: &BTreeMap<String, Place>, orphans: &[Daemon], update: Update) -> Plan {
    let mut plan = Plan::default();
    plan.delete.extend(orphans.iter().filter(|d| !d.terminating).map(|d| d.name.clone()));
    let surge = matches!(update, Update::Rolling { max_surge, .. } if max_surge > 0);
    for (node, place) in places {
        let live: Vec<&Daemon> = place.pods.iter().filter(|d| !d.terminating).collect();
        if !place.fit.should_continue || (!place.fit.should_run && live.is_empty()) {
            plan.delete.extend(live.iter().map(|d| d.name.clone()));
            continue;
        }
        let (failed, healthy): (Vec<&Daemon>, Vec<&Daemon>) = live.iter().partition(|d| d.failed);
        plan.delete.extend(failed.iter().map(|d| d.name.clone()));
        if healthy.is_empty() {
            if place.fit.should_run && place.pods.iter().all(|d| d.failed || !d.terminating) {
                plan.create.push(node.clone());
            }
            continue;
        }
        // One pod per node; during a surge one old and one new.
        let keep_new = healthy.iter().position(|d| d.updated);
        let keep_old = healthy.iter().position(|d| !d.updated);
        for (i, extra) in healthy.iter().enumerate() {
            let kept = if surge { Some(i) == keep_new || Some(i) == keep_old } else { i == 0 };
            if !kept {
                plan.delete.push(extra.name.clone());
            }
        }
    }
    if let Update::Rolling { max_unavailable, max_surge } = update {
        rolling(places, max_unavailable, max_surge, &mut plan);
    }
    plan
}

fn rolling(
    places: &BTreeMap<String, Place>,
    max_unavailable: i32,
    max_surge: i32,
    plan: &mut Plan,
) {
    let deleting = |plan: &Plan, name: &str| plan.delete.iter().any(|d| d == name);
    let mut unavailable = 0;
    let mut surging = 0;
    // (node, old pod) for each wanted node still running an old pod and no new one.
    let mut old = Vec::new();
    for (node, place) in places.iter().filter(|(_, p)| p.fit.should_run) {
        let live: Vec<&Daemon> = place
            .pods
            .iter()
            .filter(|d| !d.terminating && !d.failed && !deleting(plan, &d.name))
            .collect();
        let new = live.iter().find(|d| d.updated);
        let outdated = live.iter().find(|d| !d.updated);
        if !live.iter().any(|d| d.available) {
            unavailable += 1;
        }
        match (outdated, new) {
            (Some(o), Some(n)) if n.available => plan.delete.push(o.name.clone()),
            (Some(_), Some(_)) => surging += 1,
            (Some(o), None) => old.push((node, *o)),
            _ => {}
        }
    }
    if max_surge > 0 {
        let mut budget = max_surge - surging;
        for (node, pod) in old {
            if !pod.available {
                plan.delete.push(pod.name.clone());
            } else if budget > 0 {
                plan.create.push(node.clone());
                budget -= 1;
            }
        }
        return;
    }
    let mut budget = max_unavailable.max(1) - unavailable;
    for (_, pod) in old {
        if !pod.available {
            plan.delete.push(pod.name.clone());
        } else if budget > 0 {
            plan.delete.push(pod.name.clone());
            budget -= 1;
        }
    }
}

/// An intOrString (`3` or `"25%"`) against `total`, percentages rounded up.
pub fn scaled(
    value: Option<&k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
    total: i32,
    default: i32,
) -> i32 {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    match value {
        None => default,
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => {
            let percent: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            ((percent * i64::from(total.max(0)) + 99) / 100) as i32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: Fit = Fit { should_run: true, should_continue: true };
    const STAY: Fit = Fit { should_run: false, should_continue: true };
    const NO: Fit = Fit { should_run: false, should_continue: false };

    fn pod(name: &str, updated: bool, available: bool) -> Daemon {
        Daemon {
            name: name.into(),
            updated,
            terminating: false,
            failed: false,
            ready: available,
            available,
        }
    }

    fn places(list: &[(&str, Fit, Vec<Daemon>)]) -> BTreeMap<String, Place> {
        list.iter()
            .map(|(n, fit, pods)| (n.to_string(), Place { fit: *fit, pods: pods.clone() }))
            .collect()
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    const ROLL1: Update = Update::Rolling { max_unavailable: 1, max_surge: 0 };

    #[test]
    fn one_pod_per_eligible_node() {
        let failed = Daemon { failed: true, ..pod("f", true, false) };
        let going = Daemon { terminating: true, ..pod("g", true, true) };
        let cases = [
            (
                "creates on every eligible node",
                places(&[("a", RUN, vec![]), ("b", RUN, vec![]), ("c", NO, vec![])]),
                vec![],
                names(&["a", "b"]),
                names(&[]),
            ),
            (
                "deletes where it may not stay",
                places(&[("a", NO, vec![pod("p", true, true)])]),
                vec![],
                names(&[]),
                names(&["p"]),
            ),
            (
                "NoSchedule keeps a running pod",
                places(&[("a", STAY, vec![pod("p", true, true)])]),
                vec![],
                names(&[]),
                names(&[]),
            ),
            (
                "replaces a failed pod",
                places(&[("a", RUN, vec![failed.clone()])]),
                vec![],
                names(&["a"]),
                names(&["f"]),
            ),
            (
                "waits for a terminating pod",
                places(&[("a", RUN, vec![going])]),
                vec![],
                names(&[]),
                names(&[]),
            ),
            (
                "deletes extras, keeps the oldest",
                places(&[("a", RUN, vec![pod("p1", true, true), pod("p2", true, true)])]),
                vec![],
                names(&[]),
                names(&["p2"]),
            ),
            (
                "deletes pods of vanished nodes",
                places(&[("a", RUN, vec![pod("p", true, true)])]),
                vec![pod("o", true, true)],
                names(&[]),
                names(&["o"]),
            ),
        ];
        for (name, places, orphans, create, delete) in cases {
            let got = plan(&places, &orphans, ROLL1);
            assert_eq!(got, Plan { create, delete }, "{name}");
        }
    }

    #[test]
    fn rolling_updates() {
        let three_old = places(&[
            ("a", RUN, vec![pod("a-old", false, true)]),
            ("b", RUN, vec![pod("b-old", false, true)]),
            ("c", RUN, vec![pod("c-old", false, true)]),
        ]);
        let surge1 = Update::Rolling { max_unavailable: 0, max_surge: 1 };
        let cases = [
            (
                "maxUnavailable 1 deletes one",
                three_old.clone(),
                ROLL1,
                names(&[]),
                names(&["a-old"]),
            ),
            (
                "maxUnavailable 2 deletes two",
                three_old.clone(),
                Update::Rolling { max_unavailable: 2, max_surge: 0 },
                names(&[]),
                names(&["a-old", "b-old"]),
            ),
            (
                "waits while a node lacks an available pod",
                places(&[
                    ("a", RUN, vec![pod("a-new", true, false)]),
                    ("b", RUN, vec![pod("b-old", false, true)]),
                ]),
                ROLL1,
                names(&[]),
                names(&[]),
            ),
            (
                "an unavailable old pod is replaced at once",
                places(&[
                    ("a", RUN, vec![pod("a-new", true, false)]),
                    ("b", RUN, vec![pod("b-old", false, false)]),
                ]),
                ROLL1,
                names(&[]),
                names(&["b-old"]),
            ),
            (
                "surge starts a new pod beside the old",
                three_old.clone(),
                surge1,
                names(&["a"]),
                names(&[]),
            ),
            (
                "surge deletes the old pod once the new one is available",
                places(&[
                    ("a", RUN, vec![pod("a-old", false, true), pod("a-new", true, true)]),
                    ("b", RUN, vec![pod("b-old", false, true)]),
                ]),
                surge1,
                names(&["b"]),
                names(&["a-old"]),
            ),
            (
                "surge waits for the new pod",
                places(&[
                    ("a", RUN, vec![pod("a-old", false, true), pod("a-new", true, false)]),
                    ("b", RUN, vec![pod("b-old", false, true)]),
                ]),
                surge1,
                names(&[]),
                names(&[]),
            ),
            ("OnDelete leaves old pods", three_old, Update::OnDelete, names(&[]), names(&[])),
        ];
        for (name, places, update, create, delete) in cases {
            assert_eq!(plan(&places, &[], update), Plan { create, delete }, "{name}");
        }
    }

    #[test]
    fn percentages_round_up() {
        use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
        let cases = [
            (None, 10, 1),
            (Some(IntOrString::Int(3)), 10, 3),
            (Some(IntOrString::String("25%".into())), 10, 3),
            (Some(IntOrString::String("10%".into())), 0, 0),
        ];
        for (value, total, want) in cases {
            assert_eq!(scaled(value.as_ref(), total, 1), want, "{value:?} of {total}");
        }
    }
}
