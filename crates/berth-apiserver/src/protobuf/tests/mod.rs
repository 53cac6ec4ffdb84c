//! Bodies encoded with `k8s-pb` (prost types generated from the upstream `.proto` files by
//! another code generator) must come out as the JSON kubectl would have sent. Fields a Go
//! encoder always writes (empty strings, zero numbers, empty `Time`) are set here as Go sets
//! them, so that "zero means unset" is exercised.
//!
//! [`objects`] decodes the kinds of the first table (namespaces, config, pods, services, apps,
//! batch); [`generators`] what the other `kubectl create` generators and `kubectl autoscale`
//! build; [`typed`] what typed clients commonly write (events, leases, endpoints, limits,
//! network policies, nodes, pods, subresource bodies) and [`workloads`] their storage and
//! workload objects; [`envelope`] covers the envelope and every refusal
//! (415 for kinds and fields outside the table, 400 for bodies that are not protobuf).

use std::collections::BTreeMap;

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::batch::v1 as batch;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost_reflect::prost::Message;
use prost_reflect::prost::encoding::{WireType, encode_key, encode_varint};
use serde_json::{Value, json};

use super::decode;
use crate::resources::{self, ResourceDef};
use crate::status::ApiError;

fn def(group: &str, plural: &str) -> &'static ResourceDef {
    resources::BUILTINS
        .iter()
        .find(|d| d.group == group && d.plural == plural)
        .expect("a built-in resource")
}

/// `k8s\0` + `runtime.Unknown{typeMeta, raw}`, as client-go writes it.
fn envelope(api_version: &str, kind: &str, object: &impl Message) -> Vec<u8> {
    envelope_of(api_version, kind, object.encode_to_vec())
}

fn envelope_of(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    [b"k8s\0".to_vec(), unknown.encode_to_vec()].concat()
}

fn code(result: Result<Value, ApiError>) -> u16 {
    result.map_or_else(|error| error.code, |_| 200)
}

/// ObjectMeta as Go encodes a fresh one: plain fields written even when empty.
fn object_meta(name: &str, labels: &[(&str, &str)]) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: Some(name.into()),
        generate_name: Some(String::new()),
        namespace: Some(String::new()),
        self_link: Some(String::new()),
        uid: Some(String::new()),
        resource_version: Some(String::new()),
        generation: Some(0),
        creation_timestamp: Some(meta::Time::default()),
        labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Default::default()
    }
}

/// A container as Go encodes one: every plain field written.
fn container(name: &str, image: &str) -> core::Container {
    core::Container {
        name: Some(name.into()),
        image: Some(image.into()),
        working_dir: Some(String::new()),
        resources: Some(core::ResourceRequirements::default()),
        termination_message_path: Some(String::new()),
        termination_message_policy: Some(String::new()),
        image_pull_policy: Some(String::new()),
        stdin: Some(false),
        stdin_once: Some(false),
        tty: Some(false),
        ..Default::default()
    }
}

fn quantity(text: &str) -> Quantity {
    Quantity { string: Some(text.into()) }
}

fn int(n: i32) -> IntOrString {
    IntOrString { r#type: Some(0), int_val: Some(n), str_val: Some(String::new()) }
}

fn string(s: &str) -> IntOrString {
    IntOrString { r#type: Some(1), int_val: Some(0), str_val: Some(s.into()) }
}

fn pod_template(labels: &[(&str, &str)], spec: core::PodSpec) -> core::PodTemplateSpec {
    core::PodTemplateSpec { metadata: Some(object_meta("", labels)), spec: Some(spec) }
}

/// PodSpec as Go encodes one: every plain field written.
fn pod_spec(containers: Vec<core::Container>) -> core::PodSpec {
    core::PodSpec {
        containers,
        restart_policy: Some(String::new()),
        dns_policy: Some(String::new()),
        service_account_name: Some(String::new()),
        service_account: Some(String::new()),
        node_name: Some(String::new()),
        host_network: Some(false),
        host_pid: Some(false),
        host_ipc: Some(false),
        hostname: Some(String::new()),
        subdomain: Some(String::new()),
        scheduler_name: Some(String::new()),
        priority_class_name: Some(String::new()),
        ..Default::default()
    }
}

mod envelope;
mod generators;
mod objects;
mod typed;
mod workloads;
