//! Fixtures shared by the store's integration tests: one open store per backend, each with
//! whatever keeps it alive (a temporary directory, a real etcd process).
#![allow(dead_code)]

use std::any::Any;
use std::sync::Arc;

use berth_store::etcd::{EtcdConfig, EtcdStore};
use berth_store::memory::MemoryStore;
use berth_store::sqlite::{SqliteOptions, SqliteStore};
use berth_store::{Event, Store, WatchStream};
use futures_util::StreamExt;

pub struct Fixture {
    pub store: Arc<dyn Store>,
    _guard: Box<dyn Any + Send>,
}

pub async fn memory() -> Fixture {
    Fixture { store: Arc::new(MemoryStore::new()), _guard: Box::new(()) }
}

pub async fn sqlite() -> Fixture {
    let dir = berth_testkit::temp_dir("berth-store-test").expect("temp dir");
    let options = SqliteOptions { compaction_interval: None, ..SqliteOptions::default() };
    let store =
        SqliteStore::open(&dir.path().join("state.db"), options).await.expect("open sqlite");
    Fixture { store: Arc::new(store), _guard: Box::new(dir) }
}

pub async fn etcd() -> Fixture {
    let cluster = berth_testkit::EtcdCluster::start(1).expect("start etcd");
    let store = etcd_store(&cluster, "/berth-test").await;
    Fixture { store: Arc::new(store), _guard: Box::new(cluster) }
}

pub async fn etcd_store(cluster: &berth_testkit::EtcdCluster, prefix: &str) -> EtcdStore {
    let endpoints = cluster.endpoints().split(',').map(str::to_owned).collect();
    let config = EtcdConfig { prefix: prefix.to_owned(), ..EtcdConfig::new(endpoints) };
    EtcdStore::connect(config).await.expect("connect to etcd")
}

/// The next event of a watch, failing the test after a timeout instead of hanging.
pub async fn next_event(stream: &mut WatchStream) -> Event {
    let item = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
        .await
        .expect("a watch event within 10 s")
        .expect("the watch stream ended");
    item.expect("a watch event, not an error")
}

/// Asserts that nothing more arrives for a short while.
pub async fn assert_quiet(stream: &mut WatchStream) {
    let waited = tokio::time::timeout(std::time::Duration::from_millis(200), stream.next()).await;
    assert!(waited.is_err(), "unexpected watch item: {:?}", waited.ok().flatten());
}
