//! Which ReplicaSet is the deployment's new one and what it is called: the pod-template hash,
//! the revision annotations, the annotations a ReplicaSet copies from its deployment, and which
//! old ReplicaSets the revision history limit lets go. Pure functions over the objects.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use kube::ResourceExt;

/// The label that tells a deployment's ReplicaSets (and their pods) apart.
pub const HASH_LABEL: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";

/// Deployment annotations a ReplicaSet does not copy (and undo does not copy back).
const NOT_COPIED: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

/// Letters and digits without vowels (no words by accident) and without look-alikes.
const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A stable, label-safe hash of `template` and the collision count: FNV-1a (32 bit) over the
/// template's JSON, then the count's bytes, written in [`ALPHABET`]. The same template gives the
/// same label in every process and after every restart.
pub fn template_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let json = serde_json::to_vec(template).unwrap_or_default();
    let mut hash = fnv1a(&json, 0x811c_9dc5);
    if let Some(count) = collision_count {
        hash = fnv1a(&count.to_le_bytes(), hash);
    }
    let mut text = Vec::new();
    loop {
        text.push(ALPHABET[(hash % ALPHABET.len() as u32) as usize]);
        hash /= ALPHABET.len() as u32;
        if hash == 0 {
            break;
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

fn fnv1a(bytes: &[u8], mut hash: u32) -> u32 {
    for byte in bytes {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// Two templates equal but for the hash label (and empty versus absent label or annotation maps).
pub fn equal_ignoring_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    normalized(a) == normalized(b)
}

fn normalized(template: &PodTemplateSpec) -> PodTemplateSpec {
    let mut template = template.clone();
    if let Some(meta) = template.metadata.as_mut() {
        if let Some(labels) = meta.labels.as_mut() {
            labels.remove(HASH_LABEL);
        }
        meta.labels = meta.labels.take().filter(|l| !l.is_empty());
        meta.annotations = meta.annotations.take().filter(|a| !a.is_empty());
    }
    template
}

/// The revision a ReplicaSet (or deployment) carries, 0 when none.
pub fn revision(annotations: &BTreeMap<String, String>) -> i64 {
    annotations.get(REVISION).and_then(|r| r.parse().ok()).unwrap_or(0)
}

/// The highest revision among `sets`.
pub fn max_revision(sets: &[ReplicaSet]) -> i64 {
    sets.iter().map(|rs| revision(rs.annotations())).max().unwrap_or(0)
}

/// Oldest first (then by name), the order Kubernetes looks for the new ReplicaSet in.
pub fn by_creation(sets: &mut [ReplicaSet]) {
    sets.sort_by(|a, b| {
        let key =
            |rs: &ReplicaSet| (rs.metadata.creation_timestamp.as_ref().map(|t| t.0), rs.name_any());
        key(a).cmp(&key(b))
    });
}

/// The index of the deployment's new ReplicaSet (its template equals the deployment's).
pub fn find_new(deployment: &Deployment, sorted: &[ReplicaSet]) -> Option<usize> {
    let template = deployment.spec.as_ref().map(|s| &s.template)?;
    sorted.iter().position(|rs| {
        rs.spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .is_some_and(|t| equal_ignoring_hash(t, template))
    })
}

/// `annotations` of a ReplicaSet brought up to date with its deployment: the deployment's own
/// annotations copied, the revision raised to `revision` (never lowered), and for a new
/// ReplicaSet the replica annotations. Returns whether anything changed.
pub fn sync_annotations(
    deployment: &Deployment,
    annotations: &mut BTreeMap<String, String>,
    revision_now: i64,
    new_set: Option<(i32, i32)>,
) -> bool {
    let mut changed = false;
    for (key, value) in deployment.annotations() {
        if NOT_COPIED.contains(&key.as_str()) || annotations.get(key) == Some(value) {
            continue;
        }
        annotations.insert(key.clone(), value.clone());
        changed = true;
    }
    if revision(annotations) < revision_now {
        annotations.insert(REVISION.to_owned(), revision_now.to_string());
        changed = true;
    }
    if let Some((desired, max)) = new_set {
        changed |= replica_annotations(annotations, desired, max);
    }
    changed
}

/// Sets the desired- and max-replicas annotations; returns whether they changed.
pub fn replica_annotations(
    annotations: &mut BTreeMap<String, String>,
    desired: i32,
    max: i32,
) -> bool {
    let mut changed = false;
    for (key, value) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        let value = value.to_string();
        if annotations.get(key) != Some(&value) {
            annotations.insert(key.to_owned(), value);
            changed = true;
        }
    }
    changed
}

/// An integer annotation of a ReplicaSet.
pub fn annotation_i32(rs: &ReplicaSet, key: &str) -> Option<i32> {
    rs.annotations().get(key).and_then(|v| v.parse().ok())
}

/// The old ReplicaSets beyond `revisionHistoryLimit` to delete, lowest revision first; only
/// ones scaled to zero whose status shows it, and not already being deleted.
pub fn history_to_delete(deployment: &Deployment, old: &[ReplicaSet]) -> Vec<String> {
    let Some(limit) = deployment.spec.as_ref().and_then(|s| s.revision_history_limit) else {
        return Vec::new();
    };
    let mut alive: Vec<&ReplicaSet> =
        old.iter().filter(|rs| rs.metadata.deletion_timestamp.is_none()).collect();
    let surplus = alive.len().saturating_sub(limit.max(0).unsigned_abs() as usize);
    alive.sort_by_key(|rs| {
        (revision(rs.annotations()), rs.metadata.creation_timestamp.as_ref().map(|t| t.0))
    });
    alive
        .into_iter()
        .take(surplus)
        .filter(|rs| {
            let spec = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
            let status = rs.status.as_ref().map(|s| s.replicas).unwrap_or(0);
            let observed = rs.status.as_ref().and_then(|s| s.observed_generation).unwrap_or(0);
            spec == 0 && status == 0 && rs.metadata.generation.unwrap_or(0) <= observed
        })
        .map(ResourceExt::name_any)
        .collect()
}

/// [`by_creation`] over references.
pub fn by_creation_refs(sets: &mut [&ReplicaSet]) {
    sets.sort_by(|a, b| {
        let key =
            |rs: &ReplicaSet| (rs.metadata.creation_timestamp.as_ref().map(|t| t.0), rs.name_any());
        key(a).cmp(&key(b))
    });
}
