//! Table tests of [`resolve`]: each case is the claims, volumes and classes that exist, the
//! pod's volumes, and either the nodes the pod may go to or the message that keeps it pending.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use serde_json::{Value, json};

use super::{Lookup, resolve};
use crate::plan::selector::any_term_matches;

#[derive(Default)]
struct Fake {
    claims: HashMap<String, Arc<PersistentVolumeClaim>>,
    volumes: HashMap<String, Arc<PersistentVolume>>,
    classes: HashMap<String, Arc<StorageClass>>,
}

impl Lookup for Fake {
    fn claim(&self, namespace: &str, name: &str) -> Option<Arc<PersistentVolumeClaim>> {
        self.claims.get(&format!("{namespace}/{name}")).cloned()
    }
    fn volume(&self, name: &str) -> Option<Arc<PersistentVolume>> {
        self.volumes.get(name).cloned()
    }
    fn class(&self, name: &str) -> Option<Arc<StorageClass>> {
        self.classes.get(name).cloned()
    }
    fn default_class(&self) -> Option<Arc<StorageClass>> {
        self.classes.values().find(|c| super::is_default(c)).cloned()
    }
}

fn claim(name: &str, class: Option<&str>, volume: Option<&str>, extra: Value) -> Value {
    let mut claim = json!({"metadata": {"name": name, "namespace": "default"}, "spec": {}});
    if let Some(class) = class {
        claim["spec"]["storageClassName"] = json!(class);
    }
    if let Some(volume) = volume {
        claim["spec"]["volumeName"] = json!(volume);
    }
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            claim["metadata"][k] = v;
        }
    }
    claim
}

/// A volume pinned to `node` (or anywhere when None).
fn volume(name: &str, node: Option<&str>) -> Value {
    let mut pv = json!({"metadata": {"name": name}, "spec": {}});
    if let Some(node) = node {
        pv["spec"]["nodeAffinity"] = json!({"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}});
    }
    pv
}

fn class(name: &str, mode: &str, default: bool) -> Value {
    let annotations = if default {
        json!({"storageclass.kubernetes.io/is-default-class": "true"})
    } else {
        json!({})
    };
    json!({"metadata": {"name": name, "annotations": annotations}, "provisioner": "p", "volumeBindingMode": mode})
}

fn pod(volumes: Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "i"}], "volumes": volumes}
    }))
    .expect("pod json")
}

fn uses(claims: &[&str]) -> Value {
    claims
        .iter()
        .map(|c| json!({"name": format!("v-{c}"), "persistentVolumeClaim": {"claimName": c}}))
        .collect()
}

struct Case {
    name: &'static str,
    claims: Vec<Value>,
    volumes: Vec<Value>,
    classes: Vec<Value>,
    pod: Pod,
    /// The nodes (of n1, n2) the pod may use, or the message.
    want: Result<Vec<&'static str>, &'static str>,
}

#[test]
fn claims_decide_where_a_pod_may_go() {
    let wait = || class("local", "WaitForFirstConsumer", true);
    let cases = vec![
        Case {
            name: "no claims",
            claims: vec![],
            volumes: vec![],
            classes: vec![],
            pod: pod(json!([{"name": "e", "emptyDir": {}}])),
            want: Ok(vec!["n1", "n2"]),
        },
        Case {
            name: "a missing claim",
            claims: vec![],
            volumes: vec![],
            classes: vec![],
            pod: pod(uses(&["data"])),
            want: Err("persistentvolumeclaim \"data\" not found"),
        },
        Case {
            name: "a claim being deleted",
            claims: vec![claim(
                "data",
                Some("local"),
                Some("pv1"),
                json!({"deletionTimestamp": "2024-01-01T00:00:00Z"}),
            )],
            volumes: vec![volume("pv1", None)],
            classes: vec![],
            pod: pod(uses(&["data"])),
            want: Err("persistentvolumeclaim \"data\" is being deleted"),
        },
        Case {
            name: "a claim bound to a volume pinned to a node",
            claims: vec![claim("data", Some("local"), Some("pv1"), json!({}))],
            volumes: vec![volume("pv1", Some("n2"))],
            classes: vec![wait()],
            pod: pod(uses(&["data"])),
            want: Ok(vec!["n2"]),
        },
        Case {
            name: "two bound claims on different nodes leave no node",
            claims: vec![
                claim("a", Some("local"), Some("pv1"), json!({})),
                claim("b", Some("local"), Some("pv2"), json!({})),
            ],
            volumes: vec![volume("pv1", Some("n1")), volume("pv2", Some("n2"))],
            classes: vec![wait()],
            pod: pod(uses(&["a", "b"])),
            want: Ok(vec![]),
        },
        Case {
            name: "a bound volume without node affinity",
            claims: vec![claim("data", Some("nfs"), Some("pv1"), json!({}))],
            volumes: vec![volume("pv1", None)],
            classes: vec![],
            pod: pod(uses(&["data"])),
            want: Ok(vec!["n1", "n2"]),
        },
        Case {
            name: "a claim bound to a volume that is gone",
            claims: vec![claim("data", Some("nfs"), Some("pv1"), json!({}))],
            volumes: vec![],
            classes: vec![],
            pod: pod(uses(&["data"])),
            want: Err("persistentvolume \"pv1\" not found"),
        },
        Case {
            name: "an unbound WaitForFirstConsumer claim restricts nothing",
            claims: vec![claim("data", Some("local"), None, json!({}))],
            volumes: vec![],
            classes: vec![wait()],
            pod: pod(uses(&["data"])),
            want: Ok(vec!["n1", "n2"]),
        },
        Case {
            name: "a claim without class takes the default class's mode",
            claims: vec![claim("data", None, None, json!({}))],
            volumes: vec![],
            classes: vec![wait()],
            pod: pod(uses(&["data"])),
            want: Ok(vec!["n1", "n2"]),
        },
        Case {
            name: "an unbound Immediate claim",
            claims: vec![claim("data", Some("fast"), None, json!({}))],
            volumes: vec![],
            classes: vec![class("fast", "Immediate", false), wait()],
            pod: pod(uses(&["data"])),
            want: Err("pod has unbound immediate PersistentVolumeClaims"),
        },
        Case {
            name: "an unbound claim of no class binds immediately",
            claims: vec![claim("data", Some(""), None, json!({}))],
            volumes: vec![],
            classes: vec![wait()],
            pod: pod(uses(&["data"])),
            want: Err("pod has unbound immediate PersistentVolumeClaims"),
        },
        Case {
            name: "a generic ephemeral volume whose claim is not made yet",
            claims: vec![],
            volumes: vec![],
            classes: vec![wait()],
            pod: pod(
                json!([{"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}}]),
            ),
            want: Err(
                "waiting for ephemeral volume controller to create the persistentvolumeclaim \"p-scratch\"",
            ),
        },
    ];
    for case in cases {
        let mut fake = Fake::default();
        for c in case.claims {
            let c: PersistentVolumeClaim = serde_json::from_value(c).expect("claim json");
            let key = format!("default/{}", c.metadata.name.clone().unwrap_or_default());
            fake.claims.insert(key, Arc::new(c));
        }
        for v in case.volumes {
            let v: PersistentVolume = serde_json::from_value(v).expect("volume json");
            fake.volumes.insert(v.metadata.name.clone().unwrap_or_default(), Arc::new(v));
        }
        for c in case.classes {
            let c: StorageClass = serde_json::from_value(c).expect("class json");
            fake.classes.insert(c.metadata.name.clone().unwrap_or_default(), Arc::new(c));
        }
        let got = resolve(&case.pod, &fake).map(|terms| {
            ["n1", "n2"]
                .into_iter()
                .filter(|node| {
                    let labels =
                        BTreeMap::from([("kubernetes.io/hostname".to_owned(), node.to_string())]);
                    terms.iter().all(|t| any_term_matches(t, node, &labels))
                })
                .collect::<Vec<_>>()
        });
        assert_eq!(got, case.want.map_err(str::to_owned), "case: {}", case.name);
    }
}
