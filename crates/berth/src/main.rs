//! The berth binary: one executable for the whole cluster. `main` parses the command line and
//! hands off to the subcommand; each subcommand lives in its own module and the list of them is
//! the [`Command`] enum below.

mod bench;
mod server;
mod sim;

use clap::{Parser, Subcommand};

/// The API server, the controllers and the scheduler allocate and free many small JSON values
/// per request; glibc's malloc spent a quarter of the scheduler benchmark's CPU in itself.
/// Built without transparent huge pages (`no_thp`): with them, its arenas were resident in
/// 2 MiB steps, about 10 MiB more for an idle server and a quarter more with 10,000 pods.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// berth: a Kubernetes-compatible container orchestrator in one binary.
#[derive(Debug, Parser)]
#[command(name = "berth", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the control plane: store and API server.
    Server(server::ServerArgs),
    /// Measure berth's components against their peers and print a table.
    #[command(subcommand)]
    Bench(bench::Bench),
    /// Simulated nodes (like kwok) for the cluster in $KUBECONFIG.
    #[command(subcommand)]
    Sim(sim::Sim),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BERTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Bench(bench) => bench.run().await,
            Command::Server(server) => server.run().await,
            Command::Sim(sim) => sim.run().await,
        }
    })
}
