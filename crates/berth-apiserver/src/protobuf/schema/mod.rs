//! The protobuf schema berth reads, written out by hand: for each message, one line per field
//! with its field number, its JSON name and its Go type. [`super::descriptors`] turns it into a
//! `prost_reflect::DescriptorPool` once, at the first protobuf request.
//!
//! It covers every `kubectl create` generator of kubectl 1.32 that posts an object (`namespace`,
//! `configmap`, `secret generic|docker-registry|tls`, `serviceaccount`, `deployment`, `job`,
//! `cronjob`, `service clusterip|nodeport|loadbalancer|externalname`, `role`, `clusterrole`,
//! `rolebinding`, `clusterrolebinding`, `quota`, `poddisruptionbudget`, `ingress`,
//! `priorityclass`), `kubectl autoscale` (autoscaling/v2 and v1 HorizontalPodAutoscalers), and
//! what typed clients commonly write: Pods, Nodes, Events (core/v1 and events.k8s.io/v1),
//! Leases, Endpoints, EndpointSlices, PersistentVolumes and their claims, StorageClasses,
//! LimitRanges, NetworkPolicies, IngressClasses, ReplicaSets, StatefulSets, DaemonSets,
//! ControllerRevisions, ReplicationControllers and PodTemplates. A body with a field that is not
//! listed here is refused with 415 naming the message and the field number, never dropped; a
//! kind not listed is refused with 415 too. Adding a field is one line.
//!
//! One file per family of messages: [`meta`], [`core`], [`pod`], [`volume`], [`workloads`],
//! [`scaling`], [`networking`], [`rbac`]; [`messages`] lists them all.
//!
//! Field numbers are those of the Kubernetes API's protobuf encoding (the `generated.proto` of
//! each API group), as the `k8s-pb` crate (which the tests use to encode bodies) gives them too.
//!
//! The Go type decides how the JSON is written:
//! - `string`, `bool`, `int32`, `int64`, `bytes`: a Go value. Go's encoder writes it even when
//!   it is zero, so zero means unset and is left out of the JSON.
//! - `!T`: a Go value whose JSON tag has no `omitempty`, where zero means something
//!   (`PriorityClass.value: 0`): written even when zero.
//! - `*T`: a Go pointer. Present means set, even to zero (`replicas: 0`, `suspend: false`).
//! - `[]T` and `map[string]T`: repeated fields and maps.
//! - Any other name is a message: `PodSpec` in the same package, `meta.v1.Time` in another.
//! - An empty JSON name is a Go struct inlined into its parent (`json:",inline"`): its fields
//!   are written as the parent's.
//!
//! Since Go writes every plain field, a message listed here must list all of its fields that
//! are not pointers, slices or maps; the others may be left out until a client needs them.
//!
//! Messages with a JSON form of their own (`meta.v1.Time`, `intstr.IntOrString`,
//! `resource.Quantity`, `meta.v1.FieldsV1`, `runtime.RawExtension`) are special cases in
//! [`super::json`].

mod core;
mod meta;
mod networking;
mod pod;
mod rbac;
mod scaling;
mod volume;
mod workloads;

/// One field: number, JSON name (empty when inlined), Go type.
pub(super) type Field = (i32, &'static str, &'static str);

/// One message: its full name (`package.Name`) and its fields.
pub(super) type Message = (&'static str, &'static [Field]);

/// Every file of the table. A package only refers to packages listed before it.
const FILES: &[&[Message]] = &[
    meta::MESSAGES,
    core::MESSAGES,
    pod::MESSAGES,
    volume::MESSAGES,
    workloads::MESSAGES,
    scaling::MESSAGES,
    networking::MESSAGES,
    rbac::MESSAGES,
];

/// Every message of the table.
pub(super) fn messages() -> impl Iterator<Item = &'static Message> {
    FILES.iter().flat_map(|file| file.iter())
}
