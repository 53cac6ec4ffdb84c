//! The local-path provisioner: volumes made on demand in a directory of the node that runs the
//! claim's first consumer.
//!
//! Start at [`run`]. It makes sure the default StorageClass `local-path` exists
//! (`WaitForFirstConsumer`, reclaim `Delete`), then, after every batch of changes, creates for
//! each Pending claim of a class it provisions, whose consumer pod has been scheduled, a volume
//! `pvc-<claim uid>` at `/var/lib/berth/storage/pvc-<uid>` on that node: pinned there by node
//! affinity, as large as the request, pre-bound to the claim. The binder
//! ([`super::binder`]) completes the bind. The directory itself is the node agent's to create.
//! [`volume_for`] is the pure part.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, ObjectReference,
    PersistentVolume, PersistentVolumeClaim, PersistentVolumeSpec, Pod, VolumeNodeAffinity,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, PostParams};

use super::binder::{DEFAULT_CLASS, SELECTED_NODE};
use crate::{Context, Error, cache};

pub const PROVISIONER: &str = "berth.dev/local-path";
pub const CLASS: &str = "local-path";
pub const STORAGE_DIR: &str = "/var/lib/berth/storage";
const PROVISIONED_BY: &str = "pv.kubernetes.io/provisioned-by";

/// Runs the provisioner until its watches end.
pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (claims, claim_events) =
        cache::watch_all::<PersistentVolumeClaim>(Api::all(client.clone()));
    let (volumes, volume_events) = cache::watch_all::<PersistentVolume>(Api::all(client.clone()));
    let (classes, class_events) = cache::watch_all::<StorageClass>(Api::all(client.clone()));
    let (pods, pod_events) = cache::watch_all::<Pod>(Api::all(client));
    let changes = cache::changes(vec![claim_events, volume_events, class_events, pod_events]);
    cache::passes(changes, "local-path-provisioner", || async {
        let ready = cache::is_ready(&claims)
            && cache::is_ready(&volumes)
            && cache::is_ready(&classes)
            && cache::is_ready(&pods);
        if !ready {
            return Ok(());
        }
        let classes = classes.state();
        if !classes.iter().any(|c| c.metadata.name.as_deref() == Some(CLASS)) {
            ensure_class(&ctx).await?;
        }
        let classes: Vec<&StorageClass> = classes.iter().map(|c| &**c).collect();
        let pods = pods.state();
        let consumers = super::binder::consumers(pods.iter().map(|p| &**p));
        let api: Api<PersistentVolume> = Api::all(ctx.client.clone());
        for claim in claims.state() {
            let name = format!("pvc-{}", claim.metadata.uid.as_deref().unwrap_or_default());
            if volumes.find(|v| v.metadata.name.as_deref() == Some(&name)).is_some() {
                continue;
            }
            let node = consumers.get(&super::binder::key(&claim));
            let Some(volume) = volume_for(&claim, &classes, node.map(String::as_str)) else {
                continue;
            };
            ctx.ensure_leader()?;
            match api.create(&PostParams::default(), &volume).await {
                Ok(_) => tracing::info!(volume = %name, node = ?node, "provisioned local volume"),
                Err(kube::Error::Api(s)) if s.code == 409 => {}
                Err(e) => return Err(Error::api(format!("creating volume {name}"), e)),
            }
        }
        Ok(())
    })
    .await
}

async fn ensure_class(ctx: &Context) -> Result<(), Error> {
    let class = StorageClass {
        metadata: ObjectMeta {
            name: Some(CLASS.to_owned()),
            annotations: Some(BTreeMap::from([(DEFAULT_CLASS.to_owned(), "true".to_owned())])),
            ..ObjectMeta::default()
        },
        provisioner: PROVISIONER.to_owned(),
        reclaim_policy: Some("Delete".to_owned()),
        volume_binding_mode: Some("WaitForFirstConsumer".to_owned()),
        ..StorageClass::default()
    };
    ctx.ensure_leader()?;
    let api: Api<StorageClass> = Api::all(ctx.client.clone());
    match api.create(&PostParams::default(), &class).await {
        Ok(_) => {
            tracing::info!("created the default storage class {CLASS}");
            Ok(())
        }
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(Error::api("creating the local-path storage class", e)),
    }
}

/// The volume to provision for `claim`, if it is a Pending claim of one of our classes whose
/// node is known (`consumer_node`: where its consumer pod was scheduled).
pub fn volume_for(
    claim: &PersistentVolumeClaim,
    classes: &[&StorageClass],
    consumer_node: Option<&str>,
) -> Option<PersistentVolume> {
    let spec = claim.spec.as_ref()?;
    let phase = claim.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
    if phase != "Pending"
        || claim.metadata.deletion_timestamp.is_some()
        || spec.volume_name.as_deref().is_some_and(|v| !v.is_empty())
    {
        return None;
    }
    let class_name = super::binder::class_of(claim, classes)?;
    let class = classes.iter().find(|c| c.metadata.name.as_deref() == Some(class_name.as_str()))?;
    if class.provisioner != PROVISIONER {
        return None;
    }
    let annotations = claim.metadata.annotations.as_ref();
    let node =
        annotations.and_then(|a| a.get(SELECTED_NODE)).map(String::as_str).or(consumer_node)?;
    let uid = claim.metadata.uid.as_deref()?;
    let name = format!("pvc-{uid}");
    let request = spec.resources.as_ref()?.requests.as_ref()?.get("storage")?.clone();
    let pinned = NodeSelectorTerm {
        match_expressions: Some(vec![NodeSelectorRequirement {
            key: "kubernetes.io/hostname".to_owned(),
            operator: "In".to_owned(),
            values: Some(vec![node.to_owned()]),
        }]),
        match_fields: None,
    };
    Some(PersistentVolume {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            annotations: Some(BTreeMap::from([(
                PROVISIONED_BY.to_owned(),
                PROVISIONER.to_owned(),
            )])),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeSpec {
            access_modes: spec.access_modes.clone(),
            capacity: Some(BTreeMap::from([("storage".to_owned(), request)])),
            claim_ref: Some(ObjectReference {
                api_version: Some("v1".to_owned()),
                kind: Some("PersistentVolumeClaim".to_owned()),
                namespace: claim.metadata.namespace.clone(),
                name: claim.metadata.name.clone(),
                uid: Some(uid.to_owned()),
                ..ObjectReference::default()
            }),
            host_path: Some(HostPathVolumeSource {
                path: format!("{STORAGE_DIR}/{name}"),
                type_: Some("DirectoryOrCreate".to_owned()),
            }),
            node_affinity: Some(VolumeNodeAffinity {
                required: Some(NodeSelector { node_selector_terms: vec![pinned] }),
            }),
            persistent_volume_reclaim_policy: Some(
                class.reclaim_policy.clone().unwrap_or_else(|| "Delete".to_owned()),
            ),
            storage_class_name: Some(class_name),
            volume_mode: spec.volume_mode.clone(),
            ..PersistentVolumeSpec::default()
        }),
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn class(name: &str, provisioner: &str, default: bool) -> StorageClass {
        serde_json::from_value(json!({
            "metadata": {"name": name, "annotations": {DEFAULT_CLASS: default.to_string()}},
            "provisioner": provisioner, "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer"
        }))
        .expect("a class")
    }

    fn claim(class: Option<&str>, extra: serde_json::Value) -> PersistentVolumeClaim {
        let mut value = json!({
            "metadata": {"name": "data", "namespace": "ns", "uid": "u1"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
        });
        if let Some(class) = class {
            value["spec"]["storageClassName"] = json!(class);
        }
        if let Some(map) = extra.as_object() {
            for (k, v) in map {
                value[k] = v.clone();
            }
        }
        serde_json::from_value(value).expect("a claim")
    }

    #[test]
    fn provisions_only_scheduled_pending_claims_of_its_classes() {
        let ours = class(CLASS, PROVISIONER, true);
        let other = class("other", "example.com/nfs", false);
        let classes = [&ours, &other];
        let cases = [
            ("scheduled claim of our class", claim(Some(CLASS), json!({})), Some("n1"), true),
            ("no class: the default, ours", claim(None, json!({})), Some("n1"), true),
            ("not scheduled yet", claim(Some(CLASS), json!({})), None, false),
            ("another provisioner's class", claim(Some("other"), json!({})), Some("n1"), false),
            ("explicitly no class", claim(Some(""), json!({})), Some("n1"), false),
            (
                "already bound",
                claim(Some(CLASS), json!({"status": {"phase": "Bound"}})),
                Some("n1"),
                false,
            ),
        ];
        for (name, claim, node, want) in cases {
            assert_eq!(volume_for(&claim, &classes, node).is_some(), want, "{name}");
        }
    }

    #[test]
    fn the_volume_is_pinned_sized_and_prebound() {
        let ours = class(CLASS, PROVISIONER, true);
        let annotated = claim(
            None,
            json!({"metadata": {"name": "data", "namespace": "ns", "uid": "u1",
            "annotations": {SELECTED_NODE: "n2"}}}),
        );
        let volume = volume_for(&annotated, &[&ours], None).expect("a volume");
        assert_eq!(volume.metadata.name.as_deref(), Some("pvc-u1"));
        let spec = volume.spec.expect("a spec");
        assert_eq!(
            spec.host_path.map(|h| h.path),
            Some("/var/lib/berth/storage/pvc-u1".to_owned())
        );
        assert_eq!(spec.storage_class_name.as_deref(), Some(CLASS));
        assert_eq!(spec.persistent_volume_reclaim_policy.as_deref(), Some("Delete"));
        let capacity = spec.capacity.unwrap_or_default();
        assert_eq!(capacity.get("storage").map(|q| q.0.as_str()), Some("1Gi"));
        let claim_ref = spec.claim_ref.expect("a claimRef");
        assert_eq!(
            (claim_ref.name.as_deref(), claim_ref.uid.as_deref()),
            (Some("data"), Some("u1"))
        );
        let terms = spec.node_affinity.and_then(|a| a.required).map(|r| r.node_selector_terms);
        let values =
            terms.and_then(|t| t[0].match_expressions.clone()).and_then(|e| e[0].values.clone());
        assert_eq!(values, Some(vec!["n2".to_owned()]));
    }
}
