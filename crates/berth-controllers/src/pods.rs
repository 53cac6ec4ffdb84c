//! Pods as the workload controllers see them: made from a template with an owner reference,
//! and judged active, ready or available the way Kubernetes' controllers judge them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::jiff::Timestamp;
use kube::core::{Selector, SelectorExt};

/// A pod from `template`, owned (as controller, blocking owner deletion) by `owner`.
/// `name` is either an exact name or, ending in `-`, a generateName prefix.
pub fn from_template(
    template: &PodTemplateSpec,
    namespace: &str,
    name: &str,
    owner: OwnerReference,
) -> Pod {
    let source = template.metadata.clone().unwrap_or_default();
    let mut metadata = ObjectMeta {
        namespace: Some(namespace.to_owned()),
        labels: source.labels,
        annotations: source.annotations,
        finalizers: source.finalizers,
        owner_references: Some(vec![owner]),
        ..ObjectMeta::default()
    };
    if name.ends_with('-') {
        metadata.generate_name = Some(name.to_owned());
    } else {
        metadata.name = Some(name.to_owned());
    }
    Pod { metadata, spec: template.spec.clone(), status: None }
}

/// The owner reference a controller puts on what it makes.
pub fn controller_ref(api_version: &str, kind: &str, name: &str, uid: &str) -> OwnerReference {
    OwnerReference {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
        name: name.to_owned(),
        uid: uid.to_owned(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The uid of the object's controller, if it has one.
pub fn controller_uid(metadata: &ObjectMeta) -> Option<&str> {
    metadata
        .owner_references
        .as_deref()?
        .iter()
        .find(|r| r.controller == Some(true))
        .map(|r| r.uid.as_str())
}

/// Does `selector` select these labels? An empty or invalid selector selects nothing, as
/// workload controllers treat it.
pub fn selects(
    selector: Option<&LabelSelector>,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let Some(selector) = selector else { return false };
    if selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
    {
        return false;
    }
    let Ok(selector) = Selector::try_from(selector.clone()) else { return false };
    let empty = BTreeMap::new();
    selector.matches(labels.unwrap_or(&empty))
}

/// Neither finished (Succeeded/Failed) nor being deleted: counts towards replicas.
pub fn is_active(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none() && !is_terminal(pod)
}

/// Succeeded or Failed.
pub fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

/// The pod's phase, "Pending" when it has none yet.
pub fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending")
}

/// When the pod's Ready condition turned True, if it is True.
pub fn ready_since(pod: &Pod) -> Option<Timestamp> {
    let conditions = pod.status.as_ref()?.conditions.as_ref()?;
    let ready = conditions.iter().find(|c| c.type_ == "Ready" && c.status == "True")?;
    Some(
        ready
            .last_transition_time
            .as_ref()
            .map(|t| t.0)
            .or_else(|| pod.metadata.creation_timestamp.as_ref().map(|t| t.0))
            .unwrap_or(Timestamp::UNIX_EPOCH),
    )
}

/// Ready condition True.
pub fn is_ready(pod: &Pod) -> bool {
    ready_since(pod).is_some()
}

/// Ready for at least `min_ready_seconds` at `now`.
pub fn is_available(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    match ready_since(pod) {
        None => false,
        Some(_) if min_ready_seconds <= 0 => true,
        Some(since) => now.as_second() - since.as_second() >= i64::from(min_ready_seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn ready_pod(since: i64) -> Pod {
        Pod {
            status: Some(PodStatus {
                phase: Some("Running".to_owned()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".to_owned(),
                    status: "True".to_owned(),
                    last_transition_time: Some(Time(
                        Timestamp::from_second(since).unwrap_or(Timestamp::UNIX_EPOCH),
                    )),
                    ..PodCondition::default()
                }]),
                ..PodStatus::default()
            }),
            ..Pod::default()
        }
    }

    #[test]
    fn availability_waits_for_min_ready_seconds() {
        let pod = ready_pod(1_000);
        let at = |s| Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH);
        assert!(is_available(&pod, 0, at(1_000)));
        assert!(!is_available(&pod, 10, at(1_005)));
        assert!(is_available(&pod, 10, at(1_010)));
        assert!(!is_available(&Pod::default(), 0, at(1_010)));
    }

    #[test]
    fn an_empty_selector_selects_nothing() {
        let labels = BTreeMap::from([("app".to_owned(), "web".to_owned())]);
        assert!(!selects(Some(&LabelSelector::default()), Some(&labels)));
        assert!(!selects(None, Some(&labels)));
        let selector = LabelSelector { match_labels: Some(labels.clone()), ..Default::default() };
        assert!(selects(Some(&selector), Some(&labels)));
        assert!(!selects(Some(&selector), None));
    }
}
