//! Table-driven tests of how identical pods spread: random tie-breaking between equally good
//! nodes, the default requests of pods that ask for nothing, and the system default topology
//! spread constraints for pods of a ReplicaSet, StatefulSet or ReplicationController.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::model::PodInfo;
use super::spreading::normalize;
use super::tests::{info, node, snapshot};
use super::{Snapshot, schedule};

/// A node the size of a simulated one (32 cores, 256Gi).
fn sim(name: &str) -> Value {
    node(name, "32", "256Gi", json!({}))
}

fn zoned(name: &str, zone: &str) -> Value {
    node(
        name,
        "32",
        "256Gi",
        json!({"metadata": {"labels": {"topology.kubernetes.io/zone": zone}}}),
    )
}

/// A pod without requests, as `kubectl create deployment` makes, owned by `owner` (a
/// ReplicaSet's uid) unless that is empty.
fn replica(name: &str, owner: &str) -> Value {
    let mut pod = json!({
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"),
                     "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "x"}]}
    });
    if !owner.is_empty() {
        pod["metadata"]["ownerReferences"] = json!([{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "uid": owner,
            "controller": true}]);
    }
    pod
}

/// Schedules `count` replicas one after the other (each placed before the next), returns
/// pods per node.
fn place(snapshot: &mut Snapshot, owner: &str, count: usize) -> BTreeMap<String, usize> {
    let mut per_node = BTreeMap::new();
    for i in 0..count {
        let pod = info(replica(&format!("{owner}-new-{i}"), owner));
        let Ok(chosen) = schedule(&pod, snapshot) else { panic!("{} does not fit", pod.name) };
        *per_node.entry(chosen.clone()).or_insert(0) += 1;
        snapshot.add_pod(Arc::new(PodInfo { node_name: chosen, ..pod }));
    }
    per_node
}

struct Case {
    name: &'static str,
    nodes: Vec<Value>,
    /// Pods already there: (node, pod).
    existing: Vec<(&'static str, Value)>,
    owner: &'static str,
    count: usize,
    /// Pods per node expected; nodes not listed get none.
    want: Vec<(&'static str, usize)>,
}

#[test]
fn replicas_spread_over_identical_nodes() {
    let cases = vec![
        Case {
            name: "3 replicas on 3 empty nodes land on 3 nodes",
            nodes: vec![sim("n0"), sim("n1"), sim("n2")],
            existing: vec![],
            owner: "rs",
            count: 3,
            want: vec![("n0", 1), ("n1", 1), ("n2", 1)],
        },
        Case {
            name: "8 replicas on 4 empty nodes land 2 per node",
            nodes: vec![sim("n0"), sim("n1"), sim("n2"), sim("n3")],
            existing: vec![],
            owner: "rs",
            count: 8,
            want: vec![("n0", 2), ("n1", 2), ("n2", 2), ("n3", 2)],
        },
        Case {
            name: "only pods of the same owner crowd a node",
            nodes: vec![sim("n0"), sim("n1")],
            existing: vec![("n0", replica("other", "rs-old")), ("n1", replica("mine", "rs"))],
            owner: "rs",
            count: 1,
            want: vec![("n0", 2), ("n1", 1)],
        },
        Case {
            name: "the default zone constraint prefers the emptier zone",
            nodes: vec![zoned("a", "z1"), zoned("b", "z1"), zoned("c", "z2")],
            existing: vec![("a", replica("first", "rs"))],
            owner: "rs",
            count: 1,
            want: vec![("a", 1), ("c", 1)],
        },
        Case {
            name: "within one zone replicas spread by hostname",
            nodes: vec![zoned("a", "z1"), zoned("b", "z1"), zoned("c", "z1")],
            existing: vec![],
            owner: "rs",
            count: 3,
            want: vec![("a", 1), ("b", 1), ("c", 1)],
        },
    ];
    for case in cases {
        // The outcome must not depend on luck: try several tie-breaking sequences.
        for seed in 0..20 {
            let mut snapshot = snapshot(&case.nodes, &case.existing);
            snapshot.seed(seed);
            place(&mut snapshot, case.owner, case.count);
            let got: BTreeMap<String, usize> =
                snapshot.pods().fold(BTreeMap::new(), |mut acc, (node, _)| {
                    *acc.entry(node.name.clone()).or_insert(0) += 1;
                    acc
                });
            let want: BTreeMap<String, usize> =
                case.want.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect();
            assert_eq!(got, want, "case: {} (seed {seed})", case.name);
        }
    }
}

#[test]
fn ties_between_equal_nodes_are_broken_evenly() {
    let nodes: Vec<Value> = (0..4).map(|i| sim(&format!("n{i}"))).collect();
    let snapshot = snapshot(&nodes, &[]);
    let pod = info(replica("bare", ""));
    let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..400 {
        let chosen = schedule(&pod, &snapshot).expect("fits");
        *per_node.entry(chosen).or_insert(0) += 1;
    }
    assert_eq!(per_node.len(), 4, "{per_node:?}");
    assert!(per_node.values().all(|n| *n >= 60), "{per_node:?}");
}

#[test]
fn default_requests_count_for_scores_only() {
    let tiny = || node("tiny", "50m", "100Mi", json!({}));
    // A pod without requests fits a node smaller than the defaults: filters use real requests.
    let only_tiny = snapshot(&[tiny()], &[]);
    assert_eq!(schedule(&info(replica("p", "")), &only_tiny).as_deref(), Ok("tiny"));
    // Two pods without requests make a 1-core node look 20% full, so the empty one wins.
    let cases = [
        (vec![("a", replica("x", "")), ("a", replica("y", ""))], "b"),
        (vec![("b", replica("x", "")), ("b", replica("y", ""))], "a"),
    ];
    for (existing, want) in cases {
        let nodes = [node("a", "1", "2Gi", json!({})), node("b", "1", "2Gi", json!({}))];
        for seed in 0..10 {
            let mut snapshot = snapshot(&nodes, &existing);
            snapshot.seed(seed);
            assert_eq!(schedule(&info(replica("p", "")), &snapshot).as_deref(), Ok(want));
        }
    }
}

#[test]
fn spread_scores_normalise_like_kube_scheduler() {
    let cases: [(&[Option<i64>], &[i64]); 4] = [
        (&[Some(2), Some(2), Some(2)], &[100, 100, 100]),
        (&[Some(4), Some(2), Some(2)], &[50, 100, 100]),
        (&[Some(0), Some(0)], &[100, 100]),
        (&[Some(6), Some(3), None], &[50, 100, 0]),
    ];
    for (raws, want) in cases {
        assert_eq!(normalize(raws), want, "{raws:?}");
    }
}
