//! Table-driven tests of the filters and scores that look beyond one node: inter-pod
//! (anti-)affinity, topology spread, volume node affinity, and the scores choosing a node.

use serde_json::{Value, json};

use super::model::PodInfo;
use super::schedule;
use super::selector::{NodeTerm, Requirement};
use super::tests::{info, node, pod, snapshot};

fn zoned(name: &str, zone: &str) -> Value {
    node(name, "4", "8Gi", json!({"metadata": {"labels": {"zone": zone}}}))
}

fn labelled(name: &str, labels: Value, extra: Value) -> Value {
    let mut p = pod(name, "100m", "100Mi", extra);
    p["metadata"]["labels"] = labels;
    p
}

fn term(app: &str, key: &str) -> Value {
    json!({"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key})
}

fn pod_affinity(kind: &str, terms: Value) -> Value {
    json!({"spec": {"affinity": {kind: {"requiredDuringSchedulingIgnoredDuringExecution": terms}}}})
}

fn spread(skew: i32, key: &str, when: &str) -> Value {
    json!({"spec": {"topologySpreadConstraints": [
        {"maxSkew": skew, "topologyKey": key, "whenUnsatisfiable": when, "labelSelector": {"matchLabels": {"app": "web"}}}]}})
}

struct Case {
    name: &'static str,
    nodes: Vec<Value>,
    pods: Vec<(&'static str, Value)>,
    pod: PodInfo,
    want: Result<&'static str, &'static str>,
}

fn run(cases: Vec<Case>) {
    for case in cases {
        let snapshot = snapshot(&case.nodes, &case.pods);
        let got = schedule(&case.pod, &snapshot).map_err(|e| e.to_string());
        assert_eq!(got, case.want.map(str::to_owned).map_err(str::to_owned), "case: {}", case.name);
    }
}

fn zones() -> Vec<Value> {
    vec![zoned("a", "z1"), zoned("b", "z1"), zoned("c", "z2")]
}

#[test]
fn inter_pod_affinity_spread_and_volumes() {
    let web = || json!({"app": "web"});
    let db = |name: &str| labelled(name, json!({"app": "db"}), json!({}));
    let webs = |name: &str| labelled(name, web(), json!({}));
    run(vec![
        Case {
            name: "affinity follows the matching pod's zone",
            nodes: zones(),
            pods: vec![("c", db("db"))],
            pod: info(labelled(
                "p",
                web(),
                pod_affinity("podAffinity", json!([term("db", "zone")])),
            )),
            want: Ok("c"),
        },
        Case {
            name: "affinity to nothing that exists fails",
            nodes: zones(),
            pods: vec![],
            pod: info(labelled(
                "p",
                web(),
                pod_affinity("podAffinity", json!([term("db", "zone")])),
            )),
            want: Err("0/3 nodes are available: 3 node(s) didn't match pod affinity rules."),
        },
        Case {
            name: "the first pod of a group that selects itself goes anywhere",
            nodes: vec![zoned("a", "z1")],
            pods: vec![],
            pod: info(labelled(
                "p",
                web(),
                pod_affinity("podAffinity", json!([term("web", "zone")])),
            )),
            want: Ok("a"),
        },
        Case {
            name: "affinity only counts pods in the term's namespaces",
            nodes: zones(),
            pods: vec![("c", {
                let mut p = db("db");
                p["metadata"]["namespace"] = json!("other");
                p
            })],
            pod: info(labelled(
                "p",
                web(),
                pod_affinity("podAffinity", json!([term("db", "zone")])),
            )),
            want: Err("0/3 nodes are available: 3 node(s) didn't match pod affinity rules."),
        },
        Case {
            name: "anti-affinity by hostname avoids nodes with a matching pod",
            nodes: zones(),
            pods: vec![("a", webs("w1")), ("c", webs("w2"))],
            pod: info(labelled(
                "p",
                web(),
                pod_affinity("podAntiAffinity", json!([term("web", "kubernetes.io/hostname")])),
            )),
            want: Ok("b"),
        },
        Case {
            name: "anti-affinity by zone everywhere",
            nodes: zones(),
            pods: vec![("a", webs("w1")), ("c", webs("w2"))],
            pod: info(labelled(
                "p",
                web(),
                pod_affinity("podAntiAffinity", json!([term("web", "zone")])),
            )),
            want: Err("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."),
        },
        Case {
            name: "existing pods' anti-affinity keeps the incoming pod out of their zone",
            nodes: zones(),
            pods: vec![(
                "a",
                labelled(
                    "guard",
                    json!({"app": "guard"}),
                    pod_affinity("podAntiAffinity", json!([term("web", "zone")])),
                ),
            )],
            pod: info(webs("p")),
            want: Ok("c"),
        },
        Case {
            name: "existing pods' anti-affinity everywhere",
            nodes: vec![zoned("a", "z1")],
            pods: vec![(
                "a",
                labelled(
                    "guard",
                    json!({"app": "guard"}),
                    pod_affinity("podAntiAffinity", json!([term("web", "zone")])),
                ),
            )],
            pod: info(webs("p")),
            want: Err(
                "0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules.",
            ),
        },
        Case {
            name: "topology spread puts the pod in the emptier zone",
            nodes: zones(),
            pods: vec![("a", webs("w1")), ("b", webs("w2"))],
            pod: info(labelled("p", web(), spread(1, "zone", "DoNotSchedule"))),
            want: Ok("c"),
        },
        Case {
            name: "topology spread with skew already at the limit",
            nodes: vec![
                zoned("a", "z1"),
                node(
                    "c",
                    "4",
                    "8Gi",
                    json!({"metadata": {"labels": {"zone": "z2"}},
                "spec": {"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]}}),
                ),
            ],
            pods: vec![("a", webs("w1")), ("a", webs("w2"))],
            pod: info(labelled("p", web(), spread(1, "zone", "DoNotSchedule"))),
            want: Err(
                "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) had untolerated taint {k: v}.",
            ),
        },
        Case {
            name: "domains outside the pod's node selector do not count for the skew",
            nodes: vec![zoned("a", "z1"), zoned("c", "z2")],
            pods: vec![("a", webs("w1")), ("a", webs("w2"))],
            pod: info(labelled("p", web(), {
                let mut s = spread(1, "zone", "DoNotSchedule");
                s["spec"]["nodeSelector"] = json!({"zone": "z1"});
                s
            })),
            want: Ok("a"),
        },
        Case {
            name: "topology spread needs the key on the node",
            nodes: vec![node("bare", "4", "8Gi", json!({}))],
            pods: vec![],
            pod: info(labelled("p", web(), spread(1, "zone", "DoNotSchedule"))),
            want: Err(
                "0/1 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label).",
            ),
        },
        Case {
            name: "ScheduleAnyway prefers the emptier zone without filtering",
            nodes: zones(),
            pods: vec![("a", webs("w1")), ("b", webs("w2"))],
            pod: info(labelled("p", web(), spread(1, "zone", "ScheduleAnyway"))),
            want: Ok("c"),
        },
        Case {
            name: "volume node affinity",
            nodes: zones(),
            pods: vec![],
            pod: PodInfo {
                volume_terms: vec![vec![NodeTerm {
                    expressions: vec![Requirement::new("zone", "In", &["z2"])],
                    fields: vec![],
                }]],
                ..info(pod("p", "100m", "1Mi", json!({})))
            },
            want: Ok("c"),
        },
        Case {
            name: "volume node affinity conflict",
            nodes: zones(),
            pods: vec![],
            pod: PodInfo {
                volume_terms: vec![vec![NodeTerm {
                    expressions: vec![Requirement::new("zone", "In", &["z9"])],
                    fields: vec![],
                }]],
                ..info(pod("p", "100m", "1Mi", json!({})))
            },
            want: Err("0/3 nodes are available: 3 node(s) had volume node affinity conflict."),
        },
    ]);
}

#[test]
fn scores_choose_the_better_node() {
    let small = || pod("x", "1", "1Gi", json!({}));
    run(vec![
        Case {
            name: "least allocated picks the emptier node",
            nodes: vec![node("a", "4", "8Gi", json!({})), node("b", "4", "8Gi", json!({}))],
            pods: vec![("a", small())],
            pod: info(pod("p", "1", "1Gi", json!({}))),
            want: Ok("b"),
        },
        Case {
            name: "the bigger node is emptier",
            nodes: vec![node("a", "2", "2Gi", json!({})), node("b", "16", "32Gi", json!({}))],
            pods: vec![],
            pod: info(pod("p", "1", "1Gi", json!({}))),
            want: Ok("b"),
        },
        Case {
            name: "balanced allocation avoids lopsided nodes",
            nodes: vec![node("a", "4", "4Gi", json!({})), node("b", "4", "4Gi", json!({}))],
            pods: vec![
                ("a", pod("x", "2", "100Mi", json!({}))),
                ("b", pod("y", "1", "1Gi", json!({}))),
            ],
            pod: info(pod("p", "1", "1Gi", json!({}))),
            want: Ok("b"),
        },
        Case {
            name: "preferred node affinity",
            nodes: vec![
                node("a", "4", "8Gi", json!({})),
                node("b", "4", "8Gi", json!({"metadata": {"labels": {"disk": "ssd"}}})),
            ],
            pods: vec![],
            pod: info(pod(
                "p",
                "1",
                "1Gi",
                json!({"spec": {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 50, "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}}]}}}}),
            )),
            want: Ok("b"),
        },
        Case {
            name: "PreferNoSchedule taints are avoided",
            nodes: vec![
                node(
                    "a",
                    "4",
                    "8Gi",
                    json!({"spec": {"taints": [{"key": "k", "effect": "PreferNoSchedule"}]}}),
                ),
                node("b", "4", "8Gi", json!({})),
            ],
            pods: vec![],
            pod: info(pod("p", "1", "1Gi", json!({}))),
            want: Ok("b"),
        },
        Case {
            name: "preferred pod affinity",
            nodes: zones(),
            pods: vec![("c", labelled("db", json!({"app": "db"}), json!({})))],
            pod: info(pod(
                "p",
                "100m",
                "100Mi",
                json!({"spec": {"affinity": {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": term("db", "zone")}]}}}}),
            )),
            want: Ok("c"),
        },
        Case {
            name: "preferred pod anti-affinity",
            nodes: vec![zoned("a", "z1"), zoned("c", "z2")],
            pods: vec![("c", labelled("db", json!({"app": "db"}), json!({})))],
            pod: info(pod(
                "p",
                "100m",
                "100Mi",
                json!({"spec": {"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": term("db", "zone")}]}}}}),
            )),
            want: Ok("a"),
        },
    ]);
}
