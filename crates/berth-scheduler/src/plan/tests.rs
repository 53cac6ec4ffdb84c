//! Table-driven tests of the filters, the scores and the failure messages: each case is a set
//! of nodes, the pods already on them, the incoming pod, and the node or message expected.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::{Value, json};

use super::model::{NodeInfo, PodInfo};
use super::{Snapshot, nodes_to_find, schedule};

/// A ready node with `cpu` cores, `gib` GiB and 110 pods; `extra` is merged into it.
pub fn node(name: &str, cpu: &str, memory: &str, extra: Value) -> Value {
    let mut node = json!({
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {},
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}]
        }
    });
    merge(&mut node, extra);
    node
}

/// A pod with one container requesting `cpu` and `memory`; `extra` is merged into it.
pub fn pod(name: &str, cpu: &str, memory: &str, extra: Value) -> Value {
    let mut pod = json!({
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}")},
        "spec": {"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": cpu, "memory": memory}}}]}
    });
    merge(&mut pod, extra);
    pod
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, value) => *slot = value,
    }
}

pub fn info(pod: Value) -> PodInfo {
    let pod: Pod = serde_json::from_value(pod).expect("pod json");
    PodInfo::from_pod(&pod)
}

/// Nodes and the existing pods as `(node, pod)`.
pub fn snapshot(nodes: &[Value], pods: &[(&str, Value)]) -> Snapshot {
    let mut snapshot = Snapshot::new();
    for node in nodes {
        let node: Node = serde_json::from_value(node.clone()).expect("node json");
        snapshot.set_node(NodeInfo::from_node(&node));
    }
    for (node, pod) in pods {
        let mut info = info(pod.clone());
        info.node_name = (*node).to_owned();
        snapshot.add_pod(Arc::new(info));
    }
    snapshot
}

struct Case {
    name: &'static str,
    nodes: Vec<Value>,
    pods: Vec<(&'static str, Value)>,
    pod: Value,
    /// Ok(node) or Err(message).
    want: Result<&'static str, &'static str>,
}

fn run(cases: Vec<Case>) {
    for case in cases {
        let snapshot = snapshot(&case.nodes, &case.pods);
        let got = schedule(&info(case.pod), &snapshot).map_err(|e| e.to_string());
        let want = case.want.map(str::to_owned).map_err(str::to_owned);
        assert_eq!(got, want, "case: {}", case.name);
    }
}

fn three(extra_c: Value) -> Vec<Value> {
    vec![
        node("a", "1", "4Gi", json!({})),
        node("b", "1", "4Gi", json!({})),
        node("c", "4", "4Gi", extra_c),
    ]
}

fn taint(key: &str, value: &str, effect: &str) -> Value {
    json!({"spec": {"taints": [{"key": key, "value": value, "effect": effect}]}})
}

fn required(expressions: Value) -> Value {
    json!({"spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
        {"nodeSelectorTerms": [expressions]}}}}})
}

#[test]
fn filters_and_their_messages() {
    let cpu2 = || pod("p", "2", "1Gi", json!({}));
    run(vec![
        Case {
            name: "insufficient cpu and an untolerated taint",
            nodes: three(taint("dedicated", "gpu", "NoSchedule")),
            pods: vec![],
            pod: cpu2(),
            want: Err(
                "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu.",
            ),
        },
        Case {
            name: "a tolerated taint lets the pod in",
            nodes: three(taint("dedicated", "gpu", "NoSchedule")),
            pods: vec![],
            pod: pod(
                "p",
                "2",
                "1Gi",
                json!({"spec": {"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]}}),
            ),
            want: Ok("c"),
        },
        Case {
            name: "an Exists toleration without key tolerates NoExecute",
            nodes: three(taint("x", "y", "NoExecute")),
            pods: vec![],
            pod: pod("p", "2", "1Gi", json!({"spec": {"tolerations": [{"operator": "Exists"}]}})),
            want: Ok("c"),
        },
        Case {
            name: "PreferNoSchedule does not filter",
            nodes: three(taint("x", "y", "PreferNoSchedule")),
            pods: vec![],
            pod: cpu2(),
            want: Ok("c"),
        },
        Case {
            name: "memory, pods and cpu together",
            nodes: vec![
                node("a", "1", "1Gi", json!({})),
                node("b", "4", "8Gi", json!({"status": {"allocatable": {"pods": "1"}}})),
            ],
            pods: vec![("b", pod("old", "0", "0", json!({})))],
            pod: pod("p", "2", "2Gi", json!({})),
            want: Err(
                "0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods.",
            ),
        },
        Case {
            name: "requests of pods already there count",
            nodes: vec![node("a", "4", "4Gi", json!({})), node("b", "4", "4Gi", json!({}))],
            pods: vec![("a", pod("x", "3", "1Gi", json!({})))],
            pod: cpu2(),
            want: Ok("b"),
        },
        Case {
            name: "the largest init container and the overhead count",
            nodes: vec![node("a", "2", "4Gi", json!({}))],
            pods: vec![],
            pod: pod(
                "p",
                "1",
                "1Gi",
                json!({"spec": {
                "initContainers": [{"name": "i", "image": "i", "resources": {"requests": {"cpu": "1500m"}}}],
                "overhead": {"cpu": "600m"}}}),
            ),
            want: Err("0/1 nodes are available: 1 Insufficient cpu."),
        },
        Case {
            name: "spec.nodeName",
            nodes: three(json!({})),
            pods: vec![],
            pod: pod("p", "100m", "1Mi", json!({"spec": {"nodeName": "b"}})),
            want: Ok("b"),
        },
        Case {
            name: "nodeSelector",
            nodes: three(json!({"metadata": {"labels": {"disk": "ssd"}}})),
            pods: vec![],
            pod: pod("p", "100m", "1Mi", json!({"spec": {"nodeSelector": {"disk": "hdd"}}})),
            want: Err(
                "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
            ),
        },
        Case {
            name: "node affinity In",
            nodes: three(json!({"metadata": {"labels": {"zone": "z1"}}})),
            pods: vec![],
            pod: pod(
                "p",
                "100m",
                "1Mi",
                required(
                    json!({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1", "z2"]}]}),
                ),
            ),
            want: Ok("c"),
        },
        Case {
            name: "node affinity NotIn and DoesNotExist",
            nodes: vec![
                node("a", "1", "1Gi", json!({"metadata": {"labels": {"zone": "z1"}}})),
                node("b", "1", "1Gi", json!({"metadata": {"labels": {"zone": "z2", "gpu": "1"}}})),
                node("c", "1", "1Gi", json!({"metadata": {"labels": {"zone": "z3"}}})),
            ],
            pods: vec![],
            pod: pod(
                "p",
                "100m",
                "1Mi",
                required(json!({"matchExpressions": [
                {"key": "zone", "operator": "NotIn", "values": ["z1"]},
                {"key": "gpu", "operator": "DoesNotExist"}]})),
            ),
            want: Ok("c"),
        },
        Case {
            name: "node affinity Exists, Gt and Lt",
            nodes: vec![
                node("a", "1", "1Gi", json!({"metadata": {"labels": {"cores": "8"}}})),
                node("b", "1", "1Gi", json!({"metadata": {"labels": {"cores": "32"}}})),
                node("c", "1", "1Gi", json!({"metadata": {"labels": {"cores": "64"}}})),
            ],
            pods: vec![],
            pod: pod(
                "p",
                "100m",
                "1Mi",
                required(json!({"matchExpressions": [
                {"key": "cores", "operator": "Exists"},
                {"key": "cores", "operator": "Gt", "values": ["16"]},
                {"key": "cores", "operator": "Lt", "values": ["48"]}]})),
            ),
            want: Ok("b"),
        },
        Case {
            name: "matchFields on metadata.name",
            nodes: three(json!({})),
            pods: vec![],
            pod: pod(
                "p",
                "100m",
                "1Mi",
                required(
                    json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]}),
                ),
            ),
            want: Ok("a"),
        },
        Case {
            name: "cordoned nodes",
            nodes: vec![
                node("a", "1", "1Gi", json!({"spec": {"unschedulable": true}})),
                node("b", "1", "1Gi", json!({"spec": {"unschedulable": true}})),
            ],
            pods: vec![],
            pod: pod("p", "100m", "1Mi", json!({})),
            want: Err("0/2 nodes are available: 2 node(s) were unschedulable."),
        },
        Case {
            name: "the unschedulable toleration passes a cordon",
            nodes: vec![node("a", "1", "1Gi", json!({"spec": {"unschedulable": true}}))],
            pods: vec![],
            pod: pod(
                "p",
                "100m",
                "1Mi",
                json!({"spec": {"tolerations": [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]}}),
            ),
            want: Ok("a"),
        },
        Case {
            name: "a node that is not ready carries the not-ready taint",
            nodes: vec![node(
                "a",
                "1",
                "1Gi",
                json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}),
            )],
            pods: vec![],
            pod: pod("p", "100m", "1Mi", json!({})),
            want: Err(
                "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.",
            ),
        },
        Case {
            name: "host ports",
            nodes: vec![node("a", "1", "1Gi", json!({})), node("b", "1", "1Gi", json!({}))],
            pods: vec![(
                "a",
                pod(
                    "web",
                    "0",
                    "0",
                    json!({"spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "hostPort": 8080}]}]}}),
                ),
            )],
            pod: pod(
                "p",
                "0",
                "0",
                json!({"spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "hostPort": 8080}]}]}}),
            ),
            want: Ok("b"),
        },
        Case {
            name: "host ports taken everywhere",
            nodes: vec![node("a", "1", "1Gi", json!({}))],
            pods: vec![(
                "a",
                pod(
                    "web",
                    "0",
                    "0",
                    json!({"spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}]}]}}),
                ),
            )],
            pod: pod(
                "p",
                "0",
                "0",
                json!({"spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "hostPort": 8080}]}]}}),
            ),
            want: Err(
                "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.",
            ),
        },
        Case {
            name: "a different protocol on the same host port fits",
            nodes: vec![node("a", "1", "1Gi", json!({}))],
            pods: vec![(
                "a",
                pod(
                    "web",
                    "0",
                    "0",
                    json!({"spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 53, "hostPort": 53, "protocol": "UDP"}]}]}}),
                ),
            )],
            pod: pod(
                "p",
                "0",
                "0",
                json!({"spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 53, "hostPort": 53}]}]}}),
            ),
            want: Ok("a"),
        },
        Case {
            name: "no nodes at all",
            nodes: vec![],
            pods: vec![],
            pod: pod("p", "0", "0", json!({})),
            want: Err("no nodes available to schedule pods"),
        },
    ]);
}

#[test]
fn reasons_are_sorted_as_strings_like_kubernetes() {
    let mut nodes: Vec<Value> =
        (0..10).map(|i| node(&format!("small{i}"), "1", "1Gi", json!({}))).collect();
    nodes.push(node("t1", "8", "8Gi", taint("a", "b", "NoSchedule")));
    nodes.push(node("t2", "8", "8Gi", taint("a", "b", "NoSchedule")));
    let snapshot = snapshot(&nodes, &[]);
    let error =
        schedule(&info(pod("p", "2", "1Gi", json!({}))), &snapshot).expect_err("nothing fits");
    assert_eq!(
        error.to_string(),
        "0/12 nodes are available: 10 Insufficient cpu, 2 node(s) had untolerated taint {a: b}."
    );
}

#[test]
fn sample_size_follows_percentage_of_nodes_to_score() {
    for (nodes, want) in
        [(50, 50), (100, 100), (200, 100), (1000, 420), (5000, 500), (6000, 300), (20000, 1000)]
    {
        assert_eq!(nodes_to_find(nodes, 0), want, "{nodes} nodes");
    }
    assert_eq!(nodes_to_find(1000, 20), 200);
}

#[test]
fn the_start_index_rotates_between_pods() {
    let nodes: Vec<Value> =
        (0..200).map(|i| node(&format!("n{i:03}"), "4", "8Gi", json!({}))).collect();
    let snapshot = snapshot(&nodes, &[]);
    let p = info(pod("p", "100m", "100Mi", json!({})));
    // 200 nodes: each pod looks at 100 of them, the next pod at the next 100.
    let first = schedule(&p, &snapshot).expect("fits");
    let second = schedule(&p, &snapshot).expect("fits");
    assert!(first.as_str() < "n100", "{first}");
    assert!(second.as_str() >= "n100", "{second}");
}
