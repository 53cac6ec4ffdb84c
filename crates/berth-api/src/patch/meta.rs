//! Patch metadata: how each list of an object merges under a strategic merge patch.
//!
//! Kubernetes keeps this in Go struct tags (`patchStrategy`, `patchMergeKey`) and publishes it
//! in OpenAPI as `x-kubernetes-patch-strategy` and `x-kubernetes-patch-merge-key`.
//! [`PatchMeta`] is the question the strategic merge asks; [`BuiltinPatchMeta`] answers it for
//! the built-in kinds from a table transcribed from `k8s.io/api` (core/v1, apps/v1, batch/v1)
//! and `ObjectMeta`. A list the table does not name is replaced whole, which is also what
//! Kubernetes does for lists without a patch strategy (`tolerations`, `resizePolicy`,
//! `containerStatuses`, ...).

/// How a list field merges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListStrategy {
    /// The patch list replaces the stored list (no `patchStrategy`, or `listType=atomic`).
    Replace,
    /// Elements are objects matched by the value of `key`: matching elements merge, new ones
    /// are added, `{"$patch": "delete", key: v}` removes one.
    Merge { key: &'static str },
    /// A set of scalars (`patchStrategy:"merge"` without a key, e.g. `finalizers`): the patch
    /// values are added unless present.
    MergePrimitive,
}

/// Answers, for a location inside an object, how the strategic merge patch treats it.
pub trait PatchMeta {
    /// How the list at `path` merges. `path` lists the map keys from the object root; list
    /// elements add no segment, so a Deployment's containers are at
    /// `["spec", "template", "spec", "containers"]` and their ports one key further.
    fn list_strategy(&self, path: &[&str]) -> ListStrategy;

    /// Whether the field at `path` (for a list, each of its elements) has the `retainKeys`
    /// strategy, e.g. a Deployment's `spec.strategy` or each volume in a pod's `volumes`.
    /// kubectl sends `$retainKeys` for such fields; the server honours the directive wherever
    /// it appears, as Kubernetes does, so applying a patch does not consult this.
    fn retain_keys(&self, path: &[&str]) -> bool {
        let _ = path;
        false
    }
}

/// Patch metadata of a built-in kind ("Pod", "Deployment", ...); a kind it does not know gets
/// only the `metadata` rules that every object shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinPatchMeta {
    kind: String,
}

impl BuiltinPatchMeta {
    pub fn for_kind(kind: &str) -> BuiltinPatchMeta {
        BuiltinPatchMeta { kind: kind.to_owned() }
    }

    /// Where this kind embeds a `PodSpec`.
    fn pod_specs(&self) -> &'static [&'static [&'static str]] {
        match self.kind.as_str() {
            "Pod" => &[&["spec"]],
            "PodTemplate" => &[&["template", "spec"]],
            "Deployment"
            | "ReplicaSet"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "ReplicationController" => &[&["spec", "template", "spec"]],
            "CronJob" => &[&["spec", "jobTemplate", "spec", "template", "spec"]],
            _ => &[],
        }
    }

    /// Objects (with their own `metadata`) this kind embeds: pod and PVC templates.
    fn embedded_objects(&self) -> &'static [&'static [&'static str]] {
        match self.kind.as_str() {
            "PodTemplate" => &[&["template"]],
            "Deployment" | "ReplicaSet" | "DaemonSet" | "Job" | "ReplicationController" => {
                &[&["spec", "template"]]
            }
            "StatefulSet" => &[&["spec", "template"], &["spec", "volumeClaimTemplates"]],
            "CronJob" => &[&["spec", "jobTemplate"], &["spec", "jobTemplate", "spec", "template"]],
            _ => &[],
        }
    }

    /// Lists of this kind outside pod specs and object metadata.
    fn kind_list(&self, path: &[&str]) -> Option<ListStrategy> {
        let by_type = Some(ListStrategy::Merge { key: "type" });
        match (self.kind.as_str(), path) {
            (
                "Pod"
                | "Node"
                | "Namespace"
                | "Service"
                | "PersistentVolumeClaim"
                | "ReplicationController"
                | "Deployment"
                | "ReplicaSet"
                | "StatefulSet"
                | "DaemonSet"
                | "Job",
                ["status", "conditions"],
            ) => by_type,
            ("ComponentStatus", ["conditions"]) => by_type,
            ("Pod", ["status", "podIPs" | "hostIPs"]) => Some(ListStrategy::Merge { key: "ip" }),
            ("Pod", ["status", "resourceClaimStatuses"]) => {
                Some(ListStrategy::Merge { key: "name" })
            }
            ("Node", ["status", "addresses"]) => by_type,
            ("Node", ["spec", "podCIDRs"]) => Some(ListStrategy::MergePrimitive),
            ("Service", ["spec", "ports"]) => Some(ListStrategy::Merge { key: "port" }),
            ("ServiceAccount", ["secrets"]) => Some(ListStrategy::Merge { key: "name" }),
            _ => None,
        }
    }
}

impl PatchMeta for BuiltinPatchMeta {
    fn list_strategy(&self, path: &[&str]) -> ListStrategy {
        let root: &[&str] = &[];
        for prefix in std::iter::once(root).chain(self.embedded_objects().iter().copied()) {
            if let Some(rest) = path.strip_prefix(prefix)
                && let Some(strategy) = object_meta_list(rest)
            {
                return strategy;
            }
        }
        for prefix in self.pod_specs() {
            if let Some(rest) = path.strip_prefix(*prefix)
                && let Some(strategy) = pod_spec_list(rest)
            {
                return strategy;
            }
        }
        self.kind_list(path).unwrap_or(ListStrategy::Replace)
    }

    fn retain_keys(&self, path: &[&str]) -> bool {
        let in_pod_spec = self.pod_specs().iter().any(|prefix| {
            path.strip_prefix(*prefix)
                .is_some_and(|rest| matches!(rest, ["volumes" | "resourceClaims"]))
        });
        in_pod_spec
            || matches!(
                (self.kind.as_str(), path),
                ("Deployment", ["spec", "strategy"]) | ("Pod", ["status", "resourceClaimStatuses"])
            )
    }
}

/// Lists of `ObjectMeta`, relative to the object that holds the `metadata`.
fn object_meta_list(path: &[&str]) -> Option<ListStrategy> {
    match path {
        ["metadata", "ownerReferences"] => Some(ListStrategy::Merge { key: "uid" }),
        ["metadata", "finalizers"] => Some(ListStrategy::MergePrimitive),
        _ => None,
    }
}

/// Lists of `PodSpec` and of its containers, relative to the pod spec.
fn pod_spec_list(path: &[&str]) -> Option<ListStrategy> {
    let key = match path {
        ["containers" | "initContainers" | "ephemeralContainers"] => "name",
        ["volumes" | "imagePullSecrets" | "schedulingGates" | "resourceClaims"] => "name",
        ["hostAliases"] => "ip",
        ["topologySpreadConstraints"] => "topologyKey",
        ["containers" | "initContainers" | "ephemeralContainers", field] => match *field {
            "ports" => "containerPort",
            "env" => "name",
            "volumeMounts" => "mountPath",
            "volumeDevices" => "devicePath",
            _ => return None,
        },
        _ => return None,
    };
    Some(ListStrategy::Merge { key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ListStrategy::{Merge, MergePrimitive, Replace};

    fn strategy(kind: &str, path: &str) -> ListStrategy {
        let path: Vec<&str> = path.split('.').collect();
        BuiltinPatchMeta::for_kind(kind).list_strategy(&path)
    }

    #[test]
    fn knows_the_lists_of_the_built_in_kinds() {
        let cases = [
            ("Pod", "metadata.ownerReferences", Merge { key: "uid" }),
            ("Widget", "metadata.ownerReferences", Merge { key: "uid" }),
            ("ConfigMap", "metadata.finalizers", MergePrimitive),
            ("Pod", "spec.containers", Merge { key: "name" }),
            ("Pod", "spec.initContainers", Merge { key: "name" }),
            ("Pod", "spec.ephemeralContainers", Merge { key: "name" }),
            ("Pod", "spec.volumes", Merge { key: "name" }),
            ("Pod", "spec.imagePullSecrets", Merge { key: "name" }),
            ("Pod", "spec.hostAliases", Merge { key: "ip" }),
            ("Pod", "spec.topologySpreadConstraints", Merge { key: "topologyKey" }),
            ("Pod", "spec.tolerations", Replace),
            ("Pod", "spec.containers.ports", Merge { key: "containerPort" }),
            ("Pod", "spec.containers.env", Merge { key: "name" }),
            ("Pod", "spec.initContainers.volumeMounts", Merge { key: "mountPath" }),
            ("Pod", "spec.containers.volumeDevices", Merge { key: "devicePath" }),
            ("Pod", "spec.containers.resizePolicy", Replace),
            ("Pod", "spec.containers.args", Replace),
            ("Pod", "status.conditions", Merge { key: "type" }),
            ("Pod", "status.containerStatuses", Replace),
            ("Pod", "status.podIPs", Merge { key: "ip" }),
            ("Deployment", "spec.template.spec.containers", Merge { key: "name" }),
            ("Deployment", "spec.template.spec.containers.ports", Merge { key: "containerPort" }),
            ("Deployment", "spec.template.metadata.finalizers", MergePrimitive),
            ("Deployment", "spec.containers", Replace),
            ("Deployment", "status.conditions", Merge { key: "type" }),
            ("ReplicaSet", "status.conditions", Merge { key: "type" }),
            ("StatefulSet", "spec.template.spec.volumes", Merge { key: "name" }),
            (
                "StatefulSet",
                "spec.volumeClaimTemplates.metadata.ownerReferences",
                Merge { key: "uid" },
            ),
            ("DaemonSet", "spec.template.spec.containers.env", Merge { key: "name" }),
            ("Job", "spec.template.spec.containers", Merge { key: "name" }),
            ("CronJob", "spec.jobTemplate.spec.template.spec.containers", Merge { key: "name" }),
            ("CronJob", "spec.template.spec.containers", Replace),
            ("Service", "spec.ports", Merge { key: "port" }),
            ("Service", "spec.containers", Replace),
            ("Node", "status.conditions", Merge { key: "type" }),
            ("Node", "status.addresses", Merge { key: "type" }),
            ("Node", "spec.podCIDRs", MergePrimitive),
            ("Namespace", "spec.finalizers", Replace),
            ("Namespace", "status.conditions", Merge { key: "type" }),
            ("ConfigMap", "status.conditions", Replace),
            ("Secret", "spec.containers", Replace),
        ];
        for (kind, path, expected) in cases {
            assert_eq!(strategy(kind, path), expected, "{kind} {path}");
        }
    }

    #[test]
    fn knows_the_retain_keys_fields() {
        let retains =
            |kind: &str, path: &[&str]| BuiltinPatchMeta::for_kind(kind).retain_keys(path);
        assert!(retains("Deployment", &["spec", "strategy"]));
        assert!(retains("Deployment", &["spec", "template", "spec", "volumes"]));
        assert!(retains("Pod", &["spec", "volumes"]));
        assert!(!retains("Pod", &["spec", "containers"]));
        assert!(!retains("StatefulSet", &["spec", "strategy"]));
        assert!(!retains("ConfigMap", &["data"]));
    }
}
