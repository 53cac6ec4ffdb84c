//! Tests of the Node objects the simulator writes.

use k8s_openapi::api::core::v1::{Node, Taint};
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

use super::*;

fn sim(index: usize) -> SimNode {
    SimNode { name: format!("sim-node-{index}"), index }
}

fn taint(key: &str, effect: &str) -> Taint {
    Taint { key: key.into(), effect: effect.into(), ..Taint::default() }
}

#[test]
fn node_object_has_standard_and_extra_labels_range_and_taints() {
    let mut config = Config::default();
    config.labels.insert("zone".into(), "a".into());
    config.labels.insert("type".into(), "big".into());
    config.taints.push(taint("gpu", "NoSchedule"));
    let node = node_object(&config, &sim(5));
    let labels = node.metadata.labels.expect("labels");
    assert_eq!(labels["kubernetes.io/hostname"], "sim-node-5");
    assert_eq!(labels["kubernetes.io/os"], "linux");
    assert_eq!(labels["kubernetes.io/arch"], "amd64");
    assert_eq!(labels["node.kubernetes.io/instance-type"], "berth-sim");
    assert_eq!(labels["zone"], "a");
    assert_eq!(labels["type"], "big", "configured labels win");
    let spec = node.spec.expect("spec");
    assert_eq!(spec.pod_cidr.as_deref(), Some("198.18.5.0/24"));
    assert_eq!(spec.taints, Some(vec![taint("gpu", "NoSchedule")]));
}

#[test]
fn status_is_ready_with_capacity_and_keeps_transition_times() {
    let config = Config::default();
    let first: Timestamp = "2025-01-01T00:00:00Z".parse().expect("time");
    let later: Timestamp = "2025-01-01T00:05:00Z".parse().expect("time");
    let status = node_status(&config, &sim(0), None, first);
    let kinds: Vec<_> =
        status.conditions.iter().flatten().map(|c| (c.type_.as_str(), c.status.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("Ready", "True"),
            ("MemoryPressure", "False"),
            ("DiskPressure", "False"),
            ("PIDPressure", "False")
        ]
    );
    let capacity = status.capacity.as_ref().expect("capacity");
    assert_eq!(capacity["cpu"].0, "32");
    assert_eq!(capacity["memory"].0, "256Gi");
    assert_eq!(capacity["pods"].0, "110");
    assert_eq!(status.allocatable, status.capacity);
    let addresses = status.addresses.as_ref().expect("addresses");
    assert_eq!(
        (addresses[0].type_.as_str(), addresses[0].address.as_str()),
        ("InternalIP", "192.0.2.1")
    );

    let again = node_status(&config, &sim(0), Some(&status), later);
    let ready = again.conditions.iter().flatten().find(|c| c.type_ == "Ready").expect("ready");
    assert_eq!(ready.last_transition_time.as_ref().map(|t| t.0), Some(first));
    assert_eq!(ready.last_heartbeat_time.as_ref().map(|t| t.0), Some(later));
}

#[test]
fn status_after_unknown_moves_the_transition_time() {
    let config = Config::default();
    let later: Timestamp = "2025-01-01T00:05:00Z".parse().expect("time");
    let unknown: NodeStatus = serde_json::from_value(json!({"conditions": [
        {"type": "Ready", "status": "Unknown", "lastTransitionTime": "2025-01-01T00:01:00Z"}]}))
    .expect("status");
    let status = node_status(&config, &sim(0), Some(&unknown), later);
    let ready = status.conditions.iter().flatten().find(|c| c.type_ == "Ready").expect("ready");
    assert_eq!(ready.last_transition_time.as_ref().map(|t| t.0), Some(later));
}

#[test]
fn adopting_adds_ours_and_keeps_theirs() {
    let mut config = Config::default();
    config.taints.push(taint("gpu", "NoSchedule"));
    let existing: Node = serde_json::from_value(json!({
        "metadata": {"name": "sim-node-0", "labels": {"team": "x"}},
        "spec": {"podCIDR": "10.0.0.0/24", "taints": [
            {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
            {"key": "gpu", "effect": "NoSchedule"}]},
    }))
    .expect("node");
    let adopted = adopt(&config, &sim(0), existing);
    let labels = adopted.metadata.labels.expect("labels");
    assert_eq!(labels["team"], "x");
    assert_eq!(labels["type"], "sim");
    let spec = adopted.spec.expect("spec");
    assert_eq!(spec.pod_cidr.as_deref(), Some("10.0.0.0/24"), "an assigned range stays");
    let keys: Vec<_> = spec.taints.iter().flatten().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["node.kubernetes.io/unreachable", "gpu"]);
}
