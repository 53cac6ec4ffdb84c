//! Simulated nodes, like kwok: Nodes that register, heartbeat and run pods without containers,
//! so the scheduler and the controllers can be exercised with thousands of nodes on one machine.
//!
//! Start at [`start`] (or [`run`] = start + wait): it registers the nodes of a [`Config`], then
//! spawns one heartbeat task per node ([`heartbeat`]: Lease renewals, node status), one Node
//! watch that puts back a node someone marked unhealthy or deleted, and one pod watch
//! ([`pods`]) that moves the pods bound to our nodes through their lives: Running after the
//! startup delay, Succeeded/Failed or restarted when an annotation asks ([`plan`]), deleted once
//! marked for deletion. The decisions ([`plan::next_step`]) and the statuses
//! ([`pod_status`]) are pure functions; addresses come from [`addresses`].
//!
//! [`Handle::stop_node`] silences one node (its Lease ages and its pods are left alone), which is
//! what node loss looks like to the control plane; dropping the [`Handle`] silences all.

pub mod addresses;
pub mod config;
pub mod heartbeat;
pub mod node;
pub mod parse;
pub mod plan;
pub mod pod_status;
mod pods;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::{Api, Client};
use tokio::task::{AbortHandle, JoinSet};

pub use config::Config;
pub use node::SimNode;
pub use parse::{parse_duration, parse_fraction, parse_label, parse_taint};

/// What can go wrong in the simulator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Parse(String),
    #[error("{step} {name}")]
    Api {
        step: &'static str,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("a simulator task failed: {0}")]
    Task(String),
}

impl Error {
    pub(crate) fn api(step: &'static str, name: &str, source: kube::Error) -> Error {
        Error::Api { step, name: name.to_owned(), source }
    }
}

/// Registers the nodes and runs them until an unrecoverable error (or until cancelled: dropping
/// the future stops every heartbeat, which looks like the loss of every node).
pub async fn run(client: Client, config: Config) -> Result<(), Error> {
    start(client, config).await?.wait().await
}

/// Registers every node (Node with a Ready status, Lease in `kube-node-lease`), then spawns the
/// heartbeats and the pod and node watches. Returns once all nodes are registered.
pub async fn start(client: Client, config: Config) -> Result<Handle, Error> {
    config.validate()?;
    heartbeat::ensure_namespace(&client).await?;
    let nodes: Vec<SimNode> = config
        .node_names()
        .into_iter()
        .enumerate()
        .map(|(index, name)| SimNode { name, index })
        .collect();
    let shared = Arc::new(Shared::new(config, &nodes));
    let config = shared.config.clone();
    let registered: Vec<_> = futures_util::stream::iter(nodes)
        .map(|sim| {
            let client = client.clone();
            let config = config.clone();
            async move {
                let api: Api<Node> = Api::all(client.clone());
                let stored = node::register(&api, &config, &sim).await?;
                let lease = heartbeat::renew(&client, &config, &sim, None).await?;
                Ok::<_, Error>((sim, stored, lease))
            }
        })
        .buffer_unordered(config.max_in_flight)
        .collect()
        .await;
    let mut tasks = JoinSet::new();
    let count = registered.len().max(1) as u32;
    for result in registered {
        let (sim, stored, lease) = result?;
        // Spread the renewals of all nodes over one interval.
        let offset = config.lease_interval / count * (sim.index as u32 % count);
        let beat =
            heartbeat::beat(client.clone(), config.clone(), sim.clone(), stored, lease, offset);
        let abort = tasks.spawn(async move {
            beat.await;
            Ok(())
        });
        if let Some(entry) = shared.nodes.get(&sim.name) {
            *entry.heartbeat.lock().unwrap_or_else(PoisonError::into_inner) = Some(abort);
        }
    }
    let pods = tasks.spawn(pods::run(client.clone(), shared.clone()));
    let watch = tasks.spawn(heartbeat::watch_nodes(client, shared.clone()));
    shared.others.lock().unwrap_or_else(PoisonError::into_inner).extend([pods, watch]);
    Ok(Handle { controls: Controls { shared }, tasks })
}

/// The running simulator. Dropping it stops everything at once.
#[derive(Debug)]
pub struct Handle {
    controls: Controls,
    tasks: JoinSet<Result<(), Error>>,
}

impl Handle {
    /// A cloneable handle to stop nodes while another task waits on [`Handle::wait`].
    pub fn controls(&self) -> Controls {
        self.controls.clone()
    }

    /// The simulated node names, in index order.
    pub fn node_names(&self) -> Vec<String> {
        self.controls.node_names()
    }

    /// See [`Controls::stop_node`].
    pub fn stop_node(&self, name: &str) -> bool {
        self.controls.stop_node(name)
    }

    /// See [`Controls::stop`].
    pub fn stop(&self) {
        self.controls.stop();
    }

    /// Runs until [`Handle::stop`] (then `Ok`) or until a task fails (then everything stops).
    pub async fn wait(mut self) -> Result<(), Error> {
        while let Some(joined) = self.tasks.join_next().await {
            let failure = match joined {
                Ok(Ok(())) => continue,
                Err(e) if e.is_cancelled() => continue,
                Ok(Err(error)) => error,
                Err(e) => Error::Task(e.to_string()),
            };
            self.controls.stop();
            return Err(failure);
        }
        Ok(())
    }
}

/// Stops simulated nodes; cheap to clone.
#[derive(Debug, Clone)]
pub struct Controls {
    shared: Arc<Shared>,
}

impl Controls {
    /// The simulated node names, in index order.
    pub fn node_names(&self) -> Vec<String> {
        let mut nodes: Vec<&NodeEntry> = self.shared.nodes.values().collect();
        nodes.sort_by_key(|n| n.sim.index);
        nodes.into_iter().map(|n| n.sim.name.clone()).collect()
    }

    /// Stops one node as if it lost power: no more Lease renewals or status writes, its pods
    /// are left as they are. False when the name is not one of ours.
    pub fn stop_node(&self, name: &str) -> bool {
        let Some(entry) = self.shared.nodes.get(name) else { return false };
        entry.alive.store(false, Ordering::SeqCst);
        if let Some(abort) = entry.heartbeat.lock().unwrap_or_else(PoisonError::into_inner).take() {
            abort.abort();
        }
        true
    }

    /// Stops every node and the watches; [`Handle::wait`] then returns `Ok`.
    pub fn stop(&self) {
        for name in self.shared.nodes.keys() {
            self.stop_node(name);
        }
        for abort in self.shared.others.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            abort.abort();
        }
    }
}

/// State the tasks share: the configuration and the nodes with their liveness.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Arc<Config>,
    nodes: HashMap<String, NodeEntry>,
    others: Mutex<Vec<AbortHandle>>,
}

#[derive(Debug)]
struct NodeEntry {
    sim: SimNode,
    alive: AtomicBool,
    heartbeat: Mutex<Option<AbortHandle>>,
}

impl Shared {
    fn new(config: Config, nodes: &[SimNode]) -> Shared {
        let nodes = nodes
            .iter()
            .map(|sim| {
                let entry = NodeEntry {
                    sim: sim.clone(),
                    alive: AtomicBool::new(true),
                    heartbeat: Mutex::new(None),
                };
                (sim.name.clone(), entry)
            })
            .collect();
        Shared { config: Arc::new(config), nodes, others: Mutex::new(Vec::new()) }
    }

    /// The node of that name when it is ours and not stopped.
    pub(crate) fn alive_node(&self, name: &str) -> Option<SimNode> {
        let entry = self.nodes.get(name)?;
        entry.alive.load(Ordering::SeqCst).then(|| entry.sim.clone())
    }
}
