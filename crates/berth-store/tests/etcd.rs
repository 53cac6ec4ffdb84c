//! What only the etcd backend has to show: a clear error for an unreachable cluster, watches
//! that survive a member restart and a leader change without losing or repeating an event, and
//! writes whose outcome is unknown reported as such instead of retried.

mod common;

use std::time::Duration;

use berth_store::etcd::{EtcdConfig, EtcdStore};
use berth_store::{Store, StoreError};
use berth_testkit::EtcdCluster;
use bytes::Bytes;
use common::{assert_quiet, etcd_store, next_event};

fn value(i: usize) -> Bytes {
    Bytes::from(i.to_string())
}

#[tokio::test]
async fn unreachable_etcd_is_a_clear_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let config = EtcdConfig {
        connect_timeout: Duration::from_secs(1),
        ..EtcdConfig::new(vec![format!("http://127.0.0.1:{port}")])
    };
    let started = std::time::Instant::now();
    match EtcdStore::connect(config).await {
        Err(error @ StoreError::Unavailable { .. }) => {
            assert!(error.to_string().contains(&port.to_string()), "{error}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn endpoint_strings_parse() {
    let config = EtcdConfig::from_endpoint("etcd://127.0.0.1:1,127.0.0.1:2/berth").expect("parse");
    assert_eq!(config.endpoints, ["http://127.0.0.1:1", "http://127.0.0.1:2"]);
    assert_eq!(config.prefix, "/berth");
    assert!(EtcdConfig::from_endpoint("ftp://x").is_err());
    assert!(EtcdConfig::from_endpoint("etcd://").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_survives_an_etcd_restart() {
    let mut cluster = EtcdCluster::start(1).expect("etcd");
    let store = etcd_store(&cluster, "/restart").await;
    let mut watch = store.watch("/k/", 0).await.expect("watch");
    let mut written = Vec::new();
    for i in 0..10 {
        written
            .push(store.create(&format!("/k/{i}"), value(i)).await.expect("create").mod_revision);
    }
    cluster.kill(0).expect("kill etcd");
    cluster.restart(0).expect("restart etcd");
    // Written while the watch is still reconnecting: it must replay these from its revision.
    for i in 10..20 {
        let kv = loop {
            match store.create(&format!("/k/{i}"), value(i)).await {
                Ok(kv) => break kv,
                Err(StoreError::Unavailable { .. }) => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(other) => panic!("write after restart: {other}"),
            }
        };
        written.push(kv.mod_revision);
    }
    let mut seen = Vec::new();
    while seen.len() < written.len() {
        seen.push(next_event(&mut watch).await.revision());
    }
    assert_eq!(seen, written);
    assert_quiet(&mut watch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_survives_leader_loss() {
    let mut cluster = EtcdCluster::start(3).expect("3-member etcd");
    let store = etcd_store(&cluster, "/leader").await;
    let mut watch = store.watch("/k/", 0).await.expect("watch");
    let mut written = Vec::new();
    for i in 0..10 {
        written
            .push(store.create(&format!("/k/{i}"), value(i)).await.expect("create").mod_revision);
    }
    let leader = cluster.leader().expect("leader");
    cluster.kill(leader).expect("kill the leader");
    let new_leader = cluster.leader().expect("a new leader");
    assert_ne!(new_leader, leader);
    for i in 10..30 {
        let kv = 'write: loop {
            match store.create(&format!("/k/{i}"), value(i)).await {
                Ok(kv) => break kv,
                // Refused before it was applied: safe to send again.
                Err(StoreError::Unavailable { .. }) => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                // The outcome is unknown: find out by reading, never by writing again.
                Err(StoreError::Indeterminate { .. }) => loop {
                    match store.get(&format!("/k/{i}")).await {
                        Ok(kv) => break 'write kv,
                        Err(StoreError::NotFound { .. }) => {
                            panic!("an indeterminate write was not applied; rerun to check")
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                },
                Err(other) => panic!("write after leader loss: {other}"),
            }
        };
        written.push(kv.mod_revision);
    }
    cluster.restart(leader).expect("restart the old leader");
    let mut seen = Vec::new();
    while seen.len() < written.len() {
        seen.push(next_event(&mut watch).await.revision());
    }
    assert_eq!(seen, written, "no event lost or repeated across the leader change");
    assert_quiet(&mut watch).await;
}

/// A write sent to a member that stops answering is reported as indeterminate: neither
/// retried nor reported as failed, because it may still be applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_write_outcome_is_reported_not_retried() {
    let cluster = EtcdCluster::start(1).expect("etcd");
    let endpoints = cluster.endpoints().split(',').map(str::to_owned).collect();
    let config = EtcdConfig {
        prefix: "/unknown".into(),
        request_timeout: Duration::from_millis(500),
        ..EtcdConfig::new(endpoints)
    };
    let store = EtcdStore::connect(config).await.expect("connect");
    let kv = store.create("/k", value(0)).await.expect("create");
    let pid = cluster.pid(0).expect("etcd pid").to_string();
    let signal = |sig: &str| {
        let status = std::process::Command::new("kill").args([sig, &pid]).status().expect("kill");
        assert!(status.success(), "kill {sig} {pid}");
    };
    signal("-STOP");
    let outcome = store.update("/k", value(1), kv.mod_revision).await;
    signal("-CONT");
    match outcome {
        Err(StoreError::Indeterminate { key, .. }) => assert_eq!(key, "/k"),
        other => panic!("expected Indeterminate, got {other:?}"),
    }
    // The write was in flight: etcd may or may not apply it once it runs again (the client
    // gave up on the stream), but berth did not send it again, so it is applied at most once.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let current = store.get("/k").await.expect("get after resume");
    let outcomes = [(1, value(0)), (2, value(1))];
    assert!(outcomes.contains(&(current.version, current.value.clone())), "{current:?}");
    let revision = store.current_revision().await.expect("revision");
    assert!(revision <= kv.mod_revision + 1, "at most one write reached etcd: {revision}");
}
