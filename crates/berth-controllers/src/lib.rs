//! The controller manager: the loops that keep the cluster at its desired state.
//!
//! Start at [`run`]: it campaigns for the `kube-controller-manager` Lease and, while it leads,
//! runs every controller listed in [`registry::CONTROLLERS`]. Each controller is a module of its
//! own and the same kind of thing: a level-triggered reconciler on kube-runtime that reads from
//! its caches, computes a plan with a pure function, writes through the client and returns an
//! `Action`. Controllers meet the rest of berth only through the Kubernetes API.
//!
//! Shared pieces: [`Context`] (client, leadership, timings), [`pods`] (pods from templates,
//! owner references, readiness), [`expectations`] (writes a controller made that its cache has
//! not shown yet, so that a lagging cache never makes it create twice).

pub mod expectations;
pub mod pods;
pub mod registry;

mod cache;
mod controller_revision;
mod cronjob;
mod daemonset;
mod deployment;
mod endpoints;
mod endpointslice;
mod garbage_collector;
mod job;
mod namespace;
mod node_lifecycle;
mod replicaset;
mod serviceaccount;
mod statefulset;
mod volume;

use std::sync::Arc;
use std::time::Duration;

pub use berth_leader::Leadership;

/// Timings and switches of the controllers; defaults are Kubernetes'.
#[derive(Debug, Clone)]
pub struct Config {
    /// A node whose Lease has not been renewed for this long becomes Ready=Unknown and tainted.
    pub node_monitor_grace_period: Duration,
    /// How often the node lifecycle controller looks at the nodes.
    pub node_monitor_period: Duration,
    /// Controllers not to run, by their registry name.
    pub disabled: Vec<String>,
    /// Who this process is in the `kube-controller-manager` Lease.
    pub identity: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            node_monitor_grace_period: Duration::from_secs(40),
            node_monitor_period: Duration::from_secs(5),
            disabled: Vec::new(),
            identity: berth_leader::identity(),
        }
    }
}

/// What every controller is handed.
#[derive(Clone)]
pub struct Context {
    pub client: kube::Client,
    pub leadership: Leadership,
    pub config: Config,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("leadership", &self.leadership).finish_non_exhaustive()
    }
}

impl Context {
    /// Fails when this process no longer leads: call before every write.
    pub fn ensure_leader(&self) -> Result<(), Error> {
        if self.leadership.is_leader() { Ok(()) } else { Err(Error::NotLeader) }
    }
}

/// Why a controller's step failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("this process no longer holds the controller manager lease")]
    NotLeader,
    #[error("{step}")]
    Api {
        step: String,
        #[source]
        source: kube::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("the {0} controller stopped")]
    Stopped(&'static str),
}

impl Error {
    /// Wraps a client error with the step that failed: `Error::api("creating pod x", e)`.
    pub fn api(step: impl Into<String>, source: kube::Error) -> Error {
        Error::Api { step: step.into(), source }
    }

    /// True when the API answered 409 (a precondition or a concurrent writer).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Api { source: kube::Error::Api(status), .. } if status.code == 409)
    }
}

/// Runs the controller manager under leader election until the process ends.
pub async fn run(client: kube::Client, config: Config) -> Result<(), Error> {
    let election = berth_leader::Config::new("kube-controller-manager", &config.identity);
    berth_leader::lead(client.clone(), election, |leadership| {
        let context =
            Arc::new(Context { client: client.clone(), leadership, config: config.clone() });
        registry::run_all(context)
    })
    .await
}
