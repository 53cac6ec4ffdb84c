//! Table tests of the binder's plan: volume matching, pre-bound volumes, WaitForFirstConsumer
//! and reclaiming.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim};
use k8s_openapi::api::storage::v1::StorageClass;
use serde_json::{Value, json};

use super::plan::{DEFAULT_CLASS, SELECTED_NODE, Step, World, matches, plan};

fn volume(name: &str, extra: Value) -> PersistentVolume {
    let mut value = json!({
        "metadata": {"name": name, "labels": {"tier": "fast"}},
        "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce", "ReadOnlyMany"],
                 "storageClassName": "manual", "persistentVolumeReclaimPolicy": "Retain"},
        "status": {"phase": "Available"}
    });
    merge(&mut value, extra);
    serde_json::from_value(value).expect("a volume")
}

fn claim(name: &str, extra: Value) -> PersistentVolumeClaim {
    let mut value = json!({
        "metadata": {"name": name, "namespace": "ns", "uid": format!("uid-{name}")},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}},
                 "storageClassName": "manual"},
        "status": {"phase": "Pending"}
    });
    merge(&mut value, extra);
    serde_json::from_value(value).expect("a claim")
}

fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(base), Value::Object(extra)) => {
            for (k, v) in extra {
                merge(base.entry(k).or_insert(Value::Null), v);
            }
        }
        (base, extra) => *base = extra,
    }
}

fn node(name: &str) -> Node {
    serde_json::from_value(
        json!({"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}}),
    )
    .expect("a node")
}

fn pinned(node: &str) -> Value {
    json!({"spec": {"nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}}})
}

#[test]
fn volume_matching() {
    let n1 = node("n1");
    type Case<'a> =
        (&'a str, PersistentVolume, PersistentVolumeClaim, Option<Option<&'a Node>>, bool);
    let cases: Vec<Case> = vec![
        ("fits", volume("v", json!({})), claim("c", json!({})), None, true),
        (
            "too small",
            volume("v", json!({"spec": {"capacity": {"storage": "1Gi"}}})),
            claim("c", json!({})),
            None,
            false,
        ),
        (
            "exactly the request",
            volume("v", json!({"spec": {"capacity": {"storage": "5Gi"}}})),
            claim("c", json!({})),
            None,
            true,
        ),
        (
            "another class",
            volume("v", json!({"spec": {"storageClassName": "fast"}})),
            claim("c", json!({})),
            None,
            false,
        ),
        (
            "missing access mode",
            volume("v", json!({"spec": {"accessModes": ["ReadOnlyMany"]}})),
            claim("c", json!({})),
            None,
            false,
        ),
        (
            "block vs filesystem",
            volume("v", json!({"spec": {"volumeMode": "Block"}})),
            claim("c", json!({})),
            None,
            false,
        ),
        (
            "selector matches",
            volume("v", json!({})),
            claim("c", json!({"spec": {"selector": {"matchLabels": {"tier": "fast"}}}})),
            None,
            true,
        ),
        (
            "selector misses",
            volume("v", json!({})),
            claim("c", json!({"spec": {"selector": {"matchLabels": {"tier": "slow"}}}})),
            None,
            false,
        ),
        (
            "already claimed",
            volume("v", json!({"spec": {"claimRef": {"name": "x", "namespace": "ns"}}})),
            claim("c", json!({})),
            None,
            false,
        ),
        (
            "released",
            volume("v", json!({"status": {"phase": "Released"}})),
            claim("c", json!({})),
            None,
            false,
        ),
        (
            "pinned to the chosen node",
            volume("v", pinned("n1")),
            claim("c", json!({})),
            Some(Some(&n1)),
            true,
        ),
        (
            "pinned elsewhere",
            volume("v", pinned("n2")),
            claim("c", json!({})),
            Some(Some(&n1)),
            false,
        ),
        (
            "pinned, node unknown",
            volume("v", pinned("n1")),
            claim("c", json!({})),
            Some(None),
            false,
        ),
    ];
    for (name, v, c, node, want) in cases {
        assert_eq!(matches(&v, &c, "manual", node), want, "{name}");
    }
}

fn wffc(name: &str, default: bool) -> StorageClass {
    serde_json::from_value(json!({
        "metadata": {"name": name, "annotations": {DEFAULT_CLASS: default.to_string()}},
        "provisioner": "berth.dev/local-path", "volumeBindingMode": "WaitForFirstConsumer"
    }))
    .expect("a class")
}

fn key(name: &str) -> (String, String) {
    ("ns".to_owned(), name.to_owned())
}

#[test]
fn binding_steps() {
    let small = volume("small", json!({"spec": {"capacity": {"storage": "6Gi"}}}));
    let big = volume("big", json!({}));
    let c = claim("c", json!({}));
    let world = World { claims: vec![&c], volumes: vec![&big, &small], ..World::default() };
    assert_eq!(
        plan(&world),
        vec![Step::Bind { claim: key("c"), volume: "small".into() }],
        "the smallest fit"
    );

    let prebound = volume(
        "pre",
        json!({"spec": {"claimRef": {"name": "c", "namespace": "ns"}}, "status": {"phase": "Available"}}),
    );
    let world = World { claims: vec![&c], volumes: vec![&small, &prebound], ..World::default() };
    assert_eq!(
        plan(&world),
        vec![Step::Bind { claim: key("c"), volume: "pre".into() }],
        "a pre-bound volume first"
    );

    let c2 = claim("c2", json!({}));
    let world = World { claims: vec![&c, &c2], volumes: vec![&small], ..World::default() };
    assert_eq!(
        plan(&world),
        vec![Step::Bind { claim: key("c"), volume: "small".into() }],
        "one volume, one claim"
    );

    let half = claim("h", json!({"spec": {"volumeName": "small"}}));
    let world = World { claims: vec![&half], volumes: vec![&small], ..World::default() };
    assert_eq!(
        plan(&world),
        vec![Step::Bind { claim: key("h"), volume: "small".into() }],
        "completes a half bind"
    );
}

#[test]
fn wait_for_first_consumer() {
    let class = wffc("local-path", true);
    let n1 = node("n1");
    let c = claim("c", json!({"spec": {"storageClassName": "local-path"}}));
    let here = volume("here", json!({"spec": {"storageClassName": "local-path"}}));
    let mut here_pinned = here.clone();
    merge_into(&mut here_pinned, pinned("n1"));
    let unscheduled = World {
        claims: vec![&c],
        volumes: vec![&here_pinned],
        classes: vec![&class],
        nodes: vec![&n1],
        ..World::default()
    };
    assert_eq!(plan(&unscheduled), vec![], "waits for a consumer");
    let scheduled =
        World { consumers: BTreeMap::from([(key("c"), "n1".to_owned())]), ..unscheduled };
    assert_eq!(
        plan(&scheduled),
        vec![
            Step::SelectNode { claim: key("c"), node: "n1".into() },
            Step::Bind { claim: key("c"), volume: "here".into() },
        ]
    );
    let annotated = claim(
        "c",
        json!({"metadata": {"annotations": {SELECTED_NODE: "n1"}}, "spec": {"storageClassName": "local-path"}}),
    );
    let world = World {
        claims: vec![&annotated],
        consumers: BTreeMap::from([(key("c"), "n1".to_owned())]),
        classes: vec![&class],
        ..World::default()
    };
    assert_eq!(plan(&world), vec![], "nothing matches: left to the provisioner");

    let classless = claim("d", json!({"spec": {"storageClassName": null}}));
    let world = World { claims: vec![&classless], classes: vec![&class], ..World::default() };
    assert_eq!(
        plan(&world),
        vec![Step::SetClass { claim: key("d"), class: "local-path".into() }],
        "the default class"
    );
}

fn merge_into(volume: &mut PersistentVolume, extra: Value) {
    let mut value = serde_json::to_value(&*volume).expect("json");
    merge(&mut value, extra);
    *volume = serde_json::from_value(value).expect("a volume");
}

#[test]
fn reclaiming() {
    let gone = |policy: &str| {
        volume(
            "v",
            json!({"spec": {"persistentVolumeReclaimPolicy": policy,
            "claimRef": {"name": "c", "namespace": "ns", "uid": "uid-c"}}, "status": {"phase": "Bound"}}),
        )
    };
    let (delete, retain) = (gone("Delete"), gone("Retain"));
    let world = World { volumes: vec![&delete], ..World::default() };
    assert_eq!(plan(&world), vec![Step::Reclaim { volume: "v".into(), delete: true }]);
    let world = World { volumes: vec![&retain], ..World::default() };
    assert_eq!(plan(&world), vec![Step::Reclaim { volume: "v".into(), delete: false }]);
    let c = claim("c", json!({"spec": {"volumeName": "v"}, "status": {"phase": "Bound"}}));
    let world = World { claims: vec![&c], volumes: vec![&retain], ..World::default() };
    assert_eq!(plan(&world), vec![], "a live claim keeps its volume");
    let recreated = claim("c", json!({"metadata": {"uid": "other"}}));
    let world = World { claims: vec![&recreated], volumes: vec![&retain], ..World::default() };
    assert_eq!(
        plan(&world),
        vec![Step::Reclaim { volume: "v".into(), delete: false }],
        "same name, new claim"
    );
    let fresh = volume("f", json!({"status": {"phase": "Pending"}}));
    let world = World { volumes: vec![&fresh], ..World::default() };
    assert_eq!(plan(&world), vec![Step::Available { volume: "f".into() }]);
    let lost = claim("l", json!({"spec": {"volumeName": "nowhere"}, "status": {"phase": "Bound"}}));
    let world = World { claims: vec![&lost], ..World::default() };
    assert_eq!(plan(&world), vec![Step::Lost { claim: key("l") }]);
}
