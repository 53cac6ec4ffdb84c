//! The node lifecycle controller: notices nodes whose kubelet went quiet and moves their pods.
//!
//! Every `node_monitor_period` [`pass`] looks at each node's Lease in `kube-node-lease`. A node
//! whose Lease is older than `node_monitor_grace_period` gets Ready=Unknown ("Kubelet stopped
//! posting node status.") and the `node.kubernetes.io/unreachable` NoExecute and NoSchedule
//! taints, and its pods get Ready=False; a node that reports Ready=False gets the `not-ready`
//! taints instead. Once the Lease is renewed, the taints go and Ready is set back. Pods on a
//! NoExecute-tainted node are deleted when their toleration runs out ([`evict_at`]); pods bound
//! to a node that no longer exists are deleted at once (pod garbage collection). The decisions
//! ([`health`], [`evict_at`]) are pure functions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeCondition, Pod, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, PostParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, ResourceExt};

use crate::{Context, Error};

pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";

/// What the controller makes of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ready,
    /// The kubelet says Ready=False (its Lease is fresh).
    NotReady,
    /// The Lease is stale (or was never there): the node is unreachable.
    Unknown,
}

/// A node's health from its reported Ready status and its Lease's last renewal (or, without a
/// Lease, its creation time).
pub fn health(
    ready: Option<&str>,
    renewed: Option<Timestamp>,
    created: Timestamp,
    now: Timestamp,
    grace: Duration,
) -> Health {
    let heard = renewed.unwrap_or(created);
    if now.as_second() - heard.as_second() > grace.as_secs() as i64 {
        return Health::Unknown;
    }
    match ready {
        Some("False") => Health::NotReady,
        _ => Health::Ready,
    }
}

/// The taints a node in this health carries (keys and effects), in order.
fn taints_for(health: Health) -> &'static [(&'static str, &'static str)] {
    match health {
        Health::Ready => &[],
        Health::NotReady => &[(NOT_READY, "NoExecute"), (NOT_READY, "NoSchedule")],
        Health::Unknown => &[(UNREACHABLE, "NoExecute"), (UNREACHABLE, "NoSchedule")],
    }
}

/// When a pod with `tolerations` must leave a node with `taints`: the earliest NoExecute taint's
/// `timeAdded` plus its toleration's seconds (at once when nothing tolerates it); `None` when
/// it may stay for ever.
pub fn evict_at(tolerations: &[Toleration], taints: &[Taint]) -> Option<Timestamp> {
    let mut at: Option<Timestamp> = None;
    for taint in taints.iter().filter(|t| t.effect == "NoExecute") {
        let added = taint.time_added.as_ref().map_or(Timestamp::UNIX_EPOCH, |t| t.0);
        let tolerating = tolerations.iter().find(|t| tolerates(t, taint));
        let due = match tolerating {
            None => Some(added),
            Some(t) => t
                .toleration_seconds
                .map(|s| Timestamp::from_second(added.as_second() + s.max(0)).unwrap_or(added)),
        };
        if let Some(due) = due {
            at = Some(at.map_or(due, |a| a.min(due)));
        }
    }
    at
}

fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect = t.effect.as_deref().is_none_or(|e| e.is_empty() || e == taint.effect);
    let key = match t.key.as_deref() {
        None | Some("") => t.operator.as_deref() == Some("Exists"),
        Some(k) => k == taint.key,
    };
    let value = t.operator.as_deref() == Some("Exists")
        || t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("");
    effect && key && value
}

struct Caches {
    nodes: Store<Node>,
    leases: Store<Lease>,
    pods: Store<Pod>,
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (nodes, w1) = reflector::store();
    let (leases, w2) = reflector::store();
    let (pods, w3) = reflector::store();
    let drive = |s: futures_util::stream::BoxStream<'static, ()>| s;
    let streams = futures_util::stream::select_all([
        drive(
            reflector::reflector(w1, watcher(Api::<Node>::all(client.clone()), Default::default()))
                .default_backoff()
                .map(drop)
                .boxed(),
        ),
        drive(
            reflector::reflector(
                w2,
                watcher(
                    Api::<Lease>::namespaced(client.clone(), "kube-node-lease"),
                    Default::default(),
                ),
            )
            .default_backoff()
            .map(drop)
            .boxed(),
        ),
        drive(
            reflector::reflector(w3, watcher(Api::<Pod>::all(client.clone()), Default::default()))
                .default_backoff()
                .map(drop)
                .boxed(),
        ),
    ]);
    let caches = Caches { nodes, leases, pods };
    let ticker = async {
        let ready = async {
            crate::cache::ready(&caches.nodes).await;
            crate::cache::ready(&caches.leases).await;
            crate::cache::ready(&caches.pods).await;
        };
        ready.await;
        let mut heard = HashMap::new();
        loop {
            if ctx.leadership.is_leader()
                && let Err(error) = pass(&ctx, &caches, &mut heard).await
            {
                tracing::debug!(%error, "node lifecycle pass failed");
            }
            tokio::time::sleep(ctx.config.node_monitor_period).await;
        }
    };
    tokio::select! {
        () = streams.for_each(|()| async {}) => {}
        () = ticker => {}
    }
    Err(Error::Stopped("nodelifecycle"))
}

/// When (by this process's clock) each node's Lease was last seen to change, keyed by node:
/// the renewTime seen and the local time it was first seen. As in Kubernetes, a node's grace
/// period runs from this controller's own observation, so a controller manager that starts
/// after a long stop (or whose clock differs from the nodes') gives every node a full grace
/// period instead of declaring them all lost at once.
type Heard = HashMap<String, (Option<Timestamp>, Timestamp)>;

/// One look at every node, its taints and its pods.
async fn pass(ctx: &Context, caches: &Caches, heard: &mut Heard) -> Result<(), Error> {
    let now = Timestamp::now();
    let nodes = caches.nodes.state();
    let pods = caches.pods.state();
    heard.retain(|name, _| nodes.iter().any(|n| n.metadata.name.as_deref() == Some(name)));
    for node in &nodes {
        let name = node.name_any();
        let renewed = caches
            .leases
            .get(&ObjectRef::new(&name).within("kube-node-lease"))
            .and_then(|l| l.spec.as_ref()?.renew_time.as_ref().map(|t| t.0));
        let ready = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
            .cloned();
        let created = node.metadata.creation_timestamp.as_ref().map_or(now, |t| t.0);
        let seen = heard.entry(name.clone()).or_insert((renewed, now));
        if seen.0 != renewed {
            *seen = (renewed, now);
        }
        let health = health(
            ready.as_ref().map(|c| c.status.as_str()),
            Some(seen.1),
            created,
            now,
            ctx.config.node_monitor_grace_period,
        );
        let node = set_taints(ctx, node, health, now).await?;
        set_ready(ctx, &node, ready.as_ref(), health, now).await?;
        let on_node: Vec<&Arc<Pod>> = pods
            .iter()
            .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(&name))
            .collect();
        if health == Health::Unknown {
            for pod in &on_node {
                mark_not_ready(ctx, pod, now).await?;
            }
        }
        let taints = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
        for pod in on_node.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
            let tolerations =
                pod.spec.as_ref().and_then(|s| s.tolerations.clone()).unwrap_or_default();
            if evict_at(&tolerations, &taints).is_some_and(|at| at <= now) {
                tracing::info!(pod = %pod.name_any(), node = %name, "evicting pod from tainted node");
                delete_pod(ctx, pod, None).await?;
            }
        }
    }
    // Pods bound to nodes that are gone.
    for pod in &pods {
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else { continue };
        if !nodes.iter().any(|n| n.metadata.name.as_deref() == Some(node)) {
            delete_pod(ctx, pod, Some(0)).await?;
        }
    }
    Ok(())
}

/// Puts the node's taints in line with its health; returns the node as it now is.
async fn set_taints(
    ctx: &Context,
    node: &Node,
    health: Health,
    now: Timestamp,
) -> Result<Node, Error> {
    let current = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
    let wanted = taints_for(health);
    let mut next: Vec<Taint> = current
        .iter()
        .filter(|t| {
            t.key != UNREACHABLE && t.key != NOT_READY
                || wanted.iter().any(|(k, e)| *k == t.key && *e == t.effect)
        })
        .cloned()
        .collect();
    for (key, effect) in wanted {
        if !next.iter().any(|t| t.key == *key && t.effect == *effect) {
            let time_added = (*effect == "NoExecute").then_some(Time(now));
            next.push(Taint {
                key: (*key).to_owned(),
                effect: (*effect).to_owned(),
                time_added,
                value: None,
            });
        }
    }
    if next == current {
        return Ok(node.clone());
    }
    ctx.ensure_leader()?;
    let mut updated = node.clone();
    updated.spec.get_or_insert_default().taints = Some(next).filter(|t| !t.is_empty());
    Api::<Node>::all(ctx.client.clone())
        .replace(&node.name_any(), &PostParams::default(), &updated)
        .await
        .map_err(|e| Error::api(format!("tainting node {}", node.name_any()), e))
}

/// Ready=Unknown for an unreachable node; Ready=True again once its Lease is renewed.
async fn set_ready(
    ctx: &Context,
    node: &Node,
    ready: Option<&NodeCondition>,
    health: Health,
    now: Timestamp,
) -> Result<(), Error> {
    let (status, reason, message) = match (health, ready) {
        (Health::Unknown, Some(c)) if c.status == "Unknown" => return Ok(()),
        (Health::Unknown, _) => {
            ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
        }
        (Health::Ready, Some(c)) if c.status == "Unknown" => {
            ("True", "KubeletReady", "kubelet is posting ready status")
        }
        _ => return Ok(()),
    };
    let mut updated = node.clone();
    let conditions = updated.status.get_or_insert_default().conditions.get_or_insert_with(Vec::new);
    conditions.retain(|c| c.type_ != "Ready");
    conditions.push(NodeCondition {
        type_: "Ready".into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_heartbeat_time: ready.and_then(|c| c.last_heartbeat_time.clone()),
        last_transition_time: Some(Time(now)),
    });
    ctx.ensure_leader()?;
    Api::<Node>::all(ctx.client.clone())
        .replace_status(&node.name_any(), &PostParams::default(), &updated)
        .await
        .map(drop)
        .map_err(|e| Error::api(format!("updating the status of node {}", node.name_any()), e))
}

async fn mark_not_ready(ctx: &Context, pod: &Pod, now: Timestamp) -> Result<(), Error> {
    let Some(status) = pod.status.as_ref() else { return Ok(()) };
    let conditions = status.conditions.clone().unwrap_or_default();
    if !conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True") {
        return Ok(());
    }
    let mut updated = pod.clone();
    for c in updated.status.get_or_insert_default().conditions.iter_mut().flatten() {
        if c.type_ == "Ready" {
            c.status = "False".into();
            c.reason = Some("NodeStatusUnknown".into());
            c.last_transition_time = Some(Time(now));
        }
    }
    ctx.ensure_leader()?;
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), &pod.namespace().unwrap_or_default());
    match api.replace_status(&pod.name_any(), &PostParams::default(), &updated).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
        Err(e) => Err(Error::api(format!("marking pod {} not ready", pod.name_any()), e)),
    }
}

async fn delete_pod(ctx: &Context, pod: &Pod, grace: Option<u32>) -> Result<(), Error> {
    ctx.ensure_leader()?;
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), &pod.namespace().unwrap_or_default());
    let params = DeleteParams { grace_period_seconds: grace, ..DeleteParams::default() };
    match api.delete(&pod.name_any(), &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(Error::api(format!("deleting pod {}", pod.name_any()), e)),
    }
}

#[cfg(test)]
#[path = "node_lifecycle_tests.rs"]
mod tests;
