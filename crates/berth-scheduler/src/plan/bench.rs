//! Throughput of the pure plan: 10,000 pods onto 5,000 nodes, each placed pod added to the
//! snapshot as the driver does. Run with
//! `cargo test --release -p berth-scheduler plan::bench -- --ignored --nocapture`.

use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::api::core::v1::Node;
use serde_json::json;

use super::model::{NodeInfo, PodInfo};
use super::tests::{info, node, pod};
use super::{Snapshot, schedule};

/// Schedules `pods` pods onto `nodes` nodes; returns how many were placed and pods per second.
/// With `owner` the pods belong to one ReplicaSet, so the default spreading scores them.
pub fn pods_per_second(nodes: usize, pods: usize, owner: bool) -> (usize, f64) {
    let mut snapshot = Snapshot::new();
    for i in 0..nodes {
        let zone = format!("zone-{}", i % 3);
        let value = node(
            &format!("node-{i}"),
            "32",
            "128Gi",
            json!({"metadata": {"labels": {"zone": zone}}}),
        );
        let node: Node = serde_json::from_value(value).expect("node json");
        snapshot.set_node(NodeInfo::from_node(&node));
    }
    let mut template =
        info(pod("p", "100m", "128Mi", json!({"metadata": {"labels": {"app": "bench"}}})));
    if owner {
        template.spread_owner = "replicaset-uid".to_owned();
    }
    let start = Instant::now();
    let mut placed = 0;
    for i in 0..pods {
        let incoming = PodInfo { name: format!("p{i}"), ..template.clone() };
        let Ok(chosen) = schedule(&incoming, &snapshot) else { continue };
        snapshot.add_pod(Arc::new(PodInfo { node_name: chosen, ..incoming }));
        placed += 1;
    }
    (placed, pods as f64 / start.elapsed().as_secs_f64())
}

#[test]
#[ignore = "a benchmark: run in release with --ignored --nocapture"]
fn schedule_10000_pods_on_5000_nodes() {
    let (placed, rate) = pods_per_second(5000, 10_000, false);
    println!("plan: {rate:.0} pods/s (10,000 bare pods, 5,000 nodes)");
    assert_eq!(placed, 10_000);
    let (placed, rate) = pods_per_second(5000, 10_000, true);
    println!("plan: {rate:.0} pods/s (10,000 pods of one ReplicaSet, 5,000 nodes)");
    assert_eq!(placed, 10_000);
}

#[test]
fn every_pod_of_the_small_benchmark_is_placed() {
    assert_eq!(pods_per_second(200, 400, false).0, 400);
    assert_eq!(pods_per_second(200, 400, true).0, 400);
}
