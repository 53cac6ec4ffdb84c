//! Adoption and release: a controller claims the orphans its selector matches (it becomes their
//! controller owner) and lets go of what it owns but no longer selects. The decision is
//! [`claim`]; [`adopt`] and [`release`] write it as merge patches that carry the
//! resourceVersion read, so an object changed meanwhile is left for the next sync. The
//! deployment controller claims its ReplicaSets the same way.

use std::fmt::Debug;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::serde::de::DeserializeOwned;
use kube::api::{Patch, PatchParams};
use kube::{Api, Resource, ResourceExt};
use serde_json::json;

use crate::pods;

/// What a controller does with one candidate object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Already ours and still selected.
    Keep,
    /// An orphan we select: becomes ours.
    Adopt,
    /// Ours but no longer selected: let go.
    Release,
    /// Someone else's, or nothing to do with us.
    Ignore,
}

/// How the controller with `owner_uid` treats an object. A controller being deleted neither
/// adopts nor releases; an object being deleted is not adopted.
pub(crate) fn claim(
    owner_uid: &str,
    owner_deleting: bool,
    object: &ObjectMeta,
    selected: bool,
) -> Claim {
    match pods::controller_uid(object) {
        Some(uid) if uid == owner_uid => {
            if selected {
                Claim::Keep
            } else if owner_deleting {
                Claim::Ignore
            } else {
                Claim::Release
            }
        }
        Some(_) => Claim::Ignore,
        None if selected && !owner_deleting && object.deletion_timestamp.is_none() => Claim::Adopt,
        None => Claim::Ignore,
    }
}

/// Makes `owner` the controller of `object`. `Ok(None)` when the object changed or went away
/// since it was read (the next sync decides again).
pub(crate) async fn adopt<K>(
    api: &Api<K>,
    object: &K,
    owner: OwnerReference,
) -> Result<Option<K>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let mut references = object.owner_references().to_vec();
    references.retain(|r| r.uid != owner.uid);
    references.push(owner);
    write_references(api, object, references).await
}

/// Removes the owner reference with `owner_uid` from `object`.
pub(crate) async fn release<K>(
    api: &Api<K>,
    object: &K,
    owner_uid: &str,
) -> Result<Option<K>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let mut references = object.owner_references().to_vec();
    references.retain(|r| r.uid != owner_uid);
    write_references(api, object, references).await
}

async fn write_references<K>(
    api: &Api<K>,
    object: &K,
    references: Vec<OwnerReference>,
) -> Result<Option<K>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let patch = json!({
        "metadata": {
            "resourceVersion": object.resource_version(),
            "ownerReferences": references,
        }
    });
    match api.patch(&object.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await {
        Ok(written) => Ok(Some(written)),
        Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use k8s_openapi::jiff::Timestamp;

    fn meta(controller: Option<&str>, deleting: bool) -> ObjectMeta {
        ObjectMeta {
            owner_references: controller
                .map(|uid| vec![pods::controller_ref("apps/v1", "ReplicaSet", "rs", uid)]),
            deletion_timestamp: deleting.then_some(Time(Timestamp::UNIX_EPOCH)),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn claims_follow_ownership_and_selection() {
        // (controller, object deleting, selected, owner deleting, expected)
        let cases = [
            (Some("me"), false, true, false, Claim::Keep),
            (Some("me"), false, false, false, Claim::Release),
            (Some("me"), false, false, true, Claim::Ignore),
            (Some("me"), true, true, false, Claim::Keep),
            (Some("other"), false, true, false, Claim::Ignore),
            (None, false, true, false, Claim::Adopt),
            (None, true, true, false, Claim::Ignore),
            (None, false, true, true, Claim::Ignore),
            (None, false, false, false, Claim::Ignore),
        ];
        for (controller, deleting, selected, owner_deleting, expected) in cases {
            let got = claim("me", owner_deleting, &meta(controller, deleting), selected);
            assert_eq!(got, expected, "{controller:?} deleting={deleting} selected={selected}");
        }
    }
}
