//! `berth bench store`: write throughput and latency at several concurrencies, and list latency
//! over many keys, for the sqlite backend and for a real etcd (Debian's `etcd-server`, one member
//! on loopback, its data on the same disk) started in the same run. Both acknowledge a write
//! only after an fsync.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use berth_store::etcd::{EtcdConfig, EtcdStore};
use berth_store::sqlite::{SqliteOptions, SqliteStore};
use berth_store::{ListOptions, Store};
use bytes::Bytes;

use super::stats::{Latencies, ms};

#[derive(Debug, clap::Args)]
pub struct StoreBench {
    /// Seconds each write measurement runs.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Concurrent writers, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8, 64])]
    writers: Vec<usize>,
    /// Key counts for the list measurement, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000, 100_000])]
    list_keys: Vec<usize>,
    /// Bytes per value.
    #[arg(long, default_value_t = 512)]
    value_size: usize,
    /// Skip etcd (sqlite figures only).
    #[arg(long)]
    no_etcd: bool,
}

struct WriteRow {
    writers: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

struct Backend {
    name: &'static str,
    store: Arc<dyn Store>,
    writes: Vec<WriteRow>,
    lists: Vec<(usize, Duration)>,
}

impl StoreBench {
    pub async fn run(self) -> anyhow::Result<()> {
        let dir = berth_testkit::temp_dir("berth-bench-store")?;
        let sqlite_options = SqliteOptions { compaction_interval: None, ..Default::default() };
        let sqlite = SqliteStore::open(&dir.path().join("state.db"), sqlite_options)
            .await
            .context("opening the sqlite store")?;
        let mut backends = vec![Backend::new("sqlite", Arc::new(sqlite))];
        // Kept alive until the end of the run; dropping it kills etcd.
        let _etcd = if self.no_etcd {
            None
        } else {
            let cluster = berth_testkit::EtcdCluster::start(1).context("starting etcd")?;
            let endpoints = cluster.endpoints().split(',').map(str::to_owned).collect();
            let store = EtcdStore::connect(EtcdConfig::new(endpoints)).await?;
            backends.push(Backend::new("etcd", Arc::new(store)));
            Some(cluster)
        };
        let value = Bytes::from(vec![b'v'; self.value_size]);
        let duration = Duration::from_secs_f64(self.seconds);
        for backend in &mut backends {
            for &writers in &self.writers {
                eprintln!("{}: {writers} writers for {duration:?}", backend.name);
                let row = measure_writes(&backend.store, writers, duration, &value).await?;
                backend.writes.push(row);
            }
            for &keys in &self.list_keys {
                eprintln!("{}: loading {keys} keys", backend.name);
                let took = measure_list(&backend.store, keys, &value).await?;
                backend.lists.push((keys, took));
            }
        }
        print_tables(&backends, self.value_size);
        Ok(())
    }
}

impl Backend {
    fn new(name: &'static str, store: Arc<dyn Store>) -> Self {
        Backend { name, store, writes: Vec::new(), lists: Vec::new() }
    }
}

/// `writers` tasks create fresh keys for `duration`; every write is a durable create.
async fn measure_writes(
    store: &Arc<dyn Store>,
    writers: usize,
    duration: Duration,
    value: &Bytes,
) -> anyhow::Result<WriteRow> {
    let run = fastrand::u64(..);
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..writers {
        let store = store.clone();
        let value = value.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let key = format!("/bench/writes/{run}/{writer}/{n}");
                let began = Instant::now();
                store.create(&key, value.clone()).await?;
                latencies.push(began.elapsed());
                n += 1;
            }
            Ok::<_, berth_store::StoreError>(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done??);
    }
    let elapsed = start.elapsed();
    let latencies = Latencies::new(latencies);
    Ok(WriteRow {
        writers,
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: latencies.p50(),
        p99: latencies.p99(),
    })
}

/// Loads `keys` keys under a fresh prefix (64 writers), then times a full list of them: the
/// median of five.
async fn measure_list(
    store: &Arc<dyn Store>,
    keys: usize,
    value: &Bytes,
) -> anyhow::Result<Duration> {
    let prefix = format!("/bench/list/{}/{keys}/", fastrand::u64(..));
    let loaders = 64;
    let mut tasks = tokio::task::JoinSet::new();
    for loader in 0..loaders {
        let store = store.clone();
        let value = value.clone();
        let prefix = prefix.clone();
        tasks.spawn(async move {
            for i in (loader..keys).step_by(loaders) {
                store.create(&format!("{prefix}{i:08}"), value.clone()).await?;
            }
            Ok::<_, berth_store::StoreError>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let began = Instant::now();
        let listed = store.list(&ListOptions::prefix(prefix.clone())).await?;
        times.push(began.elapsed());
        anyhow::ensure!(listed.kvs.len() == keys, "listed {} of {keys} keys", listed.kvs.len());
    }
    times.sort_unstable();
    Ok(times[times.len() / 2])
}

fn print_tables(backends: &[Backend], value_size: usize) {
    println!();
    println!("Durable writes (create of a fresh key, {value_size}-byte values, fsync before ack)");
    println!(
        "{:<8} {:>8} {:>11} {:>9} {:>9}",
        "backend", "writers", "writes/s", "p50 ms", "p99 ms"
    );
    for backend in backends {
        for row in &backend.writes {
            println!(
                "{:<8} {:>8} {:>11.0} {:>9} {:>9}",
                backend.name,
                row.writers,
                row.per_second,
                ms(row.p50),
                ms(row.p99)
            );
        }
    }
    if let [sqlite, etcd] = backends {
        for (ours, theirs) in sqlite.writes.iter().zip(&etcd.writes) {
            println!(
                "sqlite/etcd throughput at {} writers: {:.1}x",
                ours.writers,
                ours.per_second / theirs.per_second
            );
        }
    }
    println!();
    println!("List of every key under a prefix (median of 5)");
    print!("{:<8}", "keys");
    for backend in backends {
        print!(" {:>12}", format!("{} ms", backend.name));
    }
    println!();
    if let Some(first) = backends.first() {
        for (index, (keys, _)) in first.lists.iter().enumerate() {
            print!("{keys:<8}");
            for backend in backends {
                print!(" {:>12}", backend.lists.get(index).map_or("-".into(), |(_, d)| ms(*d)));
            }
            println!();
        }
    }
}
