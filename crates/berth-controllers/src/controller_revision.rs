//! ControllerRevisions: the template history of StatefulSets and DaemonSets.
//!
//! Each distinct pod template a set has had is kept as a `ControllerRevision` named
//! `<set>-<hash>`, whose data is the template as a patch (`{"spec":{"template":…}}`) and whose
//! `revision` number orders the history. Pods carry the revision they were made from in the
//! `controller-revision-hash` label, which is how a rolling update tells old pods from new.
//! [`sync`] finds or creates the revision of the current template (renumbering an old one that
//! came back, as a rollback does) and [`prune`] keeps `revisionHistoryLimit` unused ones. The
//! choices are pure functions ([`find_equal`], [`hash`], [`to_prune`]) tested without tokio.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::{Value, json};

use crate::{Context, Error};

/// The label (on revisions and on pods) naming the revision a pod was made from.
pub const HASH_LABEL: &str = "controller-revision-hash";

/// The set whose history this is.
#[derive(Debug, Clone)]
pub struct Owner {
    pub namespace: String,
    pub name: String,
    pub reference: OwnerReference,
    /// Labels put on the revisions (the set's selector labels).
    pub labels: BTreeMap<String, String>,
}

/// The revisions a set's pods are compared against.
#[derive(Debug, Clone)]
pub struct Revisions {
    /// What the pods were last fully rolled to (`status.currentRevision`), else `update`.
    pub current: ControllerRevision,
    /// The revision of the set's template now.
    pub update: ControllerRevision,
    pub collision_count: i32,
}

/// The revision data of a template: a patch replacing `spec.template`.
pub fn data(template: &PodTemplateSpec) -> Value {
    let mut template = serde_json::to_value(template).unwrap_or_else(|_| json!({}));
    if let Some(map) = template.as_object_mut() {
        map.insert("$patch".to_owned(), json!("replace"));
    }
    json!({ "spec": { "template": template } })
}

/// The pod template a revision holds, if its data is one.
pub fn template(revision: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut template = revision.data.as_ref()?.0.pointer("/spec/template")?.clone();
    if let Some(map) = template.as_object_mut() {
        map.remove("$patch");
    }
    serde_json::from_value(template).ok()
}

/// A short, name-safe hash of revision data and the set's collision count (FNV-1a, 64 bits,
/// written in consonants and digits so that it never spells a word).
pub fn hash(data: &Value, collision_count: i32) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let text = data.to_string();
    for byte in text.bytes().chain(collision_count.to_le_bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (0..10)
        .map(|_| {
            let c = ALPHABET[(h % ALPHABET.len() as u64) as usize] as char;
            h /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

/// The hash part of a revision: its label, else what follows `<owner>-` in its name.
pub fn hash_of(revision: &ControllerRevision) -> String {
    let labels = revision.metadata.labels.as_ref();
    if let Some(hash) = labels.and_then(|l| l.get(HASH_LABEL)) {
        return hash.clone();
    }
    let name = revision.metadata.name.as_deref().unwrap_or_default();
    name.rsplit_once('-').map_or(name, |(_, h)| h).to_owned()
}

/// The owner's revisions, oldest first.
pub fn owned<'a>(
    all: impl IntoIterator<Item = &'a ControllerRevision>,
    owner: &Owner,
) -> Vec<ControllerRevision> {
    let mut mine: Vec<ControllerRevision> = all
        .into_iter()
        .filter(|r| r.metadata.namespace.as_deref() == Some(owner.namespace.as_str()))
        .filter(|r| crate::pods::controller_uid(&r.metadata) == Some(&owner.reference.uid))
        .cloned()
        .collect();
    mine.sort_by_key(|r| r.revision);
    mine
}

/// The index of the revision (of a history sorted oldest first) whose data equals `data`.
pub fn find_equal(history: &[ControllerRevision], data: &Value) -> Option<usize> {
    history.iter().rposition(|r| r.data.as_ref().is_some_and(|d| &d.0 == data))
}

/// The names of revisions to delete: the oldest unused ones beyond `limit`.
pub fn to_prune(
    history: &[ControllerRevision],
    live: &BTreeSet<String>,
    limit: usize,
) -> Vec<String> {
    let unused: Vec<&str> = history
        .iter()
        .filter_map(|r| r.metadata.name.as_deref())
        .filter(|name| !live.contains(*name))
        .collect();
    let excess = unused.len().saturating_sub(limit);
    unused.into_iter().take(excess).map(str::to_owned).collect()
}

/// Finds or makes the revision of `template`; `current` is the set's `status.currentRevision`.
pub async fn sync(
    ctx: &Context,
    owner: &Owner,
    history: Vec<ControllerRevision>,
    template: &PodTemplateSpec,
    mut collision_count: i32,
    current: Option<&str>,
) -> Result<Revisions, Error> {
    let api: Api<ControllerRevision> = Api::namespaced(ctx.client.clone(), &owner.namespace);
    let data = data(template);
    let next = history.last().map_or(1, |r| r.revision + 1);
    let update = match find_equal(&history, &data) {
        Some(i) if i + 1 == history.len() => history[i].clone(),
        Some(i) => {
            // A template that comes back (a rollback) becomes the newest revision again.
            let mut revision = history[i].clone();
            revision.revision = next;
            ctx.ensure_leader()?;
            let name = revision.metadata.name.clone().unwrap_or_default();
            api.replace(&name, &PostParams::default(), &revision)
                .await
                .map_err(|e| Error::api(format!("renumbering controller revision {name}"), e))?
        }
        None => loop {
            let hash = hash(&data, collision_count);
            let revision = new_revision(owner, &hash, data.clone(), next);
            ctx.ensure_leader()?;
            match api.create(&PostParams::default(), &revision).await {
                Ok(created) => break created,
                Err(kube::Error::Api(status)) if status.code == 409 => {
                    let name = revision.metadata.name.clone().unwrap_or_default();
                    let existing = api.get(&name).await.map_err(|e| {
                        Error::api(format!("reading controller revision {name}"), e)
                    })?;
                    let same_owner = crate::pods::controller_uid(&existing.metadata)
                        == Some(&owner.reference.uid);
                    if same_owner && existing.data.as_ref().is_some_and(|d| d.0 == data) {
                        break existing;
                    }
                    collision_count += 1;
                    if collision_count > 1000 {
                        return Err(Error::Invalid(format!("no free revision name for {name}")));
                    }
                }
                Err(e) => return Err(Error::api("creating controller revision", e)),
            }
        },
    };
    let update_name = update.metadata.name.clone();
    let current = current
        .filter(|c| Some(*c) != update_name.as_deref())
        .and_then(|c| history.iter().find(|r| r.metadata.name.as_deref() == Some(c)))
        .cloned()
        .unwrap_or_else(|| update.clone());
    Ok(Revisions { current, update, collision_count })
}

/// Deletes the owner's unused revisions beyond `limit`.
pub async fn prune(
    ctx: &Context,
    namespace: &str,
    history: &[ControllerRevision],
    live: &BTreeSet<String>,
    limit: usize,
) -> Result<(), Error> {
    let api: Api<ControllerRevision> = Api::namespaced(ctx.client.clone(), namespace);
    for name in to_prune(history, live, limit) {
        ctx.ensure_leader()?;
        match api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(e) => return Err(Error::api(format!("deleting controller revision {name}"), e)),
        }
    }
    Ok(())
}

fn new_revision(owner: &Owner, hash: &str, data: Value, revision: i64) -> ControllerRevision {
    let mut labels = owner.labels.clone();
    labels.insert(HASH_LABEL.to_owned(), hash.to_owned());
    ControllerRevision {
        metadata: ObjectMeta {
            name: Some(format!("{}-{hash}", owner.name)),
            namespace: Some(owner.namespace.clone()),
            labels: Some(labels),
            owner_references: Some(vec![owner.reference.clone()]),
            ..ObjectMeta::default()
        },
        data: Some(RawExtension(data)),
        revision,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, PodSpec};

    fn template(image: &str) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: None,
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    image: Some(image.into()),
                    ..Container::default()
                }],
                ..PodSpec::default()
            }),
        }
    }

    fn revision(name: &str, number: i64, image: &str) -> ControllerRevision {
        ControllerRevision {
            metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() },
            data: Some(RawExtension(data(&template(image)))),
            revision: number,
        }
    }

    #[test]
    fn the_hash_follows_the_template_and_the_collision_count() {
        let a = data(&template("nginx:1"));
        assert_eq!(hash(&a, 0), hash(&data(&template("nginx:1")), 0));
        assert_ne!(hash(&a, 0), hash(&data(&template("nginx:2")), 0));
        assert_ne!(hash(&a, 0), hash(&a, 1));
        assert_eq!(hash(&a, 0).len(), 10);
    }

    #[test]
    fn a_revision_gives_its_template_back() {
        let r = revision("web-1", 1, "nginx:1");
        assert_eq!(super::template(&r), Some(template("nginx:1")));
    }

    #[test]
    fn equal_data_is_found_in_the_history() {
        let history = [revision("a", 1, "nginx:1"), revision("b", 2, "nginx:2")];
        let cases = [("nginx:1", Some(0)), ("nginx:2", Some(1)), ("nginx:3", None)];
        for (image, want) in cases {
            assert_eq!(find_equal(&history, &data(&template(image))), want, "{image}");
        }
    }

    #[test]
    fn pruning_keeps_live_revisions_and_the_newest_unused_ones() {
        let history: Vec<_> =
            (1..=5).map(|i| revision(&format!("r{i}"), i, &format!("img:{i}"))).collect();
        let live: BTreeSet<String> = ["r1".to_owned(), "r5".to_owned()].into();
        let cases = [(0, vec!["r2", "r3", "r4"]), (1, vec!["r2", "r3"]), (3, vec![]), (9, vec![])];
        for (limit, want) in cases {
            assert_eq!(to_prune(&history, &live, limit), want, "limit {limit}");
        }
    }
}
