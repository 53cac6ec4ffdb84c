//! The heartbeats of the simulated nodes, as a kubelet sends them: the node's Lease in
//! `kube-node-lease` renewed every lease interval, the node status rewritten every status
//! interval, and a node whose Ready condition someone else changed (the node lifecycle controller
//! after a pause) or that someone deleted put right at once.
//!
//! One task per node ([`beat`]) and one Node watch for all of them ([`watch_nodes`]). Stopping a
//! node aborts its task: its Lease then ages, which is how node loss looks to the control plane.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Namespace, Node};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference};
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio::time::{Instant, MissedTickBehavior};

use crate::node::{self, SimNode};
use crate::{Config, Error, Shared};

/// The namespace of node Leases.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";

/// Creates `kube-node-lease` when it is missing.
pub(crate) async fn ensure_namespace(client: &Client) -> Result<(), Error> {
    let api: Api<Namespace> = Api::all(client.clone());
    let namespace = Namespace {
        metadata: ObjectMeta { name: Some(LEASE_NAMESPACE.into()), ..ObjectMeta::default() },
        ..Namespace::default()
    };
    match api.create(&PostParams::default(), &namespace).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(e) => Err(Error::api("creating the namespace", LEASE_NAMESPACE, e)),
    }
}

/// Renews the node's Lease: updates the one read last (or the stored one), creates it when
/// missing. Returns the Lease as stored.
pub(crate) async fn renew(
    client: &Client,
    config: &Config,
    node: &SimNode,
    last: Option<Lease>,
) -> Result<Lease, Error> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let read = |e| Error::api("reading the lease", &node.name, e);
    let current = match last {
        Some(lease) => Some(lease),
        None => leases.get_opt(&node.name).await.map_err(read)?,
    };
    let now = Timestamp::now();
    let Some(mut lease) = current else {
        let nodes: Api<Node> = Api::all(client.clone());
        let uid = nodes.get_opt(&node.name).await.map_err(read)?.and_then(|n| n.metadata.uid);
        let lease = new_lease(config, node, uid, now);
        return leases
            .create(&PostParams::default(), &lease)
            .await
            .map_err(|e| Error::api("creating the lease", &node.name, e));
    };
    let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
    spec.holder_identity = Some(node.name.clone());
    spec.lease_duration_seconds = Some(config.lease_duration_seconds);
    spec.renew_time = Some(MicroTime(now));
    leases
        .replace(&node.name, &PostParams::default(), &lease)
        .await
        .map_err(|e| Error::api("renewing the lease", &node.name, e))
}

/// A node's Lease, owned by its Node (so it goes when the Node goes), as a kubelet makes it.
pub fn new_lease(
    config: &Config,
    node: &SimNode,
    node_uid: Option<String>,
    now: Timestamp,
) -> Lease {
    let owner = node_uid.map(|uid| OwnerReference {
        api_version: "v1".into(),
        kind: "Node".into(),
        name: node.name.clone(),
        uid,
        ..OwnerReference::default()
    });
    Lease {
        metadata: ObjectMeta {
            name: Some(node.name.clone()),
            namespace: Some(LEASE_NAMESPACE.into()),
            owner_references: owner.map(|o| vec![o]),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(node.name.clone()),
            lease_duration_seconds: Some(config.lease_duration_seconds),
            renew_time: Some(MicroTime(now)),
            ..LeaseSpec::default()
        }),
    }
}

/// The heartbeat of one registered node; runs until aborted. `offset` spreads the nodes'
/// renewals over the interval. Failures are logged and retried at the next tick.
pub(crate) async fn beat(
    client: Client,
    config: Arc<Config>,
    node: SimNode,
    registered: Node,
    lease: Lease,
    offset: Duration,
) {
    let nodes: Api<Node> = Api::all(client.clone());
    let mut lease = Some(lease);
    let mut status = registered.status;
    let start = Instant::now() + offset;
    let mut lease_tick = tokio::time::interval_at(start, config.lease_interval);
    lease_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut status_tick =
        tokio::time::interval_at(start + config.status_interval, config.status_interval);
    status_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = lease_tick.tick() => {
                match renew(&client, &config, &node, lease.take()).await {
                    Ok(stored) => lease = Some(stored),
                    Err(error) => tracing::warn!(%error, "simulated node heartbeat"),
                }
            }
            _ = status_tick.tick() => {
                match node::write_status(&nodes, &config, &node, status.as_ref()).await {
                    Ok(stored) => status = stored.status,
                    Err(error) => tracing::warn!(%error, "simulated node status"),
                }
            }
        }
    }
}

/// Watches all Nodes; one of ours that is alive but not Ready=True gets its healthy status
/// back, and one that was deleted is registered again. Runs until the stream ends.
pub(crate) async fn watch_nodes(client: Client, shared: Arc<Shared>) -> Result<(), Error> {
    let api: Api<Node> = Api::all(client);
    let stream = watcher(api.clone(), watcher::Config::default()).default_backoff();
    let mut stream = std::pin::pin!(stream);
    while let Some(event) = stream.next().await {
        let (node, deleted) = match event {
            Ok(watcher::Event::Apply(node) | watcher::Event::InitApply(node)) => (node, false),
            Ok(watcher::Event::Delete(node)) => (node, true),
            Ok(_) => continue,
            Err(error) => {
                tracing::warn!(%error, "watching simulated nodes");
                continue;
            }
        };
        let Some(sim) = node.metadata.name.as_deref().and_then(|n| shared.alive_node(n)) else {
            continue;
        };
        let result = if deleted {
            node::register(&api, &shared.config, &sim).await.map(drop)
        } else if !is_ready(&node) {
            node::write_status(&api, &shared.config, &sim, node.status.as_ref()).await.map(drop)
        } else {
            Ok(())
        };
        if let Err(error) = result {
            tracing::warn!(%error, "restoring a simulated node");
        }
    }
    Ok(())
}

fn is_ready(node: &Node) -> bool {
    let conditions = node.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions.into_iter().flatten().any(|c| c.type_ == "Ready" && c.status == "True")
}
