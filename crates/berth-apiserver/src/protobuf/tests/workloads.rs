//! The storage and workload objects typed clients write: claims, volumes, storage classes,
//! and the objects of the apps/v1 controllers.

use k8s_pb::api::storage::v1 as storage;
use k8s_pb::apimachinery::pkg::runtime::RawExtension;

use super::typed::{decode_as, selector};
use super::*;

fn claim_spec(class: Option<&str>) -> core::PersistentVolumeClaimSpec {
    core::PersistentVolumeClaimSpec {
        access_modes: vec!["ReadWriteOnce".into()],
        resources: Some(core::VolumeResourceRequirements {
            requests: BTreeMap::from([("storage".into(), quantity("1Gi"))]),
            limits: BTreeMap::new(),
        }),
        volume_name: Some(String::new()),
        storage_class_name: class.map(str::to_owned),
        ..Default::default()
    }
}

/// Claims, volumes (with the inlined volume source) and storage classes.
#[test]
fn storage_objects() {
    let claim = core::PersistentVolumeClaim {
        metadata: Some(object_meta("data", &[])),
        spec: Some(claim_spec(Some(""))),
        status: Some(core::PersistentVolumeClaimStatus {
            phase: Some(String::new()),
            ..Default::default()
        }),
    };
    let object = decode_as("v1", "PersistentVolumeClaim", "persistentvolumeclaims", &claim);
    assert_eq!(
        object["spec"],
        json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
               "storageClassName": ""}),
        "an empty class name pointer means no class and stays"
    );
    let volume = core::PersistentVolume {
        metadata: Some(object_meta("pv1", &[])),
        spec: Some(core::PersistentVolumeSpec {
            capacity: BTreeMap::from([("storage".into(), quantity("5Gi"))]),
            persistent_volume_source: Some(core::PersistentVolumeSource {
                host_path: Some(core::HostPathVolumeSource {
                    path: Some("/data".into()),
                    r#type: Some(String::new()),
                }),
                ..Default::default()
            }),
            access_modes: vec!["ReadWriteOnce".into()],
            persistent_volume_reclaim_policy: Some("Retain".into()),
            storage_class_name: Some("slow".into()),
            node_affinity: Some(core::VolumeNodeAffinity {
                required: Some(core::NodeSelector {
                    node_selector_terms: vec![core::NodeSelectorTerm {
                        match_expressions: vec![core::NodeSelectorRequirement {
                            key: Some("kubernetes.io/hostname".into()),
                            operator: Some("In".into()),
                            values: vec!["n1".into()],
                        }],
                        match_fields: vec![],
                    }],
                }),
            }),
            ..Default::default()
        }),
        status: None,
    };
    let object = decode_as("v1", "PersistentVolume", "persistentvolumes", &volume);
    assert_eq!(
        object["spec"],
        json!({"capacity": {"storage": "5Gi"}, "hostPath": {"path": "/data", "type": ""},
               "accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Retain",
               "storageClassName": "slow",
               "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                   {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n1"]}]}]}}})
    );
    let class = storage::StorageClass {
        metadata: Some(object_meta("fast", &[])),
        provisioner: Some("example.com/disk".into()),
        parameters: BTreeMap::from([("type".into(), "ssd".into())]),
        reclaim_policy: Some("Delete".into()),
        allow_volume_expansion: Some(false),
        volume_binding_mode: Some("WaitForFirstConsumer".into()),
        ..Default::default()
    };
    let object = decode_as("storage.k8s.io/v1", "StorageClass", "storageclasses", &class);
    assert_eq!(
        object,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "fast"}, "provisioner": "example.com/disk",
               "parameters": {"type": "ssd"}, "reclaimPolicy": "Delete",
               "allowVolumeExpansion": false, "volumeBindingMode": "WaitForFirstConsumer"})
    );
}

fn template() -> core::PodTemplateSpec {
    pod_template(&[("app", "db")], pod_spec(vec![container("db", "postgres:17")]))
}

const TEMPLATE: &str = r#"{"metadata": {"labels": {"app": "db"}},
                           "spec": {"containers": [{"name": "db", "image": "postgres:17",
                                                    "resources": {}}]}}"#;

/// The workload controllers' objects written by operators and `kubectl apply`'s typed peers.
#[test]
fn replica_sets_stateful_sets_daemon_sets_and_revisions() {
    let template_json: Value = serde_json::from_str(TEMPLATE).expect("JSON");
    let set = apps::ReplicaSet {
        metadata: Some(object_meta("web-1", &[])),
        spec: Some(apps::ReplicaSetSpec {
            replicas: Some(0),
            selector: Some(selector("app", "db")),
            template: Some(template()),
            min_ready_seconds: Some(0),
        }),
        status: Some(apps::ReplicaSetStatus { replicas: Some(0), ..Default::default() }),
    };
    let object = decode_as("apps/v1", "ReplicaSet", "replicasets", &set);
    assert_eq!(
        object["spec"],
        json!({"replicas": 0, "selector": {"matchLabels": {"app": "db"}}, "template": template_json})
    );
    let stateful = apps::StatefulSet {
        metadata: Some(object_meta("db", &[])),
        spec: Some(apps::StatefulSetSpec {
            replicas: Some(3),
            selector: Some(selector("app", "db")),
            template: Some(template()),
            volume_claim_templates: vec![core::PersistentVolumeClaim {
                metadata: Some(object_meta("data", &[])),
                spec: Some(claim_spec(None)),
                status: None,
            }],
            service_name: Some("db".into()),
            pod_management_policy: Some("Parallel".into()),
            update_strategy: Some(apps::StatefulSetUpdateStrategy {
                r#type: Some("RollingUpdate".into()),
                rolling_update: Some(apps::RollingUpdateStatefulSetStrategy {
                    partition: Some(0),
                    max_unavailable: None,
                }),
            }),
            min_ready_seconds: Some(0),
            persistent_volume_claim_retention_policy: Some(
                apps::StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: Some("Retain".into()),
                    when_scaled: Some("Delete".into()),
                },
            ),
            ordinals: Some(apps::StatefulSetOrdinals { start: Some(1) }),
            ..Default::default()
        }),
        status: None,
    };
    let object = decode_as("apps/v1", "StatefulSet", "statefulsets", &stateful);
    assert_eq!(
        object["spec"],
        json!({"replicas": 3, "selector": {"matchLabels": {"app": "db"}}, "template": template_json,
               "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                   "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}],
               "serviceName": "db", "podManagementPolicy": "Parallel",
               "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
               "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Delete"},
               "ordinals": {"start": 1}})
    );
    let daemon = apps::DaemonSet {
        metadata: Some(object_meta("agent", &[])),
        spec: Some(apps::DaemonSetSpec {
            selector: Some(selector("app", "db")),
            template: Some(template()),
            update_strategy: Some(apps::DaemonSetUpdateStrategy {
                r#type: Some("RollingUpdate".into()),
                rolling_update: Some(apps::RollingUpdateDaemonSet {
                    max_unavailable: Some(int(1)),
                    max_surge: Some(int(0)),
                }),
            }),
            min_ready_seconds: Some(0),
            revision_history_limit: Some(10),
        }),
        status: Some(apps::DaemonSetStatus { number_ready: Some(2), ..Default::default() }),
    };
    let object = decode_as("apps/v1", "DaemonSet", "daemonsets", &daemon);
    assert_eq!(
        object["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
    );
    assert_eq!(object["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(object["status"], json!({"numberReady": 2}));
    let revision = apps::ControllerRevision {
        metadata: Some(object_meta("agent-5d8", &[])),
        data: Some(RawExtension { raw: Some(br#"{"spec":{"template":{"x":1}}}"#.to_vec()) }),
        revision: Some(2),
    };
    let object = decode_as("apps/v1", "ControllerRevision", "controllerrevisions", &revision);
    assert_eq!(object["data"], json!({"spec": {"template": {"x": 1}}}), "embedded JSON");
    assert_eq!(object["revision"], 2);
}
