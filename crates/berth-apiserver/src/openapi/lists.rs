//! How fields merge, as Kubernetes publishes it in OpenAPI: `x-kubernetes-patch-strategy` and
//! `x-kubernetes-patch-merge-key` (kubectl reads them to compute client-side apply's strategic
//! merge patch) and `x-kubernetes-list-type`/`x-kubernetes-list-map-keys` (server-side apply).
//!
//! `k8s-openapi`'s schemas do not carry these, so [`FIELDS`] transcribes them from the struct
//! tags and `+listType` markers of `k8s.io/api` and `k8s.io/apimachinery` v0.33. Only fields with
//! a patch strategy or a `map`/`set` list type are listed: any other list is atomic, which is
//! also what a missing extension means. The server's own strategic merge uses
//! [`berth_api::patch::BuiltinPatchMeta`]; a test checks that the two agree.

use serde_json::{Map, Value, json};

/// The merge metadata of one field of one schema.
#[derive(Debug, Clone, Copy)]
pub(super) struct Field {
    pub schema: &'static str,
    pub property: &'static str,
    pub strategy: Option<&'static str>,
    pub merge_key: Option<&'static str>,
    pub list_type: Option<&'static str>,
    pub map_keys: &'static [&'static str],
}

const fn field(schema: &'static str, property: &'static str) -> Field {
    Field { schema, property, strategy: None, merge_key: None, list_type: None, map_keys: &[] }
}

impl Field {
    /// `patchStrategy:"merge"` with `patchMergeKey`.
    const fn merge(mut self, key: &'static str) -> Self {
        self.strategy = Some("merge");
        self.merge_key = Some(key);
        self
    }
    const fn strategy(mut self, strategy: &'static str) -> Self {
        self.strategy = Some(strategy);
        self
    }
    /// `+listType=map` with its `+listMapKey`s.
    const fn map(mut self, keys: &'static [&'static str]) -> Self {
        self.list_type = Some("map");
        self.map_keys = keys;
        self
    }
    const fn set(mut self) -> Self {
        self.list_type = Some("set");
        self
    }
    const fn atomic(mut self) -> Self {
        self.list_type = Some("atomic");
        self
    }
}

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const POD_SPEC: &str = "io.k8s.api.core.v1.PodSpec";
const POD_STATUS: &str = "io.k8s.api.core.v1.PodStatus";
const CONTAINER: &str = "io.k8s.api.core.v1.Container";
const EPHEMERAL: &str = "io.k8s.api.core.v1.EphemeralContainer";
const NAME: &[&str] = &["name"];
const TYPE: &[&str] = &["type"];

/// Every field with merge metadata, by schema.
#[rustfmt::skip]
pub(super) const FIELDS: &[Field] = &[
    field(META, "finalizers").strategy("merge").set(),
    field(META, "ownerReferences").merge("uid").map(&["uid"]),
    field(POD_SPEC, "containers").merge("name").map(NAME),
    field(POD_SPEC, "initContainers").merge("name").map(NAME),
    field(POD_SPEC, "ephemeralContainers").merge("name").map(NAME),
    field(POD_SPEC, "volumes").merge("name").strategy("merge,retainKeys").map(NAME),
    field(POD_SPEC, "imagePullSecrets").merge("name").map(NAME),
    field(POD_SPEC, "hostAliases").merge("ip").map(&["ip"]),
    field(POD_SPEC, "topologySpreadConstraints").merge("topologyKey").map(&["topologyKey", "whenUnsatisfiable"]),
    field(POD_SPEC, "schedulingGates").merge("name").map(NAME),
    field(POD_SPEC, "resourceClaims").merge("name").strategy("merge,retainKeys").map(NAME),
    field(CONTAINER, "ports").merge("containerPort").map(&["containerPort", "protocol"]),
    field(CONTAINER, "env").merge("name").map(NAME),
    field(CONTAINER, "volumeMounts").merge("mountPath").map(&["mountPath"]),
    field(CONTAINER, "volumeDevices").merge("devicePath").map(&["devicePath"]),
    field(EPHEMERAL, "ports").merge("containerPort").map(&["containerPort", "protocol"]),
    field(EPHEMERAL, "env").merge("name").map(NAME),
    field(EPHEMERAL, "volumeMounts").merge("mountPath").map(&["mountPath"]),
    field(EPHEMERAL, "volumeDevices").merge("devicePath").map(&["devicePath"]),
    field("io.k8s.api.core.v1.ResourceRequirements", "claims").map(NAME),
    field("io.k8s.api.core.v1.ContainerStatus", "volumeMounts").merge("mountPath").map(&["mountPath"]),
    field("io.k8s.api.core.v1.ContainerStatus", "allocatedResourcesStatus").merge("name").map(NAME),
    field("io.k8s.api.core.v1.ResourceStatus", "resources").map(&["resourceID"]),
    field(POD_STATUS, "conditions").merge("type").map(TYPE),
    field(POD_STATUS, "podIPs").merge("ip").map(&["ip"]),
    field(POD_STATUS, "hostIPs").merge("ip").atomic(),
    field(POD_STATUS, "resourceClaimStatuses").merge("name").strategy("merge,retainKeys").map(NAME),
    field("io.k8s.api.core.v1.ServiceSpec", "ports").merge("port").map(&["port", "protocol"]),
    field("io.k8s.api.core.v1.ServiceStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.core.v1.ServiceAccount", "secrets").merge("name").map(NAME),
    field("io.k8s.api.core.v1.NodeSpec", "podCIDRs").strategy("merge").set(),
    field("io.k8s.api.core.v1.NodeStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.core.v1.NodeStatus", "addresses").merge("type").map(TYPE),
    field("io.k8s.api.core.v1.NamespaceStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.core.v1.PersistentVolumeClaimStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.core.v1.ReplicationControllerStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.apps.v1.DeploymentSpec", "strategy").strategy("retainKeys"),
    field("io.k8s.api.apps.v1.DeploymentStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.apps.v1.ReplicaSetStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.apps.v1.StatefulSetStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.apps.v1.DaemonSetStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.batch.v1.JobStatus", "conditions").merge("type").atomic(),
    field("io.k8s.api.batch.v1.UncountedTerminatedPods", "succeeded").set(),
    field("io.k8s.api.batch.v1.UncountedTerminatedPods", "failed").set(),
    field("io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement", "values").set(),
    field("io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.policy.v1.PodDisruptionBudgetSpec", "selector").strategy("replace"),
    field("io.k8s.api.policy.v1.PodDisruptionBudgetStatus", "conditions").merge("type").map(TYPE),
    field("io.k8s.api.discovery.v1.Endpoint", "addresses").set(),
];

/// Writes the extensions of [`FIELDS`] into the property schemas of `schemas`, where kubectl
/// looks for them (on the property, not on its items).
pub(super) fn annotate(schemas: &mut Map<String, Value>) {
    for field in FIELDS {
        let Some(property) = schemas
            .get_mut(field.schema)
            .and_then(|s| s.get_mut("properties"))
            .and_then(|p| p.get_mut(field.property))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        if let Some(strategy) = field.strategy {
            property.insert("x-kubernetes-patch-strategy".into(), json!(strategy));
        }
        if let Some(key) = field.merge_key {
            property.insert("x-kubernetes-patch-merge-key".into(), json!(key));
        }
        if let Some(list_type) = field.list_type {
            property.insert("x-kubernetes-list-type".into(), json!(list_type));
        }
        if !field.map_keys.is_empty() {
            property.insert("x-kubernetes-list-map-keys".into(), json!(field.map_keys));
        }
    }
}
