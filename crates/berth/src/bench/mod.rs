//! `berth bench …`: benchmark drivers that print comparison tables. Each measures a berth
//! component against its peer started in the same run (the store against a real etcd).

mod api;
mod control_plane;
mod process;
mod stats;
mod store;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// The cluster store: sqlite backend vs a real etcd started for the run.
    Store(store::StoreBench),
    /// The API server over HTTP: per-verb latency, big LISTs, watch fan-out, memory.
    Api(api::ApiBench),
    /// The scheduler and controllers on simulated nodes: pods/s and a 1,000-replica rollout.
    ControlPlane(control_plane::ControlPlaneBench),
}

impl Bench {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Bench::Store(bench) => bench.run().await,
            Bench::Api(bench) => bench.run().await,
            Bench::ControlPlane(bench) => bench.run().await,
        }
    }
}
