//! A StatefulSet pod's identity: its name `<set>-<ordinal>`, its labels, its hostname and the
//! claims `<template>-<set>-<ordinal>` its volumes point at. Pure constructors used by the
//! reconciler in `mod.rs`, and the status count.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::jiff::Timestamp;

use crate::controller_revision::HASH_LABEL;
use crate::pods;

pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// The ordinal of a pod of `set` from its name, when the name is `<set>-<n>` exactly.
pub fn ordinal(set: &str, pod: &str) -> Option<i32> {
    let digits = pod.strip_prefix(set)?.strip_prefix('-')?;
    let n: i32 = digits.parse().ok()?;
    (n >= 0 && n.to_string() == digits).then_some(n)
}

pub fn pod_name(set: &str, ordinal: i32) -> String {
    format!("{set}-{ordinal}")
}

pub fn claim_name(template: &str, set: &str, ordinal: i32) -> String {
    format!("{template}-{set}-{ordinal}")
}

/// The claim names of `ordinal`, one per volumeClaimTemplate.
pub fn claim_names(set: &StatefulSet, ordinal: i32) -> Vec<String> {
    let name = set.metadata.name.as_deref().unwrap_or_default();
    claim_templates(set)
        .iter()
        .filter_map(|t| t.metadata.name.as_deref())
        .map(|t| claim_name(t, name, ordinal))
        .collect()
}

fn claim_templates(set: &StatefulSet) -> &[PersistentVolumeClaim] {
    set.spec.as_ref().and_then(|s| s.volume_claim_templates.as_deref()).unwrap_or_default()
}

/// The pod of `ordinal` made from `template` (the revision's), owned by the set.
pub fn pod(
    set: &StatefulSet,
    template: &PodTemplateSpec,
    revision: &str,
    ordinal: i32,
    owner: OwnerReference,
) -> Pod {
    let set_name = set.metadata.name.as_deref().unwrap_or_default();
    let namespace = set.metadata.namespace.as_deref().unwrap_or("default");
    let name = pod_name(set_name, ordinal);
    let mut pod = pods::from_template(template, namespace, &name, owner);
    let labels = pod.metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(POD_NAME_LABEL.to_owned(), name.clone());
    labels.insert(POD_INDEX_LABEL.to_owned(), ordinal.to_string());
    labels.insert(HASH_LABEL.to_owned(), revision.to_owned());
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.hostname = Some(name);
    if let Some(service) = set.spec.as_ref().and_then(|s| s.service_name.as_deref())
        && !service.is_empty()
    {
        spec.subdomain = Some(service.to_owned());
    }
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    for claim in claim_templates(set) {
        let Some(template_name) = claim.metadata.name.as_deref() else { continue };
        volumes.retain(|v| v.name != template_name);
        volumes.push(Volume {
            name: template_name.to_owned(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name(template_name, set_name, ordinal),
                read_only: None,
            }),
            ..Volume::default()
        });
    }
    pod
}

/// The claims of `ordinal` from the set's volumeClaimTemplates. With `whenDeleted: Delete` the
/// set owns them, so that deleting the set deletes them.
pub fn claims(
    set: &StatefulSet,
    ordinal: i32,
    owner: &OwnerReference,
) -> Vec<PersistentVolumeClaim> {
    let set_name = set.metadata.name.as_deref().unwrap_or_default();
    let namespace = set.metadata.namespace.as_deref().unwrap_or("default");
    let spec = set.spec.as_ref();
    let owned_by_set = spec
        .and_then(|s| s.persistent_volume_claim_retention_policy.as_ref())
        .and_then(|p| p.when_deleted.as_deref())
        == Some("Delete");
    let selector_labels = spec.and_then(|s| s.selector.match_labels.clone()).unwrap_or_default();
    claim_templates(set)
        .iter()
        .filter_map(|template| {
            let template_name = template.metadata.name.as_deref()?;
            let mut labels = template.metadata.labels.clone().unwrap_or_default();
            labels.extend(selector_labels.clone());
            let mut owner = owner.clone();
            owner.controller = Some(true);
            Some(PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(claim_name(template_name, set_name, ordinal)),
                    namespace: Some(namespace.to_owned()),
                    labels: Some(labels),
                    annotations: template.metadata.annotations.clone(),
                    owner_references: owned_by_set.then(|| vec![owner]),
                    ..ObjectMeta::default()
                },
                spec: template.spec.clone(),
                status: None,
            })
        })
        .collect()
}

/// The status of the set given its pods by ordinal (including condemned ones).
pub fn status(
    set: &StatefulSet,
    pods: &BTreeMap<i32, &Pod>,
    current: &str,
    update: &str,
    collision_count: i32,
    now: Timestamp,
) -> StatefulSetStatus {
    let min_ready = set.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0);
    let mut status = StatefulSetStatus {
        observed_generation: set.metadata.generation,
        collision_count: Some(collision_count),
        current_revision: Some(current.to_owned()),
        update_revision: Some(update.to_owned()),
        ..StatefulSetStatus::default()
    };
    let (mut ready, mut available, mut current_count, mut updated) = (0, 0, 0, 0);
    for pod in pods.values() {
        status.replicas += 1;
        let terminating = pod.metadata.deletion_timestamp.is_some();
        let running = pods::phase(pod) == "Running";
        if running && !terminating && pods::is_ready(pod) {
            ready += 1;
            if pods::is_available(pod, min_ready, now) {
                available += 1;
            }
        }
        if !terminating {
            let hash = pod.metadata.labels.as_ref().and_then(|l| l.get(HASH_LABEL));
            if hash.map(String::as_str) == Some(current) {
                current_count += 1;
            }
            if hash.map(String::as_str) == Some(update) {
                updated += 1;
            }
        }
    }
    let rolling = set
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.type_.as_deref())
        .is_none_or(|t| t == "RollingUpdate");
    let replicas = set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    // A finished rollout makes the update revision the current one.
    if rolling && updated == replicas && ready == replicas && status.replicas == replicas {
        status.current_revision = Some(update.to_owned());
        current_count = updated;
    }
    status.ready_replicas = Some(ready);
    status.available_replicas = Some(available);
    status.current_replicas = Some(current_count);
    status.updated_replicas = Some(updated);
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_come_only_from_exact_names() {
        let cases = [
            ("web-0", Some(0)),
            ("web-12", Some(12)),
            ("web-01", None),
            ("web--1", None),
            ("web-x", None),
            ("webby-1", None),
            ("web-1-2", None),
            ("web", None),
        ];
        for (name, want) in cases {
            assert_eq!(ordinal("web", name), want, "{name}");
        }
    }

    #[test]
    fn pods_get_their_identity_and_claims() {
        let set: StatefulSet = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "namespace": "ns"},
            "spec": {
                "serviceName": "nginx",
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                             "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"],
                             "resources": {"requests": {"storage": "1Gi"}}}}]
            }
        }))
        .expect("a statefulset");
        let template = set.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
        let owner = pods::controller_ref("apps/v1", "StatefulSet", "web", "u1");
        let pod = pod(&set, &template, "web-abc", 2, owner.clone());
        assert_eq!(pod.metadata.name.as_deref(), Some("web-2"));
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get(POD_NAME_LABEL).map(String::as_str), Some("web-2"));
        assert_eq!(labels.get(POD_INDEX_LABEL).map(String::as_str), Some("2"));
        assert_eq!(labels.get(HASH_LABEL).map(String::as_str), Some("web-abc"));
        let spec = pod.spec.unwrap_or_default();
        assert_eq!(spec.hostname.as_deref(), Some("web-2"));
        assert_eq!(spec.subdomain.as_deref(), Some("nginx"));
        let claim = spec.volumes.unwrap_or_default()[0].persistent_volume_claim.clone();
        assert_eq!(claim.map(|c| c.claim_name), Some("data-web-2".to_owned()));
        let made = claims(&set, 2, &owner);
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].metadata.name.as_deref(), Some("data-web-2"));
        assert_eq!(made[0].metadata.owner_references, None, "Retain: the set does not own it");
        assert_eq!(claim_names(&set, 2), vec!["data-web-2".to_owned()]);
    }
}
