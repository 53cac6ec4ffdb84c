//! The scheduler's writes to the API server, each run in its own task: the binding of a pod
//! to its node, and the evictions of a preemption with the nomination of the preemptor.

use k8s_openapi::api::core::v1::{Binding, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};

use crate::plan::Preemption;
use crate::recorder::PodRef;

/// POST `pods/{name}/binding`.
pub(super) async fn bind(
    client: kube::Client,
    leadership: berth_leader::Leadership,
    pod: &PodRef,
    node: &str,
) -> Result<(), kube::Error> {
    if !leadership.is_leader() {
        return Err(kube::Error::Service("not the leader".into()));
    }
    let binding = Binding {
        metadata: ObjectMeta {
            name: Some(pod.name.clone()),
            namespace: Some(pod.namespace.clone()),
            uid: Some(pod.uid.clone()).filter(|u| !u.is_empty()),
            ..ObjectMeta::default()
        },
        target: ObjectReference {
            api_version: Some("v1".to_owned()),
            kind: Some("Node".to_owned()),
            name: Some(node.to_owned()),
            ..ObjectReference::default()
        },
    };
    let pods: Api<Pod> = Api::namespaced(client, &pod.namespace);
    pods.create_subresource::<_, serde_json::Value>(
        "binding",
        &pod.name,
        &PostParams::default(),
        &binding,
    )
    .await
    .map(|_| ())
}

/// Deletes the victims and records the node the pod now waits for.
pub(super) async fn evict(
    client: kube::Client,
    leadership: berth_leader::Leadership,
    pod: &PodRef,
    preemption: Preemption,
) {
    for victim in &preemption.victims {
        if !leadership.is_leader() {
            return;
        }
        let pods: Api<Pod> = Api::namespaced(client.clone(), &victim.namespace);
        let params = DeleteParams { preconditions: None, ..DeleteParams::default() };
        if let Err(error) = pods.delete(&victim.name, &params).await {
            tracing::debug!(victim = %victim.name, %error, "preempting");
        }
    }
    if !leadership.is_leader() {
        return;
    }
    let patch = serde_json::json!({"status": {"nominatedNodeName": preemption.node}});
    let pods: Api<Pod> = Api::namespaced(client, &pod.namespace);
    if let Err(error) =
        pods.patch_status(&pod.name, &PatchParams::default(), &Patch::Merge(patch)).await
    {
        tracing::debug!(pod = %pod.name, %error, "nominating");
    }
}
