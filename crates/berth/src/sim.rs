//! `berth sim nodes`: simulated nodes (like kwok) against the cluster in `$KUBECONFIG`, so that
//! the scheduler and the controllers can be driven and measured without containers. The nodes
//! themselves are `berth-sim`; this is only its command line.

use std::time::Duration;

use anyhow::Context;

#[derive(Debug, clap::Subcommand)]
pub enum Sim {
    /// Register simulated nodes, renew their Leases and run the pods bound to them until stopped.
    Nodes(NodesArgs),
}

#[derive(Debug, clap::Args)]
pub struct NodesArgs {
    /// How many nodes.
    #[arg(long, default_value_t = 3)]
    count: usize,
    /// Node names are this prefix plus an index.
    #[arg(long, default_value = "sim-node-")]
    name_prefix: String,
    /// CPU of each node.
    #[arg(long, default_value = "32")]
    cpu: String,
    /// Memory of each node.
    #[arg(long, default_value = "256Gi")]
    memory: String,
    /// Most pods per node.
    #[arg(long, default_value = "110")]
    pods: String,
    /// A label every node carries (key=value; repeatable).
    #[arg(long = "label", value_parser = label)]
    labels: Vec<(String, String)>,
    /// A taint every node carries (key=value:Effect; repeatable).
    #[arg(long = "taint", value_parser = taint)]
    taints: Vec<k8s_openapi::api::core::v1::Taint>,
    /// Time from a pod being bound to it running.
    #[arg(long, default_value = "0s", value_parser = duration)]
    startup_delay: Duration,
    /// Time from a pod being marked for deletion to it being gone.
    #[arg(long, default_value = "0s", value_parser = duration)]
    stop_delay: Duration,
    /// Fraction of pods (0–1) that fail instead of running.
    #[arg(long, default_value = "0", value_parser = fraction)]
    fail_fraction: f64,
    /// How often each node renews its Lease.
    #[arg(long, default_value = "10s", value_parser = duration)]
    heartbeat: Duration,
    /// The kubeconfig of the cluster (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long)]
    kubeconfig: Option<std::path::PathBuf>,
}

impl Sim {
    pub async fn run(self) -> anyhow::Result<()> {
        let Sim::Nodes(args) = self;
        let client = client(args.kubeconfig.as_deref()).await?;
        let config = berth_sim::Config {
            count: args.count,
            name_prefix: args.name_prefix,
            cpu: args.cpu,
            memory: args.memory,
            pods: args.pods,
            labels: args.labels.into_iter().collect(),
            taints: args.taints,
            lease_interval: args.heartbeat,
            startup_delay: args.startup_delay,
            stop_delay: args.stop_delay,
            fail_fraction: args.fail_fraction,
            ..berth_sim::Config::default()
        };
        let handle = berth_sim::start(client, config).await.context("starting simulated nodes")?;
        eprintln!("berth sim: {} nodes running; Ctrl-C stops them", handle.node_names().len());
        tokio::select! {
            result = handle.wait() => result.context("simulated nodes")?,
            () = crate::server::shutdown_signal() => {}
        }
        Ok(())
    }
}

/// A client from a kubeconfig file, or from the usual places.
async fn client(path: Option<&std::path::Path>) -> anyhow::Result<kube::Client> {
    let config = match path {
        Some(path) => {
            let kubeconfig = kube::config::Kubeconfig::read_from(path)
                .with_context(|| format!("reading {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?
        }
        None => kube::Config::infer().await.context("finding a kubeconfig")?,
    };
    kube::Client::try_from(config).context("a client for the cluster")
}

fn label(text: &str) -> Result<(String, String), String> {
    berth_sim::parse_label(text).map_err(|e| e.to_string())
}

fn taint(text: &str) -> Result<k8s_openapi::api::core::v1::Taint, String> {
    berth_sim::parse_taint(text).map_err(|e| e.to_string())
}

pub fn duration(text: &str) -> Result<Duration, String> {
    berth_sim::parse_duration(text).map_err(|e| e.to_string())
}

fn fraction(text: &str) -> Result<f64, String> {
    berth_sim::parse_fraction(text).map_err(|e| e.to_string())
}
