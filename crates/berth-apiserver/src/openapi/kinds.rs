//! Which `k8s-openapi` type describes each kind the server publishes a schema for: one line per
//! kind. Every resource in [`crate::resources::BUILTINS`] needs a line here (a test checks it),
//! and so does every kind a subresource answers with.

use k8s_openapi::api::{
    apps, authentication, autoscaling, batch, coordination, core, discovery, events, networking,
    policy, rbac, scheduling, storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
use k8s_openapi::apimachinery::pkg::apis::meta;
use k8s_openapi::schemars::{JsonSchema, SchemaGenerator};

/// Adds a type's schema (and every schema it refers to) to a generator; returns its name.
pub(super) type Register = fn(&mut SchemaGenerator) -> String;

fn add<T: JsonSchema>(generator: &mut SchemaGenerator) -> String {
    generator.subschema_for::<T>();
    T::schema_name().into_owned()
}

/// Group, version, kind, and the type that describes it.
#[rustfmt::skip]
pub(super) const KINDS: &[(&str, &str, &str, Register)] = &[
    ("", "v1", "Namespace", add::<core::v1::Namespace>),
    ("", "v1", "Pod", add::<core::v1::Pod>),
    ("", "v1", "Service", add::<core::v1::Service>),
    ("", "v1", "Endpoints", add::<core::v1::Endpoints>),
    ("", "v1", "ConfigMap", add::<core::v1::ConfigMap>),
    ("", "v1", "Secret", add::<core::v1::Secret>),
    ("", "v1", "Node", add::<core::v1::Node>),
    ("", "v1", "Event", add::<core::v1::Event>),
    ("", "v1", "ServiceAccount", add::<core::v1::ServiceAccount>),
    ("", "v1", "PersistentVolume", add::<core::v1::PersistentVolume>),
    ("", "v1", "PersistentVolumeClaim", add::<core::v1::PersistentVolumeClaim>),
    ("", "v1", "ResourceQuota", add::<core::v1::ResourceQuota>),
    ("", "v1", "LimitRange", add::<core::v1::LimitRange>),
    ("", "v1", "ReplicationController", add::<core::v1::ReplicationController>),
    ("", "v1", "PodTemplate", add::<core::v1::PodTemplate>),
    ("", "v1", "Binding", add::<core::v1::Binding>),
    ("apps", "v1", "Deployment", add::<apps::v1::Deployment>),
    ("apps", "v1", "ReplicaSet", add::<apps::v1::ReplicaSet>),
    ("apps", "v1", "StatefulSet", add::<apps::v1::StatefulSet>),
    ("apps", "v1", "DaemonSet", add::<apps::v1::DaemonSet>),
    ("apps", "v1", "ControllerRevision", add::<apps::v1::ControllerRevision>),
    ("batch", "v1", "Job", add::<batch::v1::Job>),
    ("batch", "v1", "CronJob", add::<batch::v1::CronJob>),
    ("networking.k8s.io", "v1", "Ingress", add::<networking::v1::Ingress>),
    ("networking.k8s.io", "v1", "IngressClass", add::<networking::v1::IngressClass>),
    ("networking.k8s.io", "v1", "NetworkPolicy", add::<networking::v1::NetworkPolicy>),
    ("discovery.k8s.io", "v1", "EndpointSlice", add::<discovery::v1::EndpointSlice>),
    ("coordination.k8s.io", "v1", "Lease", add::<coordination::v1::Lease>),
    ("events.k8s.io", "v1", "Event", add::<events::v1::Event>),
    ("rbac.authorization.k8s.io", "v1", "Role", add::<rbac::v1::Role>),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", add::<rbac::v1::RoleBinding>),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", add::<rbac::v1::ClusterRole>),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", add::<rbac::v1::ClusterRoleBinding>),
    ("storage.k8s.io", "v1", "StorageClass", add::<storage::v1::StorageClass>),
    ("policy", "v1", "PodDisruptionBudget", add::<policy::v1::PodDisruptionBudget>),
    ("policy", "v1", "Eviction", add::<policy::v1::Eviction>),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", add::<autoscaling::v2::HorizontalPodAutoscaler>),
    ("autoscaling", "v1", "HorizontalPodAutoscaler", add::<autoscaling::v1::HorizontalPodAutoscaler>),
    ("autoscaling", "v1", "Scale", add::<autoscaling::v1::Scale>),
    ("scheduling.k8s.io", "v1", "PriorityClass", add::<scheduling::v1::PriorityClass>),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", add::<apiextensions::v1::CustomResourceDefinition>),
    ("authentication.k8s.io", "v1", "TokenRequest", add::<authentication::v1::TokenRequest>),
];

/// Schemas every group-version document carries: what operations answer and take besides
/// the kinds themselves.
pub(super) const SHARED: &[Register] =
    &[add::<meta::v1::Status>, add::<meta::v1::DeleteOptions>, add::<meta::v1::Patch>];

/// `Status` is also what every failed operation answers.
pub(super) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(super) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(super) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
