//! Table-driven tests of the rolling-update arithmetic.

use super::*;
use k8s_openapi::api::apps::v1::{
    DeploymentSpec, DeploymentStrategy, ReplicaSetSpec, ReplicaSetStatus, RollingUpdateDeployment,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;

fn int_or(text: &str) -> IntOrString {
    match text.parse() {
        Ok(n) => IntOrString::Int(n),
        Err(_) => IntOrString::String(text.to_owned()),
    }
}

pub(crate) fn deployment(replicas: i32, surge: &str, unavailable: &str) -> Deployment {
    Deployment {
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_owned()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(int_or(surge)),
                    max_unavailable: Some(int_or(unavailable)),
                }),
            }),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// A ReplicaSet `name` of `replicas` (spec) with `available` available pods, created at `created`.
pub(crate) fn set(name: &str, replicas: i32, available: i32, created: i64) -> ReplicaSet {
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            creation_timestamp: Some(Time(
                Timestamp::from_second(created).unwrap_or(Timestamp::UNIX_EPOCH),
            )),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec { replicas: Some(replicas), ..ReplicaSetSpec::default() }),
        status: Some(ReplicaSetStatus {
            replicas,
            available_replicas: Some(available),
            ..ReplicaSetStatus::default()
        }),
    }
}

#[test]
fn fenceposts_round_surge_up_and_unavailable_down() {
    // (replicas, maxSurge, maxUnavailable) → (surge, unavailable)
    let cases = [
        (10, "25%", "25%", 3, 2),
        (4, "25%", "25%", 1, 1),
        (1, "25%", "25%", 1, 0),
        (3, "0", "0", 0, 1),
        (3, "0%", "10%", 0, 1),
        (10, "2", "0", 2, 0),
        (5, "1", "100%", 1, 5),
        (2, "1", "5", 1, 2),
        (0, "25%", "25%", 0, 0),
        (1000, "10%", "0", 100, 0),
    ];
    for (replicas, surge, unavailable, want_surge, want_unavailable) in cases {
        let got = limits(&deployment(replicas, surge, unavailable));
        assert_eq!(
            (got.surge, got.unavailable),
            (want_surge, want_unavailable),
            "{replicas} replicas, maxSurge {surge}, maxUnavailable {unavailable}"
        );
    }
}

#[test]
fn recreate_allows_no_surge_and_no_unavailability() {
    let mut d = deployment(5, "1", "1");
    if let Some(spec) = d.spec.as_mut() {
        spec.strategy =
            Some(DeploymentStrategy { type_: Some("Recreate".to_owned()), rolling_update: None });
    }
    assert_eq!(limits(&d), Limits { desired: 5, surge: 0, unavailable: 0 });
}

/// (desired, surge, old sizes, new size, expected new size)
type GrowCase = (i32, i32, &'static [i32], i32, Option<i32>);
/// (desired, unavailable, old (replicas, available), new (replicas, available), old sizes after)
type ShrinkCase = (i32, i32, &'static [(i32, i32)], (i32, i32), &'static [i32]);

#[test]
fn the_new_set_grows_up_to_the_surge_ceiling() {
    // (desired, surge, old sizes, new size) → new size after one step (None: no change)
    let cases: [GrowCase; 7] = [
        (10, 3, &[10], 0, Some(3)),
        (10, 3, &[10], 3, None),
        (10, 3, &[8], 3, Some(5)),
        (10, 3, &[], 0, Some(10)),
        (10, 0, &[10], 0, None),
        (10, 3, &[0], 9, Some(10)),
        (5, 1, &[2], 7, Some(5)),
    ];
    for (desired, surge, old, new_size, expected) in cases {
        let limits = Limits { desired, surge, unavailable: 1 };
        let old: Vec<ReplicaSet> =
            old.iter().enumerate().map(|(i, n)| set(&format!("old{i}"), *n, *n, 1)).collect();
        let new = set("new", new_size, 0, 2);
        let all: Vec<&ReplicaSet> = old.iter().chain(Some(&new)).collect();
        assert_eq!(
            scale_up_new(limits, &all, &new),
            expected,
            "desired {desired} surge {surge} old {old:?}"
        );
    }
}

#[test]
fn old_sets_shrink_only_while_availability_stays_above_the_floor() {
    // (desired, unavailable, old (replicas, available), new (replicas, available)) → old sizes after
    let cases: [ShrinkCase; 8] = [
        // 10 available, floor 8, new not available yet: 2 old ones may go.
        (10, 2, &[(10, 10)], (3, 0), &[8]),
        // Nothing available beyond the floor: wait.
        (10, 2, &[(8, 8)], (3, 0), &[8]),
        // maxUnavailable 0: old go only as new become available.
        (3, 0, &[(3, 3)], (1, 1), &[2]),
        (3, 0, &[(3, 3)], (1, 0), &[3]),
        // Unavailable old pods go first, whatever the floor.
        (4, 0, &[(4, 2)], (1, 1), &[3]),
        // Oldest set first.
        (6, 3, &[(3, 3), (3, 3)], (0, 0), &[0, 3]),
        // New fully available: all old go.
        (4, 1, &[(2, 2)], (4, 4), &[0]),
        // A status that still counts a pod being deleted (3 available for 2 kept) counts 2:
        // with 2 new available, one old may go, not both (that would leave 2 for a floor of 3).
        (4, 1, &[(2, 3)], (3, 2), &[1]),
    ];
    for (desired, unavailable, old, (new_replicas, new_available), expected) in cases {
        let limits = Limits { desired, surge: 1, unavailable };
        let sets: Vec<ReplicaSet> = old
            .iter()
            .enumerate()
            .map(|(i, (r, a))| set(&format!("old{i}"), *r, *a, i as i64))
            .collect();
        let refs: Vec<&ReplicaSet> = sets.iter().collect();
        let new = set("new", new_replicas, new_available, 100);
        let plan = scale_down_old(limits, &refs, Some(&new));
        let after: Vec<i32> = sets
            .iter()
            .map(|rs| {
                let name = rs.name_any();
                plan.iter().find(|(n, _)| *n == name).map(|(_, s)| *s).unwrap_or(replicas(rs))
            })
            .collect();
        assert_eq!(
            after, expected,
            "desired {desired} unavailable {unavailable} old {old:?} new {new_replicas}/{new_available}"
        );
    }
}

/// Simulates a whole rollout where every pod becomes available at once and checks the bounds at
/// every step: never more than desired + surge pods, never fewer than desired - unavailable
/// available.
#[test]
fn a_simulated_rollout_respects_both_bounds_at_every_step() {
    for (desired, surge, unavailable) in
        [(10, "25%", "25%"), (3, "1", "0"), (3, "0", "1"), (7, "100%", "0"), (5, "0", "100%")]
    {
        let d = deployment(desired, surge, unavailable);
        let limits = limits(&d);
        let mut old = set("old", desired, desired, 1);
        let mut new = set("new", 0, 0, 2);
        for step in 0..100 {
            let all: Vec<&ReplicaSet> = vec![&old, &new];
            if let Some(size) = scale_up_new(limits, &all, &new) {
                new = set("new", size, available(&new), 2);
            } else {
                for (_, size) in scale_down_old(limits, &[&old], Some(&new)) {
                    old = set("old", size, size.min(available(&old)), 1);
                }
            }
            let total = replicas(&old) + replicas(&new);
            assert!(
                total <= desired + limits.surge,
                "step {step}: {total} pods for {desired} with {surge} surge"
            );
            // The pods come up (available) before the next step.
            new = set("new", replicas(&new), replicas(&new), 2);
            let available_now = available(&old) + available(&new);
            assert!(
                available_now >= desired - limits.unavailable,
                "step {step}: {available_now} available"
            );
            if replicas(&new) == desired && replicas(&old) == 0 {
                break;
            }
            assert!(step < 99, "rollout of {desired} ({surge}/{unavailable}) never finished");
        }
    }
}
