//! Table-driven tests of preemption: which node, which victims (lowest priority, fewest), and
//! the `preemption: …` sentence when nothing helps.

use serde_json::{Value, json};

use super::tests::{info, node, pod, snapshot};
use super::{preempt, schedule};

fn prio(name: &str, cpu: &str, priority: i32) -> Value {
    pod(name, cpu, "100Mi", json!({"spec": {"priority": priority}}))
}

struct Case {
    name: &'static str,
    nodes: Vec<Value>,
    pods: Vec<(&'static str, Value)>,
    pod: Value,
    /// Ok((node, victims)) or Err(the whole FailedScheduling message).
    want: Result<(&'static str, Vec<&'static str>), &'static str>,
}

fn run(cases: Vec<Case>) {
    for case in cases {
        let snapshot = snapshot(&case.nodes, &case.pods);
        let incoming = info(case.pod);
        let mut error = schedule(&incoming, &snapshot).expect_err(case.name);
        let got = match preempt(&incoming, &snapshot, &error) {
            Ok(p) => Ok((p.node, p.victims.into_iter().map(|v| v.name).collect::<Vec<_>>())),
            Err(post) => {
                error.postfilter = Some(post);
                Err(error.to_string())
            }
        };
        let want = case
            .want
            .map(|(n, v)| (n.to_owned(), v.into_iter().map(str::to_owned).collect()))
            .map_err(str::to_owned);
        assert_eq!(got, want, "case: {}", case.name);
    }
}

fn two() -> Vec<Value> {
    vec![node("a", "2", "4Gi", json!({})), node("b", "2", "4Gi", json!({}))]
}

#[test]
fn preemption_cases() {
    run(vec![
        Case {
            name: "the lowest priority pod goes, the more important one is reprieved",
            nodes: two(),
            pods: vec![
                ("a", prio("low", "1", 1)),
                ("a", prio("mid", "1", 5)),
                ("b", prio("high", "2", 100)),
            ],
            pod: prio("p", "1", 10),
            want: Ok(("a", vec!["low"])),
        },
        Case {
            name: "the node whose victims matter least",
            nodes: two(),
            pods: vec![("a", prio("five", "2", 5)), ("b", prio("one", "2", 1))],
            pod: prio("p", "1", 10),
            want: Ok(("b", vec!["one"])),
        },
        Case {
            name: "fewer victims for the same top priority",
            nodes: two(),
            pods: vec![
                ("a", prio("a1", "1", 1)),
                ("a", prio("a2", "1", 1)),
                ("b", prio("b1", "2", 1)),
            ],
            pod: prio("p", "2", 10),
            want: Ok(("b", vec!["b1"])),
        },
        Case {
            name: "several victims when one is not enough",
            nodes: vec![node("a", "3", "4Gi", json!({}))],
            pods: vec![
                ("a", prio("x", "1", 1)),
                ("a", prio("y", "1", 2)),
                ("a", prio("z", "1", 3)),
            ],
            pod: prio("p", "2", 10),
            want: Ok(("a", vec!["y", "x"])),
        },
        Case {
            name: "host ports are freed by preemption",
            nodes: vec![node("a", "2", "4Gi", json!({}))],
            pods: vec![(
                "a",
                pod(
                    "web",
                    "0",
                    "0",
                    json!({"spec": {"priority": 1, "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "hostPort": 80}]}]}}),
                ),
            )],
            pod: pod(
                "p",
                "0",
                "0",
                json!({"spec": {"priority": 2, "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "hostPort": 80}]}]}}),
            ),
            want: Ok(("a", vec!["web"])),
        },
        Case {
            name: "no lower priority pods anywhere",
            nodes: two(),
            pods: vec![("a", prio("x", "2", 10)), ("b", prio("y", "2", 10))],
            pod: prio("p", "1", 10),
            want: Err(
                "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
            ),
        },
        Case {
            name: "evicting cannot fix a taint",
            nodes: vec![
                node(
                    "a",
                    "2",
                    "4Gi",
                    json!({"spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}}),
                ),
                node("b", "2", "4Gi", json!({})),
            ],
            pods: vec![("b", prio("y", "2", 10))],
            pod: prio("p", "1", 10),
            want: Err(
                "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
            ),
        },
        Case {
            name: "still too big after every lower pod is gone",
            nodes: vec![node("a", "2", "4Gi", json!({}))],
            pods: vec![("a", prio("x", "1", 1))],
            pod: prio("p", "3", 10),
            want: Err(
                "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.",
            ),
        },
        Case {
            name: "preemptionPolicy Never",
            nodes: vec![node("a", "2", "4Gi", json!({}))],
            pods: vec![("a", prio("x", "2", 1))],
            pod: pod(
                "p",
                "1",
                "1Mi",
                json!({"spec": {"priority": 10, "preemptionPolicy": "Never"}}),
            ),
            want: Err(
                "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
            ),
        },
    ]);
}
