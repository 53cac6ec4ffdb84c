//! Helpers shared by the controller integration tests: a real `berth server` without its own
//! control plane (the `berth` binary in the workspace's target dir: `cargo build -p berth`
//! first, or point `BERTH_BIN` at one) with chosen controllers running in this process under
//! `Leadership::always`, polling until a condition holds, and the kubelet's status patch.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use berth_controllers::{Config, Context, Leadership, registry};
use berth_testkit::BerthServer;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

/// The server, a client for it, and the tasks the test runs beside it (stopped on drop).
pub struct Cluster {
    pub server: BerthServer,
    pub client: kube::Client,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Cluster {
    /// Runs `task` until the cluster is dropped.
    pub fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.push(tokio::spawn(task));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.tasks.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

/// A server without its own controllers and scheduler, with the `enabled` controllers running
/// in this process.
pub async fn cluster(enabled: &[&str], config: Config) -> anyhow::Result<Cluster> {
    let server = BerthServer::start(
        &berth_testkit::berth_binary()?,
        &["--disable-controller-manager", "--disable-scheduler"],
    )?;
    let client = kube::Client::try_from(kube::Config::new(server.url()?.parse()?))?;
    let disabled = registry::CONTROLLERS
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .filter(|name| !enabled.contains(&name.as_str()))
        .collect();
    let ctx = Arc::new(Context {
        client: client.clone(),
        leadership: Leadership::always("test"),
        config: Config { disabled, ..config },
    });
    let mut cluster = Cluster { server, client, tasks: Vec::new() };
    cluster.spawn(async move {
        if let Err(error) = registry::run_all(ctx).await {
            eprintln!("controllers stopped: {error}");
        }
    });
    Ok(cluster)
}

/// Polls `check` every 100 ms until it returns `Some`, for up to `seconds`; an error counts as
/// "not yet" and is reported if time runs out.
pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let mut last = String::new();
    loop {
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(error) => last = format!(" (last error: {error:#})"),
        }
        if tokio::time::Instant::now() > deadline {
            bail!("timed out waiting for {what}{last}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The kubelet's part: a pod's phase, IP (when given) and Ready condition.
pub async fn set_pod(
    pods: &Api<Pod>,
    name: &str,
    phase: &str,
    ip: Option<&str>,
    ready: bool,
) -> anyhow::Result<()> {
    let mut status = json!({"phase": phase, "conditions": [{"type": "Ready",
        "status": if ready { "True" } else { "False" },
        "lastTransitionTime": Timestamp::now().to_string()}]});
    if let Some(ip) = ip {
        status["podIP"] = json!(ip);
    }
    let patch = json!({ "status": status });
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
    Ok(())
}
