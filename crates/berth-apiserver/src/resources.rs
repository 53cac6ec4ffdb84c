//! The built-in resources the API server serves: one line each in [`BUILTINS`].
//!
//! Discovery, URL routing and storage keys all come from this table, so adding a built-in
//! resource is adding one line here. Custom resources get a [`ResourceDef`] of the same shape
//! from their definition ([`crate::crds`]), with [`ResourceDef::custom`] set.

/// A subresource reached as `…/{name}/{subresource}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sub {
    Status,
    Scale,
    Binding,
    Eviction,
    Log,
    Exec,
    Attach,
    PortForward,
    Finalize,
    Token,
}

impl Sub {
    pub fn name(self) -> &'static str {
        match self {
            Sub::Status => "status",
            Sub::Scale => "scale",
            Sub::Binding => "binding",
            Sub::Eviction => "eviction",
            Sub::Log => "log",
            Sub::Exec => "exec",
            Sub::Attach => "attach",
            Sub::PortForward => "portforward",
            Sub::Finalize => "finalize",
            Sub::Token => "token",
        }
    }

    /// The group, version and kind a subresource answers with, when not the parent's.
    pub fn response_kind(self) -> Option<(&'static str, &'static str, &'static str)> {
        match self {
            Sub::Scale => Some(("autoscaling", "v1", "Scale")),
            Sub::Binding => Some(("", "v1", "Binding")),
            Sub::Eviction => Some(("policy", "v1", "Eviction")),
            Sub::Exec => Some(("", "v1", "PodExecOptions")),
            Sub::Attach => Some(("", "v1", "PodAttachOptions")),
            Sub::PortForward => Some(("", "v1", "PodPortForwardOptions")),
            Sub::Token => Some(("authentication.k8s.io", "v1", "TokenRequest")),
            Sub::Status | Sub::Log | Sub::Finalize => None,
        }
    }

    pub fn verbs(self) -> &'static [&'static str] {
        match self {
            Sub::Status | Sub::Scale => &["get", "patch", "update"],
            Sub::Binding | Sub::Eviction | Sub::Token => &["create"],
            Sub::Log => &["get"],
            Sub::Exec | Sub::Attach | Sub::PortForward => &["create", "get"],
            Sub::Finalize => &["update"],
        }
    }
}

/// One resource type: where it lives in the API and how discovery describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceDef {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub subresources: &'static [Sub],
    /// What a CustomResourceDefinition adds; `None` for the built-in resources.
    pub custom: Option<&'static crate::crds::Custom>,
}

/// The verbs every built-in collection supports.
pub const VERBS: &[&str] =
    &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];

const fn res(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
) -> ResourceDef {
    ResourceDef {
        group,
        version,
        kind,
        plural,
        singular,
        namespaced,
        short_names: NONE,
        categories: NONE,
        subresources: &[],
        custom: None,
    }
}

impl ResourceDef {
    const fn short(mut self, names: &'static [&'static str]) -> Self {
        self.short_names = names;
        self
    }
    const fn all(mut self) -> Self {
        self.categories = ALL;
        self
    }
    const fn subs(mut self, subs: &'static [Sub]) -> Self {
        self.subresources = subs;
        self
    }

    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps`, or `pods` for the core group: how error messages name a resource.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn has(&self, sub: Sub) -> bool {
        self.subresources.contains(&sub)
    }

    /// The `apiVersion` objects of this resource are stored with: a custom resource's storage
    /// version, whichever version the request named.
    pub fn storage_api_version(&self) -> String {
        match self.custom {
            Some(custom) if custom.storage_version != self.version => {
                format!("{}/{}", self.group, custom.storage_version)
            }
            _ => self.api_version(),
        }
    }

    /// The storage prefix of this resource; every version of a group shares it.
    pub fn storage_prefix(&self) -> String {
        storage_prefix(self.group, self.plural)
    }
}

/// `/registry/<group>/<plural>/`, with `core` for the core group.
pub fn storage_prefix(group: &str, plural: &str) -> String {
    let group = if group.is_empty() { "core" } else { group };
    format!("/registry/{group}/{plural}/")
}

use Sub::*;

/// Every built-in resource, in discovery order. One line each.
#[rustfmt::skip]
pub const BUILTINS: &[ResourceDef] = &[
    res("", "v1", "Namespace", "namespaces", "namespace", false).short(&["ns"]).subs(&[Status, Finalize]),
    res("", "v1", "Pod", "pods", "pod", true).short(&["po"]).all().subs(&[Status, Binding, Eviction, Log, Exec, Attach, PortForward]),
    res("", "v1", "Service", "services", "service", true).short(&["svc"]).all().subs(&[Status]),
    res("", "v1", "Endpoints", "endpoints", "endpoints", true).short(&["ep"]),
    res("", "v1", "ConfigMap", "configmaps", "configmap", true).short(&["cm"]),
    res("", "v1", "Secret", "secrets", "secret", true),
    res("", "v1", "Node", "nodes", "node", false).short(&["no"]).subs(&[Status]),
    res("", "v1", "Event", "events", "event", true).short(&["ev"]),
    res("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", true).short(&["sa"]).subs(&[Token]),
    res("", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", false).short(&["pv"]).subs(&[Status]),
    res("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", true).short(&["pvc"]).subs(&[Status]),
    res("", "v1", "ResourceQuota", "resourcequotas", "resourcequota", true).short(&["quota"]).subs(&[Status]),
    res("", "v1", "LimitRange", "limitranges", "limitrange", true).short(&["limits"]),
    res("", "v1", "ReplicationController", "replicationcontrollers", "replicationcontroller", true).short(&["rc"]).all().subs(&[Status, Scale]),
    res("", "v1", "PodTemplate", "podtemplates", "podtemplate", true),
    res("apps", "v1", "Deployment", "deployments", "deployment", true).short(&["deploy"]).all().subs(&[Status, Scale]),
    res("apps", "v1", "ReplicaSet", "replicasets", "replicaset", true).short(&["rs"]).all().subs(&[Status, Scale]),
    res("apps", "v1", "StatefulSet", "statefulsets", "statefulset", true).short(&["sts"]).all().subs(&[Status, Scale]),
    res("apps", "v1", "DaemonSet", "daemonsets", "daemonset", true).short(&["ds"]).all().subs(&[Status]),
    res("apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", true),
    res("batch", "v1", "Job", "jobs", "job", true).all().subs(&[Status]),
    res("batch", "v1", "CronJob", "cronjobs", "cronjob", true).short(&["cj"]).all().subs(&[Status]),
    res("networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", true).short(&["ing"]).subs(&[Status]),
    res("networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass", false),
    res("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "networkpolicy", true).short(&["netpol"]),
    res("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", true),
    res("coordination.k8s.io", "v1", "Lease", "leases", "lease", true),
    res("events.k8s.io", "v1", "Event", "events", "event", true).short(&["ev"]),
    res("rbac.authorization.k8s.io", "v1", "Role", "roles", "role", true),
    res("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "rolebinding", true),
    res("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "clusterrole", false),
    res("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", false),
    res("storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", false).short(&["sc"]),
    res("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", true).short(&["pdb"]).subs(&[Status]),
    res("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", true).short(&["hpa"]).all().subs(&[Status]),
    res("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", true).short(&["hpa"]).all().subs(&[Status]),
    res("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "priorityclass", false).short(&["pc"]),
    res("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", "customresourcedefinition", false).short(&["crd", "crds"]).subs(&[Status]),
];

/// The resource at `group/version/plural`.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceDef> {
    BUILTINS.iter().find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource that stores `kind` objects of `group` (any version).
pub fn by_kind(group: &str, kind: &str) -> Option<&'static ResourceDef> {
    BUILTINS.iter().find(|r| r.group == group && r.kind == kind)
}

/// The versions of `group`, preferred first.
pub fn versions(group: &str) -> Vec<&'static str> {
    let mut versions: Vec<&'static str> = Vec::new();
    for r in BUILTINS.iter().filter(|r| r.group == group) {
        if !versions.contains(&r.version) {
            versions.push(r.version);
        }
    }
    versions
}

/// Every group except core, in table order.
pub fn groups() -> Vec<&'static str> {
    let mut groups: Vec<&'static str> = Vec::new();
    for r in BUILTINS.iter().filter(|r| !r.group.is_empty()) {
        if !groups.contains(&r.group) {
            groups.push(r.group);
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_is_unique_per_group_version() {
        for (i, a) in BUILTINS.iter().enumerate() {
            for b in &BUILTINS[i + 1..] {
                assert!(
                    (a.group, a.version, a.plural) != (b.group, b.version, b.plural),
                    "{} listed twice",
                    a.plural
                );
            }
        }
    }

    #[test]
    fn autoscaling_prefers_v2() {
        assert_eq!(versions("autoscaling"), ["v2", "v1"]);
        assert_eq!(find("apps", "v1", "deployments").map(|r| r.kind), Some("Deployment"));
        assert_eq!(find("", "v1", "pods").map(ResourceDef::qualified), Some("pods".into()));
    }
}
