//! Assigns unscheduled pods to nodes.
//!
//! Start at [`run`]: under the `kube-scheduler` Lease it watches nodes and pods
//! ([`driver`]) and the claims, volumes and classes its pods use ([`volumes`]), keeps a [`plan::Snapshot`] of the cluster including pods it has bound but not
//! yet seen bound ("assumed"), takes pods from a [`queue::Queue`] with backoff, and binds them
//! through `pods/binding` with many bindings in flight. The decision itself is
//! [`plan::schedule`], a pure function that most tests call without tokio. Flow:
//! watch → queue → plan → bind (or preempt) → events ([`recorder`]).

pub mod assumed;
pub mod driver;
pub mod plan;
pub mod queue;
pub mod recorder;
pub mod volumes;

use std::time::Duration;

/// The scheduler's settings; [`Config::default`] has Kubernetes' defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// Pods whose `spec.schedulerName` is this are ours.
    pub scheduler_name: String,
    pub lease_name: String,
    pub lease_namespace: String,
    /// Written in the Lease and in events; unique per process.
    pub identity: String,
    /// Bindings in flight at once.
    pub parallel_binds: usize,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// How long an unschedulable pod waits before it is tried again without a cluster change.
    pub unschedulable_timeout: Duration,
    /// 0 for kube-scheduler's adaptive rule.
    pub percentage_of_nodes_to_score: u32,
    /// How long a bound pod stays assumed if the watch does not show it bound.
    pub assumed_ttl: Duration,
    /// `Scheduled` events per second (with `event_burst`); failures are not limited this way.
    pub event_qps: f64,
    pub event_burst: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            scheduler_name: "default-scheduler".to_owned(),
            lease_name: "kube-scheduler".to_owned(),
            lease_namespace: "kube-system".to_owned(),
            identity: berth_leader::identity(),
            parallel_binds: 64,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            unschedulable_timeout: Duration::from_secs(60),
            percentage_of_nodes_to_score: 0,
            assumed_ttl: Duration::from_secs(30),
            event_qps: 50.0,
            event_burst: 100,
        }
    }
}

/// Why the scheduler stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the {0} watch ended")]
    WatchEnded(&'static str),
}

/// Schedules pods while this process holds the Lease; campaigns again when it loses it.
/// Returns only if the watches end.
pub async fn run(client: kube::Client, config: Config) -> Result<(), Error> {
    let mut lease = berth_leader::Config::new(&config.lease_name, &config.identity);
    lease.namespace = config.lease_namespace.clone();
    berth_leader::lead(client.clone(), lease, |leadership| {
        driver::Driver::new(client.clone(), config.clone(), leadership).run()
    })
    .await
}
