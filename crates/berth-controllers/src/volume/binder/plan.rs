//! The binder's decision, a pure function of claims, volumes, classes and consuming pods.
//!
//! [`plan`] says which claim binds to which volume (a volume pre-bound to the claim first, else
//! the smallest Available volume that [`matches`]), which claims get the default class or the
//! node their first consumer was scheduled to (`WaitForFirstConsumer`), and what happens to
//! volumes whose claim is gone (their reclaim policy: Delete or Released).

use std::collections::{BTreeMap, BTreeSet};

use berth_api::quantity::parse_bytes;
use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;

use crate::daemonset::nodes;

pub const SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";
pub const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";

/// A claim's key: namespace and name.
pub type Key = (String, String);

/// One write the binder makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Give a claim without storageClassName the default class.
    SetClass { claim: Key, class: String },
    /// Record the node of the claim's first scheduled consumer.
    SelectNode { claim: Key, node: String },
    /// Bind volume and claim to each other (whatever half is missing).
    Bind { claim: Key, volume: String },
    /// The claim's volume is gone.
    Lost { claim: Key },
    /// The volume's claim is gone: delete it (reclaimPolicy Delete) or mark it Released.
    Reclaim { volume: String, delete: bool },
    /// A volume without claim becomes Available.
    Available { volume: String },
}

/// What the binder reads.
#[derive(Debug, Default)]
pub struct World<'a> {
    pub claims: Vec<&'a PersistentVolumeClaim>,
    pub volumes: Vec<&'a PersistentVolume>,
    pub classes: Vec<&'a StorageClass>,
    pub nodes: Vec<&'a Node>,
    /// The node of each claim's scheduled consumer pod.
    pub consumers: BTreeMap<Key, String>,
}

/// The node each claim's scheduled consumers run on.
pub fn consumers<'a>(pods: impl IntoIterator<Item = &'a Pod>) -> BTreeMap<Key, String> {
    let mut found = BTreeMap::new();
    for pod in pods {
        let Some(spec) = pod.spec.as_ref() else { continue };
        let Some(node) = spec.node_name.as_deref().filter(|n| !n.is_empty()) else { continue };
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        for volume in spec.volumes.iter().flatten() {
            if let Some(claim) = &volume.persistent_volume_claim {
                found.insert((namespace.clone(), claim.claim_name.clone()), node.to_owned());
            }
        }
    }
    found
}

/// The class a claim uses: its own, else the default class (None when there is none).
pub fn class_of(claim: &PersistentVolumeClaim, classes: &[&StorageClass]) -> Option<String> {
    match claim.spec.as_ref().and_then(|s| s.storage_class_name.clone()) {
        Some(class) => Some(class),
        None => default_class(classes).map(str::to_owned),
    }
}

/// The name of the default StorageClass.
pub fn default_class<'a>(classes: &[&'a StorageClass]) -> Option<&'a str> {
    classes
        .iter()
        .filter(|c| {
            c.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(DEFAULT_CLASS))
                .is_some_and(|v| v == "true")
        })
        .filter_map(|c| c.metadata.name.as_deref())
        .min()
}

/// The binder's steps now.
pub fn plan(world: &World<'_>) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    let volumes: BTreeMap<&str, &PersistentVolume> =
        world.volumes.iter().filter_map(|v| Some((v.metadata.name.as_deref()?, *v))).collect();
    for &claim in &world.claims {
        let Some(spec) = claim.spec.as_ref() else { continue };
        if claim.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let key = key(claim);
        let phase = claim.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
        let class = class_of(claim, &world.classes).unwrap_or_default();
        if spec.storage_class_name.is_none() && !class.is_empty() {
            steps.push(Step::SetClass { claim: key.clone(), class: class.clone() });
        }
        if let Some(name) = spec.volume_name.as_deref().filter(|n| !n.is_empty()) {
            match volumes.get(name) {
                None if phase == "Bound" => steps.push(Step::Lost { claim: key }),
                Some(v)
                    if (v.spec.as_ref().and_then(|s| s.claim_ref.as_ref()).is_none()
                        || claimed_by(v, claim))
                        && (phase != "Bound" || !claimed_by(v, claim)) =>
                {
                    steps.push(Step::Bind { claim: key, volume: name.to_owned() });
                }
                _ => {}
            }
            taken.insert(name);
            continue;
        }
        if let Some(&v) =
            world.volumes.iter().find(|v| claimed_by(v, claim) && !taken.contains(name_of(v)))
        {
            taken.insert(name_of(v));
            steps.push(Step::Bind { claim: key, volume: name_of(v).to_owned() });
            continue;
        }
        let mode = world
            .classes
            .iter()
            .find(|c| c.metadata.name.as_deref() == Some(class.as_str()))
            .and_then(|c| c.volume_binding_mode.as_deref())
            .unwrap_or("Immediate");
        let node = if mode == "WaitForFirstConsumer" {
            let Some(node) = world.consumers.get(&key) else { continue };
            let annotations = claim.metadata.annotations.as_ref();
            if annotations.and_then(|a| a.get(SELECTED_NODE)) != Some(node) {
                steps.push(Step::SelectNode { claim: key.clone(), node: node.clone() });
            }
            Some(world.nodes.iter().find(|n| n.metadata.name.as_deref() == Some(node.as_str())))
        } else {
            None
        };
        let best = world
            .volumes
            .iter()
            .copied()
            .filter(|v| !taken.contains(name_of(v)))
            .filter(|v| matches(v, claim, &class, node.map(|n| n.copied())))
            .min_by(|a, b| storage(capacity(a)).cmp(&storage(capacity(b))));
        if let Some(v) = best {
            taken.insert(name_of(v));
            steps.push(Step::Bind { claim: key, volume: name_of(v).to_owned() });
        }
    }
    for volume in &world.volumes {
        if volume.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let phase = volume.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
        let spec = volume.spec.clone().unwrap_or_default();
        let name = name_of(volume).to_owned();
        match spec.claim_ref.as_ref() {
            None if phase != "Available" => steps.push(Step::Available { volume: name }),
            None => {}
            Some(r)
                if r.uid.as_deref().is_none_or(str::is_empty)
                    && phase != "Available"
                    && phase != "Bound" =>
            {
                steps.push(Step::Available { volume: name });
            }
            Some(r) if r.uid.as_deref().is_none_or(str::is_empty) => {}
            Some(r) => {
                let alive = world.claims.iter().any(|c| {
                    c.metadata.uid == r.uid
                        && c.metadata.name == r.name
                        && c.metadata.namespace == r.namespace
                });
                if !alive && !matches!(phase, "Released" | "Failed") {
                    let delete = spec.persistent_volume_reclaim_policy.as_deref() == Some("Delete");
                    steps.push(Step::Reclaim { volume: name, delete });
                } else if !alive
                    && phase == "Released"
                    && spec.persistent_volume_reclaim_policy.as_deref() == Some("Delete")
                {
                    steps.push(Step::Reclaim { volume: name, delete: true });
                }
            }
        }
    }
    steps
}

/// Can `volume` (unclaimed, Available) serve `claim` of `class`, on `node` when one is chosen?
/// `node` is `Some(None)` when the node is chosen but unknown: nothing pinned fits it.
pub fn matches(
    volume: &PersistentVolume,
    claim: &PersistentVolumeClaim,
    class: &str,
    node: Option<Option<&Node>>,
) -> bool {
    let (Some(vspec), Some(cspec)) = (volume.spec.as_ref(), claim.spec.as_ref()) else {
        return false;
    };
    let phase = volume.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
    if vspec.claim_ref.is_some()
        || phase != "Available"
        || volume.metadata.deletion_timestamp.is_some()
    {
        return false;
    }
    if vspec.storage_class_name.as_deref().unwrap_or_default() != class {
        return false;
    }
    let modes = vspec.access_modes.as_deref().unwrap_or_default();
    if !cspec.access_modes.iter().flatten().all(|m| modes.contains(m)) {
        return false;
    }
    let volume_mode = |m: Option<&str>| m.unwrap_or("Filesystem").to_owned();
    if volume_mode(vspec.volume_mode.as_deref()) != volume_mode(cspec.volume_mode.as_deref()) {
        return false;
    }
    let request =
        cspec.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get("storage"));
    if storage(capacity(volume)) < storage(request.map(|q| q.0.as_str())) {
        return false;
    }
    if let Some(selector) = &cspec.selector {
        let empty = selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
            && selector.match_expressions.as_ref().is_none_or(Vec::is_empty);
        if !empty && !crate::pods::selects(Some(selector), volume.metadata.labels.as_ref()) {
            return false;
        }
    }
    let required = vspec.node_affinity.as_ref().and_then(|a| a.required.as_ref());
    match (node, required) {
        (None, _) | (Some(_), None) => true,
        (Some(None), Some(_)) => false,
        (Some(Some(node)), Some(selector)) => nodes::selector_matches(selector, node),
    }
}

/// Bytes of a quantity (`10Gi`, `500M`, `1e3`); 0 when absent or unreadable.
fn storage(quantity: Option<&str>) -> i64 {
    quantity.map_or(0, parse_bytes)
}

fn capacity(volume: &PersistentVolume) -> Option<&str> {
    let capacity = volume.spec.as_ref()?.capacity.as_ref()?;
    capacity.get("storage").map(|q| q.0.as_str())
}

fn name_of(volume: &PersistentVolume) -> &str {
    volume.metadata.name.as_deref().unwrap_or_default()
}

pub fn key(claim: &PersistentVolumeClaim) -> Key {
    (
        claim.metadata.namespace.clone().unwrap_or_default(),
        claim.metadata.name.clone().unwrap_or_default(),
    )
}

/// Is the volume's claimRef this claim (by uid when it has one)?
pub fn claimed_by(volume: &PersistentVolume, claim: &PersistentVolumeClaim) -> bool {
    let Some(r) = volume.spec.as_ref().and_then(|s| s.claim_ref.as_ref()) else { return false };
    r.name == claim.metadata.name
        && r.namespace == claim.metadata.namespace
        && r.uid.as_deref().is_none_or(|u| u.is_empty() || Some(u) == claim.metadata.uid.as_deref())
}
