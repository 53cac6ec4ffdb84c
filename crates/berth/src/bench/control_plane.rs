//! `berth bench control-plane`: the scheduler and the controllers on simulated nodes, all inside
//! one `berth server` process (API server, store, scheduler, controllers and the simulated nodes).
//!
//! Scheduler throughput: a server with the scheduler off registers the simulated nodes and
//! stores the pending pods; it is killed, and a second server on the same data dir starts with
//! the scheduler on. Throughput is pods bound per second, from the first binding to the last
//! (and, more pessimistically, from the second server being ready to the last binding, which
//! includes the scheduler's start-up). Rollout: a fresh server with 100 simulated nodes; the time
//! from creating a 1,000-replica Deployment to the Deployment reporting every replica available
//! (which needs every pod created, bound and Running/Ready).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::BodyExt;
use hyper::Method;
use serde_json::{Value, json};

use super::process::{Client, ServerProcess, create_pods};

#[derive(Debug, clap::Args)]
pub struct ControlPlaneBench {
    /// Simulated nodes for the scheduler throughput cases.
    #[arg(long, default_value_t = 5000)]
    nodes: usize,
    /// Pending pods, one scheduler case each (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [10_000, 50_000])]
    pods: Vec<usize>,
    /// Simulated nodes for the rollout case.
    #[arg(long, default_value_t = 100)]
    rollout_nodes: usize,
    /// Replicas of the rollout case's Deployment.
    #[arg(long, default_value_t = 1000)]
    replicas: usize,
}

struct SchedulerCase {
    pods: usize,
    first_bind: Duration,
    all_bound: Duration,
}

impl ControlPlaneBench {
    pub async fn run(self) -> anyhow::Result<()> {
        let mut cases = Vec::new();
        for &pods in &self.pods {
            let case = self.scheduler_case(pods).await.with_context(|| format!("{pods} pods"))?;
            eprintln!("scheduler: {pods} pods on {} nodes: {:.0} pods/s", self.nodes, case.rate());
            cases.push(case);
        }
        let rollout = self.rollout_case().await.context("the rollout case")?;
        println!();
        println!(
            "Scheduler throughput, {} simulated nodes, everything in one berth server process",
            self.nodes
        );
        println!(
            "{:>8} {:>14} {:>12} {:>16} {:>14}",
            "pods", "first bind s", "last bind s", "pods/s (steady)", "pods/s (total)"
        );
        for case in &cases {
            println!(
                "{:>8} {:>14.2} {:>12.2} {:>16.0} {:>14.0}",
                case.pods,
                case.first_bind.as_secs_f64(),
                case.all_bound.as_secs_f64(),
                case.rate(),
                case.pods as f64 / case.all_bound.as_secs_f64()
            );
        }
        println!();
        println!(
            "Deployment of {} replicas on {} simulated nodes: all available after {:.2} s",
            self.replicas,
            self.rollout_nodes,
            rollout.as_secs_f64()
        );
        println!("Goals: ≥ 3,000 pods/s; rollout < 10 s.");
        Ok(())
    }

    async fn scheduler_case(&self, pods: usize) -> anyhow::Result<SchedulerCase> {
        let dir = berth_testkit::temp_dir("berth-bench-scheduler")?;
        let data = dir.path().join("data");
        let nodes = self.nodes.to_string();
        let loading = ServerProcess::start_in(
            &data,
            &["--disable-scheduler", "--disable-controller-manager", "--sim-nodes", &nodes],
        )
        .await?;
        wait_for_nodes(&loading.address, self.nodes).await?;
        let mut admin = Client::connect(&loading.address).await?;
        let namespace =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}});
        admin.expect(Method::POST, "/api/v1/namespaces", Some(&namespace), 201).await?;
        create_pods(&loading.address, "bench", pods, small_pod).await?;
        drop(loading);
        let started = Instant::now();
        let server = ServerProcess::start_in(
            &data,
            &["--disable-controller-manager", "--sim-nodes", &nodes],
        )
        .await?;
        let ready = started.elapsed();
        // A watch from resourceVersion 0 (every pod, then every change) tells when each pod
        // is first seen bound, without LISTs that would scan tens of thousands of pods on the
        // server being measured. Lines are scanned for the two fields that matter.
        let mut client = Client::connect(&server.address).await?;
        let mut body =
            client.stream("/api/v1/namespaces/bench/pods?watch=1&resourceVersion=0").await?;
        let mut bound = std::collections::HashSet::with_capacity(pods);
        let mut first_bind = None;
        let mut buffer: Vec<u8> = Vec::new();
        while bound.len() < pods {
            if started.elapsed() > Duration::from_secs(600) {
                bail!("{} of {pods} pods bound after 10 minutes", bound.len());
            }
            let Some(frame) = body.frame().await else { bail!("the pod watch ended") };
            let Ok(data) = frame?.into_data() else { continue };
            buffer.extend_from_slice(&data);
            while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=end).collect();
                if let Some(name) = bound_pod(&line) {
                    first_bind.get_or_insert_with(|| started.elapsed());
                    bound.insert(name);
                }
            }
        }
        let all_bound = started.elapsed();
        drop(server);
        Ok(SchedulerCase { pods, first_bind: first_bind.unwrap_or(ready), all_bound })
    }

    async fn rollout_case(&self) -> anyhow::Result<Duration> {
        let nodes = self.rollout_nodes.to_string();
        let server = ServerProcess::start(&["--sim-nodes", &nodes]).await?;
        wait_for_nodes(&server.address, self.rollout_nodes).await?;
        let mut client = Client::connect(&server.address).await?;
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": self.replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "registry.local/web:1.0",
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}
                }
            }
        });
        let started = Instant::now();
        client
            .expect(
                Method::POST,
                "/apis/apps/v1/namespaces/default/deployments",
                Some(&deployment),
                201,
            )
            .await?;
        loop {
            let body = client
                .expect(Method::GET, "/apis/apps/v1/namespaces/default/deployments/web", None, 200)
                .await?;
            let status: Value = serde_json::from_slice(&body)?;
            let available = status["status"]["availableReplicas"].as_u64().unwrap_or(0);
            if available as usize >= self.replicas {
                return Ok(started.elapsed());
            }
            if started.elapsed() > Duration::from_secs(300) {
                bail!("only {available} of {} replicas available after 5 minutes", self.replicas);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl SchedulerCase {
    fn rate(&self) -> f64 {
        let span = self.all_bound.saturating_sub(self.first_bind).as_secs_f64();
        if span <= 0.0 { self.pods as f64 } else { self.pods as f64 / span }
    }
}

/// The name of the pod in a watch event line, if the pod is bound to a node.
fn bound_pod(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Event {
        object: Pod,
    }
    #[derive(serde::Deserialize)]
    struct Pod {
        metadata: Meta,
        #[serde(default)]
        spec: Spec,
    }
    #[derive(serde::Deserialize)]
    struct Meta {
        name: String,
    }
    #[derive(serde::Deserialize, Default)]
    struct Spec {
        #[serde(rename = "nodeName")]
        node_name: Option<String>,
    }
    let marker = b"\"nodeName\"";
    if !line.windows(marker.len()).any(|w| w == marker) {
        return None;
    }
    let event: Event = serde_json::from_slice(line).ok()?;
    event.object.spec.node_name.is_some().then_some(event.object.metadata.name)
}

/// Waits until `want` nodes are registered and Ready.
async fn wait_for_nodes(address: &str, want: usize) -> anyhow::Result<()> {
    let mut client = Client::connect(address).await?;
    let started = Instant::now();
    loop {
        let body = client.expect(Method::GET, "/api/v1/nodes", None, 200).await?;
        let list: Value = serde_json::from_slice(&body)?;
        let ready = list["items"].as_array().map_or(0, |nodes| {
            nodes
                .iter()
                .filter(|n| {
                    n["status"]["conditions"].as_array().is_some_and(|c| {
                        c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True")
                    })
                })
                .count()
        });
        if ready >= want {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("only {ready} of {want} simulated nodes Ready after 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A small pending pod.
fn small_pod(name: &str, namespace: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "main", "image": "registry.local/app:1.0",
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}
    })
}
