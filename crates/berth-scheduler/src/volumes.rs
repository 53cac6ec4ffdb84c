//! The persistent-volume side of scheduling (kube-scheduler's VolumeBinding prefilter): which
//! nodes a pod's claims allow, or why the pod cannot be scheduled at all yet.
//!
//! [`resolve`] is a pure function of the pod and a [`Lookup`] of claims, volumes and storage
//! classes ([`Stores`], reflector caches that the driver keeps up to date). A claim bound to a
//! volume with node affinity restricts the pod to the nodes that affinity selects; a claim
//! waiting for its first consumer (`WaitForFirstConsumer`) restricts nothing; a missing claim
//! or an unbound claim of an `Immediate` class keeps the pod pending with Kubernetes' message.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::runtime::reflector::{ObjectRef, Store};

use crate::plan::selector::NodeTerm;

const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
const UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";

/// Where [`resolve`] reads claims, volumes and classes.
pub trait Lookup {
    fn claim(&self, namespace: &str, name: &str) -> Option<Arc<PersistentVolumeClaim>>;
    fn volume(&self, name: &str) -> Option<Arc<PersistentVolume>>;
    fn class(&self, name: &str) -> Option<Arc<StorageClass>>;
    /// The class marked default, for claims that do not name one.
    fn default_class(&self) -> Option<Arc<StorageClass>>;
}

/// The driver's reflector caches.
#[derive(Clone)]
pub struct Stores {
    pub claims: Store<PersistentVolumeClaim>,
    pub volumes: Store<PersistentVolume>,
    pub classes: Store<StorageClass>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores")
            .field("claims", &self.claims.len())
            .field("volumes", &self.volumes.len())
            .field("classes", &self.classes.len())
            .finish()
    }
}

impl Lookup for Stores {
    fn claim(&self, namespace: &str, name: &str) -> Option<Arc<PersistentVolumeClaim>> {
        self.claims.get(&ObjectRef::new(name).within(namespace))
    }

    fn volume(&self, name: &str) -> Option<Arc<PersistentVolume>> {
        self.volumes.get(&ObjectRef::new(name))
    }

    fn class(&self, name: &str) -> Option<Arc<StorageClass>> {
        self.classes.get(&ObjectRef::new(name))
    }

    fn default_class(&self) -> Option<Arc<StorageClass>> {
        self.classes.state().into_iter().find(|c| is_default(c))
    }
}

fn is_default(class: &StorageClass) -> bool {
    class.metadata.annotations.as_ref().and_then(|a| a.get(DEFAULT_CLASS)).map(String::as_str)
        == Some("true")
}

/// The claims a pod uses: named ones and those of its generic ephemeral volumes
/// (`<pod>-<volume>`), the latter flagged.
fn claims_of(pod: &Pod) -> Vec<(String, bool)> {
    let pod_name = pod.metadata.name.as_deref().unwrap_or_default();
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
    volumes
        .into_iter()
        .flatten()
        .filter_map(|v| {
            if let Some(claim) = v.persistent_volume_claim.as_ref() {
                Some((claim.claim_name.clone(), false))
            } else {
                v.ephemeral.as_ref().map(|_| (format!("{pod_name}-{}", v.name), true))
            }
        })
        .collect()
}

/// Whether an unbound claim waits for its first consumer before it binds.
fn waits_for_consumer(claim: &PersistentVolumeClaim, lookup: &dyn Lookup) -> bool {
    let class = match claim.spec.as_ref().and_then(|s| s.storage_class_name.as_deref()) {
        Some("") => return false,
        Some(name) => lookup.class(name),
        None => lookup.default_class(),
    };
    class.and_then(|c| c.volume_binding_mode.clone()).as_deref() == Some("WaitForFirstConsumer")
}

/// The node affinity each bound volume of the pod requires (every entry must hold), or the
/// message that keeps the pod from being scheduled anywhere.
pub fn resolve(pod: &Pod, lookup: &dyn Lookup) -> Result<Vec<Vec<NodeTerm>>, String> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
    let mut terms = Vec::new();
    let mut unbound_immediate = false;
    for (name, ephemeral) in claims_of(pod) {
        let Some(claim) = lookup.claim(namespace, &name) else {
            return Err(if ephemeral {
                format!(
                    "waiting for ephemeral volume controller to create the persistentvolumeclaim \"{name}\""
                )
            } else {
                format!("persistentvolumeclaim \"{name}\" not found")
            });
        };
        if claim.metadata.deletion_timestamp.is_some() {
            return Err(format!("persistentvolumeclaim \"{name}\" is being deleted"));
        }
        let volume_name =
            claim.spec.as_ref().and_then(|s| s.volume_name.as_deref()).unwrap_or_default();
        if volume_name.is_empty() {
            unbound_immediate |= !waits_for_consumer(&claim, lookup);
            continue;
        }
        let Some(volume) = lookup.volume(volume_name) else {
            return Err(format!("persistentvolume \"{volume_name}\" not found"));
        };
        let required = volume
            .spec
            .as_ref()
            .and_then(|s| s.node_affinity.as_ref())
            .and_then(|a| a.required.as_ref());
        if let Some(required) = required {
            terms.push(required.node_selector_terms.iter().map(NodeTerm::from_api).collect());
        }
    }
    if unbound_immediate {
        return Err(UNBOUND_IMMEDIATE.to_owned());
    }
    Ok(terms)
}

#[cfg(test)]
mod tests;
