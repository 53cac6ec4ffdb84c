//! Table-driven tests of what holds room on a node beyond the pods bound there and of the
//! scores other pods give: ephemeral storage and extended resources, pods nominated by
//! preemption, existing pods' affinity terms (symmetry), and claims that rule out every node.

use std::sync::Arc;

use serde_json::{Value, json};

use super::model::PodInfo;
use super::tests::{info, node, pod, snapshot};
use super::{Snapshot, preempt, schedule};

/// A pod with one container requesting `requests` (a JSON map of resource → quantity).
fn asking(name: &str, requests: Value, extra: Value) -> Value {
    let mut p = pod(name, "100m", "100Mi", extra);
    p["spec"]["containers"][0]["resources"]["requests"] = requests;
    p
}

/// A 4-core node offering `extra` allocatable resources besides cpu, memory and pods.
fn offering(name: &str, allocatable: Value) -> Value {
    node(name, "4", "8Gi", json!({"status": {"allocatable": allocatable}}))
}

struct Case {
    name: &'static str,
    snapshot: Snapshot,
    pod: PodInfo,
    /// Ok(node) or Err(the whole message, with preemption's sentence).
    want: Result<&'static str, &'static str>,
}

fn run(cases: Vec<Case>) {
    for case in cases {
        let got = schedule(&case.pod, &case.snapshot).map_err(|mut error| {
            error.postfilter = preempt(&case.pod, &case.snapshot, &error).err();
            error.to_string()
        });
        assert_eq!(got, case.want.map(str::to_owned).map_err(str::to_owned), "case: {}", case.name);
    }
}

#[test]
fn ephemeral_storage_and_extended_resources_are_filtered() {
    let disk = |gi: &str| json!({"ephemeral-storage": gi});
    let gpus = |n: &str| json!({"example.com/gpu": n});
    run(vec![
        Case {
            name: "ephemeral storage already used counts",
            snapshot: snapshot(
                &[offering("a", disk("10Gi")), offering("b", disk("100Gi"))],
                &[("a", asking("x", json!({"ephemeral-storage": "8Gi"}), json!({})))],
            ),
            pod: info(asking("p", json!({"ephemeral-storage": "5Gi"}), json!({}))),
            want: Ok("b"),
        },
        Case {
            name: "no node has the ephemeral storage",
            snapshot: snapshot(&[offering("a", disk("1Gi")), offering("b", json!({}))], &[]),
            pod: info(asking("p", json!({"ephemeral-storage": "5Gi"}), json!({}))),
            want: Err(
                "0/2 nodes are available: 2 Insufficient ephemeral-storage. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
            ),
        },
        Case {
            name: "an extended resource goes to the node that lists it",
            snapshot: snapshot(&[offering("a", json!({})), offering("b", gpus("2"))], &[]),
            pod: info(asking("p", gpus("1"), json!({}))),
            want: Ok("b"),
        },
        Case {
            name: "extended resources in use and absent",
            snapshot: snapshot(
                &[offering("a", json!({})), offering("b", gpus("1"))],
                &[("b", asking("x", gpus("1"), json!({})))],
            ),
            pod: info(asking("p", gpus("1"), json!({}))),
            want: Err(
                "0/2 nodes are available: 2 Insufficient example.com/gpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
            ),
        },
        Case {
            name: "a limit alone is the request, and several names are checked",
            snapshot: snapshot(
                &[offering("a", json!({"example.com/gpu": "1", "hugepages-2Mi": "1Gi"}))],
                &[],
            ),
            pod: info({
                let mut p = asking("p", json!({"hugepages-2Mi": "2Gi"}), json!({}));
                p["spec"]["containers"][0]["resources"]["limits"] = gpus("1");
                p
            }),
            want: Err(
                "0/1 nodes are available: 1 Insufficient hugepages-2Mi. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
            ),
        },
    ]);
}

/// Nodes a and b (4 cores); b has 3 cores used; a pod of priority 10 asking 3 cores is
/// nominated to a.
fn nominated() -> Snapshot {
    let mut snapshot = snapshot(
        &[node("a", "4", "8Gi", json!({})), node("b", "4", "8Gi", json!({}))],
        &[("b", pod("busy", "3", "100Mi", json!({"spec": {"priority": 100}})))],
    );
    let preemptor = info(pod("pre", "3", "100Mi", json!({"spec": {"priority": 10}})));
    snapshot.nominate(Arc::new(PodInfo { nominated_node: "a".to_owned(), ..preemptor }));
    snapshot
}

fn wanting(name: &str, cpu: &str, priority: i32) -> PodInfo {
    info(pod(name, cpu, "100Mi", json!({"spec": {"priority": priority}})))
}

#[test]
fn nominated_pods_hold_their_room() {
    run(vec![
        Case {
            name: "a lower priority pod does not take the nominated pod's room",
            snapshot: nominated(),
            pod: wanting("p", "2", 0),
            want: Err(
                "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
            ),
        },
        Case {
            name: "nor does one of equal priority",
            snapshot: nominated(),
            pod: wanting("p", "2", 10),
            want: Err(
                "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
            ),
        },
        Case {
            name: "a higher priority pod may take it",
            snapshot: nominated(),
            pod: wanting("p", "2", 50),
            want: Ok("a"),
        },
        Case {
            name: "what the nomination leaves is free",
            snapshot: nominated(),
            pod: wanting("p", "1", 0),
            want: Ok("a"),
        },
        Case {
            name: "the nominated pod itself fits its node",
            snapshot: nominated(),
            pod: PodInfo { nominated_node: "a".to_owned(), ..wanting("pre", "3", 10) },
            want: Ok("a"),
        },
        Case {
            name: "a withdrawn nomination frees the room",
            snapshot: {
                let mut snapshot = nominated();
                snapshot.unnominate("default/pre");
                snapshot
            },
            pod: wanting("p", "2", 0),
            want: Ok("a"),
        },
    ]);
}

fn zoned(name: &str, zone: &str) -> Value {
    node(name, "4", "8Gi", json!({"metadata": {"labels": {"zone": zone}}}))
}

/// A pod on node c whose own affinity of `kind` (required, or preferred with weight 100)
/// selects app=web pods in its zone.
fn attracting(kind: &str, required: bool) -> Snapshot {
    let term = json!({"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"});
    let terms = if required {
        json!({"requiredDuringSchedulingIgnoredDuringExecution": [term]})
    } else {
        json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]})
    };
    let existing = pod("db", "100m", "100Mi", json!({"spec": {"affinity": {kind: terms}}}));
    snapshot(&[zoned("a", "z1"), zoned("c", "z2")], &[("c", existing)])
}

#[test]
fn existing_pods_affinity_terms_score_incoming_pods() {
    let web = || info(pod("web", "100m", "100Mi", json!({"metadata": {"labels": {"app": "web"}}})));
    let other = || info(pod("x", "100m", "100Mi", json!({"metadata": {"labels": {"app": "x"}}})));
    run(vec![
        Case {
            name: "an existing pod's preferred affinity draws the pod it selects",
            snapshot: attracting("podAffinity", false),
            pod: web(),
            want: Ok("c"),
        },
        Case {
            name: "an existing pod's required affinity draws it too",
            snapshot: attracting("podAffinity", true),
            pod: web(),
            want: Ok("c"),
        },
        Case {
            name: "an existing pod's preferred anti-affinity pushes it away",
            snapshot: attracting("podAntiAffinity", false),
            pod: web(),
            want: Ok("a"),
        },
        Case {
            name: "pods the terms do not select are not drawn",
            snapshot: attracting("podAffinity", false),
            pod: other(),
            want: Ok("a"),
        },
    ]);
}

#[test]
fn claims_that_rule_out_every_node() {
    let three = || {
        snapshot(
            &[
                node("a", "4", "8Gi", json!({})),
                node("b", "4", "8Gi", json!({})),
                node("c", "4", "8Gi", json!({})),
            ],
            &[],
        )
    };
    let with = |message: &str| PodInfo {
        volume_error: Some(message.to_owned()),
        ..info(pod("p", "100m", "100Mi", json!({})))
    };
    run(vec![
        Case {
            name: "a missing claim",
            snapshot: three(),
            pod: with("persistentvolumeclaim \"data\" not found"),
            want: Err(
                "0/3 nodes are available: persistentvolumeclaim \"data\" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
            ),
        },
        Case {
            name: "an unbound immediate claim",
            snapshot: three(),
            pod: with("pod has unbound immediate PersistentVolumeClaims"),
            want: Err(
                "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
            ),
        },
    ]);
}
