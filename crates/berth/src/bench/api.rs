//! `berth bench api`: the API server over HTTP, as clients see it. For each backend (sqlite, and
//! a real etcd started for the run) it starts a real `berth server` process and measures:
//! create/get/update/list of pods at several client counts (p50/p99), a LIST of 10,000 pods,
//! watch delivery latency (100 watchers, 1,000 updates), and the server's resident memory with
//! 10,000 pods stored against the JSON size of those pods.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::BodyExt;
use hyper::Method;
use serde_json::{Value, json};

use super::process::{Client, ServerProcess, create_pods};
use super::stats::{Latencies, ms};

/// The API server alone: the scheduler would write to the pods being measured (no node fits
/// them) and make updates with a resourceVersion conflict.
const API_ONLY: &[&str] = &["--disable-scheduler", "--disable-controller-manager"];

#[derive(Debug, clap::Args)]
pub struct ApiBench {
    /// Concurrent clients, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16, 64])]
    clients: Vec<usize>,
    /// Operations per client per verb.
    #[arg(long, default_value_t = 200)]
    ops: usize,
    /// Pods in the big LIST and the memory measurement.
    #[arg(long, default_value_t = 10_000)]
    pods: usize,
    /// Watchers, and updates they all receive.
    #[arg(long, default_value_t = 100)]
    watchers: usize,
    #[arg(long, default_value_t = 1000)]
    updates: usize,
    /// Skip etcd (sqlite figures only).
    #[arg(long)]
    no_etcd: bool,
}

fn pod(name: &str, namespace: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": "bench", "tier": "web"},
                     "annotations": {"bench.berth.dev/note": "a pod of a realistic size for the benchmark"}},
        "spec": {"containers": [{"name": "main", "image": "registry.local/app:1.0",
                 "command": ["/bin/app", "--port=8080"], "ports": [{"containerPort": 8080, "name": "http"}],
                 "env": [{"name": "MODE", "value": "bench"}, {"name": "LEVEL", "value": "info"}],
                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}}]}
    })
}

struct Report {
    backend: &'static str,
    verbs: Vec<(usize, &'static str, f64, Latencies)>,
    list: Duration,
    list_bytes: usize,
    watch: Latencies,
    rss: u64,
    json_bytes: u64,
}

impl ApiBench {
    pub async fn run(self) -> anyhow::Result<()> {
        let mut reports = Vec::new();
        // Per-verb latency on one server; the big list, memory and watches on a fresh one that
        // holds exactly the pods counted.
        let verbs = ServerProcess::start(API_ONLY).await?;
        let bulk = ServerProcess::start(API_ONLY).await?;
        reports.push(self.measure("sqlite", &verbs, &bulk).await?);
        drop((verbs, bulk));
        if !self.no_etcd {
            let etcd = berth_testkit::EtcdCluster::start(1).context("starting etcd")?;
            let endpoints = etcd.endpoints();
            let hosts = endpoints.replace("http://", "");
            let verbs = ServerProcess::start(
                &[API_ONLY, &["--datastore-endpoint", &format!("etcd://{hosts}/verbs")]].concat(),
            )
            .await?;
            let bulk = ServerProcess::start(
                &[API_ONLY, &["--datastore-endpoint", &format!("etcd://{hosts}/bulk")]].concat(),
            )
            .await?;
            reports.push(self.measure("etcd", &verbs, &bulk).await?);
        }
        print(&reports, &self);
        Ok(())
    }

    async fn measure(
        &self,
        backend: &'static str,
        server: &ServerProcess,
        bulk: &ServerProcess,
    ) -> anyhow::Result<Report> {
        let mut admin = Client::connect(&server.address).await?;
        let mut verbs = Vec::new();
        for &clients in &self.clients {
            let namespace = format!("c{clients}");
            let ns =
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}});
            admin.expect(Method::POST, "/api/v1/namespaces", Some(&ns), 201).await?;
            eprintln!("{backend}: {clients} clients");
            for verb in ["create", "get", "update", "list"] {
                let (rate, latencies) =
                    self.verb(&server.address, verb, clients, &namespace).await?;
                verbs.push((clients, verb, rate, latencies));
            }
        }
        let server = bulk;
        let mut admin = Client::connect(&server.address).await?;
        eprintln!("{backend}: storing {} pods", self.pods);
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "big"}});
        admin.expect(Method::POST, "/api/v1/namespaces", Some(&ns), 201).await?;
        let json_bytes = create_pods(&server.address, "big", self.pods, pod).await?;
        let mut times = Vec::new();
        let mut list_bytes = 0;
        for _ in 0..5 {
            let began = Instant::now();
            let body = admin.expect(Method::GET, "/api/v1/namespaces/big/pods", None, 200).await?;
            times.push(began.elapsed());
            list_bytes = body.len();
        }
        times.sort_unstable();
        let rss = server.rss_bytes();
        eprintln!("{backend}: {} watchers, {} updates", self.watchers, self.updates);
        let watch = self.watch_latency(&server.address).await?;
        Ok(Report {
            backend,
            verbs,
            list: times[times.len() / 2],
            list_bytes,
            watch,
            rss,
            json_bytes,
        })
    }

    /// `clients` connections each doing `ops` requests of one verb.
    async fn verb(
        &self,
        address: &str,
        verb: &'static str,
        clients: usize,
        namespace: &str,
    ) -> anyhow::Result<(f64, Latencies)> {
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..clients {
            let address = address.to_owned();
            let namespace = namespace.to_owned();
            let ops = self.ops;
            tasks.spawn(async move {
                let mut client = Client::connect(&address).await?;
                let mut latencies = Vec::with_capacity(ops);
                let collection = format!("/api/v1/namespaces/{namespace}/pods");
                for i in 0..ops {
                    let name = format!("p{c}-{i}");
                    let item = format!("{collection}/{name}");
                    let began = Instant::now();
                    match verb {
                        "create" => {
                            client
                                .expect(
                                    Method::POST,
                                    &collection,
                                    Some(&pod(&name, &namespace)),
                                    201,
                                )
                                .await?;
                        }
                        "get" => {
                            client.expect(Method::GET, &item, None, 200).await?;
                        }
                        "update" => {
                            // Read-modify-write, the way controllers update.
                            let current = client.expect(Method::GET, &item, None, 200).await?;
                            let mut object: Value = serde_json::from_slice(&current)?;
                            object["metadata"]["labels"]["round"] = json!(i.to_string());
                            let began_put = Instant::now();
                            client.expect(Method::PUT, &item, Some(&object), 200).await?;
                            latencies.push(began_put.elapsed());
                            continue;
                        }
                        _ => {
                            client
                                .expect(
                                    Method::GET,
                                    &format!("{collection}?limit=50&labelSelector=app%3Dbench"),
                                    None,
                                    200,
                                )
                                .await?;
                        }
                    }
                    latencies.push(began.elapsed());
                }
                Ok::<_, anyhow::Error>(latencies)
            });
        }
        let mut all = Vec::new();
        while let Some(done) = tasks.join_next().await {
            all.extend(done??);
        }
        let rate = all.len() as f64 / started.elapsed().as_secs_f64();
        Ok((rate, Latencies::new(all)))
    }

    /// Delivery latency: time from sending an update to each watcher seeing it.
    async fn watch_latency(&self, address: &str) -> anyhow::Result<Latencies> {
        let mut admin = Client::connect(address).await?;
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "watched"}});
        admin.expect(Method::POST, "/api/v1/namespaces", Some(&ns), 201).await?;
        let created = admin
            .expect(
                Method::POST,
                "/api/v1/namespaces/watched/pods",
                Some(&pod("w", "watched")),
                201,
            )
            .await?;
        let mut object: Value = serde_json::from_slice(&created)?;
        let rv = object["metadata"]["resourceVersion"].as_str().unwrap_or("0").to_owned();
        let sent: Arc<std::sync::Mutex<Vec<Option<Instant>>>> =
            Arc::new(std::sync::Mutex::new(vec![None; self.updates]));
        let mut watchers = tokio::task::JoinSet::new();
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(self.watchers);
        for _ in 0..self.watchers {
            let address = address.to_owned();
            let path = format!("/api/v1/namespaces/watched/pods?watch=true&resourceVersion={rv}");
            let updates = self.updates;
            let ready = ready_tx.clone();
            watchers.spawn(async move {
                let mut client = Client::connect(&address).await?;
                let mut body = client.stream(&path).await?;
                let _ = ready.send(()).await;
                let mut seen = Vec::with_capacity(updates);
                let mut buffer = Vec::new();
                while seen.len() < updates {
                    let Some(frame) = body.frame().await else { break };
                    let Ok(data) = frame?.into_data() else { continue };
                    let now = Instant::now();
                    buffer.extend_from_slice(&data);
                    while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = buffer.drain(..=end).collect();
                        let event: Value = serde_json::from_slice(&line)?;
                        if let Some(round) =
                            event.pointer("/object/metadata/labels/round").and_then(Value::as_str)
                        {
                            seen.push((round.parse::<usize>().unwrap_or(usize::MAX), now));
                        }
                    }
                }
                Ok::<_, anyhow::Error>(seen)
            });
        }
        drop(ready_tx);
        for _ in 0..self.watchers {
            ready_rx.recv().await.context("a watcher failed to start")?;
        }
        for i in 0..self.updates {
            object["metadata"]["labels"]["round"] = json!(i.to_string());
            if let Ok(mut sent) = sent.lock() {
                sent[i] = Some(Instant::now());
            }
            let body = admin
                .expect(Method::PUT, "/api/v1/namespaces/watched/pods/w", Some(&object), 200)
                .await?;
            object = serde_json::from_slice(&body)?;
        }
        let sent = sent.lock().map(|a| a.clone()).unwrap_or_default();
        let mut delays = Vec::new();
        while let Some(done) = watchers.join_next().await {
            for (round, seen_at) in done?? {
                if let Some(Some(at)) = sent.get(round) {
                    delays.push(seen_at.saturating_duration_since(*at));
                }
            }
        }
        if delays.len() < self.watchers * self.updates {
            bail!("watchers saw {} of {} events", delays.len(), self.watchers * self.updates);
        }
        Ok(Latencies::new(delays))
    }
}

fn print(reports: &[Report], bench: &ApiBench) {
    println!();
    println!("API server over HTTP/1.1 keep-alive, {} requests per client per verb", bench.ops);
    println!(
        "{:<8} {:>7} {:<7} {:>9} {:>8} {:>8}",
        "backend", "clients", "verb", "req/s", "p50 ms", "p99 ms"
    );
    for report in reports {
        for (clients, verb, rate, latencies) in &report.verbs {
            println!(
                "{:<8} {:>7} {:<7} {:>9.0} {:>8} {:>8}",
                report.backend,
                clients,
                verb,
                rate,
                ms(latencies.p50()),
                ms(latencies.p99())
            );
        }
    }
    println!();
    println!(
        "{:<8} {:>16} {:>10} {:>20} {:>12} {:>12} {:>7}",
        "backend",
        format!("LIST {} ms", bench.pods),
        "list MB",
        format!("watch p50/p99 ms"),
        "RSS MB",
        "stored MB",
        "RSS/x"
    );
    for r in reports {
        let mb = |b: u64| b as f64 / 1_048_576.0;
        println!(
            "{:<8} {:>16} {:>10.1} {:>20} {:>12.1} {:>12.1} {:>7.2}",
            r.backend,
            ms(r.list),
            r.list_bytes as f64 / 1_048_576.0,
            format!("{}/{}", ms(r.watch.p50()), ms(r.watch.p99())),
            mb(r.rss),
            mb(r.json_bytes),
            r.rss as f64 / r.json_bytes.max(1) as f64
        );
    }
    println!(
        "(watch: {} watchers x {} updates; RSS with {} pods stored, against their JSON size)",
        bench.watchers, bench.updates, bench.pods
    );
}
