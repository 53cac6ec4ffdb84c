//! `berth bench …`: benchmark drivers that print comparison tables. Each measures a berth
//! component against its peer started in the same run (the store against a real etcd).

mod api;
mod stats;
mod store;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// The cluster store: sqlite backend vs a real etcd started for the run.
    Store(store::StoreBench),
    /// The API server over HTTP: per-verb latency, big LISTs, watch fan-out, memory.
    Api(api::ApiBench),
}

impl Bench {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Bench::Store(bench) => bench.run().await,
            Bench::Api(bench) => bench.run().await,
        }
    }
}
