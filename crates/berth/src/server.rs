//! `berth server`: the control plane: the cluster store, the API server, the scheduler and the
//! controller manager (the node agent joins in a later issue).
//!
//! Start-up: open the store (sqlite in the data dir, or etcd), create the standard namespaces,
//! fill the watch cache, follow the CRDs, listen, and once `/readyz` would answer 200 write the
//! admin kubeconfig atomically. Then the scheduler and the controllers start, each under its own
//! leader election and talking to the API over loopback like any client. Serve until SIGINT or
//! SIGTERM.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use berth_apiserver::ApiState;

#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Where berth keeps its state (the sqlite store, the kubeconfig).
    #[arg(long, env = "BERTH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Address the API server listens on.
    #[arg(long, default_value = "127.0.0.1")]
    bind_address: IpAddr,
    /// Port of the API server (plain HTTP for now; 0 picks a free port).
    #[arg(long, default_value_t = 6443)]
    https_listen_port: u16,
    /// Empty for the embedded sqlite store; `etcd://host:port,…[/prefix]` or `http://…` for etcd.
    #[arg(long, default_value = "")]
    datastore_endpoint: String,
    /// Pod network range.
    #[arg(long, default_value = "198.18.0.0/16")]
    cluster_cidr: String,
    /// Service virtual IP range.
    #[arg(long, default_value = "198.19.0.0/16")]
    service_cidr: String,
    /// Cluster DNS service address.
    #[arg(long, default_value = "198.19.0.10")]
    cluster_dns: String,
    #[arg(long, default_value = "cluster.local")]
    cluster_domain: String,
    /// This machine's node name.
    #[arg(long)]
    node_name: Option<String>,
    /// Shared secret for agents and the admin kubeconfig (generated when absent).
    #[arg(long, env = "BERTH_TOKEN")]
    token: Option<String>,
    /// Also write the admin kubeconfig here.
    #[arg(long)]
    write_kubeconfig: Option<PathBuf>,
    /// Run only the control plane (berth has no node agent yet, so this is what it does anyway).
    #[arg(long)]
    disable_agent: bool,
    /// Components not to run.
    #[arg(long)]
    disable: Vec<String>,
    /// Do not run the scheduler (as k3s).
    #[arg(long)]
    disable_scheduler: bool,
    /// Do not run the controller manager (as k3s).
    #[arg(long)]
    disable_controller_manager: bool,
    /// Controllers not to run, by name (replicaset, deployment, nodelifecycle, …).
    #[arg(long, value_delimiter = ',')]
    disable_controllers: Vec<String>,
    /// How long a node's Lease may go unrenewed before the node is marked Unknown and tainted.
    #[arg(long, default_value = "40s", value_parser = crate::sim::duration)]
    node_monitor_grace_period: std::time::Duration,
    /// tolerationSeconds for the not-ready and unreachable taints that pods get by default.
    #[arg(long, default_value = "300s", value_parser = crate::sim::duration)]
    default_not_ready_toleration: std::time::Duration,
    /// Also run this many simulated nodes in this process (see `berth sim nodes`).
    #[arg(long, default_value_t = 0)]
    sim_nodes: usize,
}

impl ServerArgs {
    fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        let root = std::env::var("USER").map(|u| u == "root").unwrap_or(false)
            || std::env::var_os("HOME").is_none();
        match std::env::var_os("HOME") {
            Some(home) if !root => Path::new(&home).join(".berth"),
            _ => PathBuf::from("/var/lib/berth"),
        }
    }

    pub async fn run(self) -> anyhow::Result<()> {
        let data_dir = self.data_dir();
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating the data dir {}", data_dir.display()))?;
        let store = berth_store::open(&self.datastore_endpoint, &data_dir)
            .await
            .context("opening the cluster store")?;
        let service_cidr = berth_apiserver::services::Cidr::parse(&self.service_cidr)
            .map_err(|e| anyhow::anyhow!("--service-cidr: {e}"))?;
        let state = ApiState::with_config(
            store,
            berth_apiserver::ApiConfig {
                service_cidr,
                default_toleration_seconds: self.default_not_ready_toleration.as_secs() as i64,
            },
        );
        berth_apiserver::bootstrap(&state).await.context("creating the standard namespaces")?;
        let mut state = state;
        state.start_cache().await.context("filling the watch cache")?;
        let address = SocketAddr::new(self.bind_address, self.https_listen_port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("listening on {address}"))?;
        let bound = listener.local_addr()?;
        // Serves the custom resources of CRDs other API servers on the same store write.
        tokio::spawn(berth_apiserver::crds::sync::run(state.clone()));
        let router = berth_apiserver::router(state);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stop_rx_main = stop_rx.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        let server = tokio::spawn(async move {
            axum::serve(listener, router).with_graceful_shutdown(stopping(stop_rx)).await
        });
        let token = match &self.token {
            Some(token) => token.clone(),
            None => load_or_create_token(&data_dir)?,
        };
        let kubeconfig = kubeconfig(bound, &token);
        write_atomically(&data_dir.join("kubeconfig.yaml"), &kubeconfig)?;
        if let Some(path) = &self.write_kubeconfig {
            write_atomically(path, &kubeconfig)?;
        }
        let control_plane = self.start_control_plane(bound)?;
        eprintln!(
            "berth server: API at http://{bound}, kubeconfig at {}",
            data_dir.join("kubeconfig.yaml").display()
        );
        let mut server = server;
        tokio::select! {
            served = &mut server => served.context("the API server task")?.context("serving the API")?,
            failed = control_plane => failed?,
            () = stopping(stop_rx_main) => {
                // The control plane was dropped with this select (its tasks abort and their
                // watches close); in-flight requests get a few seconds to finish.
                if let Ok(served) = tokio::time::timeout(Duration::from_secs(5), server).await {
                    served.context("the API server task")?.context("serving the API")?;
                }
            }
        }
        Ok(())
    }

    /// Starts the scheduler and the controller manager, which talk to this server through the
    /// API like any client. Resolves only if one of them stops.
    fn start_control_plane(
        &self,
        api: SocketAddr,
    ) -> anyhow::Result<impl std::future::Future<Output = anyhow::Result<()>> + use<>> {
        let identity = self.identity();
        let mut tasks = tokio::task::JoinSet::new();
        if !self.disable_controller_manager && !self.is_disabled("controller-manager") {
            let config = berth_controllers::Config {
                node_monitor_grace_period: self.node_monitor_grace_period,
                disabled: self.disable_controllers.clone(),
                identity: identity.clone(),
                ..berth_controllers::Config::default()
            };
            let client = loopback_client(api, "kube-controller-manager")?;
            tasks.spawn(async move {
                berth_controllers::run(client, config).await.context("the controller manager")
            });
        }
        if !self.disable_scheduler && !self.is_disabled("scheduler") {
            let config = berth_scheduler::Config { identity, ..berth_scheduler::Config::default() };
            let client = loopback_client(api, "kube-scheduler")?;
            tasks.spawn(async move {
                berth_scheduler::run(client, config).await.context("the scheduler")
            });
        }
        if self.sim_nodes > 0 {
            let config =
                berth_sim::Config { count: self.sim_nodes, ..berth_sim::Config::default() };
            let client = loopback_client(api, "berth-sim")?;
            tasks.spawn(async move {
                berth_sim::run(client, config).await.context("the simulated nodes")
            });
        }
        Ok(async move {
            match tasks.join_next().await {
                Some(result) => result.context("a control plane task")?,
                None => std::future::pending().await,
            }
        })
    }

    /// This server's name in the leader Leases: the host plus a digest of the data dir, so
    /// that a server restarted on its data dir takes its Leases back at once instead of waiting
    /// for them to expire, while two servers never share a name.
    fn identity(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut digest = std::collections::hash_map::DefaultHasher::new();
        let data_dir = self.data_dir();
        std::fs::canonicalize(&data_dir).unwrap_or(data_dir).hash(&mut digest);
        self.https_listen_port.hash(&mut digest);
        berth_leader::identity_with(digest.finish())
    }

    fn is_disabled(&self, component: &str) -> bool {
        self.disable.iter().any(|d| d == component)
    }
}

/// A kube client for this process's own API server. `agent` is its User-Agent, which the API
/// server records as the field manager of its writes (as Kubernetes' components do).
pub fn loopback_client(api: SocketAddr, agent: &str) -> anyhow::Result<kube::Client> {
    use axum::http::{HeaderValue, header::USER_AGENT};
    let host =
        if api.ip().is_unspecified() { "127.0.0.1".to_owned() } else { api.ip().to_string() };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    let url = format!("http://{host}:{}", api.port()).parse().context("the API server's URL")?;
    let mut config = kube::Config::new(url);
    let agent = format!("{agent}/v{} (berth)", env!("CARGO_PKG_VERSION"));
    config.headers.push((USER_AGENT, HeaderValue::from_str(&agent).context("the User-Agent")?));
    kube::Client::try_from(config).context("a client for the API server")
}

/// Resolves once the stop flag is raised.
async fn stopping(mut stop: tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

pub async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

fn load_or_create_token(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("token");
    if let Ok(token) = std::fs::read_to_string(&path) {
        return Ok(token.trim().to_owned());
    }
    let token: String = (0..32).map(|_| fastrand::alphanumeric()).collect();
    write_atomically(&path, &token)?;
    Ok(token)
}

fn kubeconfig(address: SocketAddr, token: &str) -> String {
    let host = match address.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: berth\n  cluster:\n    server: http://{host}:{port}\ncontexts:\n- name: berth\n  context:\n    cluster: berth\n    user: admin\n    namespace: default\ncurrent-context: berth\nusers:\n- name: admin\n  user:\n    token: {token}\n",
        port = address.port()
    )
}

/// Writes through a temporary file and a rename, so readers never see half a file.
fn write_atomically(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&temporary, contents)
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}
