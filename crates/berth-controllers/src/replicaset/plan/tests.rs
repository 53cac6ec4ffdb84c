//! Table-driven tests of the ReplicaSet decisions.

use super::*;
use k8s_openapi::api::apps::v1::ReplicaSetSpec;
use k8s_openapi::api::core::v1::{PodCondition, PodSpec, PodStatus, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A pod named `name`: on `node` (or unscheduled), in `phase`, Ready since `ready` (or not),
/// created at `created`.
fn pod(name: &str, node: Option<&str>, phase: &str, ready: Option<i64>, created: i64) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            creation_timestamp: Some(Time(at(created))),
            labels: Some(BTreeMap::from([("app".to_owned(), "web".to_owned())])),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec { node_name: node.map(str::to_owned), ..PodSpec::default() }),
        status: Some(PodStatus {
            phase: Some(phase.to_owned()),
            conditions: ready.map(|since| {
                vec![PodCondition {
                    type_: "Ready".to_owned(),
                    status: "True".to_owned(),
                    last_transition_time: Some(Time(at(since))),
                    ..PodCondition::default()
                }]
            }),
            ..PodStatus::default()
        }),
    }
}

#[test]
fn diff_creates_or_deletes_up_to_the_burst() {
    let cases = [(0, 3, 3), (3, 3, 0), (5, 2, -3), (0, 1000, 500), (1200, 0, -500)];
    for (active, desired, expected) in cases {
        assert_eq!(diff(active, desired), expected, "{active} active, {desired} desired");
    }
}

#[test]
fn creates_go_out_in_doubling_batches() {
    let cases: [(usize, &[usize]); 5] = [
        (0, &[]),
        (1, &[1]),
        (5, &[1, 2, 2]),
        (7, &[1, 2, 4]),
        (500, &[1, 2, 4, 8, 16, 32, 64, 128, 245]),
    ];
    for (count, expected) in cases {
        assert_eq!(batches(count), expected, "{count} creates");
        assert_eq!(batches(count).iter().sum::<usize>(), count);
    }
}

#[test]
fn surplus_pods_are_ranked_least_valuable_first() {
    // (first, second): `first` must be deleted before `second`.
    let cases = [
        (
            "unscheduled before scheduled",
            pod("a", None, "Pending", None, 10),
            pod("b", Some("n1"), "Pending", None, 10),
        ),
        (
            "pending before running",
            pod("a", Some("n1"), "Pending", None, 10),
            pod("b", Some("n2"), "Running", None, 10),
        ),
        (
            "not ready before ready",
            pod("a", Some("n1"), "Running", None, 10),
            pod("b", Some("n2"), "Running", Some(20), 10),
        ),
        (
            "ready recently before ready long",
            pod("a", Some("n1"), "Running", Some(50), 10),
            pod("b", Some("n2"), "Running", Some(20), 10),
        ),
        (
            "newer before older",
            pod("a", Some("n1"), "Running", Some(20), 30),
            pod("b", Some("n2"), "Running", Some(20), 10),
        ),
    ];
    for (what, first, second) in cases {
        for order in [[&first, &second], [&second, &first]] {
            let chosen = pods_to_delete(&order, 1);
            assert_eq!(chosen[0].metadata.name, first.metadata.name, "{what}");
        }
    }
}

#[test]
fn doubled_up_pods_go_before_lone_ones() {
    let a = pod("a", Some("n1"), "Running", Some(20), 10);
    let b = pod("b", Some("n1"), "Running", Some(20), 10);
    let c = pod("c", Some("n2"), "Running", Some(20), 10);
    let chosen = pods_to_delete(&[&c, &a, &b], 2);
    let names: Vec<_> = chosen.iter().filter_map(|p| p.metadata.name.as_deref()).collect();
    assert!(names.contains(&"a") && names.contains(&"b"), "{names:?}");
}

fn replica_set(min_ready_seconds: i32) -> ReplicaSet {
    let labels = BTreeMap::from([("app".to_owned(), "web".to_owned())]);
    ReplicaSet {
        metadata: ObjectMeta { generation: Some(4), ..ObjectMeta::default() },
        spec: Some(ReplicaSetSpec {
            replicas: Some(3),
            min_ready_seconds: Some(min_ready_seconds),
            template: Some(PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..ObjectMeta::default() }),
                spec: None,
            }),
            ..ReplicaSetSpec::default()
        }),
        status: None,
    }
}

#[test]
fn status_counts_ready_and_available_pods() {
    let mut unlabeled = pod("c", Some("n1"), "Pending", None, 10);
    unlabeled.metadata.labels = None;
    let pods = [
        pod("a", Some("n1"), "Running", Some(100), 10),
        pod("b", Some("n1"), "Running", Some(108), 10),
        unlabeled,
    ];
    let active: Vec<&Pod> = pods.iter().collect();
    let status = status(&replica_set(5), &active, None, at(110));
    assert_eq!(status.replicas, 3);
    assert_eq!(status.fully_labeled_replicas, Some(2));
    assert_eq!(status.ready_replicas, Some(2));
    assert_eq!(status.available_replicas, Some(1));
    assert_eq!(status.observed_generation, Some(4));
    assert_eq!(status.conditions, None);
    assert_eq!(next_available_in(&active, 5, at(110)), Some(3));
    assert_eq!(next_available_in(&active, 0, at(110)), None);
}

#[test]
fn a_failed_create_sets_replica_failure_until_a_clean_sync() {
    let failure = Failure { reason: "FailedCreate", message: "exceeded quota".to_owned() };
    let mut rs = replica_set(0);
    let failed = status(&rs, &[], Some(&failure), at(1));
    let condition = failed.conditions.as_ref().and_then(|c| c.first()).cloned();
    assert_eq!(condition.as_ref().map(|c| c.type_.as_str()), Some("ReplicaFailure"));
    assert_eq!(condition.as_ref().and_then(|c| c.reason.as_deref()), Some("FailedCreate"));
    rs.status = Some(failed);
    assert_eq!(status(&rs, &[], None, at(2)).conditions, None);
}
